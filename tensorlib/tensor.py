"""``Tensor``: an n-d array with autograd. Methods are one-liners that delegate to ``tensorlib.ops``."""

from __future__ import annotations

import weakref
from typing import Optional

from . import _tensor_methods
from . import dtypes as _dtypes
from ._backend import ndarray, xp
from .autograd import function as _function_module
from .autograd.function import AccumulateGrad, _VersionCounter


class _RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


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
                           "(tensorlib.cuda.is_available() is False)")


class Tensor(_tensor_methods.TensorMethods):
    """A multi-dimensional array of one dtype that can record operations for automatic differentiation.

    ``Tensor(data)`` builds a float32 tensor (PyTorch's legacy constructor); ``Tensor(2, 3)`` an uninitialised
    one of shape (2, 3). Prefer ``tensorlib.tensor(...)``.
    """

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_version", "_accum", "_hooks", "_retains_grad",
                 "__weakref__", "__dict__")
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
        self.requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._version = _VersionCounter()
        self._accum = None
        self._hooks = None
        self._retains_grad = False

    @classmethod
    def _wrap(cls, data) -> Tensor:
        """Wrap an ndarray without copying (internal fast path; no autograd links)."""
        if data.__class__ is not ndarray:
            data = xp.asarray(data)
        t = object.__new__(Tensor)
        t._data = data
        t.requires_grad = False
        t.grad = None
        t.grad_fn = None
        t._version = _VersionCounter()
        t._accum = None
        t._hooks = None
        t._retains_grad = False
        return t

    def _grad_node(self):
        """The graph node gradients for this tensor flow into: its grad_fn, or the leaf's accumulator."""
        if self.grad_fn is not None:
            return self.grad_fn
        if self._accum is None:
            self._accum = AccumulateGrad(self)
        return self._accum

    # ------------------------------------------------------------------ properties
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
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return _ops.transpose(self, -2, -1)

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

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is ambiguous")
        return bool(self._data.reshape(()))

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.unbind(self, 0))

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
        return _ops.cast(self, _dtypes.to_numpy_dtype(dtype))

    def type(self, dtype=None):
        if dtype is None:
            return "tensorlib." + {"f": "Float", "i": "Long", "u": "Byte", "b": "Bool"}[self._data.dtype.kind] \
                + "Tensor"
        return self.to(dtype)

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
        return self if self._data.flags.c_contiguous else _ops.contiguous(self)

    def clone(self, memory_format=None) -> Tensor:
        return _ops.clone(self)

    def detach(self) -> Tensor:
        out = Tensor._wrap(self._data)
        out._version = self._version  # same storage, same version counter
        return out

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
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

    def register_hook(self, hook) -> _RemovableHandle:
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
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook) -> _RemovableHandle:
        """Call ``hook(tensor)`` after backward has accumulated this leaf's ``.grad`` (PyTorch's name)."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", {})
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
                 inputs=None) -> None:
        """Compute gradients of this tensor with respect to graph leaves (accumulated into ``.grad``)."""
        from .autograd import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------------ arithmetic dunders
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

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
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _ops.setitem_(self, index, value)


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
        t.requires_grad = True
    return t


# ops import Tensor, so they are imported after the class exists; the method bodies (here and in
# _tensor_methods) look ``_ops`` up at call time.
from . import _tensor_methods  # noqa: E402
from . import ops as _ops  # noqa: E402

_tensor_methods._ops = _ops
_function_module._Tensor = Tensor
