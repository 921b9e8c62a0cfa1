"""Layers that change the shape of their input: Flatten."""

from __future__ import annotations

import math
from typing import Any

import torch

from kerastorch.layers.base import Layer, Shape

__all__ = ["Flatten"]


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, timesteps, units)`` ->
    ``(batch, timesteps * units)``.

    After a recurrent layer with ``return_sequences=True`` this keeps every timestep's output
    (unlike taking the last step), so the following ``Dense`` has ``timesteps * units`` inputs and
    the sequence length must be fixed: by ``Input(shape=(T, F))``, or by the first batch the model
    sees. A batch of another length then raises an error that says so; to accept any length, use
    ``LSTM(..., return_sequences=False)`` (the last step) or ``GlobalAveragePooling1D``.

    Example:
        >>> Flatten()(torch.ones(2, 7, 4)).shape
        torch.Size([2, 28])
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format
        self._fixed_shape: tuple[int, ...] | None = None

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def build(self, input_shape: Shape) -> None:
        if None not in input_shape[1:]:
            self._fixed_shape = tuple(input_shape[1:])  # type: ignore[arg-type]

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        shape = tuple(inputs.shape[1:])
        if self._fixed_shape is None:
            # Built from a shape with unknown sizes: the first batch fixes them, as in Keras.
            self._fixed_shape = shape
        elif shape != self._fixed_shape:
            raise ValueError(
                f"{self.describe()} was fixed to inputs of shape (batch, "
                f"{', '.join(map(str, self._fixed_shape))}) and received {tuple(inputs.shape)}. "
                "Flatten joins every timestep into one feature vector, so the layer after it "
                "needs a fixed sequence length. To accept sequences of any length, use "
                "LSTM(..., return_sequences=False) (the last step's output) or "
                "GlobalAveragePooling1D() instead of Flatten."
            )
        return inputs.reshape(inputs.shape[0], -1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}
