"""Module reprs and load_state_dict's result print as PyTorch prints them."""

import pytest

import tensorlib as tl
import tensorlib.nn as nn

NORM_LAYERS = [
    ("LayerNorm", (4,), {}), ("LayerNorm", ((4, 5),), {"bias": False}),
    ("LayerNorm", (4,), {"elementwise_affine": False}), ("GroupNorm", (2, 4), {}),
    ("GroupNorm", (2, 4), {"bias": False}), ("GroupNorm", (2, 4), {"affine": False}),
    ("BatchNorm1d", (3,), {}), ("BatchNorm2d", (3,), {"bias": False}), ("BatchNorm2d", (3,), {"affine": False}),
    ("BatchNorm3d", (3,), {"momentum": None, "track_running_stats": False}), ("InstanceNorm1d", (3,), {}),
    ("InstanceNorm2d", (3,), {"affine": True}), ("InstanceNorm3d", (3,), {"affine": True, "bias": False}),
    ("LocalResponseNorm", (2,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", NORM_LAYERS)
def test_norm_layer_repr_matches_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


def test_norm_layer_repr_without_torch():
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.BatchNorm2d(4, bias=False)) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, "
                                                   "bias=False, track_running_stats=True)")


def _load_results(lib):
    model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))
    matched = model.load_state_dict(model.state_dict())
    partial = {k: v for k, v in model.state_dict().items() if k != "2.bias"}
    partial["extra"] = lib.zeros(1)
    mismatched = model.load_state_dict(partial, strict=False)
    return matched, mismatched


def test_load_state_dict_result_prints_like_torch():
    matched, mismatched = _load_results(tl)
    assert repr(matched) == str(matched) == "<All keys matched successfully>"
    assert repr(mismatched) == "_IncompatibleKeys(missing_keys=['2.bias'], unexpected_keys=['extra'])"
    assert mismatched.missing_keys == ["2.bias"] and mismatched._fields == ("missing_keys", "unexpected_keys")
    missing, unexpected = mismatched
    assert unexpected == ["extra"] and not matched.missing_keys
    torch = pytest.importorskip("torch")
    theirs = _load_results(torch)
    assert (repr(matched), repr(mismatched)) == (repr(theirs[0]), repr(theirs[1]))
