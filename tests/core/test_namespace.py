"""``tensorlib``'s public names are a deliberate list, and nothing internal leaks into it."""

from __future__ import annotations

import types

import pytest

import tensorlib as tl


def test_dir_is_the_public_list():
    assert dir(tl) == sorted(tl.__all__)
    assert len(set(tl.__all__)) == len(tl.__all__)


def test_every_public_name_resolves():
    missing = [name for name in tl.__all__ if not hasattr(tl, name)]
    assert missing == []


def test_nothing_else_is_bound():
    # a sub-package becomes an attribute once imported (``tensorlib.kernels``); anything else must be listed
    extra = [name for name, value in vars(tl).items() if not name.startswith("_") and name not in tl.__all__
             and not (isinstance(value, types.ModuleType) and value.__name__ == f"tensorlib.{name}")]
    assert extra == []


@pytest.mark.parametrize("leak", ["Function", "xp", "Add", "Identity", "prepare", "math", "builtins", "cast",
                                  "ops", "values_indices", "to_tensor", "getitem", "unary_"])
def test_kernel_internals_are_not_public(leak):
    assert leak not in tl.__all__
    assert leak not in dir(tl)


def test_function_is_the_user_facing_autograd_function():
    assert tl.autograd.Function.__module__ == "tensorlib.autograd.custom"


def test_linalg_is_a_public_module():
    x = tl.tensor([[3.0, 0.0], [0.0, 4.0]])
    assert tl.linalg.norm(x).item() == pytest.approx(5.0)
    assert tl.linalg.vector_norm(tl.tensor([3.0, -4.0]), ord=float("inf")).item() == 4.0
    assert tl.linalg.matrix_norm(x, ord=1).item() == 4.0
    assert set(tl.linalg.__all__) <= set(dir(tl.linalg))


def test_linalg_norms_match_torch():
    torch = pytest.importorskip("torch")
    data = tl.randn(3, 4, 5).numpy()
    for kwargs in ({}, {"ord": 1, "dim": 1}, {"ord": float("inf"), "dim": (1, 2)}, {"ord": "fro", "dim": (0, 2)},
                   {"ord": 0.5, "dim": -1, "keepdim": True}):
        ours = tl.linalg.norm(tl.tensor(data), **kwargs).numpy()
        theirs = torch.linalg.norm(torch.tensor(data), **kwargs).numpy()
        assert ours.shape == theirs.shape and abs(ours - theirs).max() < 1e-5, kwargs


def test_every_kernel_and_functional_module_declares_all():
    import importlib
    import pkgutil

    for package in (tl.kernels, tl.functional):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            assert isinstance(getattr(module, "__all__", None), list), module.__name__
            assert all(hasattr(module, name) for name in module.__all__), module.__name__
