"""Saving and loading models: kerastorch's ``.kt`` archive, Keras's ``.keras`` / ``.h5`` files.

Keras's names: ``kerastorch.saving.load_model``, ``save_model``, ``register_keras_serializable``,
``get_registered_name``, ``get_registered_object``, ``get_custom_objects``,
``custom_object_scope``. See NOTE [native format] in ``native.py``, NOTE [Keras file layouts] in
``keras_files.py`` and NOTE [safe deserialization] in ``serialization.py``.

Example:
    >>> import os, tempfile
    >>> import kerastorch
    >>> from kerastorch import layers
    >>> model = kerastorch.Sequential([layers.Input((4,)), layers.Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.kt")
    >>> model.save(path)
    >>> kerastorch.saving.load_model(path).count_params()
    5
"""

from kerastorch.saving.native import (
    load_model,
    load_weights,
    model_from_json,
    save_model,
    save_weights,
)
from kerastorch.saving.serialization import (
    CustomObjectScope,
    SavingError,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_custom_object,
    register_keras_serializable,
)

__all__ = [
    "CustomObjectScope",
    "SavingError",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "model_from_json",
    "register_custom_object",
    "register_keras_serializable",
    "save_model",
    "save_weights",
]
