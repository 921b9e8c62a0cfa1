"""Where the model's weights live, and moving each batch there."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

from kerastorch.symbolic import map_structure
from kerastorch.training.data import Batch


class Placement(NamedTuple):
    """Where the model's weights live; batches are moved (and float inputs cast) to match."""

    device: torch.device
    dtype: torch.dtype


def placement_of(model: torch.nn.Module) -> Placement:
    """The device and dtype of the model's first parameter (the CPU and float32 without any).

    Example:
        >>> placement_of(torch.nn.Linear(2, 1))
        Placement(device=device(type='cpu'), dtype=torch.float32)
    """
    param = next(model.parameters(), None)
    if param is None:
        return Placement(torch.device("cpu"), torch.float32)
    return Placement(param.device, param.dtype)


def to_device(placement: Placement, batch: Batch) -> Batch:
    """``batch`` on the model's device, its float inputs in the model's dtype."""
    device, dtype = placement
    if device.type == "cpu" and dtype == torch.float32:
        return batch  # the common case: nothing to do, no per-step work

    def cast(x: torch.Tensor) -> torch.Tensor:
        if torch.is_tensor(x) and x.is_floating_point() and x.dtype != dtype:
            return x.to(dtype)
        return x

    def move(t: Any) -> Any:
        # Text (numpy arrays of str) stays on the host: the text layers read it there.
        return t.to(device, non_blocking=True) if torch.is_tensor(t) else t

    moved = (map_structure(cast, batch.x), *batch[1:])
    if device.type == "cpu":
        return Batch(*moved)
    return Batch(*(map_structure(move, field) for field in moved))
