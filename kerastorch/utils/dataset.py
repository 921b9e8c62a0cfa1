"""Datasets that say how ``fit`` serves them, as Keras's batched datasets do.

This module is at the bottom of the package (it imports only torch): utilities such as
``timeseries_dataset_from_array`` make these datasets, and the data adapters of
``kerastorch.training.data`` serve them.
"""

from __future__ import annotations

from typing import Any

from torch.utils.data import Dataset

__all__ = ["BatchedDataset"]


class BatchedDataset(Dataset):
    """A map-style ``Dataset`` of samples that says how ``fit`` serves it, as Keras's batched
    datasets do (``timeseries_dataset_from_array``'s :class:`~kerastorch.utils.TimeseriesWindows`).

    ``fit`` / ``evaluate`` take batches of its ``batch_size`` (``fit``'s applies only when it is
    None), shuffled or not by its ``shuffle`` with its ``seed`` (``fit``'s ``shuffle`` does not
    apply); ``predict`` takes them in order. A batch is one ``__getitems__(indices)`` call, which
    receives an index tensor and returns a ready batch element, ``x`` or ``(x, y)`` (NOTE
    [vectorized gathers]).

    Attributes:
        batch_size: Samples per batch, or None for ``fit``'s.
        shuffle: Serve the samples in a new random order every pass.
        seed: The seed of that order (None: torch's global random generator).
    """

    batch_size: int | None = None
    shuffle: bool = False
    seed: int | None = None

    def __getitems__(self, indices: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitems__.")
