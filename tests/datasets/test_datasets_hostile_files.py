"""Hostile dataset files: every malformed input raises CorruptDatasetError naming the file and the fault."""

from __future__ import annotations

import pickle
import struct
import zlib

import numpy as np
import pytest
from dataset_files import idx_bytes, mat_v5_bytes

from tensorlib.datasets import AG_NEWS, TextClassificationDataset
from tensorlib.datasets._errors import CorruptDatasetError, UnsafePickleError
from tensorlib.datasets._idx import read_idx
from tensorlib.datasets._matlab import load_mat
from tensorlib.datasets.cifar import _parse_batch


def test_error_type_is_both_value_and_runtime_error():
    assert issubclass(CorruptDatasetError, ValueError) and issubclass(CorruptDatasetError, RuntimeError)
    assert issubclass(UnsafePickleError, pickle.UnpicklingError)


# ------------------------------------------------------------------------------------------ IDX
def _idx(type_code: int, dims, payload: bytes = b"") -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + np.asarray(dims, ">i4").tobytes() + payload


IDX_CASES = [
    ("empty", b"", "not an IDX file"),
    ("bad magic", b"\x01\x00\x08\x01" + b"\x00" * 8, "not an IDX file"),
    ("bad type code", b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "type code"),
    ("truncated header", b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
    ("negative dim", _idx(0x08, [-1, 4]), "negative dimension"),
    ("overflowing dims", _idx(0x08, [2**31 - 1] * 3), "but the file has"),
    ("size mismatch", _idx(0x08, [2, 3], b"\x00" * 5), "(18 bytes), but the file has 17 bytes"),
    ("trailing bytes", _idx(0x08, [2], b"\x00" * 3), "but the file has"),
    ("too many dims", bytes([0, 0, 8, 200]) + b"\x00\x00\x00\x01" * 200 + b"\x00", "200 dimensions"),
]


@pytest.mark.parametrize("name,raw,fragment", IDX_CASES, ids=[c[0] for c in IDX_CASES])
def test_idx_table(tmp_path, name, raw, fragment):
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(raw)
    with pytest.raises(CorruptDatasetError) as info:
        read_idx(str(path))
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_idx_valid_round_trip(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "ok").write_bytes(idx_bytes(array))
    np.testing.assert_array_equal(read_idx(str(tmp_path / "ok"), expected_ndim=3), array)


# ------------------------------------------------------------------------------------------ CIFAR
class _Shell:
    def __reduce__(self):
        import os

        return (os.system, ("true",))


def _batch(**overrides) -> bytes:
    batch = {"data": np.zeros((2, 3072), np.uint8), "labels": [1, 2]}
    batch.update(overrides)
    return pickle.dumps(batch, protocol=2)


CIFAR_CASES = [
    ("empty", b"", CorruptDatasetError, "not a valid pickled dataset file"),
    ("garbage", b"\x80\x02garbage", CorruptDatasetError, "not a valid pickled dataset file"),
    ("truncated", _batch()[:-20], CorruptDatasetError, "not a valid pickled dataset file"),
    ("not a dict", pickle.dumps([1, 2], protocol=2), CorruptDatasetError, "expected a pickled dict"),
    ("string labels", _batch(labels=["a", "b"]), CorruptDatasetError, "list of ints"),
    ("ragged labels", _batch(labels=[[1], [2, 3]]), CorruptDatasetError, "list of ints"),
    ("float labels", _batch(labels=np.array([1.0, 2.0])), CorruptDatasetError, "list of ints"),
    ("huge labels", _batch(labels=[1, 10**30]), CorruptDatasetError, "non-negative class indices"),
    ("negative labels", _batch(labels=[1, -1]), CorruptDatasetError, "non-negative class indices"),
    ("label count", _batch(labels=[1]), CorruptDatasetError, "expected 2 labels"),
    ("data wrong dtype", _batch(data=np.zeros((2, 3072), np.float32)), CorruptDatasetError, "uint8 array"),
    ("data wrong shape", _batch(data=np.zeros((2, 3071), np.uint8)), CorruptDatasetError, "uint8 array"),
    ("code", pickle.dumps({"data": _Shell()}, protocol=2), UnsafePickleError, "refusing to load global"),
    ("object dtype", pickle.dumps({"data": np.array([1, "x"], dtype=object)}, protocol=2), UnsafePickleError,
     "Python objects"),
    ("direct ndarray call", b"\x80\x02cnumpy\nndarray\nJ\x00\xca\x9a;\x85R.", UnsafePickleError,
     "numpy.ndarray directly"),
    ("other codec", b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x04\x00\x00\x00zlib\x86R.", UnsafePickleError,
     "encoding 'zlib'"),
]


@pytest.mark.parametrize("name,raw,error,fragment", CIFAR_CASES, ids=[c[0] for c in CIFAR_CASES])
def test_cifar_batch_table(tmp_path, name, raw, error, fragment):
    path = tmp_path / "data_batch_1"
    path.write_bytes(raw)
    with pytest.raises(error) as info:
        _parse_batch(str(path))
    assert str(path) in str(info.value) and fragment in str(info.value)


# ------------------------------------------------------------------------------------------ .mat
_GOOD_MAT = mat_v5_bytes({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1], [10]], np.uint8)},
                         compress=False)


def _matrix(flags: bytes, dims: bytes, name: bytes, data: bytes, dims_kind: int = 5, data_kind: int = 2) -> bytes:
    def element(kind, payload):
        return struct.pack("<II", kind, len(payload)) + payload + b"\0" * (-len(payload) % 8)

    body = element(6, flags) + element(dims_kind, dims) + element(1, name) + element(data_kind, data)
    return struct.pack("<II", 14, len(body)) + body


def _mat(*elements: bytes) -> bytes:
    return _GOOD_MAT[:128] + b"".join(elements)


_FLAGS = struct.pack("<II", 9, 0)  # class uint8
_bomb = zlib.compress(b"\0" * (64 << 20))
MAT_CASES = [
    ("short", b"MATLAB", "only 6 bytes"),
    ("hdf5", b"\0" * 124 + b"\x00\x02IM", "level-5"),
    ("truncated element", _GOOD_MAT[:-10], "needs"),
    ("tag cut", _GOOD_MAT[:128] + b"\x0e\x00\x00\x00\x10", "truncated element tag"),
    ("small element too big", _mat(struct.pack("<HH", 2, 9) + b"\0" * 4), "at most 4"),
    ("negative dims", _mat(_matrix(_FLAGS, np.array([-1, 2], "<i4").tobytes(), b"v", b"")), "non-negative"),
    ("dims mismatch", _mat(_matrix(_FLAGS, np.array([2, 2], "<i4").tobytes(), b"v", b"\0" * 3)), "but 3 values"),
    ("overflowing dims", _mat(_matrix(_FLAGS, np.array([2**31 - 1] * 4, "<i4").tobytes(), b"v", b"\0")), "values"),
    ("unknown data type", _mat(_matrix(_FLAGS, np.array([1, 1], "<i4").tobytes(), b"v", b"\0", data_kind=99)),
     "unknown element type 99"),
    ("dims not int32", _mat(_matrix(_FLAGS, np.array([1, 1], "<f8").tobytes(), b"v", b"\0", dims_kind=9)),
     "int32"),
    ("ragged data", _mat(_matrix(_FLAGS, np.array([1, 1], "<i4").tobytes(), b"v", b"\0" * 3, data_kind=9)),
     "not a multiple"),
    ("non-ascii name", _mat(_matrix(_FLAGS, np.array([1, 1], "<i4").tobytes(), b"\xff", b"\0")), "not ASCII"),
    ("cell array", _mat(_matrix(struct.pack("<II", 1, 0), np.array([1, 1], "<i4").tobytes(), b"v", b"\0")),
     "class 1"),
    ("complex", _mat(_matrix(struct.pack("<II", 9 | 0x0800, 0), np.array([1, 1], "<i4").tobytes(), b"v", b"\0")),
     "complex"),
    ("duplicate name", _mat(*[_matrix(_FLAGS, np.array([1, 1], "<i4").tobytes(), b"v", b"\0")] * 2),
     "appears twice"),
    ("bad zlib", _mat(struct.pack("<II", 15, 8) + b"notzlib!"), "damaged"),
    ("truncated zlib", _mat(struct.pack("<II", 15, 20) + _bomb[:20]), "truncated"),
]


@pytest.mark.parametrize("name,raw,fragment", MAT_CASES, ids=[c[0] for c in MAT_CASES])
def test_mat_table(tmp_path, name, raw, fragment):
    path = tmp_path / "train_32x32.mat"
    path.write_bytes(raw)
    with pytest.raises(CorruptDatasetError) as info:
        load_mat(str(path))
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_mat_inflation_is_capped(tmp_path, monkeypatch):
    from tensorlib.datasets import _matlab

    monkeypatch.setattr(_matlab, "_MAX_INFLATED", 1 << 20)
    path = tmp_path / "bomb.mat"
    path.write_bytes(_mat(struct.pack("<II", 15, len(_bomb)) + _bomb))
    with pytest.raises(CorruptDatasetError, match="inflates beyond 1048576 bytes"):
        load_mat(str(path))


# ------------------------------------------------------------------------------------------ CSV text
CSV_CASES = [
    ("unclosed quote", b'label,text\n1,"fine"\n2,"never closed\n3,swallowed\n4,too\n', "line 3: a quoted field"),
    ("latin-1 byte", b"label,text\n1,ok\n2,caf\xe9\n", "line 3: byte b'\\xe9' is not utf-8"),
    ("junk after quote", b'label,text\n1,"a"b\n', "line 2: malformed CSV"),
    ("short row", b"label,text\n1,a\n2\n", "line 3: expected at least 2 fields"),
    ("missing column", b"lbl,text\n1,a\n", "no column 'label'"),
    ("empty", b"", "is empty"),
]


@pytest.mark.parametrize("name,raw,fragment", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv_table(tmp_path, name, raw, fragment):
    path = tmp_path / "data.csv"
    path.write_bytes(raw)
    with pytest.raises(CorruptDatasetError) as info:
        TextClassificationDataset(str(path))
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_multiline_quoted_fields_still_read_and_lines_counted(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b'label,text\n1,"two\nlines"\n2,"say ""hi"""\n3\n')
    with pytest.raises(CorruptDatasetError, match="line 5: expected at least 2 fields"):
        TextClassificationDataset(str(path))
    path.write_bytes(b'label,text\n1,"two\nlines"\n2,"say ""hi"""\n')
    ds = TextClassificationDataset(str(path))
    assert ds[0] == (1, "two\nlines") and ds[1] == (2, 'say "hi"')


@pytest.mark.parametrize("raw,fragment", [(b'1,"a,b\n2,c,d\n', "line 1: a quoted field"),
                                          (b"1,a,b\nx,c,d\n", "line 2: expected an AG_NEWS row"),
                                          (b"\xff1,a,b\n", "line 1: byte"),
                                          (b"1" * 50 + b",a,b\n", "line 1: expected an AG_NEWS row")])
def test_ag_news_rows(tmp_path, raw, fragment):
    path = tmp_path / "train.csv"
    path.write_bytes(raw)
    with pytest.raises(CorruptDatasetError) as info:
        AG_NEWS._read(str(path))
    assert str(path) in str(info.value) and fragment in str(info.value)


# ------------------------------------------------------------------------------------------ leftovers
def test_cache_write_removes_temporaries_of_dead_writers(tmp_path):
    import os
    import subprocess
    import sys

    from tensorlib.datasets._cache import save_atomic

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead_pid = int(finished.stdout)
    source = tmp_path / "images"
    source.write_bytes(b"raw")
    dead = tmp_path / f".images.npy.{dead_pid}-0123.tmp"
    live = tmp_path / f".images.npy.{os.getpid()}-4567.tmp"
    for leftover in (dead, live):
        leftover.write_bytes(b"partial")
        os.utime(leftover, (0, 0))
    save_atomic(str(source) + ".npy", np.arange(3), str(source))
    assert not dead.exists() and live.exists()
    np.testing.assert_array_equal(np.load(str(source) + ".npy"), np.arange(3))
