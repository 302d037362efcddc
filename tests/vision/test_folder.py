"""ImageFolder / DatasetFolder on generated trees."""

import os

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.data import DataLoader, Dataset
from tensorlib.vision import datasets, transforms
from tensorlib.vision.datasets import IMG_EXTENSIONS, DatasetFolder, ImageFolder


def _write_png(path, value, size=(4, 3)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, dtype=np.uint8)).save(path)


@pytest.fixture
def tree(tmp_path):
    _write_png(tmp_path / "cat" / "b.png", 10)
    _write_png(tmp_path / "cat" / "a.jpg", 20)
    _write_png(tmp_path / "cat" / "nested" / "c.PNG", 30)
    _write_png(tmp_path / "dog" / "x.bmp", 40)
    _write_png(tmp_path / ".ipynb_checkpoints" / "junk.png", 50)
    _write_png(tmp_path / "dog" / ".hidden" / "h.png", 60)
    _write_png(tmp_path / "dog" / ".secret.png", 70)
    (tmp_path / "dog" / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    return tmp_path


def test_image_folder_classes_samples_and_hidden_entries_skipped(tree):
    ds = ImageFolder(tree)
    assert isinstance(ds, Dataset)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [os.path.relpath(p, tree) for p, _ in ds.samples]
    assert names == [os.path.join("cat", "a.jpg"), os.path.join("cat", "b.png"),
                     os.path.join("cat", "nested", "c.PNG"), os.path.join("dog", "x.bmp")]
    assert ds.targets == [0, 0, 0, 1] and ds.imgs is ds.samples and len(ds) == 4
    image, label = ds[1]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and label == 0
    assert np.asarray(image)[0, 0, 0] == 10


def test_image_folder_transforms_and_dataloader(tree):
    ds = ImageFolder(tree, transform=transforms.ToTensor(), target_transform=lambda y: y * 10)
    image, label = ds[3]
    assert image.dtype == tl.float32 and tuple(image.shape) == (3, 3, 4) and label == 10
    images, labels = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(images.shape) == (4, 3, 3, 4) and labels.tolist() == [0, 0, 0, 10]


def test_is_valid_file_and_dataset_folder_with_custom_loader(tree):
    only_png = ImageFolder(tree, is_valid_file=lambda p: p.lower().endswith(".png"), allow_empty=True)
    assert [os.path.basename(p) for p, _ in only_png.samples] == ["b.png", "c.PNG"]

    def read_text(path):
        with open(path) as stream:
            return stream.read()

    texts = DatasetFolder(tree, loader=read_text, extensions=(".txt",), allow_empty=True)
    assert texts.samples[0][1] == 1 and texts[0][0] == "not an image"
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        DatasetFolder(tree, loader=open)


def test_class_without_valid_files_raises_unless_allowed(tree):
    os.makedirs(tree / "empty")
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        ImageFolder(tree)
    assert ImageFolder(tree, allow_empty=True).classes == ["cat", "dog", "empty"]


def test_empty_or_missing_root_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path)
    os.makedirs(tmp_path / ".ipynb_checkpoints")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "missing")


def test_truncated_or_corrupt_image_error_names_the_file(tmp_path):
    _write_png(tmp_path / "a" / "ok.png", 1, size=(64, 64))
    good = (tmp_path / "a" / "ok.png").read_bytes()
    (tmp_path / "a" / "truncated.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "a" / "garbage.jpg").write_bytes(b"definitely not a jpeg")
    ds = ImageFolder(tmp_path)
    by_name = {os.path.basename(p): i for i, (p, _) in enumerate(ds.samples)}
    for name in ("truncated.png", "garbage.jpg"):
        with pytest.raises(OSError, match=name):
            ds[by_name[name]]
    assert ds[by_name["ok.png"]][0].size == (64, 64)


def test_extensions_and_reexports():
    assert ".png" in IMG_EXTENSIONS and ".webp" in IMG_EXTENSIONS
    assert datasets.ImageFolder is ImageFolder
    assert callable(datasets.default_loader)


def test_random_augmentation_is_identical_for_any_num_workers(tmp_path):
    rng = np.random.default_rng(0)
    for k in range(6):
        path = tmp_path / f"class{k % 2}" / f"{k}.png"
        os.makedirs(path.parent, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(path)
    augment = transforms.Compose([transforms.RandomResizedCrop(8), transforms.ColorJitter(0.5, 0.5, 0.5, 0.1),
                                  transforms.ToTensor()])
    ds = ImageFolder(tmp_path, transform=augment)

    def epoch(workers):
        tl.manual_seed(42)
        return [x.numpy() for x, _ in DataLoader(ds, batch_size=2, shuffle=True, num_workers=workers)]

    in_process, two_workers = epoch(0), epoch(2)
    for a, b in zip(in_process, two_workers):
        np.testing.assert_array_equal(a, b)
    tl.manual_seed(43)
    other = [x.numpy() for x, _ in DataLoader(ds, batch_size=2, shuffle=True)]
    assert any(not np.array_equal(a, b) for a, b in zip(in_process, other))
