"""``PyDataset``: Keras 3's base class for datasets written in Python, one batch per index."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["PyDataset"]


class PyDataset:
    """Base class for a dataset of batches computed in Python, as ``keras.utils.PyDataset``.

    Subclasses implement ``__getitem__(index)``, which returns a whole *batch* ``(x,)``,
    ``(x, y)`` or ``(x, y, sample_weight)`` (or ``x`` alone), and ``__len__``, the number of
    batches (or the ``num_batches`` property, None for an endless dataset); optionally
    ``on_epoch_begin`` / ``on_epoch_end``, called around every epoch.

    ``fit`` reads the batches in a new random order every epoch (``shuffle=True``, its default;
    the batches themselves are the dataset's), ``evaluate`` / ``predict`` in order, as Keras.
    With ``workers > 1``, or ``use_multiprocessing=True``, batches are read ahead in parallel
    (``max_queue_size`` at most): in threads, or with ``use_multiprocessing`` in worker processes
    started by a torch ``DataLoader`` for every epoch (so each epoch's workers see what
    ``on_epoch_end`` changed; the dataset must be picklable). Iterating the dataset directly
    (``for batch in dataset``) reads it in order, without parallelism.

    Args:
        workers: Number of threads or processes that read batches ahead.
        use_multiprocessing: Read in processes rather than threads (for CPU-bound Python
            code).
        max_queue_size: Batches read ahead at most.

    Example:
        >>> import numpy as np
        >>> class Squares(PyDataset):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, index):
        ...         x = np.arange(4.0)[:, None] + 4 * index
        ...         return x, x**2
        >>> [y[:, 0].tolist() for _, y in Squares()][1]
        [16.0, 25.0, 36.0, 49.0]
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = False
        for name, default in (
            ("_workers", 1),
            ("_use_multiprocessing", False),
            ("_max_queue_size", 10),
        ):
            if not hasattr(self, name):
                setattr(self, name, default)
                missing = True
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """The batch at position ``index``."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch (``len(self)``), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ (the number of batches) or the "
            "num_batches property (None for an endless dataset)."
        )

    def __iter__(self) -> Iterator[Any]:
        count = self.num_batches
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called at the beginning of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""
