"""What one item of a dataset, loader or generator means, and how it becomes a :class:`Batch`.

A *batch element* (what a DataLoader or a generator yields) is Keras's ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)``; a list counts as a tuple and a lone tensor or array is ``x``.
A *sample* (what ``dataset[i]`` returns) has the same structure for one sample; samples are
collated field by field with :func:`collate`.

Each field is converted as arrays are (floats -> float32, integers -> int64, booleans ->
float32). A field that is a list of sequences of different lengths (a ragged batch) is
right-padded with zeros and ``x``'s mask comes with it, as ragged ``fit`` data does; ``x`` may
also be given already padded as a pair ``(x_padded, mask)`` with a boolean ``(batch, time)``
mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.training.data.arrays import TextArray, is_text
from kerastorch.training.data.base import (
    Batch,
    check_finite,
    class_weights_to_sample_weights,
    to_tensor,
)
from kerastorch.training.data.ragged import pad_batch

STRUCTURE = "(x,), (x, y) or (x, y, sample_weight)"


def unpack(element: Any, source: str) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from one yielded batch, with None for what is missing."""
    if torch.is_tensor(element) or isinstance(element, np.ndarray):
        return element, None, None
    if isinstance(element, list):
        element = tuple(element)
    if isinstance(element, tuple) and 1 <= len(element) <= 3:
        return (*element, None, None)[:3]
    if isinstance(element, dict):
        raise TypeError(
            f"{source} yielded a dict (keys {sorted(map(str, element))}); kerastorch models take "
            f"one input: yield tuples {STRUCTURE}."
        )
    what = f"a tuple of length {len(element)}" if isinstance(element, tuple) else type(element)
    raise ValueError(f"{source} must yield batches {STRUCTURE} (tuples or lists), received {what}.")


def _item_shape(item: Any) -> tuple[int, ...] | None:
    shape = getattr(item, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(item, (list, tuple)):
        return (len(item),)
    return ()


def convert_field(value: Any, arg: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One field of a batch as a tensor; a list of sequences of different lengths is padded and
    comes with its ``(batch, time)`` mask (else the mask is None). Strings stay a numpy array
    of ``str`` (NOTE [text columns] in ``arrays.py``)."""
    if is_text(value):
        return TextArray(value, arg).array, None
    if torch.is_tensor(value) or isinstance(value, np.ndarray):
        return to_tensor(value, arg), None
    if isinstance(value, (list, tuple)) and len(value) > 0:
        items = list(value)
        shapes = {_item_shape(item) for item in items}
        if len(shapes) > 1:
            if () in shapes:
                raise ValueError(f"{arg} mixes scalars and sequences; give each sample one shape.")
            return pad_batch(items, arg)
        if all(torch.is_tensor(item) for item in items):
            return to_tensor(torch.stack(items), arg), None
    return to_tensor(value, arg), None


def _as_padded_pair(x: Any) -> tuple[Any, torch.Tensor] | None:
    """``(x_padded, mask)`` given for x: a boolean mask of shape ``x_padded.shape[:2]``."""
    if not (isinstance(x, tuple) and len(x) == 2):
        return None
    padded, mask = x
    if not all(torch.is_tensor(t) or isinstance(t, np.ndarray) for t in (padded, mask)):
        return None
    mask = torch.as_tensor(mask)
    if mask.dtype != torch.bool or mask.dim() != 2 or tuple(mask.shape) != tuple(padded.shape[:2]):
        return None
    return padded, mask


def to_batch(
    element: Any,
    source: str,
    *,
    class_weight: dict[int, float] | None = None,
    check: bool = True,
) -> Batch:
    """Convert one yielded batch ``(x,)`` / ``(x, y)`` / ``(x, y, sample_weight)`` to a Batch.

    ``class_weight`` (Keras's rule for batched inputs) turns ``y`` into sample weights; a batch
    that carries its own sample weights cannot also take ``class_weight``. ``check`` looks for
    NaN / inf in CPU tensors (never on an accelerator: that would be a host sync per step).

    Example:
        >>> batch = to_batch(([[1.0], [2.0]], [0, 1]), "generator", class_weight={1: 3.0})
        >>> batch.sample_weight
        tensor([1., 3.])
    """
    x, y, sample_weight = unpack(element, source)
    if x is None:
        raise ValueError(f"{source} yielded a batch without x: {STRUCTURE} expected.")
    pair = _as_padded_pair(x)
    if pair is not None:
        x, mask = convert_field(pair[0], "x")[0], pair[1].to(pair[0].device)
    else:
        x, mask = convert_field(x, "x")
    if y is not None:
        y, _ = convert_field(y, "y")
    if sample_weight is not None:
        sample_weight = convert_field(sample_weight, "sample_weight")[0].float()
        if class_weight is not None:
            raise ValueError(
                "You cannot specify `class_weight` and `sample_weight` at the same time: "
                f"{source} yields its own sample weights ((x, y, sample_weight) batches)."
            )
    elif class_weight is not None and y is not None:
        sample_weight = class_weights_to_sample_weights(y, class_weight)
    n = len(x) if np.ndim(x) else 0
    for arg, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None and (value.dim() == 0 or len(value) != n):
            raise ValueError(
                f"{source} yielded a batch whose x has {n} samples (shape {tuple(x.shape)}) but "
                f"whose {arg} has shape {tuple(value.shape)}; they need the same first axis."
            )
    if check:
        for arg, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            if torch.is_tensor(value) and value.device.type == "cpu":
                check_finite(value, f"{arg} (in a batch from {source})")
    return Batch(x, y, sample_weight, mask)


def collate(samples: Sequence[Any], source: str) -> tuple[Any, ...]:
    """Samples ``[(x_i, y_i), ...]`` (or ``[x_i, ...]``) as one batch element ``(xs, ys)``:
    one list per field, converted later by :func:`to_batch` (stacked, or padded if ragged)."""
    first = samples[0]
    if isinstance(first, dict):
        raise TypeError(
            f"{source} returned a dict sample; kerastorch models take one input: return tuples "
            "(x, y) or (x, y, sample_weight) from __getitem__."
        )
    if not isinstance(first, (tuple, list)):
        return (list(samples),)
    size = len(first)
    if not 1 <= size <= 3:
        raise ValueError(
            f"{source} returned samples of length {size}; expected (x,), (x, y) or "
            "(x, y, sample_weight) per sample."
        )
    if any(not isinstance(s, (tuple, list)) or len(s) != size for s in samples):
        raise ValueError(f"{source} returned samples of different structures in one batch.")
    return tuple(list(field) for field in zip(*samples, strict=True))
