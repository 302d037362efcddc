"""``Tensor``: an n-d array with autograd. Op methods are one-liners that delegate to the functional layer."""

from __future__ import annotations

import weakref
from operator import attrgetter
from typing import Optional

from . import dtypes as _dtypes
from ._backend import ndarray, xp
from ._graph import AccumulateGrad, RemovableHandle, VersionCounter
from ._printing import tensor_repr
from .errors import CPU_ONLY_HINT


class device:
    """Device descriptor; only ``'cpu'`` exists here (accepted wherever PyTorch takes a device)."""

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type = type.type
        type = str(type).split(":")[0]
        if type not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.type)


_CPU = device("cpu")


def _check_device(dev) -> None:
    if dev is None:
        return
    name = str(dev.type if isinstance(dev, device) else dev).split(":")[0]
    if name != "cpu":
        raise RuntimeError(f"tensorlib runs on the CPU only; device '{dev}' is not available "
                           f"(tensorlib.cuda.is_available() is False): {CPU_ONLY_HINT}")


class Tensor:
    """A multi-dimensional array of one dtype that can record operations for automatic differentiation.

    ``Tensor(data)`` builds a float32 tensor (PyTorch's legacy constructor); ``Tensor(2, 3)`` an uninitialised
    one of shape (2, 3). Prefer ``tensorlib.tensor(...)``.
    """

    # ``_view`` is None, or (base, ops, base_node) for a view: the root tensor whose memory it shares, the view
    # kernels (class, attrs) that recreate it from that base, and the base's grad_fn its own node was built from
    # (recorded in autograd.function.Function.apply; a changed base node means "regenerate before use")
    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_version", "_accum", "_hooks", "_retains_grad",
                 "_view", "__weakref__", "__dict__")
    __array_priority__ = 1000  # so ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False):
        _check_device(device)
        np_dtype = _dtypes.to_numpy_dtype(dtype) or _dtypes.get_default_dtype().np
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]._data if isinstance(args[0], Tensor) else args[0]
            data = xp.array(data, dtype=np_dtype)
        else:
            data = xp.empty(tuple(int(a) for a in (args[0] if len(args) == 1 and not isinstance(args[0], int)
                                                   else args)), dtype=np_dtype)
        self._init(data)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, data) -> None:
        self._data = data
        self._requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._version = VersionCounter()
        self._accum = None
        self._hooks = None
        self._retains_grad = False
        self._view = None

    @classmethod
    def _wrap(cls, data) -> Tensor:
        """Wrap an ndarray without copying (internal fast path; no autograd links)."""
        if data.__class__ is not ndarray:
            data = xp.asarray(data)
        t = object.__new__(Tensor)
        t._data = data
        t._requires_grad = False
        t.grad = None
        t.grad_fn = None
        t._version = VersionCounter()
        t._accum = None
        t._hooks = None
        t._retains_grad = False
        t._view = None
        return t

    def _grad_node(self):
        """The graph node gradients for this tensor flow into: its grad_fn, or the leaf's accumulator."""
        if self.grad_fn is not None:
            return self.grad_fn
        if self._accum is None:
            self._accum = AccumulateGrad(self)
        return self._accum

    # ------------------------------------------------------------------ properties
    def _set_requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if not value and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        self._requires_grad = bool(value)

    def _make_leaf_requiring_grad(self) -> Tensor:
        """``requires_grad=True`` given to a factory or ``Parameter`` (PyTorch's capitalised message)."""
        if self._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = True
        return self

    # the getter is a C-level attrgetter so reading the flag stays nearly as cheap as a plain slot
    requires_grad = property(attrgetter("_requires_grad"), _set_requires_grad,
                             doc="Whether autograd records operations on this tensor (floating point only).")

    @property
    def _base(self) -> Optional[Tensor]:
        """The tensor whose memory this view shares (``None`` when this tensor is not a view)."""
        return None if self._view is None else self._view[0]

    def _is_view(self) -> bool:
        return self._view is not None

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def dtype(self) -> _dtypes.dtype:
        return _dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing this tensor's storage (but not its version counter, as in PyTorch:
        changes made through ``.data`` are invisible to autograd)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else xp.asarray(value)

    @property
    def T(self) -> Tensor:
        return _F.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return _F.transpose(self, -2, -1)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def output_nr(self) -> int:
        return 0

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def size(self, dim: Optional[int] = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: Optional[int] = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def get_device(self) -> int:
        return -1

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False):
        """The underlying array (shared memory). Allowed even when ``requires_grad`` (returns detached data)."""
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=False)
        return self._data

    def _python_scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self) -> float:
        return float(self._python_scalar())

    def __int__(self) -> int:
        return int(self._python_scalar())

    def __complex__(self) -> complex:
        return complex(self._python_scalar())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_F.unbind(self, 0))

    def __hash__(self) -> int:
        return id(self)

    def __reduce_ex__(self, protocol):
        # multiprocessing (DataLoader workers) sends tensors between processes as plain arrays
        return (_rebuild_tensor, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment. If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = self.__class__.__new__(self.__class__)
        Tensor._init(new, self._data.copy())
        new.requires_grad = self.requires_grad
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        for key, value in getattr(self, "__dict__", {}).items():
            new.__dict__[key] = value
        memo[id(self)] = new
        return new

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``: devices other than cpu raise."""
        dtype = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        _check_device(kwargs.get("device"))
        for arg in args:
            if isinstance(arg, _dtypes.dtype):
                dtype = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, device)):
                _check_device(arg)
            elif arg is not None:
                dtype = arg
        if dtype is None or _dtypes.to_numpy_dtype(dtype) == self._data.dtype:
            return self.clone() if copy else self
        return _F.cast(self, _dtypes.to_numpy_dtype(dtype))

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """With no argument, PyTorch's legacy type name (``'torch.FloatTensor'``); else this tensor converted to
        a dtype, a legacy type (``tensorlib.LongTensor``) or its name (``'torch.DoubleTensor'``)."""
        if dtype is None:
            return _dtypes.legacy_type_name(self._data.dtype)
        return self.to(_dtypes.from_legacy_type(dtype))

    def float(self) -> Tensor:
        return self.to(_dtypes.float32)

    def double(self) -> Tensor:
        return self.to(_dtypes.float64)

    def half(self) -> Tensor:
        return self.to(_dtypes.float16)

    def long(self) -> Tensor:
        return self.to(_dtypes.int64)

    def int(self) -> Tensor:
        return self.to(_dtypes.int32)

    def short(self) -> Tensor:
        return self.to(_dtypes.int16)

    def char(self) -> Tensor:
        return self.to(_dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(_dtypes.uint8)

    def bool(self) -> Tensor:
        return self.to(_dtypes.bool)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args, **kwargs):
        _check_device("cuda")

    def pin_memory(self) -> Tensor:
        return self

    def share_memory_(self) -> Tensor:
        return self

    def contiguous(self, memory_format=None) -> Tensor:
        return self if self._data.flags.c_contiguous else _F.contiguous(self)

    def clone(self, memory_format=None) -> Tensor:
        return _F.clone(self)

    def detach(self) -> Tensor:
        out = Tensor._wrap(self._data)
        out._version = self._version  # same storage, same version counter
        return out

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad and self.grad_fn is not None

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces the grad."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            hooks = getattr(self.grad_fn, "tensor_hooks", None)
            if hooks is None:
                hooks = self.grad_fn.tensor_hooks = {}
        else:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Call ``hook(tensor)`` after backward has accumulated this leaf's ``.grad`` (PyTorch's name)."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
                 inputs=None) -> None:
        """Compute gradients of this tensor with respect to graph leaves (accumulated into ``.grad``)."""
        _F.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------------ arithmetic dunders
    def __add__(self, other):
        return _F.add(self, other)

    def __radd__(self, other):
        return _F.add(other, self)

    def __sub__(self, other):
        return _F.sub(self, other)

    def __rsub__(self, other):
        return _F.sub(other, self)

    def __mul__(self, other):
        return _F.mul(self, other)

    def __rmul__(self, other):
        return _F.mul(other, self)

    def __truediv__(self, other):
        return _F.div(self, other)

    def __rtruediv__(self, other):
        return _F.div(other, self)

    def __floordiv__(self, other):
        return _F.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _F.floor_divide(other, self)

    def __mod__(self, other):
        return _F.remainder(self, other)

    def __rmod__(self, other):
        return _F.remainder(other, self)

    def __pow__(self, other):
        return _F.pow(self, other)

    def __rpow__(self, other):
        return _F.pow(other, self)

    def __matmul__(self, other):
        return _F.matmul(self, other)

    def __rmatmul__(self, other):
        return _F.matmul(other, self)

    def __neg__(self):
        return _F.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _F.abs(self)

    def __invert__(self):
        return _F.bitwise_not(self)

    def __and__(self, other):
        return _F.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _F.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _F.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __eq__(self, other):
        return _F.eq(self, other)

    def __ne__(self, other):
        return _F.ne(self, other)

    def __lt__(self, other):
        return _F.lt(self, other)

    def __le__(self, other):
        return _F.le(self, other)

    def __gt__(self, other):
        return _F.gt(self, other)

    def __ge__(self, other):
        return _F.ge(self, other)

    def __getitem__(self, index):
        return _F.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _F.setitem_(self, index, value)

    # ------------------------------------------------------------------ ops as methods (bodies in functional)

    # arithmetic
    def add(self, other, *, alpha=1):
        return _F.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _F.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return _F.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _F.div(self, other, rounding_mode=rounding_mode)

    divide = div
    true_divide = div

    def floor_divide(self, other):
        return _F.floor_divide(self, other)

    def remainder(self, other):
        return _F.remainder(self, other)

    def fmod(self, other):
        return _F.fmod(self, other)

    def neg(self):
        return _F.neg(self)

    negative = neg

    def pow(self, exponent):
        return _F.pow(self, exponent)

    def square(self):
        return _F.square(self)

    def matmul(self, other):
        return _F.matmul(self, other)

    def mm(self, other):
        return _F.mm(self, other)

    def bmm(self, other):
        return _F.bmm(self, other)

    def mv(self, vec):
        return _F.mv(self, vec)

    def dot(self, other):
        return _F.dot(self, other)

    def outer(self, other):
        return _F.outer(self, other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _F.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _F.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _F.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def cross(self, other, dim=None):
        return _F.cross(self, other, dim)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _F.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return _F.trace(self)

    def det(self):
        return _F.det(self)

    def logdet(self):
        return _F.logdet(self)

    def slogdet(self):
        return _F.slogdet(self)

    def inverse(self):
        return _F.inverse(self)

    def svd(self, some=True, compute_uv=True):
        return _F.svd(self, some, compute_uv)

    def qr(self, some=True):
        return _F.qr(self, some)

    def cholesky(self, upper=False):
        return _F.cholesky(self, upper)

    def pinverse(self, rcond=1e-15):
        return _F.pinverse(self, rcond)

    def matrix_power(self, n):
        return _F.matrix_power(self, n)

    # unary math
    def exp(self):
        return _F.exp(self)

    def expm1(self):
        return _F.expm1(self)

    def log(self):
        return _F.log(self)

    def log2(self):
        return _F.log2(self)

    def log10(self):
        return _F.log10(self)

    def log1p(self):
        return _F.log1p(self)

    def sqrt(self):
        return _F.sqrt(self)

    def rsqrt(self):
        return _F.rsqrt(self)

    def abs(self):
        return _F.abs(self)

    absolute = abs

    def sign(self):
        return _F.sign(self)

    def reciprocal(self):
        return _F.reciprocal(self)

    def sin(self):
        return _F.sin(self)

    def cos(self):
        return _F.cos(self)

    def tan(self):
        return _F.tan(self)

    def tanh(self):
        return _F.tanh(self)

    def sigmoid(self):
        return _F.sigmoid(self)

    def relu(self):
        return _F.relu(self)

    def erf(self):
        return _F.erf(self)

    def asin(self):
        return _F.asin(self)

    def acos(self):
        return _F.acos(self)

    def atan(self):
        return _F.atan(self)

    def sinh(self):
        return _F.sinh(self)

    def cosh(self):
        return _F.cosh(self)

    def asinh(self):
        return _F.asinh(self)

    def acosh(self):
        return _F.acosh(self)

    def atanh(self):
        return _F.atanh(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def atan2(self, other):
        return _F.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        return _F.hypot(self, other)

    def logaddexp(self, other):
        return _F.logaddexp(self, other)

    def deg2rad(self):
        return _F.deg2rad(self)

    def rad2deg(self):
        return _F.rad2deg(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _F.nan_to_num(self, nan, posinf, neginf)

    def median(self, dim=None, keepdim=False):
        return _F.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return _F.nanmedian(self, dim, keepdim)

    def floor(self):
        return _F.floor(self)

    def ceil(self):
        return _F.ceil(self)

    def round(self, *, decimals=0):
        return _F.round(self, decimals=decimals)

    def trunc(self):
        return _F.trunc(self)

    def frac(self):
        return _F.frac(self)

    def clamp(self, min=None, max=None):
        return _F.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return _F.clamp(self, min=min)

    def clamp_max(self, max):
        return _F.clamp(self, max=max)

    def maximum(self, other):
        return _F.maximum(self, other)

    def minimum(self, other):
        return _F.minimum(self, other)

    def where(self, condition, other):
        return _F.where(condition, self, other)

    def lerp(self, end, weight):
        return _F.lerp(self, end, weight)

    # reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _F.sum(self, dim, keepdim, dtype=dtype)

    def nansum(self, dim=None, keepdim=False):
        return _F.nansum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _F.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _F.prod(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _F.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _F.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return _F.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _F.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _F.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _F.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _F.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _F.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _F.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _F.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _F.cumprod(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _F.norm(self, p, dim, keepdim, dtype)

    def softmax(self, dim, dtype=None):
        return _F.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return _F.log_softmax(self, dim, dtype)

    def all(self, dim=None, keepdim=False):
        return _F.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _F.any(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _F.count_nonzero(self, dim)

    # comparisons and logic
    def eq(self, other):
        return _F.eq(self, other)

    def ne(self, other):
        return _F.ne(self, other)

    def lt(self, other):
        return _F.lt(self, other)

    def le(self, other):
        return _F.le(self, other)

    def gt(self, other):
        return _F.gt(self, other)

    def ge(self, other):
        return _F.ge(self, other)

    def equal(self, other):
        return _F.equal(self, other)

    def isnan(self):
        return _F.isnan(self)

    def isinf(self):
        return _F.isinf(self)

    def isfinite(self):
        return _F.isfinite(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _F.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _F.allclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other):
        return _F.logical_and(self, other)

    def logical_or(self, other):
        return _F.logical_or(self, other)

    def logical_xor(self, other):
        return _F.logical_xor(self, other)

    def logical_not(self):
        return _F.logical_not(self)

    # shape
    def reshape(self, *shape):
        return _F.reshape(self, *shape)

    def view(self, *shape):
        return _F.view(self, *shape)

    def view_as(self, other):
        return _F.view_as(self, other)

    def reshape_as(self, other):
        return _F.reshape_as(self, other)

    def flatten(self, start_dim=0, end_dim=-1):
        return _F.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _F.unflatten(self, dim, sizes)

    def ravel(self):
        return _F.ravel(self)

    def squeeze(self, dim=None):
        return _F.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _F.unsqueeze(self, dim)

    def permute(self, *dims):
        return _F.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return _F.transpose(self, dim0, dim1)

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        return _F.t(self)

    def movedim(self, source, destination):
        return _F.movedim(self, source, destination)

    moveaxis = movedim

    def expand(self, *sizes):
        return _F.expand(self, *sizes)

    def expand_as(self, other):
        return _F.expand_as(self, other)

    def broadcast_to(self, shape):
        return _F.expand(self, shape)

    def repeat(self, *sizes):
        return _F.repeat(self, *sizes)

    def tile(self, dims):
        return _F.tile(self, dims)

    def repeat_interleave(self, repeats, dim=None):
        return _F.repeat_interleave(self, repeats, dim)

    def flip(self, dims):
        return _F.flip(self, dims)

    def roll(self, shifts, dims=None):
        return _F.roll(self, shifts, dims)

    def narrow(self, dim, start, length):
        return _F.narrow(self, dim, start, length)

    def select(self, dim, index):
        return _F.select(self, dim, index)

    def split(self, split_size, dim=0):
        return _F.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _F.chunk(self, chunks, dim)

    def tensor_split(self, indices_or_sections, dim=0):
        return _F.tensor_split(self, indices_or_sections, dim)

    def unbind(self, dim=0):
        return _F.unbind(self, dim)

    def tril(self, diagonal=0):
        return _F.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _F.triu(self, diagonal)

    # indexing
    def gather(self, dim, index):
        return _F.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _F.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return _F.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return _F.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return _F.index_add(self, dim, index, source, alpha=alpha)

    def take_along_dim(self, indices, dim=None):
        return _F.take_along_dim(self, indices, dim)

    def masked_fill(self, mask, value):
        return _F.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return _F.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return _F.nonzero(self, as_tuple=as_tuple)

    # sorting
    def sort(self, dim=-1, descending=False, stable=False):
        return _F.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _F.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _F.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _F.kthvalue(self, k, dim, keepdim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _F.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _F.bincount(self, weights, minlength)

    # in place
    def add_(self, other, *, alpha=1):
        return _F.add_(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return _F.sub_(self, other, alpha=alpha)

    def mul_(self, other):
        return _F.mul_(self, other)

    def div_(self, other, *, rounding_mode=None):
        return _F.div_(self, other, rounding_mode=rounding_mode)

    def pow_(self, exponent):
        return _F.pow_(self, exponent)

    def clamp_(self, min=None, max=None):
        return _F.clamp_(self, min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return _F.masked_fill_(self, mask, value)

    def lerp_(self, end, weight):
        return _F.lerp_(self, end, weight)

    def zero_(self):
        return _F.zero_(self)

    def fill_(self, value):
        return _F.fill_(self, value)

    def copy_(self, src, non_blocking=False):
        return _F.copy_(self, src)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return _F.uniform_(self, a, b, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _F.normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return _F.bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return _F.exponential_(self, lambd, generator=generator)

    def random_(self, from_=0, to=None, *, generator=None):
        return _F.random_(self, from_, to, generator=generator)

    def geometric_(self, p, *, generator=None):
        return _F.geometric_(self, p, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return _F.cauchy_(self, median, sigma, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return _F.log_normal_(self, mean, std, generator=generator)

    def exp_(self):
        return _F.unary_(self, _F.exp, "exp_")

    def log_(self):
        return _F.unary_(self, _F.log, "log_")

    def sqrt_(self):
        return _F.unary_(self, _F.sqrt, "sqrt_")

    def abs_(self):
        return _F.unary_(self, _F.abs, "abs_")

    def neg_(self):
        return _F.unary_(self, _F.neg, "neg_")

    def relu_(self):
        return _F.unary_(self, _F.relu, "relu_")

    def sigmoid_(self):
        return _F.unary_(self, _F.sigmoid, "sigmoid_")

    def tanh_(self):
        return _F.unary_(self, _F.tanh, "tanh_")

    def floor_(self):
        return _F.unary_(self, _F.floor, "floor_")

    def round_(self):
        return _F.unary_(self, _F.round, "round_")

    def sign_(self):
        return _F.unary_(self, _F.sign, "sign_")

    def square_(self):
        return _F.unary_(self, _F.square, "square_")

    def reciprocal_(self):
        return _F.unary_(self, _F.reciprocal, "reciprocal_")

    def ceil_(self):
        return _F.unary_(self, _F.ceil, "ceil_")

    def cos_(self):
        return _F.unary_(self, _F.cos, "cos_")

    def sin_(self):
        return _F.unary_(self, _F.sin, "sin_")

    def tan_(self):
        return _F.unary_(self, _F.tan, "tan_")

    def erf_(self):
        return _F.unary_(self, _F.erf, "erf_")

    def expm1_(self):
        return _F.unary_(self, _F.expm1, "expm1_")

    def log2_(self):
        return _F.unary_(self, _F.log2, "log2_")

    def log10_(self):
        return _F.unary_(self, _F.log10, "log10_")

    def log1p_(self):
        return _F.unary_(self, _F.log1p, "log1p_")

    def rsqrt_(self):
        return _F.unary_(self, _F.rsqrt, "rsqrt_")

    def trunc_(self):
        return _F.unary_(self, _F.trunc, "trunc_")

    def frac_(self):
        return _F.unary_(self, _F.frac, "frac_")

    def fix_(self):
        return _F.unary_(self, _F.fix, "fix_")

    def logical_not_(self):
        return _F.unary_(self, _F.logical_not, "logical_not_")

    def bitwise_not_(self):
        return _F.unary_(self, _F.bitwise_not, "bitwise_not_")

    absolute_ = abs_
    negative_ = neg_

    def floor_divide_(self, other):
        return _F.binary_(self, _F.floor_divide, other, "floor_divide_")

    def fmod_(self, other):
        return _F.binary_(self, _F.fmod, other, "fmod_")

    def remainder_(self, other):
        return _F.binary_(self, _F.remainder, other, "remainder_")

    def eq_(self, other):
        return _F.binary_(self, _F.eq, other, "eq_")

    def ne_(self, other):
        return _F.binary_(self, _F.ne, other, "ne_")

    def lt_(self, other):
        return _F.binary_(self, _F.lt, other, "lt_")

    def le_(self, other):
        return _F.binary_(self, _F.le, other, "le_")

    def gt_(self, other):
        return _F.binary_(self, _F.gt, other, "gt_")

    def ge_(self, other):
        return _F.binary_(self, _F.ge, other, "ge_")

    def logical_and_(self, other):
        return _F.binary_(self, _F.logical_and, other, "logical_and_")

    def logical_or_(self, other):
        return _F.binary_(self, _F.logical_or, other, "logical_or_")

    def logical_xor_(self, other):
        return _F.binary_(self, _F.logical_xor, other, "logical_xor_")

    def bitwise_and_(self, other):
        return _F.binary_(self, _F.bitwise_and, other, "bitwise_and_")

    def bitwise_or_(self, other):
        return _F.binary_(self, _F.bitwise_or, other, "bitwise_or_")

    def bitwise_xor_(self, other):
        return _F.binary_(self, _F.bitwise_xor, other, "bitwise_xor_")

    greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_
    subtract_ = sub_
    multiply_ = mul_
    divide_ = div_
    true_divide_ = div_

    def clamp_min_(self, min):
        return _F.clamp_(self, min=min)

    def clamp_max_(self, max):
        return _F.clamp_(self, max=max)

    def cumsum_(self, dim, *, dtype=None):
        return _F.unary_(self, lambda s: _F.cumsum(s, dim, dtype=dtype), "cumsum_")

    def cumprod_(self, dim, *, dtype=None):
        return _F.unary_(self, lambda s: _F.cumprod(s, dim, dtype=dtype), "cumprod_")

    def tril_(self, diagonal=0):
        return _F.unary_(self, lambda s: _F.tril(s, diagonal), "tril_")

    def triu_(self, diagonal=0):
        return _F.unary_(self, lambda s: _F.triu(s, diagonal), "triu_")

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _F.scatter_(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim, index, src):
        return _F.scatter_add_(self, dim, index, src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _F.index_add_(self, dim, index, source, alpha=alpha)

    def index_fill_(self, dim, index, value):
        return _F.index_fill_(self, dim, index, value)

    def index_fill(self, dim, index, value):
        return _F.index_fill_(self.clone(), dim, index, value)

    def index_copy_(self, dim, index, source):
        return _F.index_copy_(self, dim, index, source)

    def index_copy(self, dim, index, source):
        return _F.index_copy_(self.clone(), dim, index, source)

    def masked_scatter_(self, mask, source):
        return _F.masked_scatter_(self, mask, source)

    def masked_scatter(self, mask, source):
        return _F.masked_scatter_(self.clone(), mask, source)

    def fill_diagonal_(self, fill_value, wrap=False):
        return _F.fill_diagonal_(self, fill_value, wrap)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return _F.addmv_(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return _F.baddbmm_(self, batch1, batch2, beta=beta, alpha=alpha)

    def atan2_(self, other):
        return _F.atan2_(self, other)

    def hypot_(self, other):
        return _F.hypot_(self, other)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return _F.nan_to_num_(self, nan, posinf, neginf)

    def asin_(self):
        return _F.unary_(self, _F.asin, "asin_")

    def acos_(self):
        return _F.unary_(self, _F.acos, "acos_")

    def atan_(self):
        return _F.unary_(self, _F.atan, "atan_")

    def sinh_(self):
        return _F.unary_(self, _F.sinh, "sinh_")

    def cosh_(self):
        return _F.unary_(self, _F.cosh, "cosh_")

    def asinh_(self):
        return _F.unary_(self, _F.asinh, "asinh_")

    def acosh_(self):
        return _F.unary_(self, _F.acosh, "acosh_")

    def atanh_(self):
        return _F.unary_(self, _F.atanh, "atanh_")

    def deg2rad_(self):
        return _F.unary_(self, _F.deg2rad, "deg2rad_")

    def rad2deg_(self):
        return _F.unary_(self, _F.rad2deg, "rad2deg_")

    arcsin_ = asin_
    arccos_ = acos_
    arctan_ = atan_
    arcsinh_ = asinh_
    arccosh_ = acosh_
    arctanh_ = atanh_
    arctan2_ = atan2_

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return _F.addmm_(self, mat1, mat2, beta=beta, alpha=alpha)

    def t_(self):
        return _F.view_inplace(self, _F.t, "t_")

    def transpose_(self, dim0, dim1):
        return _F.view_inplace(self, lambda s: _F.transpose(s, dim0, dim1), "transpose_")

    swapaxes_ = transpose_
    swapdims_ = transpose_

    def unsqueeze_(self, dim):
        return _F.view_inplace(self, lambda s: _F.unsqueeze(s, dim), "unsqueeze_")

    def squeeze_(self, dim=None):
        return _F.view_inplace(self, lambda s: _F.squeeze(s, dim), "squeeze_")

    def resize_(self, *sizes, memory_format=None):
        return _F.resize_(self, *sizes)

    def resize_as_(self, other, memory_format=None):
        return _F.resize_(self, other.shape)

    # random (non in-place)
    def bernoulli(self, p=None, *, generator=None):
        return _F.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _F.multinomial(self, num_samples, replacement, generator=generator)

    # new tensors like this one
    def new_zeros(self, *args, size=None, dtype=None, device=None, requires_grad=False):
        return _F.zeros(*args, size=size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *args, size=None, dtype=None, device=None, requires_grad=False):
        return _F.ones(*args, size=size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return _F.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *args, size=None, dtype=None, device=None, requires_grad=False):
        return _F.empty(*args, size=size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        return _F.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def type_as(self, other):
        return self.to(other.dtype)


class Size(tuple):
    """A tensor's shape: a tuple (``torch.Size``) with ``numel()``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"tensorlib.Size([{', '.join(str(s) for s in self)}])"

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result


def _rebuild_tensor(data, requires_grad):
    t = Tensor._wrap(data)
    if requires_grad:
        t._requires_grad = True
    return t


# The one bottom-of-module import in the core (tinygrad's `import mlops` pattern): the functional layer builds
# on Tensor, and Tensor's methods call into it. Method bodies look `_F` up at call time, so the class can be
# complete before the functional modules (which import it) run.
from . import functional as _F  # noqa: E402
