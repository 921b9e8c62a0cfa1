"""ModelCheckpoint: save the model or its weights during training."""

from __future__ import annotations

import inspect
import os
import warnings
from typing import Any

from kerastorch.callbacks.base import Logs, MonitorCallback, print_msg
from kerastorch.distribute import is_main_process
from kerastorch.saving.atomic import atomic_path

__all__ = ["ModelCheckpoint"]

# File endings ModelCheckpoint accepts: Keras's formats and kerastorch's native ones.
WEIGHTS_ENDINGS = (".weights.pt", ".weights.h5")
MODEL_ENDINGS = (".kt", ".keras", ".h5")


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights at some frequency, as Keras's ``ModelCheckpoint``.

    ``filepath`` may hold format fields filled with the 1-based ``epoch`` (and ``batch`` when
    saving every N batches) and the logged values, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.weights.pt"``.

    Every file is written atomically: the model is saved to a temporary file in the same folder
    which then replaces ``filepath`` (``os.replace``), so an interruption or a crash never leaves
    a half-written checkpoint, and with ``save_best_only`` the previous best stays intact until
    the new one is complete.

    In multi-process training (``kerastorch.distribute``) every process makes the same decisions
    (their logs are the same), and only process 0 writes files and prints messages.

    Args:
        filepath: Where to save. With ``save_weights_only=True`` it must end in ``.weights.pt``
            (kerastorch's weights file) or ``.weights.h5`` (Keras's); otherwise in ``.kt``
            (kerastorch's model file), ``.keras`` or ``.h5`` (Keras's). The file is written by
            ``model.save_weights(path)`` or ``model.save(path)``, which decide the format from
            this ending.
        monitor: The log key compared by ``save_best_only``. Defaults to ``"val_loss"``.
        verbose: 1 prints a message for every save decision.
        save_best_only: Only save when the monitored value improves on the best so far.
        save_weights_only: Save only the weights (``model.save_weights``) instead of the whole
            model (``model.save``).
        mode: ``"auto"``, ``"min"`` or ``"max"``, as for :class:`EarlyStopping`.
        save_freq: ``"epoch"`` (save at each epoch end) or a positive integer N (save every N
            batches; the monitored value is then the epoch's running value so far).
        initial_value_threshold: Initial best value for ``save_best_only``.

    Example:
        >>> checkpoint = ModelCheckpoint(
        ...     "checkpoints/best.weights.pt", monitor="val_loss", save_best_only=True,
        ...     save_weights_only=True)
        >>> # model.fit(x, y, validation_split=0.2, callbacks=[checkpoint])
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0

        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                "integer values."
            )
        if save_freq != "epoch" and save_freq < 1:
            raise ValueError(
                f"ModelCheckpoint: expected save_freq to be 'epoch' or a positive number of "
                f"batches, received save_freq={save_freq}. (Keras saves after every batch for "
                "any value below 1; ask for that with save_freq=1.)"
            )
        endings = WEIGHTS_ENDINGS if save_weights_only else MODEL_ENDINGS
        if not self.filepath.endswith(endings):
            what = "with `save_weights_only=True` " if save_weights_only else ""
            raise ValueError(
                f"ModelCheckpoint: the filepath {what}must end in "
                f"{' or '.join(f'`{e}`' for e in endings)}. Received: filepath={self.filepath}"
            )

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op(logs)  # here, once the model's metrics are built
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def wants_batch_logs(self) -> bool:
        # Batch logs (one host sync per batch) only when saving every N batches.
        return self.save_freq != "epoch"

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add_batches = batch + 1  # a new epoch; batches are 0-based
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, logs: Logs, filepath: str) -> bool:
        verbose = self.verbose if is_main_process() else 0
        if not self.save_best_only:
            if verbose > 0:
                print_msg(f"Epoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if self.monitor_op is None:
            self._set_monitor_op(logs)  # saving every N batches, before the first epoch end
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if verbose > 0:
                print_msg(
                    f"Epoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if verbose > 0:
            print_msg(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath) or not is_main_process():
            return
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}"
            )
        method = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, method, None)
        if save is None:
            raise AttributeError(
                f"ModelCheckpoint needs model.{method}(filepath), which "
                f"{type(self.model).__name__} does not have."
            )
        kwargs = {"overwrite": True} if _accepts(save, "overwrite") else {}
        with atomic_path(filepath) as tmp:
            save(tmp, **kwargs)
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: int | None, logs: Logs) -> str:
        """``filepath`` with its fields filled (1-based epoch and batch, as Keras)."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            available = ", ".join(["epoch", *([] if batch is None else ["batch"]), *logs])
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}. '
                f"Available fields: {available}."
            ) from None


def _accepts(function: Any, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())
