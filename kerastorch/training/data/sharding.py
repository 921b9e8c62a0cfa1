"""One process's share of the batches of an adapter, for multi-process training.

NOTE [sharding]
    ``batch_size`` stays the *global* batch, as in Keras's distribution API: each global batch
    (the batch one process would take) is cut into ``world_size`` consecutive parts and process
    ``rank`` takes part ``rank``. So the batches of all processes together are exactly the
    batches of a one-process run over the same order, and DistributedDataParallel's average of
    the processes' gradients is the gradient of that global batch.

    Training (``even=True``) needs parts of one size (the average of the per-process mean losses
    is the global mean only then): ``batch_size`` must be divisible by ``world_size`` (Keras's
    rule: "Global batch size must be divisible by the number of processes"), and the last
    ``len(batch) % world_size`` samples of a global batch that is not are dropped. For arrays,
    ragged lists and datasets that is at most ``world_size - 1`` samples of the last partial
    batch of an epoch (a different few every epoch when shuffling); a stream of ready batches
    (a DataLoader, a generator) drops that remainder of each such batch, and a batch smaller
    than ``world_size`` entirely. Every process gets the same number of batches, which the
    per-step gradient exchange requires.

    Evaluation and prediction (``even=False``) keep every sample: the parts may differ by one
    sample (``torch.tensor_split``), and empty parts are skipped; the loss and metric states
    are summed over the processes afterwards, and predictions gathered by sample index.

    Order: arrays, ragged lists and datasets are indexed, so every process computes the same
    global batches. Shuffling draws each pass's permutation from a generator seeded with
    ``seed + pass``, with a seed shared by all processes (ragged data is bucketed by length
    the same way). Streams of ready batches are read whole by every process, which keeps its
    rows of each batch: they must yield the same batches, in the same order, on every process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from kerastorch.training.data.base import Batch, DataAdapter
from kerastorch.training.data.indexed import Index, IndexedAdapter, index_tensor

__all__ = ["ShardedAdapter", "check_global_batch_size"]


def check_global_batch_size(batch_size: int, world_size: int, arg: str = "batch_size") -> None:
    """Keras's rule for training: the global batch splits evenly over the processes.

    Example:
        >>> check_global_batch_size(32, 2)
        >>> check_global_batch_size(30, 4)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Global batch size must be divisible by the number of processes. ...
    """
    if batch_size % world_size:
        raise ValueError(
            "Global batch size must be divisible by the number of processes. "
            f"`{arg}`={batch_size} and `num_processes`={world_size}. {arg} is the global "
            f"batch (each process takes {arg} / num_processes samples of it, as with Keras's "
            f"distribution API): use e.g. {arg}={_next_multiple(batch_size, world_size)}."
        )


def _next_multiple(value: int, factor: int) -> int:
    return -(-value // factor) * factor


class ShardedAdapter(DataAdapter):
    """The batches of ``data`` that process ``rank`` of ``world_size`` trains or evaluates on
    (NOTE [sharding]); ``data.batch_size`` is the global batch size.

    Args:
        data: The adapter of all the data (the same on every process).
        rank: This process's rank.
        world_size: The number of processes.
        even: Equal parts, remainders dropped (training); otherwise every sample is kept.
        seed: The seed shared by all processes; pass ``p`` shuffles with ``seed + p``.

    Example:
        >>> from kerastorch.training.data.arrays import ArrayData
        >>> from kerastorch.training.data.indexed import IndexedAdapter
        >>> data = IndexedAdapter(ArrayData(torch.arange(10.0)[:, None]), batch_size=4)
        >>> shard = ShardedAdapter(data, rank=1, world_size=2, even=True, seed=0)
        >>> [batch.x.flatten().tolist() for batch in shard.batches()]
        [[2.0, 3.0], [6.0, 7.0], [9.0]]
    """

    def __init__(
        self, data: DataAdapter, rank: int, world_size: int, *, even: bool, seed: int = 0
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(
                f"Expected 0 <= rank < world_size, received rank={rank}, world_size={world_size}."
            )
        self.data = data
        self.rank = rank
        self.world_size = world_size
        self.even = even
        self.seed = int(seed)
        self.passes = 0  # fresh passes started, the same count on every process
        self.batch_size = data.batch_size
        self.one_shot = data.one_shot
        self.infinite = data.infinite
        self.epoch_hooks = data.epoch_hooks
        self.varying_shapes = data.varying_shapes
        self.description = data.description

    def on_epoch_begin(self) -> None:
        self.data.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self.data.on_epoch_end()

    def first_batch(self) -> Batch:
        """The first *global* batch: every process builds the model from the same data."""
        return self.data.first_batch()

    def num_batches(self) -> int | None:
        """Batches per process and pass (for the progress bar and ``steps``)."""
        count = self.data.num_batches()
        if count is None or not (self.even and isinstance(self.data, IndexedAdapter)):
            return count
        # Only the last global batch may be partial; it is dropped if nothing of it is left.
        last = len(self.data) - (count - 1) * self.data.batch_size
        return count - (1 if last < self.world_size else 0)

    def _generator(self) -> torch.Generator:
        generator = torch.Generator().manual_seed(self.seed + self.passes)
        self.passes += 1
        return generator

    def _part(self, index: Index) -> torch.Tensor | None:
        """This process's part of one global batch of sample indices (None: nothing)."""
        index = index_tensor(index)
        if self.even:
            keep = len(index) - len(index) % self.world_size
            if keep == 0:
                return None
            return index[:keep].view(self.world_size, -1)[self.rank]
        part = torch.tensor_split(index, self.world_size)[self.rank]
        return part if len(part) else None

    def _row_bounds(self, rows: int) -> tuple[int, int] | None:
        """Rows ``[start, stop)`` of a ready batch of ``rows`` rows that are this process's."""
        if self.even:
            size = rows // self.world_size
            if size == 0:
                return None
            return self.rank * size, (self.rank + 1) * size
        size, extra = divmod(rows, self.world_size)
        start = self.rank * size + min(self.rank, extra)
        stop = start + size + (1 if self.rank < extra else 0)
        return (start, stop) if stop > start else None

    def batches(self) -> Iterator[Batch]:
        if isinstance(self.data, IndexedAdapter):
            for index in self.data.batch_indices(generator=self._generator()):
                part = self._part(index)
                if part is not None:
                    yield self.data.data.batch(part)
            return
        for step, batch in enumerate(self.data.batches()):
            if step == 0 and self.even:
                # A stream's own batch is the global batch: Keras's rule, checked on the first.
                rows = len(batch.x)
                if rows % self.world_size:
                    raise ValueError(
                        "Global batch size must be divisible by the number of processes: "
                        f"{self.description} yields batches of {rows} samples and there are "
                        f"{self.world_size} processes. A stream's own batch is the global "
                        "batch; make it a multiple of the number of processes (e.g. "
                        f"{_next_multiple(rows, self.world_size)})."
                    )
            bounds = self._row_bounds(len(batch.x))
            if bounds is not None:
                yield _rows(batch, *bounds)

    def indexed_batches(self) -> Iterator[tuple[Any, Batch]]:
        """This process's parts of the global batches, with the positions of their samples in
        the whole input (``predict`` gathers the parts of all processes by them)."""
        if isinstance(self.data, IndexedAdapter):
            for index in self.data.fixed_batch_indices():
                part = self._part(index)
                if part is not None:
                    yield part, self.data.data.batch(part)
            return
        start = 0
        for batch in self.data.batches():
            rows = len(batch.x)
            bounds = self._row_bounds(rows)
            if bounds is not None:
                yield slice(start + bounds[0], start + bounds[1]), _rows(batch, *bounds)
            start += rows


def _rows(batch: Batch, start: int, stop: int) -> Batch:
    return Batch(*(None if t is None else t[start:stop] for t in batch))
