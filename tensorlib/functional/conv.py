"""Convolutions, unfold and fold at the Tensor level: argument checks, dtype promotion and shapes, then the
kernels of ``tensorlib/kernels/conv.py`` (where the maths, forward beside backward, lives)."""

from __future__ import annotations

from typing import Union

from ..dtypes import cpp_name
from ..errors import InputShapeError
from ..kernels._utils import _ntuple, _pair
from ..kernels.conv import Convolution, IntOrPair, output_size
from ..kernels.conv_transpose import ConvolutionTranspose
from ..kernels.im2col import Col2Im, Im2Col
from ..tensor import Tensor

__all__ = ["conv2d", "conv1d", "conv_transpose2d", "unfold", "fold"]


def _check_types(input: Tensor, weight: Tensor, bias) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"expected a floating point input, got {input.dtype}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({cpp_name(input._data.dtype)}) and weight type "
                           f"({cpp_name(weight._data.dtype)}) should be the same")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({cpp_name(input._data.dtype)}) and bias type "
                           f"({cpp_name(bias._data.dtype)}) should be the same")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor = None, stride: IntOrPair = 1,
           padding: Union[IntOrPair, str] = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation). input (N, C, H, W) or (C, H, W); weight (OC, C/groups, KH, KW)."""
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got "
                           f"shape {list(weight.shape)}")
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if input.ndim != 4:
        raise InputShapeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                           f"{list(input.shape)}")
    _check_types(input, weight, bias)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"conv2d: stride and dilation must be positive, got stride={stride}, "
                           f"dilation={dilation}")
    oc, cg, kh, kw = weight.shape
    c = input.shape[1]
    if groups < 1 or oc % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if c != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {cg * groups} channels, but got {c} channels instead")
    if bias is not None and tuple(bias.shape) != (oc,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{oc} elements, but got bias of size {list(bias.shape)} instead")
    pads = _conv_pads(padding, (kh, kw), stride, dilation, 2)
    h, w = input.shape[2:]
    eff = (h + sum(pads[0]), w + sum(pads[1]))
    if eff[0] < dilation[0] * (kh - 1) + 1 or eff[1] < dilation[1] * (kw - 1) + 1:
        raise InputShapeError(f"Calculated padded input size per channel: ({eff[0]} x {eff[1]}). Kernel size: "
                           f"({dilation[0] * (kh - 1) + 1} x {dilation[1] * (kw - 1) + 1}). Kernel size can't be "
                           "greater than actual input size")
    return Convolution.apply(input, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor = None, stride: IntOrPair = 1,
           padding: Union[IntOrPair, str] = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """1-D convolution. input (N, C, L) or (C, L); weight (OC, C/groups, K). Runs as conv2d with H = 1."""
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, kW), got "
                           f"shape {list(weight.shape)}")
    if input.ndim == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if input.ndim != 3:
        raise InputShapeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                           f"{list(input.shape)}")
    stride = _ntuple(stride, 1, "stride")[0]
    dilation = _ntuple(dilation, 1, "dilation")[0]
    pad2 = padding if isinstance(padding, str) else (0, _ntuple(padding, 1, "padding")[0])
    if input.shape[1] != weight.shape[1] * groups:  # checked here so the message shows the 1-D shapes
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
                           f"{input.shape[1]} channels instead")
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), pad2, (1, dilation), groups)
    return out.squeeze(2)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor = None, stride: IntOrPair = 1,
                     padding: IntOrPair = 0, output_padding: IntOrPair = 0, groups: int = 1,
                     dilation: IntOrPair = 1) -> Tensor:
    """Transposed 2-D convolution. input (N, C, H, W); weight (C, OC/groups, KH, KW).

    Output size ``(H-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1`` per spatial dim.
    """
    if weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 4-D weight (in_channels, out_channels/groups, kH, "
                           f"kW), got shape {list(weight.shape)}")
    if input.ndim == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    if input.ndim != 4:
        raise InputShapeError(f"Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input "
                           f"of size: {list(input.shape)}")
    _check_types(input, weight, bias)
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding, dilation = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    cin, ocg, kh, kw = weight.shape
    if input.shape[1] != cin or cin % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {cin} channels, but got {input.shape[1]} channels "
                           "instead")
    if bias is not None and tuple(bias.shape) != (ocg * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {ocg * groups} elements, but got bias of size {list(bias.shape)}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    h, w = input.shape[2:]
    full = tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip((h, w), stride, dilation, (kh, kw)))
    out_hw = tuple(f - 2 * p + op for f, p, op in zip(full, padding, output_padding))
    if min(out_hw) < 1:
        raise InputShapeError(f"conv_transpose2d: output size {out_hw} is too small for input {list(input.shape)}")
    # output_padding adds rows/cols past the windows' reach: grow the col2im canvas to cover them
    full = tuple(max(f, p + o) for f, p, o in zip(full, padding, out_hw))
    return ConvolutionTranspose.apply(input, weight, bias, stride=stride, padding=padding, dilation=dilation,
                                   groups=groups, full_hw=full, out_hw=out_hw)


def unfold(input: Tensor, kernel_size: IntOrPair, dilation: IntOrPair = 1, padding: IntOrPair = 0,
           stride: IntOrPair = 1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*KH*KW, L), L = number of sliding blocks (row-major over positions)."""
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 4:
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    geo = _fold_geometry(input.shape[2:], kernel_size, dilation, padding, stride, "unfold")
    return Im2Col.apply(input, **geo)


def fold(input: Tensor, output_size: IntOrPair, kernel_size: IntOrPair, dilation: IntOrPair = 1,
         padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """col2im: (N, C*KH*KW, L) -> (N, C, H, W), summing overlapping block values."""
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 3:
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {input.ndim}D)")
    hw = _pair(output_size, "output_size")
    geo = _fold_geometry(hw, kernel_size, dilation, padding, stride, "fold")
    kk = geo["kernel"][0] * geo["kernel"][1]
    blocks = geo["out_hw"][0] * geo["out_hw"][1]
    if input.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={input.shape[1]} and kernel_size={geo['kernel']}")
    if input.shape[2] != blocks:
        raise RuntimeError(f"Given output_size={hw}, kernel_size={geo['kernel']}, dilation={geo['dilation']}, "
                           f"padding={tuple(p for p, _ in geo['pads'])}, stride={geo['stride']}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{geo['out_hw'][0]} * {geo['out_hw'][1]} = {blocks}, but got "
                           f"input.size(2)={input.shape[2]}.")
    padded = tuple(n + 2 * p for n, (p, _) in zip(hw, geo["pads"]))
    return Col2Im.apply(input, padded_hw=padded, **geo)


def same_pads(kernel, dilation):
    """PyTorch's 'same': total ``d*(k-1)``, the odd extra element goes after (bottom/right)."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _conv_pads(padding, kernel, stride, dilation, ndim: int):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            return same_pads(kernel, dilation)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of ('valid', 'same')")
    pads = _ntuple(padding, ndim, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError(f"negative padding is not supported, got {pads}")
    return tuple((p, p) for p in pads)


def _fold_geometry(spatial, kernel_size, dilation, padding, stride, op):
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    pads = tuple((p, p) for p in padding)
    out_hw = tuple(output_size(n, k, s, 2 * p, d) for n, k, s, p, d in zip(spatial, kernel, stride, padding,
                                                                             dilation))
    if min(out_hw) < 1:
        raise InputShapeError(f"{op}: given input spatial size {tuple(spatial)} with kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}: the calculated number of "
                           f"sliding blocks {out_hw} is too small (non-positive)")
    return dict(kernel=kernel, dilation=dilation, stride=stride, pads=pads, out_hw=out_hw)
