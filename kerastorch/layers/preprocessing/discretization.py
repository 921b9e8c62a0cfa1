"""``Discretization``: numbers into bins, by given boundaries or quantiles learned with "
"``adapt``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.preprocessing.encoding import (
    ENCODINGS,
    adapt_batches,
    check_choice,
    encode_categorical,
)

__all__ = ["Discretization"]


class Discretization(Layer):
    """Bucket numbers into bins, as Keras's ``Discretization``.

    The bin of ``x`` is ``i`` for ``bin_boundaries[i - 1] <= x < bin_boundaries[i]`` (0 below
    the first boundary, ``len(bin_boundaries)`` from the last one on).

    Args:
        bin_boundaries: Sorted boundaries; or give ``num_bins`` and call :meth:`adapt`.
        num_bins: The number of bins ``adapt`` makes from the data's quantiles.
        epsilon: The error tolerance of ``adapt``'s quantile summary (Keras's algorithm, so the
            boundaries are Keras's).
        output_mode: ``"int"`` (default): the bin indices (int64); ``"one_hot"``, ``"multi_hot"``
            or ``"count"`` encode them over ``len(bin_boundaries) + 1`` slots (float32).
        sparse: Keras's TensorFlow-only sparse output; must stay False (outputs are dense).

    Example:
        >>> layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(torch.tensor([[-1.5, 1.0, 3.4, 0.5]]))
        tensor([[0, 2, 3, 1]])
        >>> layer = Discretization(num_bins=4, epsilon=0.01)
        >>> layer.adapt(np.arange(8.0))
        >>> layer.bin_boundaries
        [1.0, 3.0, 5.0]
    """

    def __init__(
        self,
        bin_boundaries: Any = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("dtype", None)  # Keras's config carries the layer's dtype policy
        super().__init__(**kwargs)
        where = self.describe()
        self.output_mode = check_choice(where, "output_mode", output_mode, ENCODINGS)
        if sparse:
            raise ValueError(
                f"{where}: sparse=True needs TensorFlow's sparse tensors; use sparse=False."
            )
        self.sparse = False
        if num_bins is not None and (
            isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 0
        ):
            raise ValueError(
                f"{where}: expected num_bins to be an integer >= 0, received num_bins={num_bins!r}."
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"{where}: give bin_boundaries or num_bins (then call adapt), not both; received "
                f"bin_boundaries={bin_boundaries!r} and num_bins={num_bins!r}."
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                f"{where}: give bin_boundaries=[...], or num_bins=N and call adapt(data)."
            )
        if bin_boundaries is not None:
            bin_boundaries = [
                float(b) for b in np.asarray(bin_boundaries, dtype=np.float64).reshape(-1)
            ]
            if any(b > a for a, b in zip(bin_boundaries[1:], bin_boundaries[:-1], strict=True)):
                raise ValueError(
                    f"{where}: bin_boundaries must be sorted, received {bin_boundaries}."
                )
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self._summary = np.zeros((2, 0), dtype=np.float32)

    # -- adapt: Keras's quantile summary, step for step -----------------------------------------

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn ``num_bins - 1`` boundaries from the quantiles of ``data`` (an array, a list
        of batches, a generator or a DataLoader), with Keras's summary algorithm."""
        if self.num_bins is None:
            raise ValueError(
                f"{self.describe()} was given bin_boundaries; adapt() learns them only for a layer "
                "made with num_bins=N."
            )
        summary = np.zeros((2, 0), dtype=np.float32)
        for batch in adapt_batches(data, steps, f"{self.describe()}.adapt()"):
            values = batch.detach().cpu().numpy() if torch.is_tensor(batch) else np.asarray(batch)
            summary = _merge_summaries(
                _summarize(values.astype("float32"), self.epsilon), summary, self.epsilon
            )
        if summary.shape[1] == 0:
            raise ValueError(f"{self.describe()}.adapt() received no data.")
        self._summary = summary
        self.bin_boundaries = _compress_summary(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    # -- computing -------------------------------------------------------------------------------

    def _depth(self) -> int | None:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        depth = self._depth()
        if self.output_mode == "int":
            return input_shape
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        if len(input_shape) >= 2:
            return (input_shape[0], *input_shape[2:], depth)
        return (depth,)

    def compute_output_dtype(self, input_dtype: str) -> str:
        return "int64" if self.output_mode == "int" else "float32"

    def forward(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        if self.bin_boundaries is None:
            raise ValueError(
                f"{self.describe()} has no bin boundaries yet: call adapt(data) first (it was made "
                "with num_bins), or make it with bin_boundaries=[...]."
            )
        inputs = torch.as_tensor(inputs)
        # In float32, as Keras compares (its inputs and boundaries are floatx).
        boundaries = torch.tensor(self.bin_boundaries, dtype=torch.float32, device=inputs.device)
        indices = torch.bucketize(inputs.to(torch.float32), boundaries, right=True)
        return encode_categorical(indices, self.output_mode, self._depth())

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")  # adapted: keep num_bins and the result
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)


# Keras's summary (keras/src/layers/preprocessing/discretization.py): sorted values sampled at
# steps of len/(1/epsilon), each weighted by the step; merges re-interpolate cumulative weights.


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1) :: int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary: np.ndarray, epsilon: float) -> np.ndarray:
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")
