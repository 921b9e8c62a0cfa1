"""The one choke point every public op passes through: :func:`keras_op`.

NOTE [keras_op]: every function of :mod:`kerastorch.ops` is wrapped by :func:`keras_op`, and is
recorded in :data:`OPS` under its Keras name. On tensors the wrapper just calls the function. As
in Keras, an op called on a *symbolic* tensor (a functional-API ``KerasTensor``) records a graph
node instead of computing (a :class:`kerastorch.symbolic.SymbolicOp`, NOTE [functional graph]),
so ``ops.mean(lstm_output, axis=1)`` can sit between layers of ``Model(inputs, outputs)``. The
op functions themselves are plain torch (no numpy round trip), so they also trace under
``torch.compile`` and ``torch.export``.

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

from kerastorch.symbolic import SymbolicOp, any_symbolic

__all__ = ["OPS", "keras_op"]

F = TypeVar("F", bound=Callable[..., Any])

OPS: dict[str, Callable[..., Any]] = {}
"""Keras name -> public op (the wrapped function), in definition order."""


def keras_op(fn: F) -> F:
    """Make ``fn`` a public op: registered in :data:`OPS`, called through the dispatch hook.

    See NOTE [keras_op] in the module docstring.
    """
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if any_symbolic(args, kwargs):
            return SymbolicOp(fn, name)(*args, **kwargs)
        return fn(*args, **kwargs)

    OPS[name] = op
    return op  # type: ignore[return-value]


def alias(name: str, op: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``op`` under a second Keras name (``absolute`` for ``abs``); returns ``op``."""
    OPS[name] = op
    return op
