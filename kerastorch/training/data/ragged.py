"""Adapter for ragged data: a list of sequences of different lengths.

The sequences are stored once, concatenated (``values``, with ``offsets`` and ``lengths``); a
batch is padded only to its own longest sequence, with one vectorized gather, and comes with its
``(batch, timesteps)`` mask. Sequences are right-padded, the layout the recurrent layers run
fastest (NOTE [masked execution] in ``layers/recurrent.py``).

When the order does not matter, batches are bucketed: sequences of similar length go together, so
little compute is spent on padding (NOTE [length buckets] in ``indexed.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.training.data.base import Batch, check_finite, to_tensor
from kerastorch.training.data.indexed import IndexedData, split_point


def is_ragged(x: Any) -> bool:
    """A list or tuple of sequences whose lengths differ."""
    if not isinstance(x, (list, tuple)) or len(x) == 0:
        return False
    if not all(isinstance(item, (list, tuple, np.ndarray, torch.Tensor)) for item in x):
        return False
    return len({len(item) for item in x}) > 1


class RaggedStore:
    """Sequences of one kind (inputs, or per-step targets) stored concatenated."""

    def __init__(self, sequences: Sequence[Any], arg: str) -> None:
        items = [to_tensor(item, f"{arg}[{i}]") for i, item in enumerate(sequences)]
        first = items[0]
        for i, item in enumerate(items):
            if item.dim() != first.dim() or item.shape[1:] != first.shape[1:]:
                raise ValueError(
                    f"{arg}[{i}] has shape {tuple(item.shape)} but {arg}[0] has shape "
                    f"{tuple(first.shape)}: every sequence must be (timesteps, *features) with the "
                    "same features; only the number of timesteps may differ."
                )
        if first.dim() == 0:
            raise ValueError(f"{arg}[0] is a scalar; each item of a ragged {arg} is a sequence.")
        dtype = torch.float32 if any(t.is_floating_point() for t in items) else first.dtype
        self.lengths = torch.tensor([len(t) for t in items], dtype=torch.long)
        self.offsets = torch.cumsum(self.lengths, 0) - self.lengths
        padding_row = torch.zeros((1, *first.shape[1:]), dtype=dtype)
        self.values = torch.cat([*(t.to(dtype) for t in items), padding_row])
        check_finite(self.values, arg)

    @classmethod
    def from_padded(cls, padded: torch.Tensor, lengths: torch.Tensor, arg: str) -> RaggedStore:
        """Per-step values given padded ``(N, T_max, ...)`` for sequences of ``lengths``: each
        row keeps its first ``lengths[i]`` steps, so its padding is never a target or a weight.
        """
        steps = padded.shape[1]
        longer = torch.nonzero(lengths > steps).flatten()
        if len(longer):
            i = int(longer[0])
            raise ValueError(
                f"{arg} has {steps} timesteps (shape {tuple(padded.shape)}), but x[{i}] has "
                f"{int(lengths[i])}: padded per-step {arg} needs a value for every step of every "
                "sequence of x."
            )
        store = cls.__new__(cls)
        store.lengths = lengths.clone()
        store.offsets = torch.cumsum(lengths, 0) - lengths
        real = torch.arange(steps) < lengths[:, None]
        store.values = torch.cat([padded[real], padded.new_zeros((1, *padded.shape[2:]))])
        return store

    def check_lengths(self, lengths: torch.Tensor, arg: str) -> None:
        """Per-step targets or weights must have one value per step of the matching sequence of
        x: checked once, up front (a shifted or swapped list would train without complaint)."""
        wrong = torch.nonzero(self.lengths != lengths).flatten()
        if len(wrong):
            i = int(wrong[0])
            raise ValueError(
                f"{arg}[{i}] has {int(self.lengths[i])} timesteps but x[{i}] has "
                f"{int(lengths[i])} ({len(wrong)} of the {len(lengths)} sequences differ): "
                f"per-step {arg} needs one value per step of its sequence of x, in the same "
                "order."
            )

    def __len__(self) -> int:
        return len(self.lengths)

    def gather(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sequences ``index`` as a right-padded batch ``(B, T_max, ...)`` and its mask."""
        lengths = self.lengths[index]
        steps = torch.arange(int(lengths.max()) if len(lengths) else 0)
        mask = steps < lengths[:, None]
        flat = torch.where(mask, self.offsets[index][:, None] + steps, len(self.values) - 1)
        # index_select on the flattened index is faster than advanced indexing with a 2-D index.
        rows = self.values.index_select(0, flat.reshape(-1))
        return rows.reshape(*flat.shape, *self.values.shape[1:]), mask

    def take(self, index: slice) -> RaggedStore:
        part = RaggedStore.__new__(RaggedStore)
        part.lengths = self.lengths[index]
        start = int(self.offsets[index][0]) if len(part.lengths) else 0
        part.offsets = self.offsets[index] - start
        end = start + int(part.lengths.sum())
        part.values = torch.cat([self.values[start:end], self.values[-1:]])
        return part


Column = RaggedStore | torch.Tensor


def pad_batch(sequences: Sequence[Any], arg: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch of sequences of different lengths, right-padded with zeros, and its mask.

    Example:
        >>> x, mask = pad_batch([[1, 2, 3], [4]], "x")
        >>> x.tolist(), mask.tolist()
        ([[1, 2, 3], [4, 0, 0]], [[True, True, True], [True, False, False]])
    """
    store = RaggedStore(sequences, arg)
    return store.gather(torch.arange(len(store)))


class RaggedData(IndexedData):
    """A list of ``N`` sequences (``(T_i, features)`` arrays, or token-id lists), with targets
    that are either one array of ``N`` rows, another list of sequences, or per-step targets
    padded to ``(N, T_max, k)``. ``sample_weight`` is one weight per sequence ``(N,)``, or
    per-step weights: a list, or padded ``(N, T_max)`` (padded steps weigh 0). Per-step targets
    and weights must have the lengths of x's sequences; padded ones keep each sequence's first
    ``T_i`` steps, so their padding never counts.

    Example:
        >>> data = RaggedData([np.ones((3, 2)), np.ones((5, 2))], np.zeros((2, 1)))
        >>> batch = data.batch(torch.arange(2))
        >>> tuple(batch.x.shape), batch.mask.sum(1).tolist()
        ((2, 5, 2), [3, 5])
    """

    def __init__(self, x: Sequence[Any], y: Any = None, sample_weight: Any = None) -> None:
        self.x = RaggedStore(x, "x")
        n = len(self.x)
        self.y: RaggedStore | torch.Tensor | None
        if y is None:
            self.y = None
        elif is_ragged(y):
            self.y = RaggedStore(y, "y")
        else:
            self.y = to_tensor(y, "y")
            check_finite(self.y, "y")
        self.sample_weight: RaggedStore | torch.Tensor | None
        if sample_weight is None:
            self.sample_weight = None
        elif is_ragged(sample_weight):
            self.sample_weight = RaggedStore(sample_weight, "sample_weight")
            self.sample_weight.values = self.sample_weight.values.float()
        else:
            self.sample_weight = to_tensor(sample_weight, "sample_weight").float()
            check_finite(self.sample_weight, "sample_weight")
        for arg, value in (("y", self.y), ("sample_weight", self.sample_weight)):
            if value is not None and len(value) != n:
                raise ValueError(
                    f"x and {arg} must have the same number of samples, received {n} sequences "
                    f"in x and {len(value)} in {arg}."
                )
        # Padded per-step values: (N, T_max, k) targets, (N, T_max) weights ((N, 1) is one
        # weight per sequence).
        if isinstance(self.y, torch.Tensor) and self.y.dim() >= 3:
            self.y = RaggedStore.from_padded(self.y, self.x.lengths, "y")
        weights = self.sample_weight
        if isinstance(weights, torch.Tensor) and weights.dim() == 2 and weights.shape[1] != 1:
            self.sample_weight = RaggedStore.from_padded(
                self.sample_weight, self.x.lengths, "sample_weight"
            )
        for arg, value in (("y", self.y), ("sample_weight", self.sample_weight)):
            if isinstance(value, RaggedStore):
                value.check_lengths(self.x.lengths, arg)

    @classmethod
    def _of_stores(
        cls, x: RaggedStore, y: Column | None, sample_weight: Column | None
    ) -> RaggedData:
        """Stores already converted and checked (parts of another RaggedData)."""
        data = cls.__new__(cls)
        data.x, data.y, data.sample_weight = x, y, sample_weight
        return data

    def __len__(self) -> int:
        return len(self.x)

    @property
    def has_targets(self) -> bool:
        return self.y is not None

    @property
    def lengths(self) -> torch.Tensor:
        return self.x.lengths

    def class_labels(self) -> torch.Tensor:
        if not isinstance(self.y, torch.Tensor):
            raise ValueError(
                "class_weight needs one class label per sequence; y is "
                f"{'missing' if self.y is None else 'a list of per-step targets'}. Use "
                "sample_weight (a list of per-step weights) instead."
            )
        return self.y

    def with_sample_weight(self, sample_weight: torch.Tensor) -> RaggedData:
        return RaggedData._of_stores(self.x, self.y, sample_weight)

    def split(self, validation_split: float) -> tuple[RaggedData, RaggedData]:
        """Keras's split: the *last* ``validation_split`` fraction, before any shuffling."""
        cut = split_point(len(self), validation_split)
        return self._take(slice(0, cut)), self._take(slice(cut, len(self)))

    def _take(self, index: slice) -> RaggedData:
        return RaggedData._of_stores(
            self.x.take(index), _take(self.y, index), _take(self.sample_weight, index)
        )

    def batch(self, index: slice | torch.Tensor) -> Batch:
        x, mask = self.x.gather(index)
        if isinstance(self.y, RaggedStore):
            y, _ = self.y.gather(index)
        else:
            y = None if self.y is None else self.y[index]
        if isinstance(self.sample_weight, RaggedStore):
            sample_weight, _ = self.sample_weight.gather(index)
        else:
            sample_weight = None if self.sample_weight is None else self.sample_weight[index]
        return Batch(x, y, sample_weight, mask)


def _take(column: Column | None, index: slice) -> Column | None:
    if column is None:
        return None
    return column.take(index) if isinstance(column, RaggedStore) else column[index]
