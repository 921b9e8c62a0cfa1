"""Which classes and functions a saved name may stand for: the one place loading looks names up.

This module imports nothing else from kerastorch (but ``errors``), so any layer or model module
can use it. Saving code finds classes here by name and calls their ``from_config``; it never
imports the layers or models it loads.

NOTE [safe deserialization]
    A saved config names classes by string (``"LSTM"``, ``"my_package>Scale"``). Loading turns a
    name into a class only by looking it up in tables of objects this process already has:

    1. the ``custom_objects`` passed to the loading function,
    2. the objects of any active :class:`CustomObjectScope`,
    3. the objects registered with :func:`register_keras_serializable`,
    4. kerastorch's own classes of the kind being loaded (layers, models), which their packages
       register with :func:`register_builtin_classes`; losses, metrics and optimizers have their
       own name tables (``kerastorch.registry``).

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "CustomObjectScope",
    "builtin_classes",
    "custom_object_scope",
    "disable_safe_mode_globally",
    "find_class",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "in_safe_mode",
    "is_kind",
    "is_registered",
    "register_builtin_classes",
    "register_custom_object",
    "register_keras_serializable",
    "safe_mode_scope",
]

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[int, str] = {}
_SCOPE_OBJECTS: contextvars.ContextVar[tuple[dict[str, Any], ...]] = contextvars.ContextVar(
    "kerastorch_custom_object_scopes", default=()
)
_SAFE_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kerastorch_safe_mode", default=True
)
# kerastorch.config.enable_unsafe_deserialization(): every load of the process is unsafe, as
# Keras's global switch overrides a load's safe_mode=True.
_UNSAFE_EVERYWHERE = False
# kind ("layer", "model") -> class name -> kerastorch's own class; kind -> the common base class.
_BUILTIN_CLASSES: dict[str, dict[str, type]] = {}
_KIND_BASES: dict[str, type] = {}


# -- the user's objects ------------------------------------------------------------------------


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[Any], Any]:
    """Register a class or function so that saved models can refer to it by name.

    The object is registered as ``"package>name"`` (``name`` defaults to ``__name__``), as in
    Keras, and is also found by its bare name. Use it on custom layers (``Layer`` subclasses with
    a ``get_config``), models, losses, metrics, activations and initializers.

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


def is_registered(obj: Any) -> bool:
    """Whether ``obj`` was registered with :func:`register_keras_serializable`.

    Example:
        >>> is_registered(len)
        False
    """
    key = _GLOBAL_CUSTOM_NAMES.get(id(obj))
    return key is not None and _GLOBAL_CUSTOM_OBJECTS.get(key) is obj


def get_registered_name(obj: Any) -> str:
    """``"package>name"`` for a registered object, else its ``__name__`` (as Keras does).

    Example:
        >>> get_registered_name(len)
        'len'
    """
    if is_registered(obj):
        return _GLOBAL_CUSTOM_NAMES[id(obj)]
    return getattr(obj, "__name__", type(obj).__name__)


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


# -- kerastorch's own classes ------------------------------------------------------------------


def register_builtin_classes(kind: str, base: type, classes: Iterable[Any]) -> None:
    """Make kerastorch's own classes of one kind (``"layer"``, ``"model"``) loadable by class
    name; ``base`` is the class every class of that kind derives from.

    ``kerastorch/layers/__init__.py`` registers every ``Layer`` in ``kerastorch.layers.__all__``
    and each model module its model classes, so saving code finds them without importing them.
    Objects of ``classes`` that are not subclasses of ``base`` (functions, ``base`` itself) are
    skipped.

    Example:
        >>> sorted(builtin_classes("model"))
        ['Functional', 'Sequential']
    """
    known = _KIND_BASES.setdefault(kind, base)
    if known is not base:
        raise ValueError(
            f"register_builtin_classes: the kind {kind!r} already has the base class "
            f"{known.__name__}, received base={base.__name__}."
        )
    table = _BUILTIN_CLASSES.setdefault(kind, {})
    for cls in classes:
        if inspect.isclass(cls) and issubclass(cls, base) and cls is not base:
            table[cls.__name__] = cls


def builtin_classes(kind: str) -> dict[str, type]:
    """kerastorch's own classes of ``kind`` by class name (a copy).

    Example:
        >>> builtin_classes("layer")["LSTM"].__name__
        'LSTM'
    """
    return dict(_BUILTIN_CLASSES.get(kind, {}))


def is_kind(obj: Any, kind: str) -> bool:
    """Whether ``obj`` is a class of ``kind``: a subclass of the kind's base class.

    Example:
        >>> from kerastorch.layers import Dense
        >>> is_kind(Dense, "layer"), is_kind(Dense, "model")
        (True, False)
    """
    base = _KIND_BASES.get(kind)
    return inspect.isclass(obj) and base is not None and issubclass(obj, base)


def find_class(
    kind: str,
    class_name: str,
    registered_name: str | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """What a saved entry's names stand for, or None: the object registered (or passed in
    ``custom_objects``) under ``registered_name``, else under ``class_name``, else kerastorch's
    own class of ``kind`` named ``class_name`` (see NOTE [safe deserialization]).

    Example:
        >>> find_class("layer", "Dense").__name__
        'Dense'
    """
    found = None
    if isinstance(registered_name, str):
        found = get_registered_object(registered_name, custom_objects)
    if found is None:
        found = get_registered_object(class_name, custom_objects)
    if found is None:
        found = _BUILTIN_CLASSES.get(kind, {}).get(class_name)
    return found


# -- safe mode ---------------------------------------------------------------------------------


def in_safe_mode() -> bool:
    """Whether the running load refuses code-carrying configs (see NOTE [safe deserialization]).

    Example:
        >>> in_safe_mode()
        True
    """
    return _SAFE_MODE.get() and not _UNSAFE_EVERYWHERE


def disable_safe_mode_globally() -> None:
    """Make every later load unsafe (``kerastorch.config.enable_unsafe_deserialization``)."""
    global _UNSAFE_EVERYWHERE
    _UNSAFE_EVERYWHERE = True


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool) -> Iterator[None]:
    """Set the safe mode of the loads run inside the ``with`` block.

    Example:
        >>> with safe_mode_scope(False):
        ...     in_safe_mode()
        False
    """
    token = _SAFE_MODE.set(bool(safe_mode))
    try:
        yield
    finally:
        _SAFE_MODE.reset(token)
