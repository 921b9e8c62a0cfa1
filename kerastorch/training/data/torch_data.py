"""Adapters for torch datasets: a map-style ``Dataset`` and an ``IterableDataset`` of samples.

A dataset holds *samples*; ``fit`` batches them with its ``batch_size`` (32 by default) and, for
a map-style dataset, shuffles them every epoch when ``shuffle=True`` (a ``DataLoader`` keeps its
own batching: see ``generators.py``).

NOTE [vectorized gathers]
    A batch of a map-style dataset is fetched with one call when the dataset allows it, never with
    one ``__getitem__`` per sample: a ``TensorDataset`` is indexed with the batch's index tensor,
    a ``Subset`` maps the indices onto its parent's fast path, and a dataset with
    ``__getitems__`` (``TimeseriesWindows``, torch's ``StackDataset``...) gets all the indices
    at once, as a list. ``__getitems__`` returns either a ready batch (a tuple ``(x, y)`` or a
    tensor, as ``TimeseriesWindows`` does) or, following torch's convention, a *list* of
    samples, which is collated. Other datasets are read sample by sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils.data import Dataset, IterableDataset, Subset, TensorDataset

from kerastorch.training.data.base import Batch
from kerastorch.training.data.elements import collate, to_batch
from kerastorch.training.data.generators import StreamData
from kerastorch.training.data.indexed import IndexedData, index_tensor
from kerastorch.training.data.structured import SINGLE, Signature

Gather = Callable[[torch.Tensor], Any]


def vectorized_gather(dataset: Dataset) -> Gather | None:
    """A function ``indices -> ready batch element`` for datasets that allow one call per batch
    (NOTE [vectorized gathers]); None otherwise."""
    if isinstance(dataset, TensorDataset):
        tensors = dataset.tensors
        return lambda index: tuple(t[index.to(t.device)] for t in tensors)
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


class DatasetData(IndexedData):
    """A map-style ``torch.utils.data.Dataset`` of samples, batched and shuffled by ``fit``.

    Example:
        >>> from torch.utils.data import TensorDataset
        >>> data = DatasetData(TensorDataset(torch.zeros(50, 3), torch.zeros(50, 1)))
        >>> len(data), tuple(data.batch(torch.arange(4)).y.shape)
        (50, (4, 1))
    """

    def __init__(
        self,
        dataset: Dataset,
        class_weight: dict[int, float] | None = None,
        signature: Signature = SINGLE,
    ) -> None:
        self.dataset = dataset
        self.signature = signature
        self.size = _sample_count(dataset)
        if self.size == 0:
            raise ValueError(f"x is an empty torch Dataset ({type(dataset).__name__}).")
        self.description = f"the torch Dataset {type(dataset).__name__}"
        self.class_weight = class_weight
        self._gather = vectorized_gather(dataset)

    @property
    def input_type(self) -> type:
        return type(self.dataset)

    def __len__(self) -> int:
        return self.size

    def with_class_weight(self, class_weight: dict[int, float]) -> DatasetData:
        """Keras's ``class_weight``, applied to each batch (a dataset that yields its own sample
        weights cannot take it)."""
        return DatasetData(self.dataset, class_weight, self.signature)

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

    def batch(self, index: slice | torch.Tensor) -> Batch:
        element = self.fetch(index_tensor(index))
        return to_batch(
            element, self.description, class_weight=self.class_weight, signature=self.signature
        )


class IterableDatasetData(StreamData):
    """A ``torch.utils.data.IterableDataset`` of samples, batched by ``fit``'s ``batch_size``.

    Iterated afresh every epoch, in its own order (``shuffle`` does not apply). Its items are
    samples, as a ``DataLoader`` treats them; a dataset that yields whole batches goes in a
    ``DataLoader(dataset, batch_size=None)``.

    Example:
        >>> from kerastorch.training.data.generators import StreamAdapter
        >>> class Squares(torch.utils.data.IterableDataset):
        ...     def __iter__(self):
        ...         return ((torch.tensor([float(i)]), torch.tensor([i * i])) for i in range(5))
        >>> data = StreamAdapter(IterableDatasetData(Squares()), batch_size=2)
        >>> [len(batch.x) for batch in data.batches()]
        [2, 2, 1]
    """

    yields_samples = True

    def __init__(self, dataset: IterableDataset, signature: Signature = SINGLE) -> None:
        super().__init__(dataset, signature)
        self.description = f"the torch IterableDataset {type(dataset).__name__}"

    def num_items(self) -> int | None:
        try:
            return len(self.source)
        except TypeError:
            return None
