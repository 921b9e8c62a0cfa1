"""Keras 2's ``keras.preprocessing.text`` (Keras 3 removed it; kerastorch keeps its tokenizer).

Example:
    >>> from kerastorch.preprocessing.text import Tokenizer
    >>> tokenizer = Tokenizer()
    >>> tokenizer.fit_on_texts(["the cat sat", "the dog"])
    >>> tokenizer.texts_to_sequences(["the dog sat"])
    [[1, 4, 3]]
"""

from kerastorch.utils import Tokenizer, text_to_word_sequence, tokenizer_from_json

__all__ = ["Tokenizer", "text_to_word_sequence", "tokenizer_from_json"]
