"""What every data adapter shares: the Batch record, the adapter interface, conversion to
tensors, input checks and Keras's ``class_weight``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import torch

# Moved to kerastorch.utils.tensors (layers use them too); still importable from here.
from kerastorch.utils.tensors import check_finite, to_tensor  # noqa: F401

DEFAULT_BATCH_SIZE = 32


class Batch(NamedTuple):
    """One batch as the step functions take it; ``mask`` is ``(batch, timesteps)`` for ragged
    sequences (True for real steps), else None."""

    x: torch.Tensor
    y: torch.Tensor | None = None
    sample_weight: torch.Tensor | None = None
    mask: torch.Tensor | None = None


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


def check_steps(steps: Any, arg: str) -> int | None:
    """``steps_per_epoch`` / ``validation_steps`` / ``steps``: None or a positive integer."""
    if steps is None:
        return None
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0:
        raise ValueError(
            f"Expected {arg} to be a positive integer or None, received {arg}={steps!r}."
        )
    return int(steps)


def check_class_weight(class_weight: Any) -> dict[int, float] | None:
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict):
        raise TypeError(
            "class_weight must be a dict mapping class indices to weights, e.g. "
            f"{{0: 1.0, 1: 5.0}}; received {type(class_weight).__name__}."
        )
    return {int(label): float(weight) for label, weight in class_weight.items()}


def class_weights_to_sample_weights(
    y: torch.Tensor, class_weight: dict[int, float]
) -> torch.Tensor:
    """Keras's ``class_weight``: each sample weighs as much as its class.

    The class is ``y`` rounded (sparse labels ``(N,)`` or ``(N, 1)``) or its argmax (one-hot
    ``(N, C)``); classes missing from ``class_weight`` weigh 1. No host sync: the lookup runs
    where ``y`` is.

    Example:
        >>> class_weights_to_sample_weights(torch.tensor([0, 1, 2]), {1: 5.0})
        tensor([1., 5., 1.])
    """
    one_hot = y.dim() > 1 and y.shape[-1] > 1
    labels = y.argmax(dim=-1) if one_hot else y.reshape(len(y), -1)[:, 0]
    labels = labels.round().long() if labels.is_floating_point() else labels.long()
    size = max((label for label in class_weight if label >= 0), default=-1) + 1
    table = torch.ones(size + 1, device=y.device)  # the last entry: classes without a weight
    for label, weight in class_weight.items():
        if label >= 0:
            table[label] = weight
    known = (labels >= 0) & (labels < size)
    return table[torch.where(known, labels, size)]


class DataAdapter:
    """The interface the loops use; one subclass per kind of input.

    ``batches(batch_size, shuffle, keep_order)`` gives one epoch of :class:`Batch`;
    ``indexed_batches(batch_size)`` gives ``(index, batch)`` pairs in a fixed order for
    ``predict`` (``index`` says which samples, a ``slice`` or an index tensor);
    ``num_batches(batch_size)`` is ``None`` when unknown; ``first_batch(batch_size)`` is what the
    model is built from (inputs that can be read only once keep it for the first epoch).

    Attributes:
        one_shot: The input can be read only once (a generator): epochs continue it.
        targets_in_data: Targets come with the data (datasets, loaders, generators), so ``fit``'s
            ``y`` must be None.
        varying_shapes: Batches may differ in shape beyond the batch axis (streams of batches):
            the model is built with an unknown time axis.
        description: How errors name the input ("a torch DataLoader").
    """

    one_shot = False
    targets_in_data = False
    varying_shapes = False
    description = "arrays"

    def num_batches(self, batch_size: int) -> int | None:
        raise NotImplementedError

    def num_samples(self) -> int | None:
        """How many samples, if known and if ``batch_size`` decides the batches."""
        return None

    def batches(self, batch_size: int, shuffle: bool, keep_order: bool = False) -> Iterator[Batch]:
        raise NotImplementedError

    def indexed_batches(
        self, batch_size: int, keep_order: bool = False
    ) -> Iterator[tuple[Any, Batch]]:
        raise NotImplementedError

    def first_batch(self, batch_size: int) -> Batch:
        return next(iter(self.batches(batch_size, shuffle=False, keep_order=True)))

    def split(self, validation_split: float) -> tuple[DataAdapter, DataAdapter]:
        raise ValueError(
            "Argument `validation_split` is only supported for tensors or NumPy arrays. Found "
            f"incompatible type in the input: [{self.input_type!r}]. Pass validation_data "
            "instead (e.g. another DataLoader), or split the dataset yourself "
            "(torch.utils.data.random_split)."
        )

    @property
    def input_type(self) -> type:
        return type(self)

    def set_class_weight(self, class_weight: dict[int, float]) -> None:
        raise NotImplementedError


def batch_size_for_steps(data: DataAdapter, batch_size: Any, steps: int | None) -> int:
    """Keras's rule: without ``batch_size``, ``steps`` batches cover the samples once
    (``ceil(N / steps)`` per batch); otherwise ``batch_size`` or 32."""
    if batch_size is None and steps is not None:
        n = data.num_samples()
        if n:
            return max(1, math.ceil(n / steps))
    return check_batch_size(batch_size)
