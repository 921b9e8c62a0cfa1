"""Data adapters: every kind of input becomes batches (:class:`Batch`) before the loop sees it.

``adapt()`` is the one dispatcher. One module per kind of input: ``arrays.py`` (numpy arrays,
tensors, lists of one shape), ``ragged.py`` (lists of sequences of different lengths).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from kerastorch.training.data.arrays import ArrayData, split_point
from kerastorch.training.data.base import (
    DEFAULT_BATCH_SIZE,
    Batch,
    check_batch_size,
    check_finite,
    to_tensor,
)
from kerastorch.training.data.ragged import RaggedData, is_ragged

Adapter = ArrayData | RaggedData

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Adapter",
    "ArrayData",
    "Batch",
    "RaggedData",
    "adapt",
    "check_batch_size",
    "check_finite",
    "class_weights_to_sample_weights",
    "is_ragged",
    "split_point",
    "to_tensor",
]


def adapt(x: Any, y: Any = None, sample_weight: Any = None, *, arg: str = "x") -> Adapter:
    """Turn user data into an adapter (the single dispatcher for every kind of input).

    Example:
        >>> type(adapt(np.zeros((4, 3)), np.zeros(4))).__name__
        'ArrayData'
        >>> type(adapt([np.zeros((3, 2)), np.zeros((5, 2))])).__name__
        'RaggedData'
    """
    if arg == "validation_data":
        if not isinstance(x, (tuple, list)) or len(x) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                f"sample_weight_val), received {type(x).__name__}"
                f"{f' of length {len(x)}' if isinstance(x, (tuple, list)) else ''}."
            )
        x, y, sample_weight = (*x, None)[:3]
    if isinstance(x, (torch.utils.data.Dataset, torch.utils.data.DataLoader)) or _is_iterator(x):
        raise NotImplementedError(
            f"{arg}: torch Datasets, DataLoaders and generators are not supported yet; pass numpy "
            "arrays, tensors or a list of sequences."
        )
    if is_ragged(x):
        return RaggedData(x, y, sample_weight)
    return ArrayData(x, y, sample_weight)


def _is_iterator(value: Any) -> bool:
    return hasattr(value, "__next__") and not isinstance(value, (np.ndarray, torch.Tensor))


def class_weights_to_sample_weights(
    y: torch.Tensor, class_weight: dict[int, float]
) -> torch.Tensor:
    """Keras's ``class_weight``: each sample weighs as much as its class (index or one-hot)."""
    labels = y.argmax(dim=-1) if y.dim() > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.round().long()
    table = torch.ones(int(max(int(labels.max()) + 1, max(class_weight) + 1)))
    for label, weight in class_weight.items():
        table[int(label)] = float(weight)
    return table[labels]
