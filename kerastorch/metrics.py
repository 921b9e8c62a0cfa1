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
import re
from collections.abc import Callable
from typing import Any

import torch

from kerastorch import losses as losses_module
from kerastorch.losses import is_binary_or_sparse_categorical, squeeze_or_expand_to_same_rank
from kerastorch.registry import Registry

__all__ = [
    "METRICS",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
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
    "Poisson",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "cosine_similarity",
    "get",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]

TensorLike = Any  # a torch.Tensor, or anything torch.as_tensor accepts


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _to_dtype(dtype: torch.dtype | str | None) -> torch.dtype:
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    resolved = getattr(torch, str(dtype), None)
    if not isinstance(resolved, torch.dtype):
        raise ValueError(f'Expected a torch dtype or its name, e.g. "float32". Received: {dtype=}')
    return resolved


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
        self.name = name or _snake_case(type(self).__name__)
        self.dtype = _to_dtype(dtype)
        self._state_names: list[str] = []

    def add_state(self, name: str, shape: tuple[int, ...] = ()) -> torch.Tensor:
        """Create a zero state tensor stored as attribute ``name``; reset by :meth:`reset_state`."""
        value = torch.zeros(shape, dtype=self.dtype)
        setattr(self, name, value)
        self._state_names.append(name)
        return value

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
        super().__init__(name=name or default or _snake_case(type(fn).__name__), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if self.direction is None and (
            isinstance(fn, losses_module.Loss) or fn in losses_module._FUNCTIONS.values()
        ):
            self.direction = "down"

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
class names and ``mse``, ``mae``, ``mape``, ``msle``, ``bce``), the class names, and ``rmse``,
``kld``. ``"accuracy"`` / ``"acc"`` are resolved by :func:`get`."""

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
