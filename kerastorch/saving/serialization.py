"""Configs to classes and back, without ever running code from a file.

NOTE [safe deserialization]
    A saved config names classes by string (``"LSTM"``, ``"my_package>Scale"``). Loading turns a
    name into a class only by looking it up in tables of objects this process already has:

    1. the ``custom_objects`` passed to the loading function,
    2. the objects of any active :class:`CustomObjectScope`,
    3. the objects registered with :func:`register_keras_serializable`,
    4. kerastorch's own layers / losses / metrics / optimizers.

    Nothing is imported from a module path written in the file and no Python code, pickle or
    bytecode is ever read: weights go through ``torch.load(weights_only=True)`` or h5py. A class
    that marks itself ``unsafe_to_deserialize = True`` (a layer whose config carries code, as
    Keras's ``Lambda`` does) is refused unless the caller passes ``safe_mode=False``;
    ``in_safe_mode()`` tells such a class's ``from_config`` which mode is active.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

__all__ = [
    "CustomObjectScope",
    "SavingError",
    "custom_object_scope",
    "deserialize_compile_config",
    "deserialize_layer",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "in_safe_mode",
    "layer_classes",
    "register_custom_object",
    "register_keras_serializable",
    "sequential_from_config",
    "serialize_compile_config",
    "serialize_layer",
    "serialize_model",
]

# Marks a JSON value that stands for a registered Python object (a custom activation, a custom
# initializer, ...): {"__kerastorch_object__": "package>name"}.
OBJECT_MARKER = "__kerastorch_object__"

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[int, str] = {}
_SCOPE_OBJECTS: contextvars.ContextVar[tuple[dict[str, Any], ...]] = contextvars.ContextVar(
    "kerastorch_custom_object_scopes", default=()
)
_SAFE_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kerastorch_safe_mode", default=True
)


class SavingError(ValueError):
    """A model or weights file that cannot be read or written, with the reason and the fix."""


# -- registration ------------------------------------------------------------------------------


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[Any], Any]:
    """Register a class or function so that saved models can refer to it by name.

    The object is registered as ``"package>name"`` (``name`` defaults to ``__name__``), as in
    Keras, and is also found by its bare name. Use it on custom layers (``Layer`` subclasses with
    a ``get_config``), losses, metrics, activations and initializers.

    Args:
        package: Namespace of the registered name.
        name: The name; defaults to the object's ``__name__``.

    Example:
        >>> from kerastorch.layers import Layer
        >>> @register_keras_serializable(package="docs")
        ... class Twice(Layer):
        ...     def call(self, inputs):
        ...         return 2 * inputs
        >>> get_registered_name(Twice)
        'docs>Twice'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"register_keras_serializable: expected a package name without '>', received "
            f"package={package!r}."
        )

    def decorator(obj: Any) -> Any:
        short = name if name is not None else getattr(obj, "__name__", None)
        if not short:
            raise ValueError(
                f"register_keras_serializable: {obj!r} has no __name__; pass name=... ."
            )
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"register_keras_serializable: class {obj.__name__} has no get_config(); define "
                "get_config() returning its constructor arguments so it can be saved."
            )
        key = f"{package}>{short}"
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[id(obj)] = key
        return obj

    return decorator


register_custom_object = register_keras_serializable
"""kerastorch's name for :func:`register_keras_serializable` (the same function)."""


def get_registered_name(obj: Any) -> str:
    """``"package>name"`` for a registered object, else its ``__name__`` (as Keras does).

    Example:
        >>> get_registered_name(len)
        'len'
    """
    key = _GLOBAL_CUSTOM_NAMES.get(id(obj))
    if key is not None and _GLOBAL_CUSTOM_OBJECTS.get(key) is obj:
        return key
    return getattr(obj, "__name__", type(obj).__name__)


def _is_registered(obj: Any) -> bool:
    key = _GLOBAL_CUSTOM_NAMES.get(id(obj))
    return key is not None and _GLOBAL_CUSTOM_OBJECTS.get(key) is obj


def get_custom_objects() -> dict[str, Any]:
    """The global table of registered objects (``"package>name"`` -> object); editable.

    Example:
        >>> isinstance(get_custom_objects(), dict)
        True
    """
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Make objects visible to loading functions inside a ``with`` block.

    Example:
        >>> def my_act(x):
        ...     return x
        >>> with CustomObjectScope({"my_act": my_act}):
        ...     get_registered_object("my_act") is my_act
        True
    """

    def __init__(self, *objects: Mapping[str, Any] | None) -> None:
        self.objects: dict[str, Any] = {}
        for table in objects:
            self.objects.update(table or {})
        self._token: contextvars.Token | None = None

    def __enter__(self) -> CustomObjectScope:
        self._token = _SCOPE_OBJECTS.set((*_SCOPE_OBJECTS.get(), self.objects))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._token is not None:
            _SCOPE_OBJECTS.reset(self._token)


custom_object_scope = CustomObjectScope
"""Keras's lower-case alias of :class:`CustomObjectScope`."""


def get_registered_object(
    name: str,
    custom_objects: Mapping[str, Any] | None = None,
    module_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Find the object saved under ``name``; None if no table holds it.

    Looks in ``custom_objects``, the active scopes, the registered objects (by ``package>name``
    or, failing that, by bare name) and ``module_objects``, in that order.

    Example:
        >>> get_registered_object("nothing_here") is None
        True
    """
    tables: list[Mapping[str, Any]] = [custom_objects or {}]
    tables.extend(reversed(_SCOPE_OBJECTS.get()))
    for table in tables:
        if name in table:
            return table[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    bare = name.rsplit(">", 1)[-1]
    for table in tables:
        if bare in table:
            return table[bare]
    matches = [obj for key, obj in _GLOBAL_CUSTOM_OBJECTS.items() if key.rsplit(">", 1)[-1] == bare]
    if len(matches) == 1:
        return matches[0]
    if module_objects and bare in module_objects:
        return module_objects[bare]
    return None


# -- safe mode ---------------------------------------------------------------------------------


def in_safe_mode() -> bool:
    """Whether the running load refuses code-carrying configs (see NOTE [safe deserialization])."""
    return _SAFE_MODE.get()


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool) -> Iterator[None]:
    token = _SAFE_MODE.set(bool(safe_mode))
    try:
        yield
    finally:
        _SAFE_MODE.reset(token)


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
    if _is_registered(value):
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


def check_json_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- layers ------------------------------------------------------------------------------------


def layer_classes() -> dict[str, type]:
    """kerastorch's own layer classes by class name (every ``Layer`` in ``kerastorch.layers``).

    Layers others add to ``kerastorch.layers.__all__`` are found without any change here.
    """
    from kerastorch import layers as layers_module
    from kerastorch.layers.base import Layer

    table = {}
    for name in getattr(layers_module, "__all__", dir(layers_module)):
        obj = getattr(layers_module, name, None)
        if inspect.isclass(obj) and issubclass(obj, Layer) and obj is not Layer:
            table[obj.__name__] = obj
    return table


def _describe_entries(entries: Sequence[Any]) -> str:
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
    builtins: Mapping[str, type] | None = None,
) -> type:
    """The class a saved layer entry names, or a :class:`SavingError` saying how to allow it."""
    from kerastorch.layers.base import Layer

    class_name = entry.get("class_name")
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    layer_name = config.get("name", "?")
    if not isinstance(class_name, str):
        raise SavingError(f"A layer entry has no class_name: {dict(entry)!r}.")
    registered = entry.get("registered_name")
    cls = None
    if isinstance(registered, str):
        cls = get_registered_object(registered, custom_objects)
    if cls is None:
        cls = get_registered_object(class_name, custom_objects)
    if cls is None:
        cls = (builtins if builtins is not None else layer_classes()).get(class_name)
    if cls is None:
        raise SavingError(
            f"Cannot load layer '{layer_name}': its class '{class_name}' is not a kerastorch "
            "layer and no custom object of that name is known. If it is your own layer, pass "
            f"custom_objects={{'{class_name}': {class_name}}} when loading, or decorate the class "
            "with @kerastorch.saving.register_keras_serializable(). Layers in the file: "
            f"{_describe_entries(all_entries)}."
        )
    if not (inspect.isclass(cls) and issubclass(cls, Layer)):
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
    if _is_registered(type(layer)):
        entry["registered_name"] = get_registered_name(type(layer))
    if getattr(layer, "built", False) and layer.build_input_shape is not None:
        entry["build_input_shape"] = list(layer.build_input_shape)
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


# -- models ------------------------------------------------------------------------------------


def serialize_model(model: Any) -> dict[str, Any]:
    """A model's architecture as JSON-ready data: class, config (every layer's class and
    ``get_config()``), and the build shapes."""
    config = dict(model.get_config())
    layers = list(model.layers)
    entries = config.get("layers")
    if isinstance(entries, list) and len(entries) == len(layers):
        config["layers"] = [serialize_layer(layer) for layer in layers]
    config = encode_value(config, f"model '{model.name}'")
    input_shape = getattr(model, "input_batch_shape", None)
    out: dict[str, Any] = {
        "class_name": type(model).__name__,
        "config": config,
        "input_batch_shape": None if input_shape is None else list(input_shape),
    }
    if _is_registered(type(model)):
        out["registered_name"] = get_registered_name(type(model))
    return out


def _model_class(
    class_name: str, registered: Any, custom_objects: Mapping[str, Any] | None
) -> type:
    from kerastorch.models import Sequential

    cls = None
    if isinstance(registered, str):
        cls = get_registered_object(registered, custom_objects)
    if cls is None and class_name != "Sequential":
        cls = get_registered_object(class_name, custom_objects)
    if cls is None and class_name == "Sequential":
        cls = Sequential
    if cls is None:
        raise SavingError(
            f"Cannot load a model of class '{class_name}': kerastorch rebuilds Sequential models "
            "(and registered Sequential subclasses). Pass custom_objects="
            f"{{'{class_name}': {class_name}}} if it is your own Sequential subclass."
        )
    if not (inspect.isclass(cls) and issubclass(cls, Sequential)):
        raise SavingError(
            f"Model class '{class_name}' resolves to {cls!r}, which is not a Sequential subclass."
        )
    return cls


def _to_shape(value: Any, where: str) -> tuple[int | None, ...] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0) for v in value
    ):
        raise SavingError(
            f"{where}: expected a shape (list of positive ints and nulls), received {value!r}."
        )
    return tuple(value)


def is_keras_model_config(config: Mapping[str, Any]) -> bool:
    """Whether a Sequential config was written by Keras (InputLayer entry, dtype policies...)."""
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


def sequential_from_config(
    config: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
    cls: type | None = None,
    input_batch_shape: Any = None,
) -> Any:
    """Rebuild a Sequential from ``Sequential.get_config()`` output (or Keras's), built from the
    saved input shape when there is one.

    ``config`` may also be the full ``{"class_name", "config", ...}`` entry.
    """
    if "config" in config and "layers" not in config:
        registered = config.get("registered_name")
        class_name = config.get("class_name", "Sequential")
        input_batch_shape = config.get("input_batch_shape", input_batch_shape)
        if cls is None:
            cls = _model_class(str(class_name), registered, custom_objects)
        config = config["config"]
    if cls is None:
        from kerastorch.models import Sequential

        cls = Sequential
    if not isinstance(config, Mapping) or not isinstance(config.get("layers"), list):
        raise SavingError(
            f"Expected a Sequential config with a 'layers' list, received {str(config)[:200]}."
        )
    if is_keras_model_config(config):
        from kerastorch.saving import keras_files

        return keras_files.sequential_from_keras_config(config, custom_objects, cls=cls)
    entries = config["layers"]
    layers = [deserialize_layer(entry, custom_objects, entries) for entry in entries]
    model = cls(name=config.get("name"))
    for layer in layers:
        model.add(layer)
    shape = _to_shape(
        input_batch_shape if input_batch_shape is not None else config.get("input_shape"),
        "input shape",
    )
    if shape is not None:
        model.build(shape)
    for layer, entry in zip(layers, entries, strict=True):
        saved = entry.get("build_input_shape")
        if not layer.built and saved is not None:
            layer.build_from_shape(_to_shape(saved, f"{layer.describe()} build shape"))
    return model


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
    if _is_registered(fn):
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
    key = None if _is_registered(cls) else _registry_key(registry, cls)
    entry: dict[str, Any] = {
        "class_name": key or cls.__name__,
        "config": encode_value(obj.get_config(), what),
    }
    if _is_registered(cls):
        entry["registered_name"] = get_registered_name(cls)
    return entry


def _serialize_loss(loss: Any) -> Any:
    from kerastorch import losses

    if isinstance(loss, losses.LossFunctionWrapper) and type(loss) is losses.LossFunctionWrapper:
        config = loss.get_config()
        config.pop("fn", None)
        return {
            "class_name": "LossFunctionWrapper",
            "config": encode_value(config, "loss"),
            "fn": _serialize_function(loss.fn, losses._FUNCTIONS, "loss function"),
        }
    return _serialize_configurable(loss, losses.LOSSES, "loss")


def _serialize_metric_spec(spec: Any) -> Any:
    from kerastorch import losses, metrics

    if isinstance(spec, str):
        return spec
    if inspect.isclass(spec):
        key = None if _is_registered(spec) else _registry_key(metrics.METRICS, spec)
        entry: dict[str, Any] = {"class_name": key or spec.__name__, "config": {}}
        if _is_registered(spec):
            entry["registered_name"] = get_registered_name(spec)
        return entry
    if isinstance(spec, metrics.MeanMetricWrapper) and type(spec) is metrics.MeanMetricWrapper:
        config = spec.get_config()
        config.pop("fn", None)
        return {
            "class_name": "MeanMetricWrapper",
            "config": encode_value(config, "metric"),
            "fn": _serialize_function(spec._fn, losses._FUNCTIONS, "metric function"),
        }
    if isinstance(spec, metrics.Metric):
        return _serialize_configurable(spec, metrics.METRICS, "metric")
    if callable(spec):
        return _serialize_function(spec, losses._FUNCTIONS, "metric function")
    raise SavingError(f"Cannot save the metric {spec!r}.")


def serialize_optimizer(optimizer: Any) -> dict[str, Any]:
    from kerastorch import optimizers

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
        if _is_registered(cls):
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
        "loss": _serialize_loss(compiled.loss),
        "metrics": [_serialize_metric_spec(s) for s in compiled.metric_specs],
        "weighted_metrics": [_serialize_metric_spec(s) for s in compiled.weighted_metric_specs],
    }


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
    from kerastorch import losses

    if isinstance(entry, str):
        return entry
    if entry.get("class_name") == "LossFunctionWrapper":
        fn = _resolve_function(entry["fn"], losses._FUNCTIONS, custom_objects, "loss function")
        config = decode_value(entry.get("config") or {}, custom_objects, "loss")
        return losses.LossFunctionWrapper(fn, **config)
    return _resolve_configurable(entry, losses.LOSSES, custom_objects, "loss")


def _deserialize_metric(entry: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    from kerastorch import losses, metrics

    if isinstance(entry, str):
        return entry
    if "function" in entry:
        return _resolve_function(entry, losses._FUNCTIONS, custom_objects, "metric function")
    if entry.get("class_name") == "MeanMetricWrapper":
        fn = _resolve_function(entry["fn"], losses._FUNCTIONS, custom_objects, "metric function")
        config = decode_value(entry.get("config") or {}, custom_objects, "metric")
        return metrics.MeanMetricWrapper(fn, **config)
    return _resolve_configurable(entry, metrics.METRICS, custom_objects, "metric")


def deserialize_optimizer(
    entry: Mapping[str, Any], custom_objects: Mapping[str, Any] | None, params: list[torch.Tensor]
) -> Any:
    """The optimizer an entry describes; torch optimizers are created on ``params``."""
    from kerastorch import optimizers

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
    loss = _deserialize_loss(config["loss"], custom_objects)
    metrics = [_deserialize_metric(m, custom_objects) for m in config.get("metrics") or []]
    weighted = [
        _deserialize_metric(m, custom_objects) for m in config.get("weighted_metrics") or []
    ]
    model.compile(
        optimizer=optimizer, loss=loss, metrics=metrics or None, weighted_metrics=weighted or None
    )
    if model.built:
        model.compiled.bind_optimizer(model)
