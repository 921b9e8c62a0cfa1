"""Sliding windows over a time series, as ``keras.utils.timeseries_dataset_from_array``: a
:class:`~kerastorch.utils.dataset.Pipeline` of batches of windows, read lazily from a
:class:`TimeseriesWindows` dataset that views the series.

NOTE [timeseries windows]
    Window ``i`` (``0 <= i < len(dataset)``) starts at row ``s_i = start_index + i *
    sequence_stride`` of ``data`` and takes the rows ``s_i, s_i + r, ..., s_i + (L - 1) * r``
    (``L = sequence_length``, ``r = sampling_rate``); its target is ``targets[s_i]``: the target
    of the window that *starts* at row ``s_i``, as Keras documents. Every row lies before
    ``end_index``. Windows are never copied up front: the dataset keeps a tensor view of ``data``
    (no copy for a numpy array or a tensor) and a strided view of it that presents every window
    at once, ``(num_windows, sequence_length, *features)``, without copying a row; a batch is
    one ``index_select`` on that view.

NOTE [timeseries order]
    As Keras: without ``shuffle`` the windows come in time order. With ``shuffle``, the window
    order is first permuted once with ``np.random.RandomState(seed).shuffle`` (Keras's own
    permutation, exactly; ``seed`` defaults to ``np.random.randint(1e6)``), then every pass draws
    the windows from a shuffle buffer of ``8 * batch_size`` windows (1024 without batches), as
    Keras's ``dataset.shuffle(batch_size * 8, seed=seed)``; that buffer's draws are not
    TensorFlow's, so a pass holds the same windows as Keras's in another order. The buffer holds
    window indices, not windows; a batch is gathered when it is read.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from kerastorch.utils.dataset import Pipeline

__all__ = ["TimeseriesWindows", "timeseries_dataset_from_array"]

_CHUNK = 65536  # window indices turned into Python ints at a time (NOTE [timeseries order])


def _as_tensor_view(array: Any, what: str) -> torch.Tensor:
    """A tensor sharing memory with ``array`` where torch allows it (numpy arrays, tensors)."""
    if not torch.is_tensor(array):
        array = np.asarray(array)
        if any(stride < 0 for stride in array.strides):
            array = np.ascontiguousarray(array)  # torch cannot view negative strides (data[::-1])
        with warnings.catch_warnings():
            # A read-only array is fine: the dataset only ever reads from it.
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            array = torch.from_numpy(array)
    if array.dim() == 0:
        raise ValueError(
            f"timeseries_dataset_from_array: {what} must be an array with time on axis 0, "
            "received a scalar."
        )
    return array


def _check_positive(arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"timeseries_dataset_from_array: expected {arg} to be a positive integer, "
            f"received {arg}={value!r}."
        )
    return int(value)


class TimeseriesWindows(Dataset):
    """A ``torch.utils.data.Dataset`` of sliding windows over a time series, with their targets.

    The windows behind :func:`timeseries_dataset_from_array`'s batches (its result's
    ``windows``); see NOTE [timeseries windows] in this module for which rows and which target
    make window ``i``. ``dataset[i]`` is ``(window, target)`` (just ``window`` without targets);
    ``dataset.__getitems__(indices)`` gathers a whole batch ``(x, y)`` at once, ``x`` of shape
    ``(batch, sequence_length, *data.shape[1:])``. Batches keep the dtype of ``data`` and
    ``targets``. As a torch ``Dataset`` it also goes to ``fit`` as samples (batched and shuffled
    by ``fit``, one gather per batch); a ``DataLoader`` over it needs
    ``collate_fn=lambda batch: batch``, since ``__getitems__`` returns a ready batch.

    Example:
        >>> data = np.arange(10, dtype="float32").reshape(10, 1)
        >>> windows = timeseries_dataset_from_array(data, np.arange(10), sequence_length=3).windows
        >>> len(windows)
        8
        >>> x, y = windows.__getitems__([0, 5])
        >>> x[:, :, 0].tolist(), y.tolist()
        ([[0.0, 1.0, 2.0], [5.0, 6.0, 7.0]], [0, 5])
    """

    def __init__(
        self,
        data: torch.Tensor,
        targets: torch.Tensor | None,
        sequence_length: int,
        sequence_stride: int,
        sampling_rate: int,
        start_index: int,
        num_windows: int,
    ) -> None:
        self.data = data
        self.targets = targets
        self.sequence_length = sequence_length
        self.sequence_stride = sequence_stride
        self.sampling_rate = sampling_rate
        self.start_index = start_index
        self.num_windows = max(num_windows, 0)
        # Every window at once as a strided view of ``data`` (no copy): window i, step k is row
        # start_index + i * sequence_stride + k * sampling_rate. Gathering a batch is then one
        # index_select of whole windows, each a contiguous block when sampling_rate is 1.
        row = data.stride(0)
        self._windows = data.as_strided(
            (self.num_windows, sequence_length, *data.shape[1:]),
            (sequence_stride * row, sampling_rate * row, *data.stride()[1:]),
            data.storage_offset() + start_index * row,
        )

    def __len__(self) -> int:
        return self.num_windows

    def __repr__(self) -> str:
        return (
            f"TimeseriesWindows({self.num_windows} windows, sequence_length={self.sequence_length}"
            f", sequence_stride={self.sequence_stride}, sampling_rate={self.sampling_rate}, "
            f"start_index={self.start_index}, targets={self.targets is not None})"
        )

    def _window_index(self, index: Any) -> int:
        try:
            if isinstance(index, bool):
                raise TypeError
            index = operator.index(index)  # ints, numpy integers, 0-d integer tensors
        except TypeError:
            raise TypeError(
                f"TimeseriesWindows: expected an integer index, received {type(index).__name__}."
            ) from None
        i = index + (self.num_windows if index < 0 else 0)
        if not 0 <= i < self.num_windows:
            raise IndexError(
                f"TimeseriesWindows: index {index} is out of range for {self.num_windows} windows."
            )
        return i

    def __getitem__(self, index: int) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        i = self._window_index(index)
        window = self._windows[i]  # a view of data
        if self.targets is None:
            return window
        return window, self.targets[self.start_index + i * self.sequence_stride]

    def __getitems__(
        self, indices: Sequence[int] | np.ndarray | torch.Tensor
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Gather the windows ``indices`` (and their targets) as one batch, in one indexing step.

        Args:
            indices: Window indices; negative ones count from the end.

        Returns:
            ``x`` of shape ``(len(indices), sequence_length, *data.shape[1:])``, or ``(x, y)``
            with ``y = targets[window starts]`` when the dataset has targets.
        """
        idx = torch.as_tensor(indices, dtype=torch.int64).reshape(-1)
        if idx.numel():
            idx = torch.where(idx < 0, idx + self.num_windows, idx)
            low, high = torch.aminmax(idx)
            if low < 0 or high >= self.num_windows:
                bad = int(high) if high >= self.num_windows else int(low) - self.num_windows
                raise IndexError(
                    f"TimeseriesWindows: index {bad} is out of range for {self.num_windows} "
                    "windows."
                )
        x = self._windows.index_select(0, idx.to(self._windows.device))
        if self.targets is None:
            return x
        starts = self.start_index + idx * self.sequence_stride
        return x, self.targets.index_select(0, starts.to(self.targets.device))

    def arrays(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Every window and target, materialized as numpy arrays (for small series).

        Returns:
            ``(x, y)``: ``x`` of shape ``(len(self), sequence_length, *data.shape[1:])`` and ``y``
            the targets, or ``None`` without targets; ready for ``model.fit(x, y)``.

        Example:
            >>> dataset = timeseries_dataset_from_array(np.arange(6.0), None, sequence_length=4)
            >>> dataset.windows.arrays()[0]
            array([[0., 1., 2., 3.],
                   [1., 2., 3., 4.],
                   [2., 3., 4., 5.]])
        """
        batch = self.__getitems__(torch.arange(self.num_windows))
        if self.targets is None:
            return batch.cpu().numpy(), None
        x, y = batch
        return x.cpu().numpy(), y.cpu().numpy()


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> Pipeline:
    """Sliding windows over a time series in batches, as Keras's function.

    Keras returns a ``tf.data.Dataset`` of batches; this returns a
    :class:`~kerastorch.utils.dataset.Pipeline` of batches ``(x, y)`` (``x`` alone without
    targets) with the same ``tf.data`` methods (``take``, ``map``, ``unbatch``, ...), which
    ``fit`` / ``evaluate`` / ``predict`` take as they are (no ``batch_size``). Windows are never
    copied up front (NOTE [timeseries windows]): each batch is gathered from a view of ``data``
    when it is read. The windows themselves, as a map-style torch ``Dataset``, are the result's
    ``windows`` (a :class:`TimeseriesWindows`).

    Args:
        data: Array or tensor of consecutive steps, time on axis 0: ``(steps,)`` or
            ``(steps, features...)``.
        targets: ``targets[i]`` is the target of the window that starts at row ``i`` of
            ``data``; ``None`` for windows alone. Windows that would have no target are dropped.
        sequence_length: Number of steps in each window.
        sequence_stride: Rows between the starts of successive windows: with stride ``s``,
            windows start at ``data[i]``, ``data[i + s]``, ``data[i + 2 * s]``...
        sampling_rate: Rows between successive steps within a window: with rate ``r``, a window
            holds ``data[i], data[i + r], ..., data[i + (sequence_length - 1) * r]``.
        batch_size: Windows per batch (the last one may be shorter); ``None`` for single
            windows.
        shuffle: Serve the windows in random order (NOTE [timeseries order]).
        seed: Seed for shuffling.
        start_index: First row that windows may use (inclusive); defaults to 0.
        end_index: Rows from ``end_index`` on are not used (exclusive); defaults to
            ``len(data)``. As in Keras it must be below ``len(data)`` when given.

    Returns:
        A :class:`~kerastorch.utils.dataset.Pipeline` of ``ceil(windows / batch_size)`` batches
        (of windows without ``batch_size``), with the :class:`TimeseriesWindows` as ``windows``.

    Raises:
        ValueError: for arguments Keras rejects (``start_index`` beyond the data, ``end_index``
            not after ``start_index`` or not below ``len(data)``, a ``sampling_rate`` or
            ``sequence_stride`` not in ``[1, len(data))``) and for a non-positive
            ``sequence_length`` or ``batch_size``.

    Example:
        Predict step ``t + 10`` from the 10 steps before it:

        >>> series = np.arange(100, dtype="float32")
        >>> dataset = timeseries_dataset_from_array(
        ...     series[:-10], series[10:], sequence_length=10, batch_size=32
        ... )
        >>> len(dataset), [tuple(x.shape) for x, y in dataset]
        (3, [(32, 10), (32, 10), (17, 10)])
        >>> for x, y in dataset.take(1):
        ...     print(x[0].tolist() == series[:10].tolist(), float(y[0]))
        True 10.0
    """
    data_view = _as_tensor_view(data, "data")
    n = len(data_view)
    sequence_length = _check_positive("sequence_length", sequence_length)
    if batch_size is not None:
        batch_size = _check_positive("batch_size", batch_size)

    # 1. Keras's argument checks, in Keras's order and with its bounds.
    if start_index is not None:
        if isinstance(start_index, bool) or not isinstance(start_index, (int, np.integer)):
            raise ValueError(
                f"timeseries_dataset_from_array: expected start_index to be an integer or None, "
                f"received start_index={start_index!r}."
            )
        if start_index < 0:
            raise ValueError(
                f"timeseries_dataset_from_array: start_index must be 0 or greater, received "
                f"start_index={start_index}."
            )
        if start_index >= n and start_index > 0:
            raise ValueError(
                f"timeseries_dataset_from_array: start_index must be lower than the length of "
                f"the data, received start_index={start_index} for data of length {n}."
            )
    if end_index is not None:
        if isinstance(end_index, bool) or not isinstance(end_index, (int, np.integer)):
            raise ValueError(
                f"timeseries_dataset_from_array: expected end_index to be an integer or None, "
                f"received end_index={end_index!r}."
            )
        if start_index and end_index <= start_index:
            raise ValueError(
                f"timeseries_dataset_from_array: end_index must be higher than start_index, "
                f"received start_index={start_index} and end_index={end_index}."
            )
        if end_index >= n:
            raise ValueError(
                f"timeseries_dataset_from_array: end_index must be lower than the length of the "
                f"data, received end_index={end_index} for data of length {n}. Leave it None to "
                "use the data to its end."
            )
        if end_index <= 0:
            raise ValueError(
                f"timeseries_dataset_from_array: end_index must be higher than 0, received "
                f"end_index={end_index}."
            )
    for arg, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        _check_positive(arg, value)
        if value >= n:
            raise ValueError(
                f"timeseries_dataset_from_array: {arg} must be lower than the length of the "
                f"data, received {arg}={value} for data of length {n}."
            )

    # 2. How many start positions fit (Keras's arithmetic).
    start = int(start_index or 0)
    end = n if end_index is None else int(end_index)
    num_starts = end - start - (sequence_length - 1) * int(sampling_rate)
    target_view = None
    if targets is not None:
        target_view = _as_tensor_view(targets, "targets")
        # Keras takes min(num_starts, len(targets)), and fails when iterating if the targets of
        # the later windows (targets[start + position]) do not exist; drop those windows instead.
        num_starts = min(num_starts, len(target_view) - start)
    num_windows = -(-num_starts // int(sequence_stride)) if num_starts > 0 else 0

    windows = TimeseriesWindows(
        data_view,
        target_view,
        sequence_length=sequence_length,
        sequence_stride=int(sequence_stride),
        sampling_rate=int(sampling_rate),
        start_index=start,
        num_windows=num_windows,
    )
    dataset = _served(windows, batch_size, bool(shuffle), seed)
    dataset.windows = windows
    return dataset


def _served(
    windows: TimeseriesWindows, batch_size: int | None, shuffle: bool, seed: int | None
) -> Pipeline:
    """The windows in batches, in Keras's order (NOTE [timeseries order])."""
    count = len(windows)
    what = f"timeseries_dataset_from_array ({count} windows)"
    if not shuffle:
        if batch_size is None:
            return Pipeline.of_batches(count, windows.__getitem__, what)
        size = batch_size

        def batch_at(i: int) -> Any:
            return windows.__getitems__(torch.arange(i * size, min((i + 1) * size, count)))

        return Pipeline.of_batches(-(-count // size), batch_at, what)
    if seed is None:
        seed = np.random.randint(1e6)
    order = np.arange(count, dtype=np.int32 if count < 2**31 - 1 else np.int64)
    np.random.RandomState(seed).shuffle(order)

    def window_order() -> Any:
        for start in range(0, count, _CHUNK):
            yield from order[start : start + _CHUNK].tolist()

    positions = Pipeline(window_order, count, None, what)
    positions = positions.shuffle(1024 if batch_size is None else 8 * batch_size, seed=seed)
    if batch_size is None:
        return positions.map(windows.__getitem__)
    return positions.batch(batch_size).map(windows.__getitems__)
