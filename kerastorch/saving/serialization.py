"""Configs to objects and back: JSON values, layer and model entries, the compile state.

A saved entry names its class (``{"class_name", "config", "registered_name"?}``); the class is
found through :mod:`kerastorch.saving.object_registration` (see NOTE [safe deserialization]
there) and rebuilt with its own ``from_config``. Nothing here imports a layer or a model: a model
or layer class plugs in by being registered (``register_builtin_classes`` for kerastorch's own,
``register_keras_serializable`` or ``custom_objects`` for a user's) and implementing
``get_config`` / ``from_config``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch import losses, metrics, optimizers
from kerastorch.saving.object_registration import (
    CustomObjectScope,
    builtin_classes,
    custom_object_scope,
    find_class,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    in_safe_mode,
    is_kind,
    is_registered,
    register_custom_object,
    register_keras_serializable,
    safe_mode_scope,
)

__all__ = [
    "CustomObjectScope",
    "SavingError",
    "custom_object_scope",
    "deserialize_compile_config",
    "deserialize_layer",
    "deserialize_model",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "in_safe_mode",
    "layer_classes",
    "nested_layer_entry",
    "register_custom_object",
    "register_keras_serializable",
    "safe_mode_scope",
    "serialize_compile_config",
    "serialize_layer",
    "serialize_model",
]

# Marks a JSON value that stands for a registered Python object (a custom activation, a custom
# initializer, ...): {"__kerastorch_object__": "package>name"}.
OBJECT_MARKER = "__kerastorch_object__"


class SavingError(ValueError):
    """A model or weights file that cannot be read or written, with the reason and the fix."""


# -- JSON values -------------------------------------------------------------------------------


def encode_value(value: Any, where: str) -> Any:
    """Turn a config value into plain JSON (tuples become lists; registered objects a marker).

    ``where`` names the value in the error raised for something JSON cannot hold.
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, torch.dtype):
        return str(value).removeprefix("torch.")
    if isinstance(value, (list, tuple)):
        return [encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise SavingError(
                    f"{where}: config keys must be strings to be written as JSON, received key "
                    f"{key!r}."
                )
            out[key] = encode_value(item, f"{where}.{key}")
        return out
    if is_registered(value):
        return {OBJECT_MARKER: get_registered_name(value)}
    described = getattr(value, "__name__", None) or type(value).__name__
    raise SavingError(
        f"{where}={described!r} cannot be written to a model file: only names, numbers, lists and "
        "dicts can. Use a built-in name (e.g. activation='relu'), or register the object with "
        "@kerastorch.saving.register_keras_serializable() and pass it again in "
        "custom_objects when loading if needed."
    )


def decode_value(value: Any, custom_objects: Mapping[str, Any] | None, where: str) -> Any:
    """Inverse of :func:`encode_value`: markers become the registered objects they name."""
    if isinstance(value, list):
        return [decode_value(v, custom_objects, where) for v in value]
    if isinstance(value, dict):
        if set(value) == {OBJECT_MARKER}:
            name = value[OBJECT_MARKER]
            obj = get_registered_object(str(name), custom_objects)
            if obj is None:
                raise SavingError(
                    f"{where} refers to the custom object {name!r}, which is not known here. "
                    f"Pass load_model(..., custom_objects={{{name.rsplit('>', 1)[-1]!r}: ...}}) "
                    "or register it with @kerastorch.saving.register_keras_serializable()."
                )
            return obj
        return {k: decode_value(v, custom_objects, where) for k, v in value.items()}
    return value


# -- layers ------------------------------------------------------------------------------------


def layer_classes() -> dict[str, type]:
    """kerastorch's own layer classes by class name (every ``Layer`` in ``kerastorch.layers``,
    registered by ``kerastorch/layers/__init__.py``).

    Example:
        >>> layer_classes()["GRU"].__name__
        'GRU'
    """
    return builtin_classes("layer")


def describe_entries(entries: Sequence[Any]) -> str:
    """``"lstm (LSTM), dense (Dense)"``: the layers of a saved model, for error messages.

    Example:
        >>> describe_entries([{"class_name": "Dense", "config": {"name": "head"}}])
        'head (Dense)'
    """
    parts = []
    for entry in entries:
        if isinstance(entry, dict):
            config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
            parts.append(f"{config.get('name', '?')} ({entry.get('class_name', '?')})")
    return ", ".join(parts) or "(none)"


def resolve_layer_class(
    entry: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None,
    all_entries: Sequence[Any] = (),
) -> type:
    """The class a saved layer entry names, or a :class:`SavingError` saying how to allow it."""
    class_name = entry.get("class_name")
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    layer_name = config.get("name", "?")
    if not isinstance(class_name, str):
        raise SavingError(f"A layer entry has no class_name: {dict(entry)!r}.")
    cls = find_class("layer", class_name, entry.get("registered_name"), custom_objects)
    if cls is None:
        raise SavingError(
            f"Cannot load layer '{layer_name}': its class '{class_name}' is not a kerastorch "
            "layer and no custom object of that name is known. If it is your own layer, pass "
            f"custom_objects={{'{class_name}': {class_name}}} when loading, or decorate the class "
            "with @kerastorch.saving.register_keras_serializable(). Layers in the file: "
            f"{describe_entries(all_entries)}."
        )
    if not is_kind(cls, "layer"):
        raise SavingError(
            f"Layer '{layer_name}' names class '{class_name}', which resolves to {cls!r}, not a "
            "kerastorch Layer subclass."
        )
    if getattr(cls, "unsafe_to_deserialize", False) and in_safe_mode():
        raise SavingError(
            f"Layer '{layer_name}' ({class_name}) carries Python code in its config, which is "
            "refused in safe mode because loading it would run code from the file. If you trust "
            "the file's source, load it with safe_mode=False."
        )
    return cls


def serialize_layer(layer: Any) -> dict[str, Any]:
    """``{"class_name", "config", "registered_name"?, "build_input_shape"?}`` for one layer."""
    entry: dict[str, Any] = {
        "class_name": type(layer).__name__,
        "config": encode_value(layer.get_config(), layer.describe()),
    }
    if is_registered(type(layer)):
        entry["registered_name"] = get_registered_name(type(layer))
    if getattr(layer, "built", False) and layer.build_input_shape is not None:
        entry["build_input_shape"] = list(layer.build_input_shape)
    return entry


def nested_layer_entry(layer: Any) -> dict[str, Any]:
    """How a wrapper's ``get_config`` records the layer it wraps: ``{"class_name", "config",
    "registered_name"?}``, read back by :func:`deserialize_layer` (``TimeDistributed``,
    ``Bidirectional``).

    Example:
        >>> from kerastorch.layers import Dense
        >>> nested_layer_entry(Dense(2, name="d"))["class_name"]
        'Dense'
    """
    entry: dict[str, Any] = {"class_name": type(layer).__name__, "config": layer.get_config()}
    if is_registered(type(layer)):
        entry["registered_name"] = get_registered_name(type(layer))
    return entry


def deserialize_layer(
    entry: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    all_entries: Sequence[Any] = (),
) -> Any:
    """Create the (unbuilt) layer a saved entry describes."""
    cls = resolve_layer_class(entry, custom_objects, all_entries)
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise SavingError(f"Layer entry {entry.get('class_name')!r} has a non-dict config.")
    config = decode_value(config, custom_objects, f"layer '{config.get('name', '?')}'")
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as error:
        raise SavingError(
            f"Cannot create layer '{config.get('name', '?')}' ({entry.get('class_name')}) from "
            f"its saved config: {error}"
        ) from error


def saved_shape(value: Any, where: str) -> tuple[int | None, ...] | None:
    """A shape read from a file (a list of positive ints and nulls) as a tuple; None stays None.

    Example:
        >>> saved_shape([None, 3], "input shape")
        (None, 3)
    """
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0) for v in value
    ):
        raise SavingError(
            f"{where}: expected a shape (list of positive ints and nulls), received {value!r}."
        )
    return tuple(value)


# -- models ------------------------------------------------------------------------------------

# A model entry without a class_name is a bare Sequential config (``model.get_config()``).
DEFAULT_MODEL_CLASS = "Sequential"


def serialize_model(model: Any) -> dict[str, Any]:
    """A model's architecture as JSON-ready data: class, config and build shape.

    The config is ``model.get_config()``; when it lists the model's layers (a ``"layers"`` entry
    per layer, as ``Sequential``'s does), each becomes a full :func:`serialize_layer` entry, so
    registered classes and build shapes are saved too.
    """
    config = dict(model.get_config())
    layers = list(model.layers)
    entries = config.get("layers")
    is_graph = isinstance(entries, list) and any(
        isinstance(e, dict) and "inbound_nodes" in e for e in entries
    )  # a functional model's entries are complete already (NOTE [functional config])
    if isinstance(entries, list) and len(entries) == len(layers) and not is_graph:
        config["layers"] = [serialize_layer(layer) for layer in layers]
    _check_constructible(type(model), config)
    config = encode_value(config, f"model '{model.name}'")
    input_shape = getattr(model, "input_batch_shape", None)
    out: dict[str, Any] = {
        "class_name": type(model).__name__,
        "config": config,
        "input_batch_shape": None if input_shape is None else list(input_shape),
    }
    if input_shape is None and model.built and model.build_input_shape is not None:
        # A subclassed model built by its first call (one shape, or a list of them).
        out["build_input_shape"] = encode_value(model.build_input_shape, "build shape")
    if is_registered(type(model)):
        out["registered_name"] = get_registered_name(type(model))
    return out


def _check_constructible(cls: type, config: Mapping[str, Any]) -> None:
    """A model class rebuilt as ``cls(**config)`` (a subclassed model) must find its
    constructor's required arguments in ``config``: else say so now, not when loading."""
    if "from_config" in vars(cls) or "input_layers" in config or "layers" in config:
        return  # its own from_config, or a functional / Sequential config
    signature = inspect.signature(cls.__init__)
    missing = [
        name
        for name, param in list(signature.parameters.items())[1:]
        if param.default is param.empty
        and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
        and name not in config
    ]
    if missing:
        raise SavingError(
            f"Cannot save the model class {cls.__name__} whole: it is rebuilt as "
            f"{cls.__name__}(**model.get_config()), and get_config() does not return its "
            f"constructor argument(s) {missing}. Define get_config() in {cls.__name__} "
            "(return {**super().get_config(), "
            + ", ".join(f"'{m}': self.{m}" for m in missing)
            + "}), or save only the weights with model.save_weights('model.weights.pt')."
        )


def resolve_model_class(
    class_name: str, registered_name: Any, custom_objects: Mapping[str, Any] | None
) -> type:
    """The model class a saved entry names, or a :class:`SavingError` saying how to allow it."""
    cls = find_class("model", class_name, registered_name, custom_objects)
    if cls is None:
        known = ", ".join(sorted(builtin_classes("model")))
        raise SavingError(
            f"Cannot load a model of class '{class_name}': kerastorch rebuilds its own models "
            f"({known}) and registered model classes. Pass custom_objects="
            f"{{'{class_name}': {class_name}}} if it is your own model class."
        )
    if not is_kind(cls, "model"):
        raise SavingError(
            f"Model class '{class_name}' resolves to {cls!r}, which is not a kerastorch Model "
            "subclass."
        )
    return cls


def deserialize_model(
    entry: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Any:
    """Rebuild the model a :func:`serialize_model` entry (or Keras's ``model.to_json()``)
    describes: its class's ``from_config(config)`` (with ``custom_objects`` in scope for the
    layers inside), then built from the saved input shape if that did not build it.
    """
    if "class_name" not in entry and isinstance(entry.get("layers"), list):
        entry = {"class_name": DEFAULT_MODEL_CLASS, "config": entry}
    cls = resolve_model_class(
        str(entry.get("class_name")), entry.get("registered_name"), custom_objects
    )
    with custom_object_scope(custom_objects or {}):
        model = cls.from_config(entry.get("config"))
    shape = saved_shape(entry.get("input_batch_shape"), "input shape")
    if shape is not None and not model.built:
        model.build(shape)
    build_shape = entry.get("build_input_shape")
    if build_shape is not None and not model.built:
        model.build(_as_tuples(build_shape))
    return model


def _as_tuples(shape: Any) -> Any:
    """A saved shape (or list of shapes) with its shapes as tuples, for ``model.build``."""
    if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    return [_as_tuples(s) for s in shape]


def is_keras_model_config(config: Mapping[str, Any]) -> bool:
    """Whether a Sequential config was written by Keras (InputLayer entry, dtype policies...).

    Example:
        >>> is_keras_model_config({"layers": [{"class_name": "InputLayer", "config": {}}]})
        True
    """
    layers = config.get("layers")
    if not isinstance(layers, list):
        return False
    for entry in layers:
        if not isinstance(entry, dict):
            continue
        if entry.get("class_name") == "InputLayer" or "module" in entry:
            return True
        layer_config = entry.get("config")
        if isinstance(layer_config, dict) and isinstance(layer_config.get("dtype"), dict):
            return True
    return "build_input_shape" in config


# -- compile state -----------------------------------------------------------------------------


def _registry_key(registry: Any, cls: type) -> str | None:
    """The name under which a kerastorch registry holds ``cls`` (the class name if it does)."""
    if cls.__name__ in registry and registry.get(cls.__name__) is cls:
        return cls.__name__
    for name in registry.names():
        if registry.get(name) is cls:
            return name
    return None


def _serialize_function(fn: Callable[..., Any], builtins: Mapping[str, Any], what: str) -> Any:
    name = getattr(fn, "__name__", None)
    if is_registered(fn):
        return {"function": get_registered_name(fn)}
    if name and builtins.get(name) is fn:
        return {"function": name}
    if not name or name == "<lambda>":
        raise SavingError(
            f"The {what} {fn!r} has no name, so a saved model cannot refer to it. Use a def "
            "function (and pass it in custom_objects when loading), or save with "
            "include_optimizer=False to leave the compile state out."
        )
    return {"function": name}


def _serialize_configurable(obj: Any, registry: Any, what: str) -> dict[str, Any]:
    cls = type(obj)
    key = None if is_registered(cls) else _registry_key(registry, cls)
    entry: dict[str, Any] = {
        "class_name": key or cls.__name__,
        "config": encode_value(obj.get_config(), what),
    }
    if is_registered(cls):
        entry["registered_name"] = get_registered_name(cls)
    return entry


def _serialize_loss(loss: Any) -> Any:
    if isinstance(loss, losses.LossFunctionWrapper) and type(loss) is losses.LossFunctionWrapper:
        config = loss.get_config()
        config.pop("fn", None)
        return {
            "class_name": "LossFunctionWrapper",
            "config": encode_value(config, "loss"),
            "fn": _serialize_function(loss.fn, losses.LOSS_FUNCTIONS, "loss function"),
        }
    return _serialize_configurable(loss, losses.LOSSES, "loss")


def _serialize_metric_spec(spec: Any) -> Any:
    if isinstance(spec, str):
        return spec
    if inspect.isclass(spec):
        key = None if is_registered(spec) else _registry_key(metrics.METRICS, spec)
        entry: dict[str, Any] = {"class_name": key or spec.__name__, "config": {}}
        if is_registered(spec):
            entry["registered_name"] = get_registered_name(spec)
        return entry
    if isinstance(spec, metrics.MeanMetricWrapper) and type(spec) is metrics.MeanMetricWrapper:
        config = spec.get_config()
        config.pop("fn", None)
        return {
            "class_name": "MeanMetricWrapper",
            "config": encode_value(config, "metric"),
            "fn": _serialize_function(spec.fn, losses.LOSS_FUNCTIONS, "metric function"),
        }
    if isinstance(spec, metrics.Metric):
        return _serialize_configurable(spec, metrics.METRICS, "metric")
    if callable(spec):
        return _serialize_function(spec, losses.LOSS_FUNCTIONS, "metric function")
    raise SavingError(f"Cannot save the metric {spec!r}.")


def serialize_optimizer(optimizer: Any) -> dict[str, Any]:
    if isinstance(optimizer, optimizers.Optimizer):
        entry = _serialize_configurable(optimizer, optimizers.OPTIMIZERS, "optimizer")
        entry["module"] = "kerastorch.optimizers"
        return entry
    if isinstance(optimizer, torch.optim.Optimizer) or (
        inspect.isclass(optimizer) and issubclass(optimizer, torch.optim.Optimizer)
    ):
        # An instance, or a class compile() instantiates once the model is built.
        cls = optimizer if inspect.isclass(optimizer) else type(optimizer)
        defaults = (
            {}
            if inspect.isclass(optimizer)
            else {k: v for k, v in optimizer.defaults.items() if not torch.is_tensor(v)}
        )
        entry = {"class_name": cls.__name__, "config": encode_value(defaults, "optimizer")}
        if is_registered(cls):
            entry["registered_name"] = get_registered_name(cls)
            entry["module"] = "custom"
        elif getattr(torch.optim, cls.__name__, None) is cls:
            entry["module"] = "torch.optim"
        else:
            raise SavingError(
                f"The optimizer {cls.__name__} is neither a kerastorch nor a torch.optim "
                "optimizer, so a saved model cannot refer to it. Register its class with "
                "@kerastorch.saving.register_keras_serializable(), or save with "
                "include_optimizer=False."
            )
        return entry
    raise SavingError(
        f"Cannot save the optimizer {optimizer!r} (not yet built?): save with "
        "include_optimizer=False."
    )


def serialize_compile_config(compiled: Any) -> dict[str, Any]:
    """What ``model.compile`` received, as JSON-ready data (the optimizer's state is separate)."""
    return {
        "optimizer": serialize_optimizer(compiled.optimizer),
        "loss": _per_output(_serialize_loss, compiled.loss, wrap=True),
        "loss_weights": compiled.loss_weights,
        "metrics": _per_output(_serialize_metric_spec, compiled.metric_specs),
        "weighted_metrics": _per_output(_serialize_metric_spec, compiled.weighted_metric_specs),
    }


PER_OUTPUT = "per_output"


def _per_output(fn: Callable[[Any], Any], value: Any, wrap: bool = False) -> Any:
    """``fn`` of each entry of a compile argument given per output (a list or dict of entries,
    lists of entries, or None), which saves as ``{"per_output": ...}`` where an entry could be
    mistaken for it (a loss saves as a dict), and as a list or dict otherwise (the metrics)."""

    def each(item: Any) -> Any:
        if item is None:
            return None
        if isinstance(item, (list, tuple)):
            return [each(x) for x in item]
        return fn(item)

    if isinstance(value, dict):
        mapped = {str(key): each(item) for key, item in value.items()}
        return {PER_OUTPUT: mapped}
    if isinstance(value, (list, tuple)):
        mapped_list = [each(item) for item in value]
        return {PER_OUTPUT: mapped_list} if wrap else mapped_list
    return fn(value)


def _from_per_output(fn: Callable[[Any], Any], entry: Any) -> Any:
    """The inverse of :func:`_per_output`."""

    def each(item: Any) -> Any:
        if item is None:
            return None
        if isinstance(item, list):
            return [each(x) for x in item]
        return fn(item)

    if isinstance(entry, dict) and PER_OUTPUT in entry:
        inner = entry[PER_OUTPUT]
        if isinstance(inner, dict):
            return {key: each(item) for key, item in inner.items()}
        return [each(item) for item in inner]
    if isinstance(entry, list):
        return [each(item) for item in entry]
    return fn(entry)


def _resolve_function(
    entry: Mapping[str, Any],
    builtins: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None,
    what: str,
) -> Any:
    name = str(entry["function"])
    fn = get_registered_object(name, custom_objects)
    if fn is None:
        fn = builtins.get(name)
    if fn is None:
        raise SavingError(
            f"The model was compiled with the custom {what} '{name}', which is not known here. "
            f"Pass custom_objects={{'{name.rsplit('>', 1)[-1]}': {name.rsplit('>', 1)[-1]}}} to "
            "load_model, or load_model(..., compile=False) to skip the compile state."
        )
    return fn


def _resolve_configurable(
    entry: Mapping[str, Any], registry: Any, custom_objects: Mapping[str, Any] | None, what: str
) -> Any:
    class_name = str(entry.get("class_name"))
    cls = None
    if isinstance(entry.get("registered_name"), str):
        cls = get_registered_object(entry["registered_name"], custom_objects)
    if cls is None:
        cls = get_registered_object(class_name, custom_objects)
    if cls is None and class_name in registry:
        cls = registry.get(class_name)
    if cls is None:
        raise SavingError(
            f"The model was compiled with the {what} class '{class_name}', which is not known "
            f"here. Pass custom_objects={{'{class_name}': {class_name}}} to load_model, or "
            "load_model(..., compile=False) to skip the compile state."
        )
    config = decode_value(entry.get("config") or {}, custom_objects, what)
    return cls.from_config(config)


def _deserialize_loss(entry: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    if isinstance(entry, str):
        return entry
    if entry.get("class_name") == "LossFunctionWrapper":
        fn = _resolve_function(entry["fn"], losses.LOSS_FUNCTIONS, custom_objects, "loss function")
        config = decode_value(entry.get("config") or {}, custom_objects, "loss")
        return losses.LossFunctionWrapper(fn, **config)
    return _resolve_configurable(entry, losses.LOSSES, custom_objects, "loss")


def _deserialize_metric(entry: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    if isinstance(entry, str):
        return entry
    if "function" in entry:
        return _resolve_function(entry, losses.LOSS_FUNCTIONS, custom_objects, "metric function")
    if entry.get("class_name") == "MeanMetricWrapper":
        fn = _resolve_function(
            entry["fn"], losses.LOSS_FUNCTIONS, custom_objects, "metric function"
        )
        config = decode_value(entry.get("config") or {}, custom_objects, "metric")
        return metrics.MeanMetricWrapper(fn, **config)
    return _resolve_configurable(entry, metrics.METRICS, custom_objects, "metric")


def deserialize_optimizer(
    entry: Mapping[str, Any], custom_objects: Mapping[str, Any] | None, params: list[torch.Tensor]
) -> Any:
    """The optimizer an entry describes; torch optimizers are created on ``params``."""
    module = entry.get("module", "kerastorch.optimizers")
    if module == "kerastorch.optimizers":
        return _resolve_configurable(entry, optimizers.OPTIMIZERS, custom_objects, "optimizer")
    class_name = str(entry.get("class_name"))
    cls = None
    if module == "torch.optim":
        cls = getattr(torch.optim, class_name, None)
    else:
        cls = get_registered_object(str(entry.get("registered_name", class_name)), custom_objects)
    if not (inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)):
        raise SavingError(
            f"The model was compiled with the optimizer '{class_name}' ({module}), which is not "
            "known here. Pass it in custom_objects, or load_model(..., compile=False)."
        )
    config = decode_value(entry.get("config") or {}, custom_objects, "optimizer")
    if isinstance(cls, type) and issubclass(cls, optimizers.Optimizer):
        return cls.from_config(config)
    return cls(params, **config)


def deserialize_compile_config(
    model: Any, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None
) -> None:
    """Compile ``model`` as the saved compile config says, and bind the optimizer."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = deserialize_optimizer(config["optimizer"], custom_objects, params)
    loss = _from_per_output(lambda e: _deserialize_loss(e, custom_objects), config["loss"])
    metrics, weighted = (
        _from_per_output(lambda e: _deserialize_metric(e, custom_objects), config.get(arg) or [])
        for arg in ("metrics", "weighted_metrics")
    )
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=metrics or None,
        weighted_metrics=weighted or None,
        loss_weights=config.get("loss_weights"),
    )
    if model.built:
        model.compiled.bind_optimizer(model)
