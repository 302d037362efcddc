"""How long ``tl.save``/``tl.load`` take for a ~100 MB checkpoint, in both layouts, against ``torch.save/load``.

Layouts: a flat state_dict (safetensors layout) and a nested training checkpoint (zip with structure.json).
Best of ``--repeats`` runs each (the machine may be shared: the minimum is the least disturbed figure).
Usage: ``python benchmarks/checkpoint_io.py [--megabytes 100] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import tensorlib as tl


def _state(megabytes: int) -> dict:
    """``megabytes`` of float32 weights in 16 layers (weight + bias each)."""
    rng = np.random.default_rng(0)
    per_layer = megabytes * 1024 * 1024 // 4 // 16
    side = int(per_layer ** 0.5)
    return {f"layer{i}.{part}": tl.from_numpy(rng.standard_normal(shape).astype(np.float32))
            for i in range(16) for part, shape in (("weight", (side, side)), ("bias", (side,)))}


def _best(repeats: int, fn, *args, **kwargs) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def _torch_figures(obj_kind: str, state: dict, nested: dict, path: str, repeats: int) -> str:
    try:
        import torch
    except ImportError:
        return ""
    as_torch = {k: torch.from_numpy(v.numpy()) for k, v in state.items()}
    torch_obj = as_torch if obj_kind == "flat" else dict(nested, model=as_torch)
    save = _best(repeats, torch.save, torch_obj, path)
    load = _best(repeats, torch.load, path, weights_only=True)
    return f"  | torch save {save:6.3f} s  load {load:6.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    state = _state(args.megabytes)
    nested = {"model": state, "epoch": 3, "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ckpt.pt")
        for kind, obj in (("flat", state), ("nested", nested)):
            save = _best(args.repeats, tl.save, obj, path)
            size = os.path.getsize(path) / 2**20
            load = _best(args.repeats, tl.load, path)
            print(f"{kind:6s} {size:6.1f} MiB  save {save:6.3f} s  load {load:6.3f} s"
                  + _torch_figures(kind, state, nested, path, args.repeats))


if __name__ == "__main__":
    main()
