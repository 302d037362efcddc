"""download_url & co. against a real HTTP server on 127.0.0.1 with injected faults."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from dataset_files import md5_of

from tensorlib.datasets import utils

PAYLOAD = bytes(range(256)) * 200  # 51200 bytes: many 1 KiB chunks, so a mid-file reset is mid-file


def test_download_url_writes_file_with_md5(server, tmp_path):
    url = server.add_file("files/blob.bin", PAYLOAD)
    utils.download_url(url, str(tmp_path), md5=md5_of(PAYLOAD))
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    assert not (tmp_path / "blob.bin.part").exists()


def test_download_url_skips_existing_verified_file(server, tmp_path):
    url = server.add_file("files/blob.bin", PAYLOAD)
    utils.download_url(url, str(tmp_path), md5=md5_of(PAYLOAD))
    utils.download_url(url, str(tmp_path), md5=md5_of(PAYLOAD))
    assert len(server.requests_for("files/blob.bin")) == 1


@pytest.mark.parametrize("fault", ["404", "500"])
def test_first_mirror_failing_then_second_succeeding(server, tmp_path, fault):
    server.add_file("good/blob.bin", PAYLOAD)
    server.set_fault("bad/blob.bin", fault)
    utils.download_url(server.url("never/blob.bin"), str(tmp_path), md5=md5_of(PAYLOAD),
                       mirrors=[server.url("bad/"), server.url("good/")])
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    assert server.requests_for("bad/blob.bin"), "the first mirror must be tried first"
    assert not server.requests_for("never/blob.bin"), "sources after a success must not be tried"
    # 404 is final for a mirror, 500 is retried (retries=2 in the fixture)
    assert len(server.requests_for("bad/blob.bin")) == (1 if fault == "404" else 3)


def test_resume_after_connection_reset_uses_range(server, tmp_path):
    server.add_file("files/blob.bin", PAYLOAD)
    server.set_fault("files/blob.bin", "reset", after=20000, times=1)
    utils.download_url(server.url("files/blob.bin"), str(tmp_path), md5=md5_of(PAYLOAD))
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    requests = server.requests_for("files/blob.bin")
    assert len(requests) == 2
    assert "Range" not in requests[0]
    start = int(requests[1]["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < start <= 20000


def test_resume_of_part_file_left_by_an_earlier_run(server, tmp_path):
    url = server.add_file("files/blob.bin", PAYLOAD)
    (tmp_path / "blob.bin.part").write_bytes(PAYLOAD[:1000])
    (tmp_path / "blob.bin.part.url").write_text(url)
    utils.download_url(url, str(tmp_path), md5=md5_of(PAYLOAD))
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    assert server.requests_for("files/blob.bin")[0]["Range"] == "bytes=1000-"


def test_part_file_from_another_url_is_not_resumed(server, tmp_path):
    url = server.add_file("files/blob.bin", PAYLOAD)
    (tmp_path / "blob.bin.part").write_bytes(b"x" * 1000)
    (tmp_path / "blob.bin.part.url").write_text("http://elsewhere.invalid/blob.bin")
    utils.download_url(url, str(tmp_path), md5=md5_of(PAYLOAD))
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    assert "Range" not in server.requests_for("files/blob.bin")[0]


def test_slow_response_times_out_then_next_mirror(server, tmp_path, monkeypatch):
    monkeypatch.setattr(utils.download_options, "read_timeout", 0.2)
    monkeypatch.setattr(utils.download_options, "retries", 0)
    server.add_file("slow/blob.bin", PAYLOAD)
    server.add_file("fast/blob.bin", PAYLOAD)
    server.set_fault("slow/blob.bin", "slow", delay=1.0)
    utils.download_url(server.url("fast/blob.bin"), str(tmp_path), md5=md5_of(PAYLOAD),
                       mirrors=[server.url("slow/")])
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    assert server.requests_for("slow/blob.bin")


def test_md5_mismatch_leaves_nothing_under_final_name(server, tmp_path):
    url = server.add_file("files/blob.bin", PAYLOAD)
    with pytest.raises(RuntimeError) as info:
        utils.download_url(url, str(tmp_path), md5="0" * 32)
    message = str(info.value)
    assert "expected " + "0" * 32 in message and md5_of(PAYLOAD) in message
    assert not (tmp_path / "blob.bin").exists()
    assert not (tmp_path / "blob.bin.part").exists()


def test_offline_error_lists_every_url_tried(tmp_path):
    # port 9 on localhost: nothing listens, connection refused, no network needed
    with pytest.raises(RuntimeError) as info:
        utils.download_url("http://127.0.0.1:9/a/blob.bin", str(tmp_path), mirrors=["http://127.0.0.1:9/m/"])
    message = str(info.value)
    assert "http://127.0.0.1:9/m/blob.bin" in message
    assert "http://127.0.0.1:9/a/blob.bin" in message


def test_mirror_env_local_folder_is_tried_first(server, tmp_path, monkeypatch):
    local = tmp_path / "mirror"
    local.mkdir()
    (local / "blob.bin").write_bytes(PAYLOAD)
    monkeypatch.setenv(utils.MIRROR_ENV, str(local))
    utils.download_url(server.url("files/blob.bin"), str(tmp_path / "out"), md5=md5_of(PAYLOAD))
    assert (tmp_path / "out" / "blob.bin").read_bytes() == PAYLOAD
    assert not server.requests_for("files/blob.bin")


def test_calculate_md5_and_check_integrity(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(PAYLOAD)
    assert utils.calculate_md5(str(path)) == md5_of(PAYLOAD)
    assert utils.check_integrity(str(path), md5_of(PAYLOAD))
    assert utils.check_integrity(str(path))
    assert not utils.check_integrity(str(path), "0" * 32)
    assert not utils.check_integrity(str(tmp_path / "missing"))


def test_download_and_extract_archive(server, tmp_path):
    import gzip

    url = server.add_file("files/blob.bin.gz", gzip.compress(PAYLOAD))
    utils.download_and_extract_archive(url, str(tmp_path))
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD


def _download_in_child(url: str, root: str, md5: str, backoff: float) -> None:
    utils.download_options.backoff = backoff
    utils.download_options.progress = False
    utils.download_url(url, root, md5=md5)


def test_two_processes_downloading_the_same_file(server, tmp_path):
    big = os.urandom(1 << 20)
    server.add_file("files/big.bin", big)
    server.set_fault("files/big.bin", "slow", delay=0.0005)  # stretch the download so the two overlap
    ctx = multiprocessing.get_context("spawn")
    args = (server.url("files/big.bin"), str(tmp_path), md5_of(big), 0.001)
    workers = [ctx.Process(target=_download_in_child, args=args) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert (tmp_path / "big.bin").read_bytes() == big
    assert len(server.requests_for("files/big.bin")) == 1, "the second process must reuse the first's file"
    assert not (tmp_path / "big.bin.part").exists()
