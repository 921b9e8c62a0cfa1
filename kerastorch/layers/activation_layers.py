"""Activation functions as layers: LeakyReLU, ReLU, ELU, Softmax, PReLU.

Each passes a mask on unchanged, as Keras's do. (``Activation("name")`` is in ``core.py``.)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch.nn import functional as F

from kerastorch import activations, initializers
from kerastorch.layers.arguments import InitializerArg, initializer_config
from kerastorch.layers.base import Layer, Shape

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


def _non_negative(layer: str, arg: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{layer}: expected a number >= 0, received {arg}={value!r}.")
    return float(value)


class LeakyReLU(Layer):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    The default slope is 0.3, as in Keras's layer (the ``"leaky_relu"`` activation function
    defaults to 0.2). ``alpha=`` is Keras 2's name for the slope: it is accepted, with the same
    deprecation warning Keras 3 gives.

    Args:
        negative_slope: Slope for negative inputs, ``>= 0``.

    Example:
        >>> LeakyReLU()(torch.tensor([-1.0, 2.0]))
        tensor([-0.3000,  2.0000])
    """

    supports_masking = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        alpha = kwargs.pop("alpha", None)
        super().__init__(**kwargs)
        layer = f"{self.cls_name} '{self.name}'"
        if alpha is not None:
            warnings.warn(
                f"{layer}: the argument alpha is Keras 2's name for the slope and is deprecated; "
                f"write LeakyReLU(negative_slope={alpha!r}).",
                DeprecationWarning,
                stacklevel=2,
            )
            negative_slope = alpha
        self.negative_slope = _non_negative(layer, "negative_slope", negative_slope)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ReLU(Layer):
    """ReLU with Keras's optional cap, slope and threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: Upper cap (``>= 0``), or ``None`` for none.
        negative_slope: Slope below the threshold, ``>= 0``.
        threshold: Values below it are damped, ``>= 0``.

    Example:
        >>> ReLU(max_value=6.0)(torch.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """

    supports_masking = True

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        layer = f"{self.cls_name} '{self.name}'"
        self.max_value = None if max_value is None else _non_negative(layer, "max_value", max_value)
        self.negative_slope = _non_negative(layer, "negative_slope", negative_slope)
        self.threshold = _non_negative(layer, "threshold", threshold)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class ELU(Layer):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: Scale of the negative part.

    Example:
        >>> ELU()(torch.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """

    supports_masking = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise TypeError(f"{self.describe()}: expected a number, received alpha={alpha!r}.")
        self.alpha = float(alpha)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return F.elu(inputs, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax over ``axis`` (the last one by default, or several axes).

    With a mask broadcastable to the inputs (for example an attention mask), masked entries are
    excluded from the softmax and output 0, as in Keras. A sequence mask ``(batch, steps)``
    handed on by an earlier layer (``Embedding(mask_zero=True)``, ``Masking``) on
    ``(batch, steps, features)`` inputs is not applied to the features but passed on to the next
    layer; Keras raises an error for it.

    Args:
        axis: Axis or axes to normalize over.

    Example:
        >>> Softmax()(torch.tensor([[0.0, 0.0]]))
        tensor([[0.5000, 0.5000]])
    """

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise TypeError(
                f"{self.describe()}: expected axis to be an integer or a list of integers, "
                f"received axis={axis!r}."
            )
        self.axis: int | tuple[int, ...] = tuple(axis) if isinstance(axis, (list, tuple)) else axis

    def _broadcastable(self, mask: torch.Tensor, inputs: torch.Tensor) -> bool:
        if mask.dim() > inputs.dim():
            return False
        return all(m in (1, i) for m, i in zip(mask.shape[::-1], inputs.shape[::-1], strict=False))

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        if mask is not None:
            if self._broadcastable(mask, inputs):
                keep = mask if mask.dtype == torch.bool else mask > 0.5
                keep = keep.to(inputs.device)
                inputs = torch.where(keep, inputs, torch.full_like(inputs, -1e9))
            elif tuple(mask.shape) == tuple(inputs.shape[:-1]):
                mask = None  # a sequence mask: it masks steps, not features
            else:
                raise ValueError(
                    f"{self.describe()}: expected a mask broadcastable to the inputs, received "
                    f"mask shape {tuple(mask.shape)} for inputs of shape {tuple(inputs.shape)}."
                )
        if isinstance(self.axis, tuple) and len(self.axis) > 1:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=self.axis, keepdim=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, tuple) else self.axis
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = torch.where(keep, outputs, torch.zeros_like(outputs))
        return outputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learned ``alpha``.

    ``alpha`` has the input's shape without the batch axis, except on ``shared_axes`` where it has
    size 1 (e.g. ``shared_axes=[1]`` shares one slope per feature over all time steps, which lets
    the sequence length vary).

    Args:
        alpha_initializer: Initializer of ``alpha`` (zeros: a plain ReLU at first).
        alpha_regularizer: Penalty on ``alpha`` added to the loss.
        alpha_constraint: Projection of ``alpha`` after each optimizer step.
        shared_axes: Axis or axes (counting the batch axis as 0) that share one slope.

    Example:
        >>> layer = PReLU(alpha_initializer="ones")
        >>> with torch.no_grad():
        ...     layer(torch.tensor([[-2.0, 3.0]]))
        tensor([[-2.,  3.]])
    """

    supports_masking = True

    def __init__(
        self,
        alpha_initializer: InitializerArg = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            alpha_regularizer=alpha_regularizer, alpha_constraint=alpha_constraint, **kwargs
        )
        layer = f"{self.cls_name} '{self.name}'"
        self.alpha_initializer = alpha_initializer
        initializers.get(alpha_initializer)
        if shared_axes is None:
            self.shared_axes: list[int] | None = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(isinstance(a, bool) or not isinstance(a, int) or a < 1 for a in axes):
                raise ValueError(
                    f"{layer}: expected shared_axes to be positive axis numbers (the batch axis "
                    f"is 0), received shared_axes={shared_axes!r}."
                )
            self.shared_axes = axes

    def _alpha_shape(self, input_shape: Shape) -> list[int | None]:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(
                    f"{self.describe()}: shared axis {axis} is out of bounds for inputs of shape "
                    f"{tuple(input_shape)}."
                )
            shape[axis - 1] = 1
        return shape

    def can_build(self, input_shape: Shape) -> bool:
        try:
            return None not in self._alpha_shape(input_shape)
        except ValueError:
            return True  # build raises the clear error

    def build(self, input_shape: Shape) -> None:
        shape = self._alpha_shape(input_shape)
        if None in shape:
            raise ValueError(
                f"{self.describe()} needs a known size on every non-shared axis to create "
                f"alpha, received input shape {tuple(input_shape)}. Share the unknown axes, e.g. "
                "PReLU(shared_axes=[1]) for sequences of any length."
            )
        self.add_weight("alpha", shape, initializer=self.alpha_initializer)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return F.relu(inputs) - self.alpha * F.relu(-inputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": initializer_config(self.alpha_initializer),
            "shared_axes": self.shared_axes,
        }
