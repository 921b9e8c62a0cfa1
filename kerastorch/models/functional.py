"""Functional models: ``Model(inputs, outputs)``, a graph of layers run in a fixed order.

NOTE [functional run plan]
    ``Model(inputs, outputs)`` walks the graph once (``symbolic.map_graph``, NOTE [functional
    graph]) and keeps, for every node in an order that runs, what its call needs: which values
    its arguments come from, which masks to pass, whether it takes ``training``. ``forward`` then
    only fills values into that plan: no graph walking and no shape work per call. Masks travel
    beside the values, per symbolic tensor, as Keras's do: a layer that declares ``mask`` gets
    its inputs' masks, and ``compute_mask`` gives the masks of its outputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch import symbolic
from kerastorch.layers.base import (
    Layer,
    Shape,
    as_model_input,
    call_in_model,
    to_layer_input,
    unique_name,
)
from kerastorch.models.model import Model
from kerastorch.saving.functional_config import functional_config, functional_from_config
from kerastorch.saving.object_registration import custom_object_scope, register_builtin_classes
from kerastorch.symbolic import KerasTensor, flatten, pack_as

__all__ = ["Functional"]


class _Step:
    """One node of the run plan (NOTE [functional run plan])."""

    __slots__ = (
        "layer",
        "leaves",
        "mask_routes",
        "operation",
        "outputs",
        "primary",
        "slots",
        "structure",
        "takes_training",
    )

    def __init__(self, node: symbolic.Node) -> None:
        self.operation = node.operation
        self.layer = isinstance(node.operation, Layer)
        # The call's arguments as leaves; slots[i] is the symbolic tensor whose value goes into
        # leaves[i] (None for a constant argument such as axis=1).
        self.structure = [list(node.args), node.kwargs]
        self.leaves = flatten(self.structure)
        self.slots = [id(x) if isinstance(x, KerasTensor) else None for x in self.leaves]
        self.outputs = [id(x) for x in node.outputs]
        self.takes_training = self.layer and "training" not in node.kwargs
        self.mask_routes: dict[str, Any] = {}
        self.primary: Any = None
        if self.layer:
            self.mask_routes = node.operation.mask_routes(node.args, node.kwargs)
            first = node.args[0] if node.args else next(iter(node.kwargs.values()), None)
            self.primary = first


class Functional(Model):
    """A model made by calling layers on symbolic tensors: ``Model(inputs, outputs)``.

    ``inputs`` and ``outputs`` are symbolic tensors (``Input(...)`` and what layers return), or
    lists or dicts of them. The model is an ordinary ``nn.Module``: its layers are submodules
    under their names, and ``forward`` runs them in the graph's order (NOTE [functional run
    plan]). Layers are shared, not copied: a model of an intermediate tensor (a feature
    extractor, an inference model) uses the trained weights.

    Args:
        inputs: The model's symbolic inputs: one, a list, or a dict keyed by input name.
        outputs: Its symbolic outputs: one, a list, or a dict keyed by output name.
        name: The model's name (``functional``, ``functional_1``, ... if omitted).
        trainable: Whether its weights train.

    Example:
        >>> import torch
        >>> from kerastorch import Input, Model
        >>> from kerastorch.layers import LSTM, Concatenate, Dense
        >>> prices, sector = Input((None, 4), name="prices"), Input((3,), name="sector")
        >>> merged = Concatenate()([LSTM(8)(prices), Dense(4)(sector)])
        >>> model = Model([prices, sector], Dense(1)(merged))
        >>> model([torch.zeros(2, 7, 4), torch.zeros(2, 3)]).shape
        torch.Size([2, 1])
        >>> [layer.name for layer in model.layers]
        ['prices', 'sector', 'lstm', 'dense', 'concatenate', 'dense_1']
    """

    def __init__(
        self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True
    ) -> None:
        super().__init__(name=name or unique_name("functional"))
        flat_inputs, flat_outputs = flatten(inputs), flatten(outputs)
        for role, values, given in (
            ("inputs", flat_inputs, inputs),
            ("outputs", flat_outputs, outputs),
        ):
            if not values:
                raise ValueError(f"Model(inputs, outputs): {role} is empty, received {given!r}.")
            for value in values:
                if not isinstance(value, KerasTensor):
                    raise TypeError(
                        f"Model(inputs, outputs): every one of {role} must be a symbolic tensor "
                        f"(a KerasTensor, from Input(...) or a layer called on one), received "
                        f"{type(value).__name__} in {role}. Build the graph first: "
                        "x = Input(shape=...); y = Dense(1)(x); Model(x, y)."
                    )
        if isinstance(inputs, dict):
            for key, tensor in inputs.items():
                if key != tensor.name:
                    warnings.warn(
                        f"Model(inputs={{...}}): key {key!r} maps to input {tensor.name!r}; data "
                        f"dicts are matched by input name. Name the input {key!r} "
                        f"(Input(..., name={key!r})).",
                        stacklevel=2,
                    )
        self.inputs: list[KerasTensor] = flat_inputs
        self.outputs: list[KerasTensor] = flat_outputs
        self._inputs_structure = inputs
        self._outputs_structure = outputs
        nodes, operations = symbolic.map_graph(flat_inputs, flat_outputs)
        self._operations = operations
        self._nodes = nodes
        self._register_layers(operations)
        self._plan = [_Step(node) for node in nodes]
        self.input_names = [x.name for x in flat_inputs]
        self.output_names = [x._keras_history.operation.name for x in flat_outputs]
        self._single_input = len(flat_inputs) == 1
        self._input_ids = [id(x) for x in flat_inputs]
        self._output_ids = [id(x) for x in flat_outputs]
        self.input_batch_shape: Shape | None = flat_inputs[0].shape if self._single_input else None
        # Per input: its dtype, and whether a layer reading it takes ids (see as_model_input).
        self._input_conversions = [
            (
                str(x.dtype),
                any(
                    step.layer and step.operation.takes_ids and id(x) in step.slots
                    for step in self._plan
                ),
            )
            for x in flat_inputs
        ]
        if not trainable:
            self.trainable = False

    def _register_layers(self, operations: list[Any]) -> None:
        """Each layer becomes a submodule under its name; automatic names that clash are
        numbered (``dense``, ``dense_1``), as Sequential numbers them, so identical models have
        identical ``state_dict`` keys."""
        taken: set[str] = set()
        for operation in operations:
            if not isinstance(operation, Layer):
                continue
            if operation.name in taken and operation.auto_named:
                base = operation.name
                operation.name = next(
                    f"{base}_{i}" for i in range(1, len(taken) + 2) if f"{base}_{i}" not in taken
                )
            if operation.name in taken:
                raise ValueError(
                    f"Model '{self.name}': the name '{operation.name}' is used by two layers; "
                    "layer names must be unique within a model."
                )
            taken.add(operation.name)
            self.add_module(operation.name, operation)
            operation.train(self.training)

    # -- structure -------------------------------------------------------------------------------

    @property
    def layers(self) -> list[Layer]:
        """The model's layers in Keras's order (input layers first), as ``keras_model.layers``."""
        return [op for op in self._operations if isinstance(op, Layer)]

    def layer_chain(self) -> list[Layer] | None:
        """The layers in call order when the model is one input through a chain of layers, each
        taking the previous one's output alone, to one output; else None.

        Example:
            >>> from kerastorch import Input, Model
            >>> from kerastorch.layers import Dense
            >>> inputs = Input((3,))
            >>> [layer.name for layer in Model(inputs, Dense(1)(Dense(2)(inputs))).layer_chain()]
            ['dense', 'dense_1']
        """
        if len(self._input_ids) != 1:
            return None
        previous, chain = self._input_ids[0], []
        for step in self._plan:
            if not step.layer or step.slots != [previous] or len(step.outputs) != 1:
                return None
            chain.append(step.operation)
            previous = step.outputs[0]
        return chain if self._output_ids == [previous] else None

    @property
    def operations(self) -> list[Any]:
        """Layers and the ops recorded between them (``x[:, -1]``, ``ops.mean``), in order."""
        return list(self._operations)

    @property
    def input(self) -> Any:
        """The symbolic inputs in the structure given to ``Model`` (Keras's ``model.input``)."""
        return self._inputs_structure

    @property
    def output(self) -> Any:
        """The symbolic outputs in the structure given to ``Model`` (Keras's ``model.output``)."""
        return self._outputs_structure

    @property
    def built(self) -> bool:  # type: ignore[override]
        return True

    @built.setter
    def built(self, value: bool) -> None:
        pass  # every layer was built when it was called on the symbolic inputs

    @property
    def input_shape(self) -> Any:
        return _unpack_single([x.shape for x in self.inputs])

    @property
    def output_shape(self) -> Any:
        return _unpack_single(pack_as(self._outputs_structure, [x.shape for x in self.outputs]))

    def build(self, input_shape: Any = None) -> None:
        """Nothing to do: a functional model is built by construction."""

    def data_names(self) -> tuple[list[str] | None, list[str] | None] | None:
        """Dicts of inputs are keyed by the ``Input`` names; of targets by the output layers'
        names, or by the keys of a dict of outputs (lists follow ``model.inputs`` /
        ``model.outputs``)."""
        outputs = self._outputs_structure
        keys = sorted(outputs) if isinstance(outputs, dict) else list(self.output_names)
        return list(self.input_names), keys

    # -- computing -------------------------------------------------------------------------------

    def forward(
        self,
        inputs: Any,
        mask: Any = None,
        training: bool | None = None,
        return_mask: bool = False,
    ) -> Any:
        """Run the graph (NOTE [functional run plan]).

        Args:
            inputs: One tensor (one input), a list of tensors in the order of ``model.inputs``,
                or a dict keyed by input name; numpy arrays are converted.
            mask: Masks of the inputs, in the same structure (``(batch, timesteps)``, True for
                real steps), or None.
            training: Override the module's train/eval mode for this call.
            return_mask: Also return the outputs' masks, in the outputs' structure.
        """
        values: dict[int, Any] = {}
        masks: dict[int, Any] = {}
        for key, value, input_mask in zip(
            self._input_ids, self._flat_inputs(inputs), self._flat_masks(mask), strict=True
        ):
            values[key] = value
            if input_mask is not None:
                masks[key] = input_mask
        for step in self._plan:
            leaves = [
                leaf if slot is None else values[slot]
                for leaf, slot in zip(step.leaves, step.slots, strict=True)
            ]
            args, kwargs = pack_as(step.structure, leaves)
            if not step.layer:  # an op between layers
                outputs = step.operation.fn(*args, **kwargs)
                for key, value in zip(step.outputs, flatten(outputs), strict=True):
                    values[key] = value
                continue
            routed = {}
            for argument, source in step.mask_routes.items():
                routed_mask = symbolic.map_structure(lambda x: masks.get(id(x)), source)
                if any(m is not None for m in flatten(routed_mask)):
                    routed[argument] = routed_mask
            if step.takes_training:
                kwargs["training"] = training
            outputs = call_in_model(step.operation, *args, **{**kwargs, **routed})
            flat_outputs = flatten(outputs)
            for key, value in zip(step.outputs, flat_outputs, strict=True):
                values[key] = value
            primary_value = args[0] if args else next(iter(kwargs.values()))
            input_mask = routed.get("mask")
            if input_mask is None and routed:  # masks routed by name (query_mask, value_mask)
                input_mask = [routed.get(argument) for argument in step.mask_routes]
            output_masks = step.operation.compute_mask(primary_value, input_mask)
            if output_masks is None:
                continue
            if not isinstance(output_masks, (list, tuple)):
                output_masks = [output_masks]
            for key, output_mask in zip(step.outputs, output_masks, strict=False):
                if output_mask is not None:
                    masks[key] = output_mask
        outputs = _unpack_single(
            pack_as(self._outputs_structure, [values[key] for key in self._output_ids])
        )
        if not return_mask:
            return outputs
        output_masks = _unpack_single(
            pack_as(self._outputs_structure, [masks.get(key) for key in self._output_ids])
        )
        return outputs, output_masks

    def _flat_inputs(self, inputs: Any) -> list[Any]:
        """The call's inputs as a list in ``model.inputs`` order, checked and converted."""
        names = self.input_names
        if isinstance(inputs, dict):
            missing = [name for name in names if name not in inputs]
            if missing:
                unknown = sorted(set(inputs) - set(names))
                raise ValueError(
                    f"Model '{self.name}' expects inputs {names}; the dict given has no "
                    f"{missing}" + (f" (it has {unknown} instead)" if unknown else "") + ". "
                    "Key the data by the Input names (Input(..., name=...))."
                )
            flat = [inputs[name] for name in names]
        elif self._single_input and not (
            isinstance(inputs, (list, tuple)) and len(inputs) == 1 and _is_array(inputs[0])
        ):
            flat = [inputs]
        else:
            flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
            if len(flat) != len(names):
                raise ValueError(
                    f"Model '{self.name}' expects {len(names)} inputs {names}, received "
                    f"{len(flat)}. Pass a list in that order, or a dict keyed by those names."
                )
        return [
            as_model_input(to_layer_input(x), dtype, takes_ids)
            for x, (dtype, takes_ids) in zip(flat, self._input_conversions, strict=True)
        ]

    def _flat_masks(self, mask: Any) -> list[Any]:
        if mask is None:
            return [None] * len(self.inputs)
        if isinstance(mask, dict):
            return [mask.get(name) for name in self.input_names]
        if self._single_input and not isinstance(mask, (list, tuple)):
            return [mask]
        return list(mask)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The outputs' shapes for inputs of ``input_shape`` (the model used as a layer)."""
        shapes = input_shape if not self._single_input else [input_shape]
        if isinstance(shapes, (list, tuple)) and all(
            tuple(s) == x.shape for s, x in zip(shapes, self.inputs, strict=False)
        ):
            return self.output_shape
        specs = [KerasTensor(s, x.dtype) for s, x in zip(shapes, self.inputs, strict=True)]
        outputs = self._run_symbolically(specs)
        return _unpack_single(symbolic.map_structure(lambda x: x.shape, outputs))

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        inputs = args[0] if args else kwargs["inputs"]
        flat = self._flat_symbolic_inputs(inputs)
        if all(x.shape == ref.shape for x, ref in zip(flat, self.inputs, strict=True)):
            return _unpack_single(
                pack_as(
                    self._outputs_structure, [KerasTensor(x.shape, x.dtype) for x in self.outputs]
                )
            )
        return _unpack_single(self._run_symbolically(flat))

    def _flat_symbolic_inputs(self, inputs: Any) -> list[KerasTensor]:
        if isinstance(inputs, dict):
            return [inputs[name] for name in self.input_names]
        return flatten(inputs)

    def _run_symbolically(self, specs: list[KerasTensor]) -> Any:
        """The outputs' specs for inputs of other (compatible) shapes: each node's
        ``compute_output_spec`` in the plan's order."""
        values = dict(zip(self._input_ids, specs, strict=True))
        for step in self._plan:
            leaves = [
                leaf if slot is None else values[slot]
                for leaf, slot in zip(step.leaves, step.slots, strict=True)
            ]
            args, kwargs = pack_as(step.structure, leaves)
            if step.layer:
                outputs = step.operation.compute_output_spec(*args, **kwargs)
            else:
                outputs = symbolic.output_spec_by_tracing(
                    step.operation.fn, args, kwargs, step.operation.name
                )
            for key, value in zip(step.outputs, flatten(outputs), strict=True):
                values[key] = value
        return pack_as(self._outputs_structure, [values[key] for key in self._output_ids])

    def input_shape_of_call(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        inputs = args[0] if args else kwargs.get("inputs")
        shapes = [(None, *x.shape[1:]) for x in self._flat_symbolic_inputs(inputs)]
        return shapes[0] if self._single_input else shapes

    def mask_routes(self, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        return {} if "mask" in kwargs or not args else {"mask": args[0]}

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        # A nested model's output masks are computed by its own run; as a layer it passes none.
        return None

    # -- configuration ---------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The graph in Keras 3's functional config format (NOTE [functional config]):
        ``{"name", "trainable", "layers": [... with "inbound_nodes"], "input_layers",
        "output_layers"}``.

        Example:
            >>> from kerastorch import Input, Model
            >>> from kerastorch.layers import Dense
            >>> x = Input((3,), name="x")
            >>> config = Model(x, Dense(2, name="head")(x[:, :2] * 2)).get_config()
            >>> [entry["class_name"] for entry in config["layers"]]
            ['InputLayer', 'GetItem', 'Multiply', 'Dense']
            >>> config["output_layers"]
            ['head', 0, 0]
        """
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Functional:
        """Rebuild a model (new weights) from ``model.get_config()``, kerastorch's or Keras's
        (``keras_model.get_config()`` of a functional model), or from a saved entry.

        Example:
            >>> import torch
            >>> from kerastorch import Input, Model
            >>> from kerastorch.layers import Dense
            >>> x = Input((3,), name="x")
            >>> twin = Model.from_config(Model(x, Dense(2)(x) + x[:, :2]).get_config())
            >>> twin(torch.zeros(1, 3)).shape
            torch.Size([1, 2])
        """
        if "config" in config and "layers" not in config:  # a saved entry
            config = config["config"]
        with custom_object_scope(custom_objects or {}):
            return functional_from_config(cls, config, custom_objects)

    @classmethod
    def from_keras_config(cls, config: Any, custom_objects: Any = None) -> Functional:
        """Rebuild a model (new weights) from the config Keras saves for a functional model
        (``.keras`` / ``.h5`` files), for the layers and ops kerastorch has."""
        with custom_object_scope(custom_objects or {}):
            return functional_from_config(cls, config, custom_objects, keras=True)

    def output_shapes(self) -> list[Any]:
        """Each layer's output shape (as ``model.layers``), for the summary."""
        shapes = []
        for layer in self.layers:
            nodes = [n for n in layer.__dict__.get("_inbound_nodes", []) if n in self._nodes]
            node = nodes[0] if nodes else layer._inbound_nodes[0]
            output_shapes = [x.shape for x in node.outputs]
            shapes.append(output_shapes[0] if len(output_shapes) == 1 else output_shapes)
        return shapes


def _unpack_single(structure: Any) -> Any:
    """Keras returns a one-element list of outputs as the element itself."""
    if isinstance(structure, (list, tuple)) and len(structure) == 1:
        return structure[0]
    return structure


def _is_array(value: Any) -> bool:
    return torch.is_tensor(value) or isinstance(value, np.ndarray)


Model._functional_class = Functional
# Saved models name this class; loading finds it here (NOTE [safe deserialization]).
register_builtin_classes("model", Model, [Functional])
