"""Global pooling over the time axis: GlobalAveragePooling1D, GlobalMaxPooling1D."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from kerastorch.layers.base import Layer, Shape

__all__ = ["GlobalAveragePooling1D", "GlobalMaxPooling1D"]

_DATA_FORMATS = ("channels_last", "channels_first")


class _GlobalPooling1D(Layer):
    """Shared arguments, checks and shapes of the 1D global pooling layers."""

    def __init__(
        self, data_format: str | None = "channels_last", keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if data_format is None:
            data_format = "channels_last"  # Keras's default image_data_format
        if data_format not in _DATA_FORMATS:
            raise ValueError(
                f"{self.cls_name} '{self.name}': expected data_format 'channels_last' (batch, "
                "steps, features) or 'channels_first' (batch, features, steps), received "
                f"data_format={data_format!r}."
            )
        self.data_format = data_format
        self.keepdims = bool(keepdims)

    @property
    def steps_axis(self) -> int:
        return 1 if self.data_format == "channels_last" else 2

    def _check_inputs(self, inputs: torch.Tensor) -> None:
        if inputs.dim() != 3:
            layout = (
                "(batch, steps, features)"
                if self.data_format == "channels_last"
                else "(batch, features, steps)"
            )
            raise ValueError(
                f"{self.describe()} expects 3D inputs {layout}, received shape "
                f"{tuple(inputs.shape)}."
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        batch = input_shape[0]
        features = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if not self.keepdims:
            return (batch, features)
        return (batch, 1, features) if self.data_format == "channels_last" else (batch, features, 1)

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> None:
        return None  # the time axis is gone: nothing left to mask

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Averages over the time axis; with a mask, over the real (unmasked) steps only.

    A sequence whose steps are all masked averages to NaN (0 / 0), as in Keras.

    Args:
        data_format: ``"channels_last"`` for inputs ``(batch, steps, features)`` (the default)
            or ``"channels_first"`` for ``(batch, features, steps)``.
        keepdims: Whether to keep the time axis, with size 1.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, features)``
    (``(batch, 1, features)`` with ``keepdims=True``).

    Example:
        >>> x = torch.tensor([[[1.0], [3.0], [0.0]]])
        >>> GlobalAveragePooling1D()(x, mask=torch.tensor([[True, True, False]]))
        tensor([[2.]])
    """

    supports_masking = True

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        self._check_inputs(inputs)
        axis = self.steps_axis
        if mask is None:
            return inputs.mean(dim=axis, keepdim=self.keepdims)
        steps = inputs.shape[axis]
        if tuple(mask.shape) != (inputs.shape[0], steps):
            raise ValueError(
                f"{self.describe()}: expected a mask of shape (batch, steps) = "
                f"{(inputs.shape[0], steps)}, received shape {tuple(mask.shape)}."
            )
        keep = mask.to(device=inputs.device, dtype=torch.bool)
        keep = keep.unsqueeze(2 if self.data_format == "channels_last" else 1)
        total = inputs.masked_fill(~keep, 0).sum(dim=axis, keepdim=self.keepdims)
        return total / keep.to(inputs.dtype).sum(dim=axis, keepdim=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Takes the maximum over the time axis.

    Like Keras's, this layer does **not** use a mask: padded steps take part in the maximum (a
    step padded with zeros can win over negative values). It warns once when it receives a
    mask. To pool over real steps only, use ``GlobalAveragePooling1D``, which honours the mask.

    Args:
        data_format: ``"channels_last"`` for inputs ``(batch, steps, features)`` (the default)
            or ``"channels_first"`` for ``(batch, features, steps)``.
        keepdims: Whether to keep the time axis, with size 1.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, features)``
    (``(batch, 1, features)`` with ``keepdims=True``).

    Example:
        >>> GlobalMaxPooling1D()(torch.tensor([[[1.0, -2.0], [3.0, -5.0]]]))
        tensor([[ 3., -2.]])
    """

    def __init__(
        self, data_format: str | None = "channels_last", keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self._warned_about_mask = False

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        self._check_inputs(inputs)
        if mask is not None and not self._warned_about_mask:
            self._warned_about_mask = True
            warnings.warn(
                f"{self.describe()} ignores the mask it received, as Keras's GlobalMaxPooling1D "
                "does: padded steps take part in the maximum. Use GlobalAveragePooling1D to pool "
                "over the real steps only.",
                stacklevel=2,
            )
        return inputs.amax(dim=self.steps_axis, keepdim=self.keepdims)
