"""A :class:`~kerastorch.utils.PyDataset` (Keras 3's dataset of batches by index) and its
adapter: batches in a new random order every ``fit`` epoch (``shuffle``), in order otherwise,
read ahead in threads or in the worker processes of a torch ``DataLoader``.

NOTE [PyDataset epochs]
    As Keras: every pass over the dataset (a ``fit`` epoch, a validation, ``evaluate``,
    ``predict``) calls ``on_epoch_begin`` before its first batch and ``on_epoch_end`` after its
    last (``EpochIterator`` calls the adapter's hooks; a pass cut short by ``stop_training``
    ends without ``on_epoch_end``, as in Keras). Before the passes, ``fit`` and ``evaluate``
    restart the dataset as Keras's iterator reset does: while the model or its compiled metrics
    are unbuilt (the first ``fit`` or ``evaluate`` after ``compile``) they read its first batch
    in a pass of its own (``on_epoch_begin``, the first batch in the pass's order, then
    ``on_epoch_end``), and otherwise call ``on_epoch_end`` alone; each validation inside
    ``fit`` is preceded by that lone ``on_epoch_end`` too. ``predict`` reads nothing ahead
    unless the model is unbuilt (then batch 0 in a pass of its own; Keras builds from its
    first predicted batch instead). Worker processes are started for every pass, from the
    dataset as ``on_epoch_end`` left it, as Keras sends the dataset to its workers every epoch.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from kerastorch.training.data.base import Batch, DataAdapter, InputData
from kerastorch.training.data.elements import to_batch
from kerastorch.training.data.structured import SINGLE, Signature
from kerastorch.utils.py_dataset import PyDataset


class PyDatasetData(InputData):
    """A :class:`~kerastorch.utils.PyDataset` given to ``fit`` / ``evaluate`` / ``predict``."""

    def __init__(self, dataset: PyDataset, signature: Signature = SINGLE) -> None:
        self.dataset = dataset
        self.signature = signature
        self.description = f"the PyDataset {type(dataset).__name__}"
        count = dataset.num_batches
        if count is not None and count <= 0:
            raise ValueError(f"{self.description} has no batches (len() == {count}).")
        self.count = count

    @property
    def input_type(self) -> type:
        return type(self.dataset)


class _Batches(Dataset):
    """The PyDataset as a torch map-style dataset of batches, for a DataLoader's workers."""

    def __init__(self, dataset: PyDataset) -> None:
        self.dataset = dataset

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index]


def _as_is(batch: Any) -> Any:  # a DataLoader's collate_fn (module level: workers pickle it)
    return batch


class PyDatasetAdapter(DataAdapter):
    """Batches of a :class:`PyDatasetData` (NOTE [PyDataset epochs]).

    Args:
        data: The dataset.
        shuffle: A new random order of the batches every pass (``fit``'s ``shuffle``, drawn
            from torch's global generator).
        class_weight: Keras's ``class_weight``, applied to each batch without weights.

    Example:
        >>> import numpy as np
        >>> class Rows(PyDataset):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, index):
        ...         return np.full((2, 1), float(index)), np.zeros(2)
        >>> data = PyDatasetAdapter(PyDatasetData(Rows()))
        >>> [batch.x[0, 0].item() for batch in data.batches()]
        [0.0, 1.0, 2.0]
    """

    varying_shapes = True
    epoch_hooks = True

    def __init__(
        self,
        data: PyDatasetData,
        *,
        shuffle: bool = False,
        class_weight: dict[int, float] | None = None,
    ) -> None:
        self.data = data
        self.dataset = data.dataset
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.description = data.description
        self.infinite = data.count is None

    def num_batches(self) -> int | None:
        return self.data.count

    def on_epoch_begin(self) -> None:
        self.dataset.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self.dataset.on_epoch_end()

    def _order(self, shuffle: bool) -> Iterable[int]:
        if self.data.count is None:
            return itertools.count()
        if shuffle:
            return torch.randperm(self.data.count).tolist()
        return range(self.data.count)

    def _read(self, order: Iterable[int]) -> Iterator[Any]:
        """The batches ``order``, read ahead by the dataset's workers (Keras's rule: in
        parallel when ``workers > 1``, or ``workers > 0`` with ``use_multiprocessing``)."""
        dataset = self.dataset
        workers, processes = dataset.workers, dataset.use_multiprocessing
        queue = max(1, int(dataset.max_queue_size))
        if processes and workers > 0:
            loader = DataLoader(
                _Batches(dataset),
                batch_size=None,
                sampler=order,
                num_workers=workers,
                collate_fn=_as_is,
                prefetch_factor=max(1, math.ceil(queue / workers)),
            )
            yield from loader
        elif workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                pending: deque[Any] = deque()
                for index in order:
                    pending.append(pool.submit(dataset.__getitem__, index))
                    if len(pending) >= queue:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
        else:
            for index in order:
                yield dataset[index]

    def _to_batch(self, element: Any) -> Batch:
        return to_batch(
            element,
            self.description,
            class_weight=self.class_weight,
            signature=self.data.signature,
        )

    def batches(self) -> Iterator[Batch]:
        for element in self._read(self._order(self.shuffle)):
            yield self._to_batch(element)

    def indexed_batches(self) -> Iterator[tuple[slice, Batch]]:
        """One pass in order (``predict``'s), with its own epoch hooks."""
        self.on_epoch_begin()
        start = 0
        for element in self._read(self._order(False)):
            batch = self._to_batch(element)
            yield slice(start, start + len(batch.x)), batch
            start += len(batch.x)
        self.on_epoch_end()

    def first_batch(self) -> Batch:
        """The first batch of a pass in the adapter's order (a random one when shuffled), read
        in a pass of its own (NOTE [PyDataset epochs])."""
        self.on_epoch_begin()
        index = next(iter(self._order(self.shuffle)))
        batch = self._to_batch(self.dataset[index])
        self.on_epoch_end()
        return batch
