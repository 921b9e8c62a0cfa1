"""Label and array helpers from ``keras.utils``: ``to_categorical`` and ``normalize``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["normalize", "to_categorical"]


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray | torch.Tensor:
    """Integer class labels -> one-hot rows, as ``keras.utils.to_categorical``.

    A trailing axis of size 1 is dropped first (labels of shape ``(N, 1)`` give ``(N, C)``), and
    the class axis goes last. Arrays and lists give a float64 numpy array, tensors a float32
    tensor, as in Keras. Unlike Keras, a label outside ``[0, num_classes)`` is an error (Keras's
    numpy path wraps negative labels around to the last classes).

    Args:
        x: Class labels: integers from 0 to ``num_classes - 1``, any shape.
        num_classes: Number of classes; defaults to ``max(x) + 1``.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]])
        >>> to_categorical(np.array([[1], [0]]), num_classes=3).shape
        (2, 3)
    """
    labels = x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)
    whole = (
        labels.dtype == np.bool_
        or np.issubdtype(labels.dtype, np.integer)
        or (np.issubdtype(labels.dtype, np.floating) and (labels == np.round(labels)).all())
    )
    if labels.size and not whole:
        raise ValueError(
            "to_categorical expects integer class labels, received an array of dtype "
            f"{labels.dtype}{_first_value(labels)}."
        )
    labels = labels.astype(np.int64)
    shape = labels.shape[:-1] if labels.ndim > 1 and labels.shape[-1] == 1 else labels.shape
    flat = labels.reshape(-1)
    if num_classes is None:
        if not flat.size:
            raise ValueError("to_categorical received no labels; pass num_classes.")
        num_classes = int(flat.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"Expected num_classes to be an integer, received {num_classes!r}.")
    num_classes = int(num_classes)
    if num_classes <= 0:
        raise ValueError(f"Expected num_classes to be positive, received {num_classes}.")
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        bad = int(flat[(flat < 0) | (flat >= num_classes)][0])
        raise ValueError(
            f"to_categorical: label {bad} is outside [0, {num_classes}) for num_classes="
            f"{num_classes}. Labels must be 0 .. num_classes - 1."
        )
    if torch.is_tensor(x):
        one_hot = F.one_hot(torch.from_numpy(flat), num_classes).to(torch.float32)
        return one_hot.reshape(*shape, num_classes).to(x.device)
    one_hot = np.zeros((flat.size, num_classes))
    one_hot[np.arange(flat.size), flat] = 1.0
    return one_hot.reshape(*shape, num_classes)


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray | torch.Tensor:
    """``x`` divided by its ``order``-norm along ``axis`` (rows of zeros stay zeros), as
    ``keras.utils.normalize``. Arrays give arrays; tensors give tensors, divided by
    ``max(norm, 1e-7)`` as Keras's ``ops.normalize`` does. ``axis=0`` works on arrays too
    (Keras's array path turns it into ``-1``).

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    if torch.is_tensor(x):
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / norm.clamp(min=1e-7)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def _first_value(labels: np.ndarray) -> str:
    return f" (first value {labels.reshape(-1)[0]!r})" if labels.size else ""
