"""Streaming metrics with Keras 3's semantics, their state kept in torch tensors.

A metric accumulates over the batches of an epoch: ``update_state(y_true, y_pred,
sample_weight=None)`` once per batch, ``result()`` when the value is needed, ``reset_state()``
between epochs. Its state tensors live on the device of the data they were fed, and
``update_state`` never reads a value back to the host (no ``.item()``, ``float()`` or ``if
tensor``), so calling it at every training step costs no GPU synchronization: only ``result()``
followed by the caller's ``.item()`` does.

Most metrics are the running, sample-weighted mean of a per-sample function
(:class:`MeanMetricWrapper`). :class:`RootMeanSquaredError` is the square root of the running
mean of squared errors over *all* batches seen, not a mean of per-batch RMSEs.

Names: a metric made from a string carries that exact string as its ``name`` (History keys are
the strings given to ``compile``: ``["acc"]`` gives ``acc`` / ``val_acc``). ``"accuracy"`` /
``"acc"`` resolve like Keras 3's ``compile``, from the shapes of the data (see :func:`get`).

Example:
    >>> import torch
    >>> from kerastorch import metrics
    >>> m = metrics.get("mae")
    >>> m.update_state(torch.tensor([1.0, 2.0]), torch.tensor([[1.5], [2.5]]))
    >>> m.update_state(torch.tensor([0.0]), torch.tensor([[2.0]]))
    >>> m.name, m.result()
    ('mae', tensor(1.))
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch import losses as losses_module
from kerastorch.dtypes import resolve_dtype
from kerastorch.errors import did_you_mean
from kerastorch.losses import (  # the loss functions keras.metrics re-exports, too
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    is_binary_or_sparse_categorical,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    squeeze_or_expand_to_same_rank,
)
from kerastorch.registry import Registry
from kerastorch.utils.naming import snake_case

__all__ = [
    "AUC",
    "METRICS",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "R2Score",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "confusion_counts",
    "cosine_similarity",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]

TensorLike = Any  # a torch.Tensor, or anything torch.as_tensor accepts


def _detached(x: TensorLike, device: torch.device | None = None) -> torch.Tensor:
    """``x`` as a tensor without autograd history (metrics must not keep the graph alive)."""
    return torch.as_tensor(x, device=device).detach()


# ---------------------------------------------------------------------------------------------
# Per-sample metric functions
# ---------------------------------------------------------------------------------------------


def accuracy(y_true: TensorLike, y_pred: TensorLike) -> torch.Tensor:
    """1.0 where ``y_true == y_pred`` exactly, else 0.0 (after reconciling the ranks).

    Example:
        >>> accuracy(torch.tensor([1, 2]), torch.tensor([1.0, 3.0]))
        tensor([1., 0.])
    """
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device).to(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(torch.float32)


def binary_accuracy(y_true: TensorLike, y_pred: TensorLike, threshold: float = 0.5) -> torch.Tensor:
    """1.0 where ``(y_pred > threshold)`` equals ``y_true``, else 0.0.

    Example:
        >>> binary_accuracy(torch.tensor([1.0, 0.0]), torch.tensor([[0.7], [0.6]]))
        tensor([[1.],
                [0.]])
    """
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).to(y_true.dtype)
    return (y_true == y_pred).to(torch.float32)


def categorical_accuracy(y_true: TensorLike, y_pred: TensorLike) -> torch.Tensor:
    """1.0 where the argmax of ``y_pred`` equals the argmax of one-hot ``y_true``, else 0.0.

    Example:
        >>> categorical_accuracy(torch.tensor([[0, 1], [1, 0]]), torch.tensor([[0.2, 0.8]] * 2))
        tensor([1., 0.])
    """
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.argmax(torch.as_tensor(y_true, device=y_pred.device), dim=-1)
    y_true_shape = y_true.shape
    reshape = False
    if y_true.dim() == y_pred.dim():
        y_true = y_true.squeeze(-1)
        reshape = True
    matches = (y_true == torch.argmax(y_pred, dim=-1)).to(torch.float32)
    return matches.reshape(y_true_shape) if reshape else matches


def sparse_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike) -> torch.Tensor:
    """1.0 where the argmax of ``y_pred`` equals the integer label ``y_true``, else 0.0.

    ``y_true`` may be ``(N,)`` or ``(N, 1)`` for ``y_pred`` ``(N, C)`` (and ``(N, T)`` for
    ``(N, T, C)``); float labels are compared by value.

    Example:
        >>> sparse_categorical_accuracy(torch.tensor([1, 0]), torch.tensor([[0.2, 0.8]] * 2))
        tensor([1., 0.])
    """
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    if y_pred.is_floating_point():
        y_true = y_true.to(y_pred.dtype)
    y_true_shape = y_true.shape
    reshape = False
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
        reshape = True
    matches = (y_true == torch.argmax(y_pred, dim=-1).to(y_true.dtype)).to(torch.float32)
    if reshape:
        matches = matches.reshape(y_true_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets: torch.Tensor, predictions: torch.Tensor, k: int) -> torch.Tensor:
    """Whether each target's score is at least the k-th largest score of its row (ties count)."""
    k = min(k, predictions.shape[-1])
    kth_largest = torch.topk(predictions, k, dim=-1).values[..., -1:]
    target_score = torch.gather(predictions, -1, targets.long().unsqueeze(-1))
    return (target_score >= kth_largest).squeeze(-1)


def top_k_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike, k: int = 5) -> torch.Tensor:
    """1.0 where the one-hot target's class is among the ``k`` highest scores, else 0.0.

    Example:
        >>> y_pred = torch.tensor([[0.5, 0.3, 0.2]])
        >>> top_k_categorical_accuracy(torch.tensor([[0, 0, 1]]), y_pred, k=2)
        tensor([0.])
    """
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.argmax(torch.as_tensor(y_true, device=y_pred.device), dim=-1)
    matches = _in_top_k(y_true.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return matches.to(torch.float32).reshape(y_true.shape)


def sparse_top_k_categorical_accuracy(
    y_true: TensorLike, y_pred: TensorLike, k: int = 5
) -> torch.Tensor:
    """1.0 where the integer label is among the ``k`` highest scores, else 0.0.

    Example:
        >>> sparse_top_k_categorical_accuracy(torch.tensor([1]), torch.tensor([[0.5, 0.3, 0.2]]), 2)
        tensor([1.])
    """
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device).long()
    matches = _in_top_k(y_true.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return matches.to(torch.float32).reshape(y_true.shape)


def cosine_similarity(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> torch.Tensor:
    """Cosine similarity along ``axis`` (the loss of the same name is its negative).

    Example:
        >>> cosine_similarity(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]))
        tensor([1.])
    """
    return -losses_module.cosine_similarity(y_true, y_pred, axis=axis)


# ---------------------------------------------------------------------------------------------
# Base classes
# ---------------------------------------------------------------------------------------------


def pearson_correlation(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> torch.Tensor:
    """Pearson correlation of ``y_true`` and ``y_pred`` along ``axis`` (per sample), as Keras's.

    Example:
        >>> pearson_correlation(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[2.0, 4.0, 7.0]]))
        tensor([0.9934])
    """
    y_pred = _detached(y_pred)
    y_true = _detached(y_true, y_pred.device).to(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_centered = y_true - y_true.mean(dim=axis, keepdim=True)
    pred_centered = y_pred - y_pred.mean(dim=axis, keepdim=True)
    true_scaled = true_centered / true_centered.std(dim=axis, keepdim=True, correction=0)
    pred_scaled = pred_centered / pred_centered.std(dim=axis, keepdim=True, correction=0)
    return (true_scaled * pred_scaled).mean(dim=axis)


def concordance_correlation(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> torch.Tensor:
    """Lin's concordance correlation along ``axis`` (per sample), exactly as Keras 3.15 computes
    it, including its covariance term ``(y_true - mean(y_pred)) * (y_pred - mean(y_pred))``.

    Example:
        >>> y = torch.tensor([[1.0, 2.0, 3.0]])
        >>> concordance_correlation(y, y)
        tensor([1.0000])
    """
    y_pred = _detached(y_pred)
    y_true = _detached(y_true, y_pred.device).to(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = (y_true - true_mean).var(dim=axis, keepdim=True, correction=0)
    pred_var = (y_pred - pred_mean).var(dim=axis, keepdim=True, correction=0)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + (true_mean - pred_mean).square()
    return (2 * covariance / (norm + _EPSILON)).mean(dim=axis)


class Metric:
    """Base class of streaming metrics.

    Subclasses declare their state with :meth:`add_state` in ``__init__``, and implement
    :meth:`update_state` and :meth:`result`. State tensors follow the data to its device (moved
    at the first ``update_state`` on another device); ``update_state`` must not read values back
    to the host.

    Args:
        name: The metric's name (the History key); defaults to the snake-case class name.
        dtype: The dtype of the state and the result (default float32, as Keras's floatx).

    Attributes:
        direction: ``"up"`` if larger is better, ``"down"`` if smaller is, None if unknown (used
            by callbacks with ``mode="auto"``).

    Example:
        >>> class Count(Metric):
        ...     def __init__(self, name="count"):
        ...         super().__init__(name=name)
        ...         self.add_state("n")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self._move_state(torch.as_tensor(y_pred).device)
        ...         self.n = self.n + torch.as_tensor(y_pred).shape[0]
        ...     def result(self):
        ...         return self.n.clone()
        >>> c = Count()
        >>> c.update_state(None, torch.zeros(3)); c.result()
        tensor(3.)
    """

    direction: str | None = None

    def __init__(self, name: str | None = None, dtype: torch.dtype | str | None = None) -> None:
        self.name = name or snake_case(type(self).__name__)
        self.dtype = resolve_dtype(dtype, type(self).__name__)
        self._state_names: list[str] = []

    def add_state(self, name: str, shape: tuple[int, ...] = ()) -> torch.Tensor:
        """Create a zero state tensor stored as attribute ``name``; reset by :meth:`reset_state`."""
        value = torch.zeros(shape, dtype=self.dtype)
        setattr(self, name, value)
        self._state_names.append(name)
        return value

    @property
    def state_names(self) -> tuple[str, ...]:
        """The attribute names of the state tensors (declared with :meth:`add_state`)."""
        return tuple(self._state_names)

    def _move_state(self, device: torch.device) -> None:
        """Move the state to ``device`` if it lives elsewhere (a no-op, not a sync, otherwise)."""
        for name in self._state_names:
            value = getattr(self, name)
            if value.device != device:
                setattr(self, name, value.to(device))

    @property
    def device(self) -> torch.device:
        """The device the state lives on."""
        if not self._state_names:
            return torch.device("cpu")
        return getattr(self, self._state_names[0]).device

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Accumulate one batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self) -> torch.Tensor:
        """Return the current value, a 0-d tensor on the state's device."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self) -> None:
        """Zero the state (keeping its device)."""
        for name in self._state_names:
            setattr(self, name, torch.zeros_like(getattr(self, name)))

    def __call__(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> torch.Tensor:
        """``update_state`` with the batch, then return ``result()``."""
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (JSON-serializable)."""
        return {"name": self.name, "dtype": str(self.dtype).removeprefix("torch.")}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuild a metric from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _reduce_to_samplewise_values(
    values: torch.Tensor,
    sample_weight: torch.Tensor | None,
    reduce_fn: Callable[..., torch.Tensor] = torch.mean,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Weight ``values`` and reduce both to one value per sample, as Keras's ``Mean`` does.

    Values with more axes than the weights are first reduced (``reduce_fn``: mean for ``Mean``,
    sum for ``Sum``) over the extra trailing axes; weights with a time axis (``(N, T)``) are
    reduced over it after weighting.
    """
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.dim()
        if values.dim() > weight_ndim:
            values = reduce_fn(values, dim=tuple(range(weight_ndim, values.dim())))
        sample_weight = torch.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=tuple(range(1, weight_ndim)))
    if values.dim() > 1:
        values = reduce_fn(values, dim=tuple(range(1, values.dim())))
    return values, sample_weight


class Sum(Metric):
    """Running (weighted) sum of values.

    Example:
        >>> s = Sum()
        >>> s.update_state(torch.tensor([1.0, 2.0])); s.result()
        tensor(3.)
    """

    def __init__(self, name: str = "sum", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_state("total")

    def update_state(  # type: ignore[override]
        self, values: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        values = _detached(values).to(self.dtype)
        self._move_state(values.device)
        if sample_weight is not None:
            sample_weight = _detached(sample_weight, values.device).to(self.dtype)
        values, _ = _reduce_to_samplewise_values(values, sample_weight, reduce_fn=torch.sum)
        self.total = self.total + values.sum()

    def result(self) -> torch.Tensor:
        return self.total.clone()


class Mean(Metric):
    """Running weighted mean of values: ``sum(w * v) / sum(w)`` over everything seen.

    Without weights each sample (first axis) counts once; a 0-d value counts once. The epoch
    loss of ``fit`` is ``Mean`` fed each batch's loss with ``sample_weight=batch_size``.

    Args:
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = Mean()
        >>> m.update_state(torch.tensor(2.0), sample_weight=3)  # a batch of 3, mean loss 2
        >>> m.update_state(torch.tensor(4.0), sample_weight=1)
        >>> m.result()
        tensor(2.5000)
    """

    def __init__(self, name: str = "mean", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_state("total")
        self.count = self.add_state("count")

    def update_state(  # type: ignore[override]
        self, values: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Accumulate ``values`` (any shape; reduced per sample), weighted by ``sample_weight``."""
        if (
            isinstance(sample_weight, (int, float))
            and isinstance(values, torch.Tensor)
            and values.dim() == 0
        ):
            # fit's loss tracker: a 0-d loss weighted by the batch size (2 ops, no new tensors).
            values = values.detach().to(self.dtype)
            self._move_state(values.device)
            self.total = self.total + values * sample_weight
            self.count = self.count + sample_weight
            return
        values = _detached(values).to(self.dtype)
        self._move_state(values.device)
        if sample_weight is not None:
            sample_weight = _detached(sample_weight, values.device).to(self.dtype)
        values, sample_weight = _reduce_to_samplewise_values(values, sample_weight)
        self.total = self.total + values.sum()
        if sample_weight is not None:
            self.count = self.count + sample_weight.sum()
        else:
            self.count = self.count + (values.shape[0] if values.dim() >= 1 else 1)

    def result(self) -> torch.Tensor:
        zero = self.count == 0
        safe = torch.where(zero, torch.ones_like(self.count), self.count)
        return torch.where(zero, torch.zeros_like(self.total), self.total / safe)


class MeanMetricWrapper(Mean):
    """Running weighted mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: Returns one value per sample (or per sample and time step).
        name: The metric's name; defaults to ``fn.__name__``.
        dtype: The state's dtype.
        **kwargs: Passed to ``fn`` on every call.

    Example:
        >>> m = MeanMetricWrapper(binary_accuracy, name="acc", threshold=0.5)
        >>> m.update_state(torch.tensor([1.0, 0.0]), torch.tensor([0.9, 0.8]))
        >>> m.result()
        tensor(0.5000)
    """

    def __init__(
        self,
        fn: Callable[..., TensorLike],
        name: str | None = None,
        dtype: torch.dtype | str | None = None,
        **kwargs: Any,
    ) -> None:
        default = getattr(fn, "name", None) or getattr(fn, "__name__", None)
        super().__init__(name=name or default or snake_case(type(fn).__name__), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if self.direction is None and (
            isinstance(fn, losses_module.Loss) or fn in losses_module.LOSS_FUNCTIONS.values()
        ):
            self.direction = "down"

    @property
    def fn(self) -> Callable[..., TensorLike]:
        """The wrapped per-sample function."""
        return self._fn

    def update_state(  # type: ignore[override]
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Accumulate ``fn(y_true, y_pred)`` for one batch, weighted by ``sample_weight``."""
        y_pred = _detached(y_pred)
        y_true = _detached(y_true, y_pred.device)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", repr(self._fn))
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        if cls is MeanMetricWrapper:
            raise ValueError(
                "A MeanMetricWrapper cannot be rebuilt from its config: pass the function again "
                f"(MeanMetricWrapper(fn, name=...)). Received: config={config!r}."
            )
        return cls(**config)


# ---------------------------------------------------------------------------------------------
# Concrete metrics
# ---------------------------------------------------------------------------------------------


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (:func:`accuracy`).

    Example:
        >>> m = Accuracy()
        >>> m.update_state(torch.tensor([1, 2]), torch.tensor([1, 3])); m.result()
        tensor(0.5000)
    """

    direction = "up"

    def __init__(self, name: str = "accuracy", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels (:func:`binary_accuracy`).

    Args:
        name: The metric's name.
        dtype: The state's dtype.
        threshold: The decision threshold on predictions.

    Example:
        >>> m = BinaryAccuracy()
        >>> m.update_state(torch.tensor([1.0, 0.0]), torch.tensor([[0.7], [0.6]])); m.result()
        tensor(0.5000)
    """

    direction = "up"

    def __init__(
        self,
        name: str = "binary_accuracy",
        dtype: torch.dtype | str | None = None,
        threshold: float = 0.5,
    ) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches one-hot labels (:func:`categorical_accuracy`).

    Example:
        >>> m = CategoricalAccuracy()
        >>> m.update_state(torch.tensor([[0, 1]]), torch.tensor([[0.3, 0.7]])); m.result()
        tensor(1.)
    """

    direction = "up"

    def __init__(
        self, name: str = "categorical_accuracy", dtype: torch.dtype | str | None = None
    ) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches integer labels.

    See :func:`sparse_categorical_accuracy`.

    Example:
        >>> m = SparseCategoricalAccuracy()
        >>> m.update_state(torch.tensor([1]), torch.tensor([[0.3, 0.7]])); m.result()
        tensor(1.)
    """

    direction = "up"

    def __init__(
        self, name: str = "sparse_categorical_accuracy", dtype: torch.dtype | str | None = None
    ) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count as a hit.
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = TopKCategoricalAccuracy(k=2)
        >>> m.update_state(torch.tensor([[0, 0, 1]]), torch.tensor([[0.2, 0.5, 0.3]]))
        >>> m.result()
        tensor(1.)
    """

    direction = "up"

    def __init__(
        self,
        k: int = 5,
        name: str = "top_k_categorical_accuracy",
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count as a hit.
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = SparseTopKCategoricalAccuracy(k=2)
        >>> m.update_state(torch.tensor([2]), torch.tensor([[0.2, 0.5, 0.3]])); m.result()
        tensor(1.)
    """

    direction = "up"

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class _AutoAccuracy(MeanMetricWrapper):
    """``"accuracy"`` whose kind (binary / sparse / categorical) is decided from the shapes of
    the first batch, with Keras 3's rule; later batches use the same kind."""

    direction = "up"

    def __init__(self, name: str = "accuracy", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(self._dispatch, name=name, dtype=dtype)
        self.resolved: str | None = None

    def _dispatch(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        if self.resolved is None:
            self.resolved = _accuracy_kind(tuple(y_true.shape), tuple(y_pred.shape))
        return _ACCURACY_FUNCTIONS[self.resolved](y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        return Metric.get_config(self)


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.mean_squared_error`.

    Example:
        >>> m = MeanSquaredError()
        >>> m.update_state(torch.tensor([0.0, 0.0]), torch.tensor([[1.0], [3.0]])); m.result()
        tensor(5.)
    """

    direction = "down"

    def __init__(
        self, name: str = "mean_squared_error", dtype: torch.dtype | str | None = None
    ) -> None:
        super().__init__(losses_module.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.mean_absolute_error`.

    Example:
        >>> m = MeanAbsoluteError()
        >>> m.update_state(torch.tensor([0.0, 0.0]), torch.tensor([[1.0], [3.0]])); m.result()
        tensor(2.)
    """

    direction = "down"

    def __init__(
        self, name: str = "mean_absolute_error", dtype: torch.dtype | str | None = None
    ) -> None:
        super().__init__(losses_module.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.mean_absolute_percentage_error`.

    Example:
        >>> m = MeanAbsolutePercentageError()
        >>> m.update_state(torch.tensor([2.0]), torch.tensor([1.0])); m.result()
        tensor(50.)
    """

    direction = "down"

    def __init__(
        self,
        name: str = "mean_absolute_percentage_error",
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(losses_module.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.mean_squared_logarithmic_error`.

    Example:
        >>> m = MeanSquaredLogarithmicError()
        >>> m.update_state(torch.tensor([1.0]), torch.tensor([1.0])); m.result()
        tensor(0.)
    """

    direction = "down"

    def __init__(
        self,
        name: str = "mean_squared_logarithmic_error",
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(losses_module.mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """Square root of the running weighted mean of squared errors over all batches seen.

    Not the mean of per-batch RMSEs: batches of ``(0 vs 1)`` and ``(0 vs 3, 0 vs 3)`` give
    ``sqrt((1 + 9 + 9) / 3)``.

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state(torch.tensor([0.0]), torch.tensor([1.0]))
        >>> m.update_state(torch.tensor([0.0, 0.0]), torch.tensor([3.0, 3.0]))
        >>> m.result()
        tensor(2.5166)
    """

    direction = "down"

    def __init__(
        self, name: str = "root_mean_squared_error", dtype: torch.dtype | str | None = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(  # type: ignore[override]
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        y_pred = _detached(y_pred).to(self.dtype)
        y_true = _detached(y_true, y_pred.device).to(self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> torch.Tensor:
        return torch.sqrt(super().result())


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity (:func:`cosine_similarity`) along ``axis``.

    Example:
        >>> m = CosineSimilarity()
        >>> m.update_state(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]])); m.result()
        tensor(0.7071)
    """

    direction = "up"

    def __init__(
        self,
        name: str = "cosine_similarity",
        dtype: torch.dtype | str | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample :func:`pearson_correlation` along ``axis``, as Keras's.

    Example:
        >>> m = PearsonCorrelation()
        >>> m.update_state(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[2.0, 4.0, 7.0]]))
        >>> m.result()
        tensor(0.9934)
    """

    direction = "up"

    def __init__(
        self,
        name: str = "pearson_correlation",
        dtype: torch.dtype | str | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample :func:`concordance_correlation` along ``axis``, as Keras's.

    Example:
        >>> m = ConcordanceCorrelation()
        >>> m.update_state(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[1.0, 2.0, 3.0]]))
        >>> m.result()
        tensor(1.0000)
    """

    direction = "up"

    def __init__(
        self,
        name: str = "concordance_correlation",
        dtype: torch.dtype | str | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)


class LogCoshError(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.log_cosh`.

    Example:
        >>> m = LogCoshError()
        >>> m.update_state(torch.tensor([0.0]), torch.tensor([0.0])); m.result()
        tensor(0.)
    """

    direction = "down"

    def __init__(self, name: str = "logcosh", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(losses_module.log_cosh, name=name, dtype=dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.binary_crossentropy`.

    Args:
        name: The metric's name.
        dtype: The state's dtype.
        from_logits: Whether predictions are logits.
        label_smoothing: Squeeze targets towards 0.5.

    Example:
        >>> m = BinaryCrossentropy()
        >>> m.update_state(torch.tensor([1.0]), torch.tensor([0.5])); m.result()
        tensor(0.6931)
    """

    direction = "down"

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: torch.dtype | str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(
            losses_module.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.categorical_crossentropy`.

    Args:
        name: The metric's name.
        dtype: The state's dtype.
        from_logits: Whether predictions are logits.
        label_smoothing: Mix targets with the uniform distribution.
        axis: The class axis.

    Example:
        >>> m = CategoricalCrossentropy()
        >>> m.update_state(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])); m.result()
        tensor(0.6931)
    """

    direction = "down"

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: torch.dtype | str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            losses_module.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.sparse_categorical_crossentropy`.

    Args:
        name: The metric's name.
        dtype: The state's dtype.
        from_logits: Whether predictions are logits.
        axis: The class axis.

    Example:
        >>> m = SparseCategoricalCrossentropy()
        >>> m.update_state(torch.tensor([0]), torch.tensor([[0.5, 0.5]])); m.result()
        tensor(0.6931)
    """

    direction = "down"

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: torch.dtype | str | None = None,
        from_logits: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            losses_module.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            axis=axis,
        )


class KLDivergence(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.kl_divergence`.

    Example:
        >>> m = KLDivergence()
        >>> m.update_state(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.5, 0.5]])); m.result()
        tensor(0.)
    """

    direction = "down"

    def __init__(self, name: str = "kl_divergence", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(losses_module.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.poisson`.

    Example:
        >>> m = Poisson()
        >>> m.update_state(torch.tensor([0.0]), torch.tensor([2.0])); m.result()
        tensor(2.)
    """

    direction = "down"

    def __init__(self, name: str = "poisson", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(losses_module.poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.hinge`.

    Example:
        >>> m = Hinge()
        >>> m.update_state(torch.tensor([1.0]), torch.tensor([0.5])); m.result()
        tensor(0.5000)
    """

    direction = "down"

    def __init__(self, name: str = "hinge", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(losses_module.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.squared_hinge`.

    Example:
        >>> m = SquaredHinge()
        >>> m.update_state(torch.tensor([1.0]), torch.tensor([0.5])); m.result()
        tensor(0.2500)
    """

    direction = "down"

    def __init__(self, name: str = "squared_hinge", dtype: torch.dtype | str | None = None) -> None:
        super().__init__(losses_module.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Running mean of :func:`kerastorch.losses.categorical_hinge`.

    Example:
        >>> m = CategoricalHinge()
        >>> m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.2, 0.9]])); m.result()
        tensor(0.3000)
    """

    direction = "down"

    def __init__(
        self, name: str = "categorical_hinge", dtype: torch.dtype | str | None = None
    ) -> None:
        super().__init__(losses_module.categorical_hinge, name=name, dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Confusion-matrix metrics: Precision, Recall, AUC, TruePositives..., F1Score / FBetaScore
# ---------------------------------------------------------------------------------------------

_NEG_INF = -1e10  # Keras's threshold for top_k: every kept prediction is above it
_EPSILON = 1e-7  # Keras's backend.epsilon()


def _check_thresholds(thresholds: Any, where: str) -> list[float] | None:
    """``thresholds`` (a number or a sequence) as a list of floats in ``[0, 1]``, or None."""
    if thresholds is None:
        return None
    try:
        values = [float(t) for t in np.asarray(thresholds, dtype=np.float64).reshape(-1)]
    except (TypeError, ValueError):
        values = []
    if not values or not all(0 <= t <= 1 for t in values):
        raise ValueError(
            f"{where}: expected thresholds in [0, 1] (a float or a list of floats), received "
            f"thresholds={thresholds!r}."
        )
    return values


def _evenly_distributed(thresholds: list[float]) -> bool:
    """Keras's test for the fast bucketing path: at least 3 thresholds ``i / (n - 1)``."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=_EPSILON))


def _filter_top_k(x: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest values of the last axis, set the others to ``-1e10`` (Keras)."""
    index = torch.topk(x, k, dim=-1).indices
    keep = torch.zeros_like(x).scatter_(-1, index, 1.0)
    return x * keep + _NEG_INF * (1 - keep)


def _reverse_cumsum(buckets: torch.Tensor) -> torch.Tensor:
    return buckets.flip(0).cumsum(0).flip(0)


def confusion_counts(
    y_true: TensorLike,
    y_pred: TensorLike,
    thresholds: torch.Tensor,
    *,
    evenly_distributed: bool = False,
    thresholds_with_epsilon: bool = False,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: TensorLike | None = None,
    multi_label: bool = False,
    label_weights: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
) -> dict[str, torch.Tensor]:
    """One batch's (weighted) true/false positive/negative counts at each threshold.

    A prediction counts as positive at threshold ``t`` when ``y_pred > t``; labels are cast to
    bool (non-zero is positive). Keras's ``update_confusion_matrix_variables`` step by step:
    ranks reconciled, ``top_k`` filtering, ``class_id`` selection, then either the bucketing
    path (evenly spaced thresholds, O(N + T): each prediction falls in bucket
    ``ceil(p * (T - 1)) - 1`` and a reverse cumulative sum gives the counts) or a comparison
    with every threshold (O(N * T)). No value is read back to the host.

    Args:
        y_true: Labels, the shape of ``y_pred`` (up to a trailing axis of 1).
        y_pred: Predictions, in ``[0, 1]`` for meaningful thresholds.
        thresholds: 1-D tensor of thresholds on ``y_pred``'s device.
        evenly_distributed: Whether ``thresholds`` are ``i / (T - 1)`` (possibly with the
            first and last moved out by an epsilon, as AUC's are): use the bucketing path.
        thresholds_with_epsilon: Whether the first threshold is below 0 and the last above 1
            (then a prediction of exactly 0 is above the first threshold).
        top_k: Only the ``k`` largest predictions of each row can be positive.
        class_id: Only this column of ``y_true`` / ``y_pred`` counts.
        sample_weight: Weights broadcastable to the labels (``(N,)`` is per sample).
        multi_label: Count each label column separately: results of shape ``(T, L)``.
        label_weights: Per-label weights, applied when the labels are flattened.
        dtype: The dtype of the counts.

    Returns:
        ``{"tp", "fp", "tn", "fn"}`` -> tensors of shape ``(T,)`` (``(T, L)`` with
        ``multi_label``).

    Example:
        >>> counts = confusion_counts(torch.tensor([0, 1, 1]), torch.tensor([0.9, 0.8, 0.2]),
        ...                           torch.tensor([0.5]))
        >>> [float(counts[k][0]) for k in ("tp", "fp", "tn", "fn")]
        [1.0, 1.0, 0.0, 1.0]
    """
    y_pred = _detached(y_pred).to(dtype)
    y_true = _detached(y_true, y_pred.device).to(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = _detached(sample_weight, y_pred.device).to(dtype).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When class_id is given, y_pred must be 2-D with shape (num_samples, "
                f"num_classes); received y_pred of shape {tuple(y_pred.shape)}."
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    num_thresholds = thresholds.shape[0]

    if evenly_distributed:
        # The bucketing path (Keras's _update_confusion_matrix_variables_optimized).
        weights: torch.Tensor | float = 1.0
        if sample_weight is not None:
            weights = torch.broadcast_to(sample_weight, y_pred.shape)
            if not multi_label:
                weights = weights.reshape(-1)
        if label_weights is not None:
            lw = torch.broadcast_to(label_weights.to(y_pred.device).unsqueeze(0), y_pred.shape)
            weights = weights * (lw if multi_label else lw.reshape(-1))
        y_pred = y_pred.clamp(0.0, 1.0)
        y_true = (y_true != 0).to(dtype)
        if not multi_label:
            y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        true_labels = y_true * weights
        false_labels = (1.0 - y_true) * weights
        bucket = torch.ceil(y_pred * float(num_thresholds - 1)) - 1
        if thresholds_with_epsilon:
            # Every prediction in [0, 1] is above the first threshold (-eps): bucket 0.
            bucket = torch.relu(bucket)
        bucket = bucket.long()
        # Out-of-range buckets (-1: a prediction of exactly 0 with a threshold of 0) are dropped.
        bucket = torch.where((bucket >= 0) & (bucket < num_thresholds), bucket, num_thresholds)
        rest = tuple(true_labels.shape[1:])
        zeros = torch.zeros((num_thresholds + 1, *rest), dtype=dtype, device=y_pred.device)
        tp = _reverse_cumsum(zeros.scatter_add(0, bucket, true_labels)[:-1])
        fp = _reverse_cumsum(zeros.scatter_add(0, bucket, false_labels)[:-1])
        total_true = true_labels.sum(dim=0)
        total_false = false_labels.sum(dim=0)
        return {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}

    # The general path: compare every prediction with every threshold.
    if multi_label:
        predictions = y_pred.unsqueeze(0)  # (1, N, L)
        labels = (y_true != 0).unsqueeze(0)
        thresh = thresholds.reshape(num_thresholds, 1, 1)
    else:
        predictions = y_pred.reshape(1, -1)  # (1, N * L)
        labels = (y_true != 0).reshape(1, -1)
        thresh = thresholds.reshape(num_thresholds, 1)
    weights_tiled = None
    if sample_weight is not None:
        weights_tiled = torch.broadcast_to(sample_weight, y_pred.shape).reshape(predictions.shape)
    if label_weights is not None and not multi_label:
        lw = torch.broadcast_to(label_weights.to(y_pred.device).unsqueeze(0), y_pred.shape)
        lw = lw.reshape(predictions.shape)
        weights_tiled = lw if weights_tiled is None else weights_tiled * lw
    pred_is_pos = predictions > thresh
    pred_is_neg = ~pred_is_pos
    label_is_neg = ~labels

    def weighted_count(label: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
        both = label & pred
        if weights_tiled is None:
            return both.to(dtype).sum(dim=1)
        return torch.where(both, weights_tiled, torch.zeros_like(weights_tiled)).sum(dim=1)

    return {
        "tp": weighted_count(labels, pred_is_pos),
        "fp": weighted_count(label_is_neg, pred_is_pos),
        "tn": weighted_count(label_is_neg, pred_is_neg),
        "fn": weighted_count(labels, pred_is_neg),
    }


def _divide_no_nan(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``x / y``, with 0 where ``y == 0`` (Keras's ``ops.divide_no_nan``)."""
    zero = y == 0
    return torch.where(zero, torch.zeros_like(x), x / torch.where(zero, torch.ones_like(y), y))


class _ThresholdMetric(Metric):
    """Base of metrics counting confusion-matrix cells at a list of thresholds."""

    direction = "up"

    def _init_thresholds(self, thresholds: list[float], evenly: bool) -> None:
        self._threshold_list = thresholds
        self._evenly = evenly
        # Keras compares in the metric's dtype; the tensor follows the data to its device.
        self._threshold_tensor = torch.tensor(thresholds, dtype=self.dtype)
        self._with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0

    def _thresholds_on(self, device: torch.device) -> torch.Tensor:
        if self._threshold_tensor.device != device:
            self._threshold_tensor = self._threshold_tensor.to(device)
        return self._threshold_tensor

    def _counts(
        self,
        y_true: TensorLike,
        y_pred: TensorLike,
        sample_weight: TensorLike | None,
        **kwargs: Any,
    ) -> dict[str, torch.Tensor]:
        y_pred = _detached(y_pred)
        self._move_state(y_pred.device)
        return confusion_counts(
            y_true,
            y_pred,
            self._thresholds_on(y_pred.device),
            evenly_distributed=self._evenly,
            thresholds_with_epsilon=self._with_epsilon,
            sample_weight=sample_weight,
            dtype=self.dtype,
            **kwargs,
        )

    @property
    def thresholds(self) -> list[float]:
        """The thresholds the predictions are compared with (``y_pred > t`` is positive)."""
        return list(self._threshold_list)


class _ConfusionMatrixConditionCount(_ThresholdMetric):
    """Weighted count of one confusion-matrix cell at each threshold."""

    _cell = ""

    def __init__(
        self,
        thresholds: float | Sequence[float] | None = None,
        name: str | None = None,
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        values = _check_thresholds(thresholds, type(self).__name__) or [0.5]
        self._init_thresholds(values, _evenly_distributed(values))
        self.accumulator = self.add_state("accumulator", (len(values),))

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Add the batch's (weighted) count at each threshold."""
        self.accumulator = (
            self.accumulator + self._counts(y_true, y_pred, sample_weight)[self._cell]
        )

    def result(self) -> torch.Tensor:
        """The count: a 0-d tensor for one threshold, one value per threshold otherwise."""
        return self.accumulator[0].clone() if len(self._threshold_list) == 1 else self.accumulator

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of true positives (``y_true`` non-zero and ``y_pred > threshold``).

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5); one count each.
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = TruePositives()
        >>> m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
        >>> m.result()
        tensor(2.)
    """

    _cell = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of false positives (``y_true`` zero and ``y_pred > threshold``).

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5); one count each.
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = FalsePositives()
        >>> m.update_state(torch.tensor([0, 1, 0, 0]), torch.tensor([0.0, 0.0, 1.0, 1.0]))
        >>> m.result()
        tensor(2.)
    """

    _cell = "fp"
    direction = "down"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of true negatives (``y_true`` zero and ``y_pred <= threshold``).

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5); one count each.
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = TrueNegatives()
        >>> m.update_state(torch.tensor([0, 1, 0, 0]), torch.tensor([1.0, 1.0, 0.0, 0.0]))
        >>> m.result()
        tensor(2.)
    """

    _cell = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of false negatives (``y_true`` non-zero and ``y_pred <= threshold``).

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5); one count each.
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = FalseNegatives()
        >>> m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([0.0, 1.0, 0.0, 0.0]))
        >>> m.result()
        tensor(2.)
    """

    _cell = "fn"
    direction = "down"


class _PrecisionRecall(_ThresholdMetric):
    _second = ""  # "fp" for precision, "fn" for recall

    def __init__(
        self,
        thresholds: float | Sequence[float] | None = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        if top_k is not None and (
            isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1
        ):
            raise ValueError(
                f"{where}: expected top_k to be a positive integer, received {top_k=}."
            )
        if class_id is not None and (
            isinstance(class_id, bool) or not isinstance(class_id, int) or class_id < 0
        ):
            raise ValueError(
                f"{where}: expected class_id to be a non-negative integer, received {class_id=}."
            )
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k and no threshold, every prediction kept by top_k is positive (Keras).
        default = 0.5 if top_k is None else _NEG_INF
        values = _check_thresholds(thresholds, where) or [default]
        self._init_thresholds(values, _evenly_distributed(values))
        self.true_positives = self.add_state("true_positives", (len(values),))
        other = "false_positives" if self._second == "fp" else "false_negatives"
        setattr(self, other, self.add_state(other, (len(values),)))
        self._other = other

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Accumulate the batch's true positives and false positives (negatives for recall).

        Args:
            y_true: Binary labels (cast to bool), the shape of ``y_pred``.
            y_pred: Predictions in ``[0, 1]`` (probabilities, not logits).
            sample_weight: Weights broadcastable to ``y_true``; ``(N,)`` weighs each sample.
        """
        counts = self._counts(
            y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id
        )
        self.true_positives = self.true_positives + counts["tp"]
        setattr(self, self._other, getattr(self, self._other) + counts[self._second])

    def result(self) -> torch.Tensor:
        """The value over all batches: a 0-d tensor, or one value per threshold."""
        tp = self.true_positives
        value = _divide_no_nan(tp, tp + getattr(self, self._other))
        return value[0] if len(self._threshold_list) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """Precision ``TP / (TP + FP)`` over all batches seen, as Keras's ``Precision``.

    A prediction is positive when it is above the threshold (``y_pred > t``); labels are cast
    to bool. With ``top_k``, only the ``k`` highest predictions of each row can be positive; with
    ``class_id``, only that class's column counts. Zero when nothing is predicted positive.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]``; one precision per threshold
            (default 0.5, or every top-``k`` prediction when ``top_k`` is set). Use
            ``thresholds=0`` with a model that outputs logits.
        top_k: Count only the ``k`` largest predictions of each row.
        class_id: Count only this class (the last axis of ``y_pred``).
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = Precision()
        >>> m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
        >>> m.result()
        tensor(0.6667)
    """

    _second = "fp"


class Recall(_PrecisionRecall):
    """Recall ``TP / (TP + FN)`` over all batches seen, as Keras's ``Recall``.

    Positives, ``top_k`` and ``class_id`` work as in :class:`Precision`. Zero when there is no
    positive label.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]``; one recall per threshold
            (default 0.5, or every top-``k`` prediction when ``top_k`` is set).
        top_k: Count only the ``k`` largest predictions of each row.
        class_id: Count only this class (the last axis of ``y_pred``).
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = Recall()
        >>> m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
        >>> m.result()
        tensor(0.6667)
    """

    _second = "fn"


_AUC_CURVES = ("ROC", "PR", "PRGAIN")
_AUC_SUMMATIONS = ("interpolation", "majoring", "minoring")


def _choice(value: Any, valid: tuple[str, ...], arg: str) -> str:
    value = getattr(value, "value", value)  # Keras's AUCCurve / AUCSummationMethod enums
    if isinstance(value, str):
        for option in valid:
            if value.lower() == option.lower():
                return option
    hint = did_you_mean(value, valid) if isinstance(value, str) else ""
    raise ValueError(
        f"AUC: expected {arg} to be one of {', '.join(repr(v) for v in valid)}, received "
        f"{arg}={value!r}.{hint}"
    )


class AUC(_ThresholdMetric):
    """Area under the ROC or precision-recall curve, approximated as Keras's ``AUC`` does.

    The predictions are compared with ``num_thresholds`` thresholds ``i / (num_thresholds - 1)``
    (the first moved to ``-1e-7`` and the last to ``1 + 1e-7``, so that predictions of exactly 0
    and 1 are classified), the true/false positive/negative counts are accumulated over all
    batches, and the curve through the points is integrated: by the trapezoidal rule for ROC
    (``summation_method="interpolation"``), by Davis & Goadrich's interpolation for PR (the true
    and false positives are interpolated linearly between thresholds, not the precision), or by
    lower / upper Riemann sums (``"minoring"`` / ``"majoring"``).

    Args:
        num_thresholds: Number of thresholds (> 1; more is more accurate).
        curve: ``"ROC"``, ``"PR"`` (precision-recall) or ``"PRGAIN"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name: The metric's name.
        dtype: The state's dtype.
        thresholds: Explicit thresholds in ``[0, 1]`` instead of ``num_thresholds`` evenly
            spaced ones (``-1e-7`` and ``1 + 1e-7`` are added at the ends).
        multi_label: With 2-D labels, compute one AUC per label column and average them (with
            ``label_weights`` if given) instead of flattening the labels.
        num_labels: Number of label columns with ``multi_label`` (otherwise read from the first
            batch).
        label_weights: Per-label weights: weigh the flattened counts, or the per-label AUCs
            with ``multi_label``.
        from_logits: Apply a sigmoid to the predictions first.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0.0, 0.5, 0.3, 0.9]))
        >>> m.result()
        tensor(0.7500)
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: torch.dtype | str | None = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Sequence[float] | None = None,
        from_logits: bool = False,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._built = False
        self.curve = _choice(curve, _AUC_CURVES, "curve")
        self.summation_method = _choice(summation_method, _AUC_SUMMATIONS, "summation_method")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_check_thresholds(thresholds, "AUC") or [])
            self.num_thresholds = len(inner) + 2
            evenly = _evenly_distributed([0.0, *inner, 1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int):
                raise ValueError(
                    f"AUC: expected num_thresholds to be an integer > 1, received "
                    f"{num_thresholds=}."
                )
            if num_thresholds <= 1:
                raise ValueError(
                    f"AUC: expected num_thresholds to be an integer > 1, received "
                    f"{num_thresholds=}."
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        self._init_thresholds([0.0 - _EPSILON, *inner, 1.0 + _EPSILON], evenly)
        self.multi_label = bool(multi_label)
        if num_labels is not None and not self.multi_label:
            raise ValueError(
                "AUC: num_labels is only used with multi_label=True; received "
                f"{num_labels=} with multi_label=False."
            )
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else torch.as_tensor(label_weights, dtype=self.dtype)
        )
        self.from_logits = bool(from_logits)
        self._num_labels: int | None = None
        if not self.multi_label:
            self._build_states(None)
        elif num_labels:
            self._build_states(num_labels)

    def _build_states(self, labels: int | None) -> None:
        shape = (self.num_thresholds,) if labels is None else (self.num_thresholds, labels)
        self._num_labels = labels
        self.true_positives = self.add_state("true_positives", shape)
        self.false_positives = self.add_state("false_positives", shape)
        self.true_negatives = self.add_state("true_negatives", shape)
        self.false_negatives = self.add_state("false_negatives", shape)
        self._built = True

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Accumulate the batch's confusion counts at every threshold.

        Args:
            y_true: Binary labels (cast to bool), the shape of ``y_pred``.
            y_pred: Probabilities (logits with ``from_logits=True``).
            sample_weight: Weights broadcastable to ``y_true``; ``(N,)`` weighs each sample.
        """
        y_pred = _detached(y_pred)
        if self.multi_label and self._num_labels is None:
            if y_pred.dim() != 2:
                raise ValueError(
                    "AUC with multi_label=True expects y_pred of rank 2 (samples, labels), "
                    f"received shape {tuple(y_pred.shape)}."
                )
            self._build_states(y_pred.shape[1])
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred.to(self.dtype))
        label_weights = None
        if not self.multi_label and self.label_weights is not None:
            label_weights = self.label_weights.to(device=y_pred.device)
        counts = self._counts(
            y_true,
            y_pred,
            sample_weight,
            multi_label=self.multi_label,
            label_weights=label_weights,
        )
        self.true_positives = self.true_positives + counts["tp"]
        self.false_positives = self.false_positives + counts["fp"]
        self.true_negatives = self.true_negatives + counts["tn"]
        self.false_negatives = self.false_negatives + counts["fn"]

    def _average_labels(self, by_threshold: torch.Tensor) -> torch.Tensor:
        """Sum the per-interval areas; with multi_label, average the per-label areas."""
        if not self.multi_label:
            return by_threshold.sum()
        by_label = by_threshold.sum(dim=0)
        if self.label_weights is None:
            return by_label.mean()
        weights = self.label_weights.to(by_label.device)
        return _divide_no_nan((by_label * weights).sum(), weights.sum())

    def interpolate_pr_auc(self) -> torch.Tensor:
        """PR AUC with Davis & Goadrich's interpolation (Keras's ``interpolate_pr_auc``).

        Between two thresholds the true positives grow linearly with the predicted positives
        ``P``; precision is integrated exactly along that line:
        ``slope * (dTP + intercept * log(P_i / P_{i+1})) / positives``.
        """
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where(
            (p[: n - 1] > 0) & (p[1:] > 0),
            _divide_no_nan(p[: n - 1], torch.clamp(p[1:], min=0)),
            torch.ones_like(p[1:]),
        )
        increment = _divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
            torch.clamp(tp[1:] + fn[1:], min=0),
        )
        return self._average_labels(increment)

    def result(self) -> torch.Tensor:
        """The area under the curve from all batches seen (0-d)."""
        if not self._built:
            return torch.zeros((), dtype=self.dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN, with Keras's fixes for undefined gains
            scaling = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * _divide_no_nan(fp, tp)
            no_tp = tp == 0
            recall_gain = torch.where(no_tp, torch.zeros_like(recall_gain), recall_gain)
            precision_gain = torch.where(no_tp, torch.ones_like(precision_gain), precision_gain)
            x, y = torch.clamp(recall_gain, min=0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[: n - 1], y[1:])
        else:
            heights = torch.maximum(y[: n - 1], y[1:])
        return self._average_labels((x[: n - 1] - x[1:]) * heights)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


_F_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """F-beta score ``(1 + beta²) P R / (beta² P + R)`` over all batches seen, as Keras's.

    Inputs are ``(samples, classes)`` (one-hot or multi-label). A prediction is positive when it
    is above ``threshold``; with ``threshold=None`` the largest prediction of each row is
    positive (and ties with it; an all-zero row has none). Precision and recall are
    ``TP / (TP + FP + 1e-7)`` and ``TP / (TP + FN + 1e-7)`` per class (pooled for
    ``"micro"``), so a class never predicted nor present scores 0.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (counts pooled over classes),
            ``"macro"`` (mean of the class scores) or ``"weighted"`` (mean weighted by each
            class's number of true labels).
        beta: Weight of recall relative to precision (> 0).
        threshold: A float in ``(0, 1]``, or None for "the row's maximum".
        name: The metric's name.
        dtype: The state's dtype.

    Keras requires ``beta`` and ``threshold`` to be Python floats (``beta=2`` is refused);
    kerastorch accepts any real number.

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state(torch.tensor([[1, 0], [1, 1]]), torch.tensor([[0.9, 0.6], [0.2, 0.7]]))
        >>> m.result()
        tensor([0.5556, 0.8333])
    """

    direction = "up"

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        if average not in _F_AVERAGES:
            hint = (
                did_you_mean(average, ["micro", "macro", "weighted"])
                if isinstance(average, str)
                else ""
            )
            raise ValueError(
                f"{where}: expected average to be None, 'micro', 'macro' or 'weighted', received "
                f"average={average!r}.{hint}"
            )
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta > 0:
            raise ValueError(f"{where}: expected beta to be a number > 0, received beta={beta!r}.")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not 0 < threshold <= 1
        ):
            raise ValueError(
                f"{where}: expected threshold to be None or a number with 0 < threshold <= 1, "
                f"received threshold={threshold!r}."
            )
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2-D inputs of shape (batch_size, num_classes), "
                f"received y_true of shape {y_true_shape} and y_pred of shape {y_pred_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_state("true_positives", shape)
        self.false_positives = self.add_state("false_positives", shape)
        self.false_negatives = self.add_state("false_negatives", shape)
        self.intermediate_weights = self.add_state("intermediate_weights", shape)
        self._built = True

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Accumulate the batch's per-class true positives, false positives, false negatives.

        Args:
            y_true: ``(samples, classes)`` labels (0 or 1).
            y_pred: ``(samples, classes)`` scores.
            sample_weight: ``(samples,)`` weights.
        """
        y_pred = _detached(y_pred).to(self.dtype)
        y_true = _detached(y_true, y_pred.device).to(self.dtype)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        self._move_state(y_pred.device)
        if self.threshold is None:
            row_max = y_pred.amax(dim=-1, keepdim=True)
            # The row's maximum is positive, but an all-zero row stays all negative.
            positive = (y_pred >= row_max) & (y_pred.abs() > 1e-9)
        else:
            positive = y_pred > self.threshold
        y_pred = positive.to(self.dtype)
        weight = None
        if sample_weight is not None:
            weight = _detached(sample_weight, y_pred.device).to(self.dtype)
            weight = weight.reshape(-1, 1) if weight.dim() >= 1 else weight

        def weighted_sum(values: torch.Tensor) -> torch.Tensor:
            if weight is not None:
                values = values * weight
            return values.sum() if self.axis is None else values.sum(dim=self.axis)

        self.true_positives = self.true_positives + weighted_sum(y_pred * y_true)
        self.false_positives = self.false_positives + weighted_sum(y_pred * (1 - y_true))
        self.false_negatives = self.false_negatives + weighted_sum((1 - y_pred) * y_true)
        self.intermediate_weights = self.intermediate_weights + weighted_sum(y_true)

    def result(self) -> torch.Tensor:
        """The score: one per class with ``average=None``, a 0-d tensor otherwise."""
        if not self._built:
            return torch.zeros((), dtype=self.dtype)
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        precision = tp / (tp + fp + _EPSILON)
        recall = tp / (tp + fn + _EPSILON)
        beta2 = self.beta**2
        score = precision * recall / (beta2 * precision + recall + _EPSILON) * (1 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + _EPSILON)
            return (score * weights).sum()
        if self.average is not None:
            return score.mean()
        return score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score ``2 P R / (P + R)``: :class:`FBetaScore` with ``beta=1``, as Keras's.

    Args:
        average: ``None`` (one score per class), ``"micro"``, ``"macro"`` or ``"weighted"``.
        threshold: A float in ``(0, 1]``, or None to take each row's largest prediction.
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = F1Score(average="micro", threshold=0.5)
        >>> m.update_state(torch.tensor([[1, 0], [1, 1]]), torch.tensor([[0.9, 0.6], [0.2, 0.7]]))
        >>> m.result()
        tensor(0.6667)
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config


# ---------------------------------------------------------------------------------------------
# Resolution of "accuracy" and the registry
# ---------------------------------------------------------------------------------------------

_ACCURACY_FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "binary": binary_accuracy,
    "sparse_categorical": sparse_categorical_accuracy,
    "categorical": categorical_accuracy,
}
_ACCURACY_CLASSES: dict[str, type[MeanMetricWrapper]] = {
    "binary": BinaryAccuracy,
    "sparse_categorical": SparseCategoricalAccuracy,
    "categorical": CategoricalAccuracy,
}


_R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output over all batches seen, as
    Keras's (also its adjusted form with ``num_regressors``).

    Inputs are ``(samples, outputs)`` (``(samples,)`` targets are matched to ``(samples, 1)``
    predictions). An output whose targets are constant scores 0.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over outputs),
            ``"variance_weighted_average"`` (weighted by each output's target variance) or
            ``None`` (one score per output).
        num_regressors: Number of independent variables for the adjusted R2 (0: plain R2). As in
            Keras, the sample count it uses is the number of target values (samples x outputs).
        name: The metric's name.
        dtype: The state's dtype.

    Example:
        >>> m = R2Score()
        >>> m.update_state(torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([[1.0], [2.0], [4.0]]))
        >>> m.result()
        tensor(0.5000)
    """

    direction = "up"

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: torch.dtype | str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _R2_AGGREGATIONS:
            raise ValueError(
                f"R2Score: expected class_aggregation to be one of {_R2_AGGREGATIONS}, received "
                f"class_aggregation={class_aggregation!r}."
            )
        if (
            isinstance(num_regressors, bool)
            or not isinstance(num_regressors, int)
            or (num_regressors < 0)
        ):
            raise ValueError(
                f"R2Score: expected num_regressors to be an integer >= 0, received "
                f"num_regressors={num_regressors!r}."
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.add_state("num_samples")
        self._built = False

    def update_state(
        self, y_true: TensorLike, y_pred: TensorLike, sample_weight: TensorLike | None = None
    ) -> None:
        """Accumulate per output: the weighted sums of targets, of squared targets and of squared
        errors, and the weights."""
        y_pred = _detached(y_pred).to(self.dtype)
        y_true = _detached(y_true, y_pred.device).to(self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_pred.dim() != 2 or y_true.dim() != 2:
            raise ValueError(
                "R2Score expects 2-D inputs of shape (samples, outputs), received y_true of shape "
                f"{tuple(y_true.shape)} and y_pred of shape {tuple(y_pred.shape)}."
            )
        if not self._built:
            for state in ("sum", "squared_sum", "residual", "count"):
                self.add_state(state, (y_pred.shape[-1],))
            self._built = True
        self._move_state(y_pred.device)
        weight = torch.ones((), dtype=self.dtype, device=y_pred.device)
        if sample_weight is not None:
            weight = _detached(sample_weight, y_pred.device).to(self.dtype)
            if weight.dim() == 1:
                weight = weight[:, None]
        weight = weight.expand_as(y_true)
        self.sum = self.sum + (y_true * weight).sum(dim=0)
        self.squared_sum = self.squared_sum + (y_true * y_true * weight).sum(dim=0)
        self.residual = self.residual + ((y_true - y_pred).square() * weight).sum(dim=0)
        self.count = self.count + weight.sum(dim=0)
        self.num_samples = self.num_samples + y_true.numel()

    def result(self) -> torch.Tensor:
        """The score: 0-d, or one per output with ``class_aggregation=None``."""
        if not self._built:
            return torch.zeros((), dtype=self.dtype)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1 - self.residual / total
        raw = torch.where(torch.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors:
            n, p = float(self.num_samples), float(self.num_regressors)
            if p >= n - 1:
                what = "more predictors than datapoints" if p > n - 1 else "division by zero"
                warnings.warn(
                    f"R2Score: {what} in the adjusted R2 score; falling back to the standard "
                    "R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


def _accuracy_kind(
    y_true_shape: tuple[int | None, ...], y_pred_shape: tuple[int | None, ...]
) -> str:
    is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
    if is_binary:
        return "binary"
    return "sparse_categorical" if is_sparse else "categorical"


def _loss_kind(loss: Any) -> str | None:
    """``"binary"``, ``"sparse"``, ``"categorical"`` for a crossentropy loss in any form."""
    if loss is None:
        return None
    if isinstance(loss, str):
        if loss not in losses_module.LOSSES:
            return None
        loss = losses_module.LOSSES.get(loss)
    fn = getattr(loss, "fn", loss)  # a LossFunctionWrapper's function
    for kind, cls, function in (
        ("binary", losses_module.BinaryCrossentropy, losses_module.binary_crossentropy),
        (
            "sparse",
            losses_module.SparseCategoricalCrossentropy,
            losses_module.sparse_categorical_crossentropy,
        ),
        (
            "categorical",
            losses_module.CategoricalCrossentropy,
            losses_module.categorical_crossentropy,
        ),
    ):
        if (
            fn is function
            or isinstance(loss, cls)
            or (inspect.isclass(loss) and issubclass(loss, cls))
        ):
            return kind
    return None


def _resolve_accuracy(
    name: str,
    loss: Any,
    output_shape: tuple[int | None, ...] | None,
    y_true_shape: tuple[int | None, ...] | None,
) -> Metric:
    """Keras 3's choice for ``"accuracy"`` / ``"acc"`` (``compile_utils.get_metric``).

    Keras 3 decides from the shapes of the first batch only. With both shapes known the choice is
    made now; with the output's last axis of size 1 it is binary whatever the target; a sparse
    or categorical crossentropy loss fixes the target's form; otherwise the choice waits for the
    first batch (:class:`_AutoAccuracy`), exactly as Keras.
    """
    if output_shape is not None and y_true_shape is not None:
        return _ACCURACY_CLASSES[_accuracy_kind(tuple(y_true_shape), tuple(output_shape))](
            name=name
        )
    last = output_shape[-1] if output_shape else None
    if last == 1:
        return BinaryAccuracy(name=name)
    kind = _loss_kind(loss)
    if kind == "sparse":
        return SparseCategoricalAccuracy(name=name)
    if kind == "categorical" and last is not None:
        return CategoricalAccuracy(name=name)
    return _AutoAccuracy(name=name)


METRICS: Registry[type[Metric]] = Registry("metric")
"""Name -> :class:`Metric` class: the strings Keras 3.15's ``metrics.get`` resolves (snake-case
class names such as ``precision``, ``recall``, ``auc``, ``f1_score``, ``f_beta_score``, and
``mse``, ``mae``, ``mape``, ``msle``, ``bce``), the class names, and ``rmse``, ``kld``.
``"accuracy"`` / ``"acc"`` are resolved by :func:`get`."""

for _cls, _names in (
    (Mean, ("mean",)),
    (Sum, ("sum",)),
    (MeanSquaredError, ("mean_squared_error", "mse")),
    (MeanAbsoluteError, ("mean_absolute_error", "mae")),
    (MeanAbsolutePercentageError, ("mean_absolute_percentage_error", "mape")),
    (MeanSquaredLogarithmicError, ("mean_squared_logarithmic_error", "msle")),
    (RootMeanSquaredError, ("root_mean_squared_error", "rmse")),
    (CosineSimilarity, ("cosine_similarity",)),
    (LogCoshError, ("log_cosh_error", "logcosh")),
    (BinaryCrossentropy, ("binary_crossentropy", "bce")),
    (CategoricalCrossentropy, ("categorical_crossentropy",)),
    (SparseCategoricalCrossentropy, ("sparse_categorical_crossentropy",)),
    (KLDivergence, ("kl_divergence", "kld")),
    (Poisson, ("poisson",)),
    (Hinge, ("hinge",)),
    (SquaredHinge, ("squared_hinge",)),
    (CategoricalHinge, ("categorical_hinge",)),
    (BinaryAccuracy, ("binary_accuracy",)),
    (CategoricalAccuracy, ("categorical_accuracy",)),
    (SparseCategoricalAccuracy, ("sparse_categorical_accuracy",)),
    (TopKCategoricalAccuracy, ("top_k_categorical_accuracy",)),
    (SparseTopKCategoricalAccuracy, ("sparse_top_k_categorical_accuracy",)),
    (Accuracy, ("accuracy",)),
    (Precision, ("precision",)),
    (Recall, ("recall",)),
    (AUC, ("auc",)),
    (F1Score, ("f1_score",)),
    (R2Score, ("r2_score",)),
    (PearsonCorrelation, ("pearson_correlation",)),
    (ConcordanceCorrelation, ("concordance_correlation",)),
    (FBetaScore, ("f_beta_score",)),
    (TruePositives, ("true_positives",)),
    (FalsePositives, ("false_positives",)),
    (TrueNegatives, ("true_negatives",)),
    (FalseNegatives, ("false_negatives",)),
):
    METRICS.add(_names[0], _cls, *_names[1:])
    METRICS.add(_cls.__name__, _cls)
del _cls, _names


def get(
    identifier: str | Metric | type[Metric] | Callable[..., Any],
    *,
    loss: Any = None,
    output_shape: tuple[int | None, ...] | None = None,
    y_true_shape: tuple[int | None, ...] | None = None,
) -> Metric:
    """Return a :class:`Metric` for ``identifier``, as Keras's ``compile`` does.

    Args:
        identifier: A name (``"mae"``, ``"binary_accuracy"``, ``"MeanSquaredError"``...; case
            insensitive) — the metric then carries that exact string as its ``name``; a
            :class:`Metric` (returned as is); a :class:`Metric` subclass (instantiated); or a
            callable ``fn(y_true, y_pred)`` returning per-sample values (averaged by a
            :class:`MeanMetricWrapper` named ``fn.__name__``).
        loss: The compiled loss (a name, a :class:`~kerastorch.losses.Loss`, a loss class or a
            function); only used to resolve ``"accuracy"`` before the data is seen.
        output_shape: The model's output shape, e.g. ``(None, 1)``; same use.
        y_true_shape: The targets' shape; with ``output_shape`` it decides ``"accuracy"`` now.

    ``"accuracy"`` / ``"acc"`` follow Keras 3's rule, which looks at shapes only: binary accuracy
    when the output's last axis is 1; sparse categorical when the targets have a lower rank than
    the output or a last axis of 1; categorical otherwise — even for ``binary_crossentropy`` with
    several sigmoid outputs. When the shapes are not given (and the loss does not settle it) the
    metric decides at its first ``update_state``, as Keras does at its first batch.

    Raises:
        ValueError: for an unknown name (with a "did you mean") or an unusable identifier.

    Example:
        >>> get("acc", output_shape=(None, 1)).__class__.__name__, get("acc").name
        ('BinaryAccuracy', 'acc')
        >>> get("mae").name
        'mae'
    """
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _resolve_accuracy(identifier, loss, output_shape, y_true_shape)
        return METRICS.get(identifier)(name=identifier)
    if isinstance(identifier, Metric):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(
        "Expected a metric name, a Metric object or class, or a callable fn(y_true, y_pred). "
        f"Received: metric={identifier!r} of type {type(identifier).__name__}."
    )
