"""Progress display for fit / evaluate / predict.

``ProgressBar`` draws (a tqdm bar on a terminal or in a notebook, one compact line per epoch
otherwise); ``ProgbarLogger`` is the callback that feeds it, so the loop never draws anything.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

import numpy as np

from kerastorch.callbacks.base import Callback, Logs
from kerastorch.distribute import is_main_process

REFRESH_SECONDS = 0.2


def format_logs(logs: Logs | None) -> str:
    """``" - loss: 0.1234 - mae: 0.5678"``: Keras's 4 decimals, keys in alphabetical order; a
    per-class metric (an array) shows its mean, as Keras's bar does."""
    return "".join(
        f" - {key}: {float(np.mean(value)):.4f}" for key, value in sorted((logs or {}).items())
    )


def format_duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds * 1000:.0f}ms"


def _interactive(stream: TextIO) -> bool:
    if "ipykernel" in sys.modules:  # a notebook: tqdm.auto draws a widget
        return True
    return hasattr(stream, "isatty") and stream.isatty()


class ProgressBar:
    """One bar over ``total`` steps (``None`` when unknown), or one summary line at the end when
    the output is not interactive (a log file, CI): no thousands of redraws."""

    def __init__(
        self,
        total: int | None,
        prefix: str = "",
        stream: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.total = total
        self.prefix = prefix
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self.steps = 0
        self.bar = None
        if interactive if interactive is not None else _interactive(self.stream):
            from tqdm.auto import tqdm

            if prefix:
                print(prefix, file=self.stream, flush=True)
            self.bar = tqdm(
                total=total,
                file=self.stream,
                bar_format="{n_fmt}/{total_fmt} {bar:20} {elapsed}<{remaining}{postfix}",
                ascii=" ━",
                leave=True,
                dynamic_ncols=True,
            )

    def update(self, steps: int, logs: Logs | None = None) -> None:
        if self.bar is not None:
            self.bar.update(steps - self.steps)
            if logs is not None:
                self.bar.set_postfix_str(self._rate() + format_logs(logs), refresh=False)
        self.steps = steps

    def _rate(self) -> str:
        per_step = (time.perf_counter() - self.start) / max(self.steps, 1)
        return f" {format_duration(per_step)}/step"

    def close(self, logs: Logs | None = None) -> None:
        elapsed = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.set_postfix_str(self._rate() + format_logs(logs), refresh=False)
            self.bar.close()
        else:
            head = f"{self.prefix} - " if self.prefix else ""
            total = self.total if self.total is not None else self.steps
            print(
                f"{head}{self.steps}/{total} - {format_duration(elapsed)}{self._rate()}"
                f"{format_logs(logs)}",
                file=self.stream,
                flush=True,
            )


class ProgbarLogger(Callback):
    """Shows progress: ``verbose=1`` a bar per epoch (one line per epoch when the output is not a
    terminal), ``verbose=2`` one line per epoch. Added by ``fit`` / ``evaluate`` / ``predict``.

    In multi-process training only process 0 prints (``kerastorch.distribute``)."""

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self.bar: ProgressBar | None = None
        self.in_fit = False
        self.last_refresh = 0.0

    def _steps(self) -> int | None:
        return self.params.get("steps")

    def _open(self, total: int | None, prefix: str = "") -> None:
        if not is_main_process():
            return  # the other processes of a distributed run print nothing
        self.bar = ProgressBar(total, prefix, interactive=False if self.verbose == 2 else None)

    def wants_logs_now(self, hook: str) -> bool:
        if self.bar is None or self.bar.bar is None:
            return False
        return time.perf_counter() - self.last_refresh >= REFRESH_SECONDS

    # fit
    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        self.in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._open(self._steps(), f"Epoch {epoch + 1}/{self.params.get('epochs')}")

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._advance(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.bar is not None:
            self.bar.close(logs)
            self.bar = None

    # evaluate / predict, when not called by fit
    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self.in_fit:
            self._open(self._steps())

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self.in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if not self.in_fit and self.bar is not None:
            self.bar.close(logs)
            self.bar = None

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._open(self._steps())

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._advance(batch, None)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _advance(self, batch: int, logs: Logs | None) -> None:
        if self.bar is None:
            return
        if logs:
            self.last_refresh = time.perf_counter()
            self.bar.update(batch + 1, logs)
        else:
            self.bar.update(batch + 1)
