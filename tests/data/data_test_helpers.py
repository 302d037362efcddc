"""Module-level datasets for the DataLoader tests (module level so 'spawn' workers can import them)."""

import itertools
import os
import random
import signal
import time

import numpy as np

import tensorlib as tl
from tensorlib.data import Dataset, IterableDataset, get_worker_info

INIT_WORKER_ID = None


class RangeDataset(Dataset):
    """Sample i is the int i."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return index


class RandomDataset(Dataset):
    """Sample i is (i, a NumPy draw, a Python draw, a tensorlib draw) from the global RNGs."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return index, float(np.random.rand()), random.random(), float(tl.rand(1).item())


class WorkerInfoDataset(Dataset):
    """Sample i is (i, worker id, worker seed, pid, the id recorded by worker_init_fn)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        info = get_worker_info()
        if info is None:
            return index, -1, -1, os.getpid(), -1
        init_id = -1 if INIT_WORKER_ID is None else INIT_WORKER_ID
        return index, info.id, info.seed % 2**62, os.getpid(), init_id


def record_worker_id(worker_id):
    global INIT_WORKER_ID
    INIT_WORKER_ID = worker_id


class FailingDataset(Dataset):
    """Raises ``error_type`` at index ``bad``."""

    def __init__(self, n, bad, error_type=ValueError):
        self.n, self.bad, self.error_type = n, bad, error_type

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.bad:
            raise self.error_type(f"sample {index} is corrupt")
        return index


class DyingDataset(Dataset):
    """Inside a worker, index ``bad`` kills the process (``os._exit`` or SIGKILL)."""

    def __init__(self, n, bad, how="exit"):
        self.n, self.bad, self.how = n, bad, how

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.bad and get_worker_info() is not None:
            if self.how == "exit":
                os._exit(3)
            os.kill(os.getpid(), signal.SIGKILL)
        return index


class SlowDataset(Dataset):
    """Index ``slow`` takes ``seconds`` to load."""

    def __init__(self, n, slow, seconds):
        self.n, self.slow, self.seconds = n, slow, seconds

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.slow:
            time.sleep(self.seconds)
        return index


class UnpicklableBatchDataset(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return {"fn": lambda: index}


class Stream(IterableDataset):
    """0..n-1, not sharded: every worker yields everything."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class ShardedStream(Stream):
    """The documented pattern: shard with get_worker_info()."""

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return itertools.islice(range(self.n), start, None, step)


class OptInStream(Stream):
    shard_by_default = True


class RandomStream(IterableDataset):
    """Yields (worker id, NumPy draw) pairs."""

    def __iter__(self):
        info = get_worker_info()
        worker = -1 if info is None else info.id
        for _ in range(3):
            yield worker, float(np.random.rand())


def identity_collate(batch):
    return batch
