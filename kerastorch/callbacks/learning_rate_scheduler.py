"""LearningRateScheduler: set the learning rate at the start of every epoch."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import torch

from kerastorch.callbacks.base import (
    Callback,
    Logs,
    get_learning_rate,
    print_msg,
    set_learning_rate,
)

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Set the learning rate from ``schedule`` at the start of every epoch, as Keras does.

    ``schedule(epoch, lr)`` receives the 0-based epoch and the current learning rate and returns
    the new one (a float); a one-argument ``schedule(epoch)`` is accepted too (Keras's old API).
    The learning rate is added to the epoch logs as ``learning_rate``.

    Works with kerastorch's optimizers and with any ``torch.optim`` optimizer (every param
    group's ``lr`` is set).

    Args:
        schedule: ``fn(epoch, lr) -> float`` or ``fn(epoch) -> float``.
        verbose: 1 prints the learning rate set at each epoch.

    Unlike Keras, which first calls ``schedule(epoch, lr)`` and falls back to
    ``schedule(epoch)`` on *any* TypeError (hiding TypeErrors raised inside a two-argument
    schedule), the number of arguments is read from the function's signature when it has one;
    and a one-element floating torch tensor is accepted as the result (Keras wants a float).

    Example:
        >>> import math
        >>> def scheduler(epoch, lr):
        ...     return lr if epoch < 10 else lr * math.exp(-0.1)
        >>> callback = LearningRateScheduler(scheduler)
        >>> # model.fit(x, y, epochs=15, callbacks=[callback])
    """

    def __init__(
        self, schedule: Callable[[int, float], float] | Callable[[int], float], verbose: int = 0
    ) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: expected schedule to be a function fn(epoch, lr) -> float, "
                f"received schedule={schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _positional_capacity(schedule)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        learning_rate = get_learning_rate(optimizer, "LearningRateScheduler")
        if self._takes_lr is None:  # no signature: Keras's try-and-fall-back
            try:
                learning_rate = self.schedule(epoch, learning_rate)  # type: ignore[call-arg]
            except TypeError:
                learning_rate = self.schedule(epoch)  # type: ignore[call-arg]
        elif self._takes_lr:
            learning_rate = self.schedule(epoch, learning_rate)  # type: ignore[call-arg]
        else:
            learning_rate = self.schedule(epoch)  # type: ignore[call-arg]
        if (
            isinstance(learning_rate, torch.Tensor)
            and learning_rate.numel() == 1
            and learning_rate.is_floating_point()
        ):
            learning_rate = learning_rate.item()  # e.g. lr * torch.exp(torch.tensor(-0.1))
        if not isinstance(learning_rate, (float, np.floating)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        set_learning_rate(optimizer, float(learning_rate), "LearningRateScheduler")
        if self.verbose > 0:
            print_msg(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model.optimizer, "LearningRateScheduler")


def _positional_capacity(function: Callable[..., object]) -> bool | None:
    """True if ``function`` can take two positional arguments, False if only one, None if its
    signature cannot be read."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2
