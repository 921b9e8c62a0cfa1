"""Weight constraints with Keras's definitions, applied after every optimizer step.

A constraint is a projection ``w -> constraint(w)`` of a weight in Keras's layout (a Dense kernel
is ``(in, out)``, so ``axis=0`` constrains each output unit's incoming weights).
"""

from __future__ import annotations

from typing import Any

import torch

from kerastorch.registry import Registry

__all__ = [
    "CONSTRAINTS",
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "get",
    "serialize",
]

EPSILON = 1e-7  # Keras's backend.epsilon()


class Constraint:
    """Base class: ``constraint(w) -> projected w`` (the identity here)."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _norms(w: torch.Tensor, axis: int | list[int]) -> torch.Tensor:
    dims = axis if isinstance(axis, (list, tuple)) else [axis]
    return w.square().sum(dim=dims, keepdim=True).sqrt()


class MaxNorm(Constraint):
    """Rescale so that the norm along ``axis`` is at most ``max_value``.

    Example:
        >>> MaxNorm(1.0)(torch.tensor([[3.0], [4.0]])).flatten()
        tensor([0.6000, 0.8000])
    """

    def __init__(self, max_value: float = 2, axis: int | list[int] = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        return w * (norms.clamp(0, self.max_value) / (EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clip negative weights to zero."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w.clamp(min=0)


class UnitNorm(Constraint):
    """Rescale to unit norm along ``axis``."""

    def __init__(self, axis: int | list[int] = 0) -> None:
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w / (EPSILON + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move the norm along ``axis`` into ``[min_value, max_value]`` at ``rate``."""

    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: int | list[int] = 0,
    ) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        desired = self.rate * norms.clamp(self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


CONSTRAINTS: Registry[Any] = Registry("constraint")
"""Keras's constraint names (``"max_norm"``, ``"non_neg"``, ...) -> constraint classes."""
CONSTRAINTS.add("max_norm", MaxNorm, "MaxNorm")
CONSTRAINTS.add("non_neg", NonNeg, "NonNeg")
CONSTRAINTS.add("unit_norm", UnitNorm, "UnitNorm")
CONSTRAINTS.add("min_max_norm", MinMaxNorm, "MinMaxNorm")


def get(identifier: Any) -> Constraint | None:
    """``None`` -> None; a name -> a default instance; a config dict or a callable -> itself.

    Example:
        >>> get("max_norm")
        MaxNorm(max_value=2, axis=0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return CONSTRAINTS.get(identifier)()
    if isinstance(identifier, dict):
        return CONSTRAINTS.get(identifier["class_name"])(**identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Expected a constraint name, object or callable, received {identifier!r}. "
        f"Valid names: {', '.join(CONSTRAINTS.names())}."
    )


def serialize(constraint: Any) -> Any:
    """Keras's ``{"class_name": ..., "config": ...}`` form (None stays None)."""
    if constraint is None or not isinstance(constraint, Constraint):
        return constraint
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}
