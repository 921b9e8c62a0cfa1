"""Layers that change the shape of their input: Flatten, RepeatVector, Reshape, Permute, and the
time-axis ones: ZeroPadding1D, Cropping1D, UpSampling1D."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from kerastorch.layers.arguments import check_data_format, check_positive_int
from kerastorch.layers.base import Layer, Shape

__all__ = [
    "Cropping1D",
    "Flatten",
    "Permute",
    "RepeatVector",
    "Reshape",
    "UpSampling1D",
    "ZeroPadding1D",
]


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


class RepeatVector(Layer):
    """Repeats its input ``n`` times along a new time axis: ``(batch, features)`` ->
    ``(batch, n, features)``.

    The bridge of an encoder-decoder: the encoder's last state, repeated once per output step,
    feeds a decoder ``LSTM(..., return_sequences=True)``.

    Args:
        n: Number of repetitions, a positive integer.

    Input shape: ``(batch, features)``. Output shape: ``(batch, n, features)``.

    Example:
        >>> RepeatVector(3)(torch.ones(2, 4)).shape
        torch.Size([2, 3, 4])
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = check_positive_int(self.describe(), "n", n)

    def _check_rank(self, shape: Sequence[int | None]) -> None:
        if len(shape) != 2:
            hint = (
                " After a recurrent layer, use return_sequences=False (the last step's output)."
                if len(shape) == 3
                else ""
            )
            raise ValueError(
                f"{self.describe()} expects inputs of shape (batch, features), received input "
                f"shape {tuple(shape)}.{hint}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._check_rank(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        self._check_rank(inputs.shape)
        return inputs.unsqueeze(1).repeat(1, self.n, 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    One entry of ``target_shape`` may be -1: it is inferred from the other sizes.

    Args:
        target_shape: The shape of one sample, e.g. ``(3, 4)`` or ``(-1, 2)``.

    Input shape: any, with as many values per sample as ``target_shape`` holds. Output shape:
    ``(batch, *target_shape)``.

    Example:
        >>> Reshape((3, 4))(torch.ones(2, 12)).shape
        torch.Size([2, 3, 4])
        >>> Reshape((-1, 2)).compute_output_shape((None, 6))
        (None, 3, 2)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            dims = (target_shape,) if isinstance(target_shape, int) else tuple(target_shape)
        except TypeError:
            dims = None
        if (
            dims is None
            or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims)
            or any(d == 0 or d < -1 for d in dims)
            or list(dims).count(-1) > 1
        ):
            raise ValueError(
                f"{self.describe()}: expected target_shape to be a tuple of positive integers "
                "(the shape of one sample, without the batch axis) with at most one -1 for a "
                f"size to infer, received target_shape={target_shape!r}."
            )
        self.target_shape: tuple[int, ...] = tuple(int(d) for d in dims)

    def _resolve(self, sample_shape: Sequence[int | None], received: Any) -> tuple[int | None, ...]:
        """``target_shape`` with its -1 resolved (None while the input has unknown sizes)."""
        if None in sample_shape:
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample_shape)  # type: ignore[arg-type]
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            ok = size % known == 0
            resolved = tuple(size // known if d == -1 else d for d in self.target_shape)
        else:
            ok = size == known
            resolved = self.target_shape
        if not ok:
            need = f"a multiple of {known} values" if -1 in self.target_shape else f"{known} values"
            raise ValueError(
                f"{self.describe()} cannot reshape inputs of shape {received} ({size} values "
                f"per sample) to target_shape={self.target_shape}, which needs {need} per sample."
            )
        return resolved

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *self._resolve(input_shape[1:], tuple(input_shape)))

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        target = self._resolve(tuple(inputs.shape[1:]), tuple(inputs.shape))
        return inputs.reshape(inputs.shape[0], *target)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the axes of each sample; ``dims`` counts from 1, as in Keras (the batch axis,
    axis 0, stays first).

    Args:
        dims: A permutation of ``1..rank-1``: ``(2, 1)`` swaps time and features.

    Input shape: ``(batch, ...)`` with ``len(dims)`` axes after the batch axis. Output shape: the
    same sizes in the order ``dims`` gives.

    Example:
        >>> Permute((2, 1))(torch.ones(2, 10, 64)).shape
        torch.Size([2, 64, 10])
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            order = tuple(dims)
        except TypeError:
            order = None
        if order is None or sorted(order) != list(range(1, len(order) + 1)):
            raise ValueError(
                f"{self.describe()}: expected dims to be a permutation of 1..n counting from 1 "
                "(the batch axis is not included), e.g. (2, 1) to swap time and features, "
                f"received dims={dims!r}."
            )
        self.dims: tuple[int, ...] = tuple(int(d) for d in order)

    def _check_rank(self, shape: Sequence[int | None]) -> None:
        if len(shape) != len(self.dims) + 1:
            raise ValueError(
                f"{self.describe()} with dims={self.dims} expects inputs with "
                f"{len(self.dims)} axes after the batch axis, received input shape "
                f"{tuple(shape)}."
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._check_rank(input_shape)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        self._check_rank(inputs.shape)
        return inputs.permute(0, *self.dims)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


def _pair(layer: str, arg: str, value: Any) -> tuple[int, int]:
    """Keras's ``n`` or ``(left, right)``: two non-negative ints."""
    pair = [value, value] if isinstance(value, int) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in pair)
    ):
        raise ValueError(
            f"{layer}: expected {arg} to be an integer >= 0 or a pair (left, right) of them, "
            f"received {arg}={value!r}."
        )
    return int(pair[0]), int(pair[1])


def _check_sequence_rank(layer: Layer, shape: Sequence[int | None]) -> None:
    if len(shape) != 3:
        raise ValueError(
            f"{layer.describe()} expects inputs of shape (batch, steps, features), received "
            f"input shape {tuple(shape)}."
        )


def _plus(size: int | None, extra: int) -> int | None:
    return None if size is None else size + extra


class ZeroPadding1D(Layer):
    """Adds zero steps at the start and end of the time axis.

    Args:
        padding: Steps to add on both sides, or ``(left, right)``.
        data_format: ``"channels_last"`` (``(batch, steps, features)``, the default) or
            ``"channels_first"`` (``(batch, features, steps)``).

    Example:
        >>> ZeroPadding1D((1, 2))(torch.ones(1, 3, 2)).shape
        torch.Size([1, 6, 2])
    """

    def __init__(
        self, padding: int | tuple[int, int] = 1, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.padding = _pair(self.describe(), "padding", padding)
        self.data_format = check_data_format(self.describe(), data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_sequence_rank(self, input_shape)
        shape = list(input_shape)
        axis = 1 if self.data_format == "channels_last" else 2
        shape[axis] = _plus(shape[axis], sum(self.padding))
        return tuple(shape)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        _check_sequence_rank(self, inputs.shape)
        left, right = self.padding
        if self.data_format == "channels_last":
            return F.pad(inputs, (0, 0, left, right))
        return F.pad(inputs, (left, right))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping1D(Layer):
    """Removes steps from the start and end of the time axis: ``(batch, steps, features)`` ->
    ``(batch, steps - left - right, features)``.

    Args:
        cropping: Steps to remove on both sides, or ``(left, right)``.

    Example:
        >>> Cropping1D((1, 2))(torch.ones(1, 5, 2)).shape
        torch.Size([1, 2, 2])
    """

    def __init__(self, cropping: int | tuple[int, int] = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = _pair(self.describe(), "cropping", cropping)

    def _check_length(self, steps: int | None) -> None:
        if steps is not None and steps <= sum(self.cropping):
            raise ValueError(
                f"{self.describe()} removes {sum(self.cropping)} steps (cropping={self.cropping})"
                f" from inputs of only {steps} steps."
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_sequence_rank(self, input_shape)
        self._check_length(input_shape[1])
        return (input_shape[0], _plus(input_shape[1], -sum(self.cropping)), input_shape[2])

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        _check_sequence_rank(self, inputs.shape)
        self._check_length(inputs.shape[1])
        left, right = self.cropping
        return inputs[:, left : inputs.shape[1] - right]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling1D(Layer):
    """Repeats each step ``size`` times along the time axis: ``(batch, steps, features)`` ->
    ``(batch, steps * size, features)``.

    Args:
        size: How many times each step is repeated.

    Example:
        >>> UpSampling1D(2)(torch.tensor([[[1.0], [2.0]]])).flatten().tolist()
        [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = check_positive_int(self.describe(), "size", size)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_sequence_rank(self, input_shape)
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        _check_sequence_rank(self, inputs.shape)
        return inputs.repeat_interleave(self.size, dim=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}
