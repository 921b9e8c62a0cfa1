"""History: the per-epoch logs that ``fit`` returns."""

from __future__ import annotations

from typing import Any

from kerastorch.callbacks.base import Callback, Logs


class History(Callback):
    """Records every epoch's logs; ``fit`` returns it.

    Attributes:
        history: ``{"loss": [...], "val_loss": [...], ...}``, one value per epoch.
        epoch: The epoch indices seen.

    Example:
        >>> history = History()
        >>> history.on_train_begin()
        >>> history.on_epoch_end(0, {"loss": 0.5})
        >>> history.history
        {'loss': [0.5]}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        model.history = self
