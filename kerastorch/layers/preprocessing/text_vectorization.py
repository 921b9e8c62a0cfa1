"""``TextVectorization``: raw strings to token ids (or bag-of-words vectors), as Keras's.

NOTE [text standardization]
    Keras standardizes with TensorFlow string ops, reproduced here: ``"lower"`` is
    ``tf.strings.lower``, which lower-cases **ASCII letters only** (``"É"`` stays), and
    ``"strip_punctuation"`` removes the characters of Keras's regex
    ``[!"#$%&()\\*\\+,-\\./:;<=>?@\\[\\\\\\]^_`{|}~\\']`` (ASCII punctuation). ``"whitespace"``
    splitting is ``tf.strings.split``: on runs of ASCII whitespace, empty tokens dropped.
    ``ngrams`` joins neighbouring tokens with a space, all 1-grams first, then the 2-grams, ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.preprocessing.encoding import adapt_batches, check_choice, to_numpy
from kerastorch.layers.preprocessing.index_lookup import StringLookup

__all__ = ["TextVectorization"]

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _standardized(text: str, how: str) -> str:
    if how in ("lower", "lower_and_strip_punctuation"):
        text = text.translate(_ASCII_LOWER)
    if how in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = _PUNCTUATION.sub("", text)
    return text


def _ngrams(tokens: list[str], widths: Sequence[int]) -> list[str]:
    out: list[str] = []
    for width in widths:
        out.extend(" ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1))
    return out


class TextVectorization(Layer):
    """Turn raw strings into token ids or token vectors, as Keras's ``TextVectorization``.

    Each string is standardized, split into tokens, optionally extended with n-grams, and the
    tokens are looked up in a vocabulary learned with :meth:`adapt` (most frequent first) or
    given (NOTE [text standardization]; NOTE [lookup vocabulary] in ``index_lookup.py``). Index 0
    is padding (``""``), 1 the OOV token ``"[UNK]"``.

    Args:
        max_tokens: The largest vocabulary, padding and OOV included; None: no limit.
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, None, or a callable on a numpy array of str.
        split: ``"whitespace"`` (default), ``"character"``, None (each string is one token), or
            a callable from one string to a list of tokens.
        ngrams: None, an int ``n`` (1- to n-grams) or a tuple of widths.
        output_mode: ``"int"`` (token ids, int64, padded with 0), ``"multi_hot"``, ``"count"``
            or ``"tf_idf"`` (float32 vectors of the vocabulary's size).
        output_sequence_length: With ``"int"``: pad or cut every row to this many ids (else
            to the batch's longest).
        pad_to_max_tokens: Make vectors ``max_tokens`` long whatever the vocabulary.
        vocabulary: The tokens (list, array or a text file path); else call :meth:`adapt`.
        idf_weights: With ``"tf_idf"`` and a ``vocabulary``.
        sparse: Keras's TensorFlow-only sparse output; must stay False (outputs are dense).
        ragged: Keras's TensorFlow-only ragged output; must stay False (ids are padded with 0).
        encoding: The text encoding of bytes inputs; only ``"utf-8"``.

    Inputs: strings of shape ``(batch,)`` or ``(batch, 1)`` (a list or numpy array of str).

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["The cat sat.", "The dog sat!", "The end"])
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'end', 'dog', 'cat']
        >>> layer(["the cat, the bird"])
        tensor([[2, 6, 2, 1]])
    """

    takes_text = True  # raw strings (a numpy array of str) come in as they are

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[[Any], Any] | None = "lower_and_strip_punctuation",
        split: str | Callable[[Any], Any] | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        **kwargs: Any,
    ) -> None:
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        where = self.describe()
        if not callable(standardize) and standardize is not None:
            check_choice(where, "standardize", standardize, _STANDARDIZE)
        if not callable(split) and split is not None:
            check_choice(where, "split", split, _SPLIT)
        output_mode = check_choice(
            where, "output_mode", output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf")
        )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool) and ngrams > 0)
            or (
                isinstance(ngrams, tuple)
                and ngrams
                and all(isinstance(n, int) and n > 0 for n in ngrams)
            )
        ):
            raise ValueError(
                f"{where}: ngrams must be None, a positive integer or a tuple of them, received "
                f"ngrams={ngrams!r}."
            )
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(
                    f"{where}: output_sequence_length pads token ids, so it needs "
                    "output_mode='int'; "
                    f"received output_mode={output_mode!r} and "
                    f"output_sequence_length={output_sequence_length!r}."
                )
            if (
                isinstance(output_sequence_length, bool)
                or not isinstance(output_sequence_length, int)
                or output_sequence_length <= 0
            ):
                raise ValueError(
                    f"{where}: expected output_sequence_length to be a positive integer or None, "
                    f"received output_sequence_length={output_sequence_length!r}."
                )
        if sparse or ragged:
            raise ValueError(
                f"{where}: sparse=True and ragged=True need TensorFlow's tensors; kerastorch "
                "returns "
                "dense, padded tensors. Use the defaults."
            )
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self._ngram_widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.encoding = encoding
        self.sparse = self.ragged = False
        self.lookup = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
            name=f"{self.name}_lookup",
        )

    # -- vocabulary ------------------------------------------------------------------------------

    @property
    def max_tokens(self) -> int | None:
        return self.lookup.max_tokens

    @property
    def pad_to_max_tokens(self) -> bool:
        return self.lookup.pad_to_max_tokens

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary: index ``i`` holds the token mapped to ``i`` (``""`` padding, then
        ``"[UNK]"``); without them if ``include_special_tokens=False``."""
        return self.lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The vocabulary's size, padding and OOV included."""
        return self.lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (and, for ``"tf_idf"``, its weights) instead of ``adapt``."""
        self.lookup.set_vocabulary(vocabulary, idf_weights)

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (most frequent tokens first; ties: the token sorting last
        first, as Keras) from ``data``: a list or numpy array of strings, or an iterable of
        batches of them (a generator, a ``DataLoader``, a batched dataset of ``(text, label)``
        pairs: the text is used), at most ``steps`` batches."""
        self.lookup._reset_counts()
        for batch in adapt_batches(data, steps, f"{self.describe()}.adapt()"):
            self.lookup.update_state(self._tokenize(batch))
        self.lookup.finalize_state()

    # -- computing -------------------------------------------------------------------------------

    def _tokenize(self, inputs: Any) -> list[list[str]]:
        """Standardize and split a batch of strings into one token list per string."""
        array = to_numpy(inputs)
        if array.dtype.kind not in "US":
            raise TypeError(
                f"{self.describe()} expects strings (a list or numpy array of str), received an "
                f"array of dtype {array.dtype}."
            )
        if array.ndim == 0:
            array = array.reshape(1)
        if self.split is not None and array.ndim > 1:
            if array.shape[-1] != 1 or array.ndim > 2:
                raise ValueError(
                    f"{self.describe()}: to split strings into tokens the input must be "
                    f"(batch,) or (batch, 1), received shape {array.shape}."
                )
            array = array[..., 0]
        if callable(self.standardize):
            array = to_numpy(self.standardize(array))
        elif self.standardize is not None:
            array = (
                np.vectorize(lambda s: _standardized(s, self.standardize), otypes=[str])(array)
                if array.size
                else array
            )
        rows = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
        documents = []
        for row in rows:
            if self.split is None:
                tokens = [str(v) for v in row]
            else:
                text = str(row[0])
                if self.split == "whitespace":
                    tokens = [t for t in _ASCII_WHITESPACE.split(text) if t]
                elif self.split == "character":
                    tokens = list(text)
                else:
                    tokens = [str(t) for t in to_numpy(self.split(text)).reshape(-1)]
            if self._ngram_widths is not None:
                tokens = _ngrams(tokens, self._ngram_widths)
            documents.append(tokens)
        return documents

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        batch = input_shape[0] if input_shape else None
        if self.output_mode == "int":
            return (batch, self.output_sequence_length)
        return (batch, self.lookup._depth())

    def compute_output_dtype(self, input_dtype: str) -> str:
        return "int64" if self.output_mode == "int" else "float32"

    def forward(self, inputs: Any, training: bool | None = None) -> torch.Tensor:
        documents = self._tokenize(inputs)
        self.lookup._require_vocabulary()
        if self.output_mode != "int":
            width = max((len(d) for d in documents), default=1) or 1
            padded = np.array([d + [""] * (width - len(d)) for d in documents], dtype=object)
            padded = padded.astype(str) if padded.size else np.zeros((len(documents), 0), dtype=str)
            return self.lookup(padded)  # "" is the mask token: counted nowhere
        length = self.output_sequence_length
        if length is None:
            length = max((len(d) for d in documents), default=0)
        ids = np.zeros((len(documents), length), dtype=np.int64)
        flat = [t for d in documents for t in d[:length]]
        if flat:
            looked_up = self.lookup._lookup(np.array(flat, dtype=str))
            position = 0
            for row, document in enumerate(documents):
                n = min(len(document), length)
                ids[row, :n] = looked_up[position : position + n]
                position += n
        return torch.from_numpy(ids)

    # -- config ----------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_tokens": self.lookup.max_tokens,
            "standardize": self.standardize,  # a callable must be registered to be saved
            "split": self.split,
            "ngrams": self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.lookup.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": self.lookup.input_vocabulary,
            "idf_weights": self.lookup.input_idf_weights,
            "encoding": self.encoding,
            "vocabulary_size": self.vocabulary_size() or None,
        }
