"""Which batches make an epoch: all of the data, or ``steps_per_epoch`` batches (Keras's rules).

NOTE [steps per epoch]
    Without ``steps``, an epoch is one pass over the data: a fresh pass every epoch for
    re-iterable inputs (arrays, datasets, DataLoaders), the rest of the stream for a one-shot
    generator. With ``steps``, an epoch is the next ``steps`` batches of one pass that continues
    across epochs, as in Keras: 5 batches of data with ``steps=2`` give epochs of batches
    (0, 1), (2, 3), (4) - the last cut short with Keras's warning "Your input ran out of data" -
    and the next epoch starts a fresh pass. A one-shot stream cannot start again: once it has
    run out, :meth:`EpochIterator.next_epoch` returns None (after the warning) and training
    stops. Keras 3 instead replays the batches it peeked at to build the model.

    Validation (``continue_passes=False`` for re-iterable data) starts a fresh pass every time,
    so ``validation_steps`` always evaluates the first batches, as Keras does; a one-shot
    validation stream continues, each validation taking the next ``validation_steps`` batches
    (Keras replays the two batches it peeked at and then continues the stream).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator

from kerastorch.training.data.base import Batch, DataAdapter

OUT_OF_DATA = (
    "Your input ran out of data; interrupting training. Make sure that your dataset or "
    "generator can generate at least `steps_per_epoch * epochs` batches (a generator can loop "
    "with `while True:`)."
)

_END = object()


def require_end(data: DataAdapter, steps: int | None) -> None:
    """An infinite input needs ``steps`` to end an epoch (or a prediction)."""
    if data.infinite and steps is None:
        raise ValueError(
            f"{data.description} is infinite (repeat() without a count?): pass "
            "steps_per_epoch (fit), validation_steps or steps (evaluate / predict) to say "
            "how many batches make an epoch, or repeat it a finite number of times."
        )


class EpochIterator:
    """Batches of one epoch at a time from a data adapter (NOTE [steps per epoch]).

    Example:
        >>> import numpy as np
        >>> from kerastorch.training.data.arrays import ArrayData
        >>> from kerastorch.training.data.indexed import IndexedAdapter
        >>> data = IndexedAdapter(ArrayData(np.zeros((5, 1))), batch_size=1)
        >>> epochs = EpochIterator(data, steps=2)
        >>> [len(list(epochs.next_epoch())) for _ in range(2)]
        [2, 2]
    """

    def __init__(
        self, data: DataAdapter, steps: int | None = None, continue_passes: bool = True
    ) -> None:
        require_end(data, steps)
        self.data = data
        self.steps = steps
        self.continue_passes = continue_passes or data.one_shot
        self.exhausted = False  # a one-shot input has run out
        self._iterator: Iterator[Batch] | None = None  # continued across epochs with steps

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch (None when unknown: a stream of unknown length)."""
        return self.steps or self.data.num_batches()

    def _fresh(self) -> Iterator[Batch]:
        return iter(self.data.batches())

    def _out_of_data(self) -> None:
        warnings.warn(OUT_OF_DATA, stacklevel=4)
        self._iterator = None
        if self.data.one_shot:
            self.exhausted = True

    def next_epoch(self) -> Iterator[Batch] | None:
        """The batches of the next epoch, or None when a one-shot input has nothing left.

        An input with ``epoch_hooks`` (a ``PyDataset``) gets ``on_epoch_begin`` before the
        epoch's first batch is read and ``on_epoch_end`` after its last one.
        """
        if not self.data.epoch_hooks:
            return self._next_epoch()
        self.data.on_epoch_begin()
        batches = self._next_epoch()
        if batches is None:
            self.data.on_epoch_end()
            return None
        return self._ending(batches)

    def _ending(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        yield from batches
        self.data.on_epoch_end()

    def _next_epoch(self) -> Iterator[Batch] | None:
        if self.exhausted:
            return None
        if self.steps is None and not self.data.one_shot:
            return self._fresh()  # the array path: no extra layer per batch
        if self.steps is None:
            iterator = self._fresh()
        else:
            if self._iterator is None or not self.continue_passes:
                self._iterator = self._fresh()
            iterator = self._iterator
        first = next(iterator, _END)
        if first is _END and not self.data.one_shot:
            # A re-iterable input ended exactly at the last epoch's end: start a new pass.
            self._iterator = iterator = self._fresh()
            first = next(iterator, _END)
        if first is _END:
            self._out_of_data()
            return None
        if self.steps is None:
            return itertools.chain([first], iterator)
        return self._take(first, iterator)

    def _take(self, first: Batch, iterator: Iterator[Batch]) -> Iterator[Batch]:
        yield first
        for _ in range(self.steps - 1):
            batch = next(iterator, _END)
            if batch is _END:
                self._out_of_data()
                return
            yield batch
