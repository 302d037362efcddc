"""Hostile checkpoint files: each malformed input raises CorruptFileError naming the file and the fault."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import warnings
import zipfile

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.serialization import CorruptFileError

DATA = os.path.join(os.path.dirname(__file__), "data")
W = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def _safetensors(header, data: bytes = b"\x00" * 8, raw_header: bytes | None = None) -> bytes:
    """A safetensors file with ``header`` as given (no digest: other tools' files carry none)."""
    encoded = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data


def _zip(members: list, stored: bool = True) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # zipfile warns about the duplicate names some cases need
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
            for name, content in members:
                archive.writestr(name, content)
    return buffer.getvalue()


def _structure(root) -> bytes:
    return json.dumps({"format": "tensorlib", "version": 1, "root": root}).encode()


def _tensors_part(structure: bytes, names=("t0",)) -> bytes:
    """A valid format-2 tensors part (with the digest of ``structure``) holding float32 tensors ``names``."""
    buffer = io.BytesIO()
    tl.save({"x": [tl.ones(2) for _ in names]}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        part = archive.read("tensors.safetensors")
    header_len = int.from_bytes(part[:8], "little")
    header = json.loads(part[8:8 + header_len])
    meta = header["__metadata__"]
    meta["structure_sha256"] = hashlib.sha256(structure).hexdigest()
    del meta["tensorlib_sha256"]
    meta["producer"] = "other"
    return _safetensors(header, part[8 + header_len:])


CASES = [
    # (id, file bytes, message fragment)
    ("empty", b"", "truncated"),
    ("short", b"\x01\x02", "truncated"),
    ("header longer than file", struct.pack("<Q", 1000) + b"{}", "exceeds the file size"),
    ("header not json", _safetensors(None, raw_header=b"{not json"), "not valid JSON"),
    ("header invalid utf8", _safetensors(None, raw_header=b'{"\xff": 1}'), "not UTF-8"),
    ("header is a list", _safetensors([1, 2]), "expected an object"),
    ("deep nesting", _safetensors(None, raw_header=b"[" * 5000 + b"]" * 5000), "nesting"),
    ("moderately deep nesting", _safetensors({"w": {"dtype": "F32", "shape": [[[[2]]]], "data_offsets": [0, 8]}}),
     "nesting depth"),
    ("huge integer", _safetensors(None, raw_header=b'{"w": {"dtype": "F32", "shape": [' + b"9" * 5000
                                  + b'], "data_offsets": [0, 8]}}'), "digits"),
    ("duplicate key", _safetensors(None, raw_header=b'{"w": ' + json.dumps(W).encode() + b', "w": '
                                   + json.dumps(W).encode() + b"}"), "duplicate key 'w'"),
    ("nan constant", _safetensors(None, raw_header=b'{"w": NaN}'), "NaN"),
    ("entry not an object", _safetensors({"w": [1, 2]}), "expected an entry"),
    ("missing dtype", _safetensors({"w": {"shape": [2], "data_offsets": [0, 8]}}), "expected an entry"),
    ("extra field", _safetensors({"w": dict(W, extra=1)}), "expected an entry"),
    ("unknown dtype", _safetensors({"w": dict(W, dtype="Q99")}), "unsupported dtype"),
    ("dtype not a string", _safetensors({"w": dict(W, dtype=3)}), "unsupported dtype"),
    ("negative dim", _safetensors({"w": dict(W, shape=[-2])}), "non-negative"),
    ("float dim", _safetensors({"w": dict(W, shape=[2.0])}), "non-negative"),
    ("bool dim", _safetensors({"w": dict(W, shape=[True, 2])}), "non-negative"),
    ("too many dims", _safetensors({"w": dict(W, shape=[1] * 65)}), "at most 64"),
    ("overflowing shape", _safetensors({"w": dict(W, shape=[2**40, 2**40, 2**40])}), "needs"),
    ("shape mismatch", _safetensors({"w": dict(W, shape=[3])}), "needs 12"),
    ("negative offset", _safetensors({"w": dict(W, data_offsets=[-8, 0])}), "0 <= start <= stop"),
    ("reversed offsets", _safetensors({"w": dict(W, data_offsets=[8, 0])}), "0 <= start <= stop"),
    ("offsets not a pair", _safetensors({"w": dict(W, data_offsets=[0])}), "0 <= start <= stop"),
    ("gap", _safetensors({"w": dict(W, data_offsets=[4, 12])}, b"\x00" * 12), "gap at byte 0"),
    ("overlap", _safetensors({"a": W, "b": W}, b"\x00" * 16), "overlaps"),
    ("trailing bytes", _safetensors({"w": W}, b"\x00" * 12), "4 bytes after"),
    ("truncated data", _safetensors({"w": W}, b"\x00" * 4), "truncated"),
    ("bad bool bytes", _safetensors({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x00\x07"),
     "0 and 1"),
    ("metadata not strings", _safetensors({"__metadata__": {"a": 1}, "w": W}), "__metadata__"),
    ("tensorlib without digest", _safetensors({"__metadata__": {"producer": "tensorlib"}, "w": W}),
     "digest is missing"),
    ("legacy digest mismatch", _safetensors({"__metadata__": {"sha256": "0" * 64}, "w": W}), "checksum mismatch"),
    ("gzip", gzip.compress(b"hello"), "gzip"),
    ("hdf5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 32, "HDF5"),
    ("npy", b"\x93NUMPY\x01\x00" + b"\x00" * 32, "NumPy .npy"),
    ("legacy pickle", pickle.dumps({"a": 1}, protocol=2), "PyTorch checkpoint (pickle)"),
    ("npz", _zip([("a.npy", b"x")]), "NumPy .npz"),
    ("other zip", _zip([("readme.txt", b"hi")]), "not a tensorlib checkpoint"),
    ("duplicate structure.json",
     _zip([("structure.json", _structure(None)), ("structure.json", _structure(None)),
           ("tensors.safetensors", b"")]), "duplicate members"),
    ("damaged zip", b"PK\x03\x04" + b"\x00" * 40, "damaged or truncated zip"),
]


@pytest.mark.parametrize("name,raw,fragment", CASES, ids=[c[0] for c in CASES])
def test_malformed_file_raises_corrupt_file_error_naming_file_and_fault(tmp_path, name, raw, fragment):
    path = tmp_path / "hostile.pt"
    path.write_bytes(raw)
    with pytest.raises(CorruptFileError) as info:
        tl.load(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


STRUCTURE_CASES = [
    ("root not tensorlib", json.dumps({"format": "other", "root": None}).encode(), "not a tensorlib structure"),
    ("structure is a list", b"[1]", "not a tensorlib structure"),
    ("unknown marker", _structure({"__evil__": 1, "x": [{"__tensor__": "t0"}]}), "unknown entry"),
    ("missing tensor", _structure([{"__tensor__": "t0"}, {"__tensor__": "t9"}]), "does not hold"),
    ("tensor twice", _structure([{"__tensor__": "t0"}, {"__tensor__": "t0"}]), "twice"),
    ("tensor unused", _structure([1]), "never referenced"),
    ("tensor key not str", _structure([{"__tensor__": 0}]), "must hold a string"),
    ("dict pairs malformed", _structure({"__dict__": [[1]], "x": 0}), "unknown entry"),
    ("dict pair not a pair", _structure([{"__tensor__": "t0"}, {"__dict__": [[1, 2, 3]]}]), "[key, value] pairs"),
    ("unhashable key", _structure([{"__tensor__": "t0"}, {"__dict__": [[[1], 2]]}]), "not hashable"),
    ("duplicate dict key", _structure([{"__tensor__": "t0"}, {"__dict__": [[1, 2], [1, 3]]}]), "duplicate keys"),
    ("bad float", _structure([{"__tensor__": "t0"}, {"__float__": "1e999999"}]), "__float__"),
    ("bad dtype", _structure([{"__tensor__": "t0"}, {"__dtype__": "complex512"}]), "unknown dtype"),
    ("bad base64", _structure([{"__tensor__": "t0"}, {"__bytes__": "!!!"}]), "base64"),
    ("flag not bool", _structure([{"__tensor__": "t0", "requires_grad": "yes"}]), "non-boolean"),
    ("deep structure", b'{"format": "tensorlib", "version": 1, "root": ' + b"[" * 3000 + b"]" * 3000 + b"}",
     "nesting"),
    ("huge int", b'{"format": "tensorlib", "version": 1, "root": ' + b"9" * 5000 + b"}", "digits"),
    ("bad version", json.dumps({"format": "tensorlib", "version": 7, "root": None}).encode(), "version 7"),
]


@pytest.mark.parametrize("name,structure,fragment", STRUCTURE_CASES, ids=[c[0] for c in STRUCTURE_CASES])
def test_malformed_structure_json_raises(tmp_path, name, structure, fragment):
    path = tmp_path / "ckpt.pt"
    path.write_bytes(_zip([("structure.json", structure), ("tensors.safetensors", _tensors_part(structure))]))
    with pytest.raises(CorruptFileError) as info:
        tl.load(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_requires_grad_on_integer_tensor_in_file_is_refused(tmp_path):
    buffer = io.BytesIO()
    tl.save({"x": [tl.arange(3)]}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        part = archive.read("tensors.safetensors")
    header_len = int.from_bytes(part[:8], "little")
    header = json.loads(part[8:8 + header_len])
    structure = _structure([{"__tensor__": "t0", "requires_grad": True}])
    header["__metadata__"] = {"structure_sha256": hashlib.sha256(structure).hexdigest()}
    path = tmp_path / "int_grad.pt"
    path.write_bytes(_zip([("structure.json", structure), ("tensors.safetensors",
                                                           _safetensors(header, part[8 + header_len:]))]))
    with pytest.raises(CorruptFileError, match="only float tensors can require gradients"):
        tl.load(path)


def test_inflating_structure_json_is_refused_before_decompression(tmp_path):
    bomb = b'{"format": "tensorlib", "version": 1, "root": "' + b" " * (80 * 1024 * 1024) + b'"}'
    raw = _zip([("structure.json", bomb), ("tensors.safetensors", b"")], stored=False)
    assert len(raw) < 200 * 1024  # a small file that would inflate to 80 MiB
    path = tmp_path / "bomb.pt"
    path.write_bytes(raw)
    with pytest.raises(CorruptFileError, match="structure.json.*declares"):
        tl.load(path)


def test_lying_declared_size_is_refused(tmp_path):
    raw = bytearray(_zip([("structure.json", b"{}"), ("tensors.safetensors", b"")], stored=False))
    central = raw.index(b"PK\x01\x02")  # first central-directory record: patch its uncompressed size
    raw[central + 24:central + 28] = struct.pack("<I", 10**9)
    path = tmp_path / "lie.pt"
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptFileError, match="declares 1000000000 bytes"):
        tl.load(path)


def test_header_bit_flips_are_caught_by_the_whole_file_digest(tmp_path):
    path = tmp_path / "m.safetensors"
    tl.save({"weight": tl.ones(4), "bias": tl.zeros(2, dtype=tl.int32)}, path)
    raw = path.read_bytes()
    for target in (b'"weight"', b'"I32"', b'"shape":[4]'):
        flipped = bytearray(raw)
        at = raw.index(target) + 2
        flipped[at] ^= 0x01  # 'weight' -> 'wdight', 'I32' -> 'I22' ..., same length: only the digest can tell
        path.write_bytes(bytes(flipped))
        with pytest.raises(CorruptFileError):
            tl.load(path)


def test_renamed_key_with_consistent_structure_is_caught(tmp_path):
    """'F32' -> 'I32' keeps the header valid; only the digest over the header catches it."""
    path = tmp_path / "m.safetensors"
    tl.save({"w": tl.ones(4)}, path)
    path.write_bytes(path.read_bytes().replace(b'"F32"', b'"I32"'))
    with pytest.raises(CorruptFileError, match="checksum mismatch"):
        tl.load(path)


def test_structure_json_tampering_is_caught_by_its_digest(tmp_path):
    path = tmp_path / "c.pt"
    tl.save({"epoch": 3, "w": tl.ones(2)}, path)
    raw = path.read_bytes()
    # rewrite the zip with an edited structure.json and fresh CRCs: only the recorded sha256 can tell
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        structure = archive.read("structure.json").replace(b"3", b"4")
        tensors = archive.read("tensors.safetensors")
    path.write_bytes(_zip([("structure.json", structure), ("tensors.safetensors", tensors)]))
    with pytest.raises(CorruptFileError, match="structure.json was modified"):
        tl.load(path)


def test_bytes_outside_the_zip_members_are_refused(tmp_path):
    path = tmp_path / "c.pt"
    tl.save({"epoch": 3, "w": tl.ones(2)}, path)
    raw = path.read_bytes()
    path.write_bytes(raw + b"trailing")
    with pytest.raises(CorruptFileError, match="bytes outside its members"):
        tl.load(path)
    # hide bytes between the last member and the central directory, with every offset patched to match
    eocd = raw.rindex(b"PK\x05\x06")
    central = int.from_bytes(raw[eocd + 16:eocd + 20], "little")
    hidden = raw[:central] + b"HIDDEN" + raw[central:eocd] + raw[eocd:eocd + 16] \
        + (central + 6).to_bytes(4, "little") + raw[eocd + 20:]
    path.write_bytes(hidden)
    with pytest.raises(CorruptFileError, match="bytes outside its members"):
        tl.load(path)


def test_files_of_earlier_versions_still_load():
    flat = tl.load(os.path.join(DATA, "legacy_v1_flat.safetensors"))
    assert list(flat) == ["w", "b", "n"]
    assert flat["w"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and flat["b"].tolist() == [True, False]
    nested = tl.load(os.path.join(DATA, "legacy_v1_nested.pt"))
    assert nested["epoch"] == 3 and nested["tags"] == ("a", "b") and nested["lr"] == 0.5
    assert nested["model"]["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and nested["p"].requires_grad


def test_legacy_file_with_damaged_data_is_caught(tmp_path):
    raw = bytearray(open(os.path.join(DATA, "legacy_v1_flat.safetensors"), "rb").read())
    raw[-1] ^= 0x40
    path = tmp_path / "old.safetensors"
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptFileError, match="checksum mismatch"):
        tl.load(path)


def test_genuine_torch_checkpoint_goes_to_the_torch_reader(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    assert tl.load(path)["w"].tolist() == [1.0, 1.0]


def test_foreign_safetensors_without_digest_load(tmp_path):
    path = tmp_path / "theirs.safetensors"
    path.write_bytes(_safetensors({"__metadata__": {"format": "pt"}, "a": W, "z": {"dtype": "I64", "shape": [],
                                                                                   "data_offsets": [8, 16]}},
                                  np.array([1.5, 2.5], "<f4").tobytes() + np.array(9, "<i8").tobytes()))
    loaded = tl.load(path)
    assert loaded["a"].tolist() == [1.5, 2.5] and loaded["z"].item() == 9 and loaded["z"].shape == ()
