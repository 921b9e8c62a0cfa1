"""A functional model's graph as a config, in Keras 3's format, and back.

NOTE [functional config]
    ``Functional.get_config()`` is Keras 3's (``keras/src/models/functional.py``): ``{"name",
    "trainable", "layers": [...], "input_layers", "output_layers"}``. Each entry of ``layers``
    is one operation of ``model.operations`` (input layers, layers, nested models and the ops
    between them, NOTE [Keras operation entries]) with its ``"name"`` and ``"inbound_nodes"``:
    one ``{"args": [...], "kwargs": {...}}`` per call of it inside this model, where a symbolic
    tensor is ``{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history":
    [operation name, node index, tensor index]}}`` and node indices count only this model's
    calls. ``input_layers`` / ``output_layers`` hold ``[name, node index, tensor index]`` in the
    structure the model was given (one, a list or a dict); there, as in Keras, a nested
    functional model's calls count from 1 (its node 0 being its own graph).

    Layer entries are kerastorch's own (``serialization.serialize_layer``) in ``get_config`` and
    ``.kt`` files, and Keras's (``keras_layers.keras_layer_entry``) in ``.keras`` / ``.h5``
    files; :func:`functional_from_config` reads both, and Keras 2's legacy node lists
    (``[[["dense", 0, 0, {}]]]``). Rebuilding calls every layer on the rebuilt tensors in an
    order that works (Keras's queue: a call waits until its inputs exist), so the rebuilt model
    is built by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerastorch import symbolic
from kerastorch.saving import serialization
from kerastorch.saving.keras_layers import FLOAT32_POLICY, keras_layer_config_to_kerastorch
from kerastorch.saving.keras_layers import keras_layer_entry as keras_entry_of_layer
from kerastorch.saving.keras_ops import KERASTORCH_OPS_MODULE, legacy_op_name, op_call, op_entry
from kerastorch.saving.object_registration import builtin_classes, find_class, is_kind
from kerastorch.saving.serialization import SavingError

__all__ = [
    "FUNCTIONAL_MODULE",
    "functional_config",
    "functional_from_config",
    "keras_sequential_config",
]

_TENSOR = "__keras_tensor__"
FUNCTIONAL_MODULE = "keras.src.models.functional"


# -- writing -----------------------------------------------------------------------------------


def _is_model(operation: Any) -> bool:
    return is_kind(type(operation), "model")


def _is_functional(operation: Any) -> bool:
    return _is_model(operation) and hasattr(operation, "_plan")


def _is_input_layer(operation: Any) -> bool:
    return type(operation).__name__ == "InputLayer" and is_kind(type(operation), "layer")


def functional_config(model: Any, keras: bool = False, legacy: bool = False) -> dict[str, Any]:
    """A functional model's config (NOTE [functional config]): kerastorch's layer entries, or
    Keras's with ``keras=True`` (``legacy=True``: the ``.h5`` flavour, without ``module``)."""
    own_nodes = {id(node) for node in model._nodes}
    names = _operation_names(model)

    def kept(operation: Any) -> list[Any]:
        nodes = operation.__dict__.get("_inbound_nodes", [])
        return [
            n for n in nodes if id(n) in own_nodes or (n.is_input and _is_input_layer(n.operation))
        ]

    node_index: dict[int, int] = {}
    for operation in model.operations:
        for i, node in enumerate(kept(operation)):
            node_index[id(node)] = i

    def history(tensor: symbolic.KerasTensor, io: bool = False) -> list[Any]:
        operation, index, position = tensor._keras_history
        node = operation._inbound_nodes[index]
        if id(node) not in node_index:
            raise SavingError(
                f"Model '{model.name}': {tensor!r} comes from a call of "
                f"'{names.get(id(operation), '?')}' outside the model."
            )
        shift = 1 if io and _is_functional(operation) else 0
        return [names[id(operation)], node_index[id(node)] + shift, position]

    def encode(value: Any, where: str) -> Any:
        if isinstance(value, symbolic.KerasTensor):
            return {
                "class_name": _TENSOR,
                "config": {
                    "shape": list(value.shape),
                    "dtype": value.dtype,
                    "keras_history": history(value),
                },
            }
        if isinstance(value, slice):
            return {
                "class_name": "__slice__",
                "config": {
                    "start": encode(value.start, where),
                    "stop": encode(value.stop, where),
                    "step": encode(value.step, where),
                },
            }
        if value is Ellipsis:
            return {"class_name": "__ellipsis__", "config": {}}
        if isinstance(value, (list, tuple)):
            return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, Mapping):
            return {str(k): encode(v, f"{where}.{k}") for k, v in value.items()}
        return serialization.encode_value(value, where)

    entries = []
    for operation in model.operations:
        name = names[id(operation)]
        nodes = [node for node in kept(operation) if not node.is_input]
        if isinstance(operation, symbolic.SymbolicOp):
            node = nodes[0]
            parts = op_entry(operation.name, node.args, node.kwargs, f"Model '{model.name}'")
            if keras and parts["module"] == KERASTORCH_OPS_MODULE:
                raise SavingError(
                    f"Model '{model.name}' uses ops.{operation.name}, which Keras has no "
                    "operation class for, so it cannot be written as a Keras file. Save it "
                    "with model.save('model.kt'), or use another op."
                )
            entry: dict[str, Any] = {
                "class_name": parts["class_name"],
                "config": encode({"name": name, **parts["config"]}, name),
            }
            if not legacy:
                entry = {"module": parts["module"], **entry, "registered_name": None}
                if parts["module"] != KERASTORCH_OPS_MODULE:
                    entry["registered_name"] = parts["class_name"]
            calls = [{"args": encode(parts["args"], name), "kwargs": encode(parts["kwargs"], name)}]
        else:
            entry = _layer_entry(operation, keras, legacy)
            calls = [
                {"args": encode(list(node.args), name), "kwargs": encode(node.kwargs, name)}
                for node in nodes
            ]
        entry["name"] = name
        entry["inbound_nodes"] = calls
        entries.append(entry)

    def structure(value: Any) -> Any:
        if isinstance(value, symbolic.KerasTensor):
            return history(value, io=True)
        if isinstance(value, Mapping):
            return {k: structure(v) for k, v in value.items()}
        return [structure(v) for v in value]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": entries,
        "input_layers": structure(model._inputs_structure),
        "output_layers": structure(model._outputs_structure),
    }


def _operation_names(model: Any) -> dict[int, str]:
    """Each operation's name in the config: a layer's own, an op's made unique (``add``,
    ``add_1``) as Keras names its operations."""
    names: dict[int, str] = {}
    taken = {op.name for op in model.operations if not isinstance(op, symbolic.SymbolicOp)}
    for operation in model.operations:
        if not isinstance(operation, symbolic.SymbolicOp):
            names[id(operation)] = operation.name
            continue
        name, i = operation.name, 0
        while name in taken:
            i += 1
            name = f"{operation.name}_{i}"
        taken.add(name)
        names[id(operation)] = name
    return names


def _layer_entry(layer: Any, keras: bool, legacy: bool) -> dict[str, Any]:
    if _is_input_layer(layer):
        config = {
            "batch_shape": list(layer.batch_shape),
            "dtype": layer.input_dtype,
            "sparse": False,
            "ragged": False,
            "name": layer.name,
            "optional": layer.optional,
        }
        if not keras:
            return serialization.serialize_layer(layer)
        entry: dict[str, Any] = {"class_name": "InputLayer", "config": config}
        return entry if legacy else {"module": "keras.layers", **entry, "registered_name": None}
    if not keras:
        if _is_model(layer):
            return serialization.serialize_model(layer)
        return serialization.serialize_layer(layer)
    if _is_functional(layer):
        entry = {"class_name": "Functional", "config": functional_config(layer, True, legacy)}
        if legacy:
            return entry
        return {
            "module": FUNCTIONAL_MODULE,
            **entry,
            "registered_name": "Functional",
            "build_config": {"input_shape": None},
        }
    if _is_model(layer) and type(layer).__name__ == "Sequential":
        entry = {"class_name": "Sequential", "config": keras_sequential_config(layer, legacy)}
        if legacy:
            return entry
        return {
            "module": "keras",
            **entry,
            "registered_name": None,
            "build_config": {"input_shape": list(layer.input_batch_shape)},
        }
    return keras_entry_of_layer(layer, legacy)


def keras_sequential_config(model: Any, legacy: bool) -> dict[str, Any]:
    """A Sequential's config as Keras writes it (an ``InputLayer`` entry first)."""
    if model.input_batch_shape is None:
        raise SavingError(f"Model '{model.name}' has no input shape; build it before saving.")
    shape = list(model.input_batch_shape)
    input_entry: dict[str, Any] = {
        "class_name": "InputLayer",
        "config": {
            "batch_shape": shape,
            "dtype": "float32",
            "sparse": False,
            "ragged": False,
            "name": "input_layer",
            "optional": False,
        },
    }
    if not legacy:
        input_entry = {"module": "keras.layers", **input_entry, "registered_name": None}
    return {
        "name": model.name,
        "trainable": True,
        "dtype": dict(FLOAT32_POLICY),
        "layers": [input_entry, *(keras_entry_of_layer(layer, legacy) for layer in model.layers)],
        "build_input_shape": shape,
    }


# -- reading -----------------------------------------------------------------------------------


class _NotYet(Exception):
    """A call whose inputs are not created yet: retried after the other calls."""


def _is_keras_entry(entry: Mapping[str, Any], keras: bool | None) -> bool:
    if keras is not None:
        return keras
    config = entry.get("config")
    return "module" in entry or (isinstance(config, dict) and isinstance(config.get("dtype"), dict))


def functional_from_config(
    cls: type,
    config: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    keras: bool | None = None,
) -> Any:
    """Rebuild a functional model of class ``cls`` from :func:`functional_config`'s output or
    Keras's functional config (NOTE [functional config]); new weights.

    ``keras``: whether the layer entries are Keras's (True), kerastorch's (False), or to tell
    per entry (None).
    """
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise SavingError(
                f"Expected a functional model config with 'layers', 'input_layers' and "
                f"'output_layers'; it has no {key!r} (keys: {sorted(config)})."
            )
    entries = config["layers"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SavingError("The functional model config's 'layers' must be a list of entries.")
    created: dict[str, Any] = {}
    pending: dict[str, list[Any]] = {}
    op_entries: dict[str, Mapping[str, Any]] = {}
    model_name = config.get("name", "?")
    for entry in entries:
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        if not isinstance(name, str):
            raise SavingError(f"A layer entry of model '{model_name}' has no name: {entry!r}.")
        if _is_op_entry(entry):
            op_entries[name] = entry
        else:
            created[name] = _create_layer(entry, entries, custom_objects, keras)
        pending[name] = list(entry.get("inbound_nodes") or [])

    def tensor(history: Any, io: bool = False) -> symbolic.KerasTensor:
        if not (isinstance(history, (list, tuple)) and len(history) >= 3):
            raise SavingError(f"Model '{model_name}': unreadable tensor reference {history!r}.")
        name, index, position = history[0], int(history[1]), int(history[2])
        if name not in created:
            if name in op_entries:
                raise _NotYet
            raise SavingError(
                f"Model '{model_name}': a call reads the output of '{name}', which is not a "
                f"layer of the model (layers: {[e.get('name') for e in entries]})."
            )
        operation = created[name]
        if io and _is_functional(operation):
            index -= 1  # a functional model's node 0 is its own graph (NOTE [functional config])
        nodes = operation.__dict__.get("_inbound_nodes", [])
        if index >= len(nodes):
            raise _NotYet
        return nodes[index].outputs[position]

    def decode(value: Any) -> Any:
        if isinstance(value, (list, tuple)):  # tuples: Keras's get_config() before JSON
            return [decode(v) for v in value]
        if isinstance(value, dict):
            kind = value.get("class_name")
            inner = value.get("config") or {}
            if kind == _TENSOR:
                return tensor(inner.get("keras_history"))
            if kind == "__slice__":
                return slice(
                    decode(inner.get("start")), decode(inner.get("stop")), decode(inner.get("step"))
                )
            if kind == "__ellipsis__":
                return Ellipsis
            return {k: decode(v) for k, v in value.items()}
        return value

    def call(name: str, node: Any) -> None:
        if isinstance(node, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
            inputs = [tensor(item) for item in node]
            kwargs = dict(node[0][3]) if node and len(node[0]) > 3 else {}
            args = [inputs[0] if len(inputs) == 1 else inputs]
        else:
            args = decode(node.get("args") or [])
            kwargs = decode(node.get("kwargs") or {})
        # Keras records the call's training flag and absent masks; the model decides training.
        kwargs.pop("training", None)
        if kwargs.get("mask", True) is None:
            kwargs.pop("mask")
        if name in op_entries:
            fn, extra = op_call(op_entries[name], f"Model '{model_name}': operation '{name}'")
            if op_entries[name].get("class_name") == "GetItem" and len(args) == 2:
                args[1] = _index_key(args[1])
            outputs = fn(*args, **{**kwargs, **extra})
            created[name] = symbolic.flatten(outputs)[0]._keras_history.operation
            return
        created[name](*args, **kwargs)

    while any(pending.values()):
        progressed = False
        for entry in entries:
            name = entry.get("name") or entry["config"]["name"]
            queue = pending[name]
            while queue:
                try:
                    call(name, queue[0])
                except _NotYet:
                    break
                queue.pop(0)
                progressed = True
        if not progressed:
            waiting = sorted(name for name, queue in pending.items() if queue)
            raise SavingError(
                f"Model '{model_name}': the calls of {waiting} read tensors that no call makes "
                "(a loop or a missing layer in the config); the model cannot be rebuilt."
            )

    def structure(value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) >= 3 and isinstance(value[0], str):
            return tensor(value, io=True)
        if isinstance(value, Mapping):
            return {k: structure(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [structure(v) for v in value]
        raise SavingError(f"Model '{model_name}': unreadable input/output entry {value!r}.")

    try:
        inputs = structure(config["input_layers"])
        outputs = structure(config["output_layers"])
    except _NotYet:
        raise SavingError(
            f"Model '{model_name}': an input or output names a call that is not in the config."
        ) from None
    return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _index_key(key: Any) -> Any:
    """Keras writes an index tuple (``x[:, -1]``) as a JSON list; torch reads a list as
    advanced indexing, so it becomes a tuple again."""
    return tuple(key) if isinstance(key, list) else key


def _is_op_entry(entry: Mapping[str, Any]) -> bool:
    module = str(entry.get("module") or "")
    if not module:
        return legacy_op_name(entry) is not None
    return module.startswith("keras.src.ops") or module == KERASTORCH_OPS_MODULE


def _create_layer(
    entry: Mapping[str, Any],
    entries: list[Any],
    custom_objects: Mapping[str, Any] | None,
    keras: bool | None,
) -> Any:
    class_name = entry.get("class_name")
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    as_keras = _is_keras_entry(entry, keras)
    if class_name == "InputLayer":
        input_cls = serialization.layer_classes()["InputLayer"]
        arguments = {k: v for k, v in config.items() if k not in ("ragged", "trainable")}
        if isinstance(arguments.get("dtype"), dict):
            arguments["dtype"] = "float32"
        return input_cls(**arguments)
    if class_name in ("Functional", "Model") and "layers" in config:
        functional = builtin_classes("model")["Functional"]
        return functional_from_config(functional, config, custom_objects, keras)
    if as_keras and class_name == "Sequential":
        return builtin_classes("model")["Sequential"].from_keras_config(config, custom_objects)
    if _names_model_class(class_name, entry, custom_objects):
        return serialization.deserialize_model(entry, custom_objects)
    if as_keras:
        cls, arguments, _ = keras_layer_config_to_kerastorch(entry, custom_objects, entries)
        try:
            return cls.from_config(arguments)
        except (TypeError, ValueError) as error:
            raise SavingError(
                f"Cannot create kerastorch {cls.__name__} from Keras layer "
                f"'{arguments.get('name', '?')}': {error}"
            ) from error
    return serialization.deserialize_layer(entry, custom_objects, entries)


def _names_model_class(class_name: Any, entry: Mapping[str, Any], custom_objects: Any) -> bool:
    """Whether a saved entry names a model class (kerastorch's or a registered one)."""
    cls = find_class("model", str(class_name), entry.get("registered_name"), custom_objects)
    return cls is not None and is_kind(cls, "model")
