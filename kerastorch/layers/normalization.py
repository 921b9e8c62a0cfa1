"""Normalization layers: BatchNormalization, LayerNormalization, UnitNormalization.

NOTE [batch normalization statistics]
    Keras's BatchNormalization is computed here rather than by ``nn.BatchNorm1d``, because the
    two differ in ways that change results:

    * Keras's ``momentum=0.99`` is the weight of the *old* moving statistic; torch's
      ``momentum=0.1`` is the weight of the *new* batch statistic.
    * Keras updates ``moving_variance`` with the biased batch variance (divided by ``n``);
      torch's ``running_var`` uses the unbiased one (``n - 1``).
    * Keras's default ``epsilon`` is 1e-3 (torch 1e-5), and torch's layer wants the channels on
      axis 1, not last.
    * With a mask, Keras computes the batch moments over the unmasked steps only.

    Training (``fit``, or ``training=True``) normalizes with the batch's mean and biased variance
    and updates ``moving = moving * momentum + batch * (1 - momentum)``; inference uses the
    moving statistics. A layer with ``trainable=False`` always runs in inference mode and never
    updates them (Keras 3's rule, which makes fine-tuning a frozen base safe).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from kerastorch import initializers
from kerastorch.layers.arguments import InitializerArg, initializer_config
from kerastorch.layers.base import Layer, Shape

__all__ = ["BatchNormalization", "LayerNormalization", "UnitNormalization"]

# Keras's backend.epsilon(): guards the masked moments against an all-masked batch.
_FUZZ = 1e-7


def _penalties(
    center: bool, scale: bool, beta: Any, gamma: Any, kind: str = "regularizer"
) -> dict[str, Any]:
    """``beta_<kind>`` / ``gamma_<kind>`` for the base layer (NOTE [penalties]); Keras ignores
    them when the weight does not exist (``center`` / ``scale`` off)."""
    return {f"beta_{kind}": beta if center else None, f"gamma_{kind}": gamma if scale else None}


def _check_epsilon(layer: str, epsilon: Any) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon < 0:
        raise ValueError(f"{layer}: expected epsilon >= 0, received epsilon={epsilon!r}.")
    return float(epsilon)


def _check_axis_in(layer: Layer, axis: int, rank: int, input_shape: Any) -> int:
    """Return ``axis`` as a non-negative index into a shape of ``rank``, or raise clearly."""
    if not -rank <= axis < rank:
        raise ValueError(
            f"{layer.describe()}: axis={axis} is out of bounds for inputs of rank {rank} "
            f"(input shape {tuple(input_shape)})."
        )
    return axis % rank


class BatchNormalization(Layer):
    """Normalizes each feature with batch statistics in training and moving ones in inference.

    Computed as Keras computes it; see NOTE [batch normalization statistics] in this module. The
    moving statistics are buffers (``state_dict`` keys ``<name>.moving_mean`` and
    ``<name>.moving_variance``): optimizers never see them, and they count as non-trainable
    parameters as in Keras's summary. ``get_weights`` returns Keras's order: ``gamma``, ``beta``
    (each only when enabled), ``moving_mean``, ``moving_variance``.

    With a mask, as in Keras, the training-time batch statistics use the unmasked steps only;
    every step is still normalized, and the mask passes through to the next layer.

    The batch variance is computed as the mean of squared deviations; Keras's torch backend
    computes ``E[x^2] - E[x]^2``, which agrees to float32 rounding on well-scaled data and loses
    precision when the mean is large next to the spread.

    Args:
        axis: The feature axis (the last one by default); statistics are taken over all others.
        momentum: Weight of the old value in the moving statistics (Keras's meaning: 0.99
            here is torch's ``momentum=0.01``).
        epsilon: Added to the variance before the square root (Keras's 1e-3, not torch's 1e-5).
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned ``gamma``.
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        moving_mean_initializer: Initializer of the moving mean.
        moving_variance_initializer: Initializer of the moving variance.
        beta_regularizer: Penalty on ``beta`` added to the loss (ignored, as in Keras, when
            ``center`` is off).
        gamma_regularizer: Penalty on ``gamma`` added to the loss (ignored, as in Keras, when
            ``scale`` is off).
        beta_constraint: Projection of ``beta`` after each optimizer step.
        gamma_constraint: Projection of ``gamma`` after each optimizer step.
        synchronized: Not supported; must be ``False``.
        renorm: Not supported; must be ``False``.

    Input shape: any, e.g. ``(batch, features)`` or ``(batch, steps, features)``. Output shape:
    the same.

    Example:
        >>> layer = BatchNormalization()
        >>> with torch.no_grad():
        ...     layer(torch.tensor([[1.0], [3.0]]), training=True)
        tensor([[-0.9995],
                [ 0.9995]])
        >>> layer.moving_mean
        tensor([0.0200])
    """

    supports_masking = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: InitializerArg = "zeros",
        gamma_initializer: InitializerArg = "ones",
        moving_mean_initializer: InitializerArg = "zeros",
        moving_variance_initializer: InitializerArg = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        synchronized: bool = False,
        renorm: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            **_penalties(center, scale, beta_regularizer, gamma_regularizer),
            **_penalties(center, scale, beta_constraint, gamma_constraint, kind="constraint"),
            **kwargs,
        )
        layer = f"{self.cls_name} '{self.name}'"
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(
                f"{layer}: expected axis to be one integer (the feature axis), received "
                f"axis={axis!r}."
            )
        self.axis = axis
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
            raise TypeError(f"{layer}: expected a float momentum, received momentum={momentum!r}.")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(
                f"{layer}: expected 0 <= momentum <= 1 (Keras's meaning: the weight of the old "
                f"moving statistic, e.g. 0.99), received momentum={momentum!r}."
            )
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon(layer, epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        for arg, value in (("synchronized", synchronized), ("renorm", renorm)):
            if value:
                raise NotImplementedError(f"{layer}: {arg}=True is not supported.")
        self.initializer_args = {
            "beta_initializer": beta_initializer,
            "gamma_initializer": gamma_initializer,
            "moving_mean_initializer": moving_mean_initializer,
            "moving_variance_initializer": moving_variance_initializer,
        }
        for init in self.initializer_args.values():
            initializers.get(init)  # fail on an unknown name now, not at build

    # -- shapes and building ---------------------------------------------------------------------

    def can_build(self, input_shape: Shape) -> bool:
        rank = len(input_shape)
        return -rank <= self.axis < rank and input_shape[self.axis] is not None

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_axis_in(self, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def build(self, input_shape: Shape) -> None:
        _check_axis_in(self, self.axis, len(input_shape), input_shape)
        features = (input_shape[self.axis],)

        def init(arg: str) -> torch.Tensor:
            return initializers.get(self.initializer_args[arg])(features)

        self.gamma = nn.Parameter(init("gamma_initializer")) if self.scale else None
        self.beta = nn.Parameter(init("beta_initializer")) if self.center else None
        self.register_buffer("moving_mean", init("moving_mean_initializer"))
        self.register_buffer("moving_variance", init("moving_variance_initializer"))

    # -- computing -------------------------------------------------------------------------------

    def _moments(
        self, inputs: torch.Tensor, axis: int, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch mean and biased variance per feature, over the unmasked entries."""
        dims = [d for d in range(inputs.dim()) if d != axis]
        if mask is None:
            variance, mean = torch.var_mean(inputs, dim=dims, correction=0)
            return mean, variance
        # As Keras: the mask covers every axis but the last one.
        keep = mask.to(device=inputs.device, dtype=torch.bool).unsqueeze(-1).expand_as(inputs)
        weights = keep.to(inputs.dtype)
        count = weights.sum(dim=dims, keepdim=True) + _FUZZ
        mean = (inputs * weights).sum(dim=dims, keepdim=True) / count
        variance = ((inputs - mean).square() * weights).sum(dim=dims, keepdim=True) / count
        return mean.flatten(), variance.flatten()

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        axis = _check_axis_in(self, self.axis, inputs.dim(), inputs.shape)
        features = self.moving_mean.shape[0]
        if inputs.shape[axis] != features:
            raise ValueError(
                f"{self.describe()} expects {features} features on axis {self.axis}, got "
                f"{inputs.shape[axis]} (input shape {tuple(inputs.shape)}). It was built for "
                f"inputs of shape {self.build_input_shape}."
            )
        if mask is not None and mask.dim() != inputs.dim() - 1:
            raise ValueError(
                f"{self.describe()}: expected a mask with one axis less than the inputs, "
                f"received mask shape {tuple(mask.shape)} for inputs of shape "
                f"{tuple(inputs.shape)}."
            )
        if self.is_training(training) and self.trainable:
            mean, variance = self._moments(inputs, axis, mask)
            with torch.no_grad():
                m = self.momentum
                self.moving_mean.copy_(self.moving_mean * m + mean.detach() * (1.0 - m))
                self.moving_variance.copy_(self.moving_variance * m + variance.detach() * (1.0 - m))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        shape = [1] * inputs.dim()
        shape[axis] = features
        factor = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            factor = factor * self.gamma
        outputs = (inputs - mean.reshape(shape)) * factor.reshape(shape)
        if self.beta is not None:
            outputs = outputs + self.beta.reshape(shape)
        return outputs

    # -- weights and config ----------------------------------------------------------------------

    def keras_weights(self) -> list[torch.Tensor]:
        trained = [w for w in (self.gamma, self.beta) if w is not None]
        return [*trained, self.moving_mean, self.moving_variance]

    def keras_weight_names(self) -> list[str]:
        return [*_scale_and_offset_names(self), "moving_mean", "moving_variance"]

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        for target, value in zip(self.keras_weights(), weights, strict=True):
            target.copy_(value)

    def count_non_trainable_params(self) -> int:
        """Weights Keras counts as non-trainable: the moving statistics (all with
        ``trainable=False``)."""
        if not self.trainable:
            return self.count_params()
        return int(self.moving_mean.numel() + self.moving_variance.numel())

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }


class LayerNormalization(Layer):
    """Normalizes each sample over its feature axis (or axes), with Keras's defaults.

    Runs on ``torch.nn.functional.layer_norm`` when the axes are the trailing ones (the usual
    ``axis=-1``), and computes the moments directly otherwise. Keras's ``epsilon`` default is
    1e-3 (torch's ``nn.LayerNorm`` uses 1e-5). Weights: ``gamma``, then ``beta``, each shaped
    like the normalized axes and present only when enabled.

    Args:
        axis: The axis or list of axes to normalize over (the last one by default).
        epsilon: Added to the variance before the square root.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned ``gamma``.
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        beta_regularizer: Penalty on ``beta`` added to the loss (ignored, as in Keras, when
            ``center`` is off).
        gamma_regularizer: Penalty on ``gamma`` added to the loss (ignored, as in Keras, when
            ``scale`` is off).
        beta_constraint: Projection of ``beta`` after each optimizer step.
        gamma_constraint: Projection of ``gamma`` after each optimizer step.

    Input shape: any. Output shape: the same.

    Example:
        >>> with torch.no_grad():
        ...     LayerNormalization()(torch.tensor([[1.0, 3.0]]))
        tensor([[-0.9995,  0.9995]])
    """

    supports_masking = True

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: InitializerArg = "zeros",
        gamma_initializer: InitializerArg = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            **_penalties(center, scale, beta_regularizer, gamma_regularizer),
            **_penalties(center, scale, beta_constraint, gamma_constraint, kind="constraint"),
            **kwargs,
        )
        layer = f"{self.cls_name} '{self.name}'"
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise TypeError(
                f"{layer}: expected axis to be an integer or a list of integers, received "
                f"axis={axis!r}."
            )
        self.axis: int | list[int] = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = _check_epsilon(layer, epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.initializer_args = {
            "beta_initializer": beta_initializer,
            "gamma_initializer": gamma_initializer,
        }
        for init in self.initializer_args.values():
            initializers.get(init)

    def _axes(self, rank: int, input_shape: Any) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        return sorted(_check_axis_in(self, a, rank, input_shape) for a in axes)

    def can_build(self, input_shape: Shape) -> bool:
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        return all(-rank <= a < rank and input_shape[a] is not None for a in axes)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._axes(len(input_shape), input_shape)
        return tuple(input_shape)

    def build(self, input_shape: Shape) -> None:
        self._rank = len(input_shape)
        self._built_axes = self._axes(self._rank, input_shape)
        self._sizes = tuple(input_shape[a] for a in self._built_axes)
        self.gamma = (
            nn.Parameter(initializers.get(self.initializer_args["gamma_initializer"])(self._sizes))
            if self.scale
            else None
        )
        self.beta = (
            nn.Parameter(initializers.get(self.initializer_args["beta_initializer"])(self._sizes))
            if self.center
            else None
        )

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        rank, axes = inputs.dim(), self._built_axes
        normalized = tuple(inputs.shape[a] for a in axes) if rank == self._rank else None
        if normalized != self._sizes:
            raise ValueError(
                f"{self.describe()} normalizes axes {axes} of size {self._sizes} (inputs of rank "
                f"{self._rank}), received inputs of shape {tuple(inputs.shape)}."
            )
        if axes == list(range(rank - len(axes), rank)):
            return F.layer_norm(inputs, normalized, self.gamma, self.beta, self.epsilon)
        variance, mean = torch.var_mean(inputs, dim=axes, keepdim=True, correction=0)
        shape = [inputs.shape[d] if d in axes else 1 for d in range(rank)]
        factor = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            factor = factor * self.gamma.reshape(shape)
        outputs = (inputs - mean) * factor
        if self.beta is not None:
            outputs = outputs + self.beta.reshape(shape)
        return outputs

    def keras_weights(self) -> list[torch.Tensor]:
        return [w for w in (self.gamma, self.beta) if w is not None]

    def keras_weight_names(self) -> list[str]:
        return _scale_and_offset_names(self)

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        for target, value in zip(self.keras_weights(), weights, strict=True):
            target.copy_(value)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }


class UnitNormalization(Layer):
    """Scales each input to unit L2 norm along ``axis``: ``x / max(||x||, 1e-7)``, as Keras's.

    Args:
        axis: The axis or axes the norm is taken over (the last one by default).

    Example:
        >>> UnitNormalization()(torch.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        axes = [axis] if isinstance(axis, int) else list(axis)
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise TypeError(
                f"{self.describe()}: expected axis to be an integer or a list of integers, "
                f"received axis={axis!r}."
            )
        self.axis = axis if isinstance(axis, int) else axes

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        squares = inputs.square().sum(dim=axes, keepdim=True)
        # Keras: x * min(rsqrt(sum of squares), 1 / epsilon)
        return inputs * torch.rsqrt(squares).clamp(max=1.0 / _FUZZ)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def _scale_and_offset_names(layer: BatchNormalization | LayerNormalization) -> list[str]:
    return [name for name in ("gamma", "beta") if getattr(layer, name, None) is not None]
