"""Bad files (truncated, tampered, unknown version, unknown op) and bad inputs (count, dtype, shape)."""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import nn
from tensorlib.jit import runtime
from tensorlib.serialization import CorruptFileError


@pytest.fixture
def saved(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    path = tmp_path / "model.tlj"
    tl.jit.trace(model, tl.randn(2, 4)).save(path)
    return path


def rewrite_graph(path, change):
    """Edit the graph JSON and re-sign it (a well-formed file with different content)."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    graph = json.loads(header["__metadata__"][runtime.FORMAT])
    change(graph)
    text = json.dumps(graph)
    header["__metadata__"][runtime.FORMAT] = text
    header["__metadata__"]["graph_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + raw[8 + length:])


def test_truncated_file(saved):
    saved.write_bytes(saved.read_bytes()[:-10])
    with pytest.raises(CorruptFileError, match="truncated"):
        tl.jit.load(saved)


def test_tampered_weights(saved):
    raw = bytearray(saved.read_bytes())
    raw[-3] ^= 0xFF
    saved.write_bytes(bytes(raw))
    with pytest.raises(CorruptFileError, match="checksum mismatch: the tensor data"):
        tl.jit.load(saved)


def test_tampered_graph(saved):
    raw = saved.read_bytes()
    saved.write_bytes(raw.replace(b'relu', b'tanh', 1))
    with pytest.raises(CorruptFileError, match="checksum mismatch: the graph"):
        tl.jit.load(saved)


def test_unknown_format_version(saved):
    rewrite_graph(saved, lambda g: g.update(version=99))
    with pytest.raises(CorruptFileError, match="unknown format version 99"):
        tl.jit.load(saved)


def test_plain_checkpoint_is_not_a_graph(tmp_path):
    tl.save(nn.Linear(2, 2).state_dict(), tmp_path / "weights.pt")
    with pytest.raises(CorruptFileError, match="no traced graph"):
        tl.jit.load(tmp_path / "weights.pt")


def test_unknown_op_is_named(saved):
    rewrite_graph(saved, lambda g: g["nodes"][1].update(op="swish_v9"))
    with pytest.raises(runtime.UnsupportedOpError, match="'swish_v9' is not known"):
        runtime.load(str(saved))


def test_wrong_input_count_dtype_and_shape_name_the_signature(saved):
    model = tl.jit.load(saved)
    with pytest.raises(TypeError, match=r"expected 1 input\(s\) \(input: float32\[N, 4\]\), got 2"):
        model(tl.ones(1, 4), tl.ones(1, 4))
    with pytest.raises(TypeError, match=r"input 'input' has dtype float64, expected float32"):
        model(tl.ones(1, 4, dtype=tl.float64))
    with pytest.raises(ValueError, match=r"input 'input' has shape \[1, 5\], expected \[N, 4\]"):
        model(tl.ones(1, 5))


def test_save_is_atomic_and_needs_a_traced_module(tmp_path):
    with pytest.raises(TypeError, match="trace it first"):
        tl.jit.save(nn.Linear(2, 2), tmp_path / "x.tlj")
    assert list(tmp_path.iterdir()) == []


def test_runtime_is_standalone_source():
    source = open(runtime.__file__).read()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all("tensorlib" not in line and not line.startswith("from .") for line in imports)
    assert np.__name__ in " ".join(imports)
