"""The callback protocol and the list that dispatches to callbacks, as in Keras."""

from __future__ import annotations

import operator
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import torch

from kerastorch.errors import did_you_mean

Logs = dict[str, float]

_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
)


class Callback:
    """Base class of callbacks, with Keras's hook names; override the hooks you need.

    ``self.model`` is the model being trained (set ``self.model.stop_training = True`` to stop
    after the current epoch) and ``self.params`` holds ``epochs``, ``steps`` and ``verbose``.

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, round(logs["loss"], 3))
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_test_begin(self, logs: Logs | None = None) -> None: ...
    def on_test_end(self, logs: Logs | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_begin(self, logs: Logs | None = None) -> None: ...
    def on_predict_end(self, logs: Logs | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    def wants_logs_now(self, hook: str) -> bool:
        """Whether this batch hook needs the current logs now (the progress bar only asks when it
        is about to redraw)."""
        return True

    def wants_batch_logs(self) -> bool:
        """Whether a batch hook is overridden, so the loop must compute per-batch logs."""
        return any(
            getattr(type(self), hook) is not getattr(Callback, hook) for hook in _BATCH_HOOKS
        )


class CallbackList:
    """Calls each hook on every callback, in order.

    Batch logs are computed lazily: ``logs_fn`` is only called (one host sync) when a callback
    overrides a batch hook, or when the progress bar is about to redraw.
    """

    def __init__(self, callbacks: Iterable[Callback], model: Any, params: dict[str, Any]) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                hint = ""
                if type(callback).__module__.split(".")[0] in ("keras", "tf_keras", "tensorflow"):
                    hint = (
                        f" Use kerastorch.callbacks.{type(callback).__name__} instead (import "
                        "callbacks from kerastorch.callbacks, not keras.callbacks)."
                    )
                raise TypeError(
                    f"callbacks must be kerastorch.callbacks.Callback instances, received "
                    f"{_type_path(callback)}.{hint}"
                )
            callback.set_model(model)
            callback.set_params(params)
        self._batch_callbacks = [c for c in self.callbacks if c.wants_batch_logs()]

    def _call(self, hook: str, *args: Any) -> None:
        *head, logs = args
        logs = {} if logs is None else logs  # Keras never passes None as logs
        for callback in self.callbacks:
            _invoke(callback, hook, *head, logs)

    def _call_batch(self, hook: str, batch: int, logs_fn: Callable[[], Logs] | None) -> None:
        logs = None
        for callback in self._batch_callbacks:
            if logs is None and logs_fn is not None and callback.wants_logs_now(hook):
                logs = logs_fn()
            _invoke(callback, hook, batch, logs if logs is not None else {})

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._call("on_train_begin", logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._call("on_test_begin", logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._call("on_predict_end", logs)

    def on_batch_begin(self, mode: str, batch: int) -> None:
        self._call_batch(f"on_{mode}_batch_begin", batch, None)

    def on_batch_end(self, mode: str, batch: int, logs_fn: Callable[[], Logs]) -> None:
        self._call_batch(f"on_{mode}_batch_end", batch, logs_fn)


def as_callbacks(callbacks: Any) -> list[Callback]:
    """``fit``'s ``callbacks`` argument as a list: None, one callback, or a list of them (Keras
    takes all three). A wrong element is refused by :class:`CallbackList`.

    Example:
        >>> from kerastorch.callbacks import History
        >>> [type(c).__name__ for c in as_callbacks(History())]
        ['History']
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, (str, bytes, dict)) or not isinstance(callbacks, Iterable):
        raise TypeError(
            "callbacks must be a list of kerastorch.callbacks.Callback instances, received "
            f"{_type_path(callbacks)}."
        )
    return list(callbacks)


def _type_path(value: Any) -> str:
    cls = type(value)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _invoke(callback: Callback, hook: str, *args: Any) -> None:
    """Call one hook; an error says which callback raised it."""
    try:
        getattr(callback, hook)(*args)
    except Exception as error:
        if not getattr(error, "_kerastorch_reported", False):
            error.add_note(f"(raised in callback {type(callback).__name__}.{hook})")
            error._kerastorch_reported = True  # type: ignore[attr-defined]
        raise


# -- Shared helpers of the built-in callbacks ----------------------------------------------------


def print_msg(message: str) -> None:
    """Print a callback's message without breaking a progress bar that is being drawn; only
    process 0 prints in a distributed run."""
    from tqdm import tqdm

    from kerastorch.distribute import is_main_process

    if is_main_process():
        tqdm.write(message, file=sys.stdout)


def get_learning_rate(optimizer: Any, caller: str) -> float:
    """The learning rate of a kerastorch optimizer (``learning_rate``) or of a plain
    ``torch.optim`` optimizer (param group 0's ``lr``)."""
    if optimizer is None:
        raise ValueError(
            f"{caller} needs a compiled model with an optimizer: call "
            'model.compile(optimizer="adam", loss=...) before fit().'
        )
    value = getattr(optimizer, "learning_rate", None)
    if value is None:
        groups = getattr(optimizer, "param_groups", None)
        if not groups:
            raise ValueError(
                f'{caller}: expected an optimizer with a "learning_rate" attribute or torch '
                f"param_groups, received {type(optimizer).__name__}."
            )
        value = groups[0]["lr"]
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def set_learning_rate(optimizer: Any, value: float, caller: str) -> None:
    """Set the learning rate of every param group (through ``learning_rate`` when the optimizer
    has that property, as kerastorch's optimizers do)."""
    get_learning_rate(optimizer, caller)  # the same checks
    if isinstance(getattr(type(optimizer), "learning_rate", None), property):
        optimizer.learning_rate = value
        return
    if hasattr(optimizer, "param_groups"):
        for group in optimizer.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value
    else:
        optimizer.learning_rate = value


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity (EarlyStopping, ModelCheckpoint,
    ReduceLROnPlateau), as Keras's ``MonitorCallback``.

    ``mode="auto"`` resolves the direction at the first ``on_epoch_end`` (when the metrics are
    built): ``"min"`` for ``loss`` / ``val_loss``; otherwise the ``direction`` (``"up"`` or
    ``"down"``) of the compiled metric whose name is the monitor without its ``val_`` prefix;
    otherwise a ValueError asking for ``mode="min"`` or ``"max"``.

    Args:
        monitor: The log key to watch, e.g. ``"val_loss"``.
        mode: ``"auto"``, ``"min"`` or ``"max"``; an unknown mode warns and falls back to auto.
        baseline: Initial best value (None: the first value seen).
        min_delta: Smallest change that counts as an improvement.

    Example:
        >>> class PrintBest(MonitorCallback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if self.monitor_op is None:
        ...             self._set_monitor_op()
        ...         if self._is_improvement(logs[self.monitor], self.best):
        ...             self.best = logs[self.monitor]
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Callable[[float, float], bool] | None = None

    def _set_monitor_op(self, logs: Logs | None = None) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            for metric in _compiled_metrics(self.model):
                direction = getattr(metric, "direction", None)
                if getattr(metric, "name", None) == name and direction is not None:
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                available = sorted(logs or {})
                hint = did_you_mean(self.monitor, available) if available else ""
                listing = f" Available metrics are: {','.join(available)}." if available else ""
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    "kerastorch isn't able to automatically determine whether that metric should "
                    "be maximized or minimized. Pass `mode='max'` in order to monitor based on "
                    "the highest metric value, or pass `mode='min'` in order to use the lowest "
                    f"value.{hint}{listing}"
                )
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value: float, reference_value: float | None) -> bool:
        if reference_value is None:
            return True
        assert self.monitor_op is not None
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


def _compiled_metrics(model: Any) -> list[Any]:
    """The compiled metrics of a kerastorch model (an empty list for anything else)."""
    compiled = getattr(model, "compiled", None)
    all_metrics = getattr(compiled, "all_metrics", None)
    return list(all_metrics()) if callable(all_metrics) else []
