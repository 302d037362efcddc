"""The shared atomic writer behind tl.save, save_image and Vocab/BPE files."""

import os
import stat

import pytest

import tensorlib as tl
from tensorlib._atomic import atomic_write


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_replaces_content_and_gives_plain_open_permissions(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with atomic_write(path) as handle:
        handle.write(b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_current_umask()  # not mkstemp's 0o600
    assert os.listdir(tmp_path) == ["out.bin"]


def test_error_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write("half")
            raise RuntimeError("disk on fire")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]


def test_saved_checkpoints_are_readable_by_the_group_like_any_file(tmp_path):
    tl.save({"w": tl.ones(2)}, tmp_path / "model.pt")
    (tmp_path / "plain.txt").write_text("x")
    assert stat.S_IMODE((tmp_path / "model.pt").stat().st_mode) == \
        stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
