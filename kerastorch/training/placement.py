"""Where the model's weights live, and moving each batch there."""

from __future__ import annotations

from typing import NamedTuple

import torch

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
    x = batch.x
    if torch.is_tensor(x) and x.is_floating_point() and x.dtype != dtype:
        x = x.to(dtype)
    moved = (x, *batch[1:])
    if device.type == "cpu":
        return Batch(*moved)
    # Text (numpy arrays of str) stays on the host: the text layers read it there.
    return Batch(*(t.to(device, non_blocking=True) if torch.is_tensor(t) else t for t in moved))
