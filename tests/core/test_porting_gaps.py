"""The gaps real PyTorch programs hit, each checked against PyTorch when it is installed: keyword forms of the
creation and random functions, result types named like PyTorch's, ``view`` of non-contiguous layouts, error
types, fresh seeds, and the small top-level names (constants, finfo/iinfo, devices, determinism, anomaly mode)."""

from __future__ import annotations

import inspect
import math
import pickle
import subprocess
import sys
import warnings

import pytest

import tensorlib as tl
from tensorlib.errors import CPU_ONLY_HINT

# Each call is written once as text with ``T`` the module (tensorlib or torch) and ``x``/``xi`` a float/int tensor;
# both libraries must give the same shape and dtype, or the same error type.
KEYWORD_CALLS = [
    "T.zeros(size=(2, 3))", "T.zeros((2, 3))", "T.zeros(2, 3)", "T.zeros([2])", "T.ones(size=[2])",
    "T.empty(size=(2,))", "T.empty(2, 3, pin_memory=False)", "T.zeros(2, size=(2,))", "T.zeros()",
    "T.full(size=(2,), fill_value=3.0)", "T.full((2,), 3)", "T.full((2,), True)", "T.full((2,), 1.5, dtype=T.int64)",
    "T.arange(end=5)", "T.arange(start=1, end=5)", "T.arange(start=0, end=5, step=1)", "T.arange(0, 5, 1)",
    "T.arange(5.0)", "T.arange(0, 1, 0.25)", "T.arange(5, step=2)",
    "T.linspace(start=0, end=1, steps=5)", "T.logspace(start=0, end=1, steps=5, base=2)", "T.eye(n=3, m=2)",
    "T.eye(3, dtype=T.int64)", "T.tensor(data=[1, 2])", "T.as_tensor(data=[1])",
    "T.tril_indices(row=3, col=3, offset=0)", "T.triu_indices(3, 3, 1, device='cpu')",
    "T.zeros_like(input=x)", "T.ones_like(x, dtype=T.int64)", "T.empty_like(x)", "T.full_like(x, fill_value=2)",
    "T.rand(size=(2,))", "T.randn(size=(2,))", "T.rand(2, 3, generator=None)", "T.rand(())", "T.randn(2, 3)",
    "T.rand(2, dtype=T.float64)", "T.rand(2, dtype=T.int64)", "T.randn(2, dtype=T.int64)",
    "T.randint(10, size=(3,))", "T.randint(high=5, size=(1,))", "T.randint(low=0, high=5, size=(2,))",
    "T.randint(3, high=5, size=(2,))", "T.randint(0, 10, size=(3,))", "T.randint(10, (3,))",
    "T.randint(0, 10, (3, 2))", "T.randint(5, size=(2,), dtype=T.float32)", "T.randint(size=(2,), high=3)",
    "T.randint(low=2, size=(2,))", "T.randint(5, 5, (2,))",
    "T.randperm(n=5)", "T.randperm(4, dtype=T.float32)",
    "T.normal(mean=0.0, std=1.0, size=(2,))", "T.normal(2.0, 3.0, (2,))", "T.normal(T.zeros(3))",
    "T.normal(mean=T.zeros(3), std=2.0)", "T.normal(0.0, T.ones(3))", "T.normal(0.0, 1.0, size=(2,), dtype=T.float64)",
    "T.normal(0.0, 1.0)",
    "T.rand_like(input=x)", "T.randn_like(x, dtype=T.float64)", "T.rand_like(xi)", "T.randn_like(xi)",
    "T.randint_like(x, 5)", "T.randint_like(x, high=5)", "T.randint_like(x, low=1, high=5)", "T.randint_like(x, 1, 5)",
    "T.randint_like(xi, 5)",
    "T.bernoulli(x, p=0.5)", "T.bernoulli(input=x)", "T.multinomial(input=T.ones(3), num_samples=2)",
    "x.bernoulli()", "x.bernoulli(p=0.3)", "x.new_zeros((2,))", "x.new_ones(2, 3)", "x.new_zeros(size=(2,))",
    "x.new_empty(size=[3])", "x.new_full((2,), 3.0)", "xi.new_ones(2)", "T.scalar_tensor(3)",
    "T.scalar_tensor(2, dtype=T.int64)", "T.empty_strided((2, 3), (3, 1))", "T.empty_strided((2, 3), (1, 2))",
    # the in-place fills, their keywords and the dtypes they refuse
    "x.uniform_()", "x.uniform_(-1, 1)", "x.normal_(mean=0.0, std=2.0)", "x.random_(0, 10)", "x.random_(10)",
    "x.random_(to=5)", "x.bernoulli_(p=0.5)", "x.exponential_(lambd=2.0)", "x.geometric_(0.5)", "x.cauchy_()",
    "x.log_normal_(mean=1.0, std=2.0)", "xi.random_(0, 5)", "xi.uniform_()", "xi.normal_()", "xi.cauchy_()",
]


def _outcome(module, call: str):
    env = {"T": module, "x": module.zeros(2, 3), "xi": module.zeros(2, 3, dtype=module.int64)}
    try:
        result = eval(call, env)  # the table's calls are literal text written above
    except Exception as exc:  # noqa: BLE001  (the error type is the result being compared)
        return type(exc).__mro__[0:3]
    return tuple(result.shape), str(result.dtype).split(".")[-1]


@pytest.mark.parametrize("call", KEYWORD_CALLS)
def test_creation_and_random_keyword_forms_match_pytorch(call):
    torch = pytest.importorskip("torch")
    ours, theirs = _outcome(tl, call), _outcome(torch, call)
    if isinstance(theirs[0], type):  # an error: ours is of the same type (or a subclass of it)
        assert isinstance(ours[0], type) and issubclass(ours[0], theirs[0]), (ours, theirs)
    else:
        assert ours == theirs


def test_randint_keyword_forms_draw_the_same_values():
    forms = [lambda: tl.randint(0, 10, (6,)), lambda: tl.randint(10, size=(6,)), lambda: tl.randint(high=10, size=(6,)),
             lambda: tl.randint(low=0, high=10, size=(6,)), lambda: tl.randint(0, high=10, size=[6])]
    draws = []
    for form in forms:
        tl.manual_seed(3)
        draws.append(form().tolist())
    assert all(d == draws[0] for d in draws) and all(0 <= v < 10 for v in draws[0])


def test_random_draws_respect_bounds_and_shape_keywords():
    tl.manual_seed(0)
    values = tl.randint(low=3, high=5, size=(1000,))
    assert set(values.tolist()) == {3, 4}
    assert tl.randint_like(tl.zeros(500), low=-2, high=0).unique().tolist() == [-2.0, -1.0]
    assert tl.normal(mean=tl.full((2000,), 5.0), std=0.5).mean().item() == pytest.approx(5.0, abs=0.1)
    assert tl.rand(size=(2, 3), requires_grad=True).requires_grad
    with pytest.raises(NotImplementedError, match="Long"):
        tl.rand_like(tl.zeros(2, dtype=tl.int64))


# ------------------------------------------------------------------ result types named like PyTorch's
RESULT_CALLS = ["T.max(x, 1)", "T.min(x, dim=0)", "x.max(1, keepdim=True)", "T.sort(x)", "T.topk(x, 1)",
                "T.kthvalue(x, 1)", "T.aminmax(x)", "T.aminmax(x, dim=1)", "x.sort(descending=True)"]


@pytest.mark.parametrize("call", RESULT_CALLS)
def test_result_types_print_and_unpack_like_pytorch(call):
    torch = pytest.importorskip("torch")
    ours = eval(call, {"T": tl, "x": tl.tensor([[1.0, 3.0], [4.0, 2.0]])})
    theirs = eval(call, {"T": torch, "x": torch.tensor([[1.0, 3.0], [4.0, 2.0]])})
    assert repr(ours) == repr(theirs).replace("torch.", "tensorlib.")
    assert type(ours).__name__ == type(theirs).__name__ and isinstance(ours, tuple) and len(ours) == len(theirs)


def test_result_types_are_named_and_picklable():
    result = tl.max(tl.tensor([[1.0, 3.0], [4.0, 2.0]]), 1)
    assert type(result) is tl.return_types.max
    values, indices = result
    assert values.tolist() == [3.0, 4.0] and result.indices.tolist() == [1, 0]
    assert repr(result) == ("tensorlib.return_types.max(\nvalues=tensor([3., 4.]),\nindices=tensor([1, 0]))")
    again = pickle.loads(pickle.dumps(result))
    assert type(again) is tl.return_types.max and again.values.tolist() == [3.0, 4.0]


# ------------------------------------------------------------------ view of non-contiguous layouts
VIEW_CALLS = ["x.t().view(-1)", "x.t().view(4, 3)", "x.t().contiguous().view(-1)", "x.t().reshape(-1)",
              "x.view(4, 3)", "x[:, 1:3].view(-1)", "x[:, ::2].view(-1)", "x[1:].view(-1)",
              "x.unsqueeze(0).expand(2, 3, 4).view(6, 4)", "x.unsqueeze(0).expand(2, 3, 4).view(2, 12)",
              "x.permute(1, 0).view(2, 2, 3)", "x.t().t().view(-1)", "x.narrow(1, 0, 2).view(-1)",
              "x.select(1, 0).view(3, 1)", "x.t()[0].view(-1)", "x.t().view_as(x)", "x.transpose(0, 1).view(4, 3, 1)",
              "y.permute(0, 2, 1).view(2, -1)", "y.permute(1, 0, 2).view(3, 2, 4)", "y.permute(1, 0, 2).view(3, 8)",
              "y[:, :, :2].view(2, 3, 2)", "y[:, :, :2].view(12)", "y.transpose(1, 2).view(2, 4, 3)"]


def _view_outcome(module, call: str):
    env = {"x": module.arange(12.0).reshape(3, 4), "y": module.arange(24.0).reshape(2, 3, 4)}
    try:
        result = eval(call, env)
    except RuntimeError as exc:
        return "RuntimeError", "Use .reshape(...) instead" in str(exc)
    return tuple(result.shape), result.tolist()


@pytest.mark.parametrize("call", VIEW_CALLS)
def test_view_refuses_non_contiguous_layouts_as_pytorch(call):
    torch = pytest.importorskip("torch")
    assert _view_outcome(tl, call) == _view_outcome(torch, call)


def test_view_error_points_to_reshape_and_views_share_memory():
    x = tl.arange(12.0).reshape(3, 4)
    with pytest.raises(RuntimeError, match=r"view size is not compatible .* Use \.reshape\(\.\.\.\) instead"):
        x.t().view(-1)
    viewed = x.t().view(2, 2, 3)  # splits the (now leading) dimension: strides allow it
    viewed[0, 0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    assert x.t().reshape(-1).shape == (12,)


# ------------------------------------------------------------------ error types where programs compare them
ERROR_CALLS = [
    "float(x)", "int(x)", "complex(x)", "bool(x)", "x.item()", "float(T.zeros(1, 1))", "int(T.tensor([2.7]))",
    "T.rand_like(xi)", "T.randn_like(xi)",
    "F.cross_entropy(logits, ti)", "F.cross_entropy(logits, tf)", "F.cross_entropy(logits, t32)",
    "F.cross_entropy(logits, T.softmax(logits, 1))", "F.nll_loss(logits, tf)", "F.nll_loss(logits, t32)",
    "F.cross_entropy(logits, T.zeros(4, dtype=T.bool))", "T.nn.CrossEntropyLoss()(logits, tf)",
    "F.mse_loss(logits, T.zeros(4, 3, dtype=T.int64))", "F.mse_loss(xi, xi)", "F.l1_loss(xi, xi)",
    "F.l1_loss(logits, T.zeros(4, 3, dtype=T.int64))", "F.smooth_l1_loss(logits, T.zeros(4, 3, dtype=T.int64))",
    "F.huber_loss(logits, T.zeros(4, 3, dtype=T.int64))", "F.mse_loss(logits, T.zeros(4, 3, dtype=T.float64))",
    "F.binary_cross_entropy(T.rand(4), T.tensor([0, 1, 1, 0]))", "T.nn.BCELoss()(T.rand(4), T.tensor([0, 1, 1, 0]))",
    "F.binary_cross_entropy(T.rand(4), T.tensor([0.0, 1.0, 1.0, 0.0], dtype=T.float64))",
    "F.binary_cross_entropy_with_logits(T.rand(4), T.tensor([0, 1, 1, 0]))",
    "F.binary_cross_entropy_with_logits(T.rand(4), T.tensor([0.0, 1, 1, 0], dtype=T.float64))",
    "F.kl_div(logits, T.zeros(4, 3, dtype=T.int64), reduction='sum')",
]


@pytest.mark.parametrize("call", ERROR_CALLS)
def test_error_types_and_result_dtypes_match_pytorch(call):
    torch = pytest.importorskip("torch")

    def outcome(module):
        env = {"T": module, "F": module.nn.functional, "x": module.zeros(2, 3),
               "xi": module.zeros(2, dtype=module.int64), "logits": module.randn(4, 3),
               "ti": module.tensor([0, 1, 2, 1]), "tf": module.tensor([0.0, 1.0, 2.0, 1.0]),
               "t32": module.tensor([0, 1, 2, 1], dtype=module.int32)}
        try:
            result = eval(call, env)
        except Exception as exc:  # noqa: BLE001  (the error type is the result being compared)
            return type(exc).__name__
        return str(getattr(result, "dtype", type(result).__name__)).split(".")[-1]

    assert outcome(tl) == outcome(torch)


# ------------------------------------------------------------------ seeds
def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_each_process_starts_from_a_fresh_seed_and_manual_seed_reproduces():
    fresh = "import tensorlib as tl; print(tl.initial_seed(), tl.rand(3).tolist())"
    first, second = _run(fresh), _run(fresh)
    assert first != second
    seeded = "import tensorlib as tl; tl.manual_seed(7); print(tl.initial_seed(), tl.randn(4).tolist())"
    assert _run(seeded) == _run(seeded)
    assert _run(seeded).startswith("7 ")


def test_initial_seed_reports_the_seed_that_reproduces_the_stream():
    generator = tl.Generator()
    assert generator.initial_seed() == 67280421310721  # a new Generator starts from PyTorch's default seed
    seed = tl.seed()
    assert tl.initial_seed() == seed
    first = tl.rand(5).tolist()
    tl.manual_seed(tl.initial_seed())
    assert tl.rand(5).tolist() == first


# ------------------------------------------------------------------ small top-level names
def test_constants_are_pythons_floats():
    assert (tl.pi, tl.e, tl.inf) == (math.pi, math.e, math.inf) and math.isnan(tl.nan)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_finfo_matches_pytorch(dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = tl.finfo(getattr(tl, dtype)), torch.finfo(getattr(torch, dtype))
    for name in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
def test_iinfo_matches_pytorch(dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = tl.iinfo(getattr(tl, dtype)), torch.iinfo(getattr(torch, dtype))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(ours) == repr(theirs)


def test_finfo_and_iinfo_refuse_the_other_kind():
    assert tl.finfo() == tl.finfo(tl.float32) and tl.finfo().eps == pytest.approx(1.1920929e-07)
    with pytest.raises(TypeError, match="iinfo"):
        tl.finfo(tl.int64)
    with pytest.raises(TypeError, match="finfo"):
        tl.iinfo(tl.float32)
    with pytest.raises(TypeError):
        tl.iinfo(tl.bool)


def test_set_default_device_accepts_cpu_and_refuses_others_with_the_hint():
    tl.set_default_device("cpu")
    tl.set_default_device(tl.device("cpu"))
    tl.set_default_device(None)
    assert tl.get_default_device() == tl.device("cpu")
    with pytest.raises(RuntimeError) as info:
        tl.set_default_device("cuda")
    assert str(info.value).endswith(CPU_ONLY_HINT)


@pytest.mark.parametrize("call", ["tl.zeros(2).to('cuda')", "tl.zeros(2).cuda()", "tl.zeros(2, device='cuda')",
                                  "tl.rand(2, device='cuda')", "tl.nn.Linear(2, 2).cuda()",
                                  "tl.nn.Linear(2, 2).to('cuda:0')", "tl.tensor([1.0], device='cuda')"])
def test_cuda_requests_end_with_the_cpu_only_hint(call):
    with pytest.raises(RuntimeError) as info:
        eval(call, {"tl": tl})
    assert str(info.value).endswith(CPU_ONLY_HINT)


def test_deterministic_algorithms_flag_round_trips():
    try:
        tl.use_deterministic_algorithms(True, warn_only=True)
        assert tl.are_deterministic_algorithms_enabled() and tl.is_deterministic_algorithms_warn_only_enabled()
    finally:
        tl.use_deterministic_algorithms(False)
    assert not tl.are_deterministic_algorithms_enabled()


# ------------------------------------------------------------------ anomaly detection and Variable
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy: 0 * inf in sqrt's backward
def test_detect_anomaly_names_the_backward_and_the_forward_line():
    x = tl.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = tl.autograd.detect_anomaly()
    with mode:
        assert tl.is_anomaly_enabled()
        loss = (tl.sqrt(x) * 0).sum()  # d sqrt(x)/dx at 0 is inf; inf * 0 is nan
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    assert not tl.is_anomaly_enabled()
    message = str(info.value)
    assert message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    source, first = inspect.getsourcelines(test_detect_anomaly_names_the_backward_and_the_forward_line)
    line = first + next(i for i, text in enumerate(source) if "loss = (tl.sqrt(x)" in text)
    assert f'{__file__}", line {line}, in test_detect_anomaly' in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy: 0 * inf in sqrt's backward
def test_without_anomaly_mode_nan_gradients_pass_silently():
    x = tl.tensor([0.0, 1.0], requires_grad=True)
    (tl.sqrt(x) * 0).sum().backward()
    assert math.isnan(x.grad[0].item())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy: 0 * inf in sqrt's backward
def test_set_detect_anomaly_works_as_function_and_context_manager():
    tl.autograd.set_detect_anomaly(True)
    try:
        assert tl.is_anomaly_enabled() and tl.is_anomaly_check_nan_enabled()
    finally:
        tl.autograd.set_detect_anomaly(False)
    assert not tl.is_anomaly_enabled()
    with tl.autograd.set_detect_anomaly(True, check_nan=False):
        assert tl.is_anomaly_enabled() and not tl.is_anomaly_check_nan_enabled()
        x = tl.tensor([0.0], requires_grad=True)
        (tl.sqrt(x) * 0).sum().backward()  # check_nan=False: no error
    assert not tl.is_anomaly_enabled() and tl.is_anomaly_check_nan_enabled()


def test_detect_anomaly_as_decorator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @tl.autograd.detect_anomaly()
        def step():
            return tl.is_anomaly_enabled()

    assert step() and not tl.is_anomaly_enabled()


def test_variable_is_the_legacy_no_op_wrapper():
    data = tl.tensor([1.0, 2.0])
    wrapped = tl.autograd.Variable(data, requires_grad=True)
    assert isinstance(wrapped, tl.Tensor) and isinstance(data, tl.autograd.Variable)
    assert wrapped.requires_grad and not data.requires_grad
    (wrapped * 2).sum().backward()
    assert wrapped.grad.tolist() == [2.0, 2.0]
    data[0] = 5.0  # the same memory
    assert wrapped[0].item() == 5.0
    with pytest.raises(TypeError):
        tl.autograd.Variable([1.0, 2.0])


def test_new_random_fills_draw_from_their_distributions():
    tl.manual_seed(0)
    geometric = tl.empty(20000).geometric_(0.25)
    assert geometric.min().item() >= 1 and geometric.mean().item() == pytest.approx(4.0, rel=0.05)
    log_normal = tl.empty(20000, dtype=tl.float64).log_normal_(mean=0.0, std=0.5)
    assert log_normal.log().mean().item() == pytest.approx(0.0, abs=0.02)
    assert log_normal.log().std().item() == pytest.approx(0.5, rel=0.05)
    cauchy = tl.empty(20000).cauchy_(median=3.0)
    assert ((cauchy > 2.0) & (cauchy < 4.0)).float().mean().item() == pytest.approx(0.5, abs=0.03)


def test_empty_strided_has_the_requested_strides():
    t = tl.empty_strided((2, 3), (1, 2), dtype=tl.float64)
    assert t.shape == (2, 3) and t.stride() == (1, 2) and not t.is_contiguous()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_covers_user_defined_functions():
    class NanGrad(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = tl.tensor([1.0], requires_grad=True)
    with tl.autograd.set_detect_anomaly(True):
        y = NanGrad.apply(x)
        with pytest.raises(RuntimeError, match=r"Function 'NanGradBackward' returned nan values in its 0th output\. "
                                               r"The forward call that created it: File .*test_porting_gaps\.py"):
            y.sum().backward()
