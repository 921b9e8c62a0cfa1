"""What the categorical preprocessing layers share: their ``output_mode`` encodings (Keras's
``encode_categorical_inputs``), argument checks, and reading inputs and ``adapt`` data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.errors import did_you_mean

__all__ = [
    "ENCODINGS",
    "adapt_batches",
    "check_choice",
    "encode_categorical",
    "to_numpy",
]

ENCODINGS = ("int", "one_hot", "multi_hot", "count")
_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


def check_choice(layer: str, arg: str, value: Any, allowed: Sequence[Any]) -> Any:
    """``value`` (Keras's old spellings ``"binary"`` / ``"tf-idf"`` translated) if it is one of
    ``allowed``, else an error listing them.

    Example:
        >>> check_choice("Hashing 'hashing'", "output_mode", "binary", ENCODINGS)
        'multi_hot'
    """
    value = _ALIASES.get(value, value) if isinstance(value, str) else value
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        hint = did_you_mean(value, [a for a in allowed if isinstance(a, str)]) if value else ""
        raise ValueError(
            f"{layer}: expected {arg} to be one of {listed}, received {arg}={value!r}.{hint}"
        )
    return value


def encode_categorical(
    indices: torch.Tensor,
    output_mode: str,
    depth: int,
    count_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Integer indices as Keras encodes them: ``one_hot`` adds an axis of ``depth`` (replacing a
    last axis of 1), ``multi_hot`` / ``count`` reduce axis 1 (the tokens of a sample; axis 0 for
    one sample) into ``depth`` slots. Negative indices (masked tokens) count nowhere.

    Example:
        >>> encode_categorical(torch.tensor([[0, 2, 2]]), "count", 4)
        tensor([[1., 0., 2., 0.]])
    """
    if output_mode == "int":
        return indices
    if indices.dim() == 0:
        indices = indices.reshape(1)
    if output_mode == "one_hot" and indices.dim() > 1 and indices.shape[-1] == 1:
        indices = indices.squeeze(-1)
    hot = torch.nn.functional.one_hot(indices.clamp(min=0).long(), depth)
    hot = hot.masked_fill((indices < 0).unsqueeze(-1), 0).to(torch.float32)
    if output_mode == "one_hot":
        return hot
    if count_weights is not None:
        hot = hot * count_weights.to(torch.float32).unsqueeze(-1)
    axis = 1 if indices.dim() > 1 else 0
    if output_mode == "multi_hot":
        return hot.amax(dim=axis)
    return hot.sum(dim=axis)


def to_numpy(value: Any) -> np.ndarray:
    """A batch as a numpy array: text as str (bytes decoded as UTF-8), numbers as they are."""
    if torch.is_tensor(value):
        return value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind == "S":
        return np.char.decode(array, "utf-8")
    if array.dtype == object:
        flat = [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.reshape(-1)]
        if all(isinstance(v, str) for v in flat):
            return np.array(flat, dtype=str).reshape(array.shape)
    return array


def adapt_batches(data: Any, steps: int | None, where: str) -> Iterator[Any]:
    """The batches ``adapt`` reads, as Keras's ``adapt`` sees them: a list, tuple, array or tensor
    is one batch; any other iterable (a generator, a ``DataLoader``, a batched dataset) yields
    batches (of ``(x, y)`` pairs, ``x`` is used), at most ``steps`` of them."""
    if isinstance(data, (list, tuple, np.ndarray, str, bytes)) or torch.is_tensor(data):
        if isinstance(data, (str, bytes)):
            raise TypeError(
                f"{where}: expected a list, array or dataset of samples, received one string "
                f"{data!r}. Wrap it in a list: adapt([text])."
            )
        yield data
        return
    if not isinstance(data, Iterable):
        raise TypeError(
            f"{where}: expected a list, a numpy array, a tensor or an iterable of batches (a "
            f"generator, a DataLoader, a dataset), received {type(data).__name__}."
        )
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            return
        if _is_pair(batch):
            batch = batch[0]  # (x, y) or (x, y, sample_weight): the x
        yield batch


def _is_pair(batch: Any) -> bool:
    """An ``(x, y[, sample_weight])`` batch: its second item holds numbers (the labels)."""
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        return False
    labels = batch[1]
    if torch.is_tensor(labels):
        return True
    return isinstance(labels, np.ndarray) and labels.dtype.kind in "iufb"
