"""Adapter for in-memory arrays: numpy arrays, tensors and nested lists of one shape."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch

from kerastorch.training.data.base import Batch, check_finite, to_tensor


def split_point(n: int, validation_split: float) -> int:
    """Where Keras splits ``n`` samples: ``floor(n * (1 - validation_split))``."""
    if not isinstance(validation_split, (int, float)) or not 0.0 <= validation_split < 1.0:
        raise ValueError(
            f"Expected 0 <= validation_split < 1, received validation_split={validation_split!r}."
        )
    cut = math.floor(n * (1.0 - validation_split))
    if cut == 0 or cut == n:
        raise ValueError(
            f"validation_split={validation_split} of {n} samples leaves "
            f"{'no training' if cut == 0 else 'no validation'} samples; use more samples or "
            "another fraction."
        )
    return cut


class ArrayData:
    """In-memory arrays of ``N`` samples: ``x``, optional ``y`` and ``sample_weight``.

    Example:
        >>> data = ArrayData(np.zeros((50, 3)), np.zeros((50, 1)))
        >>> [len(x) for x, y, w in data.batches(32, shuffle=False)]
        [32, 18]
    """

    def __init__(
        self, x: Any, y: Any = None, sample_weight: Any = None, *, check: bool = True
    ) -> None:
        self.x = to_tensor(x, "x")
        self.y = None if y is None else to_tensor(y, "y")
        self.sample_weight = (
            None if sample_weight is None else to_tensor(sample_weight, "sample_weight").float()
        )
        n = len(self.x)
        for arg, value in (("y", self.y), ("sample_weight", self.sample_weight)):
            if value is not None and len(value) != n:
                raise ValueError(
                    f"x and {arg} must have the same number of samples, received x with {n} "
                    f"samples (shape {tuple(self.x.shape)}) and {arg} with {len(value)} samples "
                    f"(shape {tuple(value.shape)})."
                )
        if n == 0:
            raise ValueError("x has no samples (its first axis has length 0).")
        if check:
            check_finite(self.x, "x")
            if self.y is not None:
                check_finite(self.y, "y")

    def __len__(self) -> int:
        return len(self.x)

    def split(self, validation_split: float) -> tuple[ArrayData, ArrayData]:
        """Keras's split: the *last* ``validation_split`` fraction, before any shuffling."""
        cut = split_point(len(self), validation_split)
        return self._take(slice(0, cut)), self._take(slice(cut, len(self)))

    def _take(self, index: slice) -> ArrayData:
        part = ArrayData.__new__(ArrayData)
        part.x = self.x[index]
        part.y = None if self.y is None else self.y[index]
        part.sample_weight = None if self.sample_weight is None else self.sample_weight[index]
        return part

    def num_batches(self, batch_size: int) -> int:
        return math.ceil(len(self) / batch_size)

    def indexed_batches(self, batch_size: int) -> Iterator[tuple[slice, Batch]]:
        """Batches in input order, with the samples each holds (views, no copies)."""
        tensors = (self.x, self.y, self.sample_weight)
        for start in range(0, len(self), batch_size):
            index = slice(start, start + batch_size)
            yield index, Batch(*(None if t is None else t[index] for t in tensors))

    def batches(self, batch_size: int, shuffle: bool, keep_order: bool = False) -> Iterator[Batch]:
        """One epoch of batches; the last partial batch is kept, as in Keras. ``keep_order`` is
        for ragged data; arrays always come in input order unless shuffled."""
        if not shuffle:
            for _, batch in self.indexed_batches(batch_size):
                yield batch
            return
        order = torch.randperm(len(self))
        tensors = (self.x, self.y, self.sample_weight)
        for index in order.split(batch_size):
            yield Batch(*(None if t is None else t.index_select(0, index) for t in tensors))
