"""``LightningDataModule``: the data side of a run (download, split, loaders) in one reusable class."""

from __future__ import annotations

from typing import Any

from ._hparams import AttributeDict


class LightningDataModule:
    """Override ``prepare_data`` (download once), ``setup(stage)`` ('fit', 'validate', 'test', 'predict') and
    the ``*_dataloader`` methods. ``save_hyperparameters()`` works as on a LightningModule."""

    def __init__(self) -> None:
        self.trainer = None
        self._hparams = AttributeDict()

    @property
    def hparams(self) -> AttributeDict:
        return self._hparams

    def save_hyperparameters(self, *args: Any, ignore: Any = None, frame: Any = None, logger: bool = True) -> None:
        import inspect

        from ._hparams import check_json, init_arguments

        if frame is None:
            frame = inspect.currentframe().f_back
        captured = init_arguments(frame)
        hparams = {name: captured[name] for name in args} if args else captured
        ignored = {ignore} if isinstance(ignore, str) else set(ignore or ())
        hparams = {key: value for key, value in hparams.items() if key not in ignored}
        check_json(hparams, type(self).__name__)
        self._hparams.update(hparams)

    def prepare_data(self) -> None: ...
    def setup(self, stage: str) -> None: ...
    def teardown(self, stage: str) -> None: ...

    def train_dataloader(self) -> Any:
        raise NotImplementedError(f"`train_dataloader` must be implemented in {type(self).__name__} to fit")

    def val_dataloader(self) -> Any:
        return []

    def test_dataloader(self) -> Any:
        raise NotImplementedError(f"`test_dataloader` must be implemented in {type(self).__name__} to test")

    def predict_dataloader(self) -> Any:
        raise NotImplementedError(f"`predict_dataloader` must be implemented in {type(self).__name__} to predict")

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass
