"""Pooling over the time axis: MaxPooling1D, AveragePooling1D (windows) and
GlobalAveragePooling1D, GlobalMaxPooling1D (the whole sequence)."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch.nn import functional as F

from kerastorch.layers.arguments import check_data_format, check_padding, single_int
from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.conv_utils import (
    check_3d,
    from_channels_first,
    output_length,
    same_padding,
    to_channels_first,
)

__all__ = [
    "AveragePooling1D",
    "AvgPool1D",
    "GlobalAveragePooling1D",
    "GlobalAvgPool1D",
    "GlobalMaxPool1D",
    "GlobalMaxPooling1D",
    "MaxPool1D",
    "MaxPooling1D",
]

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


# -- windowed pooling -----------------------------------------------------------------------------


class _Pooling1D(Layer):
    """Shared arguments, checks and shapes of MaxPooling1D and AveragePooling1D.

    Like Keras's, these layers do not use a mask: they drop one they receive, with a warning.
    """

    supports_masking = False

    def __init__(
        self,
        pool_size: int | tuple[int] = 2,
        strides: int | tuple[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        layer = f"{self.cls_name} '{self.name}'"
        self.pool_size = single_int(layer, "pool_size", pool_size)
        self.strides = self.pool_size if strides is None else single_int(layer, "strides", strides)
        self.padding = check_padding(layer, padding, ("valid", "same"))
        self.data_format = check_data_format(layer, data_format)

    def _steps(self, shape: Any) -> int | None:
        return shape[1] if self.data_format == "channels_last" else shape[2]

    def _check_length(self, steps: int | None, shape: Any) -> None:
        if self.padding == "valid" and steps is not None and steps < self.pool_size:
            raise ValueError(
                f"{self.describe()}: pool_size={self.pool_size} is longer than the input's "
                f"{steps} steps (input shape {tuple(shape)}), so padding='valid' leaves no output "
                "step. Use padding='same', a smaller pool_size, or longer sequences."
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()} expects 3D inputs (batch, steps, channels), received shape "
                f"{tuple(input_shape)}."
            )
        steps = self._steps(input_shape)
        self._check_length(steps, input_shape)
        new_steps = output_length(steps, self.pool_size, self.strides, self.padding)
        if self.data_format == "channels_last":
            return (input_shape[0], new_steps, input_shape[2])
        return (input_shape[0], input_shape[1], new_steps)

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        check_3d(self, inputs, self.data_format)
        self._check_length(self._steps(inputs.shape), inputs.shape)
        x = to_channels_first(inputs, self.data_format)
        if self.padding == "same":
            left, right = same_padding(x.shape[-1], self.pool_size, self.strides)
        else:
            left = right = 0
        return from_channels_first(self._pool(x, left, right), self.data_format)

    def _pool(self, x: torch.Tensor, left: int, right: int) -> torch.Tensor:
        raise NotImplementedError

    def _config_defaults(self) -> dict[str, Any]:
        # The defaults as get_config writes them, so repr shows only what was changed.
        return {
            **super()._config_defaults(),
            "pool_size": (2,),
            "strides": (self.pool_size,),
            "data_format": "channels_last",
        }

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": (self.pool_size,),
            "strides": (self.strides,),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling1D(_Pooling1D):
    """Takes the maximum over windows of ``pool_size`` steps, moving by ``strides``.

    Args:
        pool_size: Window length.
        strides: Step between windows; ``None`` (the default) means ``pool_size``.
        padding: ``"valid"`` (windows inside the sequence only: ``(steps - pool_size) //
            strides + 1`` outputs) or ``"same"`` (``ceil(steps / strides)`` outputs; windows
            that reach past an end take the maximum of their real steps).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, channels)``.

    Example:
        >>> MaxPooling1D(2)(torch.tensor([[[1.0], [3.0], [2.0], [0.0], [5.0]]])).squeeze(-1)
        tensor([[3., 2.]])
    """

    def _pool(self, x: torch.Tensor, left: int, right: int) -> torch.Tensor:
        if left != right:
            # torch pads only symmetrically; -inf never wins a maximum.
            x, left = F.pad(x, (left, right), value=float("-inf")), 0
        return F.max_pool1d(x, self.pool_size, self.strides, padding=left)


class AveragePooling1D(_Pooling1D):
    """Averages over windows of ``pool_size`` steps, moving by ``strides``.

    With ``padding="same"``, a window that reaches past an end of the sequence averages its real
    steps only (the padding is not counted), as TensorFlow and JAX Keras do. Keras 3.15's torch
    backend agrees except where the padding is uneven (an odd total, e.g. ``pool_size=4,
    strides=1`` or ``pool_size=3, strides=2`` on an even length) and the window holds two or more
    real steps: there it repeats the border step into the padding and counts it (a bug fixed in
    later Keras, keras-team/keras#23233). kerastorch keeps the real-steps-only average everywhere.

    Args:
        pool_size: Window length.
        strides: Step between windows; ``None`` (the default) means ``pool_size``.
        padding: ``"valid"`` (windows inside the sequence only) or ``"same"``
            (``ceil(steps / strides)`` outputs).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, channels)``.

    Example:
        >>> x = torch.tensor([[[1.0], [3.0], [2.0], [0.0], [5.0]]])
        >>> AveragePooling1D(2, padding="same")(x).squeeze(-1)
        tensor([[2., 1., 5.]])
    """

    def _pool(self, x: torch.Tensor, left: int, right: int) -> torch.Tensor:
        if left == right:
            return F.avg_pool1d(
                x, self.pool_size, self.strides, padding=left, count_include_pad=False
            )
        # Uneven padding, which torch's pooling cannot do: pad with zeros, average, then rescale
        # every window by the fraction of it that is real steps.
        padded = F.avg_pool1d(F.pad(x, (left, right)), self.pool_size, self.strides)
        ones = x.new_ones((1, 1, x.shape[-1]))
        real = F.avg_pool1d(F.pad(ones, (left, right)), self.pool_size, self.strides)
        return padded / real


MaxPool1D = MaxPooling1D
"""Keras's alias of :class:`MaxPooling1D`."""

AvgPool1D = AveragePooling1D
"""Keras's alias of :class:`AveragePooling1D`."""

GlobalAvgPool1D = GlobalAveragePooling1D
"""Keras's alias of :class:`GlobalAveragePooling1D`."""

GlobalMaxPool1D = GlobalMaxPooling1D
"""Keras's alias of :class:`GlobalMaxPooling1D`."""
