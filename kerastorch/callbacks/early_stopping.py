"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from kerastorch.callbacks.base import Logs, MonitorCallback, print_msg

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving, as Keras's ``EarlyStopping``.

    At the end of every epoch the monitored value is compared with the best one so far. After
    ``patience`` epochs without an improvement of at least ``min_delta``, the callback sets
    ``model.stop_training = True`` and ``fit`` stops after that epoch.

    With ``restore_best_weights=True`` the weights of the best epoch are put back at the end of
    training, whether training stopped early or ran all its epochs (Keras 3's rule), and also when
    it was interrupted with Ctrl-C (kerastorch's ``fit`` then still ends the training).

    Args:
        monitor: The log key to watch. Defaults to ``"val_loss"``.
        min_delta: Minimum change that counts as an improvement. Defaults to 0.
        patience: Number of epochs without improvement after which training stops.
        verbose: 1 prints a message when the callback stops training or restores weights.
        mode: ``"auto"``, ``"min"`` or ``"max"``. ``"auto"`` minimizes ``loss`` / ``val_loss``
            and otherwise follows the compiled metric's ``direction`` (accuracy and AUC up,
            errors down); a metric without one needs an explicit mode.
        baseline: A value the monitored quantity must beat: the wait counter only restarts on an
            epoch that improves on both the best value and the baseline.
        restore_best_weights: Put back the weights of the best epoch at the end of training.
        start_from_epoch: Number of warm-up epochs during which nothing is monitored.

    Attributes:
        stopped_epoch: The (0-based) epoch at which training was stopped, 0 if it was not.
        best_epoch: The (0-based) epoch with the best monitored value.
        best: The best monitored value seen.

    Weights are snapshotted from ``model.state_dict()`` (copied to the CPU, as Keras copies them
    to numpy, so a GPU model does not hold two copies on the device; buffers such as
    BatchNormalization statistics included, as Keras's ``get_weights`` includes its
    non-trainable weights) and restored with ``load_state_dict``.

    Example:
        >>> import numpy as np
        >>> from kerastorch import Sequential
        >>> from kerastorch.layers import Dense
        >>> model = Sequential([Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> callback = EarlyStopping(monitor="loss", patience=3)
        >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=50,
        ...                     callbacks=[callback], verbose=0)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: dict[str, Any] | None = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs: Logs | None = None) -> None:
        # The same instance may be reused across fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op(logs)  # here, once the model's metrics are built
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing recorded yet: the current weights are the best.
            self.best_weights = self._snapshot()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._snapshot()
            # Only restart waiting on an epoch that beats both the baseline and the best value.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.load_state_dict(self.best_weights)

    def get_monitor_value(self, logs: Logs | None) -> float | None:
        """The monitored value in ``logs``, or None with a warning when it is missing."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value

    def _snapshot(self) -> dict[str, Any]:
        return {
            key: value.detach().to("cpu", copy=True) if isinstance(value, torch.Tensor) else value
            for key, value in self.model.state_dict().items()
        }
