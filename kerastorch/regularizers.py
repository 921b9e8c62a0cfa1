"""Weight and activity penalties with Keras's definitions, added to the training loss.

``L1``: ``l1 * sum(|x|)``; ``L2``: ``l2 * sum(x**2)`` (no factor 1/2, as in Keras); ``L1L2``
both. A layer's ``kernel_regularizer`` / ``recurrent_regularizer`` / ``bias_regularizer`` apply
to those weights in Keras's layout; ``activity_regularizer`` applies to the layer's output and is
divided by the batch size, as Keras 3 does. The penalties are part of the logged ``loss``.
"""

from __future__ import annotations

from typing import Any

import torch

from kerastorch.registry import Registry

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "REGULARIZERS",
    "Regularizer",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "serialize",
]


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar penalty``.

    Example:
        >>> L2(0.5)(torch.tensor([1.0, 2.0]))
        tensor(2.5000)
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(())

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _factor(name: str, value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"Expected {name} to be a number >= 0, received {name}={value!r}.")
    return float(value)


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor("l1", l1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * x.abs().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor("l2", l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * x.square().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``; the class defaults are 0 (Keras's), the ``l1_l2``
    function's and the ``"l1_l2"`` name's are 0.01 each."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _factor("l1", l1), _factor("l2", l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * x.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * x.square().sum()
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


def l1(l1: float = 0.01) -> L1:
    """Keras's function spelling of :class:`L1`."""
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    """Keras's function spelling of :class:`L2`."""
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Both penalties, 0.01 each by default (the documented Keras defaults)."""
    return L1L2(l1, l2)


REGULARIZERS: Registry[Any] = Registry("regularizer")
"""Keras's regularizer names (``"l1"``, ``"l2"``, ``"l1_l2"``, ...) -> regularizer classes."""
REGULARIZERS.add("l1", L1, "L1")
REGULARIZERS.add("l2", L2, "L2")
# Keras 3.15 documents "l1_l2" but cannot resolve it; kerastorch gives the documented 0.01 each.
REGULARIZERS.add("l1_l2", l1_l2, "L1L2")


def get(identifier: Any) -> Regularizer | None:
    """``None`` -> None; a name -> a default instance; a config dict or a callable -> itself.

    Example:
        >>> get("l2")
        L2(l2=0.01)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return REGULARIZERS.get(identifier)()
    if isinstance(identifier, dict):
        cls = REGULARIZERS.get(identifier["class_name"])
        return cls(**identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Expected a regularizer name, object or callable, received {identifier!r}. "
        f"Valid names: {', '.join(REGULARIZERS.names())}."
    )


def serialize(regularizer: Any) -> Any:
    """Keras's ``{"class_name": ..., "config": ...}`` form (None stays None)."""
    if regularizer is None or not isinstance(regularizer, Regularizer):
        return regularizer
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
