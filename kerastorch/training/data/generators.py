"""Adapters for streams of ready batches: a ``DataLoader``, a Python generator or iterator, or
any other iterable object yielding ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` batches.

The stream's own batching is used as is (``fit``'s ``batch_size`` and ``shuffle`` do not apply,
as in Keras). Batches may differ in length from one to the next: a ragged list of sequences in a
batch is padded with its mask, and a pair ``(x_padded, mask)`` is taken as given (see
``elements.py``).

NOTE [one-shot and re-iterable streams]
    A re-iterable object (a ``DataLoader``, any object whose ``__iter__`` returns a new iterator)
    is iterated afresh every epoch. A generator or iterator can be read only once
    (``one_shot``): without ``steps_per_epoch`` the first epoch reads it to its end and there is
    nothing left for a second one; with ``steps_per_epoch`` each epoch continues where the
    previous one stopped. ``epochs.py`` warns and stops when such a stream runs out.

    The model is built from the first batch before training starts; that batch is kept and is
    the first of the first epoch, so nothing is read twice or lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from torch.utils.data import DataLoader

from kerastorch.training.data.base import Batch, DataAdapter
from kerastorch.training.data.elements import to_batch


class StreamData(DataAdapter):
    """Base of adapters that pull batches from an iterator (see NOTE [one-shot and re-iterable
    streams]): subclasses define ``_fresh(batch_size)``, one pass of converted batches."""

    targets_in_data = True
    varying_shapes = True

    def __init__(self) -> None:
        self.class_weight: dict[int, float] | None = None
        self._pending: tuple[Batch, Iterator[Batch]] | None = None

    def set_class_weight(self, class_weight: dict[int, float]) -> None:
        self.class_weight = class_weight

    def _fresh(self, batch_size: int) -> Iterator[Batch]:
        raise NotImplementedError

    def batches(self, batch_size: int, shuffle: bool, keep_order: bool = False) -> Iterator[Batch]:
        if self._pending is not None:  # resume after the batch the model was built from
            first, rest = self._pending
            self._pending = None
            yield first
            yield from rest
            return
        yield from self._fresh(batch_size)

    def first_batch(self, batch_size: int) -> Batch:
        if self._pending is None:
            rest = self._fresh(batch_size)
            first = next(rest, None)
            if first is None:
                raise ValueError(
                    f"x ({self.description}) yielded no batches; it must yield at least one."
                )
            self._pending = (first, rest)
        return self._pending[0]

    def indexed_batches(
        self, batch_size: int, keep_order: bool = False
    ) -> Iterator[tuple[slice, Batch]]:
        """Batches in stream order, with the positions of their samples in the output."""
        start = 0
        for batch in self.batches(batch_size, shuffle=False):
            yield slice(start, start + len(batch.x)), batch
            start += len(batch.x)


class BatchStreamData(StreamData):
    """Ready batches from a ``DataLoader``, a generator / iterator, or an iterable object.

    Example:
        >>> import numpy as np
        >>> def batches():
        ...     for n in (3, 5):
        ...         yield np.zeros((2, n, 1)), np.zeros((2, 1))
        >>> data = BatchStreamData(batches())
        >>> [tuple(batch.x.shape) for batch in data.batches(32, shuffle=False)]
        [(2, 3, 1), (2, 5, 1)]
    """

    def __init__(self, source: Iterable[Any]) -> None:
        super().__init__()
        self.source = source
        self.one_shot = hasattr(source, "__next__")
        if isinstance(source, DataLoader):
            self.description = "a torch DataLoader"
        elif self.one_shot:
            self.description = f"a {type(source).__name__}"  # "a generator", "a list_iterator"
        else:
            self.description = f"an iterable {type(source).__name__}"

    @property
    def input_type(self) -> type:
        return type(self.source)

    def num_batches(self, batch_size: int) -> int | None:
        if isinstance(self.source, DataLoader):
            try:
                return len(self.source)
            except TypeError:  # an IterableDataset without __len__
                return None
        return None

    def _fresh(self, batch_size: int) -> Iterator[Batch]:
        for element in self.source if self.one_shot else iter(self.source):
            yield to_batch(element, self.description, class_weight=self.class_weight)
