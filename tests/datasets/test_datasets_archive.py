"""Archive extraction: supported formats, and refusal of members that would escape the target folder."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import zipfile

import pytest
from dataset_files import tar_gz_bytes

from tensorlib.datasets.utils import extract_archive


def _tar(path, members, mode="w:gz"):
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize("suffix,mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"),
                                         (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")])
def test_tar_formats_extract(tmp_path, suffix, mode):
    archive = tmp_path / f"a{suffix}"
    _tar(archive, [_file("top/inner/f.txt", b"hello"), _link("top/link", "inner/f.txt")], mode)
    out = extract_archive(str(archive), str(tmp_path / "out"))
    assert out == str(tmp_path / "out")
    assert (tmp_path / "out/top/inner/f.txt").read_bytes() == b"hello"
    assert (tmp_path / "out/top/link").read_bytes() == b"hello"


def test_zip_and_single_file_formats(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("d/f.txt", b"zipped")
    extract_archive(str(tmp_path / "a.zip"), str(tmp_path / "out"))
    assert (tmp_path / "out/d/f.txt").read_bytes() == b"zipped"
    for suffix, compress in [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)]:
        (tmp_path / f"single{suffix}").write_bytes(compress(b"payload" + suffix.encode()))
        extract_archive(str(tmp_path / f"single{suffix}"), str(tmp_path / "out"), remove_finished=True)
        assert (tmp_path / "out/single").read_bytes() == b"payload" + suffix.encode()
        assert not (tmp_path / f"single{suffix}").exists()


@pytest.mark.parametrize("members,needle", [
    ([_file("../evil.txt")], "contains '..'"),
    ([_file("ok/../../evil.txt")], "contains '..'"),
    ([_file("/tmp/evil.txt")], "absolute"),
    ([_link("link", "/etc/passwd")], "absolute"),
    ([_link("link", "../../outside")], "outside"),
    ([_link("hard", "../outside", tarfile.LNKTYPE)], "outside"),
    ([_link("d", "."), _link("d/e", "..")], "goes through symlink 'd'"),  # each name alone looks inside
    ([_link("d", "."), _file("d/f.txt")], "goes through symlink 'd'"),
])
def test_tar_traversal_is_refused_and_nothing_written(tmp_path, members, needle):
    archive = tmp_path / "evil.tar.gz"
    _tar(archive, [_file("good.txt")] + members)
    out = tmp_path / "sub" / "out"
    with pytest.raises(ValueError, match="refusing to extract") as info:
        extract_archive(str(archive), str(out))
    assert needle in str(info.value)
    assert not (out / "good.txt").exists(), "checks happen before anything is written"
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "sub" / "evil.txt").exists()


def test_tar_device_member_is_refused(tmp_path):
    info = tarfile.TarInfo("dev")
    info.type = tarfile.CHRTYPE
    _tar(tmp_path / "d.tar", [(info, None)], "w")
    with pytest.raises(ValueError, match="device"):
        extract_archive(str(tmp_path / "d.tar"), str(tmp_path / "out"))


def test_zip_traversal_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as z:
        z.writestr("fine.txt", b"ok")
        z.writestr("../evil.txt", b"bad")
    with pytest.raises(ValueError, match=r"\.\."):
        extract_archive(str(tmp_path / "evil.zip"), str(tmp_path / "out"))
    assert not (tmp_path / "evil.txt").exists()


def test_unsupported_and_corrupt_archives(tmp_path):
    (tmp_path / "a.rar").write_bytes(b"x")
    with pytest.raises(ValueError, match="unsupported archive type"):
        extract_archive(str(tmp_path / "a.rar"))
    (tmp_path / "bad.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(ValueError, match="bad.tar.gz"):
        extract_archive(str(tmp_path / "bad.tar.gz"), str(tmp_path / "out"))
    (tmp_path / "bad.gz").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="bad.gz"):
        extract_archive(str(tmp_path / "bad.gz"), str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out" / "bad")


def test_dataset_download_rejects_traversal_archive(server, tmp_path, monkeypatch):
    from tensorlib.datasets import CIFAR10

    evil = tar_gz_bytes({"cifar-10-batches-py/data_batch_1": b"x", "../../escaped.txt": b"gotcha"})
    server.add_file("cifar/cifar-10-python.tar.gz", evil)
    monkeypatch.setattr(CIFAR10, "mirrors", [server.url("cifar/")])
    monkeypatch.setattr(CIFAR10, "tgz_md5", None)
    root = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError, match="refusing to extract"):
        CIFAR10(str(root), download=True)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "a" / "escaped.txt").exists()
    assert not (root / "cifar-10-python.tar.gz").exists()
    assert not (root / "cifar-10-batches-py").exists()
