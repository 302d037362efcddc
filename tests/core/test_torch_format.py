"""PyTorch checkpoint files both ways: tl.load of torch.save files (zip + legacy), tl.save(format="torch")
into torch.load(weights_only=True), and malicious pickles refused without running anything."""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tensorlib as tl
from tensorlib._torch_format import ALLOWED_GLOBALS, TorchFileError, is_torch_file
from tensorlib._torch_format.writer import ALIGNMENT


def _torch_zip(pickled: bytes, storages: dict | None = None) -> bytes:
    """A hand-made PyTorch zip archive around ``pickled`` (so these tests need no torch)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        for key, raw in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", raw)
        archive.writestr("archive/version", "3\n")
    return buffer.getvalue()


class _MakeFile:
    """Unpickling this would create ``path`` (os.system-free but just as much code execution)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


# ------------------------------------------------------------------------------------------ without torch
@pytest.mark.parametrize("pickle_format", ["zip", "legacy"])
def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path, pickle_format):
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_MakeFile(str(control)), protocol=2)).close()
    assert control.exists()  # the payload really runs code when unpickled plainly
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": _MakeFile(str(marker))}, protocol=2)
    if pickle_format == "zip":
        raw = _torch_zip(payload)
    else:
        raw = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950a86a20f9469cfc6c, 1001, {"little_endian": True}))
        raw += payload
    path = tmp_path / "evil.pt"
    path.write_bytes(raw)
    with pytest.raises(pickle.UnpicklingError) as info:
        tl.load(path)
    message = str(info.value)
    assert "io.open" in message and "execute code" in message and "evil.pt" in message
    assert not marker.exists()


@pytest.mark.parametrize("target", ["os.system", "builtins.eval", "subprocess.Popen", "torch.load",
                                    "numpy.core.multiarray._reconstruct", "builtins.getattr"])
def test_every_global_outside_the_allow_list_is_named(tmp_path, target):
    module, name = target.rsplit(".", 1)
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")R."
    path = tmp_path / "x.pt"
    path.write_bytes(_torch_zip(payload))
    with pytest.raises(pickle.UnpicklingError, match=target.replace(".", r"\.")):
        tl.load(path)


def test_save_format_torch_layout_is_torchs(tmp_path):
    path = tmp_path / "w.pt"
    tl.save({"w": tl.ones(3, 2)}, path, format="torch")
    raw = path.read_bytes()
    assert is_torch_file(raw)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"archive/data.pkl", "archive/byteorder", "archive/version", "archive/data/0"} <= names
        assert archive.read("archive/version") == b"3\n"
        info = archive.getinfo("archive/data/0")
    # storages start on 64-byte boundaries, as torch.save aligns them
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    assert (info.header_offset + 30 + name_len + extra_len) % ALIGNMENT == 0


def test_torch_format_round_trip_without_torch(tmp_path):
    w = tl.randn(4, 3)
    state = {"model": OrderedDict(w=w, tied=w, p=tl.nn.Parameter(tl.ones(2))),
             "optimizer": {"state": {0: {"step": 3, "exp_avg": tl.zeros(2)}}, "param_groups": [{"lr": 0.1,
                                                                                                 "params": [0]}]},
             "dtypes": [tl.int8, tl.float16], "set": {1, 2}, "bytes": b"\x00\xff", "none": None}
    path = tmp_path / "ckpt.pt"
    tl.save(state, path, format="torch")
    back = tl.load(path)
    assert isinstance(back["model"], OrderedDict)
    np.testing.assert_array_equal(back["model"]["w"].numpy(), w.numpy())
    assert back["model"]["tied"] is back["model"]["w"]
    assert isinstance(back["model"]["p"], tl.nn.Parameter) and back["model"]["p"].requires_grad
    assert back["optimizer"]["state"][0]["step"] == 3
    assert back["optimizer"]["param_groups"] == [{"lr": 0.1, "params": [0]}]
    assert back["dtypes"] == [tl.int8, tl.float16] and back["set"] == {1, 2} and back["bytes"] == b"\x00\xff"


def test_whole_module_is_refused_with_advice(tmp_path):
    for fmt in ("tensorlib", "torch"):
        with pytest.raises(TypeError, match=r"state_dict\(\)"):
            tl.save(tl.nn.Linear(2, 2), tmp_path / "m.pt", format=fmt)
    assert not os.listdir(tmp_path)


def test_huge_claimed_sizes_do_not_allocate(tmp_path):
    pickled = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
               b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQK\x00\x8a\x06\x00\x10\xa5\xd4\xe8\x00\x85K\x00\x85"
               b"\x89ccollections\nOrderedDict\n)RtR.")
    path = tmp_path / "huge.pt"
    path.write_bytes(_torch_zip(pickled, {"0": np.float32(3).tobytes()}))
    x = tl.load(path)  # 10**12 elements, all the one stored float: a read-only view, nothing allocated
    assert x.shape == (10**12,) and x[123456789].item() == 3.0


def test_truncated_storage_is_reported(tmp_path):
    path = tmp_path / "w.pt"
    tl.save({"w": tl.ones(100)}, path, format="torch")
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        pickled = archive.read("archive/data.pkl")
    path.write_bytes(_torch_zip(pickled, {"0": b"\x00" * 40}))
    with pytest.raises(TorchFileError, match="storage 0.*truncated"):
        tl.load(path)


def test_big_endian_archive_is_byteswapped(tmp_path):
    pickled = (b"\x80\x02}X\x01\x00\x00\x00xctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
               b"ctorch\nIntStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x03tQK\x00K\x03\x85K\x01\x85\x89"
               b"ccollections\nOrderedDict\n)RtRs.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "big")
        archive.writestr("archive/data/0", np.array([1, 256, -2], dtype=">i4").tobytes())
    path = tmp_path / "be.pt"
    path.write_bytes(buffer.getvalue())
    x = tl.load(path)["x"]
    assert x.dtype == tl.int32 and x.tolist() == [1, 256, -2]


def test_allow_list_matches_torch():
    pytest.importorskip("torch")
    from torch._weights_only_unpickler import _get_allowed_globals

    assert set(_get_allowed_globals()) <= ALLOWED_GLOBALS


# ------------------------------------------------------------------------------------------ with torch
ALL_TORCH_DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
                    "bool", "uint16", "uint32"]


@pytest.mark.parametrize("legacy", [False, True])
def test_torch_files_load_with_views_and_shared_storages(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    obj = {"base": base, "rows": base[1:3], "cols": base[:, ::2], "t": base.t(), "scalar": torch.tensor(7),
           "expanded": torch.arange(3.0).expand(2, 3), "empty": torch.zeros(0, 5),
           "nested": [(base[0], {"deep": base[3, 1:]})], "size": torch.Size([2, 3]), "dtype": torch.int16}
    path = tmp_path / "views.pt"
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    back = tl.load(path, map_location="cpu")
    for key in ("base", "rows", "cols", "t", "scalar", "expanded", "empty"):
        np.testing.assert_array_equal(back[key].numpy(), obj[key].numpy(), err_msg=key)
        assert back[key].shape == tuple(obj[key].shape)
    np.testing.assert_array_equal(back["nested"][0][1]["deep"].numpy(), base[3, 1:].numpy())
    assert back["size"] == (2, 3) and back["dtype"] is tl.int16
    back["base"][1, 0] = -1.0  # views share the storage, as in PyTorch
    assert back["rows"][0, 0].item() == -1.0 and back["t"][0, 1].item() == -1.0
    with pytest.raises(RuntimeError, match="single memory location"):  # overlapping (stride 0) views refuse writes
        back["expanded"][0, 0] = 5.0
    assert back["expanded"][1, 0].item() == 0.0 and (back["expanded"] * 2).tolist()[1] == [0.0, 2.0, 4.0]


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("dtype", ALL_TORCH_DTYPES)
def test_every_torch_dtype_loads(tmp_path, dtype, legacy):
    torch = pytest.importorskip("torch")
    values = torch.tensor([0, 1, 2, 100], dtype=getattr(torch, dtype))
    path = tmp_path / f"{dtype}.pt"
    try:
        torch.save({"x": values}, path, _use_new_zipfile_serialization=not legacy)
    except (RuntimeError, KeyError, TypeError):
        pytest.skip(f"torch cannot write {dtype} in the legacy format")
    if dtype in ("bfloat16", "uint16", "uint32"):
        with pytest.warns(UserWarning, match=f"{dtype} -> "):
            back = tl.load(path)
    else:
        back = tl.load(path)
        assert back["x"].dtype.name == dtype
    expected = values.float() if dtype == "bfloat16" else values.to(torch.int64)
    np.testing.assert_array_equal(back["x"].numpy().astype(np.float64), expected.double().numpy())


def test_unsupported_dtypes_are_named(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"z": torch.ones(2, dtype=torch.complex64)}, tmp_path / "c.pt")
    with pytest.raises(TypeError, match=r"c\.pt: storage 0: PyTorch dtype complex64 is not supported"):
        tl.load(tmp_path / "c.pt")


def test_damaged_torch_files_are_corrupt_file_errors(tmp_path):
    path = tmp_path / "w.pt"
    tl.save({"w": tl.ones(3)}, path, format="torch")
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(tl.serialization.CorruptFileError):
        tl.load(path)


def test_bfloat16_fractions_are_exact(tmp_path):
    torch = pytest.importorskip("torch")
    values = torch.randn(1000).to(torch.bfloat16)
    torch.save(values, tmp_path / "bf.pt")
    with pytest.warns(UserWarning):
        back = tl.load(tmp_path / "bf.pt")
    np.testing.assert_array_equal(back.numpy(), values.float().numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                                   "bool"])
def test_our_files_open_in_torch_weights_only(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    array = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    tensor = tl.from_numpy(array)
    path = tmp_path / "ours.pt"
    tl.save({"x": tensor, "t": tensor.t(), "tied": tensor, "scalar": tensor[1, 2]}, path, format="torch")
    loaded = torch.load(path, weights_only=True)
    assert loaded["scalar"].shape == () and loaded["scalar"].item() == array[1, 2]
    assert loaded["x"].dtype == getattr(torch, dtype)
    np.testing.assert_array_equal(loaded["x"].numpy(), array)
    np.testing.assert_array_equal(loaded["t"].numpy(), array.T)
    assert loaded["tied"] is loaded["x"]
    mapped = torch.load(path, weights_only=True, mmap=True)  # storages are 64-byte aligned, as torch needs
    np.testing.assert_array_equal(mapped["x"].numpy(), array)


def test_views_we_save_share_one_storage_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    base = tl.arange(24.0).reshape(4, 6)
    lone = tl.arange(1000.0)[10:13]  # a single small view is stored compactly, not with its whole buffer
    tl.save({"base": base, "rows": base[1:3], "cols": base[:, ::2], "t": base.t(), "lone": lone}, tmp_path / "v.pt",
            format="torch")
    loaded = torch.load(tmp_path / "v.pt", weights_only=True)
    for key, expected in (("rows", base[1:3]), ("cols", base[:, ::2]), ("t", base.t())):
        np.testing.assert_array_equal(loaded[key].numpy(), expected.numpy(), err_msg=key)
        assert loaded[key].untyped_storage().data_ptr() == loaded["base"].untyped_storage().data_ptr()
    loaded["base"][1, 0] = -1.0
    assert loaded["rows"][0, 0].item() == -1.0 and loaded["t"][0, 1].item() == -1.0
    assert loaded["lone"].untyped_storage().nbytes() == 12 and loaded["lone"].tolist() == [10.0, 11.0, 12.0]
    back = tl.load(tmp_path / "v.pt")  # and tensorlib reads them back as views of one buffer
    back["base"][2, 2] = 99.0
    assert back["rows"][1, 2].item() == 99.0


def test_model_and_optimizer_state_round_trip_through_torch(tmp_path):
    torch = pytest.importorskip("torch")
    model = tl.nn.Sequential(tl.nn.Linear(4, 3), tl.nn.BatchNorm1d(3))
    optimizer = tl.optim.Adam(model.parameters(), lr=0.01)
    model(tl.randn(5, 4)).sum().backward()
    optimizer.step()
    path = tmp_path / "ckpt.pt"
    tl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, path, format="torch")
    theirs = torch.load(path, weights_only=True)
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    torch_model.load_state_dict(theirs["model"])
    torch_optimizer = torch.optim.Adam(torch_model.parameters(), lr=0.01)
    torch_optimizer.load_state_dict(theirs["optimizer"])
    assert theirs["epoch"] == 3
    # and back: a torch-written checkpoint restores a tensorlib model and optimizer
    torch.save({"model": torch_model.state_dict(), "optimizer": torch_optimizer.state_dict()}, path)
    back = tl.load(path)
    fresh = tl.nn.Sequential(tl.nn.Linear(4, 3), tl.nn.BatchNorm1d(3))
    fresh.load_state_dict(back["model"])
    fresh_optimizer = tl.optim.Adam(fresh.parameters(), lr=0.01)
    fresh_optimizer.load_state_dict(back["optimizer"])
    for (name, ours), theirs_param in zip(fresh.state_dict().items(), torch_model.state_dict().values()):
        np.testing.assert_allclose(ours.numpy(), theirs_param.numpy(), err_msg=name)
    assert back["optimizer"]["state"][0]["exp_avg"].shape == (3, 4)


def test_torch_refuses_nothing_we_write_for_nested_containers(tmp_path):
    torch = pytest.importorskip("torch")
    obj = {"a": [1, 2.5, "s", None, True, (tl.ones(1), {"k": tl.zeros(2)})], "o": OrderedDict(x=1), "s": {3},
           "b": b"x", "c": 1 + 2j}
    tl.save(obj, tmp_path / "n.pt", format="torch")
    loaded = torch.load(tmp_path / "n.pt", weights_only=True)
    assert loaded["a"][:5] == [1, 2.5, "s", None, True] and loaded["o"] == OrderedDict(x=1)
    assert loaded["s"] == {3} and loaded["b"] == b"x" and loaded["c"] == 1 + 2j
    assert torch.equal(loaded["a"][5][1]["k"], torch.zeros(2))
