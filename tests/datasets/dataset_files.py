"""Small files in the exact upstream formats (idx gz, CIFAR pickles in tar.gz, AG_NEWS csv, IMDB tar.gz,
MATLAB 5 .mat), generated for the tensorlib.datasets tests. Imported by conftest.py and the test modules."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import pickle
import struct
import tarfile
import zlib
from dataclasses import dataclass
from typing import Dict, List

import numpy as np


def md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# ---------------------------------------------------------------- MNIST (idx, gzip)

def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array: magic 0x00 0x00 0x08 ndim, big-endian int32 dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


@dataclass
class MnistFiles:
    gz: Dict[str, bytes]            # upstream file name -> gzip bytes
    raw: Dict[str, bytes]           # decompressed file name -> idx bytes
    resources: List[tuple]          # (name, md5 of gz, md5 of payload), as MNIST.resources
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def make_mnist(n_train: int = 12, n_test: int = 5, seed: int = 0) -> MnistFiles:
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    raw = {name: idx_bytes(a) for name, a in arrays.items()}
    gz = {name + ".gz": gzip.compress(data, mtime=0) for name, data in raw.items()}
    resources = [(name + ".gz", md5_of(gz[name + ".gz"]), md5_of(raw[name])) for name in raw]
    return MnistFiles(gz, raw, resources,
                      arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"],
                      arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"])


# ---------------------------------------------------------------- CIFAR (python pickles in tar.gz)

@dataclass
class CifarFiles:
    tar_gz: bytes
    members: Dict[str, bytes]       # "cifar-10-batches-py/data_batch_1" -> pickle bytes
    train_data: np.ndarray          # (N, 3072) uint8 as stored upstream
    train_labels: List[int]
    test_data: np.ndarray
    test_labels: List[int]
    label_names: List[str]


def make_cifar10(per_batch: int = 4, n_test: int = 3, seed: int = 0) -> CifarFiles:
    rng = np.random.default_rng(seed)
    members, train_data, train_labels = {}, [], []
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(x) for x in rng.integers(0, 10, n)]
        batch = {"batch_label": f"{name} of 6", "labels": labels, "data": data,
                 "filenames": [f"img_{i}.png" for i in range(n)]}
        members[f"cifar-10-batches-py/{name}"] = pickle.dumps(batch, protocol=2)
        if name == "test_batch":
            test_data, test_labels = data, labels
        else:
            train_data.append(data)
            train_labels += labels
    label_names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    meta = {"num_cases_per_batch": per_batch, "label_names": label_names, "num_vis": 3072}
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps(meta, protocol=2)
    return CifarFiles(tar_gz_bytes(members), members, np.concatenate(train_data), train_labels, test_data,
                      test_labels, label_names)


def tar_gz_bytes(members: Dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# ---------------------------------------------------------------- AG_NEWS (csv) and IMDB (tar.gz)

AG_ROWS = {
    "train": [(3, "Wall St. Bears", "Short-sellers are seeing green again."),
              (4, "Space probe", "A probe, launched in 2004, reached \"orbit\"."),
              (1, "Summit ends", "Leaders met, then left."),
              (2, "Cup final", "Home side wins 2-1.")],
    "test": [(2, "Match report", "A draw."), (1, "Elections", "Results, due today.")],
}


def ag_news_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


IMDB_REVIEWS = {
    ("train", "neg"): ["Dull.", "Way <br /> too long."], ("train", "pos"): ["Loved it!"],
    ("test", "neg"): ["Bad."], ("test", "pos"): ["Great.", "Superb, \u00e9l\u00e9gant."],
}


def make_imdb_tar() -> bytes:
    members = {"aclImdb/imdb.vocab": b"the\na\n", "aclImdb/README": b"readme"}
    for (split, label), texts in IMDB_REVIEWS.items():
        for i, text in enumerate(texts):
            members[f"aclImdb/{split}/{label}/{i}_{7 if label == 'pos' else 2}.txt"] = text.encode()
    return tar_gz_bytes(members)


# ---------------------------------------------------------------- SVHN (MATLAB level-5 .mat)

_MX_CLASS = {np.dtype("f8"): 6, np.dtype("u1"): 9, np.dtype("i4"): 12}
_MI_TYPE = {np.dtype("f8"): 9, np.dtype("u1"): 2, np.dtype("i4"): 5}


def _mat_element(kind: int, payload: bytes, small_ok: bool = False) -> bytes:
    if small_ok and len(payload) <= 4:
        return struct.pack("<HH", kind, len(payload)) + payload.ljust(4, b"\0")
    return struct.pack("<II", kind, len(payload)) + payload + b"\0" * (-len(payload) % 8)


def mat_v5_bytes(variables: Dict[str, np.ndarray], compress: bool = True, stored_as=None) -> bytes:
    """A MATLAB level-5 file holding ``variables``; ``stored_as`` writes values in a narrower type."""
    out = b"MATLAB 5.0 MAT-file, written by tensorlib tests".ljust(116, b" ") + b"\0" * 8
    out += struct.pack("<H", 0x0100) + b"IM"
    for name, array in variables.items():
        array = np.asarray(array)
        values = array if stored_as is None else array.astype(stored_as)
        body = _mat_element(6, struct.pack("<II", _MX_CLASS[array.dtype], 0))
        body += _mat_element(5, np.asarray(array.shape, "<i4").tobytes())
        body += _mat_element(1, name.encode(), small_ok=True)
        body += _mat_element(_MI_TYPE[values.dtype], values.astype(values.dtype.newbyteorder("<"))
                             .tobytes(order="F"))
        element = struct.pack("<II", 14, len(body)) + body
        if compress:
            packed = zlib.compress(element)
            element = struct.pack("<II", 15, len(packed)) + packed
        out += element
    return out

