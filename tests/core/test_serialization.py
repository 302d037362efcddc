"""save/load: round trips, the safetensors layout, atomic writes, and detection of damaged files."""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.serialization import CorruptFileError


def _state():
    return OrderedDict([("layer.weight", tl.randn(3, 4)), ("layer.bias", tl.zeros(3)),
                        ("steps", tl.tensor(5)), ("mask", tl.tensor([True, False])),
                        ("half", tl.ones(2, dtype=tl.float16)), ("double", tl.ones(2, dtype=tl.float64))])


def test_flat_state_dict_round_trip(tmp_path):
    state = _state()
    path = tmp_path / "model.safetensors"
    tl.save(state, path)
    loaded = tl.load(path)
    assert list(loaded) == list(state)
    for key in state:
        assert loaded[key].dtype == state[key].dtype
        np.testing.assert_array_equal(loaded[key].numpy(), state[key].numpy())


def test_nested_objects_round_trip(tmp_path):
    obj = {"model": _state(), "optimizer": {"state": {0: {"step": tl.tensor(3.0), "buf": tl.ones(2)}},
                                            "param_groups": [{"lr": 0.1, "params": [0, 1], "betas": (0.9, 0.99),
                                                              "nesterov": False, "name": None}]},
           "epoch": 7, "loss": float("nan"), "inf": float("inf"), "rng": tl.get_rng_state(),
           "tags": ("a", "b"), "raw": b"\x00\x01", "dtype": tl.float64, "array": np.arange(3)}
    path = tmp_path / "ckpt.pt"
    tl.save(obj, path)
    loaded = tl.load(path)
    assert loaded["epoch"] == 7 and np.isnan(loaded["loss"]) and loaded["inf"] == float("inf")
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.99)
    assert loaded["optimizer"]["param_groups"][0]["name"] is None
    assert list(loaded["optimizer"]["state"]) == [0]
    assert loaded["optimizer"]["state"][0]["buf"].tolist() == [1.0, 1.0]
    assert loaded["tags"] == ("a", "b") and loaded["raw"] == b"\x00\x01" and loaded["dtype"] is tl.float64
    np.testing.assert_array_equal(loaded["array"], np.arange(3))
    tl.set_rng_state(loaded["rng"])


def test_single_tensor_and_parameter_round_trip(tmp_path):
    t = tl.arange(6).reshape(2, 3)
    tl.save(t, tmp_path / "t.pt")
    assert tl.load(tmp_path / "t.pt").tolist() == t.tolist()
    p = tl.nn.Parameter(tl.ones(2))
    tl.save({"p": p}, tmp_path / "p.pt")
    loaded = tl.load(tmp_path / "p.pt")["p"]
    assert isinstance(loaded, tl.nn.Parameter) and loaded.requires_grad


def test_file_layout_is_safetensors(tmp_path):
    path = tmp_path / "m.safetensors"
    tl.save({"w": tl.ones(2, 2)}, path)
    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    import json

    header = json.loads(raw[8:8 + header_len])
    assert header["w"] == {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    assert len(raw) == 8 + header_len + 16


def test_safetensors_package_reads_our_files_and_we_read_theirs(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    state = _state()
    tl.save(state, tmp_path / "ours.safetensors")
    theirs = safetensors_numpy.load_file(str(tmp_path / "ours.safetensors"))
    for key in state:
        np.testing.assert_array_equal(theirs[key], state[key].numpy())
    safetensors_numpy.save_file({"a": np.arange(4, dtype=np.int32)}, str(tmp_path / "theirs.safetensors"))
    assert tl.load(tmp_path / "theirs.safetensors")["a"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("name,obj", [("flat", {"w": tl.ones(10)}), ("nested", {"w": [tl.ones(10)], "n": 1})])
def test_truncated_and_tampered_files_raise(tmp_path, name, obj):
    path = tmp_path / "f.pt"
    tl.save(obj, path)
    raw = path.read_bytes()
    path.write_bytes(raw[:-5])
    with pytest.raises(CorruptFileError):
        tl.load(path)
    tampered = bytearray(raw)
    tampered[-3] ^= 0xFF
    path.write_bytes(bytes(tampered))
    with pytest.raises(CorruptFileError):
        tl.load(path)
    path.write_bytes(b"")
    with pytest.raises(CorruptFileError):
        tl.load(path)


def test_pickle_files_are_refused(tmp_path):
    import pickle
    import zipfile

    # PyTorch files are read by a restricted unpickler (tests/core/test_torch_format.py): code is refused
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R.")
    with pytest.raises(pickle.UnpicklingError, match="os.system"):
        tl.load(path)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    tl.save({"w": tl.ones(2)}, path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        tl.save({"w": tl.zeros(2)}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_unsupported_objects_are_rejected(tmp_path):
    with pytest.raises(TypeError, match="can't store"):
        tl.save({"f": lambda: 1}, tmp_path / "x.pt")


def test_file_objects(tmp_path):
    import io

    buffer = io.BytesIO()
    tl.save({"a": tl.ones(1)}, buffer)
    buffer.seek(0)
    assert tl.load(buffer)["a"].tolist() == [1.0]


def test_zero_dim_tensors_keep_their_shape(tmp_path):
    tl.save({"step": tl.tensor(3.0), "count": tl.tensor(7)}, tmp_path / "s.pt")
    loaded = tl.load(tmp_path / "s.pt")
    assert loaded["step"].shape == () and loaded["count"].shape == () and loaded["count"].item() == 7
    tl.save({"nested": [tl.tensor(1.5)]}, tmp_path / "n.pt")
    assert tl.load(tmp_path / "n.pt")["nested"][0].shape == ()
