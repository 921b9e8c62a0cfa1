"""clone_model: the same architecture with fresh weights, as ``keras.models.clone_model``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kerastorch import symbolic
from kerastorch.layers import Input, InputLayer, Layer
from kerastorch.models.functional import Functional
from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential
from kerastorch.symbolic import KerasTensor, SymbolicOp, flatten, pack_as

__all__ = ["clone_model"]


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Model:
    """A new model with the same architecture, its layers made from their configs (new
    weights), as Keras's ``clone_model``.

    As in Keras, the clone has the model's name and input shapes and is not trained: copy the
    weights with ``clone.set_weights(model.get_weights())``. A layer shared by several calls is
    cloned once, so the clone shares it too.

    Args:
        model: A ``Sequential`` or functional model.
        input_tensors: For a functional model, symbolic tensors to build the clone on (in the
            structure of ``model.input``); new ``Input`` s of the same shapes and names if None.
        clone_function: ``layer -> new layer`` (return the layer itself to share it); by default
            ``type(layer).from_config(layer.get_config())``.
        call_function: ``(new_layer, *args, **kwargs) -> outputs``, to change how each layer of
            a functional model is called (Keras's argument).
        recursive: Clone nested models layer by layer (with ``clone_function``) instead of
            through their configs.

    Example:
        >>> from kerastorch.layers import Dense
        >>> x = Input((3,), name="x")
        >>> model = Model(x, Dense(1)(Dense(4)(x)))
        >>> twin = clone_model(model)
        >>> twin.count_params() == model.count_params(), twin.layers[1] is model.layers[1]
        (True, False)
        >>> [layer.name for layer in twin.layers] == [layer.name for layer in model.layers]
        True
    """
    if kwargs:
        raise TypeError(f"clone_model got unexpected argument(s) {sorted(kwargs)}.")
    cache: dict[int, Any] = {}
    return _clone(model, input_tensors, clone_function, call_function, recursive, cache)


def _clone(
    model: Model,
    input_tensors: Any,
    clone_function: Callable[[Layer], Layer] | None,
    call_function: Callable[..., Any] | None,
    recursive: bool,
    cache: dict[int, Any],
) -> Model:
    make = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))

    def clone_layer(layer: Layer) -> Any:
        if id(layer) not in cache:
            if recursive and isinstance(layer, (Sequential, Functional)):
                cache[id(layer)] = _clone(layer, None, clone_function, call_function, True, cache)
            else:
                cache[id(layer)] = make(layer)
        return cache[id(layer)]

    if isinstance(model, Sequential):
        if input_tensors is not None or call_function is not None:
            raise ValueError(
                "clone_model: input_tensors and call_function apply to functional models; "
                f"'{model.name}' is a Sequential. Clone it with clone_function only."
            )
        layers: list[Any] = []
        if model.input_batch_shape is not None:
            layers.append(Input(batch_shape=model.input_batch_shape))
        layers += [clone_layer(layer) for layer in model.layers]
        return Sequential(layers, name=model.name, trainable=model.trainable)
    if not isinstance(model, Functional):
        raise TypeError(
            f"clone_model expects a Sequential or functional model, received "
            f"{type(model).__name__}: a subclassed model is copied by creating it again "
            "(and copying weights with set_weights)."
        )
    return _clone_functional(model, input_tensors, clone_layer, call_function)


def _clone_functional(
    model: Functional,
    input_tensors: Any,
    clone_layer: Callable[[Layer], Any],
    call_function: Callable[..., Any] | None,
) -> Functional:
    if input_tensors is None:
        input_tensors = symbolic.map_structure(
            lambda x: Input(batch_shape=x.shape, dtype=x.dtype, name=x.name), model.input
        )
    given = flatten(input_tensors)
    if len(given) != len(model.inputs) or not all(isinstance(x, KerasTensor) for x in given):
        raise ValueError(
            f"clone_model: input_tensors must be {len(model.inputs)} symbolic tensor(s) "
            f"(Input(...)) in the structure of model.input ({model.input_names}), received "
            f"{input_tensors!r}."
        )
    values = {id(old): new for old, new in zip(model.inputs, given, strict=True)}
    for node in model._nodes:
        args, kwargs = symbolic.map_structure(
            lambda leaf: values[id(leaf)] if isinstance(leaf, KerasTensor) else leaf,
            [list(node.args), node.kwargs],
        )
        operation = node.operation
        if isinstance(operation, SymbolicOp):
            outputs = SymbolicOp(operation.fn, operation.name)(*args, **kwargs)
        elif isinstance(operation, InputLayer):
            continue
        else:
            layer = clone_layer(operation)
            call = call_function or (lambda layer, *a, **k: layer(*a, **k))
            outputs = call(layer, *args, **kwargs)
        for old, new in zip(node.outputs, flatten(outputs), strict=True):
            values[id(old)] = new
    outputs = pack_as(model._outputs_structure, [values[id(x)] for x in model.outputs])
    return Functional(input_tensors, outputs, name=model.name, trainable=model.trainable)
