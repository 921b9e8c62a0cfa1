"""Keras 2's text ``Tokenizer`` (``keras.preprocessing.text``), which Keras 3 removed.

Words -> integer ids for ``Embedding``: ``fit_on_texts`` counts words, ids go by frequency (most
frequent first, ties in order of first appearance; id 0 is never used, the ``oov_token`` is 1), and
``texts_to_sequences`` keeps ids below ``num_words``. The results equal Keras 2's (checked against
``keras-preprocessing`` 1.1.2), so models trained on its ids keep working.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["Tokenizer", "text_to_word_sequence", "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(
    text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " "
) -> list[str]:
    """Split ``text`` into words: lower-cased, each ``filters`` character turned into a split.

    Example:
        >>> text_to_word_sequence("The cat, the HAT!")
        ['the', 'cat', 'the', 'hat']
    """
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [word for word in text.split(split) if word]


class Tokenizer:
    """Turns texts into sequences of word ids, as Keras 2's ``Tokenizer``.

    Args:
        num_words: Keep only the ``num_words - 1`` most frequent words when converting (all are
            counted); ``None`` keeps every word.
        filters: Characters removed from the texts (they split words).
        lower: Lower-case the texts.
        split: The word separator.
        char_level: Every character is a token.
        oov_token: A token (id 1) that stands for words not in the vocabulary (or beyond
            ``num_words``); without it such words are dropped.
        document_count: Texts counted so far (for ``tfidf``).

    Example:
        >>> tokenizer = Tokenizer(num_words=100, oov_token="<OOV>")
        >>> tokenizer.fit_on_texts(["the cat sat", "the dog"])
        >>> tokenizer.texts_to_sequences(["the cat and the dog"])
        [[2, 3, 1, 2, 5]]
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        document_count: int = 0,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"Tokenizer() got unexpected keyword arguments {sorted(kwargs)}.")
        if num_words is not None and (
            isinstance(num_words, bool) or not isinstance(num_words, int) or num_words < 1
        ):
            raise ValueError(
                f"Tokenizer: expected num_words to be a positive integer or None, received "
                f"num_words={num_words!r}."
            )
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.document_count = document_count
        self.word_counts: dict[str, int] = {}  # in order of first appearance
        self.word_docs: defaultdict[str, int] = defaultdict(int)
        self.index_docs: defaultdict[int, int] = defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    def _tokens(self, text: str | list[str]) -> list[str]:
        if isinstance(text, list) or self.char_level:
            return [t.lower() for t in text] if self.lower else list(text)
        if not isinstance(text, str):
            raise TypeError(
                f"Tokenizer expects texts as strings (or lists of tokens), received "
                f"{type(text).__name__}: {text!r}."
            )
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[str | list[str]]) -> None:
        """Count the words of ``texts`` and (re)build ``word_index``."""
        if isinstance(texts, str):
            raise TypeError("fit_on_texts expects a list of texts, received one string.")
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        # sorted() is stable: words with equal counts keep their order of first appearance.
        by_count = sorted(self.word_counts, key=self.word_counts.__getitem__, reverse=True)
        vocabulary = ([self.oov_token] if self.oov_token is not None else []) + by_count
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences: Iterable[Sequence[int]]) -> None:
        """Count in how many sequences each id occurs (for ``tfidf`` on sequences)."""
        sequences = list(sequences)
        self.document_count += len(sequences)
        for sequence in sequences:
            for i in set(sequence):
                self.index_docs[i] += 1

    def _kept(self, i: int) -> bool:
        return not self.num_words or i < self.num_words

    def texts_to_sequences(self, texts: Iterable[str | list[str]]) -> list[list[int]]:
        """Each text as its word ids (see ``num_words`` and ``oov_token``)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str | list[str]]) -> Iterator[list[int]]:
        if isinstance(texts, str):
            raise TypeError("texts_to_sequences expects a list of texts, received one string.")
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for text in texts:
            ids = []
            for token in self._tokens(text):
                i = self.word_index.get(token)
                if i is not None and self._kept(i):
                    ids.append(i)
                elif oov is not None:
                    ids.append(oov)
            yield ids

    def sequences_to_texts(self, sequences: Iterable[Sequence[int]]) -> list[str]:
        """Each sequence of ids back as a text (unknown ids dropped, or the ``oov_token``)."""
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        texts = []
        for sequence in sequences:
            words = []
            for i in sequence:
                word = self.index_word.get(i)
                if word is not None and self._kept(i):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            texts.append(" ".join(words))
        return texts

    def texts_to_matrix(self, texts: Iterable[str | list[str]], mode: str = "binary") -> np.ndarray:
        """Bag-of-words rows ``(len(texts), num_words)``; see :meth:`sequences_to_matrix`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(
        self, sequences: Sequence[Sequence[int]], mode: str = "binary"
    ) -> np.ndarray:
        """One row per sequence over the ids: ``"binary"`` (0/1), ``"count"``, ``"freq"`` (count
        / length) or ``"tfidf"`` (``(1 + log count) * log(1 + documents / (1 + documents with
        the id))``)."""
        if mode not in _MODES:
            raise ValueError(f"Unknown vectorization mode {mode!r}; use one of {list(_MODES)}.")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("Give the Tokenizer num_words, or fit it on texts first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on texts or sequences before using mode='tfidf'.")
        matrix = np.zeros((len(sequences), width))
        for row, sequence in enumerate(sequences):
            counts = Counter(i for i in sequence if i < width)
            for i, count in counts.items():
                if mode == "count":
                    matrix[row, i] = count
                elif mode == "freq":
                    matrix[row, i] = count / len(sequence)
                elif mode == "binary":
                    matrix[row, i] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(i, 0)))
                    matrix[row, i] = (1 + np.log(count)) * idf
        return matrix

    def get_config(self) -> dict[str, Any]:
        """Settings and counts, in Keras 2's format (its dictionaries as JSON strings)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The tokenizer as JSON, readable by :func:`tokenizer_from_json` (and by Keras 2's)."""
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """A :class:`Tokenizer` from :meth:`Tokenizer.to_json` (or Keras 2's ``to_json``).

    Example:
        >>> tokenizer = Tokenizer()
        >>> tokenizer.fit_on_texts(["a b b"])
        >>> tokenizer_from_json(tokenizer.to_json()).word_index
        {'b': 1, 'a': 2}
    """
    config = dict(json.loads(json_string)["config"])
    counts = {k: json.loads(config.pop(k)) for k in ("word_counts", "word_docs")}
    indexes = {k: json.loads(config.pop(k)) for k in ("index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = counts["word_counts"]
    tokenizer.word_docs = defaultdict(int, counts["word_docs"])
    # JSON keys are strings: the ids come back as ints.
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in indexes["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in indexes["index_word"].items()}
    tokenizer.word_index = indexes["word_index"]
    return tokenizer
