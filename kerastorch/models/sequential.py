"""Sequential: a plain stack of layers, built lazily from an input shape or the first batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch

from kerastorch.layers.base import Layer, Shape, as_model_input, call_in_model, to_shape
from kerastorch.layers.core import InputLayer
from kerastorch.layers.masking import lengths_to_mask
from kerastorch.models.model import Model
from kerastorch.saving.keras_layers import layers_from_keras_config
from kerastorch.saving.object_registration import register_builtin_classes
from kerastorch.saving.serialization import (
    SavingError,
    deserialize_layer,
    is_keras_model_config,
    saved_shape,
)
from kerastorch.symbolic import KerasTensor

__all__ = ["Sequential"]


class Sequential(Model):
    """A linear stack of layers, exactly as in Keras, and an ordinary ``torch.nn.Module``.

    The input shape comes from an ``Input(shape=...)`` first entry, from ``input_shape=`` on the
    first layer, or from the first batch the model sees (``fit``, ``predict``, ``model(x)``).
    Each layer is registered under its name, so ``state_dict`` keys read
    ``lstm.lstm.weight_ih_l0``, ``dense.linear.weight``.

    Args:
        layers: Layers to stack, optionally starting with ``Input(shape)``.
        name: The model's name.
        trainable: ``False`` freezes every layer (no weight is trained), as Keras's argument.

    Example:
        >>> from kerastorch.layers import Input, LSTM, Dense
        >>> model = Sequential([Input((None, 5)), LSTM(20), Dense(1)])
        >>> model(torch.randn(2, 7, 5)).shape
        torch.Size([2, 1])
        >>> model.count_params()
        2101
    """

    def data_names(self) -> None:
        """None: a Sequential model takes one array (a list of arrays is a list of samples)."""
        return None

    def __init__(
        self,
        layers: Iterable[Layer | InputLayer] | None = None,
        name: str | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__(name=name)
        self._layers: list[Layer] = []
        self.input_batch_shape: Shape | None = None
        self._input_dtype: str | None = None  # the dtype of its Input, if it starts with one
        for layer in layers or []:
            self.add(layer)
        if not trainable:
            self.trainable = False

    # -- building the stack ----------------------------------------------------------------------

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def layer_chain(self) -> list[Layer]:
        return self.layers

    def add(self, layer: Layer | InputLayer) -> None:
        """Append a layer (or set the input shape with ``Input``), building it when the shape
        before it is known.

        Example:
            >>> from kerastorch.layers import Dense
            >>> model = Sequential()
            >>> model.add(Dense(4, input_shape=(3,)))
            >>> model.output_shape
            (None, 4)
        """
        if isinstance(layer, KerasTensor) and isinstance(
            getattr(layer._keras_history, "operation", None), InputLayer
        ):
            layer = layer._keras_history.operation  # Input(shape) gives the input layer's output
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError(
                    f"Sequential '{self.name}': Input(...) must come first, before "
                    f"{self._layers[-1].describe()}."
                )
            self.input_batch_shape = layer.batch_shape
            self._input_dtype = layer.input_dtype
            return
        if not isinstance(layer, Layer):
            hint = ""
            if isinstance(layer, torch.nn.Module):
                hint = " Wrap plain torch modules in a kerastorch Layer subclass."
            raise TypeError(
                f"Sequential '{self.name}': expected a kerastorch layer, received "
                f"{type(layer).__name__}.{hint}"
            )
        taken = {other.name for other in self._layers} | set(self._modules)
        if layer.auto_named and layer.name in taken:
            layer.name = next(
                f"{layer.name}_{i}"
                for i in range(1, len(taken) + 2)
                if f"{layer.name}_{i}" not in taken
            )
        if layer.name in taken:
            raise ValueError(
                f"Sequential '{self.name}' already has a layer named '{layer.name}'; "
                "layer names must be unique within a model."
            )
        if not self._layers and self.input_batch_shape is None and layer.declared_input_shape:
            self.input_batch_shape = layer.declared_input_shape
        self._layers.append(layer)
        self.add_module(layer.name, layer)
        layer.train(self.training)
        if self.input_batch_shape is not None:
            self.build(self.input_batch_shape)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise IndexError(f"Sequential '{self.name}' has no layers to pop.")
        layer = self._layers.pop()
        delattr(self, layer.name)
        return layer

    def build(self, input_shape: Any = None) -> None:
        """Build every layer whose input shape is known, chaining ``compute_output_shape``.

        Example:
            >>> from kerastorch.layers import Dense
            >>> model = Sequential([Dense(2)])
            >>> model.build((None, 3))
            >>> model.built
            True
        """
        if input_shape is None:
            input_shape = self.input_batch_shape
        if input_shape is None:
            raise ValueError(
                f"Sequential '{self.name}' has no input shape: pass one, e.g. "
                "model.build((None, timesteps, features)), or start with Input(shape=...)."
            )
        shape = to_shape(input_shape, "input_shape")
        self.input_batch_shape = shape
        for layer in self._layers:
            layer.build_from_shape(shape)
            shape = self._single_output_shape(layer, layer.compute_output_shape(shape))

    def _single_output_shape(self, layer: Layer, shape: Any) -> Shape:
        if isinstance(shape, list):
            raise ValueError(
                f"{layer.describe()} returns several tensors (return_state=True, or Bidirectional "
                f"with merge_mode=None), but every layer of Sequential '{self.name}' must return "
                "one tensor. Use such a layer called directly, outside Sequential."
            )
        return shape

    @property
    def built(self) -> bool:  # type: ignore[override]
        return bool(self._layers) and all(layer.built for layer in self._layers)

    @built.setter
    def built(self, value: bool) -> None:
        pass  # derived from the layers; assignments from nn.Module machinery are ignored

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The shape out of the last layer, chained through every layer (a Sequential nested in
        a functional model is called on symbolic tensors)."""
        shape: Any = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def output_shapes(self) -> list[Shape | None]:
        """Each layer's output shape from the model's input shape (``None`` where unknown)."""
        shape: Shape | None = self.input_batch_shape
        shapes: list[Shape | None] = []
        for layer in self._layers:
            if shape is not None:
                shape = layer.compute_output_shape(shape)
                if isinstance(shape, list):
                    shape = shape[0]
            shapes.append(shape)
        return shapes

    @property
    def output_shape(self) -> Shape | None:
        shapes = self.output_shapes()
        return shapes[-1] if shapes else None

    @property
    def input_shape(self) -> Shape | None:
        return self.input_batch_shape

    @property
    def takes_ids(self) -> bool:  # type: ignore[override]
        """Whether its first layer takes integer ids (a nested model starting with Embedding)."""
        return bool(self._layers) and self._input_dtype is None and self._layers[0].takes_ids

    # -- computing -------------------------------------------------------------------------------

    def forward(
        self,
        inputs: Any,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
        return_mask: bool = False,
        lengths: Any = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """Run the layers in order, passing each layer's mask to the next.

        Args:
            inputs: ``(batch, ...)`` input; for sequences ``(batch, timesteps, features)``.
            mask: Optional ``(batch, timesteps)`` boolean mask, True for real steps.
            training: Override the module's train/eval mode for this call.
            return_mask: Also return the output's mask (what the loss uses to skip padding).
            lengths: ``(batch,)`` lengths of right-padded sequences (what ``pad_sequence``
                users hold), instead of ``mask``; each must be in ``[0, timesteps]``.

        Example:
            >>> from kerastorch.layers import LSTM
            >>> model = Sequential([LSTM(4)])
            >>> model(torch.randn(2, 5, 3), lengths=[5, 2]).shape
            torch.Size([2, 4])
        """
        if not torch.is_tensor(inputs):
            array = np.asarray(inputs)
            if array.dtype.kind in "USO":
                inputs = array  # raw strings: the first (text) layer reads them as they are
            else:
                inputs = torch.as_tensor(array)
                if inputs.is_floating_point():
                    inputs = inputs.float()
        if not self._layers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some first.")
        first = self._layers[0]
        inputs = as_model_input(inputs, self._input_dtype, first.takes_ids, first.takes_text)
        if lengths is not None:
            if mask is not None:
                raise ValueError("Pass either mask or lengths, not both.")
            if inputs.dim() < 2:
                raise ValueError(
                    f"lengths= needs inputs of shape (batch, timesteps, ...), received shape "
                    f"{tuple(inputs.shape)}."
                )
            try:
                mask = lengths_to_mask(torch.as_tensor(lengths), maxlen=inputs.shape[1])
            except (ValueError, TypeError) as error:
                raise type(error)(
                    f"Sequential '{self.name}': bad lengths= for inputs of shape "
                    f"{tuple(inputs.shape)} (timesteps={inputs.shape[1]}): {error}"
                ) from None
            mask = mask.to(inputs.device)
        if self.input_batch_shape is None:
            self.build((None, *inputs.shape[1:]))
        x = inputs
        for layer in self._layers:
            outputs = call_in_model(layer, x, mask=mask, training=training)
            mask = layer.compute_mask(x, mask)
            x = outputs
        return (x, mask) if return_mask else x

    def reset_states(self) -> None:
        """Reset the carried states of every stateful layer to zeros (Keras 2's
        ``model.reset_states()``; Keras 3 models lack it, its layers have ``reset_states``).

        Example:
            >>> from kerastorch.layers import Input, LSTM
            >>> model = Sequential([Input(batch_shape=(2, 5, 3)), LSTM(4, stateful=True)])
            >>> _ = model(torch.ones(2, 5, 3))
            >>> model.reset_states()
            >>> float(model.layers[0].states[0].abs().sum())
            0.0
        """
        for layer in self._layers:
            if getattr(layer, "stateful", False):
                layer.reset_states()

    # -- configuration ---------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_shape": self.input_batch_shape,
            "layers": [
                {"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self._layers
            ],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Sequential:
        """Create a model (new weights) from ``model.get_config()`` (or from a saved entry
        ``{"class_name", "config", ...}``), built from its input shape when it has one. A Keras
        Sequential's ``get_config()`` is read too (:meth:`from_keras_config`).

        Example:
            >>> from kerastorch.layers import Dense, Input
            >>> model = Sequential([Input((2,)), Dense(3)])
            >>> Sequential.from_config(model.get_config()).output_shape
            (None, 3)
        """
        input_batch_shape = None
        if "config" in config and "layers" not in config:  # a saved entry
            input_batch_shape = config.get("input_batch_shape")
            config = config["config"]
        if not isinstance(config, Mapping) or not isinstance(config.get("layers"), list):
            raise SavingError(
                f"Expected a Sequential config with a 'layers' list, received {str(config)[:200]}."
            )
        if is_keras_model_config(config):
            return cls.from_keras_config(config, custom_objects)
        entries = config["layers"]
        layers = [deserialize_layer(entry, custom_objects, entries) for entry in entries]
        model = cls(name=config.get("name"))
        for layer in layers:
            model.add(layer)
        shape = saved_shape(
            input_batch_shape if input_batch_shape is not None else config.get("input_shape"),
            "input shape",
        )
        if shape is not None:
            model.build(shape)
        for layer, entry in zip(layers, entries, strict=True):
            saved = entry.get("build_input_shape")
            if not layer.built and saved is not None:
                layer.build_from_shape(saved_shape(saved, f"{layer.describe()} build shape"))
        return model

    @classmethod
    def from_keras_config(cls, config: Any, custom_objects: Any = None) -> Sequential:
        """Create a model (new weights) from a Keras Sequential's config (Keras 3 or 2, as in
        ``.keras`` / ``.h5`` files), for the layers kerastorch supports (NOTE [Keras layer
        table]); built from the input shape the config holds.
        """
        layers, entries, input_shape = layers_from_keras_config(config, custom_objects)
        model = cls(name=config.get("name") if isinstance(config, Mapping) else None)
        for layer in layers:
            model.add(layer)
        if input_shape is not None and not model.built:
            model.build(tuple(input_shape))
        for layer, entry in zip(layers, entries, strict=True):
            build = entry.get("build_config") or {}
            shape = build.get("input_shape")
            if not layer.built and isinstance(shape, list):
                layer.build_from_shape(tuple(shape))
        return model


# Saved models name this class; loading finds it here (NOTE [safe deserialization]).
register_builtin_classes("model", Model, [Sequential])
