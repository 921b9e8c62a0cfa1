"""``StringLookup`` and ``IntegerLookup``: a vocabulary of tokens to integer indices (and back).

NOTE [lookup vocabulary]
    The vocabulary is Keras's: ``[mask_token]`` (only with ``output_mode="int"``), then
    ``num_oov_indices`` OOV slots, then the tokens. ``adapt`` orders tokens by count, most frequent
    first, and breaks ties by the token itself, **highest first** (Keras's
    ``np.lexsort((tokens, counts))[::-1]``; strings compare as UTF-8 bytes). An unknown token goes
    to the one OOV slot, or with several to ``farmhash(token) % num_oov_indices`` (integers: ``token
    % num_oov_indices``, Keras's default ``oov_method="floormod"``), as Keras through TensorFlow.

    The vocabulary (and the TF-IDF weights) are the layer's extra state (torch's
    ``get_extra_state``): they travel in ``state_dict``, so a model saved to ``.kt`` keeps them.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.preprocessing.encoding import (
    adapt_batches,
    check_choice,
    encode_categorical,
    to_numpy,
)
from kerastorch.utils.hashing import hash_bucket

__all__ = ["IndexLookup", "IntegerLookup", "StringLookup"]

_LOOKUP_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """The shared machinery of :class:`StringLookup` and :class:`IntegerLookup` (NOTE [lookup
    vocabulary]); not a public layer."""

    takes_text = True  # raw strings (a numpy array of str) come in as they are

    _text = True  # the tokens are strings (False: integers)

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: Any = None,
        oov_token: Any = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_dtype", None)
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        where = self.describe()
        if max_tokens is not None and (
            isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens <= 1
        ):
            raise ValueError(
                f"{where}: if set, max_tokens must be an integer greater than 1, received "
                f"max_tokens={max_tokens!r}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{where}: pad_to_max_tokens=True needs max_tokens (the padded size); received "
                "max_tokens=None."
            )
        if (
            isinstance(num_oov_indices, bool)
            or not isinstance(num_oov_indices, int)
            or num_oov_indices < 0
        ):
            raise ValueError(
                f"{where}: expected num_oov_indices to be an integer >= 0, received "
                f"num_oov_indices={num_oov_indices!r}."
            )
        self.output_mode = check_choice(where, "output_mode", output_mode, _LOOKUP_MODES)
        self.oov_method = check_choice(where, "oov_method", oov_method, ("floormod", "farmhash"))
        if invert and self.output_mode != "int":
            raise ValueError(
                f"{where}: invert=True maps indices back to tokens, so output_mode must be 'int'; "
                f"received output_mode={self.output_mode!r}."
            )
        if sparse:
            raise ValueError(
                f"{where}: sparse=True needs TensorFlow's sparse tensors; kerastorch outputs "
                "dense tensors. Use sparse=False."
            )
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(
                f"{where}: idf_weights are only used with output_mode='tf_idf', received "
                f"output_mode={self.output_mode!r}."
            )
        if self.output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{where}: with a vocabulary and output_mode='tf_idf', give idf_weights too (one "
                "per vocabulary term)."
            )
        if salt is not None:
            if not self._text and self.oov_method != "farmhash":
                raise ValueError(
                    f"{where}: salt is only used with oov_method='farmhash', received "
                    f"oov_method={self.oov_method!r}."
                )
            if isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            elif not (isinstance(salt, (tuple, list)) and len(salt) == 2):
                raise ValueError(
                    f"{where}: salt must be an integer or a tuple of 2 integers, received "
                    f"salt={salt!r}."
                )
            salt = [int(s) for s in salt]
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.sparse = False
        self.salt = salt
        self.input_vocabulary = None if isinstance(vocabulary, str) else _listify(vocabulary)
        self.input_idf_weights = _listify(idf_weights)
        self._has_input_vocabulary = has_input_vocabulary
        self._config_vocabulary_size = vocabulary_size
        self._tokens: list[Any] = []
        self._index: dict[Any, int] = {}
        self._idf: np.ndarray | None = None
        self._reset_counts()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- the vocabulary --------------------------------------------------------------------------

    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, the mask and OOV slots included (0 before any)."""
        if not self._tokens:
            return self._config_vocabulary_size or 0
        return self._token_start() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The vocabulary: index ``i`` holds the token the layer maps to ``i`` (NOTE [lookup
        vocabulary]); without the mask and OOV tokens if ``include_special_tokens=False``."""
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        vocabulary = special + list(self._tokens)
        return vocabulary if include_special_tokens else vocabulary[self._token_start() :]

    def _token(self, value: Any) -> Any:
        if self._text:
            if isinstance(value, bytes):
                return value.decode("utf-8")
            return str(value)
        return int(value)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (a list, array or tensor of tokens, or a text file with one token
        a line) instead of learning it with ``adapt``; ``idf_weights`` (one per term) with
        ``output_mode="tf_idf"``. It may start with the mask and OOV tokens, in Keras's order."""
        where = self.describe()
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(
                f"{where}: output_mode='tf_idf' needs idf_weights with the vocabulary."
            )
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"{where}: idf_weights are only used with output_mode='tf_idf', received "
                f"output_mode={self.output_mode!r}."
            )
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(
                    f"{where}: output_mode='tf_idf' cannot read its vocabulary from a file; pass "
                    "a list and idf_weights."
                )
            try:
                with open(vocabulary, encoding="utf-8") as file:
                    lines = file.read().splitlines()
            except OSError as error:
                raise ValueError(
                    f"{where}: cannot read the vocabulary file {vocabulary!r}: {error}."
                ) from None
            while lines and lines[-1] == "":
                lines.pop()
            vocabulary = lines
        values = (
            to_numpy(vocabulary).reshape(-1) if not isinstance(vocabulary, list) else vocabulary
        )
        tokens = [self._token(v) for v in values]
        if not tokens:
            raise ValueError(f"{where}: cannot set an empty vocabulary.")
        token_start = self._token_start()
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        found_special = tokens[:token_start] == special
        if found_special:
            tokens = tokens[token_start:]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{where}: the vocabulary repeats terms: {repeated}. Give each term once."
            )
        for token, name in (
            (self.mask_token, "mask_token"),
            (self.oov_token if self.invert else None, "oov_token"),
        ):
            if token is not None and token in tokens:
                raise ValueError(
                    f"{where}: found the reserved {name}={token!r} inside the vocabulary. Leave "
                    f"out the mask and OOV tokens, or put them first in this order: {special}."
                )
        size = token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                f"{where}: the vocabulary has {size} entries (special tokens included), more "
                f"than max_tokens={self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(to_numpy(idf_weights), dtype=np.float64).reshape(-1)
            given = len(values)
            if len(weights) != given:
                raise ValueError(
                    f"{where}: idf_weights must have one weight per vocabulary term: "
                    f"{len(weights)} weights for {given} terms."
                )
            front = 0 if found_special else token_start
            weights = np.concatenate([np.full(front, weights.mean()), weights])
            self._idf = self._pad_idf(weights.astype(np.float32))

    def _set_tokens(self, tokens: Sequence[Any]) -> None:
        self._tokens = list(tokens)
        start = self._token_start()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}

    def _pad_idf(self, weights: np.ndarray) -> np.ndarray:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - len(weights)))
        return weights.astype(np.float32)

    # -- adapt -----------------------------------------------------------------------------------

    def _reset_counts(self) -> None:
        self._counts: collections.Counter[Any] = collections.Counter()
        self._document_counts: collections.Counter[Any] = collections.Counter()
        self._num_documents = 0

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary from ``data``: a list or array of tokens (one batch), or an
        iterable of batches (a generator, a ``DataLoader``, a dataset), at most ``steps``."""
        self._reset_counts()
        for batch in adapt_batches(data, steps, f"{self.describe()}.adapt()"):
            self.update_state(self._adapt_batch(batch))
        self.finalize_state()

    def _adapt_batch(self, batch: Any) -> list[list[Any]]:
        """A batch of adapt data as documents (lists of tokens): rows of a 2-D batch, each
        value of a 1-D one."""
        array = to_numpy(batch)
        if array.ndim == 0:
            array = array.reshape(1, 1)
        elif array.ndim == 1:
            array = array.reshape(-1, 1)
        return [[self._token(v) for v in row.reshape(-1)] for row in array]

    def update_state(self, documents: Sequence[Sequence[Any]]) -> None:
        """Count the tokens of a batch of documents (lists of tokens)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"{self.describe()} was given its vocabulary; adapt() cannot replace it. Make "
                "the layer without vocabulary= to learn one."
            )
        for document in documents:
            self._counts.update(document)
            if self.output_mode == "tf_idf":
                self._document_counts.update(set(document))
        self._num_documents += len(documents)

    def finalize_state(self) -> None:
        """Turn the counts into the vocabulary (NOTE [lookup vocabulary])."""
        if self._has_input_vocabulary or not self._counts:
            return
        for special in (self.mask_token, self.oov_token):
            self._counts.pop(special, None)

        def order(token: Any) -> Any:
            return token.encode("utf-8") if self._text else token

        ranked = sorted(self._counts, key=lambda t: (self._counts[t], order(t)), reverse=True)
        if self.max_tokens:
            ranked = ranked[: self.max_tokens - self._token_start()]
        self._set_tokens(ranked)
        if self.output_mode == "tf_idf":
            idf = np.array(
                [
                    math.log(1 + self._num_documents / (1 + self._document_counts[t]))
                    for t in ranked
                ],
                dtype=np.float32,
            )
            front = np.full(self._token_start(), idf.mean(dtype=np.float32), dtype=np.float32)
            self._idf = self._pad_idf(np.concatenate([front, idf]))
        self._reset_counts()

    # -- computing -------------------------------------------------------------------------------

    def _depth(self) -> int | None:
        if self.output_mode == "int":
            return None
        return self.max_tokens if self.pad_to_max_tokens else (self.vocabulary_size() or None)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        return (*input_shape[:-1], depth)

    def compute_output_dtype(self, input_dtype: str) -> str:
        if self.output_mode != "int":
            return "float32"
        if self.invert:
            return "string" if self._text else "int64"
        return "int64"

    def _inputs(self, inputs: Any) -> np.ndarray:
        array = to_numpy(inputs)
        if self.invert:
            if array.dtype.kind not in "iu":
                raise TypeError(
                    f"{self.describe()} (invert=True) expects integer indices, received an array "
                    f"of dtype {array.dtype}."
                )
            return array
        if self._text and array.dtype.kind not in "US":
            raise TypeError(
                f"{self.describe()} expects strings (a list or numpy array of str), received "
                f"an array of dtype {array.dtype}. For integer categories use IntegerLookup."
            )
        if not self._text and array.dtype.kind not in "iu":
            if array.dtype.kind == "f" and np.array_equal(array, np.round(array)):
                return array.astype(np.int64)
            raise TypeError(
                f"{self.describe()} expects integers, received an array of dtype {array.dtype}. "
                "For text use StringLookup."
            )
        return array

    def _oov_index(self, token: Any) -> int:
        if self.num_oov_indices == 0:
            raise ValueError(
                f"{self.describe()}: with num_oov_indices=0 every input must be in the "
                f"vocabulary, found {token!r}. Set num_oov_indices=1 to map unknown tokens to an "
                "OOV index."
            )
        if self.num_oov_indices == 1:
            return self._oov_start()
        if not self._text and self.oov_method == "floormod":
            bucket = token % self.num_oov_indices
        else:
            bucket = hash_bucket(str(token), self.num_oov_indices, self.salt)
        return self._oov_start() + bucket

    def _lookup(self, array: np.ndarray) -> np.ndarray:
        """Indices of the tokens of ``array`` (any shape); a mask token outside ``"int"`` mode
        is -1 (counted nowhere)."""
        uniques, inverse = np.unique(array.reshape(-1), return_inverse=True)
        mask_index = 0 if self.output_mode == "int" else -1
        table = np.empty(len(uniques), dtype=np.int64)
        for i, value in enumerate(uniques):
            token = self._token(value)
            if self.mask_token is not None and token == self.mask_token:
                table[i] = mask_index
            else:
                index = self._index.get(token)
                table[i] = self._oov_index(token) if index is None else index
        return table[inverse].reshape(array.shape)

    def _invert(self, array: np.ndarray) -> Any:
        vocabulary = self.get_vocabulary()
        uniques, inverse = np.unique(array.reshape(-1), return_inverse=True)
        start = self._token_start()
        table = []
        for index in uniques.tolist():
            if self.mask_token is not None and index == 0:
                table.append(self.mask_token)
            elif start <= index < len(vocabulary):
                table.append(vocabulary[index])
            else:
                table.append(self.oov_token)
        if self._text:
            values = np.array(table, dtype=object)[inverse].reshape(array.shape)
            return values.astype(str)
        return torch.as_tensor(np.array(table, dtype=np.int64)[inverse].reshape(array.shape))

    def _require_vocabulary(self) -> None:
        if not self._tokens and not (self.output_mode == "int" and self.num_oov_indices):
            raise RuntimeError(
                f"{self.describe()} has no vocabulary yet: call adapt(data) or set_vocabulary(...) "
                "first, or give vocabulary= when making it."
            )

    def forward(self, inputs: Any, training: bool | None = None) -> Any:
        self._require_vocabulary()
        array = self._inputs(inputs)
        if self.invert:
            return self._invert(array)
        indices = torch.from_numpy(self._lookup(array))
        if self.output_mode == "int":
            return indices
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        output = encode_categorical(indices, mode, self._depth())
        if self.output_mode == "tf_idf":
            output = output * torch.from_numpy(self._idf)
        return output

    # -- state and config ------------------------------------------------------------------------

    def get_extra_state(self) -> dict[str, Any]:
        """The learned vocabulary and TF-IDF weights, saved in ``state_dict`` (NOTE [lookup
        vocabulary])."""
        return {
            "tokens": list(self._tokens),
            "idf_weights": None if self._idf is None else self._idf.tolist(),
        }

    def set_extra_state(self, state: Any) -> None:
        self._set_tokens(state["tokens"])
        weights = state.get("idf_weights")
        self._idf = None if weights is None else np.asarray(weights, dtype=np.float32)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary": self.input_vocabulary,
            "idf_weights": self.input_idf_weights,
            "vocabulary_size": self.vocabulary_size() or None,
            "salt": self.salt,
        }


class StringLookup(IndexLookup):
    """Map strings to integer indices from a vocabulary, as Keras's ``StringLookup``.

    Args:
        max_tokens: The largest vocabulary ``adapt`` keeps, the mask and OOV slots included
            (the most frequent tokens); None: no limit.
        num_oov_indices: Slots for out-of-vocabulary tokens (1: all go to one index; more: a
            token's FarmHash picks its slot, as Keras's; 0: unknown tokens raise an error).
        mask_token: A token mapped to 0 (``output_mode="int"``) or dropped (other modes);
            None (default): no mask slot.
        oov_token: The token ``invert=True`` returns for OOV indices (``"[UNK]"``).
        vocabulary: The tokens (a list or array, or a text file of one token a line); else
            learn them with :meth:`adapt`.
        idf_weights: With ``output_mode="tf_idf"`` and a ``vocabulary``: one weight per term.
        invert: Map indices back to tokens.
        output_mode: ``"int"`` (indices, int64), ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"`` (float32 vectors of the vocabulary's size).
        pad_to_max_tokens: Make those vectors ``max_tokens`` long whatever the vocabulary.
        sparse: Keras's TensorFlow-only sparse output; must stay False (outputs are dense).
        encoding: The text encoding of bytes inputs; only ``"utf-8"``.
        salt: Hash OOV tokens with SipHash and this key (an int or two) instead of FarmHash.

    Inputs are strings: a list or numpy array of ``str`` (bytes are read as UTF-8).

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer(np.array([["a", "c", "d"], ["d", "z", "b"]]))
        tensor([[1, 3, 0],
                [0, 0, 2]])
        >>> layer.get_vocabulary()
        ['[UNK]', 'a', 'b', 'c']
    """

    _text = True

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        if encoding.lower().replace("-", "") != "utf8":
            raise ValueError(
                f"StringLookup: only encoding='utf-8' is supported, received encoding={encoding!r}."
            )
        self.encoding = encoding
        kwargs.pop("oov_method", None)  # strings are always hashed
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            salt=salt,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Map integers to contiguous indices from a vocabulary, as Keras's ``IntegerLookup``.

    The arguments are :class:`StringLookup`'s, for integer tokens: ``oov_token`` is ``-1`` and
    ``mask_token`` an integer (often 0) or None. With several OOV slots an unknown value ``v``
    goes to slot ``v % num_oov_indices`` (``oov_method="floormod"``, Keras's default) or to its
    FarmHash's (``oov_method="farmhash"``).

    Example:
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(torch.tensor([[12, 1138, 42], [42, 1000, 36]]))
        tensor([[1, 3, 4],
                [4, 0, 2]])
        >>> IntegerLookup(vocabulary=[12, 36], invert=True)(torch.tensor([1, 0, 2]))
        tensor([12, -1, 36])
    """

    _text = False

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported, received "
                f"vocabulary_dtype={vocabulary_dtype!r}."
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=int(oov_token),
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            oov_method=oov_method,
            salt=salt,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocabulary_dtype": "int64", "oov_method": self.oov_method}


def _listify(value: Any) -> Any:
    """Arrays and tensors as lists, for ``get_config``."""
    if value is None or isinstance(value, (str, list)):
        return value
    if torch.is_tensor(value):
        return value.tolist()
    return to_numpy(value).tolist()
