"""ImageFolder on hostile trees: symlink loops, repeated links, FIFOs and devices named like images."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from PIL import Image

from tensorlib.vision.datasets import ImageFolder


def _image(path) -> None:
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)


@pytest.fixture
def tree(tmp_path):
    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        _image(tmp_path / name / "1.png")
    return tmp_path


def test_symlink_loop_lists_each_image_once(tree):
    os.symlink("..", tree / "cat" / "loop")  # cat/loop -> root: cat/loop/cat/loop/... forever
    os.symlink(str(tree / "cat"), tree / "dog" / "also_cat")
    ds = ImageFolder(str(tree))
    real = sorted(os.path.realpath(path) for path, _ in ds.samples)
    assert real == sorted({str(tree / "cat" / "1.png"), str(tree / "dog" / "1.png")})
    assert len(ds) == 2 and ds.targets == [0, 1]


def test_symlinked_folder_outside_the_tree_is_followed(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    _image(outside / "2.png")
    os.symlink(str(outside), tree / "dog" / "more")
    ds = ImageFolder(str(tree))
    assert sorted(os.path.basename(p) for p, t in ds.samples if t == 1) == ["1.png", "2.png"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_like_an_image_is_never_listed_or_opened(tree):
    os.mkfifo(tree / "cat" / "x.png")
    done = []
    worker = threading.Thread(target=lambda: done.append([ImageFolder(str(tree))[i][1] for i in range(2)]),
                              daemon=True)
    worker.start()
    worker.join(60)  # opening the FIFO would block this thread forever
    assert done == [[0, 1]]
    assert all(not path.endswith("x.png") for path, _ in ImageFolder(str(tree)).samples)


def test_dangling_symlink_and_special_files_are_skipped(tree):
    os.symlink(str(tree / "nowhere.png"), tree / "cat" / "dangling.png")
    os.symlink("/dev/null", tree / "dog" / "null.png")
    ds = ImageFolder(str(tree))
    assert [os.path.basename(p) for p, _ in ds.samples] == ["1.png", "1.png"]
