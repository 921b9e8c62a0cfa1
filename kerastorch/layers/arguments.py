"""What the layer families share about their constructor arguments and inputs: the argument
types, their checks, and how ``get_config`` writes them.

Every layer module takes these from here (not from a sibling layer's module), so a new layer
family needs no other layer's file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from kerastorch import activations, initializers

if TYPE_CHECKING:
    from kerastorch.layers.base import Layer

__all__ = [
    "DATA_FORMATS",
    "ActivationArg",
    "InitializerArg",
    "activation_config",
    "check_data_format",
    "check_last_dim",
    "check_padding",
    "check_positive_int",
    "check_rate",
    "initializer_config",
    "single_int",
    "to_tensor",
]

ActivationArg = str | Callable[[torch.Tensor], torch.Tensor] | None
InitializerArg = str | Callable[..., torch.Tensor] | dict[str, Any]


def activation_config(identifier: ActivationArg) -> Any:
    """How an activation argument is written in ``get_config``: its name where it has one.

    Example:
        >>> activation_config(None), activation_config(activations.tanh)
        ('linear', 'tanh')
    """
    if identifier is None or isinstance(identifier, str):
        return identifier or "linear"
    return activations.serialize(identifier) or identifier


def initializer_config(identifier: InitializerArg) -> Any:
    """How an initializer argument is written in ``get_config``: a name or config as given, an
    initializer object as its serialized form.

    Example:
        >>> initializer_config("orthogonal")
        'orthogonal'
    """
    if isinstance(identifier, (str, dict)):
        return identifier
    return initializers.serialize(identifier)


def check_last_dim(layer: Layer, inputs: torch.Tensor, expected: int, what: str) -> None:
    """Raise a clear error when the feature axis differs from the one the layer was built for.

    Example:
        >>> from kerastorch.layers import Dense
        >>> dense = Dense(2, input_shape=(3,))
        >>> _ = dense.build_from_shape((None, 3))
        >>> check_last_dim(dense, torch.ones(1, 4), 3, "input features")
        Traceback (most recent call last):
        ...
        ValueError: Dense 'dense' expects 3 input features, got 4 (input shape (1, 4)). ...
    """
    if inputs.shape[-1] != expected:
        raise ValueError(
            f"{layer.describe()} expects {expected} {what}, got {inputs.shape[-1]} "
            f"(input shape {tuple(inputs.shape)}). It was built for inputs of shape "
            f"{layer.build_input_shape}."
        )


DATA_FORMATS = ("channels_last", "channels_first")


def check_positive_int(layer: str, arg: str, value: Any) -> int:
    """``value`` as an int if it is a positive integer, else a ``ValueError`` naming ``arg``.

    Example:
        >>> check_positive_int("LSTM 'lstm'", "units", 0)
        Traceback (most recent call last):
        ...
        ValueError: LSTM 'lstm': expected a positive integer, received units=0.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: expected a positive integer, received {arg}={value!r}.")
    return int(value)


def check_rate(layer: str, arg: str, value: Any) -> float:
    """``value`` as a float if it is a rate in ``[0, 1)``, else a ``ValueError`` naming ``arg``.

    Example:
        >>> check_rate("Dropout 'dropout'", "rate", 0.5)
        0.5
    """
    if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{layer}: expected 0 <= {arg} < 1, received {arg}={value!r}.")
    return float(value)


def single_int(layer: str, arg: str, value: Any) -> int:
    """Keras accepts ``3`` or ``(3,)`` for a 1D size; return the positive int.

    Example:
        >>> single_int("Conv1D 'conv1d'", "kernel_size", (3,))
        3
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(
                f"{layer}: expected {arg} to be an integer or a tuple of 1 integer, received "
                f"{arg}={value!r}."
            )
        value = value[0]
    return check_positive_int(layer, arg, value)


def check_data_format(layer: str, data_format: str | None) -> str:
    """``"channels_last"`` (Keras's default, for None) or ``"channels_first"``; else an error.

    Example:
        >>> check_data_format("Flatten 'flatten'", None)
        'channels_last'
    """
    if data_format is None:
        return "channels_last"  # Keras's default image_data_format
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"{layer}: expected data_format 'channels_last' (batch, steps, channels) or "
            f"'channels_first' (batch, channels, steps), received data_format={data_format!r}."
        )
    return data_format


def check_padding(layer: str, padding: Any, allowed: Sequence[str]) -> str:
    """The padding mode, lower-cased, if it is one of ``allowed``; else an error listing them.

    Example:
        >>> check_padding("MaxPooling1D 'max_pooling1d'", "SAME", ("valid", "same"))
        'same'
    """
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{layer}: expected padding to be one of {listed}, received {padding=}.")
    return mode


def to_tensor(value: Any, device: torch.device | None = None) -> Any:
    """A numpy array (or nested lists of numbers) as a tensor; tensors and ``None`` unchanged.

    Floating-point arrays become float32, as Keras casts inputs to the layer's dtype.
    """
    if value is None or torch.is_tensor(value):
        return value
    array = np.asarray(value)
    tensor = torch.as_tensor(array)
    if tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    return tensor if device is None else tensor.to(device)
