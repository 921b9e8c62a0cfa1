"""Adapter for models of several inputs or outputs: a list or dict of arrays (or of ragged lists
of sequences) per input, and per output for the targets and sample weights.

Each array is one column, converted as arrays are (``arrays.py``: tensors, or memmaps read per
batch) or stored as ragged sequences (``ragged.py``); a batch takes the same samples from every
column and puts them back in the structure the user gave (a list in input order, or a dict by
input name), so shuffling keeps the inputs aligned. Which lists are a structure, and what names
a dict must have, comes from the model's :class:`Signature`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from kerastorch.symbolic import pack_as
from kerastorch.training.data.arrays import LazyArray, as_column
from kerastorch.training.data.base import Batch, check_finite
from kerastorch.training.data.indexed import IndexedData, index_tensor, split_point
from kerastorch.training.data.ragged import RaggedStore, is_ragged


class Signature(NamedTuple):
    """How a model takes data: the names of its inputs and of its outputs.

    ``inputs`` / ``outputs`` are the names a dict of data is keyed by (a functional model's
    ``Input`` names; its output layer names, or the keys of a dict of outputs), in the order a
    list of data follows; None when unknown (a subclassed model: a dict, or a list of at least two
    arrays with the same number of samples, is then a structure, as in Keras). ``structured``
    False (``Sequential``) never reads a list as several inputs: it is a list of samples.
    """

    inputs: tuple[str, ...] | None = None
    outputs: tuple[str, ...] | None = None
    structured: bool = False
    model: str = "model"


SINGLE = Signature()


def signature_of(model: Any) -> Signature:
    """The :class:`Signature` of a model, from its ``data_names()``."""
    names = model.data_names()
    if names is None:
        return Signature(model=model.name)
    inputs, outputs = names
    return Signature(
        None if inputs is None else tuple(inputs),
        None if outputs is None else tuple(outputs),
        True,
        model.name,
    )


def wants_structure(x: Any, y: Any, signature: Signature) -> bool:
    """Whether ``x`` or ``y`` holds one array per input or output (after :func:`single`)."""
    if not signature.structured:
        return False
    return is_structure(x, signature.inputs, "inputs", signature.model) or (
        y is not None and is_structure(y, signature.outputs, "outputs", signature.model)
    )


def _is_array(value: Any) -> bool:
    return torch.is_tensor(value) or isinstance(value, np.ndarray)


def is_structure(value: Any, names: Sequence[str] | None, role: str, model: str) -> bool:
    """Whether ``value`` holds one array per input (``role="inputs"``) or output: checked
    against ``names`` when the model has them."""
    if isinstance(value, dict):
        return True
    if names is None:  # a subclassed model: Keras's reading of a list of arrays
        return (
            isinstance(value, (list, tuple))
            and len(value) >= 2
            and all(_is_array(item) for item in value)
            and len({len(item) for item in value}) == 1
        )
    if len(names) == 1:
        return False
    if not isinstance(value, (list, tuple)):
        raise ValueError(
            f"Model '{model}' has {len(names)} {role} {list(names)}, received one "
            f"{type(value).__name__}. Pass a list with one array per {role[:-1]} in that order, "
            "or a dict keyed by those names."
        )
    return True


def single(value: Any, names: Sequence[str] | None, arg: str, model: str) -> Any:
    """The one array of a one-input (or one-output) model given as ``[array]`` or
    ``{name: array}``, as Keras accepts; anything else unchanged."""
    if names is None or len(names) != 1:
        return value
    if isinstance(value, dict):
        if list(value) != list(names):
            raise ValueError(
                f"Model '{model}' expects {arg} keyed by {list(names)}, received a dict with keys "
                f"{list(value)}."
            )
        return value[names[0]]
    if isinstance(value, (list, tuple)) and len(value) == 1 and _is_array(value[0]):
        return value[0]
    return value


def structure_template(
    value: Any, names: Sequence[str] | None, arg: str, role: str, model: str
) -> Any:
    """The structure of ``value`` with its leaves replaced by None, checked against ``names``."""
    if isinstance(value, dict):
        if names is not None:
            missing = [name for name in names if name not in value]
            if missing:
                unknown = sorted(map(str, set(value) - set(names)))
                raise ValueError(
                    f"Model '{model}' has {role} {list(names)}; {arg} has no {missing}"
                    + (f" (it has {unknown} instead)" if unknown else "")
                    + f". Key {arg} by the model's {role[:-1]} names."
                )
            value = {name: value[name] for name in names}
        return {key: None for key in value}
    if names is not None and len(value) != len(names):
        raise ValueError(
            f"Model '{model}' has {len(names)} {role} {list(names)}, received {arg} with "
            f"{len(value)} arrays. Pass one array per {role[:-1]}, or a dict keyed by those names."
        )
    return [None] * len(value)


Column = torch.Tensor | LazyArray | RaggedStore


def _column(value: Any, arg: str, floating: bool = False) -> Column:
    if is_ragged(value):
        store = RaggedStore(value, arg)
        if floating:
            store.values = store.values.float()
        return store
    column = as_column(value, arg, floating)
    if isinstance(column, torch.Tensor):
        if column.dim() == 0:
            raise ValueError(f"{arg} is a scalar; it needs a first axis of samples.")
        if not floating:
            check_finite(column, arg)
    return column


def _columns(value: Any, template: Any, arg: str, floating: bool = False) -> list[Column]:
    if isinstance(template, dict):
        return [_column(value[key], f"{arg}[{key!r}]", floating) for key in sorted(template)]
    if isinstance(template, list):
        return [_column(item, f"{arg}[{i}]", floating) for i, item in enumerate(value)]
    return [_column(value, arg, floating)]


def _gather(column: Column, index: slice | torch.Tensor) -> tuple[torch.Tensor, Any]:
    """The samples ``index`` of one column, and their mask (ragged columns only)."""
    if isinstance(column, RaggedStore):
        return column.gather(index_tensor(index))
    if isinstance(index, slice):
        return column[index], None
    return column.index_select(0, index), None


def _take(column: Column, index: slice) -> Column:
    if isinstance(column, RaggedStore):
        return column.take(index)
    return column.view(index) if isinstance(column, LazyArray) else column[index]


class StructuredData(IndexedData):
    """Arrays of ``N`` samples for a model of several inputs or outputs: ``x`` a list or dict of
    arrays (or ragged lists of sequences), ``y`` and ``sample_weight`` one array or one per
    output. A batch has ``x`` (and ``y``) in the structure given, and ``mask`` in ``x``'s
    structure when an input is ragged.

    Args:
        x, y, sample_weight: The data.
        signature: The model's :class:`Signature`.

    Example:
        >>> sig = Signature(("prices", "sector"), ("level",), True)
        >>> data = StructuredData(
        ...     {"prices": np.zeros((6, 5, 4)), "sector": np.zeros((6, 3))}, np.zeros((6, 1)), None,
        ...     sig)
        >>> batch = data.batch(slice(0, 4))
        >>> {key: tuple(value.shape) for key, value in batch.x.items()}
        {'prices': (4, 5, 4), 'sector': (4, 3)}
    """

    def __init__(self, x: Any, y: Any, sample_weight: Any, signature: Signature) -> None:
        model = signature.model
        x = single(x, signature.inputs, "x", model)
        y = None if y is None else single(y, signature.outputs, "y", model)
        self.x_template = (
            structure_template(x, signature.inputs, "x", "inputs", model)
            if is_structure(x, signature.inputs, "inputs", model)
            else 0
        )
        self.x = _columns(x, self.x_template, "x")
        self.y_template: Any = 0
        self.y: list[Column] | None = None
        if y is not None:
            if is_structure(y, signature.outputs, "outputs", model):
                self.y_template = structure_template(y, signature.outputs, "y", "outputs", model)
            self.y = _columns(y, self.y_template, "y")
        self.sample_weight_template: Any = 0
        self.sample_weight: list[Column] | None = None
        if sample_weight is not None:
            if isinstance(self.y_template, (list, dict)) and (
                isinstance(sample_weight, dict)
                or (
                    isinstance(sample_weight, (list, tuple))
                    and all(_is_array(item) or is_ragged(item) for item in sample_weight)
                )
            ):
                names = signature.outputs
                self.sample_weight_template = structure_template(
                    sample_weight, names, "sample_weight", "outputs", model
                )
            self.sample_weight = _columns(
                sample_weight, self.sample_weight_template, "sample_weight", floating=True
            )
        self._check_lengths()

    def _check_lengths(self) -> None:
        named = [("x", c) for c in self.x] + [("y", c) for c in self.y or []]
        named += [("sample_weight", c) for c in self.sample_weight or []]
        counts = {arg: len(column) for arg, column in named}
        sizes = {len(column) for _, column in named}
        if len(sizes) > 1:
            detail = ", ".join(f"{len(c)} in an array of {arg}" for arg, c in named)
            raise ValueError(
                "Every input, target and sample-weight array must have the same number of "
                f"samples; received {detail}."
            )
        if min(counts.values()) == 0:
            raise ValueError("x has no samples (its first axis has length 0).")

    @classmethod
    def _of(cls, source: StructuredData, **columns: Any) -> StructuredData:
        data = cls.__new__(cls)
        data.__dict__.update(source.__dict__)
        data.__dict__.update(columns)
        return data

    def __len__(self) -> int:
        return len(self.x[0])

    @property
    def has_targets(self) -> bool:
        return self.y is not None

    @property
    def lengths(self) -> torch.Tensor | None:
        ragged = [c.lengths for c in self.x if isinstance(c, RaggedStore)]
        if not ragged:
            return None
        return torch.stack(ragged).amax(0)

    def pin_memory(self) -> None:
        for columns in (self.x, self.y, self.sample_weight):
            for i, column in enumerate(columns or []):
                if torch.is_tensor(column) and not column.is_pinned():
                    columns[i] = column.pin_memory()

    def split(self, validation_split: float) -> tuple[StructuredData, StructuredData]:
        """Keras's split: the *last* ``validation_split`` fraction of every array."""
        cut = split_point(len(self), validation_split)
        return self._part(slice(0, cut)), self._part(slice(cut, len(self)))

    def _part(self, index: slice) -> StructuredData:
        def take(columns: list[Column] | None) -> list[Column] | None:
            return None if columns is None else [_take(c, index) for c in columns]

        return StructuredData._of(
            self, x=take(self.x), y=take(self.y), sample_weight=take(self.sample_weight)
        )

    def class_labels(self) -> torch.Tensor:
        if self.y is None or len(self.y) != 1 or isinstance(self.y[0], RaggedStore):
            raise ValueError(
                "`class_weight` is only supported for Models with a single output (and one "
                "class label per sample); pass sample_weight, one array per output, instead."
            )
        column = self.y[0]
        return column.materialize() if isinstance(column, LazyArray) else column

    def with_sample_weight(self, sample_weight: torch.Tensor) -> StructuredData:
        return StructuredData._of(self, sample_weight=[sample_weight], sample_weight_template=0)

    def batch(self, index: slice | torch.Tensor) -> Batch:
        gathered = [_gather(column, index) for column in self.x]
        x = pack_as(self.x_template, [value for value, _ in gathered])
        masks = [mask for _, mask in gathered]
        mask = None if all(m is None for m in masks) else pack_as(self.x_template, masks)
        y = sample_weight = None
        if self.y is not None:
            y = pack_as(self.y_template, [_gather(c, index)[0] for c in self.y])
        if self.sample_weight is not None:
            sample_weight = pack_as(
                self.sample_weight_template, [_gather(c, index)[0] for c in self.sample_weight]
            )
        return Batch(x, y, sample_weight, mask)
