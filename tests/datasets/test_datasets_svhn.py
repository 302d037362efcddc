"""SVHN and the MATLAB level-5 reader."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_files import mat_v5_bytes, md5_of
from PIL import Image

from tensorlib.datasets import SVHN
from tensorlib.datasets._matlab import load_mat


def _svhn_arrays(n=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = np.array([[10], [1], [2], [10], [9]], dtype=np.float64)[:n]
    return x, y


@pytest.mark.parametrize("compress", [True, False])
def test_load_mat_round_trip(tmp_path, compress):
    x, y = _svhn_arrays()
    ints = np.arange(6, dtype=np.int32).reshape(2, 3)
    path = tmp_path / "a.mat"
    path.write_bytes(mat_v5_bytes({"X": x, "y": y, "ints": ints}, compress=compress))
    out = load_mat(str(path))
    np.testing.assert_array_equal(out["X"], x)
    np.testing.assert_array_equal(out["y"], y)
    np.testing.assert_array_equal(out["ints"], ints)
    assert out["X"].dtype == np.uint8 and out["y"].dtype == np.float64


def test_load_mat_narrow_storage_and_scipy_agreement(tmp_path):
    _, y = _svhn_arrays()
    path = tmp_path / "n.mat"
    path.write_bytes(mat_v5_bytes({"y": y}, stored_as=np.uint8))  # doubles stored as uint8, as MATLAB does
    out = load_mat(str(path))
    assert out["y"].dtype == np.float64
    np.testing.assert_array_equal(out["y"], y)
    scipy_io = pytest.importorskip("scipy.io")
    x, y = _svhn_arrays()
    scipy_io.savemat(str(tmp_path / "s.mat"), {"X": x, "y": y}, do_compression=True)
    out = load_mat(str(tmp_path / "s.mat"))
    np.testing.assert_array_equal(out["X"], x)
    np.testing.assert_array_equal(out["y"], y)


def test_load_mat_rejects_other_formats(tmp_path):
    path = tmp_path / "bad.mat"
    path.write_bytes(b"\x89HDF\r\n" + b"\0" * 200)
    with pytest.raises(RuntimeError, match="bad.mat.*level-5"):
        load_mat(str(path))


def test_svhn_download_and_items(server, tmp_path, monkeypatch):
    x, y = _svhn_arrays()
    data = mat_v5_bytes({"X": x, "y": y})
    server.add_file("svhn/test_32x32.mat", data)
    monkeypatch.setattr(SVHN, "mirrors", [server.url("svhn/")])
    entry = ["http://127.0.0.1:9/never.mat", "test_32x32.mat", md5_of(data)]
    monkeypatch.setitem(SVHN.split_list, "test", entry)
    ds = SVHN(str(tmp_path), split="test", download=True)
    assert (tmp_path / "test_32x32.mat").exists()
    assert ds.data.shape == (5, 3, 32, 32) and ds.data.dtype == np.uint8
    assert ds.labels.tolist() == [0, 1, 2, 0, 9] and ds.targets is ds.labels
    img, target = ds[4]
    assert isinstance(img, Image.Image) and img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), x[:, :, :, 4])
    assert target == 9 and type(target) is int
    with pytest.raises(IndexError):
        ds[5]
    again = SVHN(str(tmp_path), split="test")
    np.testing.assert_array_equal(again.data, ds.data)
    assert (tmp_path / "test_32x32.mat.npy").exists()
    with pytest.raises(ValueError, match="split"):
        SVHN(str(tmp_path), split="valid")
