"""TerminateOnNaN: stop training when the loss becomes NaN or infinite."""

from __future__ import annotations

import math

from kerastorch.callbacks.base import Callback, Logs, print_msg

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop training when a NaN or infinite loss is encountered, as Keras's ``TerminateOnNaN``.

    After every training batch the logged ``loss`` (the epoch's running mean, which turns NaN or
    infinite with the first bad batch) is checked. By default it prints
    ``Batch 3: Invalid loss, terminating training`` and sets ``model.stop_training = True``:
    ``fit`` stops after that batch, runs ``on_epoch_end`` and ``on_train_end`` (so
    ``EarlyStopping(restore_best_weights=True)`` can still put back good weights) and returns the
    History.

    Args:
        raise_error: Raise a RuntimeError at once instead, skipping ``on_train_end`` of all
            callbacks (useful to keep a ``BackupAndRestore`` backup of the last good epoch).

    Example:
        >>> callback = TerminateOnNaN()
        >>> # model.fit(x, y, callbacks=[callback])
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
