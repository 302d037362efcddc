"""Numerical gradient checks in float64: central differences against a random upstream gradient."""

from __future__ import annotations

from .._backend import xp
from ..errors import GradcheckError
from ..tensor import Tensor
from .gradients import grad as autograd_grad


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int = 0) -> bool:
    """Check ``func``'s analytic gradients against finite differences.

    ``inputs`` is a tensor or a tuple of tensors; those with ``requires_grad`` are checked and must be float64
    (float32 central differences are noise). The scalar checked is ``sum(func(*inputs) * c)`` for a random
    upstream gradient ``c``, which catches transposed or mis-ordered gradients a plain ``.sum()`` would miss.
    """

    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for t in checked:
        if t._data.dtype != xp.float64:
            raise ValueError(f"gradcheck needs float64 inputs for a meaningful finite difference, got {t.dtype}")
    rng = xp.random.default_rng(seed)

    def outputs_of(result):
        return result if isinstance(result, (tuple, list)) else (result,)

    outs = [o for o in outputs_of(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if checked and not outs:
        raise GradcheckError("no output of the function requires grad: the inputs are not connected to the "
                             "outputs through differentiable ops, so there is nothing to check")
    upstream = [rng.standard_normal(o.shape) for o in outs]

    def scalar() -> float:
        results = [o for o in outputs_of(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
        return float(sum((r._data * c).sum() for r, c in zip(results, upstream)))

    analytic = autograd_grad(outs, checked, grad_outputs=[Tensor._wrap(c) for c in upstream],
                             allow_unused=True)
    for index, (t, a) in enumerate(zip(checked, analytic)):
        numeric = xp.zeros(t.shape)
        data = t._data
        for i in xp.ndindex(data.shape):  # element by element in place: any strides (a flat reshape may copy)
            old = data[i]
            data[i] = old + eps
            plus = scalar()
            data[i] = old - eps
            minus = scalar()
            data[i] = old
            numeric[i] = (plus - minus) / (2 * eps)
        got = xp.zeros(t.shape) if a is None else a._data
        if not xp.allclose(got, numeric, atol=atol, rtol=rtol):
            if raise_exception:
                worst = xp.abs(got - numeric).max()
                raise GradcheckError(f"Jacobian mismatch for input {index}: max abs difference {worst:.3g}\n"
                                     f"analytical:\n{got}\nnumerical:\n{numeric}")
            return False
    return True



def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True, seed: int = 0) -> bool:
    """Check second derivatives: ``gradcheck`` of the map ``(inputs, v) -> grad(func(inputs), inputs, v)``.

    ``v`` (the first-level upstream gradient, float64, itself differentiated) is random unless ``grad_outputs``
    is given; ``gradcheck`` then draws a second random upstream gradient for the gradient's outputs, so both
    levels are checked against transposed or mis-ordered terms.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    rng = xp.random.default_rng(seed + 1)
    outs = func(*inputs)
    outs = [o for o in (outs if isinstance(outs, (tuple, list)) else (outs,)) if isinstance(o, Tensor)
            and o.requires_grad]
    if grad_outputs is None:
        grad_outputs = [Tensor._wrap(rng.standard_normal(o.shape)) for o in outs]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
    vs = [Tensor._wrap(xp.array(v._data, dtype=xp.float64)).requires_grad_() for v in grad_outputs]
    positions = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    count = len(inputs)

    def first_gradients(*args):
        primal, upstream = args[:count], args[count:]
        results = func(*primal)
        results = [o for o in (results if isinstance(results, (tuple, list)) else (results,))
                   if isinstance(o, Tensor) and o.requires_grad]
        grads = autograd_grad(results, [primal[i] for i in positions], grad_outputs=list(upstream),
                              create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None and g.requires_grad)

    # the recorded backward (create_graph=True) is a second implementation of each op's gradient: it must give
    # the same first derivative as the array backward that gradcheck verifies, or its own derivative means nothing
    recorded = first_gradients(*inputs, *vs)
    results = func(*inputs)
    results = [o for o in (results if isinstance(results, (tuple, list)) else (results,))
               if isinstance(o, Tensor) and o.requires_grad]
    plain = [g for g in autograd_grad(results, [inputs[i] for i in positions], grad_outputs=vs, allow_unused=True)
             if g is not None]
    for index, (a, b) in enumerate(zip(recorded, plain)):
        if not xp.allclose(a._data, b._data, atol=atol, rtol=rtol):
            if raise_exception:
                raise GradcheckError(f"first derivative of input {index} with create_graph=True differs from the "
                                     f"one without (max abs difference {xp.abs(a._data - b._data).max():.3g})")
            return False
    return gradcheck(first_gradients, (*inputs, *vs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)
