"""Fuzzing every file reader: valid files of each format, mutated (bit flips, truncation, byte and JSON-token
rewrites of the header), must either load or raise the documented error; a checkpoint that loads must hold
exactly what was saved. Bounded: about a second per format (60 examples each, no deadline)."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import struct
import sys
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tensorlib as tl
from tensorlib.datasets._errors import CorruptDatasetError
from tensorlib.datasets._idx import read_idx
from tensorlib.datasets._matlab import load_mat
from tensorlib.datasets.cifar import _parse_batch
from tensorlib.datasets.text import TextClassificationDataset
from tensorlib.serialization import CorruptFileError
from tensorlib.text import Vocab
from tensorlib.text.bpe import BPETokenizer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "datasets"))
from dataset_files import idx_bytes, mat_v5_bytes  # noqa: E402

# TENSORLIB_FUZZ_EXAMPLES=5000 for a longer local campaign
FUZZ = settings(max_examples=int(os.environ.get("TENSORLIB_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_TOKEN = re.compile(rb'-?\d+|"[^"\\]*"|true|false|null')
_ODD_VALUES = [b"-1", b"0", b"1e309", b"9" * 30, b"4294967296", b"18446744073709551616", b'"x"', b'"F64"',
               b'"BOOL"', b"[]", b"{}", b"null", b"true", b"[-1]", b"[0, 0]", b"1.5"]


@st.composite
def mutated(draw, raw: bytes, header: tuple[int, int] = (0, 64), length_prefix: bool = False) -> bytes:
    """``raw`` after one mutation. ``header`` is the (start, stop) of its header; with ``length_prefix``
    (safetensors) a rewritten JSON header gets a consistent length, so deeper checks are reached."""
    kind = draw(st.sampled_from(["flip", "truncate", "rewrite", "token"]))
    start, stop = header
    if kind == "flip":
        data = bytearray(raw)
        for position, bit in draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 7)),
                                           min_size=1, max_size=3)):
            data[position] ^= 1 << bit
        return bytes(data)
    if kind == "truncate":
        return raw[:draw(st.integers(0, len(raw) - 1))]
    if kind == "rewrite":
        at = draw(st.integers(0, max(0, min(stop, len(raw)) - 1)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at + draw(st.integers(0, 8)):]
    tokens = list(_TOKEN.finditer(raw, start, stop))
    if not tokens:
        return raw
    token = draw(st.sampled_from(tokens))
    body = raw[start:token.start()] + draw(st.sampled_from(_ODD_VALUES)) + raw[token.end():stop]
    if length_prefix:
        return struct.pack("<Q", len(body)) + body + raw[stop:]
    return raw[:start] + body + raw[stop:]


# ------------------------------------------------------------------------------------------ checkpoints
def _same(a, b) -> bool:
    if isinstance(a, tl.Tensor):
        return (isinstance(b, tl.Tensor) and type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and a.requires_grad == b.requires_grad and np.array_equal(a.numpy(), b.numpy()))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


_FLAT = OrderedDict([("layer.weight", tl.arange(12, dtype=tl.float32).reshape(3, 4)),
                     ("layer.bias", tl.tensor([1.5, -2.0, 0.25], dtype=tl.float64)),
                     ("steps", tl.tensor(5)), ("mask", tl.tensor([True, False, True])),
                     ("codes", tl.tensor([1, 2], dtype=tl.int32))])
_NESTED = {"model": _FLAT, "epoch": 3, "loss": float("nan"), "tags": ("a", "b"), "raw": b"\x00\x01",
           "optimizer": {"state": {0: {"step": tl.tensor(2.0)}}, "param_groups": [{"lr": 0.1, "params": [0]}]},
           "p": tl.nn.Parameter(tl.ones(2)), "array": np.arange(3), "dtype": tl.float16}


def _saved(obj) -> bytes:
    buffer = io.BytesIO()
    tl.save(obj, buffer)
    return buffer.getvalue()


_FLAT_RAW = _saved(_FLAT)
_FLAT_HEADER = (8, 8 + int.from_bytes(_FLAT_RAW[:8], "little"))
_NESTED_RAW = _saved(_NESTED)


def _load_checked(raw: bytes, original) -> None:
    try:
        loaded = tl.load(io.BytesIO(raw))
    except CorruptFileError:
        return
    assert _same(original, loaded), "a damaged checkpoint loaded with different values"


@FUZZ
@given(mutated(_FLAT_RAW, _FLAT_HEADER, length_prefix=True))
def test_fuzz_flat_checkpoint(raw):
    _load_checked(raw, _FLAT)


@FUZZ
@given(mutated(_NESTED_RAW, (0, len(_NESTED_RAW))))
def test_fuzz_zip_checkpoint(raw):
    _load_checked(raw, _NESTED)


def _foreign_safetensors() -> bytes:
    header = {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
              "b": {"dtype": "I64", "shape": [], "data_offsets": [16, 24]}}
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + np.ones(4, "<f4").tobytes() + np.int64(3).tobytes()


_FOREIGN = _foreign_safetensors()


@FUZZ
@given(mutated(_FOREIGN, (8, 8 + int.from_bytes(_FOREIGN[:8], "little")), length_prefix=True))
def test_fuzz_foreign_safetensors_only_documented_errors(raw):
    try:  # no digest: a flipped data bit loads as a different number, but nothing else may escape
        loaded = tl.load(io.BytesIO(raw))
    except CorruptFileError:
        return
    # what loads is a state_dict whose tensors exactly fill the data section the header describes
    assert isinstance(loaded, dict) and all(isinstance(v, tl.Tensor) for v in loaded.values())
    header_len = int.from_bytes(raw[:8], "little")
    assert sum(v.numpy().nbytes for v in loaded.values()) == len(raw) - 8 - header_len


# ------------------------------------------------------------------------------------------ datasets
def _raises_only_documented(read, raw: bytes, tmp_path_factory, name: str, errors=(CorruptDatasetError,)):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(raw)
    try:
        read(str(path))
    except errors as error:
        assert str(path) in str(error)


_IDX = idx_bytes(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))
_CIFAR = pickle.dumps({"data": np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072) % 251, "labels": [3, 7],
                       "batch_label": "b", "filenames": ["a.png", "b.png"]}, protocol=2)
_MAT = mat_v5_bytes({"X": np.ones((32, 32, 3, 2), np.uint8), "y": np.array([[1], [10]], np.uint8)},
                    compress=True)
_MAT_PLAIN = mat_v5_bytes({"y": np.array([[1, 2], [3, 4]], np.float64)}, compress=False)
_CSV = b'label,text\n1,"hello, world"\n2,"two\nlines"\n3,plain\n'


@FUZZ
@given(mutated(_IDX, (0, 16)))
def test_fuzz_idx(tmp_path_factory, raw):
    _raises_only_documented(read_idx, raw, tmp_path_factory, "train-images-idx3-ubyte")


@FUZZ
@given(mutated(_CIFAR, (0, len(_CIFAR))))
def test_fuzz_cifar_batch(tmp_path_factory, raw):
    _raises_only_documented(_parse_batch, raw, tmp_path_factory, "data_batch_1")


@FUZZ
@given(st.one_of(mutated(_MAT, (0, 200)), mutated(_MAT_PLAIN, (116, len(_MAT_PLAIN)))))
def test_fuzz_mat(tmp_path_factory, raw):
    _raises_only_documented(load_mat, raw, tmp_path_factory, "train_32x32.mat")


@FUZZ
@given(mutated(_CSV, (0, len(_CSV))))
def test_fuzz_csv(tmp_path_factory, raw):
    _raises_only_documented(TextClassificationDataset, raw, tmp_path_factory, "data.csv")


# ------------------------------------------------------------------------------------------ text
_VOCAB = json.dumps({"type": "tensorlib.Vocab", "version": 1, "itos": ["<unk>", "a", "b"],
                     "default_index": 0}).encode()
_BPE = json.dumps({"type": "tensorlib.BPETokenizer", "version": 1, "pattern": r"\w+|\s+",
                   "special_tokens": ["<eos>"], "merges": [[97, 98], [256, 99]]}).encode()


@FUZZ
@given(mutated(_VOCAB, (0, len(_VOCAB))))
def test_fuzz_vocab(tmp_path_factory, raw):
    _raises_only_documented(Vocab.load, raw, tmp_path_factory, "vocab.json", ValueError)


@FUZZ
@given(mutated(_BPE, (0, len(_BPE))))
def test_fuzz_bpe(tmp_path_factory, raw):
    _raises_only_documented(BPETokenizer.load, raw, tmp_path_factory, "bpe.json", ValueError)


@pytest.mark.parametrize("raw,original", [(_FLAT_RAW, _FLAT), (_NESTED_RAW, _NESTED)], ids=["flat", "nested"])
def test_unmutated_checkpoints_load_exactly(raw, original):
    assert _same(original, tl.load(io.BytesIO(raw)))
