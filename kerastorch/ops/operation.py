"""The one choke point every public op passes through: :func:`keras_op`.

NOTE [keras_op]: every function of :mod:`kerastorch.ops` is wrapped by :func:`keras_op`, and is
recorded in :data:`OPS` under its Keras name. Today the wrapper only calls the function on
tensors. In Keras, an op called on a *symbolic* tensor (a functional-API ``KerasTensor``) records
a graph node instead of computing; :func:`set_symbolic_dispatch` installs the one handler that will
do so here, without touching any op. The op functions themselves are plain torch (no numpy round
trip), so they also trace under ``torch.compile`` and ``torch.export``.

Example:
    >>> import torch
    >>> @keras_op
    ... def twice(x):
    ...     return x * 2
    >>> twice(torch.tensor([1.0]))
    tensor([2.])
    >>> OPS["twice"] is twice
    True
    >>> del OPS["twice"]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["OPS", "keras_op", "set_symbolic_dispatch"]

F = TypeVar("F", bound=Callable[..., Any])

OPS: dict[str, Callable[..., Any]] = {}
"""Keras name -> public op (the wrapped function), in definition order."""

# The installed handler: handler(op_name, fn, args, kwargs) -> result, or NotImplemented to let
# the op compute eagerly (when no argument is symbolic).
_symbolic_dispatch: Callable[[str, Callable[..., Any], tuple, dict], Any] | None = None


def set_symbolic_dispatch(
    handler: Callable[[str, Callable[..., Any], tuple, dict], Any] | None,
) -> None:
    """Install (or, with ``None``, remove) the handler every op consults before computing.

    ``handler(name, fn, args, kwargs)`` returns the op's result for symbolic arguments, or
    ``NotImplemented`` to let ``fn(*args, **kwargs)`` run as usual.
    """
    global _symbolic_dispatch
    _symbolic_dispatch = handler


def keras_op(fn: F) -> F:
    """Make ``fn`` a public op: registered in :data:`OPS`, called through the dispatch hook.

    See NOTE [keras_op] in the module docstring.
    """
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if _symbolic_dispatch is not None:
            result = _symbolic_dispatch(name, fn, args, kwargs)
            if result is not NotImplemented:
                return result
        return fn(*args, **kwargs)

    OPS[name] = op
    return op  # type: ignore[return-value]


def alias(name: str, op: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``op`` under a second Keras name (``absolute`` for ``abs``); returns ``op``."""
    OPS[name] = op
    return op
