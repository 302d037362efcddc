"""The same expressions in tensorlib and PyTorch: forward values and gradients agree (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl

torch = pytest.importorskip("torch")

CASES = [
    ("broadcast_arith", lambda m, a, b: (a * b + a / (b * b + 1) - 2 ** a).sum(), [(3, 1), (1, 4)]),
    ("matmul_softmax", lambda m, a, b: m.softmax(a @ b, dim=-1).pow(2).sum(), [(2, 3, 4), (4, 5)]),
    ("log_softmax_gather", lambda m, a, b: m.log_softmax(a, dim=1).gather(1, m.tensor([[1], [0], [2]])).mean(),
     [(3, 4), (1,)]),
    ("reductions", lambda m, a, b: a.var(1).sum() + a.std() + a.amax(0).sum() + a.logsumexp(1).sum()
     + a.norm() + a.max(1).values.sum() + a.prod(), [(3, 4), (1,)]),
    ("shape_ops", lambda m, a, b: m.cat([a.permute(1, 0), a.T.flip(0)], 1).reshape(-1)[m.tensor([0, 3, 3, 5])]
     .sum() + m.stack([a, a * 2]).transpose(0, 2).sum(1).cumsum(0).sum(), [(3, 4), (1,)]),
    ("unary", lambda m, a, b: (a.exp() + a.sigmoid() + a.tanh() + a.sin() * a.cos() + a.erf() + a.abs().sqrt()
                               + a.clamp(-0.5, 0.5) + m.relu(a) + a.expm1() + (a.abs() + 1).log1p()).sum(),
     [(4, 5), (1,)]),
    ("where_minimum", lambda m, a, b: m.where(a > 0, a, b).sum() + m.minimum(a, b).sum() + m.maximum(a, b).sum(),
     [(3, 4), (3, 4)]),
    ("indexing", lambda m, a, b: a[1:, ::2].sum() + a[:, None, 0].sum() + a[a > 0].sum()
     + a.index_select(1, m.tensor([0, 0, 2])).sum() + a.scatter_add(0, m.tensor([[0, 1, 0, 1]]), b).sum()
     + a.masked_fill(a < 0, 1.0).pow(2).sum(), [(3, 4), (1, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) + 0.05 for s in shapes]
    ours = [tl.tensor(a, dtype=tl.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out_ours, out_theirs = fn(tl, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(out_ours.numpy(), out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    out_ours.backward()
    out_theirs.backward()
    for o, t in zip(ours, theirs):
        if t.grad is None:
            assert o.grad is None or np.allclose(o.grad.numpy(), 0)
        else:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)
