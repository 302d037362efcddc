"""MNIST family: download from a local HTTP server, layout, integrity, cache, offline errors."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest
from dataset_files import idx_bytes, make_mnist, md5_of
from PIL import Image

import tensorlib as tl
from tensorlib.datasets import EMNIST, KMNIST, MNIST, FashionMNIST, mnist, utils


def _targets_numpy(targets):
    return np.asarray(targets.numpy() if hasattr(targets, "numpy") else targets)


def test_download_and_items(mnist_server, mnist_files, tmp_path):
    ds = MNIST(str(tmp_path), train=True, download=True)
    assert len(ds) == len(mnist_files.train_images)
    assert ds.data.dtype == tl.uint8 and tuple(ds.data.shape) == (12, 28, 28)  # a tensor, as torchvision
    np.testing.assert_array_equal(ds.data, mnist_files.train_images)
    np.testing.assert_array_equal(_targets_numpy(ds.targets), mnist_files.train_labels)
    assert str(ds.targets.dtype).endswith("int64")
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), mnist_files.train_images[3])
    assert type(target) is int and target == mnist_files.train_labels[3]
    assert ds[-1][1] == mnist_files.train_labels[-1]
    raw = tmp_path / "MNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").read_bytes() == mnist_files.raw["train-images-idx3-ubyte"]
    assert (raw / "train-images-idx3-ubyte.gz").exists()
    test = MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(test.data, mnist_files.test_images)


def test_classes_transforms_and_index_errors(mnist_server, mnist_files, tmp_path):
    ds = MNIST(str(tmp_path), download=True, transform=lambda im: np.asarray(im).sum(),
               target_transform=lambda t: t + 100)
    assert ds.classes[0] == "0 - zero" and ds.class_to_idx["9 - nine"] == 9
    value, target = ds[0]
    assert value == int(mnist_files.train_images[0].sum()) and target == mnist_files.train_labels[0] + 100
    with pytest.raises(IndexError):
        ds[len(ds)]
    with pytest.raises(IndexError):
        ds[-len(ds) - 1]
    assert "Split: Train" in repr(ds)


def test_download_false_on_prepared_root_makes_no_request(server, mnist_files, tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [server.url("mnist/")])
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, data in mnist_files.raw.items():
        (raw / name).write_bytes(data)
    ds = MNIST(str(tmp_path), train=False, download=False)
    np.testing.assert_array_equal(ds.data, mnist_files.test_images)
    assert server.requests == []


def test_gz_files_placed_by_hand_are_unpacked(mnist_files, tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "resources", mnist_files.resources)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, data in mnist_files.gz.items():
        (raw / name).write_bytes(data)
    ds = MNIST(str(tmp_path))
    np.testing.assert_array_equal(ds.data, mnist_files.train_images)


def test_cache_is_used_on_second_load(mnist_server, mnist_files, tmp_path, monkeypatch):
    MNIST(str(tmp_path), download=True)
    cache = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.npy"
    assert cache.exists()
    assert not np.load(cache, allow_pickle=False).dtype.hasobject

    def parse_forbidden(*args, **kwargs):
        raise AssertionError("raw files must not be parsed again when the cache is fresh")

    monkeypatch.setattr(mnist, "read_idx", parse_forbidden)
    ds = MNIST(str(tmp_path))
    np.testing.assert_array_equal(ds.data, mnist_files.train_images)


def test_stale_cache_is_rebuilt(mnist_server, tmp_path):
    MNIST(str(tmp_path), download=True)
    raw = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    other = make_mnist(seed=5)
    raw.write_bytes(other.raw["train-images-idx3-ubyte"])
    cache = str(raw) + ".npy"
    os.utime(cache, ns=(os.stat(raw).st_mtime_ns - 10**9,) * 2)
    np.testing.assert_array_equal(MNIST(str(tmp_path)).data, other.train_images)


def test_cache_is_stale_when_the_raw_file_is_replaced_by_an_older_one(mnist_server, tmp_path):
    """``cp -p`` or re-extracting an archive can put back a file older than the cache."""
    MNIST(str(tmp_path), download=True)
    raw = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    other = make_mnist(seed=6)
    raw.write_bytes(other.raw["train-images-idx3-ubyte"])
    os.utime(raw, ns=(os.stat(raw).st_mtime_ns - 10**10,) * 2)
    np.testing.assert_array_equal(MNIST(str(tmp_path)).data, other.train_images)
    assert os.stat(str(raw) + ".npy").st_mtime_ns == os.stat(raw).st_mtime_ns  # rebuilt, stamped


def test_archive_md5_differs_but_payload_matches_is_accepted(server, mnist_files, tmp_path, monkeypatch):
    # A mirror re-compressed the files: the .gz md5 differs, the decompressed payload is identical.
    recompressed = {name: gzip.compress(gzip.decompress(data), compresslevel=1, mtime=123)
                    for name, data in mnist_files.gz.items()}
    assert all(recompressed[n] != mnist_files.gz[n] for n in recompressed)
    for name, data in recompressed.items():
        server.add_file(f"re/{name}", data)
    monkeypatch.setattr(MNIST, "resources", mnist_files.resources)
    monkeypatch.setattr(MNIST, "mirrors", [server.url("re/")])
    ds = MNIST(str(tmp_path), download=True)
    np.testing.assert_array_equal(ds.data, mnist_files.train_images)


def test_corrupt_payload_is_rejected_and_nothing_kept(server, mnist_files, tmp_path, monkeypatch):
    bad = dict(mnist_files.gz)
    bad["train-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(np.zeros((12, 28, 28), np.uint8)))
    for name, data in bad.items():
        server.add_file(f"bad/{name}", data)
    monkeypatch.setattr(MNIST, "resources", mnist_files.resources)
    monkeypatch.setattr(MNIST, "mirrors", [server.url("bad/")])
    with pytest.raises(RuntimeError) as info:
        MNIST(str(tmp_path), download=True)
    message = str(info.value)
    expected_payload_md5 = mnist_files.resources[0][2]
    got_payload_md5 = md5_of(gzip.decompress(bad["train-images-idx3-ubyte.gz"]))
    assert f"expected md5 {expected_payload_md5}, got {got_payload_md5}" in message
    raw = tmp_path / "MNIST" / "raw"
    assert not (raw / "train-images-idx3-ubyte").exists()
    assert not (raw / "train-images-idx3-ubyte.gz").exists()
    assert not (raw / "train-images-idx3-ubyte.gz.part").exists()
    assert not [p for p in os.listdir(raw) if p.startswith(".staging")]
    assert (raw / "train-labels-idx1-ubyte").exists(), "good files are still installed"


def test_offline_error_lists_urls_and_layout(mnist_files, tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "resources", mnist_files.resources)
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/"])
    with pytest.raises(RuntimeError) as info:
        MNIST(str(tmp_path), download=True, mirrors=["http://127.0.0.1:9/mine/"])
    message = str(info.value)
    raw = os.path.join(str(tmp_path), "MNIST", "raw")
    for name, _, _ in mnist_files.resources:
        for base in ("mine", "a", "b"):
            assert f"http://127.0.0.1:9/{base}/{name}" in message
        assert os.path.join(raw, name) in message
        assert os.path.join(raw, name[:-3]) in message
    assert message.index("/mine/") < message.index("/a/") < message.index("/b/")
    assert utils.MIRROR_ENV in message
    if utils.MIRROR_ENV not in os.environ:  # the variable and the argument are reported apart
        assert f"{utils.MIRROR_ENV} (now: unset)" in message
        assert "mirrors=[...] (now: http://127.0.0.1:9/mine/)" in message


def test_download_false_missing_explains(tmp_path):
    with pytest.raises(RuntimeError) as info:
        FashionMNIST(str(tmp_path))
    message = str(info.value)
    assert "download=True" in message
    assert os.path.join(str(tmp_path), "FashionMNIST", "raw", "train-images-idx3-ubyte.gz") in message
    assert FashionMNIST.mirrors[0] + "train-images-idx3-ubyte.gz" in message


def test_mirror_env_local_folder(mnist_files, tmp_path, monkeypatch):
    local = tmp_path / "my-mnist"
    local.mkdir()
    for name, data in mnist_files.gz.items():
        (local / name).write_bytes(data)
    monkeypatch.setattr(MNIST, "resources", mnist_files.resources)
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/unreachable/"])
    monkeypatch.setenv(utils.MIRROR_ENV, str(local))
    ds = MNIST(str(tmp_path / "root"), download=True)
    np.testing.assert_array_equal(ds.data, mnist_files.train_images)


@pytest.mark.parametrize("content,needle", [
    (b"hello world, not idx", "not an IDX file"),
    (idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-10], "the file has"),
    (idx_bytes(np.zeros((3, 28), np.uint8)), "expected an IDX file with 3 dimensions"),
])
def test_wrong_format_files_are_named(mnist_files, tmp_path, content, needle):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, data in mnist_files.raw.items():
        (raw / name).write_bytes(data)
    (raw / "train-images-idx3-ubyte").write_bytes(content)
    with pytest.raises(RuntimeError) as info:
        MNIST(str(tmp_path))
    assert "train-images-idx3-ubyte" in str(info.value) and needle in str(info.value)


def test_label_count_mismatch(mnist_files, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, data in mnist_files.raw.items():
        (raw / name).write_bytes(data)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(RuntimeError, match="12 images .* 3 labels"):
        MNIST(str(tmp_path))


def test_subclasses_use_their_own_folder_and_classes(mnist_files, tmp_path, monkeypatch):
    for cls in (FashionMNIST, KMNIST):
        raw = tmp_path / cls.__name__ / "raw"
        raw.mkdir(parents=True)
        for name, data in mnist_files.raw.items():
            (raw / name).write_bytes(data)
        ds = cls(str(tmp_path))
        assert len(ds) == 12 and len(ds.classes) == 10
    assert FashionMNIST(str(tmp_path)).classes[9] == "Ankle boot"


def test_emnist_split_from_zip(server, mnist_files, tmp_path, monkeypatch):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for part, prefix in (("train", "train"), ("test", "t10k")):
            for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
                z.writestr(f"gzip/emnist-letters-{part}-{kind}.gz", mnist_files.gz[f"{prefix}-{kind}.gz"])
    data = buffer.getvalue()
    server.add_file("emnist/gzip.zip", data)
    monkeypatch.setattr(EMNIST, "url", server.url("emnist/gzip.zip"))
    monkeypatch.setattr(EMNIST, "mirrors", [])
    monkeypatch.setattr(EMNIST, "md5", md5_of(data))
    ds = EMNIST(str(tmp_path), split="letters", download=True)
    np.testing.assert_array_equal(ds.data, mnist_files.train_images)
    assert ds.classes[0] == "N/A" and len(ds.classes) == 27
    test = EMNIST(str(tmp_path), split="letters", train=False)
    np.testing.assert_array_equal(test.data, mnist_files.test_images)
    with pytest.raises(ValueError, match="split"):
        EMNIST(str(tmp_path), split="nope")


def test_bad_archive_placed_by_hand(mnist_server, mnist_files, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"garbage"))
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz.*expected md5"):
        MNIST(str(tmp_path))
    assert len(MNIST(str(tmp_path), download=True)) == 12  # download=True replaces it
    assert (raw / "train-images-idx3-ubyte.gz").read_bytes() == mnist_files.gz["train-images-idx3-ubyte.gz"]


def test_mirror_env_base_url_goes_first(server, mnist_files, tmp_path, monkeypatch):
    for name, data in mnist_files.gz.items():
        server.add_file(f"mine/{name}", data)
    monkeypatch.setattr(MNIST, "resources", mnist_files.resources)
    monkeypatch.setattr(MNIST, "mirrors", [server.url("upstream/")])
    monkeypatch.setenv(utils.MIRROR_ENV, server.url("mine"))
    ds = MNIST(str(tmp_path), download=True)
    np.testing.assert_array_equal(ds.targets.numpy(), mnist_files.train_labels)
    assert not [p for p, _ in server.requests if p.startswith("upstream/")]


def test_emnist_missing_message_also_names_the_decompressed_files(tmp_path):
    with pytest.raises(RuntimeError) as info:
        EMNIST(str(tmp_path), split="digits")
    message = str(info.value)
    assert "gzip.zip" in message
    raw = os.path.join(str(tmp_path), "EMNIST", "raw")
    assert os.path.join(raw, "emnist-digits-test-labels-idx1-ubyte") in message
