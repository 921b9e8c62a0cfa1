"""Keras's files, both ways: Keras 3 ``.keras`` archives and ``.weights.h5`` files, and legacy
Keras HDF5 models (``.h5``).

Which Keras layers map to which kerastorch layers, and how their configs translate, is
``keras_layers.py`` (NOTE [Keras layer table]); this module reads and writes the files.

NOTE [Keras file layouts]
    * ``.keras`` (Keras 3, ``keras/src/saving/saving_lib.py``) is a zip of ``config.json``
      (``{"module", "class_name": "Sequential", "config": {"layers": [InputLayer, ...]},
      "build_config", "compile_config"}``), ``metadata.json`` and ``model.weights.h5``.
    * ``model.weights.h5`` / ``x.weights.h5``: every object's variables live in a ``vars`` group
      as datasets ``"0"``, ``"1"``... in the layer's ``get_weights()`` order. A Sequential's layers
      are under ``layers/<key>``, where ``<key>`` is the snake-case *class* name made unique in
      order (``dense``, ``dense_1``...), not the layer's name. Layers that keep their variables in
      a sub-object use a sub-path: an LSTM's are in ``layers/lstm/cell/vars``. The optimizer's
      variables are in ``optimizer/vars``: ``iteration``, ``learning_rate``, then its slots.
    * Legacy ``.h5`` (``keras/src/legacy/saving/legacy_h5_format.py``): the root attribute
      ``model_config`` holds the architecture JSON, ``training_config`` the compile arguments;
      ``model_weights/<layer name>`` has an attribute ``weight_names`` listing the datasets
      (``sequential/lstm/lstm_cell/kernel``, or ``lstm/lstm_cell/kernel:0`` from Keras 2) in the
      layer's trainable-then-non-trainable order; layers are matched to the model in order.

NOTE [hard_sigmoid in old files]
    Keras 2 defined ``hard_sigmoid(x) = clip(0.2 x + 0.5, 0, 1)``; Keras 3 defines it as
    ``relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)``, and Keras 3.15 loads a Keras 2 ``.h5`` whose
    LSTM used ``recurrent_activation="hard_sigmoid"`` (the default before Keras 2.3) with its own
    Keras 3 function, so its predictions differ from the ones the model made in Keras 2.
    kerastorch does exactly what Keras 3.15 does (Keras 3 is the reference), and warns when the
    file was written by Keras 1 or 2 and uses ``hard_sigmoid``.
"""

from __future__ import annotations

import copy
import datetime
import io
import json
import warnings
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from kerastorch import losses, metrics, optimizers
from kerastorch.saving import serialization
from kerastorch.saving.archives import read_member
from kerastorch.saving.atomic import atomic_write, atomic_write_bytes
from kerastorch.saving.functional_config import (
    FUNCTIONAL_MODULE,
    functional_config,
    keras_sequential_config,
)
from kerastorch.saving.keras_layers import (
    KERAS_LAYERS,
    KerasLayer,
    policy_name,
    register_keras_layer,
    spec_for_layer,
)
from kerastorch.saving.object_registration import builtin_classes, is_kind
from kerastorch.saving.serialization import SavingError
from kerastorch.utils.naming import snake_case
from kerastorch.version import __version__

__all__ = [
    "KERAS_LAYERS",
    "KERAS_OPTIMIZER_SLOTS",
    "KerasLayer",
    "register_keras_layer",
]

# The Keras version whose formats are written (and read first).
KERAS_TARGET_VERSION = "3.15.1"


def require_h5py() -> Any:
    """Import h5py, or explain how to install it (it is an optional dependency)."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading or writing Keras files (.keras, .h5, .weights.h5) needs h5py: "
            "pip install h5py (or pip install 'kerastorch-lib[h5]')."
        ) from None
    return h5py


# -- weights: reading --------------------------------------------------------------------------


def _unique_key(name: str, used: dict[str, int]) -> str:
    """Keras's ``_get_unique_name``: ``dense``, ``dense_1``, ``dense_2``..."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _layer_keys(model: Any, prefix: str = "") -> list[tuple[Any, str, KerasLayer | None]]:
    """Every layer's group in a Keras 3 weights file: ``layers/<key>`` with ``<key>`` the
    snake-case class name made unique; a nested model's layers under ``<key>/layers/...``
    (its own entry has spec None: no variables of its own)."""
    used: dict[str, int] = {}
    out: list[tuple[Any, str, KerasLayer | None]] = []
    for layer in model.layers:
        key = prefix + _unique_key(snake_case(_keras_class_name(layer)), used)
        if is_kind(type(layer), "model"):
            out.append((layer, key, None))
            out.extend(_layer_keys(layer, f"{key}/layers/"))
            continue
        spec = spec_for_layer(layer) or KerasLayer(type(layer).__name__)
        out.append((layer, key, spec))
    return out


def _is_graph_model(model: Any) -> bool:
    """A Sequential or functional model: Keras keeps its layers under ``layers/``."""
    return is_kind(type(model), "model") and (
        hasattr(model, "_plan") or type(model).__name__ == "Sequential"
    )


def _weight_paths(model: Any) -> list[tuple[Any, str, KerasLayer | None]]:
    """Every layer's group in the model's Keras 3 weights file, from the root: ``layers/<key>``
    for a Sequential or functional model, attribute paths for a subclassed one (NOTE [Keras
    file layouts])."""
    if _is_graph_model(model):
        return [(layer, f"layers/{key}", spec) for layer, key, spec in _layer_keys(model)]
    return _attribute_paths(model, "", {id(model)})


class _OwnWeights:
    """A custom layer's own weights (not its sublayers'), as Keras saves them in its ``vars``."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.name = layer.name

    def keras_weights(self) -> list[torch.Tensor]:
        return [getattr(self.layer, name) for name in self.layer._keras_weight_names]

    def get_weights(self) -> list[np.ndarray]:
        return [w.detach().cpu().numpy().copy() for w in self.keras_weights()]

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        for target, value in zip(self.keras_weights(), weights, strict=True):
            target.copy_(value)

    def describe(self) -> str:
        return self.layer.describe()


def _saveable_attributes(obj: Any) -> list[tuple[str, Any]]:
    """The attributes through which Keras reaches an object's layers, in Keras's order
    (alphabetical, private ones last): layer attributes, lists / dicts of layers, and a
    model's ``layers``."""
    found: dict[str, Any] = {}
    for name, value in obj._modules.items():
        if is_kind(type(value), "layer"):
            found[name] = value
        elif value is not None and value._modules:  # an nn.ModuleList / ModuleDict
            found[name] = list(value._modules.values())
    for name, value in vars(obj).items():
        if isinstance(value, (list, tuple, dict)) and not name.startswith("__"):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            if items and all(is_kind(type(item), "layer") for item in items):
                found[name] = items
    if is_kind(type(obj), "model"):
        found["layers"] = list(obj.layers)
    return sorted(
        found.items(), key=lambda item: ("~" if item[0].startswith("_") else "") + item[0]
    )


def _attribute_paths(
    obj: Any, prefix: str, visited: set[int]
) -> list[tuple[Any, str, KerasLayer | None]]:
    """Keras's walk of a subclassed model (``saving_lib._save_state``): depth first through
    :func:`_saveable_attributes`, each layer saved at the first path that reaches it; a list's
    layers under ``<attribute>/<snake-case class name, made unique>``."""
    out: list[tuple[Any, str, KerasLayer | None]] = []

    def visit(layer: Any, path: str) -> None:
        if id(layer) in visited:
            return
        visited.add(id(layer))
        if _is_graph_model(layer):
            out.append((layer, path, None))
            out.extend((sub, f"{path}/layers/{key}", spec) for sub, key, spec in _layer_keys(layer))
            return
        spec = spec_for_layer(layer)
        if spec is not None:
            out.append((layer, path, spec))
            return
        out.append((_OwnWeights(layer), path, KerasLayer(type(layer).__name__)))
        out.extend(_attribute_paths(layer, f"{path}/", visited))

    for name, value in _saveable_attributes(obj):
        if isinstance(value, list):
            used: dict[str, int] = {}
            for item in value:
                key = _unique_key(snake_case(_keras_class_name(item)), used)
                visit(item, f"{prefix}{name}/{key}")
        else:
            visit(value, f"{prefix}{name}")
    return out


def _keras_class_name(layer: Any) -> str:
    if is_kind(type(layer), "model") and hasattr(layer, "_plan"):
        return "Functional"
    spec = spec_for_layer(layer)
    return spec.keras_name if spec is not None else type(layer).__name__


def _read_vars(group: Any, where: str) -> list[np.ndarray]:
    keys = list(group.keys())
    expected = [str(i) for i in range(len(keys))]
    if sorted(keys, key=lambda k: (len(k), k)) != expected:
        raise SavingError(f"{where}: expected variables named 0..{len(keys) - 1}, found {keys}.")
    return [np.asarray(group[k]) for k in expected]


def _check_and_copy(
    plan: list[tuple[Any, list[np.ndarray]]], source: str, skip_mismatch: bool = False
) -> None:
    """Check every layer's arrays against its Keras-layout weights, then copy them all."""
    problems = []
    ok: list[tuple[Any, list[np.ndarray]]] = []
    for layer, arrays in plan:
        current = layer.keras_weights()
        shapes = [tuple(a.shape) for a in arrays]
        expected = [tuple(w.shape) for w in current]
        if shapes != expected:
            problems.append(
                f"{layer.describe()} expects weights of shapes {expected} (Keras layout), the "
                f"file has {shapes}"
            )
        else:
            ok.append((layer, arrays))
    if problems and not skip_mismatch:
        raise SavingError(
            f"The weights in {source} do not fit the model: " + "; ".join(problems) + ". "
            "Nothing was loaded."
        )
    if problems:
        warnings.warn(
            "load_weights(skip_mismatch=True): skipped " + "; ".join(problems) + ".",
            stacklevel=4,
        )
    with torch.no_grad():
        for layer, arrays in ok:
            current = layer.keras_weights()
            if not current:
                continue
            tensors = [
                torch.as_tensor(np.asarray(a), dtype=ref.dtype).to(ref.device)
                for a, ref in zip(arrays, current, strict=True)
            ]
            layer.load_keras_weights(tensors)


def _keras3_weight_plan(h5: Any, model: Any, source: str) -> list[tuple[Any, list[np.ndarray]]]:
    """Match a Keras 3 weights file's groups to the model's layers (see :func:`_weight_paths`)."""
    graph = _is_graph_model(model)
    if graph and "layers" not in h5:
        raise SavingError(
            f"{source} has no 'layers' group: it is not a Keras 3 weights file of a Sequential "
            f"or functional model (top-level groups: {sorted(h5.keys())})."
        )
    plan = []
    expected_keys = []
    for layer, path, spec in _weight_paths(model):
        if path.startswith("layers/"):
            expected_keys.append(path.split("/")[1])
        if spec is None:
            continue  # a nested model: its layers follow
        arrays: list[np.ndarray] = []
        if path not in h5:
            if layer.keras_weights():
                top = (
                    h5[path.rsplit("/", 1)[0]]
                    if "/" in path and path.rsplit("/", 1)[0] in h5
                    else h5
                )
                raise SavingError(
                    f"{source} has no weights for {layer.describe()} (looked for "
                    f"'{path}'; found {sorted(top.keys())}). Nothing was loaded."
                )
            continue
        for sub, _ in spec.groups(layer):
            vars_path = f"{path}/{sub}/vars" if sub else f"{path}/vars"
            if vars_path in h5:
                arrays.extend(_read_vars(h5[vars_path], f"{source}: {vars_path}"))
        plan.append((layer, arrays))
    groups = h5.get("layers", {})
    extra = [k for k in groups if k not in expected_keys and _group_has_datasets(groups[k])]
    if extra:
        raise SavingError(
            f"{source} holds weights for layers the model does not have: "
            f"{['layers/' + k for k in extra]} (the model's layers map to "
            f"{['layers/' + k for k in expected_keys]}). Nothing was loaded."
        )
    return plan


def _collect(found: list[str], name: str, obj: Any, h5py: Any) -> None:
    if isinstance(obj, h5py.Dataset):
        found.append(name)


def _group_has_datasets(group: Any) -> bool:
    h5py = require_h5py()
    found = []
    group.visititems(lambda name, obj: _collect(found, name, obj, h5py))
    return bool(found)


def _attr_list(group: Any, name: str) -> list[str]:
    """``load_attributes_from_hdf5_group``: an attribute that may be split in chunks."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values = []
        chunk = 0
        while f"{name}{chunk}" in group.attrs:
            values.extend(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def _attr_text(attrs: Any, name: str) -> str | None:
    value = attrs.get(name)
    if value is None:
        return None
    return value.decode("utf-8") if hasattr(value, "decode") else str(value)


def _legacy_weight_plan(group: Any, model: Any, source: str) -> list[tuple[Any, list[np.ndarray]]]:
    """Keras's topological loading: saved layers with weights, in order, to the model's."""
    saved = []
    for name in _attr_list(group, "layer_names"):
        if name not in group:
            raise SavingError(f"{source}: layer group '{name}' is listed but missing.")
        weight_names = _attr_list(group[name], "weight_names")
        if weight_names:
            try:
                arrays = [np.asarray(group[name][w]) for w in weight_names]
            except KeyError as error:
                raise SavingError(f"{source}: layer '{name}' lacks a weight ({error}).") from None
            saved.append((name, arrays))
    layers = [layer for layer in model.layers if layer.keras_weights()]
    if len(saved) != len(layers):
        raise SavingError(
            f"{source} has weights for {len(saved)} layers {[n for n, _ in saved]} but the model "
            f"has {len(layers)} layers with weights {[layer.name for layer in layers]}. "
            "Nothing was loaded."
        )
    return [(layer, arrays) for layer, (_, arrays) in zip(layers, saved, strict=True)]


def _open_h5(source: Any, path: str) -> Any:
    h5py = require_h5py()
    try:
        return h5py.File(source, "r")
    except OSError as error:
        raise SavingError(
            f"Cannot read {path!r} as HDF5: it is corrupt or truncated ({error})."
        ) from error


def load_weights_h5(model: Any, path: str, skip_mismatch: bool = False) -> None:
    """Load a Keras ``.weights.h5`` (Keras 3 layout) or a legacy ``.h5`` (model or weights)."""
    with _open_h5(path, path) as h5:
        if "layer_names" in h5.attrs or "layer_names0" in h5.attrs:
            plan = _legacy_weight_plan(h5, model, repr(path))
        elif "model_weights" in h5:
            plan = _legacy_weight_plan(h5["model_weights"], model, repr(path))
        else:
            plan = _keras3_weight_plan(h5, model, repr(path))
    _check_and_copy(plan, repr(path), skip_mismatch)


def load_weights_from_keras_archive(
    model: Any, zf: zipfile.ZipFile, path: str, skip_mismatch: bool = False
) -> None:
    data = read_member(zf, "model.weights.h5", path)
    with _open_h5(io.BytesIO(data), path) as h5:
        plan = _keras3_weight_plan(h5, model, repr(path))
    _check_and_copy(plan, repr(path), skip_mismatch)


# -- optimizer variables -----------------------------------------------------------------------


def _slot_groups(optimizer: Any) -> list[list[str]] | None:
    config = optimizer.get_config()
    rule = KERAS_OPTIMIZER_SLOTS.get(type(optimizer).__name__)
    return None if rule is None else rule(config)


KERAS_OPTIMIZER_SLOTS: dict[str, Callable[[dict[str, Any]], list[list[str]]]] = {
    "SGD": lambda c: [["momentum"]] if c["momentum"] else [],
    "Adam": lambda c: [["momentum", "velocity"]] + ([["velocity_hat"]] if c["amsgrad"] else []),
    "AdamW": lambda c: [["momentum", "velocity"]] + ([["velocity_hat"]] if c["amsgrad"] else []),
    "RMSprop": lambda c: (
        [["velocity"]]
        + ([["momentum"]] if c["momentum"] > 0 else [])
        + ([["average_gradient"]] if c["centered"] else [])
    ),
    "Adagrad": lambda c: [["accumulator"]],
    "Adadelta": lambda c: [["accumulated_grad", "accumulated_delta_var"]],
    "Adamax": lambda c: [["momentum", "norm"]],
}
"""Keras optimizer class -> its slot variables, grouped as Keras's ``build`` creates them (one
``add_optimizer_variables`` call per group: for each model variable, each name of the group).
kerastorch's optimizers keep the same slot names in ``optimizer.state[param]``."""


def _slot_fill(optimizer: Any, slot: str) -> float:
    if slot == "accumulator":
        return float(optimizer.get_config().get("initial_accumulator_value", 0.0))
    return 0.0


def _layer_slot_to_keras(layer: Any, values: dict[str, torch.Tensor]) -> list[np.ndarray]:
    """One slot of a layer's parameters (torch layout, by parameter name) in Keras layout, for
    the layer's trainable Keras weights: the slot values go through the layer's own
    ``keras_weights`` mapping on a copy of the layer."""
    twin = copy.deepcopy(layer)
    with torch.no_grad():
        for name, param in twin.named_parameters():
            param.copy_(values[name])
    return [w.detach().cpu().numpy().copy() for w in twin.keras_weights() if w.requires_grad]


def _layer_slot_from_keras(layer: Any, arrays: list[np.ndarray]) -> dict[str, torch.Tensor]:
    twin = copy.deepcopy(layer)
    current = twin.keras_weights()
    trainable = [i for i, w in enumerate(current) if w.requires_grad]
    values = [w.detach().clone() for w in current]
    for i, array in zip(trainable, arrays, strict=True):
        values[i] = torch.as_tensor(np.asarray(array), dtype=values[i].dtype)
    with torch.no_grad():
        twin.load_keras_weights(values)
    return {name: p.detach().clone() for name, p in twin.named_parameters()}


def _trainable_layers(model: Any) -> list[Any]:
    return [layer for layer in model.layers if any(w.requires_grad for w in layer.keras_weights())]


def optimizer_variables_to_keras(model: Any) -> list[np.ndarray] | None:
    """Keras's ``optimizer.variables`` for the compiled model, or None if not expressible."""
    compiled = model.compiled
    optimizer = compiled.optimizer if compiled is not None else None
    if not isinstance(optimizer, optimizers.Optimizer) or not compiled.optimizer_bound:
        return None
    groups = _slot_groups(optimizer)
    if groups is None or len(optimizer.param_groups) != 1:
        return None
    state = optimizer.state
    out = [
        np.asarray(optimizer.iterations, dtype=np.int64),
        np.asarray(optimizer.learning_rate, dtype=np.float32),
    ]
    layers = _trainable_layers(model)
    per_layer: list[dict[str, list[np.ndarray]]] = []
    for layer in layers:
        slots = {}
        for slot in {s for group in groups for s in group}:
            values = {}
            for name, param in layer.named_parameters():
                value = state.get(param, {}).get(slot)
                if value is None:
                    value = torch.full_like(param, _slot_fill(optimizer, slot))
                values[name] = value
            slots[slot] = _layer_slot_to_keras(layer, values)
        per_layer.append(slots)
    for group in groups:
        for slots in per_layer:
            count = len(next(iter(slots.values()))) if slots else 0
            for index in range(count):
                out.extend(slots[slot][index] for slot in group)
    return out


def optimizer_variables_from_keras(model: Any, arrays: list[np.ndarray], source: str) -> None:
    """Restore a Keras optimizer's variables into the model's (bound) kerastorch optimizer."""
    optimizer = model.compiled.optimizer
    groups = _slot_groups(optimizer)
    if groups is None:
        warnings.warn(
            f"{source}: the state of optimizer {type(optimizer).__name__} cannot be read from "
            "a Keras file; training continues from a fresh optimizer state.",
            stacklevel=4,
        )
        return
    layers = _trainable_layers(model)
    counts = [sum(1 for w in layer.keras_weights() if w.requires_grad) for layer in layers]
    total = sum(counts)
    expected = 2 + total * sum(len(g) for g in groups)
    if len(arrays) != expected:
        warnings.warn(
            f"{source}: the saved optimizer has {len(arrays)} variables where kerastorch "
            f"expects {expected}; training continues from a fresh optimizer state.",
            stacklevel=4,
        )
        return
    iterations = int(np.asarray(arrays[0]))
    position = 2
    keras_slots: dict[str, list[np.ndarray]] = {}
    for group in groups:
        for _ in range(total):
            for slot in group:
                keras_slots.setdefault(slot, []).append(arrays[position])
                position += 1
    new_state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}
    start = 0
    for layer, count in zip(layers, counts, strict=True):
        params = dict(layer.named_parameters())
        for slot, values in keras_slots.items():
            torch_values = _layer_slot_from_keras(layer, values[start : start + count])
            for name, value in torch_values.items():
                if params[name].requires_grad:
                    new_state.setdefault(params[name], {})[slot] = value.to(params[name].device)
        start += count
    for param, slots in new_state.items():
        optimizer.state[param] = slots
    for group in optimizer.param_groups:
        group["step"] = iterations


# -- reading models ----------------------------------------------------------------------------


def _keras_compile(
    model: Any,
    config: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None,
    source: str,
) -> None:
    """Compile ``model`` from Keras's ``compile_config`` or legacy ``training_config``."""
    optimizer_entry = config.get("optimizer") or config.get("optimizer_config")
    if not isinstance(optimizer_entry, dict):
        return
    class_name = str(optimizer_entry.get("class_name"))
    optimizer_config = dict(optimizer_entry.get("config") or {})
    for key, inert in (("decay", 0.0), ("jit_compile", None), ("is_legacy_optimizer", None)):
        if key in optimizer_config and (inert is None or optimizer_config[key] == inert):
            del optimizer_config[key]
    try:
        cls = serialization.get_registered_object(class_name, custom_objects)
        if cls is None:
            cls = optimizers.OPTIMIZERS.get(class_name)
        optimizer = cls.from_config(optimizer_config)
        loss = _keras_loss(config.get("loss"), custom_objects)
        metric_list = [_keras_metric(m, custom_objects) for m in _flat(config.get("metrics"))]
        weighted = [_keras_metric(m, custom_objects) for m in _flat(config.get("weighted_metrics"))]
    except (ValueError, TypeError, KeyError, SavingError) as error:
        raise SavingError(
            f"{source}: cannot restore the Keras compile state ({error}). Load with "
            "compile=False and call model.compile(...) yourself."
        ) from error
    if loss is None:
        return
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=metric_list or None,
        weighted_metrics=weighted or None,
    )
    model.compiled.bind_optimizer(model)


def _flat(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):
        raise SavingError("per-output metrics (a dict) do not apply to a Sequential model")
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(_flat(item) if isinstance(item, list) else [item])
        return out
    return [value]


def _keras_object(
    value: Any, registry: Any, custom_objects: Mapping[str, Any] | None, what: str
) -> Any:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise SavingError(f"cannot read the {what} {value!r}")
    class_name = value.get("class_name")
    inner = value.get("config")
    if class_name == "function" or (isinstance(inner, str) and class_name in (None, "function")):
        name = str(value.get("registered_name") or inner)
        obj = serialization.get_registered_object(name, custom_objects)
        if obj is None and isinstance(inner, str):
            obj = serialization.get_registered_object(inner, custom_objects)
        return obj if obj is not None else inner
    cls = serialization.get_registered_object(
        str(value.get("registered_name") or class_name), custom_objects
    )
    if cls is None:
        cls = registry.get(str(class_name))
    config = dict(inner or {})
    if config.get("dtype") in (None, "float32") or policy_name(config.get("dtype")) == "float32":
        config.pop("dtype", None)
    return cls.from_config(config)


def _keras_loss(value: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    if isinstance(value, (list, dict)) and not (isinstance(value, dict) and "class_name" in value):
        raise SavingError("per-output losses do not apply to a Sequential model")
    return _keras_object(value, losses.LOSSES, custom_objects, "loss")


def _keras_metric(value: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    return _keras_object(value, metrics.METRICS, custom_objects, "metric")


def _keras_model_class(class_name: Any, path: str) -> Any:
    """kerastorch's model class for a Keras model class (``Sequential``), found by name."""
    cls = builtin_classes("model").get(str(class_name))
    if cls is None:
        known = ", ".join(sorted(builtin_classes("model")))
        raise SavingError(
            f"{path!r} holds a Keras {class_name} model; kerastorch loads {known} models."
        )
    return cls


def load_keras_archive(
    zf: zipfile.ZipFile,
    config: dict[str, Any],
    path: str,
    custom_objects: Mapping[str, Any] | None,
    compile: bool,
) -> Any:
    """A kerastorch model from a Keras 3 ``.keras`` archive (see NOTE [Keras file layouts])."""
    cls = _keras_model_class(config.get("class_name"), path)
    weights = read_member(zf, "model.weights.h5", path)
    model_config = config.get("config") or {}
    build_shape = (config.get("build_config") or {}).get("input_shape")
    if isinstance(model_config, dict) and model_config.get("build_input_shape") is None:
        model_config = {**model_config, "build_input_shape": build_shape}
    model = cls.from_keras_config(model_config, custom_objects)
    if not model.built:
        raise SavingError(f"{path!r}: the Keras model has no input shape; it cannot be built.")
    with _open_h5(io.BytesIO(weights), path) as h5:
        plan = _keras3_weight_plan(h5, model, repr(path))
        optimizer_arrays = None
        if compile and "optimizer" in h5 and "vars" in h5["optimizer"]:
            optimizer_arrays = _read_vars(h5["optimizer"]["vars"], f"{path}: optimizer/vars")
    _check_and_copy(plan, repr(path))
    compile_config = config.get("compile_config")
    if compile and isinstance(compile_config, dict):
        _keras_compile(model, compile_config, custom_objects, repr(path))
        if model.compiled is not None and optimizer_arrays:
            optimizer_variables_from_keras(model, optimizer_arrays, repr(path))
    return model


def _uses_hard_sigmoid(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_uses_hard_sigmoid(v) for v in value.values())
    if isinstance(value, list):
        return any(_uses_hard_sigmoid(v) for v in value)
    return value == "hard_sigmoid"


def load_legacy_h5(path: str, custom_objects: Mapping[str, Any] | None, compile: bool) -> Any:
    """A kerastorch model from a legacy Keras HDF5 model file."""
    with _open_h5(path, path) as h5:
        text = _attr_text(h5.attrs, "model_config")
        if text is None:
            raise SavingError(
                f"{path!r} is an HDF5 file without a model config (attribute 'model_config'): "
                "if it holds only weights, build the model and call model.load_weights(path)."
            )
        try:
            model_config = json.loads(text)
        except json.JSONDecodeError as error:
            raise SavingError(f"{path!r}: model_config is not valid JSON ({error}).") from error
        cls = _keras_model_class(model_config.get("class_name"), path)
        version = _attr_text(h5.attrs, "keras_version") or "1"
        if version.split(".")[0] in ("1", "2") and _uses_hard_sigmoid(model_config):
            warnings.warn(
                f"{path!r} was written by Keras {version} and uses hard_sigmoid. Like Keras 3, "
                "kerastorch computes hard_sigmoid as x/6 + 0.5 (Keras 2 used 0.2x + 0.5), so "
                "predictions differ from the ones made in Keras 2.",
                stacklevel=3,
            )
        model = cls.from_keras_config(model_config.get("config") or {}, custom_objects)
        if not model.built:
            raise SavingError(f"{path!r}: the Keras model has no input shape; it cannot be built.")
        if "model_weights" not in h5:
            raise SavingError(f"{path!r} has no 'model_weights' group.")
        plan = _legacy_weight_plan(h5["model_weights"], model, repr(path))
        training_text = _attr_text(h5.attrs, "training_config") if compile else None
    _check_and_copy(plan, repr(path))
    if training_text:
        try:
            training_config = json.loads(training_text)
        except json.JSONDecodeError as error:
            raise SavingError(
                f"{path!r}: its training_config (the compile arguments) is not valid JSON "
                f"({error}). Load it with compile=False to skip it, then compile the model."
            ) from None
        _keras_compile(model, training_config, custom_objects, repr(path))
    return model


# -- writing -----------------------------------------------------------------------------------


def _keras_model_entry(model: Any, legacy: bool) -> dict[str, Any]:
    """``{"module"?, "class_name", "config", "registered_name"?, "build_config"?}``: the model as
    Keras writes it (a Sequential or a functional model; NOTE [functional config])."""
    if hasattr(model, "_plan"):
        entry: dict[str, Any] = {
            "class_name": "Functional",
            "config": functional_config(model, keras=True, legacy=legacy),
        }
        if legacy:
            return entry
        return {
            "module": FUNCTIONAL_MODULE,
            **entry,
            "registered_name": "Functional",
            "build_config": {"input_shape": None},
        }
    if type(model).__name__ != "Sequential":
        raise SavingError(
            f"Model '{model.name}' is a subclassed model ({type(model).__name__}): Keras files "
            "hold Sequential and functional models. Save its weights with "
            "model.save_weights('model.weights.h5'), or the whole model with model.save('x.kt') "
            "(with get_config and a registered class)."
        )
    entry = {"class_name": "Sequential", "config": keras_sequential_config(model, legacy)}
    if legacy:
        return entry
    return {
        "module": "keras",
        **entry,
        "registered_name": None,
        "build_config": {"input_shape": list(model.input_batch_shape)},
    }


def _keras_compile_config(model: Any) -> dict[str, Any] | None:
    """Keras's ``compile_config`` for the model, or None (with a warning) if it has none."""
    compiled = model.compiled
    if compiled is None:
        return None
    optimizer = compiled.optimizer
    if not isinstance(optimizer, optimizers.Optimizer) or type(optimizer).__name__ not in (
        optimizers.OPTIMIZERS
    ):
        warnings.warn(
            f"The optimizer {type(optimizer).__name__} has no Keras equivalent: the Keras file "
            "is written without the compile state.",
            stacklevel=4,
        )
        return None
    try:
        loss = _keras_loss_entry(compiled.loss)
        metric_list = [_keras_metric_entry(m) for m in compiled.metric_specs]
        weighted = [_keras_metric_entry(m) for m in compiled.weighted_metric_specs]
    except SavingError as error:
        warnings.warn(f"{error} The Keras file is written without the compile state.", stacklevel=4)
        return None
    return {
        "optimizer": {
            "module": "keras.optimizers",
            "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(),
            "registered_name": None,
        },
        "loss": loss,
        "loss_weights": None,
        "metrics": metric_list or None,
        "weighted_metrics": weighted or None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def _keras_loss_entry(loss: Any) -> Any:
    cls = type(loss)
    if (
        loss.name in losses.LOSSES
        and losses.LOSSES.get(loss.name) is cls
        and loss.get_config() == cls(name=loss.name).get_config()
    ):
        return loss.name
    if cls.__name__ in losses.LOSSES and losses.LOSSES.get(cls.__name__) is cls:
        return {
            "module": "keras.losses",
            "class_name": cls.__name__,
            "config": serialization.encode_value(loss.get_config(), "loss"),
            "registered_name": None,
        }
    raise SavingError(f"The loss {loss!r} has no Keras equivalent.")


def _keras_metric_entry(spec: Any) -> Any:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, metrics.Metric) and type(spec).__name__ in metrics.METRICS:
        return {
            "module": "keras.metrics",
            "class_name": type(spec).__name__,
            "config": serialization.encode_value(spec.get_config(), "metric"),
            "registered_name": None,
        }
    raise SavingError(f"The metric {spec!r} has no Keras equivalent.")


def _weights_h5_bytes(model: Any, include_optimizer: bool) -> bytes:
    """Keras 3's weights file for the model (see NOTE [Keras file layouts])."""
    h5py = require_h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.create_group("vars").attrs["name"] = model.name
        for layer, path, spec in _weight_paths(model):
            group = h5.require_group(path)
            group.create_group("vars").attrs["name"] = layer.name
            if spec is None:
                continue  # a nested model: its layers follow
            weights = layer.get_weights()
            groups = spec.groups(layer) if weights else []
            start = 0
            for i, (sub, count) in enumerate(groups):
                last = i == len(groups) - 1
                part = weights[start:] if last else weights[start : start + count]
                start += count
                target = group["vars"] if not sub else group.require_group(sub).create_group("vars")
                if sub:
                    target.attrs["name"] = f"{snake_case(spec.keras_name)}_{sub}"
                for j, value in enumerate(part):
                    target.create_dataset(str(j), data=value)
        if include_optimizer and model.compiled is not None:
            variables = optimizer_variables_to_keras(model)
            if variables is not None:
                group = h5.create_group("optimizer").create_group("vars")
                group.attrs["name"] = model.compiled.optimizer.name
                for j, value in enumerate(variables):
                    if j == 0:
                        value = np.asarray(value, dtype=np.int64)
                    group.create_dataset(str(j), data=value)
    return buffer.getvalue()


def save_keras_archive(
    model: Any, path: str, overwrite: bool = True, include_optimizer: bool = True
) -> None:
    """Write a Keras 3 ``.keras`` archive that ``keras.models.load_model`` reads."""
    require_h5py()
    model.check_built("be saved")
    config = {
        **_keras_model_entry(model, legacy=False),
        "compile_config": _keras_compile_config(model) if include_optimizer else None,
    }
    metadata = {
        "keras_version": KERAS_TARGET_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "saved_by": f"kerastorch {__version__}",
    }
    weights = _weights_h5_bytes(model, include_optimizer and config["compile_config"] is not None)
    with atomic_write(path, overwrite=overwrite) as f, zipfile.ZipFile(f, "w") as zf:
        zf.writestr("metadata.json", json.dumps(metadata))
        zf.writestr("config.json", json.dumps(config, allow_nan=False))
        zf.writestr("model.weights.h5", weights)


def save_weights_h5(model: Any, path: str, overwrite: bool = True) -> None:
    """Write Keras 3's ``.weights.h5`` (with the optimizer's variables when compiled and
    trained, as Keras does), readable by ``keras_model.load_weights``."""
    model.check_built("save its weights")
    for layer in model.layers:
        if is_kind(type(layer), "model"):
            continue  # a nested model: its layers are written one by one
        if spec_for_layer(layer) is None and layer.keras_weights():
            warnings.warn(
                f"{layer.describe()} has no Keras equivalent; its weights are written under "
                f"'layers/{snake_case(type(layer).__name__)}' in get_weights() order.",
                stacklevel=3,
            )
    atomic_write_bytes(path, _weights_h5_bytes(model, include_optimizer=True), overwrite)


def save_legacy_h5(
    model: Any, path: str, overwrite: bool = True, include_optimizer: bool = True
) -> None:
    """Write a legacy Keras HDF5 model (architecture, weights, compile arguments)."""
    h5py = require_h5py()
    model.check_built("be saved")
    model_config = _keras_model_entry(model, legacy=True)
    ops = [op.name for op in getattr(model, "operations", []) if not is_kind(type(op), "layer")]
    if ops:
        warnings.warn(
            f"Model '{model.name}' has ops between its layers ({', '.join(ops)}); the .h5 file "
            "records them as Keras 3 does, and Keras 3 cannot load them back from .h5 (kerastorch "
            "can). Save as 'model.keras' for Keras.",
            stacklevel=3,
        )
    compile_config = _keras_compile_config(model) if include_optimizer else None
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["backend"] = "torch"
        h5.attrs["keras_version"] = KERAS_TARGET_VERSION
        h5.attrs["model_config"] = json.dumps(model_config, allow_nan=False)
        if compile_config is not None:
            training = {
                key: compile_config[key]
                for key in ("loss", "loss_weights", "metrics", "weighted_metrics")
            }
            optimizer = compile_config["optimizer"]
            training["optimizer_config"] = {
                "class_name": optimizer["class_name"],
                "config": optimizer["config"],
            }
            h5.attrs["training_config"] = json.dumps(training, allow_nan=False)
        group = h5.create_group("model_weights")
        group.attrs["backend"] = "torch"
        group.attrs["keras_version"] = KERAS_TARGET_VERSION
        group.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model.layers]
        for layer in sorted(model.layers, key=lambda item: item.name):
            spec = spec_for_layer(layer)
            layer_group = group.create_group(layer.name)
            weights = layer.get_weights()
            names = list(spec.weight_names) if spec and spec.weight_names else []
            if len(names) != len(weights):
                names = layer.keras_weight_names()
            if len(names) != len(weights):
                names = [f"weight_{i}" for i in range(len(weights))]
            paths = [f"{model.name}/{layer.name}/{name}" for name in names]
            layer_group.attrs["weight_names"] = [p.encode("utf8") for p in paths]
            for name, value in zip(paths, weights, strict=True):
                layer_group.create_dataset(name, data=value)
        top = group.create_group("top_level_model_weights")
        top.attrs["weight_names"] = np.array([], dtype="S1")
    atomic_write_bytes(path, buffer.getvalue(), overwrite=overwrite)
