"""dtype arguments as Keras takes them: ``None``, a name such as ``"float32"``, or a torch dtype."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["resolve_dtype"]


def resolve_dtype(dtype: Any, where: str) -> torch.dtype:
    """``None`` -> float32 (Keras's floatx); a torch dtype as it is; a name -> its torch dtype.

    Example:
        >>> resolve_dtype("int64", "Zeros"), resolve_dtype(None, "Zeros")
        (torch.int64, torch.float32)
    """
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    resolved = getattr(torch, str(dtype), None)
    if not isinstance(resolved, torch.dtype):
        raise ValueError(f"{where}: expected a dtype such as 'float32', received dtype={dtype!r}.")
    return resolved
