"""DataLoader with real worker processes: order, seeding, errors, dead workers, shutdown, sharding."""

import gc
import glob
import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from data_test_helpers import (
    DyingDataset,
    FailingDataset,
    OptInStream,
    RandomDataset,
    RandomStream,
    RangeDataset,
    ShardedStream,
    SlowDataset,
    Stream,
    UnpicklableBatchDataset,
    WorkerInfoDataset,
    identity_collate,
    record_worker_id,
)

import tensorlib as tl
from tensorlib.data import DataLoader, TensorDataset, get_worker_info
from tests.helpers.processes import process_alive, wait_until


def _children():
    return {p.pid for p in multiprocessing.active_children()}


def _flat(loader):
    return [x for batch in loader for x in batch.tolist()]


def test_batches_identical_for_zero_and_two_workers_including_randomness():
    def run(num_workers):
        loader = DataLoader(RandomDataset(40), batch_size=3, shuffle=True, num_workers=num_workers,
                            generator=tl.Generator().manual_seed(123))
        return [[t.tolist() for t in batch] for batch in loader]

    in_process, two_workers = run(0), run(2)
    assert in_process == two_workers
    indices = [i for batch in in_process for i in batch[0]]
    assert sorted(indices) == list(range(40)) and indices != list(range(40))
    numpy_draws = [x for batch in in_process for x in batch[1]]
    assert len(set(numpy_draws)) == 40  # every batch got its own random stream


def test_order_preserved_with_slow_early_batch():
    loader = DataLoader(SlowDataset(12, slow=0, seconds=0.3), batch_size=2, num_workers=2)
    assert _flat(loader) == list(range(12))


def test_in_order_false_returns_batches_as_they_arrive_each_once():
    loader = DataLoader(SlowDataset(12, slow=0, seconds=0.5), batch_size=2, num_workers=2, in_order=False)
    batches = [batch.tolist() for batch in loader]
    assert batches[0] != [0, 1]  # the slow first batch did not hold the others back
    assert sorted(x for batch in batches for x in batch) == list(range(12)) and [0, 1] in batches
    assert len(batches) == 6 and loader.in_order is False


def test_worker_seeds_differ_per_worker_and_epoch_and_repeat_with_seed():
    tl.manual_seed(0)
    loader = DataLoader(WorkerInfoDataset(8), batch_size=2, num_workers=2, worker_init_fn=record_worker_id)

    def epoch():
        rows = [tuple(row) for batch in loader for row in zip(*(t.tolist() for t in batch))]
        assert [r[0] for r in rows] == list(range(8))
        return {r[1]: r[2] for r in rows}, {r[1]: r[4] for r in rows}

    seeds_1, init_ids = epoch()
    assert init_ids == {0: 0, 1: 1}
    assert set(seeds_1) == {0, 1} and seeds_1[1] == seeds_1[0] + 1
    seeds_2, _ = epoch()
    assert seeds_2[0] != seeds_1[0]
    tl.manual_seed(0)
    assert epoch()[0] == seeds_1


def test_worker_exception_reraises_with_traceback_text():
    loader = DataLoader(FailingDataset(8, bad=5), batch_size=2, num_workers=2)
    got = []
    with pytest.raises(ValueError) as info:
        for batch in loader:
            got.extend(batch.tolist())
    message = str(info.value)
    assert got == [0, 1, 2, 3]
    assert "Caught ValueError in DataLoader worker process 0" in message
    assert "Traceback (most recent call last)" in message and "sample 5 is corrupt" in message
    assert "data_test_helpers.py" in message


def test_worker_key_error_keeps_type_and_readable_message():
    loader = DataLoader(FailingDataset(4, bad=0, error_type=KeyError), num_workers=1)
    with pytest.raises(KeyError) as info:
        next(iter(loader))
    assert "Caught KeyError in DataLoader worker process 0" in str(info.value)
    assert "\\n" not in str(info.value)


def test_unpicklable_batch_is_reported_not_hung():
    loader = DataLoader(UnpicklableBatchDataset(), batch_size=2, num_workers=1, collate_fn=identity_collate)
    with pytest.raises(Exception, match="DataLoader worker process 0"):
        next(iter(loader))


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_dead_worker_raises_instead_of_hanging(how):
    loader = DataLoader(DyingDataset(8, bad=3, how=how), batch_size=1, num_workers=2)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(loader)
    assert time.monotonic() - start < 10


def test_timeout_raises_and_stops_workers():
    before = _children()
    loader = DataLoader(SlowDataset(4, slow=1, seconds=30), batch_size=1, num_workers=1, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(loader)
    assert time.monotonic() - start < 10
    assert _children() <= before


def test_breaking_out_of_the_loop_leaves_no_worker_processes():
    before = _children()
    loader = DataLoader(RangeDataset(100), batch_size=2, num_workers=2)
    for _batch in loader:
        assert len(_children() - before) == 2
        break
    del _batch
    gc.collect()
    assert _children() <= before


def test_finished_epoch_stops_workers():
    before = _children()
    it = iter(DataLoader(RangeDataset(4), batch_size=2, num_workers=2))
    assert [b.tolist() for b in it] == [[0, 1], [2, 3]]
    assert _children() <= before


def test_workers_exit_when_the_main_process_dies(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from data_test_helpers import SlowDataset
        from tensorlib.data import DataLoader
        it = iter(DataLoader(SlowDataset(100, slow=-1, seconds=0), batch_size=1, num_workers=2))
        next(it)
        print(" ".join(str(w.pid) for w in it._workers), flush=True)
        os._exit(0)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pids = [int(p) for p in result.stdout.split()]
    assert len(pids) == 2, result.stderr

    assert wait_until(lambda: not any(process_alive(p) for p in pids))


def test_ctrl_c_stops_workers():
    script = textwrap.dedent(f"""
        import multiprocessing, os, signal, sys, threading
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from data_test_helpers import SlowDataset
        from tensorlib.data import DataLoader
        loader = DataLoader(SlowDataset(100, slow=2, seconds=30), batch_size=1, num_workers=2)
        it = iter(loader)
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            for batch in it:
                pass
        except KeyboardInterrupt:
            print("interrupted", len(multiprocessing.active_children()), flush=True)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["interrupted", "0"], result.stderr


def test_unsharded_iterable_duplicates_across_workers():
    # Documented behaviour: each worker iterates its own copy unless the dataset shards itself.
    assert sorted(_flat(DataLoader(Stream(6), batch_size=2, num_workers=2))) == sorted(list(range(6)) * 2)


@pytest.mark.parametrize("dataset", [ShardedStream(9), OptInStream(9)], ids=["get_worker_info", "opt_in"])
def test_sharded_iterable_yields_each_item_once_in_round_robin_order(dataset):
    loader = DataLoader(dataset, batch_size=2, num_workers=2)
    batches = [b.tolist() for b in loader]
    # worker 0 holds 0,2,4,6,8 and worker 1 holds 1,3,5,7; batches alternate between them
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 7], [8]]


def test_iterable_workers_seeded_differently():
    generator = tl.Generator().manual_seed(0)
    loader = DataLoader(RandomStream(), batch_size=None, num_workers=2, generator=generator)
    rows = [tuple(t.tolist() if hasattr(t, "tolist") else t for t in item) for item in loader]
    by_worker = {w: [x for ww, x in rows if ww == w] for w in (0, 1)}
    assert len(by_worker[0]) == 3 and len(by_worker[1]) == 3
    assert by_worker[0] != by_worker[1]


def test_get_worker_info_is_none_in_main_process():
    assert get_worker_info() is None


def test_persistent_workers_are_reused_and_epochs_are_complete():
    loader = DataLoader(WorkerInfoDataset(10), batch_size=2, num_workers=2, persistent_workers=True)

    def pids_and_indices(loader):
        batches = list(loader)
        return {p for b in batches for p in b[3].tolist()}, [i for b in batches for i in b[0].tolist()]

    pids_1, indices_1 = pids_and_indices(loader)
    for _ in loader:  # abandon an epoch half-way: its late results must not leak into the next one
        break
    pids_2, indices_2 = pids_and_indices(loader)
    assert indices_1 == indices_2 == list(range(10))
    assert pids_1 == pids_2 and len(pids_1) == 2 and os.getpid() not in pids_1
    assert len(loader) == 5
    workers = loader._iterator._workers
    del loader
    gc.collect()
    assert not any(w.is_alive() for w in workers)


def test_non_persistent_workers_are_new_each_epoch():
    loader = DataLoader(WorkerInfoDataset(4), batch_size=2, num_workers=1)
    first = {p for b in loader for p in b[3].tolist()}
    second = {p for b in loader for p in b[3].tolist()}
    assert first.isdisjoint(second)


def test_worker_init_fn_error_surfaces():
    def bad_init(worker_id):
        raise RuntimeError(f"init failed in {worker_id}")

    with pytest.raises(RuntimeError, match="init failed in 0"):
        list(DataLoader(RangeDataset(4), num_workers=1, worker_init_fn=bad_init))


def test_spawn_rejects_unpicklable_collate_fn_up_front():
    before = _children()
    loader = DataLoader(RangeDataset(4), num_workers=1, collate_fn=lambda b: b,
                        multiprocessing_context="spawn")
    with pytest.raises(pickle.PicklingError,
                       match=r"collate_fn <lambda> can't be pickled for multiprocessing_context='spawn'"):
        iter(loader)
    assert _children() <= before


def test_spawn_context_runs():
    dataset = TensorDataset(tl.arange(6, dtype=tl.float32), tl.arange(6))
    loader = DataLoader(dataset, batch_size=4, num_workers=1, multiprocessing_context="spawn")
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5]]
    np.testing.assert_array_equal(batches[0][0].numpy(), np.arange(4, dtype=np.float32))


def test_worker_info_is_read_only():
    from tensorlib.data import WorkerInfo

    info = WorkerInfo(id=0, num_workers=2, seed=5, dataset=None)
    assert info.id == 0 and info.seed == 5 and "num_workers=2" in repr(info)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        info.id = 1


class _ImageDataset(tl.data.Dataset):
    """16 KiB float32 images filled with their index (batches big enough for shared memory); ``bad`` fails."""

    def __init__(self, n, bad=None, how="raise"):
        self.n, self.bad, self.how = n, bad, how

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.bad and get_worker_info() is not None:
            if self.how == "raise":
                raise ValueError(f"image {index} is corrupt")
            os._exit(3)
        return np.full((64, 64), index, dtype=np.float32), index


def _my_shm_files():
    return glob.glob(f"/dev/shm/tensorlib_loader_{os.getpid()}_*")


needs_dev_shm = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs /dev/shm")


@needs_dev_shm
def test_shm_slots_ship_arrays_and_are_reused_after_release():
    from tensorlib.data._shm import ShmReader, ShmWriter, shm_prefix

    writer, reader = ShmWriter(shm_prefix("unittest"), 0), ShmReader()
    images = tl.from_numpy(np.arange(2 * 64 * 64, dtype=np.float32).reshape(2, 64, 64))
    blob = writer.dumps(("data", {"x": images, "y": tl.tensor([3, 4]), "name": ["a", "b"]}))
    _, slot, new_slot, _ = blob
    assert new_slot is not None and os.path.exists(new_slot[0])
    kind, batch = reader.loads(0, blob)
    assert not os.path.exists(new_slot[0])  # mapped by both sides, so the file name is no longer needed
    assert kind == "data" and batch["name"] == ["a", "b"] and batch["y"].tolist() == [3, 4]
    np.testing.assert_array_equal(batch["x"].numpy(), images.numpy())
    assert batch["x"].dtype == tl.float32 and batch["y"].dtype == tl.int64
    batch["x"].add_(1)  # received batches are ordinary writable tensors
    assert batch["x"][0, 0, 0].item() == 1

    writer.release([slot])
    reused = writer.dumps(("data", tl.zeros(2, 64, 64)))
    assert reused[1] == slot and reused[2] is None  # same slot, nothing new to map
    assert reader.loads(0, reused)[1].sum().item() == 0
    assert batch["x"][0, 0, 0].item() == 1  # the earlier batch owns its memory: reusing the slot left it alone

    writer.release([slot])
    bigger = writer.dumps(("data", tl.ones(8, 64, 64)))
    assert bigger[1] != slot and bigger[2][2] == slot  # the too-small free slot is retired, not kept
    assert reader.loads(0, bigger)[1].shape == (8, 64, 64) and (0, slot) not in reader.slots
    assert isinstance(writer.dumps(("data", tl.zeros(4))), bytes)  # small batches stay in the pipe
    writer.close()
    reader.close()
    assert _my_shm_files() == []


@needs_dev_shm
def test_batches_fall_back_to_the_pipe_when_shared_memory_fails(monkeypatch):
    from tensorlib.data import _shm

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    writer = _shm.ShmWriter(_shm.shm_prefix("unittest"), 1)
    if hasattr(os, "posix_fallocate"):  # /dev/shm full: the slot's pages can't be reserved
        monkeypatch.setattr(_shm.os, "posix_fallocate", refuse)
        assert isinstance(writer.dumps(("data", tl.arange(20000, dtype=tl.float32))), bytes)
        assert _my_shm_files() == [] and writer.slots == {}
    monkeypatch.setattr(_shm, "_map", refuse)
    blob = writer.dumps(("data", tl.arange(20000, dtype=tl.float32)))
    assert isinstance(blob, bytes)
    loader = DataLoader(_ImageDataset(12), batch_size=4, num_workers=2)  # forked workers inherit the patch
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert _my_shm_files() == []


@needs_dev_shm
def test_large_batches_arrive_intact_and_leave_no_shared_memory_files():
    loader = DataLoader(_ImageDataset(20), batch_size=4, num_workers=2, persistent_workers=True)
    for _ in range(2):
        batches = list(loader)
        assert [b[1].tolist() for b in batches] == [list(range(i, i + 4)) for i in range(0, 20, 4)]
        for images, labels in batches:
            assert images.shape == (4, 64, 64) and images.dtype == tl.float32
            np.testing.assert_array_equal(images.numpy()[:, 5, 7], labels.numpy().astype(np.float32))
    del loader, batches
    gc.collect()
    assert _my_shm_files() == []


@needs_dev_shm
@pytest.mark.parametrize("case", ["break", "raise", "die"])
def test_no_shared_memory_files_left_after_break_error_or_dead_worker(case):
    loader = DataLoader(_ImageDataset(40, bad=None if case == "break" else 9, how=case), batch_size=2,
                        num_workers=2)
    if case == "break":
        for _batch in loader:
            time.sleep(0.2)  # let the workers fill the prefetch queue with unread batches
            break
        del _batch
        gc.collect()
    else:
        with pytest.raises((ValueError, RuntimeError)) as caught:
            list(loader)
        del caught  # its traceback keeps the iterator (and its unread prefetched batches) alive
        gc.collect()
    assert _my_shm_files() == []


_KILLED_PARENT = r"""
import numpy as np
import tensorlib as tl
from tensorlib.data import DataLoader, Dataset


class Images(Dataset):
    def __len__(self):
        return 64

    def __getitem__(self, index):
        return np.full((64, 64), index, dtype=np.float32)


loader = DataLoader(Images(), batch_size=8, num_workers=2, prefetch_factor=4)
iterator = iter(loader)
next(iterator)
print("ready", flush=True)
input()  # blocks until killed
"""


@needs_dev_shm
def test_sigkilled_main_process_leaves_no_shared_memory_files():
    import subprocess
    import sys

    parent = subprocess.Popen([sys.executable, "-c", _KILLED_PARENT], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    pattern = f"/dev/shm/tensorlib_loader_{parent.pid}_*"
    try:
        assert parent.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        while not glob.glob(pattern) and time.monotonic() < deadline:
            time.sleep(0.05)  # the workers prefetch batches the main process has not mapped yet
        assert glob.glob(pattern), "the scenario needs unread slot files"
    finally:
        parent.kill()
        parent.wait()
        parent.stdin.close()
        parent.stdout.close()
    deadline = time.monotonic() + 30  # the orphaned workers notice within their parent-check interval
    while glob.glob(pattern) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert glob.glob(pattern) == []
