"""Convolution over the time axis: Conv1D and its transpose, Conv1DTranspose (window arithmetic:
``conv_utils.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from kerastorch import activations, initializers
from kerastorch.layers.arguments import (
    ActivationArg,
    InitializerArg,
    activation_config,
    check_data_format,
    check_padding,
    check_positive_int,
    initializer_config,
    single_int,
)
from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.conv_utils import (
    check_3d,
    from_channels_first,
    output_length,
    same_padding,
    to_channels_first,
    transpose_crops,
    transpose_output_length,
)

__all__ = ["Conv1D", "Conv1DTranspose", "Convolution1D", "Convolution1DTranspose"]


class _Conv1DBase(Layer):
    """What ``Conv1D`` and ``Conv1DTranspose`` share: the channels-last / channels-first axes,
    Keras's kernel layout ``(kernel_size, ..., ...)`` against torch's, and the config defaults.
    Subclasses set ``data_format``, ``use_bias`` and a ``conv`` module holding the weights."""

    def _channels(self, shape: Shape) -> int | None:
        return shape[-1] if self.data_format == "channels_last" else shape[1]

    def _steps(self, shape: Shape) -> int | None:
        return shape[1] if self.data_format == "channels_last" else shape[2]

    def can_build(self, input_shape: Shape) -> bool:
        return len(input_shape) == 3 and self._channels(input_shape) is not None

    def _config_defaults(self) -> dict[str, Any]:
        # The defaults as get_config writes them, so repr shows only what was changed.
        return {
            **super()._config_defaults(),
            "strides": (1,),
            "dilation_rate": (1,),
            "data_format": "channels_last",
            "activation": "linear",
        }

    def keras_weights(self) -> list[torch.Tensor]:
        kernel = self.conv.weight.permute(2, 1, 0)
        return [kernel, self.conv.bias] if self.use_bias else [kernel]

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.conv.weight.copy_(weights[0].permute(2, 1, 0))
        if self.use_bias:
            self.conv.bias.copy_(weights[1])


class Conv1D(_Conv1DBase):
    """1D convolution over the time axis, with Keras's channels-last layout and padding modes.

    Runs on ``torch.nn.functional.conv1d`` with the weights of an ``nn.Conv1d`` (``state_dict``
    keys ``<layer name>.conv.weight`` / ``.conv.bias``). Inputs are channels-last ``(batch,
    steps, channels)`` as in Keras, transposed around the convolution. ``get_weights`` returns
    Keras's layout: ``kernel (kernel_size, channels // groups, filters)`` and ``bias
    (filters,)``; torch's weight is ``(filters, channels // groups, kernel_size)``.

    Like Keras's, this layer does not use a mask: it drops one it receives, with a warning.

    Args:
        filters: Number of output channels.
        kernel_size: Length of the convolution window (an int or a tuple of one int).
        strides: Step between windows.
        padding: ``"valid"`` (no padding: ``steps - dilation * (kernel_size - 1)`` windows),
            ``"same"`` (``ceil(steps / strides)`` outputs; an odd total padding puts the extra
            step on the right, as Keras does) or ``"causal"`` (left padding only, for
            autoregressive models: output ``t`` depends on inputs up to ``t``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps. ``dilation_rate > 1`` cannot be combined
            with ``strides > 1`` (as in Keras).
        groups: Split the channels into this many groups convolved separately; ``filters`` and
            the input channels must both be divisible by it.
        activation: Name or callable applied to the output; ``None`` is linear.
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the kernel, in Keras's layout.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Penalty on the kernel (``kerastorch.regularizers``).
        bias_regularizer: Penalty on the bias.
        activity_regularizer: Penalty on the layer's output.
        kernel_constraint: Projection of the kernel after each optimizer step
            (``kerastorch.constraints``).
        bias_constraint: Projection of the bias after each optimizer step.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.

    Example:
        >>> layer = Conv1D(8, 3, padding="causal", activation="relu")
        >>> layer(torch.randn(2, 20, 4)).shape
        torch.Size([2, 20, 8])
    """

    keras_weight_roles = ("kernel", "bias")

    supports_masking = False

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
        activation: ActivationArg = None,
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        bias_initializer: InitializerArg = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        layer = f"{self.cls_name} '{self.name}'"
        self.filters = check_positive_int(layer, "filters", filters)
        self.kernel_size = single_int(layer, "kernel_size", kernel_size)
        self.strides = single_int(layer, "strides", strides)
        self.dilation_rate = single_int(layer, "dilation_rate", dilation_rate)
        self.groups = check_positive_int(layer, "groups", groups)
        self.padding = check_padding(layer, padding, ("valid", "same", "causal"))
        self.data_format = check_data_format(layer, data_format)
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(
                f"{layer}: strides > 1 cannot be combined with dilation_rate > 1 (as in Keras), "
                f"received strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        if self.filters % self.groups:
            raise ValueError(
                f"{layer}: filters must be divisible by groups, received "
                f"filters={self.filters} and groups={self.groups}."
            )
        self.activation_arg = activation
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.initializer_args = {
            "kernel_initializer": kernel_initializer,
            "bias_initializer": bias_initializer,
        }
        for init in self.initializer_args.values():
            initializers.get(init)  # fail on an unknown name now, not at build

    # -- shapes ----------------------------------------------------------------------------------

    @property
    def span(self) -> int:
        """How many input steps one output step sees: ``dilation * (kernel_size - 1) + 1``."""
        return self.dilation_rate * (self.kernel_size - 1) + 1

    def _check_length(self, steps: int | None, shape: Any) -> None:
        if self.padding == "valid" and steps is not None and steps < self.span:
            raise ValueError(
                f"{self.describe()}: kernel_size={self.kernel_size} with "
                f"dilation_rate={self.dilation_rate} spans {self.span} steps, but the input has "
                f"only {steps} (input shape {tuple(shape)}), so padding='valid' leaves no output "
                "step. Use padding='same' or 'causal', a smaller kernel, or longer sequences."
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()} expects 3D inputs (batch, steps, channels), received shape "
                f"{tuple(input_shape)}."
            )
        steps = self._steps(input_shape)
        self._check_length(steps, input_shape)
        new_steps = output_length(
            steps, self.kernel_size, self.strides, self.padding, self.dilation_rate
        )
        if self.data_format == "channels_last":
            return (input_shape[0], new_steps, self.filters)
        return (input_shape[0], self.filters, new_steps)

    # -- building and computing ------------------------------------------------------------------

    def build(self, input_shape: Shape) -> None:
        channels = self._channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{self.describe()}: the input channels must be divisible by groups, received "
                f"groups={self.groups} and inputs of shape {tuple(input_shape)} "
                f"({channels} channels)."
            )
        self.conv = nn.Conv1d(
            channels,
            self.filters,
            self.kernel_size,
            stride=self.strides,
            dilation=self.dilation_rate,
            groups=self.groups,
            bias=self.use_bias,
        )
        kernel = initializers.get(self.initializer_args["kernel_initializer"])
        with torch.no_grad():
            keras_shape = (self.kernel_size, channels // self.groups, self.filters)
            self.conv.weight.copy_(kernel(keras_shape).permute(2, 1, 0))
            if self.use_bias:
                bias = initializers.get(self.initializer_args["bias_initializer"])
                self.conv.bias.copy_(bias((self.filters,)))

    def _pad(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Pad ``x`` (channels first) as Keras does; return it and the padding left to torch."""
        if self.padding == "causal":
            return F.pad(x, (self.span - 1, 0)), 0
        if self.padding == "same":
            left, right = same_padding(
                x.shape[-1], self.kernel_size, self.strides, self.dilation_rate
            )
            if left == right:
                return x, left  # torch pads symmetric amounts itself, without a copy
            return F.pad(x, (left, right)), 0
        return x, 0

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        check_3d(self, inputs, self.data_format)
        channels = self._channels(tuple(inputs.shape))
        if channels != self.conv.in_channels:
            raise ValueError(
                f"{self.describe()} expects {self.conv.in_channels} input channels, got "
                f"{channels} (input shape {tuple(inputs.shape)}). It was built for inputs of "
                f"shape {self.build_input_shape}."
            )
        self._check_length(self._steps(tuple(inputs.shape)), inputs.shape)
        x, padding = self._pad(to_channels_first(inputs, self.data_format))
        outputs = F.conv1d(
            x,
            self.conv.weight,
            self.conv.bias,
            stride=self.strides,
            padding=padding,
            dilation=self.dilation_rate,
            groups=self.groups,
        )
        return self.activation(from_channels_first(outputs, self.data_format))

    # -- weights and config ----------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": (self.kernel_size,),
            "strides": (self.strides,),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": (self.dilation_rate,),
            "groups": self.groups,
            "activation": activation_config(self.activation_arg),
            "use_bias": self.use_bias,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }


Convolution1D = Conv1D
"""Keras's alias of :class:`Conv1D`."""


class Conv1DTranspose(_Conv1DBase):
    """Transposed 1D convolution ("deconvolution"): upsamples the time axis, as Keras's
    ``Conv1DTranspose`` (e.g. the decoder of a time-series autoencoder).

    Runs on ``torch.nn.functional.conv_transpose1d`` with the weights of an
    ``nn.ConvTranspose1d`` (``state_dict`` keys ``<layer name>.conv.weight`` / ``.conv.bias``)
    and the padding Keras's torch backend uses (NOTE [transposed padding] in ``conv_utils.py``).
    ``get_weights`` returns Keras's layout: ``kernel (kernel_size, filters, channels)`` and
    ``bias (filters,)``; torch's weight is ``(channels, filters, kernel_size)``. Drops a mask it
    receives, with a warning, as Keras's.

    Args:
        filters: Number of output channels.
        kernel_size: Length of the convolution window (an int or a tuple of one int).
        strides: Upsampling factor of the time axis.
        padding: ``"valid"``: ``(steps - 1) * strides + max(span, strides)`` outputs, where
            ``span = dilation_rate * (kernel_size - 1) + 1``; ``"same"``: ``steps * strides``.
        output_padding: Extra steps added at the end (less than ``strides``), replacing the
            default above: ``(steps - 1) * strides + span + output_padding`` for ``"valid"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps.
        activation: Name or callable applied to the output; ``None`` is linear.
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the kernel, in Keras's layout.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Penalty on the kernel (``kerastorch.regularizers``).
        bias_regularizer: Penalty on the bias.
        activity_regularizer: Penalty on the layer's output.
        kernel_constraint: Projection of the kernel after each optimizer step
            (``kerastorch.constraints``).
        bias_constraint: Projection of the bias after each optimizer step.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.

    Example:
        >>> layer = Conv1DTranspose(8, 7, strides=2, padding="same", activation="relu")
        >>> layer(torch.randn(2, 36, 16)).shape
        torch.Size([2, 72, 8])
    """

    keras_weight_roles = ("kernel", "bias")

    supports_masking = False

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        output_padding: int | Sequence[int] | None = None,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: ActivationArg = None,
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        bias_initializer: InitializerArg = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        layer = self.describe()
        self.filters = check_positive_int(layer, "filters", filters)
        self.kernel_size = single_int(layer, "kernel_size", kernel_size)
        self.strides = single_int(layer, "strides", strides)
        self.dilation_rate = single_int(layer, "dilation_rate", dilation_rate)
        self.padding = check_padding(layer, padding, ("valid", "same"))
        self.data_format = check_data_format(layer, data_format)
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(
                f"{layer}: strides > 1 cannot be combined with dilation_rate > 1 (as in Keras), "
                f"received strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        if output_padding is not None:
            if isinstance(output_padding, (tuple, list)) and len(output_padding) == 1:
                output_padding = output_padding[0]
            if (
                isinstance(output_padding, bool)
                or not isinstance(output_padding, int)
                or not 0 <= output_padding < self.strides
            ):
                raise ValueError(
                    f"{layer}: output_padding must be an integer with 0 <= output_padding < "
                    f"strides={self.strides}, received output_padding={output_padding!r}."
                )
        self.output_padding = output_padding
        self.activation_arg = activation
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.initializer_args = {
            "kernel_initializer": kernel_initializer,
            "bias_initializer": bias_initializer,
        }
        for init in self.initializer_args.values():
            initializers.get(init)
        self._crops = transpose_crops(
            self.kernel_size, self.strides, self.dilation_rate, self.padding, output_padding
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()} expects 3D inputs (batch, steps, channels), received shape "
                f"{tuple(input_shape)}."
            )
        new_steps = transpose_output_length(
            self._steps(input_shape),
            self.kernel_size,
            self.strides,
            self.dilation_rate,
            self.padding,
            self.output_padding,
        )
        if self.data_format == "channels_last":
            return (input_shape[0], new_steps, self.filters)
        return (input_shape[0], self.filters, new_steps)

    def build(self, input_shape: Shape) -> None:
        channels = self._channels(input_shape)
        self.conv = nn.ConvTranspose1d(
            channels,
            self.filters,
            self.kernel_size,
            stride=self.strides,
            dilation=self.dilation_rate,
            bias=self.use_bias,
        )
        kernel = initializers.get(self.initializer_args["kernel_initializer"])
        with torch.no_grad():
            # Keras's kernel (kernel_size, filters, channels): its fans come from that layout.
            self.conv.weight.copy_(
                kernel((self.kernel_size, self.filters, channels)).permute(2, 1, 0)
            )
            if self.use_bias:
                bias = initializers.get(self.initializer_args["bias_initializer"])
                self.conv.bias.copy_(bias((self.filters,)))

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        check_3d(self, inputs, self.data_format)
        channels = self._channels(tuple(inputs.shape))
        if channels != self.conv.in_channels:
            raise ValueError(
                f"{self.describe()} expects {self.conv.in_channels} input channels, got "
                f"{channels} (input shape {tuple(inputs.shape)}). It was built for inputs of "
                f"shape {self.build_input_shape}."
            )
        # NOTE [transposed padding]: the full output, then Keras's cut (or zeros), then the bias.
        outputs = F.conv_transpose1d(
            to_channels_first(inputs, self.data_format),
            self.conv.weight,
            stride=self.strides,
            dilation=self.dilation_rate,
        )
        left, right = self._crops
        outputs = outputs[..., max(left, 0) : outputs.shape[-1] - max(right, 0)]
        if left < 0 or right < 0:
            outputs = F.pad(outputs, (max(-left, 0), max(-right, 0)))
        if self.use_bias:
            outputs = outputs + self.conv.bias[:, None]
        return self.activation(from_channels_first(outputs, self.data_format))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": (self.kernel_size,),
            "strides": (self.strides,),
            "padding": self.padding,
            "output_padding": None if self.output_padding is None else (self.output_padding,),
            "data_format": self.data_format,
            "dilation_rate": (self.dilation_rate,),
            "activation": activation_config(self.activation_arg),
            "use_bias": self.use_bias,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }


Convolution1DTranspose = Conv1DTranspose
"""Keras's alias of :class:`Conv1DTranspose`."""
