"""ReduceLROnPlateau: lower the learning rate when a metric has stopped improving."""

from __future__ import annotations

import warnings

import numpy as np

from kerastorch.callbacks.base import (
    Logs,
    MonitorCallback,
    get_learning_rate,
    print_msg,
    set_learning_rate,
)

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Reduce the learning rate when a metric has stopped improving, as Keras's callback.

    After ``patience`` epochs without an improvement of at least ``min_delta``, the learning
    rate becomes ``max(lr * factor, min_lr)``; then ``cooldown`` epochs pass before waiting
    starts again. The current learning rate is added to the epoch logs as ``learning_rate`` (so
    it appears in the History).

    Works with kerastorch's optimizers (their ``learning_rate`` property) and with any
    ``torch.optim`` optimizer (every param group's ``lr`` is set).

    Args:
        monitor: The log key to watch. Defaults to ``"val_loss"``.
        factor: The factor applied to the learning rate, < 1.
        patience: Number of epochs without improvement before reducing.
        verbose: 1 prints a message at each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``, as for :class:`EarlyStopping`.
        min_delta: Minimum change that counts as an improvement.
        cooldown: Number of epochs after a reduction before waiting resumes.
        min_lr: Lower bound of the learning rate.

    Unlike Keras, unknown keyword arguments are an error (Keras 3 silently ignores them).

    Example:
        >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5,
        ...                               min_lr=0.001)
        >>> # model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op(logs)  # here, once the model's metrics are built
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = get_learning_rate(optimizer, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce_lr(self, optimizer: object, epoch: int) -> bool:
        old_lr = get_learning_rate(optimizer, "ReduceLROnPlateau")
        # Compared in float32 as Keras compares its float32 learning-rate variable.
        if np.float32(old_lr) > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            set_learning_rate(optimizer, new_lr, "ReduceLROnPlateau")
            if self.verbose > 0:
                print_msg(
                    f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}."
                )
            return True
        return False

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0
