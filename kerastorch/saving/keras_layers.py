"""Keras's layer configs <-> kerastorch layers: the table of Keras layer classes kerastorch
reads and writes, and the translation of their configs both ways.

Configs only: no file is read or written here (``keras_files.py`` does that), and no layer is
imported: classes are found by name (NOTE [safe deserialization]), so a model class can turn a
Keras config into its layers without depending on the file formats.

NOTE [Keras layer table]
    :data:`KERAS_LAYERS` maps each Keras layer class to kerastorch: the kerastorch class name
    (looked up among kerastorch's registered layers when used, so a layer added later needs only
    its entry),
    the sub-paths holding its variables, and the Keras config keys to ignore. A Keras config key
    the kerastorch class accepts is passed on as is; ``dtype`` is checked (kerastorch runs
    float32); a Keras-only key is accepted when it is inert (regularizers / constraints /
    ``quantization_config`` None, ``zero_output_for_mask`` False...) and refused, naming it,
    otherwise. A wrapper's nested layer (``Bidirectional(layer=...)``) goes through the table too.
    A new layer needs one entry, e.g. ``register_keras_layer(KerasLayer("Conv2D"))`` (or a line in
    the table below); its weights are read and written with the layer's own ``keras_weights`` /
    ``load_keras_weights``, so Keras's layout is the layer's business, not this module's.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from kerastorch import activations, initializers
from kerastorch.saving import serialization
from kerastorch.saving.serialization import SavingError

__all__ = [
    "KERAS_LAYERS",
    "KerasLayer",
    "keras_layer_config_to_kerastorch",
    "keras_layer_entry",
    "layers_from_keras_config",
    "register_keras_layer",
    "spec_for_layer",
]

# How Keras 3 writes the float32 dtype policy kerastorch's layers run in.
FLOAT32_POLICY = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}


# -- the layer table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KerasLayer:
    """How one Keras layer class maps to a kerastorch layer (see NOTE [Keras layer table]).

    Args:
        keras_name: Keras's class name (``"LSTM"``).
        kerastorch_name: The class in ``kerastorch.layers``; defaults to ``keras_name``.
        weight_paths: Sub-paths of the layer's group that hold its variables, in order (``""``
            for the layer itself, ``"cell"`` for a recurrent layer's cell). With several paths
            the weights are split evenly between them (a ``Bidirectional``'s two directions).
        weight_names: Names of the variables in legacy ``.h5`` files, in order (cosmetic).
        ignore: Keras config keys dropped whatever their value because they change nothing
            kerastorch computes (e.g. an RNG ``seed``).
        from_keras: Optional hook rewriting the converted config (Keras -> kerastorch).
        to_keras: Optional hook rewriting the config written for Keras (kerastorch -> Keras).
        weight_groups: Optional ``layer -> [(sub-path, number of weights), ...]`` for a layer
            whose groups depend on the instance (an ``RNN``'s stacked cells); replaces
            ``weight_paths``.
        build_config: Optional ``build shape -> Keras's build_config`` for a layer whose
            ``build`` takes other arguments than one ``input_shape`` (``MultiHeadAttention``).

    Example:
        >>> KERAS_LAYERS["LSTM"].weight_paths
        ('cell',)
    """

    keras_name: str
    kerastorch_name: str | None = None
    weight_paths: tuple[str, ...] = ("",)
    weight_names: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    from_keras: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None)
    to_keras: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None)
    weight_groups: Callable[[Any], list[tuple[str, int]]] | None = field(default=None)
    build_config: Callable[[Any], dict[str, Any]] | None = field(default=None)

    @property
    def target(self) -> str:
        return self.kerastorch_name or self.keras_name

    def groups(self, layer: Any) -> list[tuple[str, int]]:
        """The sub-paths holding ``layer``'s variables, with how many each holds, in
        ``get_weights`` order (``weight_paths`` share the weights evenly)."""
        if self.weight_groups is not None:
            return self.weight_groups(layer)
        count = len(layer.keras_weights())
        paths = self.weight_paths
        return [(path, count // len(paths)) for path in paths]


KERAS_LAYERS: dict[str, KerasLayer] = {}
"""Keras class name -> :class:`KerasLayer`; see NOTE [Keras layer table]."""


def register_keras_layer(spec: KerasLayer) -> KerasLayer:
    """Add (or replace) a table entry so Keras files with that layer load and save.

    Example:
        >>> register_keras_layer(KerasLayer("Dense", weight_names=("kernel", "bias"))).target
        'Dense'
    """
    KERAS_LAYERS[spec.keras_name] = spec
    return spec


for _spec in (
    KerasLayer("Dense", weight_names=("kernel", "bias")),
    KerasLayer("Dropout"),
    KerasLayer("Activation"),
    KerasLayer("Flatten"),
    KerasLayer("Masking"),
    KerasLayer("Embedding", weight_names=("embeddings",)),
    KerasLayer("GlobalAveragePooling1D"),
    KerasLayer("GlobalMaxPooling1D"),
    KerasLayer(
        "LSTM",
        weight_paths=("cell",),
        weight_names=("lstm_cell/kernel", "lstm_cell/recurrent_kernel", "lstm_cell/bias"),
        # seed: the dropout RNG; implementation: a Keras 2 execution option.
        ignore=("seed", "implementation"),
    ),
    KerasLayer(
        "GRU",
        weight_paths=("cell",),
        weight_names=("gru_cell/kernel", "gru_cell/recurrent_kernel", "gru_cell/bias"),
        ignore=("implementation",),
    ),
    KerasLayer(
        "SimpleRNN",
        weight_paths=("cell",),
        weight_names=(
            "simple_rnn_cell/kernel",
            "simple_rnn_cell/recurrent_kernel",
            "simple_rnn_cell/bias",
        ),
    ),
    # The wrapped layers' variables: forward then backward, each in its own cell.
    KerasLayer("Bidirectional", weight_paths=("forward_layer/cell", "backward_layer/cell")),
    # RNN(cell): the cell's variables in "cell", a stack's in "cell/cells/<cell>" per cell.
    KerasLayer("RNN", weight_groups=lambda layer: layer.keras_weight_groups()),
    # Cells appear nested in an RNN's config only.
    KerasLayer("LSTMCell"),
    KerasLayer("GRUCell"),
    KerasLayer("SimpleRNNCell"),
    KerasLayer("StackedRNNCells"),
    KerasLayer("Conv1D", weight_names=("kernel", "bias")),
    KerasLayer("Conv1DTranspose", weight_names=("kernel", "bias")),
    KerasLayer("MaxPooling1D"),
    KerasLayer("AveragePooling1D"),
    KerasLayer(
        "BatchNormalization",
        weight_names=("gamma", "beta", "moving_mean", "moving_variance"),
        # Only read by Keras when renorm=True, which kerastorch's BatchNormalization checks.
        ignore=("renorm_clipping", "renorm_momentum"),
    ),
    KerasLayer("LayerNormalization", weight_names=("gamma", "beta")),
    KerasLayer("Normalization", weight_names=("mean", "variance", "count")),
    KerasLayer("UnitNormalization"),
    KerasLayer("Rescaling"),
    KerasLayer("CategoryEncoding"),
    # Keras's Discretization takes no `trainable` argument either.
    KerasLayer(
        "Discretization",
        to_keras=lambda config: {k: v for k, v in config.items() if k != "trainable"},
    ),
    KerasLayer("Identity"),
    KerasLayer("ActivityRegularization"),
    KerasLayer("ZeroPadding1D"),
    KerasLayer("Cropping1D"),
    KerasLayer("UpSampling1D"),
    KerasLayer("ReLU"),
    KerasLayer("LeakyReLU"),
    KerasLayer("ELU"),
    KerasLayer("PReLU", weight_names=("alpha",)),
    KerasLayer("Softmax"),
    KerasLayer("GaussianDropout"),
    KerasLayer("GaussianNoise"),
    KerasLayer("RepeatVector"),
    KerasLayer("Reshape"),
    KerasLayer("Permute"),
    # The wrapped layer's variables live in the wrapper's "layer" group.
    KerasLayer("TimeDistributed", weight_paths=("layer",)),
    # Merge layers (no weights) and attention layers.
    *(
        KerasLayer(name)
        for name in (
            "Concatenate",
            "Add",
            "Subtract",
            "Multiply",
            "Average",
            "Maximum",
            "Minimum",
            "Dot",
            "Attention",
            "AdditiveAttention",
        )
    ),
    # Each projection's kernel (and bias) in its own EinsumDense.
    KerasLayer(
        "MultiHeadAttention",
        weight_paths=("query_dense", "key_dense", "value_dense", "output_dense"),
        build_config=lambda shape: {
            "shapes_dict": dict(
                zip(("query_shape", "value_shape", "key_shape"), shape, strict=False)
            )
        },
    ),
    # Keras's SpatialDropout1D takes no `trainable` argument.
    KerasLayer(
        "SpatialDropout1D",
        to_keras=lambda config: {k: v for k, v in config.items() if k != "trainable"},
    ),
):
    register_keras_layer(_spec)
del _spec

# Keras-only config keys and the values at which they change nothing.
_INERT_VALUES: dict[str, tuple[Any, ...]] = {
    "zero_output_for_mask": (False,),
    "quantization_config": (None,),
    "lora_rank": (None, 0),
    "lora_alpha": (None,),
    "time_major": (False,),
    "autocast": (True,),
    "activity_regularizer": (None,),
    "rms_scaling": (False,),
}


def _is_inert(key: str, value: Any) -> bool:
    if key.endswith(("_regularizer", "_constraint")):
        return value is None
    return key in _INERT_VALUES and any(
        value is v or (value == v and type(value) is type(v)) for v in _INERT_VALUES[key]
    )


def spec_for_layer(layer: Any) -> KerasLayer | None:
    """The table entry whose kerastorch class is ``type(layer)`` (None for other layers)."""
    name = type(layer).__name__
    if serialization.layer_classes().get(name) is not type(layer):
        return None  # a user's class (even a subclass of a kerastorch layer)
    return spec_for_class_name(name)


def _accepted_args(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is torch.nn.Module or klass is object:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL) and param.name != "self":
                names.add(param.name)
    return names


def policy_name(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        config = value.get("config")
        if isinstance(config, dict):
            return config.get("name")
        if isinstance(config, str):
            return config
    return None


def _convert_object(value: Any, custom_objects: Mapping[str, Any] | None, where: str) -> Any:
    """A Keras-serialized function (``{"class_name": "function", "config": "name"}``) becomes
    the registered object or the name; nested layers (also in a list: a stack's cells) are
    converted; other values pass through."""
    if isinstance(value, list):
        return [_convert_object(v, custom_objects, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and value.get("class_name") == "function":
        for name in (value.get("registered_name"), value.get("config")):
            if isinstance(name, str) and name != "function":
                obj = serialization.get_registered_object(name, custom_objects)
                if obj is not None:
                    return obj
        name = value.get("config")
        if isinstance(name, str):
            return name
        raise SavingError(f"{where}: cannot read the function {value!r}.")
    if (
        isinstance(value, dict)
        and value.get("class_name") in KERAS_LAYERS
        and isinstance(value.get("config"), dict)
    ):
        # A nested layer (a wrapper's ``layer``): converted through the table as well.
        cls, config, _ = keras_layer_config_to_kerastorch(value, custom_objects)
        return {"class_name": cls.__name__, "config": config}
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        obj = serialization.get_registered_object(
            str(value.get("registered_name") or value["class_name"]), custom_objects
        )
        if obj is not None and not inspect.isclass(obj):
            return obj
        return {"class_name": value["class_name"], "config": value["config"]}
    return value


def keras_layer_config_to_kerastorch(
    entry: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None,
    all_entries: Sequence[Any] = (),
) -> tuple[type, dict[str, Any], KerasLayer]:
    """The kerastorch class and constructor arguments for one Keras layer entry."""

    class_name = str(entry.get("class_name"))
    config = dict(entry.get("config") or {})
    layer_name = config.get("name", "?")
    spec = KERAS_LAYERS.get(class_name)
    registered = None
    if isinstance(entry.get("registered_name"), str):
        registered = serialization.get_registered_object(entry["registered_name"], custom_objects)
    if registered is None:
        registered = serialization.get_registered_object(class_name, custom_objects)
    if registered is not None:
        cls = serialization.resolve_layer_class(entry, custom_objects, all_entries)
        spec = spec or KerasLayer(class_name)
    elif spec is not None:
        cls = serialization.layer_classes().get(spec.target)
        if cls is None:
            raise SavingError(
                f"Keras layer {class_name} '{layer_name}' maps to kerastorch.layers."
                f"{spec.target}, which does not exist in this kerastorch."
            )
        if getattr(cls, "unsafe_to_deserialize", False) and serialization.in_safe_mode():
            raise SavingError(
                f"Keras layer {class_name} '{layer_name}' carries Python code in its config, "
                "which is refused in safe mode because loading it would run code from the file. "
                "If you trust the file's source, load it with safe_mode=False."
            )
    else:
        raise unsupported_layers_error([entry], all_entries)
    accepted = _accepted_args(cls)
    where = f"Keras layer {class_name} '{layer_name}'"
    out: dict[str, Any] = {}
    refused = []
    for key, value in config.items():
        if key == "dtype":
            policy = policy_name(value)
            if policy not in (None, "float32"):
                warnings.warn(
                    f"{where} uses dtype policy {policy!r}; kerastorch loads it as float32 "
                    "(weights are cast, results may differ slightly).",
                    stacklevel=4,
                )
            continue
        if key in spec.ignore:
            continue
        if key in accepted:
            out[key] = _convert_object(value, custom_objects, f"{where}: {key}")
        elif not _is_inert(key, value):
            refused.append(f"{key}={value!r}")
    if refused:
        raise SavingError(
            f"{where} uses {', '.join(refused)}, which kerastorch's {cls.__name__} does not "
            "support; the model cannot be reproduced exactly."
        )
    for key, value in list(out.items()):
        if key.endswith("_initializer") and value is not None:
            try:
                initializers.get(value)
            except (ValueError, TypeError):
                # Initializers only matter for re-initialization; the weights come from the file.
                warnings.warn(
                    f"{where}: the initializer {key}={value!r} is unknown to kerastorch and was "
                    "replaced by the layer's default (the loaded weights are unaffected).",
                    stacklevel=4,
                )
                del out[key]
        if key.endswith("activation") and isinstance(value, str):
            try:
                activations.get(value)
            except ValueError as error:
                raise SavingError(
                    f"{where}: {error} If it is your own function, pass "
                    f"custom_objects={{'{value}': {value}}} when loading."
                ) from None
    if spec.from_keras is not None:
        out = spec.from_keras(out)
    return cls, out, spec


def unsupported_layers_error(bad: Sequence[Any], all_entries: Sequence[Any]) -> SavingError:
    for entry in bad:  # a Keras Lambda: code in the config, the safe-mode refusal comes first
        class_name = str(entry.get("class_name"))
        cls = serialization.layer_classes().get(class_name)
        if getattr(cls, "unsafe_to_deserialize", False) and serialization.in_safe_mode():
            name = (entry.get("config") or {}).get("name", "?")
            return SavingError(
                f"Keras layer {class_name} '{name}' carries Python code in its config, which is "
                "refused in safe mode because loading it would run code from the file; a "
                f"top-level Keras {class_name} does not load from a Keras file even with "
                "safe_mode=False. Write the model in code (a kerastorch Lambda or your own "
                "layer) and load the file's weights into it with model.load_weights(path)."
            )
    listed = ", ".join(
        f"'{(e.get('config') or {}).get('name', '?')}' ({e.get('class_name')})" for e in bad
    )
    layers = serialization.describe_entries(all_entries)
    return SavingError(
        f"The Keras model uses layers kerastorch cannot load: {listed}. Layers in the file: "
        f"{layers}. Supported Keras layers: {', '.join(sorted(KERAS_LAYERS))}. For your own "
        "layer classes pass custom_objects={'ClassName': ClassName}."
    )


def _entries_and_shape(config: Mapping[str, Any]) -> tuple[list[Any], Any]:
    entries = []
    input_shape = None
    for entry in config.get("layers") or []:
        if not isinstance(entry, dict):
            raise SavingError(f"Unreadable layer entry in the Keras config: {entry!r}.")
        if entry.get("class_name") == "InputLayer":
            layer_config = entry.get("config") or {}
            input_shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
            continue
        entries.append(entry)
    if input_shape is None:
        input_shape = config.get("build_input_shape")
    return entries, input_shape


def layers_from_keras_config(
    config: Mapping[str, Any] | list[Any], custom_objects: Mapping[str, Any] | None = None
) -> tuple[list[Any], list[dict[str, Any]], Any]:
    """The (unbuilt) kerastorch layers of a Keras Sequential config (Keras 3 or 2, or Keras 1's
    bare layer list), their Keras entries, and the model's input batch shape (None if absent).
    """
    if isinstance(config, list):  # Keras 1 / early Keras 2: the config is the layer list
        config = {"layers": config}
    entries, input_shape = _entries_and_shape(config)
    known = set(KERAS_LAYERS)
    bad = [
        e
        for e in entries
        if e.get("class_name") not in known
        and serialization.get_registered_object(
            str(e.get("registered_name") or e.get("class_name")), custom_objects
        )
        is None
    ]
    if bad:
        raise unsupported_layers_error(bad, entries)
    layers = []
    for entry in entries:
        layer_cls, layer_config, _ = keras_layer_config_to_kerastorch(
            entry, custom_objects, entries
        )
        try:
            layers.append(layer_cls.from_config(layer_config))
        except (TypeError, ValueError) as error:
            raise SavingError(
                f"Cannot create kerastorch {layer_cls.__name__} from Keras layer "
                f"'{layer_config.get('name', '?')}': {error}"
            ) from error
    return layers, entries, input_shape


# -- writing -----------------------------------------------------------------------------------


def spec_for_class_name(name: str) -> KerasLayer | None:
    for spec in KERAS_LAYERS.values():
        if spec.target == name:
            return spec
    return None


def _keras_config(spec: KerasLayer, config: dict[str, Any], where: str) -> dict[str, Any]:
    """A kerastorch layer config (JSON-ready) as Keras writes it; nested layers (a wrapper's
    ``layer``) are converted too."""
    out = {key: _keras_value(value, f"{where}: {key}") for key, value in config.items()}
    out["dtype"] = dict(FLOAT32_POLICY)
    return spec.to_keras(out) if spec.to_keras is not None else out


def _keras_value(value: Any, where: str) -> Any:
    """One config value as Keras writes it: a nested layer in the table (also in a list: a
    stack's cells) becomes Keras's entry; other values pass through."""
    if isinstance(value, list):
        return [_keras_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and set(value) == {serialization.OBJECT_MARKER}:
        raise SavingError(
            f"{where} is a custom object, which Keras cannot load from a file written by "
            "kerastorch. Save it with model.save('model.kt') instead."
        )
    inner = spec_for_class_name(value.get("class_name")) if isinstance(value, dict) else None
    if inner is not None and isinstance(value.get("config"), dict):
        return {
            "module": "keras.layers",
            "class_name": inner.keras_name,
            "config": _keras_config(inner, value["config"], where),
            "registered_name": None,
        }
    return value


def keras_layer_entry(layer: Any, legacy: bool) -> dict[str, Any]:
    spec = spec_for_layer(layer)
    if spec is None:
        raise SavingError(
            f"{layer.describe()} is not in kerastorch's Keras layer table "
            "(kerastorch.saving.keras_files.KERAS_LAYERS), so the model cannot be written as a "
            f"Keras file. Keras layers kerastorch writes: {', '.join(sorted(KERAS_LAYERS))}. "
            "Save it with model.save('model.kt') instead."
        )
    config = serialization.encode_value(layer.get_config(), layer.describe())
    config = _keras_config(spec, config, layer.describe())
    entry: dict[str, Any] = {"class_name": spec.keras_name, "config": config}
    if not legacy:
        entry = {"module": "keras.layers", **entry, "registered_name": None}
        if layer.built and layer.build_input_shape is not None:
            shape = serialization.encode_value(layer.build_input_shape, layer.describe())
            make = spec.build_config or (lambda shape: {"input_shape": shape})
            entry["build_config"] = make(shape)
    return entry
