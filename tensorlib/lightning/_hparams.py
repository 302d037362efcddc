"""Init-argument capture for ``save_hyperparameters`` and its JSON form (no pickle in checkpoints)."""

from __future__ import annotations

import inspect
import json
from typing import Any


class AttributeDict(dict):
    """A dict whose keys are also attributes (``self.hparams.lr``), as Lightning's."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(f"Missing attribute \"{key}\"") from exc

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value


def init_arguments(frame: Any, skip: tuple = ("self", "__class__")) -> dict:
    """The arguments of the ``__init__`` running in ``frame`` (``**kwargs`` merged in), in signature order."""
    code = frame.f_code
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    local = frame.f_locals
    args = {name: local[name] for name in names if name not in skip and name in local}
    if code.co_flags & inspect.CO_VARKEYWORDS:
        extra = code.co_varnames[code.co_argcount + code.co_kwonlyargcount
                                 + bool(code.co_flags & inspect.CO_VARARGS)]
        args.update(local.get(extra, {}))
    return args


def check_json(hparams: dict, owner: str) -> None:
    """Raise ``TypeError`` naming the first value that JSON cannot hold (checkpoints store hparams as JSON)."""
    for key, value in hparams.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise TypeError(f"{owner}.save_hyperparameters: the value of {key!r} ({type(value).__name__}) cannot "
                            "be stored as JSON in checkpoints; pass ignore=[" + repr(key) + "] and recreate it "
                            "in __init__, or pass a plain value (number, string, list, dict)") from None


def to_yaml(hparams: dict) -> str:
    """``key: value`` lines; values in JSON flow style, which is valid YAML."""
    return "".join(f"{key}: {json.dumps(value)}\n" for key, value in hparams.items()) or "{}\n"
