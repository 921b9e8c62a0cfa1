"""Saving and loading models: kerastorch's ``.kt`` archive, Keras's ``.keras`` / ``.h5`` files.

Keras's names: ``kerastorch.saving.load_model``, ``save_model``, ``register_keras_serializable``,
``get_registered_name``, ``get_registered_object``, ``get_custom_objects``,
``custom_object_scope``. See NOTE [native format] in ``native.py``, NOTE [Keras file layouts] in
``keras_files.py``, NOTE [Keras layer table] in ``keras_layers.py`` and NOTE [safe
deserialization] in ``object_registration.py``.

Levels: ``object_registration.py`` (names -> classes), ``serialization.py`` (configs <-> objects)
and ``keras_layers.py`` (Keras's layer configs) import nothing above the math modules, so layers
and models use them; the file formats (``native.py``, ``keras_files.py``, ``archives.py``,
``atomic.py``) are on top and never import a layer or a model.

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
from kerastorch.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_custom_object,
    register_keras_serializable,
)
from kerastorch.saving.serialization import SavingError

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
