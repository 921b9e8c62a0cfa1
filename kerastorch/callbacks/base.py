"""The callback protocol and the list that dispatches to callbacks, as in Keras."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

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
                raise TypeError(
                    f"callbacks must be kerastorch.callbacks.Callback instances, received "
                    f"{type(callback).__name__}."
                )
            callback.set_model(model)
            callback.set_params(params)
        self._batch_callbacks = [c for c in self.callbacks if c.wants_batch_logs()]

    def _call(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            _invoke(callback, hook, *args)

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


def _invoke(callback: Callback, hook: str, *args: Any) -> None:
    """Call one hook; an error says which callback raised it."""
    try:
        getattr(callback, hook)(*args)
    except Exception as error:
        if not getattr(error, "_kerastorch_reported", False):
            error.add_note(f"(raised in callback {type(callback).__name__}.{hook})")
            error._kerastorch_reported = True  # type: ignore[attr-defined]
        raise
