"""Turning user data into tensors as Keras converts its inputs, and checking it is finite.

Shared by the data adapters (``kerastorch.training.data``) and the layers that take data
(``Normalization.adapt``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["check_finite", "target_dtype", "to_tensor"]


def to_tensor(value: Any, arg: str) -> torch.Tensor:
    """Convert numpy arrays, tensors and (nested) lists to a tensor, as Keras converts inputs:
    floats become float32, integers int64 (token ids), booleans float32.

    Example:
        >>> to_tensor([[1, 2]], "x").dtype, to_tensor(np.zeros(2), "x").dtype
        (torch.int64, torch.float32)
    """
    if torch.is_tensor(value):
        tensor = value.detach()
    else:
        missing = _first_none(value)
        if missing is not None:
            raise ValueError(
                f"{arg}[{missing}] is None: every item must be an array or a list of numbers. "
                "Drop the missing items (with their targets), or fill them in."
            )
        try:
            array = _from_pandas(value, arg) if _is_pandas(value) else np.asarray(value)
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
        if not array.flags.writeable:
            # A read-only array (pandas 3's copy-on-write, a read-only memmap) cannot be shared
            # with a tensor: convert it now (one copy, which the conversion below would make).
            array = array.astype(target_dtype(array.dtype))
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.dtype == torch.bool or (tensor.is_floating_point() and tensor.dtype != torch.float32):
        tensor = tensor.float()
    elif not tensor.is_floating_point() and not tensor.is_complex() and tensor.dtype != torch.int64:
        tensor = tensor.long()
    return tensor


def target_dtype(dtype: np.dtype, floating: bool = False) -> np.dtype:
    """The numpy dtype of the tensor :func:`to_tensor` makes of an array of ``dtype`` (float32
    if ``floating``).

    Example:
        >>> target_dtype(np.dtype("uint8")), target_dtype(np.dtype("float64"))
        (dtype('int64'), dtype('float32'))
    """
    if floating or dtype == np.bool_ or np.issubdtype(dtype, np.floating):
        return np.dtype(np.float32)
    if np.issubdtype(dtype, np.integer):
        return np.dtype(np.int64)
    return dtype


def _is_pandas(value: Any) -> bool:
    module = type(value).__module__
    return (module == "pandas" or module.startswith("pandas.")) and hasattr(value, "to_numpy")


def _from_pandas(value: Any, arg: str) -> np.ndarray:
    """A DataFrame or Series of numbers as one numpy array: nullable columns (``Float64``,
    ``Int64``, ``boolean``) by their numpy dtype, missing values (``pd.NA``) as NaN (which the
    finiteness check then reports with their row)."""
    if hasattr(value, "columns"):
        columns = list(zip(value.columns, value.dtypes, strict=True))
    else:
        columns = [(value.name, value.dtype)]
    numpy_dtypes = [_numeric_dtype(dtype) for _, dtype in columns]
    others = [
        f"{name!r} ({dtype})"
        for (name, dtype), d in zip(columns, numpy_dtypes, strict=True)
        if d is None
    ]
    if others:
        raise TypeError(
            f"{arg} must hold numbers, received a {type(value).__name__} with the column(s) "
            f"{', '.join(others)}. Convert them to numbers first (e.g. pd.get_dummies for "
            "categories), or select the numeric columns."
        )
    common = np.result_type(*numpy_dtypes) if numpy_dtypes else np.dtype(np.float32)
    try:
        return value.to_numpy(dtype=common)
    except (ValueError, TypeError):  # missing values in integer or boolean columns
        return value.to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_dtype(dtype: Any) -> np.dtype | None:
    """The numpy dtype of a pandas column of numbers or booleans (nullable ones included)."""
    try:
        numpy_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    except TypeError:  # a categorical, string or other pandas-only dtype
        return None
    if np.issubdtype(numpy_dtype, np.number) or numpy_dtype == np.bool_:
        return numpy_dtype
    return None


def _first_none(value: Any) -> int | None:
    """The index of the first None item of a list or tuple (what numpy would turn into an
    array of objects, or refuse as "inhomogeneous")."""
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if item is None:
                return i
    return None


def check_finite(tensor: torch.Tensor, arg: str, positions: torch.Tensor | None = None) -> None:
    """NaN or inf in the data would silently turn the loss into NaN: say where it is instead.

    ``positions`` maps the rows of ``tensor`` (a batch) to sample indices for the message.

    Example:
        >>> check_finite(torch.tensor([[1.0, float("nan")]]), "x")
        Traceback (most recent call last):
        ...
        ValueError: x contains NaN or infinite values, in 1 sample(s), first at index 0. ...
    """
    if tensor.is_floating_point() and tensor.numel():
        if bool(torch.isfinite(tensor.sum())):
            return  # one reduction settles the common case; a finite sum means finite values
        finite = torch.isfinite(tensor.reshape(len(tensor), -1)).all(dim=1)
        if not bool(finite.all()):
            bad = torch.nonzero(~finite).flatten()
            first = int(bad[0] if positions is None else positions[bad[0]])
            raise ValueError(
                f"{arg} contains NaN or infinite values, in {len(bad)} sample(s), first at index "
                f"{first}. Remove or impute them before training (e.g. np.nan_to_num)."
            )
