"""``summary(model, input_size)``: a table of every layer's output shape and parameter count.

Runs one forward pass (no grad, eval mode, restored afterwards) on zeros of shape ``(batch_size, *input_size)``
with forward hooks on every submodule; layers are listed in call order.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from ..autograd.grad_mode import no_grad
from ..creation import zeros
from ..tensor import Tensor
from .modules.module import Module

__all__ = ["summary"]


def _shape_of(output) -> str:
    if isinstance(output, Tensor):
        return str(list(output.shape))
    if isinstance(output, (tuple, list)):
        return "[" + ", ".join(_shape_of(o) for o in output) + "]"
    if isinstance(output, dict):
        return "{" + ", ".join(f"{k}: {_shape_of(v)}" for k, v in output.items()) + "}"
    return type(output).__name__


def _inputs(input_size, dtypes, batch_size: int) -> List[Tensor]:
    sizes = [input_size] if input_size and isinstance(input_size[0], int) else list(input_size)
    dtypes = list(dtypes) if dtypes is not None else [None] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary(): got {len(dtypes)} dtypes for {len(sizes)} inputs")
    return [zeros((batch_size, *size), dtype=dtype) for size, dtype in zip(sizes, dtypes)]


def summary(model: Module, input_size: Sequence, dtypes: Optional[Sequence] = None, *, batch_size: int = 1,
            print_fn=print) -> str:
    """Print and return a table (layer path, type, output shape, own parameter count) and parameter totals.

    ``input_size`` is one input's shape without the batch dim, e.g. ``(1, 28, 28)``, or a list of them for a
    model with several inputs; ``dtypes`` gives one dtype per input (default float32).
    """
    rows = []
    handles = []
    for name, module in model.named_modules():
        if module is model and list(model.children()):
            continue

        def hook(mod, args, output, name=name):
            params = sum(p.numel() for p in mod.parameters(recurse=False))
            rows.append((name or mod._get_name(), mod._get_name(), _shape_of(output), params))

        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(*_inputs(tuple(input_size), dtypes, batch_size))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    header = ("Layer", "Type", "Output Shape", "Param #")
    table = [header] + [(path, kind, shape, f"{count:,}") for path, kind, shape, count in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]

    def line(row) -> str:
        return "  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2]),
                          row[3].rjust(widths[3])]).rstrip()

    rule = "=" * len(line(header))
    lines = [rule, line(header), rule] + [line(row) for row in table[1:]] + [rule]
    lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", rule]
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text
