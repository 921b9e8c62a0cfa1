"""A dataset of elements with the ``tf.data.Dataset`` methods that Keras scripts call on the
datasets Keras's utilities return (``take``, ``map``, ``batch``, ``shuffle``, ...).

This module is at the bottom of the package (it imports only numpy and torch): utilities such as
``timeseries_dataset_from_array`` make these datasets, and ``kerastorch.training.data`` serves
them to ``fit`` batch by batch (their elements are the batches, as in Keras).

NOTE [lazy pipelines]
    A :class:`Pipeline` holds no elements: it holds how to make a fresh iterator over them, its
    cardinality (a count, :data:`INFINITE` or :data:`UNKNOWN`) and, when its elements can be
    reached by position without reading the ones before (a source of batches gathered by index,
    and ``take`` / ``skip`` / ``map`` of one), a function ``position -> element``. Every method
    returns a new pipeline over the same source; nothing is read until it is iterated, and every
    iteration (every epoch of ``fit``) starts afresh. Only ``cache`` keeps elements.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

__all__ = ["INFINITE", "UNKNOWN", "Pipeline"]

INFINITE = -1  # tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # tf.data.UNKNOWN_CARDINALITY


def _map_structure(fn: Callable[[Any], Any], element: Any) -> Any:
    if isinstance(element, tuple):
        return tuple(_map_structure(fn, item) for item in element)
    if isinstance(element, list):
        return [_map_structure(fn, item) for item in element]
    if isinstance(element, dict):
        return {key: _map_structure(fn, item) for key, item in element.items()}
    return fn(element)


def _stack_leaves(leaves: list[Any]) -> Any:
    first = leaves[0]
    if torch.is_tensor(first):
        return torch.stack(leaves)
    if isinstance(first, (np.ndarray, np.generic)):
        return np.stack(leaves)
    if isinstance(first, (str, bytes)):
        return np.array(leaves, dtype=object)  # text stays Python strings
    return torch.as_tensor(leaves)


def stack_elements(elements: list[Any]) -> Any:
    """Elements of one structure (tuples, lists, dicts of tensors / arrays / scalars) as one
    element whose leaves have a new first axis: tensors are stacked, strings make an object array.

    Example:
        >>> stack_elements([(torch.tensor([1.0]), 0), (torch.tensor([2.0]), 1)])
        (tensor([[1.],
                [2.]]), tensor([0, 1]))
    """
    first = elements[0]
    if isinstance(first, (tuple, list)):
        parts = tuple(stack_elements([e[i] for e in elements]) for i in range(len(first)))
        return parts if isinstance(first, tuple) else list(parts)
    if isinstance(first, dict):
        return {key: stack_elements([e[key] for e in elements]) for key in first}
    return _stack_leaves(elements)


def _unstack(element: Any) -> list[Any]:
    """The rows of a batched element (the inverse of :func:`stack_elements`)."""
    if isinstance(element, (tuple, list)):
        columns = [_unstack(part) for part in element]
        rows = [tuple(parts) for parts in zip(*columns, strict=True)]
        return rows if isinstance(element, tuple) else [list(row) for row in rows]
    if isinstance(element, dict):
        columns = {key: _unstack(part) for key, part in element.items()}
        count = len(next(iter(columns.values()))) if columns else 0
        return [{key: column[i] for key, column in columns.items()} for i in range(count)]
    if torch.is_tensor(element) or isinstance(element, np.ndarray):
        if element.ndim == 0:
            raise ValueError(
                "Pipeline.unbatch: every component of an element needs a batch axis, received "
                "a scalar."
            )
        return list(element)
    raise TypeError(f"Pipeline.unbatch cannot split a {type(element).__name__}.")


def _to_numpy(value: Any) -> Any:
    return value.detach().cpu().numpy() if torch.is_tensor(value) else value


def _call(fn: Callable[..., Any], element: Any) -> Any:
    """tf.data's convention: a tuple element is passed as positional arguments."""
    return fn(*element) if isinstance(element, tuple) else fn(element)


def _check_count(method: str, arg: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive integer" if minimum > 0 else f"an integer >= {minimum}"
        raise ValueError(
            f"Pipeline.{method}: expected {arg} to be {expected}, received {arg}={value!r}."
        )
    return int(value)


class Pipeline:
    """A re-iterable dataset of elements with the methods of ``tf.data.Dataset`` that Keras
    scripts use on the datasets of Keras's utilities (NOTE [lazy pipelines]).

    ``fit`` / ``evaluate`` / ``predict`` take a pipeline whose elements are batches ``x``,
    ``(x, y)`` or ``(x, y, sample_weight)`` without a ``batch_size``: its batches are the
    batches, as Keras takes a ``tf.data.Dataset``. ``len()`` is the number of elements (a
    ``TypeError`` for an infinite or unknown one, as ``tf.data``).

    Args:
        iterate: Makes a fresh iterator over the elements.
        cardinality: The number of elements, :data:`INFINITE` or :data:`UNKNOWN`.
        element_at: ``position -> element`` when elements can be read by position.
        description: What the pipeline is, for ``repr`` and error messages.

    Example:
        >>> data = Pipeline.from_tensor_slices((torch.arange(6.0), torch.arange(6)))
        >>> batches = data.shuffle(6, seed=1).batch(4)
        >>> len(batches), [tuple(x.shape) for x, _ in batches]
        (2, [(4,), (2,)])
        >>> [y.tolist() for _, y in data.skip(1).take(3).map(lambda x, y: (x, y * 10)).batch(2)]
        [[10, 20], [30]]
    """

    def __init__(
        self,
        iterate: Callable[[], Iterator[Any]],
        cardinality: int,
        element_at: Callable[[int], Any] | None = None,
        description: str = "Pipeline",
    ) -> None:
        self._iterate = iterate
        self._cardinality = int(cardinality)
        self._element_at = element_at if cardinality >= 0 else None
        self.description = description

    # -- sources -----------------------------------------------------------------------------

    @classmethod
    def from_tensor_slices(cls, tensors: Any) -> Pipeline:
        """The rows of ``tensors`` (a tensor / array, or a tuple / list / dict of them of one
        length) as elements, as ``tf.data.Dataset.from_tensor_slices``."""

        def convert(value: Any) -> Any:  # tuples and dicts are structure, a list is data
            if isinstance(value, tuple):
                return tuple(convert(item) for item in value)
            if isinstance(value, dict):
                return {key: convert(item) for key, item in value.items()}
            if torch.is_tensor(value) or isinstance(value, np.ndarray):
                return value
            return np.asarray(value)

        converted = convert(tensors)
        leaves: list[Any] = []
        _map_structure(leaves.append, converted)
        if not leaves or any(leaf.ndim == 0 for leaf in leaves):
            raise ValueError(
                "Pipeline.from_tensor_slices: expected tensors or arrays with a first axis to "
                "slice (a tuple or dict of them), received a scalar or nothing."
            )
        lengths = {len(leaf) for leaf in leaves}
        if len(lengths) != 1:
            raise ValueError(
                "Pipeline.from_tensor_slices: the components must have the same first dimension, "
                f"received lengths {sorted(lengths)}."
            )
        count = lengths.pop()

        def element_at(i: int) -> Any:
            return _map_structure(lambda leaf: leaf[i], converted)

        return cls(lambda: map(element_at, range(count)), count, element_at, "from_tensor_slices")

    @classmethod
    def of_batches(
        cls, count: int, batch_at: Callable[[int], Any], description: str = "batches"
    ) -> Pipeline:
        """``count`` elements, element ``i`` made by ``batch_at(i)`` when it is read."""
        return cls(lambda: map(batch_at, range(count)), count, batch_at, description)

    # -- what it is --------------------------------------------------------------------------

    def cardinality(self) -> torch.Tensor:
        """The number of elements as a 0-d int64 tensor (``int()`` / ``.numpy()`` as in Keras
        scripts), :data:`INFINITE` (-1) or :data:`UNKNOWN` (-2)."""
        return torch.tensor(self._cardinality, dtype=torch.int64)

    def __len__(self) -> int:
        if self._cardinality == INFINITE:
            raise TypeError("The dataset is infinite.")
        if self._cardinality == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __iter__(self) -> Iterator[Any]:
        return self._iterate()

    def __repr__(self) -> str:
        size = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(self._cardinality, self._cardinality)
        return f"<Pipeline {self.description}, cardinality={size}>"

    def as_numpy_iterator(self) -> Iterator[Any]:
        """The elements with tensors as numpy arrays (strings stay Python ``str``)."""
        return (_map_structure(_to_numpy, element) for element in self)

    # -- transformations ---------------------------------------------------------------------

    def _derive(
        self,
        iterate: Callable[[], Iterator[Any]],
        cardinality: int,
        element_at: Callable[[int], Any] | None,
        what: str,
    ) -> Pipeline:
        return Pipeline(iterate, cardinality, element_at, f"{self.description}.{what}")

    def take(self, count: int) -> Pipeline:
        """The first ``count`` elements (all of them for -1)."""
        count = _check_count("take", "count", count, -1)
        if count == -1:
            return self
        size = self._cardinality
        size = count if size == INFINITE else size if size == UNKNOWN else min(size, count)
        return self._derive(
            lambda: itertools.islice(self._iterate(), count), size, self._element_at, "take"
        )

    def skip(self, count: int) -> Pipeline:
        """All but the first ``count`` elements (none for -1)."""
        count = _check_count("skip", "count", count, -1)
        size = self._cardinality
        if count == -1:
            return self.take(0)
        if size >= 0:
            size = max(size - count, 0)
        element_at = self._element_at
        if element_at is not None:
            start, stop = min(count, self._cardinality), self._cardinality
            return self._derive(
                lambda: map(element_at, range(start, stop)),
                size,
                lambda i: element_at(i + count),
                "skip",
            )
        return self._derive(
            lambda: itertools.islice(self._iterate(), count, None), size, None, "skip"
        )

    def map(
        self, map_func: Callable[..., Any], num_parallel_calls: Any = None, **_: Any
    ) -> Pipeline:
        """``map_func`` applied to every element when it is read (a tuple element is passed as
        positional arguments: ``map(lambda x, y: ...)``). ``num_parallel_calls`` is accepted."""
        element_at = self._element_at
        return self._derive(
            lambda: (_call(map_func, element) for element in self._iterate()),
            self._cardinality,
            None if element_at is None else (lambda i: _call(map_func, element_at(i))),
            "map",
        )

    def filter(self, predicate: Callable[..., Any]) -> Pipeline:
        """The elements for which ``predicate`` is true."""
        return self._derive(
            lambda: (e for e in self._iterate() if bool(_call(predicate, e))),
            UNKNOWN,
            None,
            "filter",
        )

    def batch(self, batch_size: int, drop_remainder: bool = False, **_: Any) -> Pipeline:
        """Consecutive elements stacked ``batch_size`` at a time (the last batch may be shorter
        unless ``drop_remainder``)."""
        batch_size = _check_count("batch", "batch_size", batch_size, 1)
        size = self._cardinality
        if size >= 0:
            size = size // batch_size if drop_remainder else math.ceil(size / batch_size)

        def iterate() -> Iterator[Any]:
            elements = self._iterate()
            while chunk := list(itertools.islice(elements, batch_size)):
                if drop_remainder and len(chunk) < batch_size:
                    return
                yield stack_elements(chunk)

        return self._derive(iterate, size, None, "batch")

    def unbatch(self) -> Pipeline:
        """The rows of every element, one element each (the inverse of :meth:`batch`)."""
        size = INFINITE if self._cardinality == INFINITE else UNKNOWN
        return self._derive(
            lambda: (row for element in self._iterate() for row in _unstack(element)),
            size,
            None,
            "unbatch",
        )

    def shuffle(
        self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True
    ) -> Pipeline:
        """Elements drawn at random from a buffer of ``buffer_size`` (``tf.data``'s algorithm:
        a buffer as large as the dataset shuffles it uniformly). A new order every iteration
        unless ``reshuffle_each_iteration=False``; ``seed`` makes the sequence of orders
        reproducible (not equal to TensorFlow's, whose generator differs)."""
        buffer_size = _check_count("shuffle", "buffer_size", buffer_size, 1)
        seeds = np.random.SeedSequence(seed)
        every_order = np.random.default_rng(seeds)  # one generator: a new order per iteration

        def iterate() -> Iterator[Any]:
            rng = every_order if reshuffle_each_iteration else np.random.default_rng(seeds)
            return buffer_shuffle(self._iterate(), buffer_size, rng)

        return self._derive(iterate, self._cardinality, None, "shuffle")

    def repeat(self, count: int | None = None) -> Pipeline:
        """The elements ``count`` times over (forever for None or -1), each pass afresh."""
        forever = count is None or count == -1
        size = self._cardinality
        if forever:
            size = size if size in (0, UNKNOWN) else INFINITE
        else:
            count = _check_count("repeat", "count", count, 0)
            size = 0 if count == 0 else size * count if size >= 0 else size

        def iterate() -> Iterator[Any]:
            for _ in itertools.count() if forever else range(count):
                empty = True
                for element in self._iterate():
                    empty = False
                    yield element
                if empty:  # repeating nothing forever is nothing, as in tf.data
                    return

        return self._derive(iterate, size, None, "repeat")

    def prefetch(self, buffer_size: Any = None, **_: Any) -> Pipeline:
        """Accepted for ``tf.data`` compatibility: elements are made when they are read
        (``fit`` overlaps nothing with the step)."""
        return self

    def cache(self, filename: str = "") -> Pipeline:
        """Keep the elements of the first complete iteration in memory and replay them after
        (an incomplete first iteration keeps nothing). ``filename`` is not supported."""
        if filename:
            raise NotImplementedError(
                "Pipeline.cache: caching to a file is not supported; use cache() (in memory)."
            )
        stored: list[list[Any]] = []

        def iterate() -> Iterator[Any]:
            if stored:
                yield from stored[0]
                return
            seen = []
            for element in self._iterate():
                seen.append(element)
                yield element
            stored.append(seen)

        return self._derive(iterate, self._cardinality, self._element_at, "cache")

    def with_options(self, options: Any) -> Pipeline:
        """Accepted for ``tf.data`` compatibility; options do not apply."""
        return self


def buffer_shuffle(
    items: Iterator[Any], buffer_size: int, rng: np.random.Generator
) -> Iterator[Any]:
    """``tf.data``'s shuffle: fill a buffer with ``buffer_size`` items, then repeatedly yield a
    random one of it and put the next item in its place; drain the rest in random order.

    Example:
        >>> sorted(buffer_shuffle(iter(range(5)), 2, np.random.default_rng(0)))
        [0, 1, 2, 3, 4]
    """
    buffer = list(itertools.islice(items, buffer_size))
    # Once filled, the buffer keeps its size until the items run out: draw its slots in chunks.
    slots: Iterator[int] = iter(())
    for item in items:
        slot = next(slots, None)
        if slot is None:
            slots = iter(rng.integers(len(buffer), size=4096).tolist())
            slot = next(slots)
        yield buffer[slot]
        buffer[slot] = item
    for slot in rng.permutation(len(buffer)):
        yield buffer[slot]
