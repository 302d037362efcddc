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


_KILLED_SAVER = r"""
import os, sys, time
import tensorlib as tl

def hang(*args):  # the temporary is complete and fsynced; wait to be killed before the rename
    print("ready", flush=True)
    time.sleep(60)

os.replace = hang
tl.save({"w": tl.ones(1 << 18)}, sys.argv[1])
"""


def _temporaries(folder) -> list:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def _kill_a_saver(path) -> None:
    import signal
    import subprocess
    import sys

    saver = subprocess.Popen([sys.executable, "-c", _KILLED_SAVER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert saver.stdout.readline().strip() == "ready"
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        saver.stdout.close()


def test_sigkilled_saves_leave_at_most_one_temporary_and_the_next_save_removes_it(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "ckpt.pt"
    _kill_a_saver(path)
    assert len(_temporaries(tmp_path)) == 1
    _kill_a_saver(path)  # a new writer removes the dead writer's temporary before creating its own
    assert len(_temporaries(tmp_path)) == 1
    subprocess.run([sys.executable, "-c", "import sys, tensorlib as tl; tl.save({'w': tl.ones(2)}, sys.argv[1])",
                    str(path)], check=True)
    assert _temporaries(tmp_path) == [] and tl.load(path)["w"].tolist() == [1.0, 1.0]


def test_temporaries_of_live_writers_and_other_files_are_kept(tmp_path):
    path = tmp_path / "out.bin"
    live = tmp_path / f".out.bin.{os.getpid()}-abcd.tmp"  # our own pid: a write in progress
    live.write_bytes(b"x")
    os.utime(live, (0, 0))
    other = tmp_path / ".other.bin.999999999-abcd.tmp"  # another target's temporary
    other.write_bytes(b"x")
    os.utime(other, (0, 0))
    with atomic_write(path) as handle:
        handle.write(b"new")
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, other.name, "out.bin"])
