"""Data adapters: every kind of input becomes batches (:class:`Batch`) before the loop sees it.

Two stages, each with one dispatcher: ``as_data()`` converts the input (an :class:`InputData`,
which ``fit`` may split for validation), ``adapt()`` creates the :class:`DataAdapter` that serves
it with a batch size, shuffling and order. One module per kind of input: ``arrays.py`` (numpy
arrays, tensors, lists of one shape, memmaps), ``ragged.py`` (lists of sequences of different
lengths), ``torch_data.py`` (torch ``Dataset`` and ``IterableDataset`` of samples, batched by
``fit``), ``generators.py`` (``DataLoader``, generators and other iterables of ready batches),
``pipelines.py`` (the ``tf.data``-like datasets of Keras's utilities, such as
``timeseries_dataset_from_array``), ``py_datasets.py`` (Keras's ``PyDataset``).
``indexed.py`` serves the inputs read by sample index (arrays, ragged lists, map-style
datasets), ``generators.py`` the streams; ``elements.py`` says what one yielded batch or
sample means, ``epochs.py`` which batches make an epoch (``steps_per_epoch``), and
``sharding.py`` which of them one process takes in multi-process training
(``kerastorch.distribute``).

What each input accepts, as in Keras: arrays take ``y``, ``sample_weight``, ``class_weight``,
``shuffle``, ``batch_size`` and ``validation_split``. Datasets, loaders and generators carry their
own targets and weights (``y`` and ``sample_weight`` must be None) and cannot be split
(``validation_split``); ``class_weight`` applies to each of their batches that has no weights.
A map-style ``Dataset`` is batched with ``batch_size`` and shuffled with ``shuffle``; an
``IterableDataset`` is batched with ``batch_size``; a ``DataLoader``, a generator or a
:class:`~kerastorch.utils.dataset.Pipeline` is used as is, and ``batch_size`` / ``shuffle`` are
ignored (Keras ignores them too; unlike Keras, no warning is given for ``shuffle=True``, ``fit``'s
default). A :class:`~kerastorch.utils.PyDataset` keeps its batches, and ``shuffle`` orders them
anew every epoch, as in Keras.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from kerastorch.training.data.arrays import ArrayData, LazyArray, TextArray, is_text
from kerastorch.training.data.base import (
    DEFAULT_BATCH_SIZE,
    Batch,
    DataAdapter,
    InputData,
    batch_size_for_steps,
    check_batch_size,
    check_class_weight,
    check_finite,
    check_steps,
    class_weights_to_sample_weights,
    to_tensor,
)
from kerastorch.training.data.elements import collate, to_batch
from kerastorch.training.data.epochs import OUT_OF_DATA, EpochIterator, require_end
from kerastorch.training.data.generators import BatchStreamData, StreamAdapter, StreamData
from kerastorch.training.data.indexed import IndexedAdapter, IndexedData, split_point
from kerastorch.training.data.pipelines import PipelineData
from kerastorch.training.data.py_datasets import PyDatasetAdapter, PyDatasetData
from kerastorch.training.data.ragged import RaggedData, is_ragged, pad_batch
from kerastorch.training.data.sharding import ShardedAdapter, check_global_batch_size
from kerastorch.training.data.structured import (
    SINGLE,
    Signature,
    StructuredData,
    signature_of,
    single,
    wants_structure,
)
from kerastorch.training.data.torch_data import DatasetData, IterableDatasetData
from kerastorch.utils.dataset import Pipeline
from kerastorch.utils.py_dataset import PyDataset

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "OUT_OF_DATA",
    "SINGLE",
    "ArrayData",
    "Batch",
    "BatchStreamData",
    "DataAdapter",
    "DatasetData",
    "EpochIterator",
    "IndexedAdapter",
    "IndexedData",
    "InputData",
    "IterableDatasetData",
    "LazyArray",
    "PipelineData",
    "PyDatasetAdapter",
    "PyDatasetData",
    "RaggedData",
    "ShardedAdapter",
    "Signature",
    "StreamAdapter",
    "StreamData",
    "StructuredData",
    "TextArray",
    "adapt",
    "as_data",
    "batch_size_for_steps",
    "check_batch_size",
    "check_class_weight",
    "check_finite",
    "check_global_batch_size",
    "check_steps",
    "class_weights_to_sample_weights",
    "collate",
    "is_batch_source",
    "is_ragged",
    "is_text",
    "pad_batch",
    "require_end",
    "signature_of",
    "split_point",
    "to_batch",
    "to_tensor",
]

_KIND = {  # how Keras names the input in "When providing `x` as a ..." errors
    DatasetData: "torch Dataset",
    IterableDatasetData: "torch IterableDataset",
}


def is_batch_source(value: Any) -> bool:
    """A torch dataset or loader, a generator / iterator, or another iterable object that is not
    array-like (arrays, tensors, lists, tuples and objects with ``__array__`` are data)."""
    if isinstance(value, (Dataset, DataLoader, types.GeneratorType)):
        return True
    if isinstance(value, (np.ndarray, torch.Tensor, list, tuple, dict, str, bytes)):
        return False
    if hasattr(value, "__array__"):
        return False
    return hasattr(value, "__next__") or hasattr(value, "__iter__")


def _source_data(x: Any, signature: Signature) -> InputData:
    if isinstance(x, Pipeline):
        return PipelineData(x, signature)
    if isinstance(x, PyDataset):
        return PyDatasetData(x, signature)
    if isinstance(x, DataLoader):
        return BatchStreamData(x, signature)
    if isinstance(x, IterableDataset):
        return IterableDatasetData(x, signature)
    if isinstance(x, Dataset):
        return DatasetData(x, signature=signature)
    return BatchStreamData(x, signature)


def _kind(data: InputData) -> str:
    if isinstance(data, PipelineData):
        return "dataset"
    if isinstance(data, PyDatasetData):
        return "PyDataset"
    if isinstance(data, BatchStreamData):
        if isinstance(data.source, DataLoader):
            return "torch DataLoader"
        return "generator" if data.one_shot else "iterable"
    return _KIND[type(data)]


def as_data(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    arg: str = "x",
    signature: Signature = SINGLE,
) -> InputData:
    """Convert user data (the single dispatcher for every kind of input); :func:`adapt` then
    serves it in batches.

    Args:
        x: Arrays / tensors / lists, a list of sequences of different lengths, a torch
            ``Dataset``, ``IterableDataset`` or ``DataLoader``, a generator, or an iterable of
            batches; with ``arg="validation_data"``, a tuple ``(x, y[, sample_weight])`` or one of
            the batch sources.
        y: Targets for arrays; must be None for datasets, loaders and generators.
        sample_weight: Weights for arrays, ``(N,)`` or per time step ``(N, T)``.
        arg: ``"x"`` or ``"validation_data"``, for error messages.
        signature: How the model takes data (``model.data_signature()``): a list or dict of
            arrays per input (and per output for ``y``) of a model of several inputs or outputs
            becomes :class:`StructuredData`.

    Example:
        >>> type(as_data(np.zeros((4, 3)), np.zeros(4))).__name__
        'ArrayData'
        >>> type(as_data([np.zeros((3, 2)), np.zeros((5, 2))])).__name__
        'RaggedData'
        >>> type(as_data(iter([(np.zeros((2, 3)), np.zeros(2))]))).__name__
        'BatchStreamData'
    """
    if arg == "validation_data" and not is_batch_source(x):
        if not isinstance(x, (tuple, list)) or len(x) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                "sample_weight_val), a torch Dataset or DataLoader, or a generator; received "
                f"{type(x).__name__}"
                f"{f' of length {len(x)}' if isinstance(x, (tuple, list)) else ''}."
            )
        x, y, sample_weight = (*x, None)[:3]
    if is_batch_source(x):
        data = _source_data(x, signature)
        kind = _kind(data)
        if y is not None:
            raise ValueError(
                f"When providing `x` as a {kind}, `y` should not be passed. Instead, the "
                f"targets should be included as part of the {kind}."
            )
        if sample_weight is not None:
            raise ValueError(
                f"When providing `x` as a {kind}, `sample_weights` should not be passed. "
                f"Instead, the sample weights should be included as part of the {kind}."
            )
        return data
    if signature.structured:
        x = single(x, signature.inputs, "x", signature.model)
        y = None if y is None else single(y, signature.outputs, "y", signature.model)
        if wants_structure(x, y, signature):
            return StructuredData(x, y, sample_weight, signature)
    if is_ragged(x) and not is_text(x):
        return RaggedData(x, y, sample_weight)
    return ArrayData(x, y, sample_weight)


def adapt(
    data: InputData,
    *,
    batch_size: int,
    shuffle: bool = False,
    keep_order: bool = True,
    class_weight: dict[int, float] | None = None,
) -> DataAdapter:
    """The adapter that serves ``data`` in batches (one per kind of input).

    Args:
        data: From :func:`as_data`.
        batch_size: Samples per batch. A stream of ready batches (a ``DataLoader``, a
            generator, a :class:`~kerastorch.utils.dataset.Pipeline`) keeps its own, as Keras
            keeps a batched dataset's.
        shuffle: A new random order every pass, for arrays and map-style datasets (streams
            keep their own order).
        keep_order: Batches in input order (unless shuffled); False lets ragged sequences of
            similar lengths go together (NOTE [length buckets] in ``indexed.py``).
        class_weight: Keras's ``class_weight`` (see ``check_class_weight``).

    Example:
        >>> data = adapt(as_data(np.zeros((50, 3))), batch_size=32)
        >>> type(data).__name__, data.num_batches()
        ('IndexedAdapter', 2)
    """
    if isinstance(data, PyDatasetData):  # its own batches; fit's shuffle orders them
        return PyDatasetAdapter(data, shuffle=shuffle, class_weight=class_weight)
    if isinstance(data, StreamData):
        own_batches = isinstance(data, BatchStreamData)
        return StreamAdapter(
            data, batch_size=None if own_batches else batch_size, class_weight=class_weight
        )
    if not isinstance(data, IndexedData):
        raise TypeError(f"adapt() takes the data of as_data(), received {type(data).__name__}.")
    if class_weight is not None:
        data = data.with_class_weight(class_weight)
    by_length = not keep_order and data.lengths is not None
    return IndexedAdapter(data, batch_size=batch_size, shuffle=shuffle, by_length=by_length)
