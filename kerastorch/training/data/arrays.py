"""Adapter for in-memory arrays: numpy arrays, tensors and nested lists of one shape.

NOTE [lazy arrays]
    Arrays are converted to tensors once, up front, and batches are slices (or one
    ``index_select`` when shuffling) of those tensors. Two kinds of arrays are instead kept as
    they are and converted one batch at a time (:class:`LazyArray`): numpy memmaps
    (``np.memmap``, ``np.load(..., mmap_mode="r")``), whose rows are read from disk only when a
    batch needs them, and in-memory arrays of at least ``LAZY_CONVERSION_BYTES`` that need a dtype
    conversion (float64 -> float32, int32 -> int64), which would otherwise be copied whole.
    Their NaN check is made per batch.

NOTE [text columns]
    Raw strings (a numpy array of ``str``, or a list of strings) have no tensor: they stay a
    numpy array (:class:`TextArray`) and each batch is a slice of it, which the model's text
    layer (``TextVectorization``, ``StringLookup``, ``Hashing``) turns into token ids.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from kerastorch.training.data.base import Batch, check_finite, to_tensor
from kerastorch.training.data.indexed import IndexedData, split_point
from kerastorch.training.data.padded import PaddedSteps, PaddingRule
from kerastorch.utils.tensors import target_dtype

# In-memory arrays at least this big that need a dtype conversion are converted per batch.
LAZY_CONVERSION_BYTES = 1 << 28  # 256 MiB


class LazyArray:
    """A numpy array converted to a tensor one batch at a time (NOTE [lazy arrays]).

    Indexing with a slice or an index tensor returns a tensor of just those rows; ``view`` returns
    another :class:`LazyArray` (for ``validation_split``).

    Example:
        >>> lazy = LazyArray(np.arange(6.0).reshape(3, 2), "x")
        >>> lazy[1:3]
        tensor([[2., 3.],
                [4., 5.]])
    """

    def __init__(self, array: np.ndarray, arg: str, floating: bool = False) -> None:
        if array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
        ):
            raise TypeError(
                f"{arg} must hold numbers, received an array of dtype {array.dtype}. Convert "
                "strings or objects to numbers first (e.g. token ids or floats)."
            )
        if array.ndim == 0:
            raise ValueError(f"{arg} is a scalar; it needs a first axis of samples.")
        self.array = array
        self.arg = arg
        self.floating = floating
        self.dtype = target_dtype(array.dtype, floating)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    def __len__(self) -> int:
        return len(self.array)

    def _convert(self, rows: np.ndarray, positions: torch.Tensor) -> torch.Tensor:
        # np.array copies: a memmap's rows are read into memory, never shared with the file.
        tensor = torch.from_numpy(np.array(rows, dtype=self.dtype))
        check_finite(tensor, self.arg, positions)
        return tensor

    def __getitem__(self, index: slice | torch.Tensor) -> torch.Tensor:
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(self))
            return self._convert(self.array[index], torch.arange(start, max(start, stop)))
        return self.index_select(0, index)

    def index_select(self, dim: int, index: torch.Tensor) -> torch.Tensor:
        """Rows ``index`` (axis 0 only), read with one numpy fancy-indexing call."""
        return self._convert(self.array[index.cpu().numpy()], index)

    def view(self, index: slice) -> LazyArray:
        return LazyArray(self.array[index], self.arg, self.floating)

    def materialize(self) -> torch.Tensor:
        """The whole array as a tensor (for small arrays such as labels)."""
        return self[0 : len(self)]


def is_lazy_candidate(value: Any) -> bool:
    """Memmaps, and big in-memory numpy arrays whose conversion would copy them."""
    if isinstance(value, np.memmap):
        return True
    return (
        isinstance(value, np.ndarray)
        and value.nbytes >= LAZY_CONVERSION_BYTES
        and value.dtype != target_dtype(value.dtype, floating=False)
    )


class TextArray:
    """A column of strings batched by indexing (NOTE [text columns]).

    Example:
        >>> TextArray(["a b", "c", "d e f"], "x")[1:3]
        array(['c', 'd e f'], dtype='<U5')
    """

    def __init__(self, values: Any, arg: str) -> None:
        array = np.asarray(values)
        if array.dtype.kind == "S":
            array = np.char.decode(array, "utf-8")
        elif array.dtype == object:
            array = array.astype(str)
        if array.ndim == 0:
            raise ValueError(f"{arg} is one string; it needs a first axis of samples.")
        self.array = array

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index: slice | torch.Tensor) -> np.ndarray:
        if isinstance(index, slice):
            return self.array[index]
        return self.index_select(0, index)

    def index_select(self, dim: int, index: torch.Tensor) -> np.ndarray:
        return self.array[index.cpu().numpy()]

    def view(self, index: slice) -> TextArray:
        return TextArray(self.array[index], "x")

    def materialize(self) -> np.ndarray:
        return self.array


def is_text(value: Any) -> bool:
    """Strings: a numpy array of str / bytes (or of Python strings), or a (nested) list of them.

    Example:
        >>> is_text(["good movie", "bad movie"]), is_text(np.zeros(2))
        (True, False)
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "US":
            return True
        return value.dtype == object and value.size > 0 and isinstance(value.flat[0], (str, bytes))
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return isinstance(value, (str, bytes, np.str_))


Column = torch.Tensor | LazyArray | TextArray


def as_column(value: Any, arg: str, floating: bool = False) -> Column:
    """A tensor converted once, a :class:`LazyArray` (NOTE [lazy arrays]) or a
    :class:`TextArray` of strings (NOTE [text columns])."""
    if is_text(value):
        if floating:
            raise TypeError(f"{arg} must hold numbers, received strings.")
        return TextArray(value, arg)
    if is_lazy_candidate(value):
        return LazyArray(value, arg, floating)
    tensor = to_tensor(value, arg)
    return tensor.float() if floating else tensor


def _part(column: Column | None, index: slice) -> Any:
    if column is None:
        return None
    return column.view(index) if isinstance(column, (LazyArray, TextArray)) else column[index]


def check_sample_weight_shape(weight_shape: tuple[int, ...], y_shape: tuple[int, ...]) -> None:
    """Refuse a ``sample_weight`` whose shape cannot weigh ``y``: it is per sample (``(N,)`` or
    ``(N, 1)``) or follows y's leading axes (per timestep ``(N, T)`` for y ``(N, T, k)``).

    Example:
        >>> check_sample_weight_shape((8, 3), (8, 1))
        Traceback (most recent call last):
        ...
        ValueError: sample_weight has shape (8, 3), which cannot weigh y of shape (8, 1): ...
    """
    if len(weight_shape) <= 1 or weight_shape[1:] == (1,):
        return
    if weight_shape == y_shape[: len(weight_shape)]:
        return
    raise ValueError(
        f"sample_weight has shape {weight_shape}, which cannot weigh y of shape {y_shape}: "
        f"expected one weight per sample, shape ({weight_shape[0]},), or one per timestep, "
        f"shape {y_shape[:2]} (y's leading axes)."
    )


class ArrayData(IndexedData):
    """In-memory arrays of ``N`` samples: ``x``, optional ``y`` and ``sample_weight``.

    ``sample_weight`` is per sample ``(N,)`` or, for sequence outputs, per time step ``(N, T)``.
    Memmaps and big arrays needing a dtype conversion are read per batch (NOTE [lazy arrays]).
    Padded sequences masked by the model (:meth:`with_padding`) have lengths, and may be cut to
    each batch's valid steps (NOTE [padded arrays] in ``padded.py``).

    Example:
        >>> data = ArrayData(np.zeros((50, 3)), np.zeros((50, 1)))
        >>> len(data), tuple(data.batch(slice(0, 32)).x.shape)
        (50, (32, 3))
    """

    padding: PaddedSteps | None = None

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None) -> None:
        self.x = as_column(x, "x")
        self.y = None if y is None else as_column(y, "y")
        self.sample_weight = (
            None if sample_weight is None else as_column(sample_weight, "sample_weight", True)
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
        if self.sample_weight is not None and self.y is not None:
            check_sample_weight_shape(tuple(self.sample_weight.shape), tuple(self.y.shape))
        for arg, value in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)):
            if isinstance(value, torch.Tensor):  # lazy arrays are checked per batch
                check_finite(value, arg)

    @classmethod
    def _of_columns(
        cls,
        x: Column,
        y: Column | None,
        sample_weight: Column | None,
        padding: PaddedSteps | None = None,
    ) -> ArrayData:
        """Columns already converted and checked (parts of another ArrayData)."""
        data = cls.__new__(cls)
        data.x, data.y, data.sample_weight, data.padding = x, y, sample_weight, padding
        return data

    def with_padding(self, rule: PaddingRule | None) -> ArrayData:
        """These arrays, with the valid steps of every row of ``x`` found under ``rule`` (NOTE
        [padded arrays] in ``padded.py``); as they are when there is no rule, or ``x`` does not
        have the rule's shape or is read batch by batch (a memmap).

        Example:
            >>> x = np.zeros((3, 4, 2), dtype="float32")
            >>> x[0, :1], x[1, :3], x[2, :2] = 1.0, 1.0, 1.0
            >>> data = ArrayData(x).with_padding(PaddingRule(0.0, features=True, trim=True))
            >>> data.lengths.tolist(), tuple(data.batch(torch.tensor([0, 2])).x.shape)
            ([1, 3, 2], (2, 2, 2))
        """
        x = self.x
        if (
            rule is None
            or not isinstance(x, torch.Tensor)
            or x.dim() != (3 if rule.features else 2)
            or x.shape[1] == 0
        ):
            return self
        steps = PaddedSteps.of_array(x, rule)
        return ArrayData._of_columns(x, self.y, self.sample_weight, steps)

    @property
    def lengths(self) -> torch.Tensor | None:
        """Valid steps per row of padded sequences (:meth:`with_padding`), else None."""
        return None if self.padding is None else self.padding.lengths

    @property
    def trims_steps(self) -> bool:
        """Batches are cut to their own valid steps (NOTE [padded arrays])."""
        return self.padding is not None and self.padding.trim

    def __len__(self) -> int:
        return len(self.x)

    @property
    def has_targets(self) -> bool:
        return self.y is not None

    def pin_memory(self) -> None:
        """Page-lock the in-memory arrays once, so every batch copies to the GPU asynchronously
        (``non_blocking``). Memmaps and lazily converted arrays are left as they are."""
        for name in ("x", "y", "sample_weight"):
            tensor = getattr(self, name)
            if torch.is_tensor(tensor) and not tensor.is_pinned():
                setattr(self, name, tensor.pin_memory())

    def split(self, validation_split: float) -> tuple[ArrayData, ArrayData]:
        """Keras's split: the *last* ``validation_split`` fraction, before any shuffling."""
        cut = split_point(len(self), validation_split)
        return self._take(slice(0, cut)), self._take(slice(cut, len(self)))

    def _take(self, index: slice) -> ArrayData:
        return ArrayData._of_columns(
            _part(self.x, index),
            _part(self.y, index),
            _part(self.sample_weight, index),
            None if self.padding is None else self.padding[index],
        )

    def class_labels(self) -> torch.Tensor:
        if self.y is None:
            raise ValueError("class_weight needs targets y to find each sample's class.")
        if isinstance(self.y, TextArray):
            raise TypeError("class_weight needs numeric class labels y, received strings.")
        return self.y.materialize() if isinstance(self.y, LazyArray) else self.y

    def with_sample_weight(self, sample_weight: torch.Tensor) -> ArrayData:
        return ArrayData._of_columns(self.x, self.y, sample_weight, self.padding)

    def batch(self, index: slice | torch.Tensor) -> Batch:
        """The samples ``index``: views for a slice, one ``index_select`` for an index tensor;
        ``x`` cut to the batch's valid steps when padding may be trimmed (NOTE [padded arrays])."""
        x = self.x
        if self.trims_steps:
            x = x[:, self.padding.window(index)]  # a view: only the kept steps are copied
        columns = (x, self.y, self.sample_weight)
        if isinstance(index, slice):
            return Batch(*(None if c is None else c[index] for c in columns))
        return Batch(*(None if c is None else c.index_select(0, index) for c in columns))

    def first_samples(self, count: int) -> Batch:
        columns = (self.x, self.y, self.sample_weight)
        return Batch(*(None if c is None else c[:count] for c in columns))
