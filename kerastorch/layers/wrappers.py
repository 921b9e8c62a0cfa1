"""Layer wrappers: Bidirectional."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from kerastorch.errors import did_you_mean
from kerastorch.layers.base import Layer, Shape, call_in_model
from kerastorch.layers.recurrent import RecurrentLayer
from kerastorch.saving.serialization import deserialize_layer, nested_layer_entry

__all__ = ["Bidirectional"]

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _without_prefix(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence forwards and backwards and merges the outputs.

    As in Keras, the wrapped layer is used as a template: ``forward_layer`` is a copy of it (named
    ``forward_<name>``) and ``backward_layer`` a copy with ``go_backwards=True`` (named
    ``backward_<name>``), unless ``backward_layer`` is given. Both copies have their own weights;
    the template's are not used. With ``return_sequences`` the backward outputs are flipped back
    to the input's time order before merging, and masked steps output zeros (Keras sets
    ``zero_output_for_mask`` on both copies). Masks reach both copies; the backward copy flips
    the mask along with the sequence.

    Weights (``get_weights``, ``set_weights``) are the forward layer's followed by the backward
    layer's, as in Keras; ``state_dict`` keys read ``forward_layer.lstm.weight_ih_l0``.

    Args:
        layer: A recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``) to copy.
        merge_mode: How to combine the two outputs: ``"concat"`` (the default, on the last
            axis), ``"sum"``, ``"mul"``, ``"ave"``, or ``None`` for ``[forward, backward]``.
        weights: Initial weights, in ``get_weights`` order, set when the layer is built. Keras 3
            accepts this argument but ignores it; kerastorch applies it, as Keras 2 did.
        backward_layer: A recurrent layer to use as the backward layer instead of a copy; it
            must have ``go_backwards`` opposite to ``layer`` and the same ``return_sequences``,
            ``return_state`` and ``stateful``.

    Input shape: ``(batch, timesteps, features)``.
    Output shape: ``(batch, [timesteps,] 2 * units)`` with ``concat``, ``(batch, [timesteps,]
    units)`` otherwise; with the wrapped layer's ``return_state``, a list: the output(s), then
    the forward layer's states, then the backward layer's.

    Example:
        >>> from kerastorch.layers import LSTM
        >>> layer = Bidirectional(LSTM(8, return_sequences=True))
        >>> layer(torch.randn(4, 10, 3)).shape
        torch.Size([4, 10, 16])
        >>> Bidirectional(LSTM(8), merge_mode="sum")(torch.randn(4, 10, 3)).shape
        torch.Size([4, 8])
    """

    supports_masking = True

    def __init__(
        self,
        layer: RecurrentLayer,
        merge_mode: str | None = "concat",
        weights: Sequence[Any] | None = None,
        backward_layer: RecurrentLayer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for arg, value in (("layer", layer), ("backward_layer", backward_layer)):
            if value is not None and not isinstance(value, RecurrentLayer):
                raise TypeError(
                    f"{self.describe()}: expected {arg} to be a recurrent layer (LSTM, GRU, "
                    f"SimpleRNN), received {type(value).__name__}."
                )
        if merge_mode not in MERGE_MODES:
            valid = [m for m in MERGE_MODES if m is not None]
            hint = did_you_mean(merge_mode, valid) if isinstance(merge_mode, str) else ""
            raise ValueError(
                f"{self.describe()}: expected merge_mode to be one of 'concat', 'sum', 'mul', "
                f"'ave' or None, received merge_mode={merge_mode!r}.{hint}"
            )
        self.merge_mode = merge_mode
        # Keras 2 code often declares the input shape on the wrapped layer.
        if self.declared_input_shape is None:
            self.declared_input_shape = layer.declared_input_shape
        config = layer.get_config()
        config["name"] = f"forward_{_without_prefix(layer.name, 'forward_')}"
        self.forward_layer: RecurrentLayer = type(layer).from_config(config)
        if backward_layer is None:
            config = layer.get_config()
            config["name"] = f"backward_{_without_prefix(layer.name, 'backward_')}"
            config["go_backwards"] = True
            backward_layer = type(layer).from_config(config)
        self.backward_layer: RecurrentLayer = backward_layer
        self._check_pair()
        for sublayer in (self.forward_layer, self.backward_layer):
            sublayer.zero_output_for_mask = sublayer.return_sequences
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self._initial_weights = list(weights) if weights is not None and len(weights) else None

    def _check_pair(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            fix = (
                "Wrap a layer with go_backwards=False: Bidirectional makes the backward copy."
                if forward.go_backwards
                else "Give backward_layer go_backwards=True."
            )
            raise ValueError(
                f"{self.describe()}: the forward and backward layers must process the sequence in "
                f"opposite directions, received go_backwards={forward.go_backwards} for "
                f"{forward.describe()} and go_backwards={backward.go_backwards} for "
                f"{backward.describe()}. {fix}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attr) != getattr(backward, attr):
                raise ValueError(
                    f"{self.describe()}: the forward and backward layers must have the same "
                    f"{attr}, received {attr}={getattr(forward, attr)} for {forward.describe()} "
                    f"and {attr}={getattr(backward, attr)} for {backward.describe()}."
                )

    # -- building --------------------------------------------------------------------------------

    def can_build(self, input_shape: Shape) -> bool:
        return self.forward_layer.can_build(input_shape)

    def build(self, input_shape: Shape) -> None:
        self.forward_layer.build_from_shape(input_shape)
        self.backward_layer.build_from_shape(input_shape)
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self._set_initial_weights(weights)

    def _set_initial_weights(self, weights: list[Any]) -> None:
        half = len(weights) // 2
        self.forward_layer.set_weights(weights[:half])
        self.backward_layer.set_weights(weights[half:])

    def compute_output_shape(self, input_shape: Shape) -> Shape | list[Shape]:
        output = self.forward_layer.compute_output_shape(input_shape)
        states: list[Shape] = []
        if self.return_state:
            output, states = output[0], list(output[1:])
        if self.merge_mode == "concat":
            last = output[-1]
            output = (*output[:-1], None if last is None else 2 * last)
        outputs = [output, output] if self.merge_mode is None else [output]
        if self.return_state or self.merge_mode is None:
            return [*outputs, *states, *states]
        return output

    # -- computing -------------------------------------------------------------------------------

    def forward(
        self,
        inputs: torch.Tensor,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
        initial_state: Sequence[torch.Tensor] | None = None,
    ):
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = call_in_model(
            self.forward_layer, inputs, mask=mask, training=training, initial_state=forward_state
        )
        y_rev = call_in_model(
            self.backward_layer, inputs, mask=mask, training=training, initial_state=backward_state
        )
        states: list[torch.Tensor] = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)  # back to the input's time order
        if self.merge_mode == "concat":
            outputs = [torch.cat([y, y_rev], dim=-1)]
        elif self.merge_mode == "sum":
            outputs = [y + y_rev]
        elif self.merge_mode == "ave":
            outputs = [(y + y_rev) / 2]
        elif self.merge_mode == "mul":
            outputs = [y * y_rev]
        else:
            outputs = [y, y_rev]
        if self.return_state or self.merge_mode is None:
            return [*outputs, *states]
        return outputs[0]

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor | None:
        return mask if self.return_sequences else None

    # -- states and weights ----------------------------------------------------------------------

    @property
    def states(self) -> list[torch.Tensor] | None:
        """The forward layer's carried states, then the backward layer's (``stateful=True``)."""
        forward, backward = self.forward_layer.states, self.backward_layer.states
        return None if forward is None or backward is None else [*forward, *backward]

    def reset_states(self, states: Sequence[Any] | None = None) -> None:
        """Reset both layers' carried states to zeros (or to ``states``, forward's first)."""
        if not self.stateful:
            raise AttributeError(
                f"{self.describe()} is not stateful, so it has no states to reset; wrap a layer "
                "created with stateful=True."
            )
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        states = list(states)
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def keras_weights(self) -> list[torch.Tensor]:
        return self.forward_layer.keras_weights() + self.backward_layer.keras_weights()

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        count = len(self.forward_layer.keras_weights())
        self.forward_layer.load_keras_weights(weights[:count])
        self.backward_layer.load_keras_weights(weights[count:])

    # -- configuration ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        shown = [f"name={self.name!r}"]
        if self.merge_mode != "concat":
            shown.append(f"merge_mode={self.merge_mode!r}")
        return ", ".join(shown)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "layer": nested_layer_entry(self.forward_layer),
            "merge_mode": self.merge_mode,
            "backward_layer": nested_layer_entry(self.backward_layer),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Bidirectional:
        """Rebuild from :meth:`get_config`; the layers' classes are found among kerastorch's
        layers, ``custom_objects``, an active ``custom_object_scope`` and the registered classes
        (as :class:`~kerastorch.layers.TimeDistributed` finds its layer)."""
        config = dict(config)
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), Mapping):
                config[key] = deserialize_layer(config[key], custom_objects)
        if config.get("backward_layer") is None:
            config.pop("backward_layer", None)
        return cls(**config)
