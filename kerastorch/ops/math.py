"""The math part of ``keras.ops``: segment reductions, ``top_k``, ``logsumexp``, ``erf``, ...

Example:
    >>> import torch
    >>> from kerastorch import ops
    >>> ops.segment_sum(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0, 0, 1]))
    tensor([3., 3.])
    >>> ops.top_k(torch.tensor([3.0, 1.0, 2.0]), 2).values
    tensor([3., 2.])
"""

from __future__ import annotations

import math
from typing import Any

import torch

from kerastorch.ops.conversion import as_tensor, as_tensors
from kerastorch.ops.operation import keras_op

__all__ = [
    "cdist",
    "erf",
    "erfc",
    "erfinv",
    "extract_sequences",
    "in_top_k",
    "logdet",
    "logsumexp",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "top_k",
]

TensorLike = Any

_SEGMENT_FILL = {"sum": 0.0, "amax": -math.inf, "amin": math.inf, "prod": 1.0}


def _segment_reduce(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None, reduce: str
) -> torch.Tensor:
    data = as_tensor(data)
    ids = as_tensor(segment_ids, device=data.device)
    if ids.dim() != 1:
        raise ValueError(
            "segment reductions expect 1-D segment_ids. Received: "
            f"segment_ids.shape={tuple(ids.shape)}. Flatten data and ids, or use vectorized_map."
        )
    if ids.shape[0] != data.shape[0]:
        raise ValueError(
            "segment_ids and data must have the same leading dimension. Received: "
            f"segment_ids.shape={tuple(ids.shape)}, data.shape={tuple(data.shape)}."
        )
    ids = ids.long()
    count = int(num_segments) if num_segments is not None else int(ids.max()) + 1
    # Ids outside [0, count) go to an extra segment that is dropped at the end.
    ids = torch.where((ids >= 0) & (ids < count), ids, count)
    compute = data if data.is_floating_point() else data.float()
    initial = torch.full(
        (count + 1, *data.shape[1:]), _SEGMENT_FILL[reduce], dtype=compute.dtype, device=data.device
    )
    index = ids.reshape((-1,) + (1,) * (data.dim() - 1)).expand(data.shape)
    return initial.scatter_reduce(0, index, compute, reduce)[:-1].to(data.dtype)


@keras_op
def segment_sum(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Sum of the rows of ``data`` sharing each segment id (ids outside the range are dropped).

    Example:
        >>> segment_sum(torch.tensor([[1, 2], [3, 4], [5, 6]]), torch.tensor([0, 1, 0]))
        tensor([[6, 8],
                [3, 4]])
    """
    return _segment_reduce(data, segment_ids, num_segments, "sum")


@keras_op
def segment_max(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Maximum of the rows of ``data`` sharing each segment id (-inf for an empty segment)."""
    return _segment_reduce(data, segment_ids, num_segments, "amax")


@keras_op
def segment_min(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Minimum of the rows of ``data`` sharing each segment id (+inf for an empty segment)."""
    return _segment_reduce(data, segment_ids, num_segments, "amin")


@keras_op
def segment_prod(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> torch.Tensor:
    """Product of the rows of ``data`` sharing each segment id (1 for an empty segment)."""
    return _segment_reduce(data, segment_ids, num_segments, "prod")


@keras_op
def top_k(x: TensorLike, k: int, sorted: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` largest values along the last axis and their indices, as ``(values, indices)``.

    Example:
        >>> values, indices = top_k(torch.tensor([1.0, 5.0, 3.0]), 2)
        >>> values, indices
        (tensor([5., 3.]), tensor([1, 2]))
    """
    return torch.topk(as_tensor(x), k, sorted=sorted)


@keras_op
def in_top_k(targets: TensorLike, predictions: TensorLike, k: int) -> torch.Tensor:
    """Whether each target's prediction is among the ``k`` largest of its row (ties count)."""
    predictions = as_tensor(predictions)
    targets = as_tensor(targets, device=predictions.device).long()[:, None]
    kth = torch.topk(predictions, k).values
    target_values = torch.take_along_dim(predictions, targets, dim=-1)
    return torch.any(target_values >= kth, dim=-1)


@keras_op
def logsumexp(
    x: TensorLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> torch.Tensor:
    """``log(sum(exp(x)))`` over ``axis`` (all axes by default), computed stably.

    Example:
        >>> logsumexp(torch.tensor([0.0, 0.0]))
        tensor(0.6931)
    """
    x = as_tensor(x)
    dims = tuple(range(x.dim())) if axis is None else axis
    if isinstance(dims, list):
        dims = tuple(dims)
    return torch.logsumexp(x, dim=dims, keepdim=keepdims)


@keras_op
def rsqrt(x: TensorLike) -> torch.Tensor:
    """``1 / sqrt(x)``."""
    return torch.rsqrt(as_tensor(x))


@keras_op
def erf(x: TensorLike) -> torch.Tensor:
    """The error function."""
    return torch.erf(as_tensor(x))


@keras_op
def erfc(x: TensorLike) -> torch.Tensor:
    """The complementary error function ``1 - erf(x)``."""
    return torch.erfc(as_tensor(x))


@keras_op
def erfinv(x: TensorLike) -> torch.Tensor:
    """The inverse error function."""
    return torch.erfinv(as_tensor(x))


@keras_op
def logdet(x: TensorLike) -> torch.Tensor:
    """Log of the determinant of (a batch of) square matrices."""
    return torch.logdet(as_tensor(x))


@keras_op
def extract_sequences(x: TensorLike, sequence_length: int, sequence_stride: int) -> torch.Tensor:
    """Frames of ``sequence_length`` along the last axis, every ``sequence_stride`` steps.

    Example:
        >>> extract_sequences(torch.arange(5), 2, 2)
        tensor([[0, 1],
                [2, 3]])
    """
    return as_tensor(x).unfold(-1, sequence_length, sequence_stride)


@keras_op
def cdist(x: TensorLike, y: TensorLike) -> torch.Tensor:
    """Euclidean distances between the rows of ``x`` and of ``y`` (batch axes broadcast)."""
    x, y = as_tensors(x, y)
    if x.dim() < 2 or y.dim() < 2:
        raise ValueError("cdist expects inputs of rank >= 2.")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"cdist: the last axes differ: x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}."
        )
    diff = x.unsqueeze(-2) - y.unsqueeze(-3)
    return torch.sqrt(torch.sum(diff * diff, dim=-1))
