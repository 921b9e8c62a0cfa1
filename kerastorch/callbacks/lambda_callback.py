"""LambdaCallback: a callback made of plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kerastorch.callbacks.base import _BATCH_HOOKS, Callback
from kerastorch.errors import did_you_mean

__all__ = ["LambdaCallback"]

_HOOKS = tuple(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """A callback built from functions, as Keras's ``LambdaCallback``.

    The functions are called with Keras's arguments: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``,
    ``on_train_batch_begin(batch, logs=logs)`` and ``on_train_batch_end(batch, logs=logs)``;
    any other hook of :class:`Callback` (``on_test_batch_end=...``, ``on_predict_begin=...``)
    can be given by name as well.

    Unlike Keras, which silently keeps any keyword, an unknown hook name is an error (with a
    "did you mean").

    Args:
        on_epoch_begin: Called at the beginning of every epoch.
        on_epoch_end: Called at the end of every epoch.
        on_train_begin: Called at the beginning of training.
        on_train_end: Called at the end of training.
        on_train_batch_begin: Called at the beginning of every training batch.
        on_train_batch_end: Called at the end of every training batch.
        **kwargs: Any other hook of :class:`Callback`, by name.

    Example:
        >>> losses = []
        >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
        >>> # model.fit(x, y, epochs=3, callbacks=[record])
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Callable[..., Any],
    ) -> None:
        super().__init__()
        for name in kwargs:
            if name not in _HOOKS:
                raise TypeError(
                    f"LambdaCallback: unknown hook {name}=...{did_you_mean(name, _HOOKS)} "
                    f"Valid hooks: {', '.join(_HOOKS)}."
                )
        functions = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        self._batch_hooks: set[str] = set()
        for name, function in functions.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback: expected {name} to be a function, received "
                    f"{name}={function!r}."
                )
            if name in _BATCH_HOOKS:
                self._batch_hooks.add(name)
                # Keras's CallbackList passes a batch hook's logs by keyword.
                setattr(self, name, _logs_by_keyword(function))
            else:
                setattr(self, name, function)

    def wants_batch_logs(self) -> bool:
        # The hooks are instance attributes, which the class-level check cannot see.
        return bool(self._batch_hooks)


def _logs_by_keyword(function: Callable[..., Any]) -> Callable[..., Any]:
    def hook(batch: int, logs: dict[str, float] | None = None) -> Any:
        return function(batch, logs=logs)

    hook.__wrapped__ = function  # type: ignore[attr-defined]
    return hook
