"""Inputs read as streams, and their adapter: ready batches from a ``DataLoader``, a Python
generator or iterator, or any other iterable object yielding ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)`` batches (and, in ``torch_data.py``, an ``IterableDataset`` of samples).

A stream's own batching is used as is (``fit``'s ``batch_size`` and ``shuffle`` do not apply,
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

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import Any

from torch.utils.data import DataLoader

from kerastorch.training.data.base import Batch, DataAdapter, InputData
from kerastorch.training.data.elements import collate, to_batch
from kerastorch.training.data.structured import SINGLE, Signature


class StreamData(InputData):
    """An input read as a stream (see NOTE [one-shot and re-iterable streams]): ``items()`` is
    one pass over it, of ready batches or, with ``yields_samples``, of single samples that the
    adapter groups into batches.

    Attributes:
        source: The user's object (a DataLoader, a generator, an IterableDataset...).
        one_shot: It can be read only once (a generator or iterator).
        infinite: It never ends (a repeated dataset).
        yields_samples: Its items are samples, batched with ``fit``'s ``batch_size``.
        signature: The model's, to read dicts and lists of several inputs or outputs.
    """

    one_shot = False
    infinite = False
    yields_samples = False

    def __init__(self, source: Any, signature: Signature = SINGLE) -> None:
        self.source = source
        self.signature = signature

    @property
    def input_type(self) -> type:
        return type(self.source)

    def items(self) -> Iterator[Any]:
        """One pass: a fresh iterator of a re-iterable source, the rest of a one-shot one."""
        return self.source if self.one_shot else iter(self.source)

    def num_items(self) -> int | None:
        """Items per pass, when the source knows (``len``)."""
        return None


class BatchStreamData(StreamData):
    """Ready batches from a ``DataLoader``, a generator / iterator, or an iterable object.

    Example:
        >>> import numpy as np
        >>> def batches():
        ...     for n in (3, 5):
        ...         yield np.zeros((2, n, 1)), np.zeros((2, 1))
        >>> data = StreamAdapter(BatchStreamData(batches()))
        >>> [tuple(batch.x.shape) for batch in data.batches()]
        [(2, 3, 1), (2, 5, 1)]
    """

    def __init__(self, source: Iterable[Any], signature: Signature = SINGLE) -> None:
        super().__init__(source, signature)
        self.one_shot = hasattr(source, "__next__")
        if isinstance(source, DataLoader):
            self.description = "a torch DataLoader"
        elif self.one_shot:
            self.description = f"a {type(source).__name__}"  # "a generator", "a list_iterator"
        else:
            self.description = f"an iterable {type(source).__name__}"

    def num_items(self) -> int | None:
        if isinstance(self.source, DataLoader):
            try:
                return len(self.source)
            except TypeError:  # an IterableDataset without __len__
                return None
        return None


class StreamAdapter(DataAdapter):
    """Batches of a :class:`StreamData`: its own batches, or its samples grouped ``batch_size``
    at a time (``yields_samples``), in its own order.

    Args:
        stream: The input.
        batch_size: Samples per batch, for a stream of samples only (a stream of batches keeps
            its own).
        class_weight: Keras's ``class_weight``, applied to each batch that has no weights.
    """

    varying_shapes = True

    def __init__(
        self,
        stream: StreamData,
        *,
        batch_size: int | None = None,
        class_weight: dict[int, float] | None = None,
    ) -> None:
        if stream.yields_samples != (batch_size is not None):
            raise ValueError(
                f"{stream.description} yields "
                f"{'samples, which need' if stream.yields_samples else 'batches, which take no'} "
                f"batch_size; received batch_size={batch_size!r}."
            )
        self.stream = stream
        self.batch_size = batch_size
        self.class_weight = class_weight
        self.one_shot = stream.one_shot
        self.infinite = stream.infinite
        self.description = stream.description
        self._pending: tuple[Batch, Iterator[Batch]] | None = None

    def num_batches(self) -> int | None:
        count = self.stream.num_items()
        if count is None or self.batch_size is None:
            return count
        return math.ceil(count / self.batch_size)

    def _fresh(self) -> Iterator[Batch]:
        items, source = self.stream.items(), self.description
        options = {"class_weight": self.class_weight, "signature": self.stream.signature}
        if self.batch_size is None:
            for element in items:
                yield to_batch(element, source, **options)
            return
        while chunk := list(itertools.islice(items, self.batch_size)):
            yield to_batch(collate(chunk, source), source, **options)

    def batches(self) -> Iterator[Batch]:
        if self._pending is not None:  # resume after the batch the model was built from
            first, rest = self._pending
            self._pending = None
            yield first
            yield from rest
            return
        yield from self._fresh()

    def first_batch(self) -> Batch:
        if self._pending is None:
            rest = self._fresh()
            first = next(rest, None)
            if first is None:
                raise ValueError(
                    f"x ({self.description}) yielded no batches; it must yield at least one."
                )
            self._pending = (first, rest)
        return self._pending[0]

    def indexed_batches(self) -> Iterator[tuple[slice, Batch]]:
        """Batches in stream order, with the positions of their samples in the output."""
        start = 0
        for batch in self.batches():
            yield slice(start, start + len(batch.x)), batch
            start += len(batch.x)
