"""Data adapters: every kind of input becomes an iterable of ``(x, y, sample_weight)`` batches.

``adapt()`` is the one dispatcher; the loops in ``training/loop.py`` only iterate what it returns.
Arrays are converted to tensors once per call of ``fit`` and sliced a batch at a time (a view
when not shuffling, one gather per batch when shuffling), never sample by sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

Batch = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]

DEFAULT_BATCH_SIZE = 32


def to_tensor(value: Any, arg: str) -> torch.Tensor:
    """Convert numpy arrays, tensors and (nested) lists to a tensor, as Keras converts inputs:
    floats become float32, integers int64 (token ids), booleans float32."""
    if torch.is_tensor(value):
        tensor = value.detach()
    else:
        try:
            array = np.asarray(value)
        except ValueError as error:  # a ragged nested list
            raise ValueError(
                f"{arg} could not be converted to an array: its items have different shapes "
                f"({error}). Pad sequences to one length with kerastorch.utils.pad_sequences."
            ) from None
        if array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
        ):
            raise TypeError(
                f"{arg} must hold numbers, received an array of dtype {array.dtype}. Convert "
                "strings or objects to numbers first (e.g. token ids or floats)."
            )
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.dtype == torch.bool or (tensor.is_floating_point() and tensor.dtype != torch.float32):
        tensor = tensor.float()
    elif not tensor.is_floating_point() and not tensor.is_complex() and tensor.dtype != torch.int64:
        tensor = tensor.long()
    return tensor


def check_finite(tensor: torch.Tensor, arg: str) -> None:
    """NaN or inf in the data would silently turn the loss into NaN: say where it is instead."""
    if tensor.is_floating_point():
        finite = torch.isfinite(tensor.reshape(len(tensor), -1)).all(dim=1)
        if not bool(finite.all()):
            bad = torch.nonzero(~finite).flatten()
            raise ValueError(
                f"{arg} contains NaN or infinite values, in {len(bad)} sample(s), first at index "
                f"{int(bad[0])}. Remove or impute them before training (e.g. np.nan_to_num)."
            )


def check_batch_size(batch_size: Any, arg: str = "batch_size") -> int:
    if batch_size is None:
        return DEFAULT_BATCH_SIZE
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size <= 0
    ):
        raise ValueError(f"Expected {arg} to be a positive integer, received {arg}={batch_size!r}.")
    return int(batch_size)


class ArrayData:
    """In-memory arrays of ``N`` samples: ``x``, optional ``y`` and ``sample_weight``.

    Example:
        >>> data = ArrayData(np.zeros((50, 3)), np.zeros((50, 1)))
        >>> [len(x) for x, y, w in data.batches(32, shuffle=False)]
        [32, 18]
    """

    def __init__(
        self, x: Any, y: Any = None, sample_weight: Any = None, *, check: bool = True
    ) -> None:
        self.x = to_tensor(x, "x")
        self.y = None if y is None else to_tensor(y, "y")
        self.sample_weight = (
            None if sample_weight is None else to_tensor(sample_weight, "sample_weight").float()
        )
        n = len(self.x)
        for arg, value in (("y", self.y), ("sample_weight", self.sample_weight)):
            if value is not None and len(value) != n:
                raise ValueError(
                    f"x and {arg} must have the same number of samples, received x with {n} "
                    f"samples (shape {tuple(self.x.shape)}) and {arg} with {len(value)} samples "
                    f"(shape {tuple(value.shape)})."
                )
        if n == 0:
            raise ValueError("x has no samples (its first axis has length 0).")
        if check:
            check_finite(self.x, "x")
            if self.y is not None:
                check_finite(self.y, "y")

    def __len__(self) -> int:
        return len(self.x)

    def split(self, validation_split: float) -> tuple[ArrayData, ArrayData]:
        """Keras's split: the *last* ``validation_split`` fraction, before any shuffling."""
        if not isinstance(validation_split, (int, float)) or not 0.0 <= validation_split < 1.0:
            raise ValueError(
                "Expected 0 <= validation_split < 1, received "
                f"validation_split={validation_split!r}."
            )
        n = len(self)
        cut = math.floor(n * (1.0 - validation_split))
        if cut == 0 or cut == n:
            raise ValueError(
                f"validation_split={validation_split} of {n} samples leaves "
                f"{'no training' if cut == 0 else 'no validation'} samples; use more samples or "
                "another fraction."
            )
        return self._take(slice(0, cut)), self._take(slice(cut, n))

    def _take(self, index: slice) -> ArrayData:
        part = ArrayData.__new__(ArrayData)
        part.x = self.x[index]
        part.y = None if self.y is None else self.y[index]
        part.sample_weight = None if self.sample_weight is None else self.sample_weight[index]
        return part

    def num_batches(self, batch_size: int) -> int:
        return math.ceil(len(self) / batch_size)

    def batches(self, batch_size: int, shuffle: bool) -> Iterator[Batch]:
        """One epoch of batches; the last partial batch is kept, as in Keras."""
        n = len(self)
        order = torch.randperm(n) if shuffle else None
        tensors = (self.x, self.y, self.sample_weight)
        for start in range(0, n, batch_size):
            if order is None:
                index: Any = slice(start, start + batch_size)
                yield tuple(None if t is None else t[index] for t in tensors)  # type: ignore[misc]
            else:
                index = order[start : start + batch_size]
                yield tuple(None if t is None else t.index_select(0, index) for t in tensors)  # type: ignore[misc]


def adapt(x: Any, y: Any = None, sample_weight: Any = None, *, arg: str = "x") -> ArrayData:
    """Turn user data into an adapter (the single dispatcher for every kind of input)."""
    if isinstance(x, (tuple, list)) and y is None and len(x) in (2, 3) and arg == "validation_data":
        return ArrayData(*x)
    if isinstance(x, torch.utils.data.Dataset | torch.utils.data.DataLoader) or _is_iterator(x):
        raise NotImplementedError(
            f"{arg}: torch Datasets, DataLoaders and generators are not supported yet; pass numpy "
            "arrays or tensors."
        )
    return ArrayData(x, y, sample_weight)


def _is_iterator(value: Any) -> bool:
    return hasattr(value, "__next__") and not isinstance(value, (np.ndarray, torch.Tensor))


def class_weights_to_sample_weights(
    y: torch.Tensor, class_weight: dict[int, float]
) -> torch.Tensor:
    """Keras's ``class_weight``: each sample weighs as much as its class (index or one-hot)."""
    labels = y.argmax(dim=-1) if y.dim() > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.round().long()
    table = torch.ones(int(max(int(labels.max()) + 1, max(class_weight) + 1)))
    for label, weight in class_weight.items():
        table[int(label)] = float(weight)
    return table[labels]
