"""Turning user data into tensors as Keras converts its inputs, and checking it is finite.

Shared by the data adapters (``kerastorch.training.data``) and the layers that take data
(``Normalization.adapt``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["check_finite", "to_tensor"]


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
