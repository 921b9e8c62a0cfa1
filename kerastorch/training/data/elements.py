"""What one item of a dataset, loader or generator means, and how it becomes a :class:`Batch`.

A *batch element* (what a DataLoader or a generator yields) is Keras's ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)``; a list counts as a tuple and a lone tensor, array or dict is ``x``.
For a model of several inputs or outputs (its :class:`~kerastorch.training.data.structured.
Signature`), ``x`` (and ``y``, ``sample_weight``) may be a dict keyed by input (output) name or a
list with one array per input, as ``fit`` takes arrays (``structured.py``).
A *sample* (what ``dataset[i]`` returns) has the same structure for one sample; samples are
collated field by field with :func:`collate`.

Each field is converted as arrays are (floats -> float32, integers -> int64, booleans ->
float32). A field that is a list of sequences of different lengths (a ragged batch) is
right-padded with zeros and ``x``'s mask comes with it, as ragged ``fit`` data does; ``x`` may
also be given already padded as a pair ``(x_padded, mask)`` with a boolean ``(batch, time)``
mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.symbolic import map_structure
from kerastorch.training.data.arrays import TextArray, is_text
from kerastorch.training.data.base import (
    Batch,
    check_finite,
    class_weights_to_sample_weights,
    to_tensor,
)
from kerastorch.training.data.ragged import pad_batch
from kerastorch.training.data.structured import (
    SINGLE,
    Signature,
    is_structure,
    single,
    structure_template,
)

STRUCTURE = "(x,), (x, y) or (x, y, sample_weight)"


def unpack(element: Any, source: str, signature: Signature = SINGLE) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from one yielded batch, with None for what is missing."""
    if torch.is_tensor(element) or isinstance(element, np.ndarray):
        return element, None, None
    if isinstance(element, list):
        element = tuple(element)
    if isinstance(element, tuple) and 1 <= len(element) <= 3:
        return (*element, None, None)[:3]
    if isinstance(element, dict):
        if signature.structured:  # Keras: a dict alone is x, keyed by input name
            return element, None, None
        raise TypeError(
            f"{source} yielded a dict (keys {sorted(map(str, element))}), but model "
            f"'{signature.model}' takes one input: yield tuples {STRUCTURE}."
        )
    what = f"a tuple of length {len(element)}" if isinstance(element, tuple) else type(element)
    raise ValueError(f"{source} must yield batches {STRUCTURE} (tuples or lists), received {what}.")


def _item_shape(item: Any) -> tuple[int, ...] | None:
    shape = getattr(item, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(item, (list, tuple)):
        return (len(item),)
    return ()


def convert_field(value: Any, arg: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One field of a batch as a tensor; a list of sequences of different lengths is padded and
    comes with its ``(batch, time)`` mask (else the mask is None). Strings stay a numpy array
    of ``str`` (NOTE [text columns] in ``arrays.py``)."""
    if is_text(value):
        return TextArray(value, arg).array, None
    if torch.is_tensor(value) or isinstance(value, np.ndarray):
        return to_tensor(value, arg), None
    if isinstance(value, (list, tuple)) and len(value) > 0:
        items = list(value)
        shapes = {_item_shape(item) for item in items}
        if len(shapes) > 1:
            if () in shapes:
                raise ValueError(f"{arg} mixes scalars and sequences; give each sample one shape.")
            return pad_batch(items, arg)
        if all(torch.is_tensor(item) for item in items):
            return to_tensor(torch.stack(items), arg), None
    return to_tensor(value, arg), None


def _as_padded_pair(x: Any) -> tuple[Any, torch.Tensor] | None:
    """``(x_padded, mask)`` given for x: a boolean mask of shape ``x_padded.shape[:2]``."""
    if not (isinstance(x, tuple) and len(x) == 2):
        return None
    padded, mask = x
    if not all(torch.is_tensor(t) or isinstance(t, np.ndarray) for t in (padded, mask)):
        return None
    mask = torch.as_tensor(mask)
    if mask.dtype != torch.bool or mask.dim() != 2 or tuple(mask.shape) != tuple(padded.shape[:2]):
        return None
    return padded, mask


def _convert_structured(
    value: Any, names: Any, arg: str, role: str, signature: Signature
) -> tuple[Any, Any] | None:
    """``value`` as one tensor per input (``role="inputs"``) or output, in its list or dict
    structure, with the masks of its ragged fields in the same structure (or None); None when
    ``value`` is one array."""
    value = single(value, names, arg, signature.model)
    if not is_structure(value, names, role, signature.model):
        return None
    template = structure_template(value, names, arg, role, signature.model)
    keys = list(template) if isinstance(template, dict) else range(len(template))
    fields = [convert_field(value[key], f"{arg}[{key!r}]") for key in keys]
    tensors, masks = [field[0] for field in fields], [field[1] for field in fields]
    mask_given = any(mask is not None for mask in masks)
    if isinstance(template, dict):
        tensors, masks = dict(zip(keys, tensors, strict=True)), dict(zip(keys, masks, strict=True))
    return tensors, masks if mask_given else None


def _is_structure_of_arrays(value: Any) -> bool:
    """A dict, or a list or tuple of arrays (a list of numbers is one array)."""
    if isinstance(value, dict):
        return True
    return isinstance(value, (list, tuple)) and all(
        torch.is_tensor(item) or isinstance(item, np.ndarray) for item in value
    )


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, list) else [value]


def to_batch(
    element: Any,
    source: str,
    *,
    class_weight: dict[int, float] | None = None,
    check: bool = True,
    signature: Signature = SINGLE,
) -> Batch:
    """Convert one yielded batch ``(x,)`` / ``(x, y)`` / ``(x, y, sample_weight)`` to a Batch.

    ``class_weight`` (Keras's rule for batched inputs) turns ``y`` into sample weights; a batch
    that carries its own sample weights cannot also take ``class_weight``. ``check`` looks for
    NaN / inf in CPU tensors (never on an accelerator: that would be a host sync per step).
    ``signature`` (the model's) says whether a list or dict ``x`` / ``y`` holds one array per
    input or output.

    Example:
        >>> batch = to_batch(([[1.0], [2.0]], [0, 1]), "generator", class_weight={1: 3.0})
        >>> batch.sample_weight
        tensor([1., 3.])
        >>> two_inputs = Signature(("a", "b"), ("out",), True)
        >>> batch = to_batch(({"a": [[1.0]], "b": [[2.0, 3.0]]}, [[0.0]]), "generator",
        ...                  signature=two_inputs)
        >>> {key: tuple(value.shape) for key, value in batch.x.items()}
        {'a': (1, 1), 'b': (1, 2)}
    """
    x, y, sample_weight = unpack(element, source, signature)
    if x is None:
        raise ValueError(f"{source} yielded a batch without x: {STRUCTURE} expected.")
    x, mask = _inputs(x, signature, source)
    several_outputs = False
    if y is not None:
        y, several_outputs = _targets(y, signature)
    if sample_weight is not None:
        sample_weight = _weights(sample_weight, several_outputs, signature)
        if class_weight is not None:
            raise ValueError(
                "You cannot specify `class_weight` and `sample_weight` at the same time: "
                f"{source} yields its own sample weights ((x, y, sample_weight) batches)."
            )
    elif class_weight is not None and y is not None:
        if several_outputs:
            raise ValueError(
                "`class_weight` is only supported for Models with a single output; "
                f"{source} yields targets for several outputs: yield sample weights instead."
            )
        sample_weight = class_weights_to_sample_weights(y, class_weight)
    _check_fields(x, y, sample_weight, source, check)
    return Batch(x, y, sample_weight, mask)


def _inputs(x: Any, signature: Signature, source: str) -> tuple[Any, Any]:
    """``x`` as a tensor (or one per input) and its mask: from a ragged list, a pair
    ``(x_padded, mask)``, or ragged inputs of a model of several inputs."""
    if signature.structured:
        structured = _convert_structured(x, signature.inputs, "x", "inputs", signature)
        if structured is not None:
            return structured
    if isinstance(x, dict):
        raise TypeError(
            f"{source} gave x as a dict (keys {sorted(map(str, x))}), but model "
            f"'{signature.model}' takes one input: give x as one array."
        )
    pair = _as_padded_pair(x)
    if pair is not None:
        return convert_field(pair[0], "x")[0], pair[1].to(pair[0].device)
    return convert_field(x, "x")


def _targets(y: Any, signature: Signature) -> tuple[Any, bool]:
    """``y`` as a tensor, or one per output; and whether it is one per output."""
    if signature.structured:
        structured = _convert_structured(y, signature.outputs, "y", "outputs", signature)
        if structured is not None:
            return structured[0], True
    return convert_field(y, "y")[0], False


def _weights(sample_weight: Any, several_outputs: bool, signature: Signature) -> Any:
    """Float sample weights: one tensor, or one per output (a list or dict of arrays) when ``y``
    holds one target per output."""
    if several_outputs and _is_structure_of_arrays(sample_weight):
        weights = _convert_structured(
            sample_weight, signature.outputs, "sample_weight", "outputs", signature
        )[0]
        return map_structure(lambda weight: weight.float(), weights)
    return convert_field(sample_weight, "sample_weight")[0].float()


def _check_fields(x: Any, y: Any, sample_weight: Any, source: str, check: bool) -> None:
    """Every field has x's number of samples; with ``check``, no NaN / inf on the CPU."""
    first = _leaves(x)[0]
    n = len(first) if np.ndim(first) else 0
    named = [("x", value) for value in _leaves(x)[1:]]
    named += [("y", value) for value in ([] if y is None else _leaves(y))]
    named += [("sample_weight", value) for value in _leaves(sample_weight)]
    for arg, value in named:
        if value is not None and (np.ndim(value) == 0 or len(value) != n):
            raise ValueError(
                f"{source} yielded a batch whose x has {n} samples (shape "
                f"{tuple(first.shape)}) but whose {arg} has shape {tuple(value.shape)}; they "
                "need the same first axis."
            )
    if check:
        for arg, value in [("x", first), *named]:
            if torch.is_tensor(value) and value.device.type == "cpu":
                check_finite(value, f"{arg} (in a batch from {source})")


def collate(samples: Sequence[Any], source: str) -> tuple[Any, ...]:
    """Samples ``[(x_i, y_i), ...]`` (or ``[x_i, ...]``) as one batch element ``(xs, ys)``:
    one list per field, converted later by :func:`to_batch` (stacked, or padded if ragged). A
    field that is a dict in every sample (one array per input name) becomes a dict of lists."""
    first = samples[0]
    if not isinstance(first, (tuple, list)):
        return (_collate_field(samples, source),)
    size = len(first)
    if not 1 <= size <= 3:
        raise ValueError(
            f"{source} returned samples of length {size}; expected (x,), (x, y) or "
            "(x, y, sample_weight) per sample."
        )
    if any(not isinstance(s, (tuple, list)) or len(s) != size for s in samples):
        raise ValueError(f"{source} returned samples of different structures in one batch.")
    return tuple(_collate_field(field, source) for field in zip(*samples, strict=True))


def _collate_field(items: Sequence[Any], source: str) -> Any:
    if not isinstance(items[0], dict):
        return list(items)
    keys = list(items[0])
    if any(not isinstance(item, dict) or list(item) != keys for item in items):
        raise ValueError(
            f"{source} returned samples whose dicts have different keys in one batch; every "
            f"sample needs the keys {keys}."
        )
    return {key: [item[key] for item in items] for key in keys}
