"""Inputs whose samples can be fetched by index (arrays, ragged sequences, map-style datasets),
and the adapter that serves them in batches.

An :class:`IndexedData` says what sample ``i`` is (``batch(index)`` gathers many at once); an
:class:`IndexedAdapter` says which samples make each batch of a pass (``batch_indices``): in
input order, shuffled, or grouped by length. Multi-process training cuts the same global
batches into parts (``sharding.py``).

NOTE [length buckets]
    Ragged sequences, and padded arrays masked by the model (NOTE [padded arrays] in
    ``padded.py``), have ``lengths``; they may be grouped by length when the order does not
    matter (``by_length``), so that little compute is spent on padding. Shuffled, they are
    shuffled, sorted by length within pools of ``BUCKET_POOL_BATCHES`` batches, cut into
    batches, and the batches shuffled: batches of similar lengths in a fresh random order every
    epoch. Not shuffled (``predict``, whose results do not depend on the order), they are sorted
    by length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch

from kerastorch.training.data.base import (
    Batch,
    DataAdapter,
    InputData,
    class_weights_to_sample_weights,
)

# Shuffled sequences are sorted by length within pools of this many batches (NOTE [length
# buckets]).
BUCKET_POOL_BATCHES = 50

Index = slice | torch.Tensor


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


class IndexedData(InputData):
    """An input of ``len(data)`` samples fetched by index: ``batch(index)`` gathers the samples
    ``index`` (a ``slice`` or an index tensor) as one :class:`Batch`.

    Subclasses with their own sample weights (arrays, ragged sequences) define ``class_labels``
    and ``with_sample_weight``, and so get Keras's ``class_weight`` from :meth:`with_class_weight`.

    Attributes:
        sample_weight: The per-sample (or per-step) weights given with the input, if any.
    """

    sample_weight: Any = None

    @property
    def lengths(self) -> torch.Tensor | None:
        """The length of every sample, for ragged sequences (NOTE [length buckets]); None for
        samples of one shape."""
        return None

    def __len__(self) -> int:
        raise NotImplementedError

    def num_samples(self) -> int | None:
        return len(self)

    def batch(self, index: Index) -> Batch:
        raise NotImplementedError

    def first_samples(self, count: int) -> Batch:
        """The first ``count`` samples as given (never cut to their valid steps: NOTE [padded
        arrays] in ``padded.py``): the model is built from their shape."""
        return self.batch(slice(0, count))

    def pin_memory(self) -> None:
        """Page-lock in-memory tensors (arrays only; see ``ArrayData.pin_memory``)."""

    def with_class_weight(self, class_weight: dict[int, float]) -> IndexedData:
        """This input with Keras's ``class_weight``: each sample weighs as much as its class
        (never together with ``sample_weight``, as in Keras)."""
        if self.sample_weight is not None:
            raise ValueError(
                "You cannot `class_weight` and `sample_weight` at the same time. Pass one of "
                "them: fold the class weights into sample_weight if you need both."
            )
        weights = class_weights_to_sample_weights(self.class_labels(), class_weight)
        return self.with_sample_weight(weights)

    def class_labels(self) -> torch.Tensor:
        """One class label (or one-hot row) per sample, for ``class_weight``."""
        raise NotImplementedError

    def with_sample_weight(self, sample_weight: torch.Tensor) -> IndexedData:
        """The same samples with these per-sample weights (the data itself is shared)."""
        raise NotImplementedError


class IndexedAdapter(DataAdapter):
    """Batches of an :class:`IndexedData`: ``batch_size`` samples each, the last batch partial
    (as in Keras).

    Args:
        data: The samples.
        batch_size: Samples per batch.
        shuffle: A new random order every pass.
        by_length: Group sequences of similar lengths (NOTE [length buckets]); only for data
            with ``lengths``.
        seed: Shuffle with a generator of this seed, the same order sequence in every run;
            None: torch's global random generator (or the generator passed to
            :meth:`batch_indices`).

    Example:
        >>> from kerastorch.training.data.arrays import ArrayData
        >>> data = IndexedAdapter(ArrayData(torch.zeros(50, 3)), batch_size=32)
        >>> [len(batch.x) for batch in data.batches()]
        [32, 18]
    """

    def __init__(
        self,
        data: IndexedData,
        *,
        batch_size: int,
        shuffle: bool = False,
        by_length: bool = False,
        seed: int | None = None,
    ) -> None:
        if by_length and data.lengths is None:
            raise ValueError(
                f"by_length=True groups sequences by length, but {data.description} has samples "
                "of one shape (no lengths)."
            )
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.by_length = by_length
        self.generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.description = data.description

    def __len__(self) -> int:
        return len(self.data)

    def num_batches(self) -> int:
        return math.ceil(len(self.data) / self.batch_size)

    def pin_memory(self) -> None:
        self.data.pin_memory()

    def batch_indices(self, generator: torch.Generator | None = None) -> list[Index]:
        """The samples of each batch of one pass: slices in input order, else index tensors.

        ``generator`` shuffles when the adapter has no seed of its own (multi-process training
        passes one seeded the same on every process: NOTE [sharding]).
        """
        return self._indices(self.shuffle, self.generator or generator)

    def fixed_batch_indices(self) -> list[Index]:
        """The batches of :meth:`indexed_batches`: one pass never shuffled (``predict``'s)."""
        return self._indices(False, None)

    def _indices(self, shuffle: bool, generator: torch.Generator | None) -> list[Index]:
        n = len(self.data)
        if self.by_length:
            return _length_buckets(self.data.lengths, self.batch_size, shuffle, generator)
        if shuffle:
            return list(torch.randperm(n, generator=generator).split(self.batch_size))
        size = self.batch_size
        return [slice(start, min(start + size, n)) for start in range(0, n, size)]

    def batches(self) -> Iterator[Batch]:
        for index in self.batch_indices():
            yield self.data.batch(index)

    def indexed_batches(self) -> Iterator[tuple[Index, Batch]]:
        for index in self.fixed_batch_indices():
            yield index, self.data.batch(index)

    def first_batch(self) -> Batch:
        """The first ``batch_size`` samples in input order (never cut to their valid steps)."""
        return self.data.first_samples(min(self.batch_size, len(self.data)))


def _length_buckets(
    lengths: torch.Tensor, batch_size: int, shuffle: bool, generator: torch.Generator | None
) -> list[Index]:
    """Batches of sequences of similar lengths (NOTE [length buckets])."""
    if not shuffle:
        return list(torch.argsort(lengths, stable=True).split(batch_size))
    order = torch.randperm(len(lengths), generator=generator)
    pool = batch_size * BUCKET_POOL_BATCHES
    batches: list[torch.Tensor] = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[torch.argsort(lengths[chunk], stable=True)]
        batches.extend(chunk.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def index_tensor(index: Index) -> torch.Tensor:
    """An index as a tensor of sample positions (a slice from :meth:`IndexedAdapter.batch_indices`,
    whose bounds lie inside the data).

    Example:
        >>> index_tensor(slice(2, 5))
        tensor([2, 3, 4])
    """
    if isinstance(index, slice):
        return torch.arange(index.start, index.stop)
    return index
