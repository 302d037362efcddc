"""``grad_fn`` names follow PyTorch's (``<MulBackward0>``, ``<ConvolutionBackward0>`` ...)."""

from __future__ import annotations

import pytest

import tensorlib as tl
import tensorlib.nn.functional as F

CASES = {  # name: (function of (lib, F, x, w), PyTorch's grad_fn name)
    "add": (lambda lib, F, x, w: x + x, "AddBackward0"),
    "mul": (lambda lib, F, x, w: x * 2, "MulBackward0"),
    "div": (lambda lib, F, x, w: x / 3, "DivBackward0"),
    "neg": (lambda lib, F, x, w: -x, "NegBackward0"),
    "exp": (lambda lib, F, x, w: x.exp(), "ExpBackward0"),
    "tanh": (lambda lib, F, x, w: x.tanh(), "TanhBackward0"),
    "sigmoid": (lambda lib, F, x, w: x.sigmoid(), "SigmoidBackward0"),
    "relu": (lambda lib, F, x, w: x.relu(), "ReluBackward0"),
    "sum": (lambda lib, F, x, w: x.sum(), "SumBackward0"),
    "mean": (lambda lib, F, x, w: x.mean(), "MeanBackward0"),
    "max_all": (lambda lib, F, x, w: x.max(), "MaxBackward1"),
    "max_dim": (lambda lib, F, x, w: x.max(1)[0], "MaxBackward0"),
    "mm": (lambda lib, F, x, w: x.flatten(1) @ x.flatten(1).T, "MmBackward0"),
    "permute": (lambda lib, F, x, w: x.permute(1, 0, 2, 3), "PermuteBackward0"),
    "view": (lambda lib, F, x, w: x.view(-1), "ViewBackward0"),
    "cat": (lambda lib, F, x, w: lib.cat([x, x]), "CatBackward0"),
    "conv2d": (lambda lib, F, x, w: F.conv2d(x, w), "ConvolutionBackward0"),
    "softmax": (lambda lib, F, x, w: x.softmax(1), "SoftmaxBackward0"),
    "log_softmax": (lambda lib, F, x, w: x.log_softmax(1), "LogSoftmaxBackward0"),
    "gelu": (lambda lib, F, x, w: F.gelu(x), "GeluBackward0"),
    "mse": (lambda lib, F, x, w: F.mse_loss(x, x.detach()), "MseLossBackward0"),
    "reflect_pad": (lambda lib, F, x, w: F.pad(x, (1, 1, 1, 1), mode="reflect"), "ReflectionPad2DBackward0"),
    "constant_pad": (lambda lib, F, x, w: F.pad(x, (1, 1)), "ConstantPadNdBackward0"),
    "max_pool": (lambda lib, F, x, w: F.max_pool2d(x, 2), "MaxPool2DWithIndicesBackward0"),
    "avg_pool": (lambda lib, F, x, w: F.avg_pool2d(x, 2), "AvgPool2DBackward0"),
    "float64": (lambda lib, F, x, w: x.double(), "ToCopyBackward0"),
}


def _inputs(lib):
    x = lib.ones(2, 3, 4, 4, requires_grad=True)
    w = lib.ones(5, 3, 3, 3)
    return x, w


@pytest.mark.parametrize("case", sorted(CASES))
def test_grad_fn_name(case):
    fn, expected = CASES[case]
    out = fn(tl, F, *_inputs(tl))
    assert out.grad_fn.name() == expected
    assert f"grad_fn=<{expected}>" in repr(out)


@pytest.mark.parametrize("case", sorted(CASES))
def test_grad_fn_names_are_torchs(case):
    torch = pytest.importorskip("torch")
    fn, expected = CASES[case]
    assert fn(torch, torch.nn.functional, *_inputs(torch)).grad_fn.name() == expected
