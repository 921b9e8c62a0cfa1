"""Adapters for torch datasets: a map-style ``Dataset`` and an ``IterableDataset`` of samples.

A dataset holds *samples*; ``fit`` batches them with its ``batch_size`` (32 by default) and, for
a map-style dataset, shuffles them every epoch when ``shuffle=True`` (a ``DataLoader`` keeps its
own batching: see ``generators.py``).

NOTE [vectorized gathers]
    A batch of a map-style dataset is fetched with one call when the dataset allows it, never with
    one ``__getitem__`` per sample: a ``TensorDataset`` is indexed with the batch's index tensor,
    a ``Subset`` maps the indices onto its parent's fast path, and a dataset with
    ``__getitems__`` (``TimeseriesWindows``, torch's ``StackDataset``...) gets all the indices at
    once. ``__getitems__`` returns either a ready batch (a tuple ``(x, y)`` or a tensor, as
    ``TimeseriesWindows`` does) or, following torch's convention, a *list* of samples, which is
    collated. Other datasets are read sample by sample.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import Dataset, IterableDataset, Subset, TensorDataset

from kerastorch.training.data.base import Batch, DataAdapter
from kerastorch.training.data.elements import collate, to_batch
from kerastorch.training.data.generators import StreamData
from kerastorch.utils.timeseries import TimeseriesWindows

Gather = Callable[[torch.Tensor], Any]


def vectorized_gather(dataset: Dataset) -> Gather | None:
    """A function ``indices -> ready batch element`` for datasets that allow one call per batch
    (NOTE [vectorized gathers]); None otherwise."""
    if isinstance(dataset, TensorDataset):
        tensors = dataset.tensors
        return lambda index: tuple(t[index.to(t.device)] for t in tensors)
    if isinstance(dataset, TimeseriesWindows):
        return dataset.__getitems__
    if isinstance(dataset, Subset):
        inner = vectorized_gather(dataset.dataset)
        if inner is not None:
            mapping = torch.as_tensor(dataset.indices, dtype=torch.long)
            return lambda index: inner(mapping[index])
    return None


def _sample_count(dataset: Any) -> int:
    try:
        return len(dataset)
    except TypeError:
        raise TypeError(
            f"x is a map-style torch Dataset ({type(dataset).__name__}) without __len__, so "
            "fit cannot know which indices exist. Define __len__, or make it an "
            "IterableDataset."
        ) from None


class DatasetData(DataAdapter):
    """A map-style ``torch.utils.data.Dataset`` of samples, batched and shuffled by ``fit``.

    A :class:`~kerastorch.utils.TimeseriesWindows` dataset is served as Keras serves the
    ``tf.data`` dataset of ``timeseries_dataset_from_array``: in its own ``batch_size`` and
    ``shuffle`` (with its ``seed``); ``fit``'s ``batch_size`` applies only when its
    ``batch_size`` is None, and ``fit``'s ``shuffle`` is ignored.

    Example:
        >>> from torch.utils.data import TensorDataset
        >>> data = DatasetData(TensorDataset(torch.zeros(50, 3), torch.zeros(50, 1)))
        >>> [len(batch.x) for batch in data.batches(32, shuffle=False)]
        [32, 18]
    """

    targets_in_data = True

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.size = _sample_count(dataset)
        if self.size == 0:
            raise ValueError(f"x is an empty torch Dataset ({type(dataset).__name__}).")
        self.description = f"the torch Dataset {type(dataset).__name__}"
        self.class_weight: dict[int, float] | None = None
        self._gather = vectorized_gather(dataset)
        self._own_batch_size: int | None = None
        self._own_shuffle: bool | None = None
        self._generator: torch.Generator | None = None
        if isinstance(dataset, TimeseriesWindows):
            self._own_batch_size = dataset.batch_size
            self._own_shuffle = dataset.shuffle
            if dataset.seed is not None:
                self._generator = torch.Generator().manual_seed(int(dataset.seed))

    @property
    def input_type(self) -> type:
        return type(self.dataset)

    def __len__(self) -> int:
        return self.size

    def num_samples(self) -> int | None:
        return None if self._own_batch_size else self.size

    def set_class_weight(self, class_weight: dict[int, float]) -> None:
        self.class_weight = class_weight

    def _batch_size(self, batch_size: int) -> int:
        return self._own_batch_size or batch_size

    def num_batches(self, batch_size: int) -> int:
        return math.ceil(self.size / self._batch_size(batch_size))

    def fetch(self, index: torch.Tensor) -> Any:
        """The batch element of samples ``index`` (NOTE [vectorized gathers])."""
        if self._gather is not None:
            return self._gather(index)
        if hasattr(self.dataset, "__getitems__"):
            element = self.dataset.__getitems__(index.tolist())
            if isinstance(element, list) and len(element) == len(index):
                return collate(element, self.description)
            return element
        return collate([self.dataset[i] for i in index.tolist()], self.description)

    def batch(self, index: torch.Tensor) -> Batch:
        return to_batch(self.fetch(index), self.description, class_weight=self.class_weight)

    def batches(self, batch_size: int, shuffle: bool, keep_order: bool = False) -> Iterator[Batch]:
        if self._own_shuffle is not None:
            shuffle = self._own_shuffle
        if shuffle:
            order = torch.randperm(self.size, generator=self._generator)
        else:
            order = torch.arange(self.size)
        for index in order.split(self._batch_size(batch_size)):
            yield self.batch(index)

    @property
    def own_batch_size(self) -> int | None:
        """The dataset's own batch size (a ``TimeseriesWindows``'s), which overrides fit's."""
        return self._own_batch_size

    def batch_indices(
        self,
        batch_size: int,
        shuffle: bool,
        keep_order: bool = False,
        generator: torch.Generator | None = None,
    ) -> list[torch.Tensor]:
        """The samples of each batch of one epoch (for sharding: NOTE [sharding]); a dataset
        with its own seeded shuffle keeps using its generator (the same on every process)."""
        if self._own_shuffle is not None:
            shuffle = self._own_shuffle
        if shuffle:
            order = torch.randperm(self.size, generator=self._generator or generator)
        else:
            order = torch.arange(self.size)
        return list(order.split(self._batch_size(batch_size)))

    def indexed_batches(
        self, batch_size: int, keep_order: bool = False
    ) -> Iterator[tuple[slice, Batch]]:
        step = self._batch_size(batch_size)
        for start in range(0, self.size, step):
            stop = min(start + step, self.size)
            yield slice(start, stop), self.batch(torch.arange(start, stop))

    def first_batch(self, batch_size: int) -> Batch:
        return self.batch(torch.arange(min(self._batch_size(batch_size), self.size)))


class IterableDatasetData(StreamData):
    """A ``torch.utils.data.IterableDataset`` of samples, batched by ``fit``'s ``batch_size``.

    Iterated afresh every epoch, in its own order (``shuffle`` does not apply). Its items are
    samples, as a ``DataLoader`` treats them; a dataset that yields whole batches goes in a
    ``DataLoader(dataset, batch_size=None)``.

    Example:
        >>> class Squares(torch.utils.data.IterableDataset):
        ...     def __iter__(self):
        ...         return ((torch.tensor([float(i)]), torch.tensor([i * i])) for i in range(5))
        >>> [len(batch.x) for batch in IterableDatasetData(Squares()).batches(2, False)]
        [2, 2, 1]
    """

    def __init__(self, dataset: IterableDataset) -> None:
        super().__init__()
        self.dataset = dataset
        self.description = f"the torch IterableDataset {type(dataset).__name__}"

    @property
    def input_type(self) -> type:
        return type(self.dataset)

    def num_batches(self, batch_size: int) -> int | None:
        try:
            return math.ceil(len(self.dataset) / batch_size)
        except TypeError:
            return None

    def _fresh(self, batch_size: int) -> Iterator[Batch]:
        samples = iter(self.dataset)
        while chunk := list(itertools.islice(samples, batch_size)):
            element = collate(chunk, self.description)
            yield to_batch(element, self.description, class_weight=self.class_weight)
