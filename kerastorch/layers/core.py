"""Core layers: Input, Dense, Activation, Dropout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from kerastorch import activations, initializers
from kerastorch.layers.base import Layer, Shape, check_positive_int, check_rate, to_shape

__all__ = ["Activation", "Dense", "Dropout", "Input", "InputLayer"]

ActivationArg = str | Callable[[torch.Tensor], torch.Tensor] | None
InitializerArg = str | Callable[..., torch.Tensor] | dict[str, Any]


def activation_config(identifier: ActivationArg) -> Any:
    """How an activation argument is written in ``get_config``: its name where it has one."""
    if identifier is None or isinstance(identifier, str):
        return identifier or "linear"
    return activations.serialize(identifier) or identifier


def initializer_config(identifier: InitializerArg) -> Any:
    if isinstance(identifier, (str, dict)):
        return identifier
    return initializers.serialize(identifier)


def check_last_dim(layer: Layer, inputs: torch.Tensor, expected: int, what: str) -> None:
    """Raise a clear error when the feature axis differs from the one the layer was built for."""
    if inputs.shape[-1] != expected:
        raise ValueError(
            f"{layer.describe()} expects {expected} {what}, got {inputs.shape[-1]} "
            f"(input shape {tuple(inputs.shape)}). It was built for inputs of shape "
            f"{layer.build_input_shape}."
        )


class InputLayer:
    """The placeholder ``Input(shape)`` returns: it gives a ``Sequential`` its input shape.

    It holds no weights and is not a module; ``Sequential`` reads ``batch_shape`` from it.
    """

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
        dtype: Any = None,
        name: str | None = None,
        batch_shape: Sequence[int | None] | None = None,
    ) -> None:
        if batch_shape is not None:
            self.batch_shape: Shape = to_shape(batch_shape, "batch_shape")
        elif shape is not None:
            self.batch_shape = (batch_size, *to_shape(shape, "shape"))
        else:
            raise ValueError("Input: expected shape=(timesteps, features) or batch_shape=.")
        if len(self.batch_shape) < 2:
            raise ValueError(
                f"Input: expected a shape without the batch axis, e.g. (None, 5) for sequences of "
                f"any length with 5 features, received batch_shape={self.batch_shape}."
            )
        self.dtype = dtype
        self.name = name or "input_layer"

    @property
    def shape(self) -> Shape:
        return self.batch_shape

    def __repr__(self) -> str:
        return f"Input(shape={self.batch_shape[1:]})"


def Input(
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    name: str | None = None,
    batch_shape: Sequence[int | None] | None = None,
) -> InputLayer:
    """Declare a model's input shape, without the batch axis.

    ``None`` marks a size that may change from batch to batch, typically the number of
    timesteps: ``Input(shape=(None, 5))`` accepts sequences of any length with 5 features.

    Example:
        >>> from kerastorch import Sequential
        >>> from kerastorch.layers import LSTM, Dense
        >>> model = Sequential([Input(shape=(None, 5)), LSTM(8), Dense(1)])
        >>> model.output_shape
        (None, 1)
    """
    return InputLayer(shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Like Keras's, it acts on the last axis of inputs of any rank, so on a sequence
    ``(batch, timesteps, features)`` it is applied at every timestep. Runs on ``nn.Linear``.

    Args:
        units: Output size.
        activation: Name or callable; ``None`` is linear.
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the ``(input_dim, units)`` kernel.
        bias_initializer: Initializer of the bias.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.

    Example:
        >>> layer = Dense(3, activation="relu")
        >>> layer(torch.ones(2, 7, 4)).shape
        torch.Size([2, 7, 3])
    """

    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: ActivationArg = None,
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        bias_initializer: InitializerArg = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_positive_int(f"Dense '{self.name}'", "units", units)
        self.activation_arg = activation
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.initializer_args = {
            "kernel_initializer": kernel_initializer,
            "bias_initializer": bias_initializer,
        }

    def can_build(self, input_shape: Shape) -> bool:
        return len(input_shape) >= 2 and input_shape[-1] is not None

    def build(self, input_shape: Shape) -> None:
        in_features = input_shape[-1]
        self.linear = nn.Linear(in_features, self.units, bias=self.use_bias)
        kernel = initializers.get(self.initializer_args["kernel_initializer"])
        with torch.no_grad():
            self.linear.weight.copy_(kernel((in_features, self.units)).T)
            if self.use_bias:
                bias = initializers.get(self.initializer_args["bias_initializer"])
                self.linear.bias.copy_(bias((self.units,)))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        check_last_dim(self, inputs, self.linear.in_features, "input features")
        return self.activation(self.linear(inputs))

    def keras_weights(self) -> list[torch.Tensor]:
        return [self.linear.weight.T] + ([self.linear.bias] if self.use_bias else [])

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.linear.weight.copy_(weights[0].T)
        if self.use_bias:
            self.linear.bias.copy_(weights[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activation_config(self.activation_arg),
            "use_bias": self.use_bias,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }


class Activation(Layer):
    """Applies an activation function by name or callable.

    Example:
        >>> Activation("softmax")(torch.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    supports_masking = True

    def __init__(self, activation: ActivationArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation_arg = activation
        self.activation = activations.get(activation)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activation_config(self.activation_arg)}


class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of the inputs in training, scaling the rest by
    ``1 / (1 - rate)``; the identity in inference (``evaluate``, ``predict``).

    Args:
        rate: Fraction of the inputs to drop, in [0, 1).
        noise_shape: Shape of the binary mask, ``None`` entries taken from the input; e.g.
            ``(None, 1, None)`` drops the same features at every timestep.
        seed: Unused, for Keras compatibility (use ``kerastorch.utils.set_random_seed``).

    Example:
        >>> layer = Dropout(0.5)
        >>> layer(torch.ones(2, 3), training=False)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(f"Dropout '{self.name}'", "rate", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        if not self.is_training(training) or self.rate == 0.0:
            return inputs
        if self.noise_shape is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = [inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        keep = torch.empty(shape, device=inputs.device, dtype=inputs.dtype).bernoulli_(
            1 - self.rate
        )
        return inputs * keep / (1 - self.rate)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }
