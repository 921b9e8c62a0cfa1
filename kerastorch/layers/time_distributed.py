"""TimeDistributed: apply one layer, with one set of weights, to every timestep."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from kerastorch.layers.base import Layer, Shape, call_in_model
from kerastorch.saving.serialization import deserialize_layer, nested_layer_entry

__all__ = ["TimeDistributed"]


class TimeDistributed(Layer):
    """Applies ``layer`` to every timestep of a ``(batch, timesteps, ...)`` input, with the same
    weights at every step.

    The time axis is folded into the batch axis, ``(batch, timesteps, ...)`` ->
    ``(batch * timesteps, ...)``, the wrapped layer runs once on that, and the result is unfolded
    back to ``(batch, timesteps, ...)``: one call of the wrapped layer, not one per timestep. The
    wrapped layer is built for inputs of shape ``(None, *input_shape[2:])``.

    The mask passes through unchanged, as in Keras: after an ``Embedding(mask_zero=True)`` and an
    ``LSTM(return_sequences=True)``, a ``TimeDistributed(Dense(...))`` output keeps the mask, so a
    loss over timesteps skips the padding. A mask with more axes than ``(batch, timesteps)`` is
    folded like the inputs and given to the wrapped layer; a ``(batch, timesteps)`` mask is not
    passed to it (each folded sample is one timestep, which has no time axis to mask). Keras
    instead hands each step's ``(batch,)`` slice to a wrapped layer whose ``call`` takes ``mask``.

    The weights are the wrapped layer's (``get_weights``, parameter counts); ``state_dict`` keys
    read ``time_distributed.layer.linear.weight``.

    Args:
        layer: The kerastorch layer to apply, e.g. ``Dense(1)``.

    Input shape: ``(batch, timesteps, ...)``, at least 3 axes. Output shape: ``(batch,
    timesteps, *inner_output_shape[1:])``.

    Example:
        >>> from kerastorch.layers import Dense
        >>> layer = TimeDistributed(Dense(3))
        >>> layer(torch.ones(2, 5, 4)).shape
        torch.Size([2, 5, 3])
        >>> layer.compute_output_shape((None, None, 4))
        (None, None, 3)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            if isinstance(layer, type) and issubclass(layer, Layer):
                hint = f" Pass an instance: TimeDistributed({layer.__name__}(...))."
            elif isinstance(layer, nn.Module):
                hint = " Wrap a plain torch module in a kerastorch Layer subclass first."
            else:
                hint = ""
            raise TypeError(
                f"{self.describe()}: expected layer to be a kerastorch layer instance, e.g. "
                f"TimeDistributed(Dense(1)), received {type(layer).__name__}: {layer!r}.{hint}"
            )
        self.layer = layer

    # -- shapes and building ---------------------------------------------------------------------

    def _child_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) < 3:
            raise ValueError(
                f"{self.describe()} expects inputs of shape (batch, timesteps, ...) with at least "
                f"3 axes, received input shape {tuple(input_shape)}. For (batch, features) "
                f"inputs, use {self.layer.cls_name} directly."
            )
        return (None, *input_shape[2:])

    def can_build(self, input_shape: Shape) -> bool:
        # A bad rank builds, so that build raises the clear error.
        return len(input_shape) < 3 or self.layer.can_build(self._child_shape(input_shape))

    def build(self, input_shape: Shape) -> None:
        self.layer.build_from_shape(self._child_shape(input_shape))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        inner = self.layer.compute_output_shape(self._child_shape(input_shape))
        if isinstance(inner, list):
            raise ValueError(
                f"{self.describe()}: the wrapped {self.layer.describe()} returns several tensors; "
                "TimeDistributed needs a layer that returns one (e.g. no return_state=True)."
            )
        return (input_shape[0], input_shape[1], *inner[1:])

    # -- computing -------------------------------------------------------------------------------

    def forward(
        self,
        inputs: torch.Tensor,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
    ) -> torch.Tensor:
        if inputs.dim() < 3:
            self._child_shape(tuple(inputs.shape))  # raises the rank error
        batch, steps = inputs.shape[:2]
        inner_mask = None
        if mask is not None:
            if mask.dim() < 2 or tuple(mask.shape[:2]) != (batch, steps):
                raise ValueError(
                    f"{self.describe()}: the mask must start with the (batch, timesteps) axes "
                    f"of the inputs, ({batch}, {steps}), received mask shape "
                    f"{tuple(mask.shape)} for inputs of shape {tuple(inputs.shape)}."
                )
            if mask.dim() > 2:
                inner_mask = mask.reshape(batch * steps, *mask.shape[2:])
        outputs = call_in_model(
            self.layer,
            inputs.reshape(batch * steps, *inputs.shape[2:]),
            mask=inner_mask,
            training=training,
        )
        if not torch.is_tensor(outputs):
            raise ValueError(
                f"{self.describe()}: the wrapped {self.layer.describe()} returned "
                f"{type(outputs).__name__}; TimeDistributed needs a layer that returns one tensor."
            )
        return outputs.reshape(batch, steps, *outputs.shape[1:])

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor | None:
        return mask

    # -- weights and config ----------------------------------------------------------------------

    def keras_weights(self) -> list[torch.Tensor]:
        return self.layer.weights

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.layer.load_keras_weights(weights)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": nested_layer_entry(self.layer)}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> TimeDistributed:
        """Rebuild from :meth:`get_config`; the wrapped layer's class is found among
        kerastorch's layers, ``custom_objects``, an active ``custom_object_scope`` and the
        registered classes (as :class:`~kerastorch.layers.Bidirectional` finds its layers)."""
        config = dict(config)
        layer = config.pop("layer")
        if isinstance(layer, Mapping):
            layer = deserialize_layer(layer, custom_objects)
        return cls(layer, **config)
