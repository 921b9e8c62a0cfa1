"""Regularization layers. ActivityRegularization adds a penalty on its input to the loss; the
noise layers, active in training only: SpatialDropout1D, GaussianNoise, GaussianDropout.

The noise layers are the identity in inference (``evaluate``, ``predict``, a model in eval mode) and
pass a mask on unchanged. ``seed`` is accepted for Keras compatibility but unused: seed torch's
generator instead (``kerastorch.utils.set_random_seed``).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from kerastorch import regularizers
from kerastorch.layers.arguments import check_rate
from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.conv_utils import check_3d

__all__ = ["ActivityRegularization", "GaussianDropout", "GaussianNoise", "SpatialDropout1D"]


class ActivityRegularization(Layer):
    """Passes its input on and adds ``l1 * sum(|x|) + l2 * sum(x²)`` (divided by the batch
    size, as Keras 3 does for activity penalties) to the training loss.

    Args:
        l1: The L1 factor.
        l2: The L2 factor.

    Example:
        >>> layer = ActivityRegularization(l2=0.5)
        >>> _ = layer(torch.tensor([[1.0, 2.0]]))
        >>> layer.activity_loss
        tensor(2.5000)
    """

    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)  # the layer's own, rebuilt from l1 and l2
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return inputs

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)
        return config


class SpatialDropout1D(Layer):
    """Dropout of whole channels: each sample drops a channel at every time step at once.

    In a sequence neighbouring steps are strongly correlated, so ordinary dropout of single
    values barely regularizes; dropping a feature map for the whole sequence does. The kept
    channels are scaled by ``1 / (1 - rate)``.

    Args:
        rate: Fraction of the channels to drop, in [0, 1).
        seed: Unused, for Keras compatibility.

    Input shape: ``(batch, steps, channels)``. Output shape: the same.

    Example:
        >>> layer = SpatialDropout1D(0.5)
        >>> out = layer(torch.ones(1, 4, 6), training=True)
        >>> bool((out == out[:, :1]).all())  # the same channels are dropped at every step
        True
    """

    supports_masking = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(f"{self.cls_name} '{self.name}'", "rate", rate)
        self.seed = seed

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()} expects 3D inputs (batch, steps, channels), received shape "
                f"{tuple(input_shape)}."
            )
        return tuple(input_shape)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        check_3d(self, inputs, "channels_last")
        if not self.is_training(training) or self.rate == 0.0:
            return inputs
        batch, _, channels = inputs.shape
        keep = torch.empty((batch, 1, channels), device=inputs.device, dtype=inputs.dtype)
        keep.bernoulli_(1.0 - self.rate)
        return inputs * keep / (1.0 - self.rate)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training.

    Keras 3 refuses ``stddev > 1``; kerastorch accepts any ``stddev >= 0`` (Keras 2 did too, and
    inputs are not always scaled to unit range).

    Args:
        stddev: Standard deviation of the noise, ``>= 0``.
        seed: Unused, for Keras compatibility.

    Example:
        >>> GaussianNoise(0.1)(torch.ones(2), training=False)
        tensor([1., 1.])
    """

    supports_masking = True

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(
                f"{self.cls_name} '{self.name}': expected stddev >= 0, received stddev={stddev!r}."
            )
        self.stddev = float(stddev)
        self.seed = seed

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        if not self.is_training(training) or self.stddev == 0.0:
            return inputs
        return inputs + torch.randn_like(inputs) * self.stddev

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training: the variance of ``Dropout(rate)``, without zeros.

    Args:
        rate: Drop probability it imitates, in [0, 1).
        seed: Unused, for Keras compatibility.

    Example:
        >>> GaussianDropout(0.2)(torch.ones(2), training=False)
        tensor([1., 1.])
    """

    supports_masking = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(f"{self.cls_name} '{self.name}'", "rate", rate)
        self.seed = seed

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        if not self.is_training(training) or self.rate == 0.0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (1.0 + torch.randn_like(inputs) * stddev)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
