"""What all data shares: the Batch record, the two stages (:class:`InputData`, the converted
input; :class:`DataAdapter`, its batches), conversion to tensors, input checks and Keras's
``class_weight``."""

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
    checked = {}
    for label, weight in class_weight.items():
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
            raise TypeError(
                f"class_weight keys must be class indices (int), received {label!r} "
                f"({type(label).__name__}) with the weight {weight!r}."
            )
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)):
            raise TypeError(
                f"class_weight[{label}] must be a number (how much class {label} weighs), "
                f"received {weight!r} ({type(weight).__name__})."
            )
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(
                f"class_weight[{label}] must be a finite number >= 0, received {weight!r}."
            )
        checked[int(label)] = float(weight)
    return checked


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


class InputData:
    """The user's input, converted but not yet batched: the first of the two stages of data.

    :func:`~kerastorch.training.data.as_data` makes one from ``fit``'s ``x`` (one subclass per
    kind of input); :func:`~kerastorch.training.data.adapt` then serves it in batches through a
    :class:`DataAdapter` created with the batch size, shuffling and order. In between, ``fit``
    splits off the validation data (:meth:`split`) and picks the batch size
    (:func:`batch_size_for_steps`).

    Attributes:
        has_targets: The batches carry targets (or may: datasets and streams bring their own,
            checked batch by batch); False for arrays given without ``y``.
        description: How errors name the input ("a torch DataLoader").
    """

    has_targets = True
    description = "arrays"

    @property
    def input_type(self) -> type:
        """The type of the user's object, for error messages."""
        return type(self)

    def num_samples(self) -> int | None:
        """How many samples, if known and if ``fit``'s ``batch_size`` decides the batches."""
        return None

    def split(self, validation_split: float) -> tuple[InputData, InputData]:
        """Keras's ``validation_split``: arrays only (see ``ArrayData.split``)."""
        raise ValueError(
            "Argument `validation_split` is only supported for tensors or NumPy arrays. Found "
            f"incompatible type in the input: [{self.input_type!r}]. Pass validation_data "
            "instead (e.g. another DataLoader), or split the dataset yourself "
            "(torch.utils.data.random_split)."
        )


class DataAdapter:
    """Serves one input in batches (:class:`Batch`), with the batch size, shuffling and order it
    was created with; the loops use nothing else of the data.

    ``batches()`` is one pass (an epoch, unless ``steps_per_epoch`` cuts it: ``epochs.py``);
    ``indexed_batches()`` is one pass in a fixed order with the positions of each batch's
    samples, for ``predict`` (a ``slice`` or an index tensor); ``first_batch()`` is what the
    model is built from (an input that can be read only once keeps it for the first pass).

    Attributes:
        batch_size: Samples per batch, or None when the input brings its own batches (a
            ``DataLoader``, a generator).
        one_shot: The input can be read only once (a generator): passes continue it.
        infinite: A pass never ends (a repeated dataset): ``steps_per_epoch`` / ``steps`` must
            say where an epoch ends.
        epoch_hooks: The input has ``on_epoch_begin`` / ``on_epoch_end`` (a ``PyDataset``):
            ``EpochIterator`` calls them around every epoch.
        varying_shapes: Batches may differ in shape beyond the batch axis (streams of batches):
            the model is built with an unknown time axis.
        description: How errors name the input, as the :class:`InputData` served.
    """

    batch_size: int | None = None
    one_shot = False
    infinite = False
    epoch_hooks = False
    varying_shapes = False
    description = "arrays"

    def num_batches(self) -> int | None:
        """Batches per pass; None when unknown (a stream of unknown length)."""
        raise NotImplementedError

    def batches(self) -> Iterator[Batch]:
        raise NotImplementedError

    def indexed_batches(self) -> Iterator[tuple[Any, Batch]]:
        raise NotImplementedError

    def first_batch(self) -> Batch:
        raise NotImplementedError

    def pin_memory(self) -> None:
        """Page-lock in-memory arrays for asynchronous copies to a GPU (arrays only)."""

    def on_epoch_begin(self) -> None:
        """Before an epoch's first batch (with ``epoch_hooks``)."""

    def on_epoch_end(self) -> None:
        """After an epoch's last batch (with ``epoch_hooks``)."""


def batch_size_for_steps(data: InputData, batch_size: Any, steps: int | None) -> int:
    """Keras's rule: without ``batch_size``, ``steps`` batches cover the samples once
    (``ceil(N / steps)`` per batch); otherwise ``batch_size`` or 32."""
    if batch_size is None and steps is not None:
        n = data.num_samples()
        if n:
            return max(1, math.ceil(n / steps))
    return check_batch_size(batch_size)
