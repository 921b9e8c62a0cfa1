"""Preprocessing layers that learn statistics: Normalization (mean and variance with ``adapt``), "
"Rescaling."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.layers.base import Layer, Shape
from kerastorch.utils.tensors import check_finite, to_tensor

__all__ = ["Normalization", "Rescaling"]

# Keras's backend.epsilon(): the smallest standard deviation divided by.
_EPSILON = 1e-7


class Normalization(Layer):
    """Shift and scale inputs to zero mean and unit variance: ``(x - mean) / sqrt(variance)``.

    The mean and variance are either given, or learned from data with :meth:`adapt` before
    training (they are weights that training does not change), as Keras's ``Normalization``:

    Args:
        axis: The axis or axes that keep their own statistics (the last one, features, by
            default); the statistics are taken over all the others. ``None``: one mean and one
            variance for everything.
        mean: A fixed mean (give ``variance`` too), broadcast over the kept axes. Then the layer
            has no weights and ``adapt`` is not needed.
        variance: The fixed variance that goes with ``mean``.
        invert: Undo a normalization instead: ``mean + x * sqrt(variance)`` (e.g. to turn
            predictions back into prices).

    Input shape: any. Output shape: the same. Masks pass through.

    Example:
        >>> normalizer = Normalization()
        >>> normalizer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
        >>> normalizer(torch.tensor([[2.0, 40.0]]))
        tensor([[0., 2.]])
    """

    supports_masking = True

    def __init__(
        self,
        axis: int | Sequence[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        axes = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        if any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise TypeError(
                f"{self.describe()}: expected axis to be an integer, a sequence of integers or "
                f"None, received axis={axis!r}."
            )
        self.axis = axes
        if (mean is None) != (variance is None):
            raise ValueError(
                f"{self.describe()}: give both mean and variance, or neither (then call "
                f"adapt(data)); received mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f"{self.describe()}: mean and variance must have one shape, received "
                    f"{np.shape(mean)} and {np.shape(variance)}."
                )
            if np.ndim(mean) > len(axes):
                raise ValueError(
                    f"{self.describe()}: mean has {np.ndim(mean)} axes but axis={axis!r} keeps "
                    f"{len(axes)}; give one value per kept position, or a scalar."
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)

    # -- shapes and building ---------------------------------------------------------------------

    def _kept_axes(self, input_shape: Shape) -> list[int]:
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(
                f"{self.describe()}: axis={self.axis} is out of range for inputs of shape "
                f"{tuple(input_shape)}."
            )
        return sorted(a % rank for a in self.axis)

    def can_build(self, input_shape: Shape) -> bool:
        rank = len(input_shape)
        return all(-rank <= a < rank and input_shape[a] is not None for a in self.axis)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._kept_axes(input_shape)
        return tuple(input_shape)

    def build(self, input_shape: Shape) -> None:
        kept = self._kept_axes(input_shape)
        unknown = [a for a in kept if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f"{self.describe()} keeps statistics per position on axes {kept}, so their "
                f"sizes must be known; input shape {tuple(input_shape)} leaves axis {unknown[0]} "
                "open."
            )
        self._rank = len(input_shape)
        self._broadcast_shape = [input_shape[d] if d in kept else 1 for d in range(self._rank)]
        self._reduced_axes = [d for d in range(self._rank) if d not in kept]
        shape = tuple(input_shape[d] for d in kept)
        if self.input_mean is None:
            # Keras's weights, in its order; `count` is kept for its layout (Keras leaves it 0).
            self.mean = self.add_weight(
                name="mean", shape=shape, initializer="zeros", trainable=False
            )
            self.variance = self.add_weight(
                name="variance", shape=shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                name="count", shape=(), dtype="int32", initializer="zeros", trainable=False
            )
        else:
            given = [
                torch.as_tensor(np.asarray(v, dtype=np.float32)).expand(shape)
                if np.ndim(v) == 0
                else torch.as_tensor(np.asarray(v, dtype=np.float32))
                for v in (self.input_mean, self.input_variance)
            ]
            # Fixed statistics are configuration, not weights: kept out of the state_dict.
            for name, value in zip(("fixed_mean", "fixed_variance"), given, strict=True):
                self.register_buffer(name, value.reshape(shape).clone(), persistent=False)

    # -- adapt -----------------------------------------------------------------------------------

    def adapt(self, data: Any) -> None:
        """Learn the mean and variance from ``data``: an array, a tensor, or an iterable of
        batches (a list of arrays, a generator, a ``DataLoader``; of ``(x, y)`` pairs, ``x`` is
        used). The layer is built from the data's shape if it is not built yet.

        Example:
            >>> normalizer = Normalization(axis=None)
            >>> normalizer.adapt([np.array([0.0, 2.0]), np.array([4.0])])  # two batches
            >>> float(normalizer.mean), float(normalizer.variance)
            (2.0, 2.6666667461395264)
        """
        if self.input_mean is not None:
            raise ValueError(
                f"{self.describe()} was given its mean and variance; adapt() would replace them. "
                "Create it without mean= and variance= to learn them from data."
            )
        batches = self._batches(data)
        first = next(batches, None)
        if first is None:
            raise ValueError(f"{self.describe()}.adapt() received no data (no batches).")
        if not self.built:
            # Only the kept axes need sizes: other axes (e.g. time) stay open, and a Sequential
            # that starts with this layer takes the shape as its input shape.
            kept = self._kept_axes(first.shape)
            shape = tuple(first.shape[d] if d in kept else None for d in range(len(first.shape)))
            self.build_from_shape(shape)
            if self.declared_input_shape is None:
                self.declared_input_shape = shape
        count, mean, m2 = 0, None, None  # Chan et al.'s parallel update of mean and variance
        for batch in _chain(first, batches):
            batch = self._checked(batch)
            n = math.prod(batch.shape[d] for d in self._reduced_axes)
            if n == 0:
                continue
            if self._reduced_axes:
                batch_mean = batch.mean(dim=self._reduced_axes)
                centered = batch - batch_mean.reshape(self._broadcast_shape)
                batch_m2 = centered.square().sum(dim=self._reduced_axes)
            else:  # every axis kept (torch would read an empty dim list as "all axes")
                batch_mean, batch_m2 = batch, torch.zeros_like(batch)
            if mean is None:
                count, mean, m2 = n, batch_mean, batch_m2
                continue
            total = count + n
            delta = batch_mean - mean
            mean = mean + delta * (n / total)
            m2 = m2 + batch_m2 + delta**2 * (count * n / total)
            count = total
        if mean is None:
            raise ValueError(f"{self.describe()}.adapt() received no samples (empty batches).")
        with torch.no_grad():
            self.mean.copy_(mean.reshape(self.mean.shape))
            self.variance.copy_((m2 / count).reshape(self.variance.shape))

    def _batches(self, data: Any) -> Iterator[torch.Tensor]:
        """The batches of ``data`` as float64 tensors (a nested list of numbers is one batch)."""
        arg = f"{self.describe()}.adapt() data"
        if isinstance(data, (list, tuple)) and not any(hasattr(item, "shape") for item in data):
            data = np.asarray(data) if data else data
        if isinstance(data, (np.ndarray, torch.Tensor)):
            data = [data]
        elif isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
            raise TypeError(
                f"{arg} must be an array, a tensor or an iterable of batches (e.g. a list of "
                f"arrays or a DataLoader), received {type(data).__name__}."
            )
        for batch in data:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch  # (x, y) pairs: x
            yield to_tensor(x, arg).to(torch.float64).cpu()

    def _checked(self, tensor: torch.Tensor) -> torch.Tensor:
        shape = tuple(tensor.shape)
        expected = self.build_input_shape
        if len(shape) != len(expected) or any(
            shape[d] != expected[d] for d in range(len(shape)) if d not in self._reduced_axes
        ):
            raise ValueError(
                f"{self.describe()} was built for inputs of shape {tuple(expected)}; adapt() "
                f"received a batch of shape {shape}."
            )
        check_finite(tensor, f"{self.describe()}.adapt() data")
        return tensor

    # -- computing -------------------------------------------------------------------------------

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        if inputs.dim() != self._rank:
            raise ValueError(
                f"{self.describe()} was built for inputs of rank {self._rank} (shape "
                f"{self.build_input_shape}), received shape {tuple(inputs.shape)}."
            )
        if self.input_mean is None:
            mean, variance = self.mean, self.variance
        else:
            mean, variance = self.fixed_mean, self.fixed_variance
        mean = mean.reshape(self._broadcast_shape)
        std = variance.reshape(self._broadcast_shape).sqrt().clamp(min=_EPSILON)
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    # -- weights and config ----------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": None if self.input_mean is None else np.asarray(self.input_mean).tolist(),
            "variance": (
                None if self.input_variance is None else np.asarray(self.input_variance).tolist()
            ),
        }


class Rescaling(Layer):
    """``x * scale + offset``, as Keras's ``Rescaling`` (e.g. ``scale=1 / 255``).

    Args:
        scale: A number, or values broadcast over the last axes.
        offset: A number, or values broadcast over the last axes.

    Example:
        >>> Rescaling(scale=0.5, offset=1.0)(torch.tensor([[2.0, 4.0]]))
        tensor([[2., 3.]])
    """

    supports_masking = True

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        for arg, value in (("scale", scale), ("offset", offset)):
            values = np.asarray(value)
            if not np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_:
                raise TypeError(
                    f"{self.describe()}: expected {arg} to be a number or numbers, received "
                    f"{arg}={value!r}."
                )
            self.register_buffer(
                f"_{arg}", torch.as_tensor(values, dtype=torch.float32), persistent=False
            )

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return inputs * self._scale + self._offset

    def get_config(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            return np.asarray(value).tolist()

        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}


def _chain(first: Any, rest: Iterable[Any]) -> Iterable[Any]:
    yield first
    yield from rest
