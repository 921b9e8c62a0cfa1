"""clone_model: the same architecture with fresh weights, as ``keras.models.clone_model``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kerastorch.layers import Input, Layer
from kerastorch.models.sequential import Sequential

__all__ = ["clone_model"]


def clone_model(
    model: Sequential,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Any = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Sequential:
    """A new ``Sequential`` with the same layers, built from their configs with new weights.

    As in Keras, the clone has the model's name and input shape, is not compiled, and its weights
    are initialized afresh (copy them with ``clone.set_weights(model.get_weights())``).
    ``clone_function(layer)`` makes each new layer instead (return the layer itself to share it).
    ``recursive`` changes nothing (a kerastorch model does not nest models);
    ``input_tensors`` and ``call_function`` belong to Keras's functional API and are refused.

    Example:
        >>> from kerastorch.layers import Dense
        >>> model = Sequential([Input((3,)), Dense(2)])
        >>> twin = clone_model(model)
        >>> twin.count_params() == model.count_params(), twin.layers[0] is model.layers[0]
        (True, False)
    """
    if not isinstance(model, Sequential):
        raise TypeError(
            f"clone_model expects a kerastorch Sequential, received {type(model).__name__}."
        )
    if input_tensors is not None or call_function is not None or kwargs:
        given = [
            name
            for name, value in (("input_tensors", input_tensors), ("call_function", call_function))
            if value is not None
        ] + list(kwargs)
        raise NotImplementedError(
            f"clone_model: {', '.join(given)} belong to Keras's functional API, which kerastorch "
            "does not have; clone a Sequential with clone_function only."
        )
    make = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
    layers: list[Any] = []
    if model.input_batch_shape is not None:
        layers.append(Input(batch_shape=model.input_batch_shape))
    layers += [make(layer) for layer in model.layers]
    return Sequential(layers, name=model.name, trainable=model.trainable)
