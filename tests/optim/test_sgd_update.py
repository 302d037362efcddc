"""SGD's update is PyTorch's, rounding included: with NumPy's BLAS the fused ``p.add_(grad, alpha=-lr)`` (and the
fused weight-decay / Nesterov / dampening adds) make the parameters and momentum buffers bit-identical to
``torch.optim.SGD`` fed the same gradients; the embedding row update stays within one rounding of it."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.optim as optim
from tensorlib._blas import has_fused_axpy
from tensorlib.nn import Parameter

OPTIONS = [
    {"lr": 0.01},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.03, "momentum": 0.9, "weight_decay": 1e-3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    {"lr": 0.02, "momentum": 0.5, "maximize": True},
]


def _check(ours, theirs, exact: bool) -> None:
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    else:  # the NumPy fallback rounds the product separately
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_parameters_and_buffers_match_torch_bit_for_bit(options):
    torch = pytest.importorskip("torch")
    exact = has_fused_axpy(np.float32)
    rng = np.random.default_rng(3)
    inits = [rng.standard_normal((33, 17)).astype(np.float32), rng.standard_normal(17).astype(np.float32),
             np.asfortranarray(rng.standard_normal((6, 5)).astype(np.float32)).T.copy()]
    ours = [Parameter(tl.tensor(a.copy())) for a in inits]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in inits]
    opt, ref = optim.SGD(ours, **options), torch.optim.SGD(theirs, **options)
    for step in range(6):
        for p, q, a in zip(ours, theirs, inits):
            g = rng.standard_normal(a.shape).astype(np.float32)
            # one gradient arrives transposed (non-contiguous), as a backward may hand it over
            p.grad = tl.from_numpy(np.ascontiguousarray(g.T).T if step % 2 and g.ndim == 2 else g)
            q.grad = torch.from_numpy(g.copy())
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs):
            _check(p.detach().numpy(), q.detach().numpy(), exact)
    if options.get("momentum"):
        for p, q in zip(ours, theirs):
            _check(opt.state[p]["momentum_buffer"].numpy(), ref.state[q]["momentum_buffer"].numpy(), exact)


def test_sgd_momentum_step_leaves_grad_untouched_and_bumps_version():
    p = Parameter(tl.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    grad = np.full((2, 3), 0.5, np.float32)
    for _ in range(2):
        p.grad = tl.tensor(grad.copy())
        before = p._version.value
        opt.step()
        np.testing.assert_array_equal(p.grad.numpy(), grad)
        assert p._version.value == before + 1
    assert opt.state[p]["momentum_buffer"].numpy() is not p.grad.numpy()


def test_sgd_embedding_row_update_stays_within_one_rounding_of_the_dense_update():
    """The row path (gradient known to be zero outside the looked-up rows, NumPy's product-then-sum) against the
    same gradient given as a plain dense tensor (the fused update): equal up to the one rounding they differ in,
    and the rows nobody looked up are untouched by both."""
    rng = np.random.default_rng(5)
    emb = nn.Embedding(200, 8)
    before = emb.weight.detach().numpy().copy()
    dense = Parameter(tl.tensor(before.copy()))
    index = rng.integers(0, 200, (4, 6))
    out = emb(tl.tensor(index))
    (out * tl.tensor(rng.standard_normal(out.shape).astype(np.float32))).sum().backward()
    dense.grad = tl.tensor(emb.weight.grad.numpy().copy())  # no row hint: the dense path
    optim.SGD(emb.parameters(), lr=0.1).step()
    optim.SGD([dense], lr=0.1).step()
    rows, ours = emb.weight.detach().numpy(), dense.detach().numpy()
    scale = np.abs(before) + np.abs(np.float32(0.1) * dense.grad.numpy())  # a rounding is relative to these
    assert np.all(np.abs(rows - ours) <= 2 * np.finfo(np.float32).eps * scale)
    untouched = np.setdiff1d(np.arange(200), index)
    np.testing.assert_array_equal(rows[untouched], before[untouched])
    np.testing.assert_array_equal(ours[untouched], before[untouched])
