"""Ctrl-C during ``fit``: stop at the next batch boundary, never in the middle of an update.

NOTE [Ctrl-C during fit]
    While ``fit`` runs (in the main thread, with Python's default SIGINT handler in place), a
    :class:`DeferredInterrupt` replaces that handler:

    1. The first Ctrl-C only sets ``requested``. The loops check it after every training step
       (forward, backward, optimizer step, metrics, batch callbacks) and before every training,
       validation and prediction batch (:func:`check_interrupt`), and stop there with
       ``KeyboardInterrupt``, which ``fit`` turns into a warning and a normal return. So a
       Ctrl-C during a long validation pass stops at the next validation batch, not after the
       pass and one more training step.
    2. A second Ctrl-C raises ``KeyboardInterrupt`` at once, for a step that hangs, unless the
       optimizer is applying an update (from ``optimizer.step`` to the end of the training
       step, which also applies constraints): the update is finished first and the interrupt
       raised right after it, so the weights are always those of a finished step.
    3. A third Ctrl-C inside that update raises at once; the warning then says that the last
       step is half applied.

    Anything else (an ignored SIGINT, a handler of the user's, a thread other than the main one)
    is left alone: Ctrl-C then does what that handler does.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

__all__ = ["DeferredInterrupt", "check_interrupt"]


class DeferredInterrupt:
    """Ctrl-C handling for one ``fit`` call: NOTE [Ctrl-C during fit].

    Attributes:
        requested: A Ctrl-C arrived: the loop stops at the next batch boundary.
        broke_step: A third Ctrl-C interrupted an optimizer update half way.

    Example:
        >>> interrupt = DeferredInterrupt.install()
        >>> interrupt.requested
        False
        >>> interrupt.uninstall()
    """

    _active: ClassVar[DeferredInterrupt | None] = None

    def __init__(self) -> None:
        self.requested = False
        self.broke_step = False
        self.stopped_in = "training"  # where the stop was made: or "validation", "prediction"
        self._presses = 0
        self._in_update = False
        self._previous: Any = None
        self._hook: Any = None

    @classmethod
    def install(cls, optimizer: torch.optim.Optimizer | None = None) -> DeferredInterrupt:
        """Replace Python's default SIGINT handler (only that one, only in the main thread)
        until :meth:`uninstall`; ``optimizer``'s updates are then never cut in half."""
        interrupt = cls()
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            interrupt._previous = signal.signal(signal.SIGINT, interrupt._handle)
            if isinstance(optimizer, torch.optim.Optimizer):
                interrupt._hook = optimizer.register_step_pre_hook(interrupt._update_begins)
            cls._active = interrupt
        return interrupt

    def _handle(self, signum: int, frame: Any) -> None:
        self._presses += 1
        if self._presses == 1:
            self.requested = True
            return
        if self._in_update:
            if self._presses == 2:
                return  # raised by update_finished, once the update is complete
            self.broke_step = True
        raise KeyboardInterrupt

    def _update_begins(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self._in_update = True

    def update_finished(self) -> None:
        """Called by the loop after each training step: raise the Ctrl-C that came during the
        optimizer's update, now that the update is complete."""
        self._in_update = False
        if self._presses >= 2:
            raise KeyboardInterrupt

    def check(self, where: str) -> None:
        """Raise ``KeyboardInterrupt`` if a Ctrl-C has been requested (``where``: the pass)."""
        if self.requested:
            self.stopped_in = where
            raise KeyboardInterrupt

    def message(self, epoch: int, finished_epochs: int, callbacks: Sequence[Any] = ()) -> str:
        """The warning of an interrupted ``fit`` (``epoch``: 0-based, the one running), before
        ``callbacks``' ``on_train_end`` runs."""
        history = f"the History holds {finished_epochs} finished epoch(s)"
        restorer = next(
            (
                c
                for c in callbacks
                if getattr(c, "restore_best_weights", False)
                and getattr(c, "best_weights", None) is not None
            ),
            None,
        )
        if restorer is not None:  # its on_train_end is about to replace the weights
            weights = (
                f"the model gets the weights of epoch {restorer.best_epoch + 1}, the best, from "
                f"{type(restorer).__name__}(restore_best_weights=True)"
            )
        elif self.broke_step:
            weights = (
                "that update is half applied, so the weights are partly updated by the last "
                "step (not those of a finished step)"
            )
        else:
            weights = "the model keeps the weights of the last finished step"
        where = {
            "validation": " (during validation)",
            "prediction": " (during a predict() that a callback ran)",
        }.get(self.stopped_in, "")
        if self.broke_step:
            where = " by a third Ctrl-C inside an optimizer update"
        separator = ":" if self.broke_step and restorer is None else ";"
        return (
            f"fit() interrupted during epoch {epoch + 1}{where}{separator} {weights} and {history}."
        )

    def uninstall(self) -> None:
        """Put the previous SIGINT handler back."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        if DeferredInterrupt._active is self:
            DeferredInterrupt._active = None


def check_interrupt(where: str) -> None:
    """Between two batches: stop (``KeyboardInterrupt``) if Ctrl-C was pressed during a ``fit``
    (also in an ``evaluate`` or ``predict`` that a callback runs); nothing otherwise.

    Example:
        >>> check_interrupt("prediction")  # no fit running: nothing to do
    """
    interrupt = DeferredInterrupt._active
    if interrupt is not None:
        interrupt.check(where)
