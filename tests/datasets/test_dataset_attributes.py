"""Dataset attributes typed as torchvision's: MNIST-family data/targets tensors, legacy aliases, reprs."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.datasets import CIFAR10, MNIST, FashionMNIST
from tensorlib.vision import transforms


def _place_mnist(root, files, cls=MNIST):
    raw = root / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    for name, data in files.raw.items():
        (raw / name).write_bytes(data)


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_data_and_targets_are_tensors_sharing_the_arrays(mnist_files, tmp_path, cls):
    _place_mnist(tmp_path, mnist_files, cls)
    ds = cls(str(tmp_path))
    assert isinstance(ds.data, tl.Tensor) and ds.data.dtype == tl.uint8 and tuple(ds.data.shape) == (12, 28, 28)
    assert isinstance(ds.targets, tl.Tensor) and ds.targets.dtype == tl.int64 and tuple(ds.targets.shape) == (12,)
    np.testing.assert_array_equal(ds.data.numpy(), mnist_files.train_images)
    np.testing.assert_array_equal(ds.targets.numpy(), mnist_files.train_labels)
    img, label = ds[3]
    np.testing.assert_array_equal(np.asarray(img), mnist_files.train_images[3])
    assert type(label) is int and label == mnist_files.train_labels[3]
    # the common torchvision idiom: keep a subset by assigning data/targets
    keep = ds.targets < 5
    ds.data, ds.targets = ds.data[keep], ds.targets[keep]
    assert len(ds) == int(keep.sum().item())
    np.testing.assert_array_equal(np.asarray(ds[0][0]), mnist_files.train_images[keep.numpy()][0])
    ds.targets = [int(t) for t in ds.targets.numpy()]  # lists and arrays are accepted too
    assert ds.targets.dtype == tl.int64


def test_mnist_data_matches_torch_types(mnist_files, tmp_path):
    torch = pytest.importorskip("torch")
    _place_mnist(tmp_path, mnist_files)
    ds = MNIST(str(tmp_path))
    # what torchvision builds: torch.from_numpy(images), torch.from_numpy(labels.astype(int64))
    expected_data = torch.from_numpy(mnist_files.train_images)
    expected_targets = torch.from_numpy(mnist_files.train_labels.astype(np.int64))
    assert str(ds.data.dtype).split(".")[-1] == str(expected_data.dtype).split(".")[-1]
    assert str(ds.targets.dtype).split(".")[-1] == str(expected_targets.dtype).split(".")[-1]
    assert tuple(ds.data.shape) == tuple(expected_data.shape)
    assert (ds.targets.numpy() == expected_targets.numpy()).all()


@pytest.mark.parametrize("alias, target", [("train_data", "data"), ("test_data", "data"),
                                           ("train_labels", "targets"), ("test_labels", "targets")])
def test_legacy_aliases_warn_like_torchvision(mnist_files, tmp_path, alias, target):
    _place_mnist(tmp_path, mnist_files)
    ds = MNIST(str(tmp_path))
    with pytest.warns(UserWarning, match=f"{alias} has been renamed {target}"):
        value = getattr(ds, alias)
    assert value is getattr(ds, target)


def test_repr_as_torchvision_prints_it(mnist_files, tmp_path):
    _place_mnist(tmp_path, mnist_files)
    plain = MNIST(str(tmp_path), train=False)
    assert repr(plain) == (f"Dataset MNIST\n    Number of datapoints: 5\n    Root location: {tmp_path}\n"
                           "    Split: Test")
    ds = MNIST(str(tmp_path), transform=transforms.Compose([transforms.ToTensor()]),
               target_transform=transforms.Lambda(int))
    compose = repr(transforms.Compose([transforms.ToTensor()])).splitlines()
    expected = ["Dataset MNIST", "    Number of datapoints: 12", f"    Root location: {tmp_path}",
                "    Split: Train", "    StandardTransform", f"Transform: {compose[0]}"]
    expected += [" " * len("Transform: ") + line for line in compose[1:]]
    expected += [f"Target transform: {transforms.Lambda(int)!r}"]
    assert repr(ds) == "\n".join(expected)


def test_cifar_keeps_torchvision_types(cifar_server, tmp_path):
    ds = CIFAR10(str(tmp_path), download=True)
    assert isinstance(ds.data, np.ndarray) and ds.data.shape[1:] == (32, 32, 3)
    assert isinstance(ds.targets, list) and all(type(t) is int for t in ds.targets)
    assert repr(ds).splitlines()[-1] == "    Split: Train"


def _place_qmnist(root, n=12010, seed=0):
    from dataset_files import idx_bytes

    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    rows = rng.integers(0, 1000, (n, 8)).astype(">i4")
    rows[:, 0] = rng.integers(0, 10, n)
    raw = root / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    for split in ("train", "test"):
        (raw / f"qmnist-{split}-images-idx3-ubyte").write_bytes(idx_bytes(images))
        label_bytes = bytes([0, 0, 0x0C, 2]) + np.array([n, 8], ">i4").tobytes() + rows.tobytes()
        (raw / f"qmnist-{split}-labels-idx2-int").write_bytes(label_bytes)
    return images, rows.astype(np.int64)


def test_qmnist_subsets_targets_and_compat(tmp_path):
    from tensorlib.datasets import QMNIST

    images, rows = _place_qmnist(tmp_path)
    train = QMNIST(str(tmp_path))
    assert train.what == "train" and tuple(train.targets.shape) == (12010, 8) and train.targets.dtype == tl.int64
    np.testing.assert_array_equal(train.targets.numpy(), rows)
    img, target = train[7]
    np.testing.assert_array_equal(np.asarray(img), images[7])
    assert type(target) is int and target == rows[7, 0]
    full = QMNIST(str(tmp_path), what="test", compat=False)
    _, row = full[7]
    assert isinstance(row, tl.Tensor) and row.numpy().tolist() == rows[7].tolist()
    assert len(QMNIST(str(tmp_path), what="test10k")) == 10000
    rest = QMNIST(str(tmp_path), what="test50k")
    assert len(rest) == 2010 and rest[0][1] == rows[10000, 0]
    assert repr(rest).splitlines()[-1] == "    Split: test50k"
    assert QMNIST(str(tmp_path), train=False).what == "test"
    with pytest.raises(ValueError, match="Unknown value 'valid' for argument what"):
        QMNIST(str(tmp_path), what="valid")


def test_qmnist_downloads_its_subset(server, tmp_path, monkeypatch):
    import gzip

    from dataset_files import idx_bytes, md5_of

    from tensorlib.datasets import QMNIST

    images = np.random.default_rng(1).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    rows = np.arange(40, dtype=">i4").reshape(5, 8)
    files = {"qmnist-test-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
             "qmnist-test-labels-idx2-int.gz": gzip.compress(bytes([0, 0, 0x0C, 2]) + np.array([5, 8], ">i4")
                                                             .tobytes() + rows.tobytes())}
    for name, data in files.items():
        server.add_file(f"qmnist/{name}", data)
    monkeypatch.setattr(QMNIST, "mirrors", [server.url("qmnist/")])
    monkeypatch.setitem(QMNIST.resources, "test", [(name, md5_of(data)) for name, data in files.items()])
    ds = QMNIST(str(tmp_path), train=False, download=True)
    unpacked = {"qmnist-test-images-idx3-ubyte", "qmnist-test-labels-idx2-int"}
    assert unpacked <= set(os.listdir(tmp_path / "QMNIST" / "raw"))
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds[4][1] == 32 and all("train" not in path for path, _ in server.requests)


def test_fakedata_and_image_folder_reprs_as_torchvision(tmp_path):
    from PIL import Image

    from tensorlib.datasets import FakeData, ImageFolder

    assert repr(FakeData(size=3)) == "Dataset FakeData\n    Number of datapoints: 3"
    assert repr(FakeData(size=3, transform=transforms.ToTensor())) == (
        "Dataset FakeData\n    Number of datapoints: 3\n    StandardTransform\nTransform: ToTensor()")
    (tmp_path / "cat").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "cat" / "1.png")
    folder = ImageFolder(str(tmp_path), target_transform=transforms.Lambda(int))
    assert repr(folder) == (f"Dataset ImageFolder\n    Number of datapoints: 1\n    Root location: {tmp_path}\n"
                            f"    StandardTransform\nTarget transform: {transforms.Lambda(int)!r}")
