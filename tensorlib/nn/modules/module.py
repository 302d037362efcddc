"""``Module``: PyTorch's container of parameters, buffers and submodules, with state_dict I/O and hooks."""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from typing import Callable, Iterator, Optional

from ..._graph import RemovableHandle
from ...autograd.grad_mode import no_grad
from ...creation import as_tensor
from ...dtypes import dtype, float16, float32, float64
from ...errors import InputShapeError, ModuleShapeError
from ...tensor import Tensor, _check_device
from ..parameter import Buffer, Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """``load_state_dict``'s result; prints ``<All keys matched successfully>`` when both lists are empty."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of all layers and models.

    Assigning a ``Parameter``, a ``Module`` or (via ``register_buffer``) a tensor as an attribute registers it,
    so ``parameters()``, ``state_dict()``, ``to()``, ``train()`` ... see it. Subclasses define ``forward``.
    """

    training: bool
    _version: int = 1
    _optional_state_keys: frozenset = frozenset()  # local state names a checkpoint may leave out

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    forward: Callable

    # ------------------------------------------------------------------------------------ registration
    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"parameter name must be a non-empty string without '.', got {name!r}")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(tensorlib.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(tensorlib Tensor or None required)")
        if isinstance(tensor, Buffer):
            tensor = Tensor._wrap(tensor._data)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Optional[Module]) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f"module name must be a non-empty string without '.', got {name!r}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for item in target.split(".") if target else []:
            if item not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        return self.get_submodule(path)._parameters[name]

    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(tensorlib.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if "_modules" not in self.__dict__:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._parameters, self._buffers)
            self._modules[name] = value
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(tensorlib.nn.Module or None expected)")
            self._modules[name] = value
        elif isinstance(value, Buffer):
            self._remove_from(name, self.__dict__, self._parameters, self._modules)
            self.register_buffer(name, value, value.persistent)
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(tensorlib Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, *dicts) -> None:
        for d in dicts:
            if name in d:
                del d[name]

    def __getattr__(self, name: str):
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, {}):
                del self.__dict__[registry][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # ------------------------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        try:
            output = self.forward(*args, **kwargs)
        except ModuleShapeError as exc:
            raise _with_path(exc, self) from None
        except InputShapeError as exc:
            # raised by a kernel: this module is the layer that got the bad input
            raise shape_error(self, str(exc)) from None
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def _call_impl(self, *args, **kwargs):
        return self(*args, **kwargs)

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook) -> RemovableHandle:
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------------------------ traversal
    def _named_members(self, get_members, prefix: str = "", recurse: bool = True,
                       remove_duplicate: bool = True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                yield (module_prefix + ("." if module_prefix else "") + name, value)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_modules(self, memo: Optional[set] = None, prefix: str = "", remove_duplicate: bool = True):
        """Depth-first (pre-order) walk of the module tree, each module once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(name + ("." if name else "") + child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    # ------------------------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert) -> Module:
        with no_grad():
            for module in self.modules():
                for param in module._parameters.values():
                    if param is None:
                        continue
                    new = convert(param)
                    if new is not param:
                        param._data = new._data
                        if param.grad is not None:
                            param.grad = convert(param.grad)
                for name, buf in module._buffers.items():
                    if buf is not None:
                        module._buffers[name] = convert(buf)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Cast floating parameters and buffers: ``to(dtype)``, ``to('cpu')``, ``to(device, dtype)``."""
        _check_device(kwargs.get("device"))
        target = kwargs.get("dtype")
        for arg in args:
            if isinstance(arg, dtype):
                target = arg
            elif isinstance(arg, Tensor):
                target = arg.dtype
            else:
                _check_device(arg)
        if target is None:
            return self
        return self._apply_to_tensors(lambda t: t.to(target) if t.is_floating_point() else t)

    def float(self) -> Module:
        return self._apply_to_tensors(lambda t: t.to(float32) if t.is_floating_point() else t)

    def double(self) -> Module:
        return self._apply_to_tensors(lambda t: t.to(float64) if t.is_floating_point() else t)

    def half(self) -> Module:
        return self._apply_to_tensors(lambda t: t.to(float16) if t.is_floating_point() else t)

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        """Raises as ``Tensor.cuda`` does: tensorlib runs on the CPU only (the message says what to do)."""
        _check_device("cuda")

    def type(self, dst_type) -> Module:
        return self._apply_to_tensors(lambda t: t.to(dst_type))

    def share_memory(self) -> Module:
        return self

    # ------------------------------------------------------------------------------------ state dict
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name (detached; same keys as PyTorch)."""
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _local_state(self) -> dict:
        local = {name: p for name, p in self._parameters.items() if p is not None}
        local.update({name: b for name, b in self._buffers.items()
                      if b is not None and name not in self._non_persistent_buffers_set})
        return local

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy tensors from ``state_dict``; returns ``(missing_keys, unexpected_keys)``.

        With ``strict`` any missing, unexpected or shape-mismatched key raises one error listing all of them
        (with a hint when the keys differ by a prefix such as ``module.``), and the module is left unchanged.
        Shape mismatches always raise.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        expected = OrderedDict()
        for prefix, module in self.named_modules():
            for name, tensor in module._local_state().items():
                expected[prefix + ("." if prefix else "") + name] = (module, name, tensor)
        missing = [k for k, (module, name, _) in expected.items()
                   if k not in state_dict and name not in module._optional_state_keys]
        unexpected = [k for k in state_dict if k not in expected]
        mismatched = []
        for key, (_, _, tensor) in expected.items():
            if key in state_dict:
                value = state_dict[key]
                shape = tuple(value.shape) if hasattr(value, "shape") else None
                if shape != tuple(tensor.shape):
                    mismatched.append(f"size mismatch for {key}: copying a param with shape {list(shape or [])} "
                                      f"from checkpoint, the shape in current model is {list(tensor.shape)}.")
        errors = []
        if strict:
            # PyTorch's order: missing, then unexpected, then size mismatches
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        errors += mismatched
        if errors:
            hint = _prefix_hint(missing, unexpected)
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors) + (f"\n\tHint: {hint}" if hint else ""))
        with no_grad():
            for key, (module, name, tensor) in expected.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                value = value if isinstance(value, Tensor) else as_tensor(value)
                if assign:
                    if name in module._parameters:
                        module._parameters[name] = Parameter(value, tensor.requires_grad)
                    else:
                        module._buffers[name] = value
                else:
                    tensor.copy_(value)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        child_lines = []
        for name, module in self._modules.items():
            text = repr(module).replace("\n", "\n  ")
            child_lines.append(f"({name}): {text}")
        lines += child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra.split("\n")) == 1 and not child_lines:
                main += extra
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)


def _prefix_hint(missing, unexpected) -> str:
    """Explain key mismatches that differ only by a common prefix, e.g. DataParallel's ``module.``."""
    if not missing or not unexpected:
        return ""
    for m, u in itertools.product(missing[:1], unexpected[:1]):
        if u.endswith(m):
            prefix = u[: len(u) - len(m)]
            return (f"the checkpoint's keys have an extra prefix '{prefix}'; strip it, e.g. "
                    f"{{k.removeprefix('{prefix}'): v for k, v in state_dict.items()}}")
        if m.endswith(u):
            prefix = m[: len(m) - len(u)]
            return f"the model's keys have an extra prefix '{prefix}' that the checkpoint lacks"
    return ""


def _with_path(exc: ModuleShapeError, root: Module) -> ModuleShapeError:
    """Prefix a shape error raised inside ``root`` with the failing layer's path in ``root``.

    Every enclosing ``Module.__call__`` redoes this, so the outermost model's (full) path wins.
    """
    layer = getattr(exc, "layer", None)
    if layer is None:
        return exc
    for name, module in root.named_modules():
        if module is layer and name:
            new = ModuleShapeError(f"{name} ({_short(layer)}) {exc.detail}")
            new.layer, new.detail = layer, exc.detail
            return new
    return exc


def _short(module: Module) -> str:
    text = repr(module)
    return text if len(text) < 80 and "\n" not in text else module._get_name()


def shape_error(layer: Module, detail: str) -> ModuleShapeError:
    """A ``ModuleShapeError`` for ``layer``; ``Module.__call__`` of the enclosing model adds the layer's path."""
    exc = ModuleShapeError(f"{_short(layer)} {detail}")
    exc.layer, exc.detail = layer, detail
    return exc
