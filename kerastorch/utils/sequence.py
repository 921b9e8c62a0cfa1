"""pad_sequences: ragged sequences -> one padded array, as ``keras.utils.pad_sequences``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["pad_sequences"]

_SIDES = ("pre", "post")


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or truncate) sequences to one length, exactly as ``keras.utils.pad_sequences``.

    Each sequence is a list or array of steps; a step is a scalar or a feature array, the same
    shape for every step (taken from the first non-empty sequence). Shorter sequences are
    filled with ``value``; longer ones are cut to ``maxlen``.

    Args:
        sequences: A list (or other sized collection) of sequences.
        maxlen: Length of the result; defaults to the longest sequence.
        dtype: dtype of the result. Values are converted with numpy, so floats become
            ``int32`` by truncation under the default ``dtype``.
        padding: ``"pre"`` (the default, as in Keras) fills before each sequence, ``"post"``
            after it.
        truncating: ``"pre"`` (the default) drops steps from the start of a longer sequence,
            keeping its end; ``"post"`` drops them from the end.
        value: The padding value, converted to ``dtype``.

    Returns:
        A numpy array of shape ``(len(sequences), maxlen, *step_shape)``.

    Raises:
        ValueError: for ``padding`` or ``truncating`` other than ``"pre"`` / ``"post"``, a
            sequence that is not iterable, steps of different shapes, a negative ``maxlen``, or a
            string ``value`` with a non-string ``dtype``.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
        array([[1, 0],
               [2, 3],
               [4, 5]], dtype=int32)
    """
    # Keras checks padding / truncating only once it meets a sequence that needs them; checking
    # first gives the same error for every input, including one of empty sequences.
    for arg, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(
                f'pad_sequences: expected {arg}="pre" or "post", received {arg}={side!r}.'
            )
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"pad_sequences: expected a sized collection of sequences (e.g. a list), received "
            f"{type(sequences).__name__}."
        )
    if maxlen is not None and (
        isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0
    ):
        raise ValueError(
            f"pad_sequences: expected maxlen to be an integer >= 0 or None, received "
            f"maxlen={maxlen!r}."
        )

    # 1. Lengths, and the shape of one step from the first non-empty sequence.
    lengths = []
    step_shape: tuple[int, ...] = ()
    found_step_shape = False
    for index, seq in enumerate(sequences):
        try:
            lengths.append(len(seq))
        except TypeError:
            raise ValueError(
                f"pad_sequences: every sequence must be a list or array, received "
                f"{type(seq).__name__} {seq!r} at position {index}."
            ) from None
        if not found_step_shape and len(seq):
            step_shape = np.asarray(seq).shape[1:]
            found_step_shape = True
    if maxlen is None:
        maxlen = max(lengths, default=0)
    maxlen = int(maxlen)

    is_string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_string_dtype:
        raise ValueError(
            f"pad_sequences: dtype {dtype} cannot hold the string value={value!r}; use "
            "dtype=object for variable-length strings."
        )

    # 2. Fill, then copy each sequence's kept steps to its side.
    result = np.full((len(sequences), maxlen, *step_shape), value, dtype=dtype)
    if maxlen == 0:
        return result
    for index, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != step_shape:
            raise ValueError(
                f"pad_sequences: every step must have the shape {step_shape} of the first "
                f"non-empty sequence's steps; the sequence at position {index} has steps of "
                f"shape {kept.shape[1:]}."
            )
        if padding == "post":
            result[index, : len(kept)] = kept
        else:
            result[index, -len(kept) :] = kept
    return result
