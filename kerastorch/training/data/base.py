"""What every data adapter shares: the Batch record, conversion to tensors, input checks."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch

DEFAULT_BATCH_SIZE = 32


class Batch(NamedTuple):
    """One batch as the step functions take it; ``mask`` is ``(batch, timesteps)`` for ragged
    sequences (True for real steps), else None."""

    x: torch.Tensor
    y: torch.Tensor | None = None
    sample_weight: torch.Tensor | None = None
    mask: torch.Tensor | None = None


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
