"""kerastorch's own model file (``.kt``), weights file (``.weights.pt``) and JSON architecture.

NOTE [native format]
    ``model.save("model.kt")`` writes one zip archive (members stored uncompressed):

    * ``config.json`` — ``{"format": "kerastorch", "format_version": 1, "kerastorch_version",
      "torch_version", "model": {"class_name", "config", "input_batch_shape"},
      "compile_config": {...} | null, "members": {...}}``. ``model.config`` is
      ``Sequential.get_config()`` with each layer as ``{"class_name", "config",
      "build_input_shape", "registered_name"?}``; ``compile_config`` holds the optimizer
      (``{"module", "class_name", "config"}``), the loss and the metrics as names or
      ``{"class_name", "config"}`` (custom functions as ``{"function": name}``).
    * ``model.weights.pt`` — ``torch.save(model.state_dict())``: the keys are the model's
      ``state_dict`` keys (``lstm.lstm.weight_ih_l0``...), in torch's layout.
    * ``optimizer.pt`` (when compiled and trained) — ``torch.save(optimizer.state_dict())``:
      slots (Adam's ``momentum``/``velocity``...), step counts and per-group hyper-parameters,
      so ``fit`` resumes exactly where it stopped.

    A layer's non-tensor state (a lookup layer's vocabulary) is torch's "extra state"
    (``get_extra_state``): a ``<layer>._extra_state`` entry of plain lists, strings and numbers in
    the same ``state_dict``, which ``torch.load(weights_only=True)`` reads safely.

    Loading reads and checks every member first, builds the model from the config and its build
    shape, loads the weights strictly (``torch.load(weights_only=True)``; every key and shape is
    checked before any tensor is copied), then compiles and restores the optimizer state. No code
    is read from the file (see NOTE [safe deserialization]); every save is atomic (see NOTE
    [atomic saves]).

    ``model.save_weights("w.weights.pt")`` writes ``torch.save({"format": "kerastorch.weights",
    "format_version": 1, "kerastorch_version", "state_dict": ...})``; ``load_weights`` also
    accepts a plain ``torch.save(model.state_dict())`` file.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

import torch

from kerastorch.errors import torch_load_failure
from kerastorch.saving import keras_files, serialization
from kerastorch.saving.archives import (
    CONFIG_MEMBER,
    allocation_limit,
    check_path,
    foreign_file_error,
    open_zip,
    read_archive_config,
    read_member,
    sniff,
)
from kerastorch.saving.atomic import atomic_write, atomic_write_bytes
from kerastorch.saving.serialization import SavingError
from kerastorch.version import __version__

__all__ = [
    "FORMAT_VERSION",
    "load_model",
    "load_weights",
    "model_from_json",
    "save_model",
    "save_weights",
    "to_json",
]

FORMAT_NAME = "kerastorch"
FORMAT_VERSION = 1
WEIGHTS_FORMAT_NAME = "kerastorch.weights"
WEIGHTS_MEMBER = "model.weights.pt"
OPTIMIZER_MEMBER = "optimizer.pt"
NATIVE_SUFFIXES = (".kt",)
KERAS_SUFFIXES = (".keras",)
LEGACY_H5_SUFFIXES = (".h5", ".hdf5")


# -- helpers -----------------------------------------------------------------------------------


def _torch_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _torch_load(data: bytes, what: str) -> Any:
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # a corrupt or foreign payload: say which part of which file
        raise SavingError(
            f"Cannot read {what}: it is corrupt, truncated or not a kerastorch weights payload "
            f"({torch_load_failure(error)})."
        ) from None  # torch's message advises weights_only=False: never for such a file


def _zip_kind(zf: zipfile.ZipFile, config: dict[str, Any] | None, path: str) -> str:
    names = zf.namelist()
    if config is not None and config.get("format") == FORMAT_NAME:
        return "native"
    if config is not None and ("model.weights.h5" in names or "class_name" in config):
        return "keras"
    if any(name.endswith("data.pkl") for name in names):
        raise SavingError(
            f"{path!r} is a torch.save() file, not a model archive. Load weights into a model "
            "with model.load_weights(path), or a full model saved with model.save('x.kt')."
        )
    raise SavingError(
        f"{path!r} is a zip archive but not a kerastorch or Keras model: it has no config.json "
        f"naming its format (members: {sorted(names)[:10]})."
    )


def _layer_of_key(model: Any, key: str) -> str:
    first = key.split(".", 1)[0]
    for layer in model.layers:
        if layer.name == first:
            return layer.describe()
    return f"'{first}'"


def is_extra_state(key: str) -> bool:
    """Whether a ``state_dict`` key holds a module's extra state (not a tensor: see NOTE [native
    format])."""
    return key.rsplit(".", 1)[-1] == "_extra_state"


def check_state_dict(model: Any, state: Any, source: str) -> None:
    """Raise a :class:`SavingError` listing every key and shape that differs; copy nothing."""
    if not isinstance(state, Mapping):
        raise SavingError(f"{source} holds {type(state).__name__}, not a state_dict.")
    expected = model.state_dict()
    problems = []
    for key, value in state.items():
        if not torch.is_tensor(value) and not is_extra_state(key):
            problems.append(f"{key} is a {type(value).__name__}, not a tensor")
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    for key, ref in expected.items():
        value = state.get(key)
        if torch.is_tensor(value) and tuple(value.shape) != tuple(ref.shape):
            problems.append(
                f"{_layer_of_key(model, key)}: {key} has shape {tuple(value.shape)} in the file "
                f"but {tuple(ref.shape)} in the model"
            )
    if missing:
        problems.append(
            "missing from the file: "
            + ", ".join(f"{k} ({_layer_of_key(model, k)})" for k in missing)
        )
    if unexpected:
        problems.append("in the file but not in the model: " + ", ".join(unexpected))
    if problems:
        layers = ", ".join(layer.describe() for layer in model.layers)
        raise SavingError(
            f"The weights in {source} do not fit model '{model.name}' (layers: {layers}). "
            + "; ".join(problems)
            + ". Nothing was loaded."
        )


def check_optimizer_state(model: Any, optimizer: Any, state: Any, source: str) -> None:
    """Check a saved optimizer ``state_dict`` against the built optimizer before loading it."""
    if not isinstance(state, Mapping) or "param_groups" not in state or "state" not in state:
        raise SavingError(f"{source} is not an optimizer state_dict.")
    groups, saved_groups = optimizer.param_groups, state["param_groups"]
    if len(groups) != len(saved_groups):
        raise SavingError(
            f"{source} has {len(saved_groups)} parameter groups but the optimizer has "
            f"{len(groups)}."
        )
    names = {id(p): n for n, p in model.named_parameters()}
    index_to_param: dict[int, torch.Tensor] = {}
    for group, saved in zip(groups, saved_groups, strict=True):
        if len(group["params"]) != len(saved["params"]):
            raise SavingError(
                f"{source} holds state for {len(saved['params'])} parameters but the model "
                f"trains {len(group['params'])}: were layers frozen or unfrozen after the save?"
            )
        index_to_param.update(zip(saved["params"], group["params"], strict=True))
    for index, slots in state["state"].items():
        param = index_to_param.get(index)
        if param is None:
            raise SavingError(f"{source} holds state for an unknown parameter index {index}.")
        for slot, value in slots.items():
            if torch.is_tensor(value) and value.dim() > 0 and value.shape != param.shape:
                raise SavingError(
                    f"{source}: the optimizer's '{slot}' for {names.get(id(param), index)} has "
                    f"shape {tuple(value.shape)} but the parameter has {tuple(param.shape)}."
                )


# -- models ------------------------------------------------------------------------------------


def save_model(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    include_optimizer: bool = True,
) -> None:
    """Save a model: architecture, weights and compile state, in one file.

    The format follows the file name: ``.kt`` is kerastorch's own archive (see NOTE [native
    format]; ``fit`` resumes exactly after loading it), ``.keras`` a Keras 3 archive and ``.h5``
    a legacy Keras HDF5 model, both loadable by Keras (``keras.models.load_model``). The write
    is atomic: an interrupted save leaves any previous file intact.

    Args:
        model: A built model.
        filepath: Where to save; ends in ``.kt``, ``.keras`` or ``.h5``.
        overwrite: Whether to replace an existing file.
        include_optimizer: Whether to save the compile state (optimizer, loss, metrics) and the
            optimizer's state.

    Example:
        >>> import os, tempfile
        >>> from kerastorch import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.kt")
        >>> save_model(model, path)
        >>> load_model(path).get_weights()[0].shape
        (3, 2)
    """
    path = os.fspath(filepath)
    lower = path.lower()
    if lower.endswith(".weights.h5") or lower.endswith(".weights.pt"):
        raise SavingError(
            f"{path!r} names a weights file; use model.save_weights(path) for weights, or a "
            "'.kt' / '.keras' / '.h5' name for the whole model."
        )
    if lower.endswith(KERAS_SUFFIXES) or lower.endswith(LEGACY_H5_SUFFIXES):
        if lower.endswith(KERAS_SUFFIXES):
            keras_files.save_keras_archive(model, path, overwrite, include_optimizer)
        else:
            keras_files.save_legacy_h5(model, path, overwrite, include_optimizer)
        return
    if not lower.endswith(NATIVE_SUFFIXES):
        raise SavingError(
            f"Cannot tell the format from the file name {path!r}: use 'model.kt' (kerastorch's "
            "format, exact training resumption), 'model.keras' (Keras 3 format) or 'model.h5' "
            "(legacy Keras HDF5)."
        )
    model.check_built("be saved")
    members: dict[str, bytes] = {}
    compile_config = None
    compiled = getattr(model, "compiled", None)
    if include_optimizer and compiled is not None:
        compile_config = serialization.serialize_compile_config(compiled)
        if compiled.optimizer_bound:
            members[OPTIMIZER_MEMBER] = _torch_bytes(compiled.optimizer.state_dict())
    members[WEIGHTS_MEMBER] = _torch_bytes(model.state_dict())
    config = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kerastorch_version": __version__,
        "torch_version": torch.__version__,
        "model": serialization.serialize_model(model),
        "compile_config": compile_config,
        "members": {
            "weights": WEIGHTS_MEMBER,
            "optimizer": OPTIMIZER_MEMBER if OPTIMIZER_MEMBER in members else None,
        },
    }
    text = json.dumps(config, indent=1, allow_nan=False)
    with atomic_write(path, overwrite=overwrite) as f, zipfile.ZipFile(f, "w") as zf:
        zf.writestr(CONFIG_MEMBER, text)
        for name, data in members.items():
            zf.writestr(name, data)


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Load a model saved by kerastorch (``.kt``, ``.keras``, ``.h5``) or by Keras 3
    (``.keras``, legacy ``.h5``), whatever the file's name: the content decides.

    Args:
        filepath: The file.
        custom_objects: Your classes and functions by name (custom layers, losses, metrics...).
        compile: Whether to restore the compile state (optimizer and its state, loss, metrics).
        safe_mode: Refuse layers whose config carries code (see NOTE [safe deserialization]).

    Returns:
        The model, built, with its weights (and compiled, if it was and ``compile=True``).

    Raises:
        SavingError: for a corrupt, truncated or foreign file, a newer format version, an unknown
            layer class, or weights that do not fit the architecture, naming what differs.

    Example:
        >>> import os, tempfile
        >>> from kerastorch import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.kt")
        >>> model.save(path)
        >>> load_model(path).layers[0].units
        2
    """
    path = check_path(filepath)
    kind = sniff(path)
    # The scope makes custom_objects visible to nested from_config calls (a wrapper's layer).
    with (
        serialization.safe_mode_scope(safe_mode),
        serialization.custom_object_scope(custom_objects or {}),
    ):
        if kind == "hdf5":
            return keras_files.load_legacy_h5(path, custom_objects, compile)
        if kind != "zip":
            raise foreign_file_error(path)
        with open_zip(path) as zf:
            config = read_archive_config(zf, path)
            if _zip_kind(zf, config, path) == "keras":
                return keras_files.load_keras_archive(zf, config, path, custom_objects, compile)
            return _load_native(zf, config, path, custom_objects, compile)


def _check_format_version(config: Mapping[str, Any], path: str) -> None:
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SavingError(f"{path!r}: config.json has no valid format_version ({version!r}).")
    if version > FORMAT_VERSION:
        raise SavingError(
            f"{path!r} was written by kerastorch {config.get('kerastorch_version', '?')} in file "
            f"format version {version}; this kerastorch ({__version__}) reads versions up to "
            f"{FORMAT_VERSION}. Upgrade kerastorch to load it."
        )


def _load_native(
    zf: zipfile.ZipFile,
    config: dict[str, Any],
    path: str,
    custom_objects: Mapping[str, Any] | None,
    compile: bool,
) -> Any:
    # 1. Read and parse every member before creating anything.
    _check_format_version(config, path)
    if not isinstance(config.get("model"), dict):
        raise SavingError(f"{path!r}: config.json has no 'model' entry.")
    members = config.get("members") or {}
    weights = _torch_load(
        read_member(zf, members.get("weights") or WEIGHTS_MEMBER, path),
        f"the weights in {path!r}",
    )
    compile_config = config.get("compile_config") if compile else None
    optimizer_state = None
    if compile_config is not None and members.get("optimizer"):
        optimizer_state = _torch_load(
            read_member(zf, members["optimizer"], path), f"the optimizer state in {path!r}"
        )
    # 2. Build the model from its config and build shape (no tensor bigger than the weights).
    with allocation_limit(weights, path):
        model = serialization.deserialize_model(config["model"], custom_objects)
    if not model.built:
        raise SavingError(
            f"{path!r}: the saved model has no build shape, so its weights cannot be placed."
        )
    # 3. Weights, checked then loaded strictly.
    check_state_dict(model, weights, repr(path))
    model.load_state_dict(weights, strict=True)
    # 4. Compile state and optimizer state.
    if compile_config is not None:
        serialization.deserialize_compile_config(model, compile_config, custom_objects)
        if optimizer_state is not None:
            optimizer = model.compiled.optimizer
            check_optimizer_state(model, optimizer, optimizer_state, f"{path!r}")
            optimizer.load_state_dict(optimizer_state)
    return model


# -- weights -----------------------------------------------------------------------------------


def save_weights(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Save only the weights: ``.weights.pt`` (kerastorch, torch layout) or ``.weights.h5``
    (Keras 3's weights file, which ``keras_model.load_weights`` reads). Atomic.

    Example:
        >>> import os, tempfile
        >>> from kerastorch import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.pt")
        >>> save_weights(model, path)
        >>> load_weights(model, path)
    """
    path = os.fspath(filepath)
    lower = path.lower()
    if lower.endswith(".weights.h5"):
        keras_files.save_weights_h5(model, path, overwrite)
        return
    if not lower.endswith(".weights.pt"):
        raise SavingError(
            f"save_weights: the file name must end in '.weights.pt' (kerastorch) or "
            f"'.weights.h5' (Keras 3), received {path!r}."
        )
    model.check_built("save its weights")
    payload = {
        "format": WEIGHTS_FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kerastorch_version": __version__,
        "state_dict": model.state_dict(),
    }
    atomic_write_bytes(path, _torch_bytes(payload), overwrite=overwrite)


def _filter_mismatched(model: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    """Drop every layer whose saved weights do not fit, with a warning naming it."""
    expected = model.state_dict()
    bad_layers = set()
    for key, ref in expected.items():
        value = state.get(key)
        if is_extra_state(key):
            continue
        if not torch.is_tensor(value) or tuple(value.shape) != tuple(ref.shape):
            bad_layers.add(key.split(".", 1)[0])
    for key in state:
        if key not in expected:
            bad_layers.add(key.split(".", 1)[0])
    if bad_layers:
        warnings.warn(
            f"load_weights(skip_mismatch=True): skipped layers {sorted(bad_layers)}, whose "
            "saved weights do not fit the model.",
            stacklevel=4,
        )
    return {
        k: v for k, v in state.items() if k in expected and k.split(".", 1)[0] not in bad_layers
    }


def load_weights(model: Any, filepath: str | os.PathLike[str], skip_mismatch: bool = False) -> None:
    """Load weights into a built model from a ``.weights.pt``, ``.weights.h5`` (Keras 3 or
    legacy), ``.kt`` or ``.keras`` file, whatever its name: the content decides.

    Every weight is checked (layer, name, shape) before any is copied, so a failed load leaves
    the model as it was.

    Args:
        model: The model to load into; it must be built.
        filepath: The file.
        skip_mismatch: Skip (with a warning) the layers whose weights do not fit, instead of
            raising.

    Example:
        >>> import os, tempfile
        >>> from kerastorch import Sequential, layers
        >>> a = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> b = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "a.weights.pt")
        >>> a.save_weights(path)
        >>> b.load_weights(path)
        >>> bool((a.get_weights()[0] == b.get_weights()[0]).all())
        True
    """
    path = check_path(filepath)
    model.check_built("load weights")
    kind = sniff(path)
    if kind == "hdf5":
        keras_files.load_weights_h5(model, path, skip_mismatch=skip_mismatch)
        return
    if kind != "zip":
        raise foreign_file_error(path, "a weights file")
    with open_zip(path) as zf:
        config = read_archive_config(zf, path)
        if config is not None:
            kind = _zip_kind(zf, config, path)
            if kind == "keras":
                keras_files.load_weights_from_keras_archive(
                    model, zf, path, skip_mismatch=skip_mismatch
                )
                return
            _check_format_version(config, path)
            members = config.get("members") or {}
            data = read_member(zf, members.get("weights") or WEIGHTS_MEMBER, path)
            payload = _torch_load(data, f"the weights in {path!r}")
        else:
            payload = None
    if payload is None:
        with open(path, "rb") as f:
            payload = _torch_load(f.read(), repr(path))
    if isinstance(payload, Mapping) and payload.get("format") == WEIGHTS_FORMAT_NAME:
        _check_format_version(payload, path)
        state = payload.get("state_dict")
    else:
        state = payload
    if skip_mismatch and isinstance(state, Mapping):
        state = _filter_mismatched(model, state)
        model.load_state_dict(state, strict=False)
        return
    check_state_dict(model, state, repr(path))
    model.load_state_dict(state, strict=True)


# -- JSON --------------------------------------------------------------------------------------


def to_json(model: Any, **kwargs: Any) -> str:
    """The architecture as a JSON string (no weights): class, layers' configs, build shape.

    ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``).

    Example:
        >>> from kerastorch import Sequential, layers
        >>> text = to_json(Sequential([layers.Input((3,)), layers.Dense(2)]))
        >>> model_from_json(text).output_shape
        (None, 2)
    """
    data = serialization.serialize_model(model)
    data["kerastorch_version"] = __version__
    return json.dumps(data, **kwargs)


def model_from_json(json_string: str, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a model (new weights) from :func:`to_json`'s output, or from Keras's
    ``model.to_json()`` for the layers kerastorch supports.

    Example:
        >>> from kerastorch import Sequential, layers
        >>> model = Sequential([layers.Input((None, 4)), layers.LSTM(3)])
        >>> model_from_json(model.to_json()).layers[0].units
        3
    """
    try:
        data = json.loads(json_string)
    except json.JSONDecodeError as error:
        raise SavingError(f"model_from_json: the string is not valid JSON ({error}).") from error
    if not isinstance(data, dict):
        raise SavingError("model_from_json: expected a JSON object describing a model.")
    return serialization.deserialize_model(data, custom_objects)
