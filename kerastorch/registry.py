"""Name -> object tables for the names users write ("adam", "mse", "accuracy", "relu", ...).

Each family that users name by string owns one :class:`Registry`: activations, initializers,
regularizers, constraints, losses, metrics, optimizers and learning-rate schedules. Lookups are
case-insensitive and an unknown name gets a "did you mean" error listing the valid names.
Classes a saved file names (layers, models) are found by their exact class name instead, in
``kerastorch.saving.object_registration`` (NOTE [safe deserialization]).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from kerastorch.errors import unknown_name_error

T = TypeVar("T")


class Registry(Generic[T]):
    """A case-insensitive table from names to objects of one family.

    Example:
        >>> activations = Registry("activation")
        >>> activations.add("relu", abs)  # returns the object: usable as a decorator
        <built-in function abs>
        >>> activations.get("ReLU") is abs
        True
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._table: dict[str, T] = {}

    def add(self, name: str, obj: T, *aliases: str) -> T:
        for key in (name, *aliases):
            self._table[key.lower()] = obj
        return obj

    def register(self, *names: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`; with no names the object's ``__name__`` is used."""

        def decorator(obj: T) -> T:
            first, *aliases = names or (obj.__name__,)  # type: ignore[attr-defined]
            return self.add(first, obj, *aliases)

        return decorator

    def get(self, name: str) -> T:
        try:
            return self._table[name.lower()]
        except KeyError:
            raise unknown_name_error(self.kind, name, self._table) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._table

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._table))

    def names(self) -> list[str]:
        return sorted(self._table)
