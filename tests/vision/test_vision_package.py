"""The ``tensorlib.vision`` package: lazy sub-packages and torchvision-style dataset re-exports."""

import importlib
import subprocess
import sys

import pytest


def test_import_vision_is_lazy_and_exposes_submodules():
    code = ("import sys, tensorlib.vision as v; "
            "assert 'tensorlib.vision.transforms' not in sys.modules; "
            "assert v.transforms.Compose and v.utils.make_grid and v.datasets.ImageFolder; "
            "assert 'tensorlib.vision.transforms' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attribute_raises_attribute_error():
    vision = importlib.import_module("tensorlib.vision")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        vision.nope  # noqa: B018
    assert {"transforms", "utils", "datasets", "models"} <= set(dir(vision))


def test_vision_datasets_reexports_tensorlib_datasets():
    core = pytest.importorskip("tensorlib.datasets")
    from tensorlib.vision import datasets

    for name in getattr(core, "__all__", []):
        assert getattr(datasets, name) is getattr(core, name)
