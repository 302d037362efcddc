"""CIFAR10/100 from python-pickle batches, and the restricted unpickler."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from dataset_files import md5_of, tar_gz_bytes
from PIL import Image

from tensorlib.datasets import CIFAR10, CIFAR100, cifar
from tensorlib.datasets._safe_pickle import safe_loads


def test_download_and_items(cifar_server, cifar_files, tmp_path):
    ds = CIFAR10(str(tmp_path), train=True, download=True)
    assert (tmp_path / "cifar-10-batches-py" / "data_batch_3").exists()
    assert (tmp_path / "cifar-10-python.tar.gz").exists()
    expected = cifar_files.train_data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    assert ds.data.dtype == np.uint8 and ds.data.shape == (20, 32, 32, 3)
    np.testing.assert_array_equal(ds.data, expected)
    assert ds.targets == cifar_files.train_labels and all(type(t) is int for t in ds.targets)
    assert ds.classes == cifar_files.label_names and ds.class_to_idx["truck"] == 9
    img, target = ds[5]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), expected[5])
    assert target == cifar_files.train_labels[5]
    with pytest.raises(IndexError):
        ds[20]
    test = CIFAR10(str(tmp_path), train=False)
    assert len(test) == 3 and test.targets == cifar_files.test_labels


def test_second_load_uses_cache(cifar_server, cifar_files, tmp_path, monkeypatch):
    CIFAR10(str(tmp_path), download=True)
    assert (tmp_path / "cifar-10-batches-py" / "data_batch_1.npy").exists()

    def parse_forbidden(path):
        raise AssertionError("batches must come from the .npy cache")

    monkeypatch.setattr(cifar, "_parse_batch", parse_forbidden)
    assert len(CIFAR10(str(tmp_path))) == 20


def test_download_false_on_prepared_root(cifar_files, tmp_path):
    for name, data in cifar_files.members.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert len(CIFAR10(str(tmp_path), train=False)) == 3


def test_corrupt_member_rejected(server, cifar_files, tmp_path, monkeypatch):
    members = dict(cifar_files.members)
    members["cifar-10-batches-py/test_batch"] = pickle.dumps({"data": np.zeros((3, 3072), np.uint8),
                                                             "labels": [0, 0, 0]}, protocol=2)
    server.add_file("c/cifar-10-python.tar.gz", tar_gz_bytes(members))
    monkeypatch.setattr(CIFAR10, "mirrors", [server.url("c/")])
    monkeypatch.setattr(CIFAR10, "tgz_md5", "f" * 32)
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch",
                                                md5_of(cifar_files.members["cifar-10-batches-py/test_batch"])]])
    monkeypatch.setattr(CIFAR10, "train_list", [])
    monkeypatch.setattr(CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names", "md5": None})
    with pytest.raises(RuntimeError, match="test_batch: expected md5"):
        CIFAR10(str(tmp_path), train=False, download=True)
    assert not (tmp_path / "cifar-10-batches-py").exists()
    assert not (tmp_path / "cifar-10-python.tar.gz").exists()


def test_cifar100_fine_labels(cifar_files, tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    data = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    batch = {"data": data, "fine_labels": [7, 99], "coarse_labels": [1, 2]}
    for name in ("train", "test"):
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [f"class{i}" for i in range(100)]
    (folder / "meta").write_bytes(pickle.dumps({"fine_label_names": names, "coarse_label_names": []}))
    ds = CIFAR100(str(tmp_path))
    assert ds.targets == [7, 99] and ds.classes[99] == "class99" and ds.data.shape == (2, 32, 32, 3)


def test_wrong_batch_contents_named(cifar_files, tmp_path):
    for name, data in cifar_files.members.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    bad = tmp_path / "cifar-10-batches-py" / "test_batch"
    bad.write_bytes(pickle.dumps({"data": np.zeros((3, 100), np.uint8), "labels": [0, 1, 2]}))
    with pytest.raises(RuntimeError, match="test_batch.*shape"):
        CIFAR10(str(tmp_path), train=False)
    bad.write_bytes(b"garbage")
    with pytest.raises(Exception, match="test_batch"):
        CIFAR10(str(tmp_path), train=False)


class _RunsShell:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


class _Eval:
    def __reduce__(self):
        return (eval, ("1+1",))


@pytest.mark.parametrize("payload", [_RunsShell(), _Eval()])
def test_restricted_unpickler_refuses_code(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = pickle.dumps({"data": payload})
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        safe_loads(data)
    assert not (tmp_path / "pwned.txt").exists()


def test_malicious_batch_file_refused_by_dataset(cifar_files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, data in cifar_files.members.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps({"data": _RunsShell()}))
    with pytest.raises(pickle.UnpicklingError, match="test_batch"):
        CIFAR10(str(tmp_path), train=False)
    assert not (tmp_path / "pwned.txt").exists()


def test_restricted_unpickler_rebuilds_arrays_bytes_and_python2_pickles():
    value = {"a": np.arange(6, dtype=np.int32).reshape(2, 3), "b": [1, "x", b"\x00\xff"], "c": 1.5}
    out = safe_loads(pickle.dumps(value, protocol=2))
    np.testing.assert_array_equal(out["a"], value["a"])
    assert out["b"] == value["b"] and out["c"] == 1.5
    out = safe_loads(pickle.dumps(value, protocol=5))
    np.testing.assert_array_equal(out["a"], value["a"])
    # A Python 2 cPickle of {'data': uint8 array [1, 2]} as in the upstream batches (str payload, latin1).
    py2 = (b"\x80\x02}q\x01U\x04dataq\x02cnumpy.core.multiarray\n_reconstruct\nq\x03cnumpy\nndarray\nq\x04"
           b"K\x00\x85U\x01b\x87Rq\x05(K\x01K\x02\x85cnumpy\ndtype\nq\x06U\x02u1K\x00K\x01\x87Rq\x07"
           b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x02\x01\x02tbs.")
    out = safe_loads(py2)
    np.testing.assert_array_equal(out["data"], np.array([1, 2], np.uint8))
