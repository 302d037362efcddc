"""``MetricCollection``: several metrics updated, computed and reset together, keyed by name.

Built from a list/tuple (keys are the class names), a dict, or metrics as positional arguments; ``prefix`` and
``postfix`` decorate the keys of the results (``val_`` + ``MulticlassAccuracy``). ``clone(prefix=...)`` copies the
collection with fresh or shared-free states. ``compute_groups`` is accepted and not used (each metric keeps its
own states).
"""

from __future__ import annotations

import copy
from typing import Any, Iterable, Iterator, Mapping, Sequence

from tensorlib.nn import ModuleDict

from .metric import Metric


class MetricCollection(ModuleDict):
    def __init__(self, metrics: Metric | Sequence[Metric] | Mapping[str, Metric | MetricCollection],
                 *additional_metrics: Metric, prefix: str | None = None, postfix: str | None = None,
                 compute_groups: bool | list = True) -> None:
        super().__init__()
        self.prefix = self._check_arg(prefix, "prefix")
        self.postfix = self._check_arg(postfix, "postfix")
        self._enable_compute_groups = compute_groups
        self.add_metrics(metrics, *additional_metrics)

    @staticmethod
    def _check_arg(arg: str | None, name: str) -> str | None:
        if arg is None or isinstance(arg, str):
            return arg
        raise ValueError(f"Expected input `{name}` to be a string, but got {type(arg)}")

    def add_metrics(self, metrics, *additional_metrics: Metric) -> None:
        """Add metrics: a Metric, a sequence of them (named by class) or a dict name -> Metric/MetricCollection."""
        if isinstance(metrics, Metric):
            metrics = [metrics]
        if isinstance(metrics, Sequence) and not isinstance(metrics, str):
            metrics = list(metrics) + list(additional_metrics)
            for metric in metrics:
                if not isinstance(metric, (Metric, MetricCollection)):
                    raise ValueError(f"Input {metric} to `MetricCollection` is not a instance of "
                                     "`tensorlib.metrics.Metric` or `tensorlib.metrics.MetricCollection`")
                if isinstance(metric, MetricCollection):
                    for name, inner in metric.items(keep_base=False):
                        self._add(name, inner)
                else:
                    name = type(metric).__name__
                    if name in self._modules:
                        raise ValueError(f"Encountered two metrics both named {name}")
                    self._add(name, metric)
        elif isinstance(metrics, Mapping):
            if additional_metrics:
                raise ValueError(f"You have passes extra arguments {additional_metrics} which are not compatible "
                                 "with first passed dictionary {metrics} so they will be ignored.")
            for name in sorted(metrics):
                metric = metrics[name]
                if isinstance(metric, MetricCollection):
                    for inner_name, inner in metric.items(keep_base=False):
                        self._add(f"{name}_{inner_name}", inner)
                elif isinstance(metric, Metric):
                    self._add(name, metric)
                else:
                    raise ValueError(f"Value {metric} belonging to key {name} is not an instance of "
                                     "`tensorlib.metrics.Metric` or `tensorlib.metrics.MetricCollection`")
        else:
            raise ValueError("Unknown input to MetricCollection. Expected, `Metric`, `MetricCollection` or `dict`/"
                             f"`sequence` of the previous, but got {metrics}")

    def _add(self, name: str, metric: Metric) -> None:
        self[name] = metric

    def _set_name(self, base: str) -> str:
        name = base if self.prefix is None else self.prefix + base
        return name if self.postfix is None else name + self.postfix

    # ----------------------------------------------------------------------------- the Metric API
    def forward(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Each metric's value on this batch (while accumulating), keyed by decorated name."""
        return {self._set_name(name): metric(*args, **kwargs) for name, metric in self._modules.items()}

    def update(self, *args: Any, **kwargs: Any) -> None:
        for metric in self._modules.values():
            metric.update(*args, **kwargs)

    def compute(self) -> dict[str, Any]:
        return {self._set_name(name): metric.compute() for name, metric in self._modules.items()}

    def reset(self) -> None:
        for metric in self._modules.values():
            metric.reset()

    def clone(self, prefix: str | None = None, postfix: str | None = None) -> MetricCollection:
        """A deep copy (its own states), optionally with a new ``prefix``/``postfix``."""
        collection = copy.deepcopy(self)
        if prefix:
            collection.prefix = self._check_arg(prefix, "prefix")
        if postfix:
            collection.postfix = self._check_arg(postfix, "postfix")
        return collection

    def persistent(self, mode: bool = True) -> None:
        for metric in self._modules.values():
            metric.persistent(mode)

    # ------------------------------------------------------------------------------ dict access
    def keys(self, keep_base: bool = False) -> Iterable[str]:
        if keep_base:
            return self._modules.keys()
        return [self._set_name(name) for name in self._modules]

    def items(self, keep_base: bool = False, copy_state: bool = True) -> Iterable[tuple[str, Metric]]:
        if keep_base:
            return list(self._modules.items())
        return [(self._set_name(name), metric) for name, metric in self._modules.items()]

    def values(self, copy_state: bool = True) -> Iterable[Metric]:
        return list(self._modules.values())

    def __getitem__(self, key: str, copy_state: bool = True) -> Metric:
        if key not in self._modules:
            base = key
            if self.prefix and base.startswith(self.prefix):
                base = base[len(self.prefix):]
            if self.postfix and base.endswith(self.postfix):
                base = base[:-len(self.postfix)]
            key = base
        return self._modules[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return key in self._modules or key in self.keys()

    @property
    def compute_groups(self) -> dict[int, list[str]]:
        return {i: [name] for i, name in enumerate(self._modules)}

    def __repr__(self) -> str:
        lines = [f"  ({name}): {metric!r}" for name, metric in self._modules.items()]
        extra = "".join(f",\n  {k}={v!r}" for k, v in (("prefix", self.prefix), ("postfix", self.postfix)) if v)
        return "MetricCollection(\n" + ",\n".join(lines) + extra + "\n)"


__all__ = ["MetricCollection"]
