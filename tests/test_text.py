"""kerastorch.utils.Tokenizer against Keras 2's (keras-preprocessing 1.1.2, the oracle here:
Keras 3 has no Tokenizer)."""

import numpy as np
import pytest

from kerastorch.utils import Tokenizer, text_to_word_sequence, tokenizer_from_json

keras_text = pytest.importorskip("keras_preprocessing.text")

TEXTS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "A cat, a dog; and THE bird?\tFlew\naway",
    "",
    "dog dog dog",
]
NEW = ["the cat and the zebra", "bird bird flew", "unseen words only"]

SETTINGS = [
    {},
    {"num_words": 5},
    {"oov_token": "<OOV>"},
    {"num_words": 4, "oov_token": "<OOV>"},
    {"lower": False, "filters": ".,"},
    {"char_level": True, "num_words": 8, "oov_token": "?"},
    {"split": ";"},
]


@pytest.mark.parametrize("kwargs", SETTINGS, ids=lambda k: str(k))
def test_tokenizer_matches_keras_2(kwargs):
    ours, theirs = Tokenizer(**kwargs), keras_text.Tokenizer(**kwargs)
    ours.fit_on_texts(TEXTS)
    theirs.fit_on_texts(TEXTS)
    assert ours.word_index == theirs.word_index
    assert list(ours.word_counts.items()) == list(theirs.word_counts.items())
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    assert ours.texts_to_sequences(NEW + TEXTS) == theirs.texts_to_sequences(NEW + TEXTS)
    sequences = [*theirs.texts_to_sequences(NEW), [1, 2, 3, 99]]
    assert ours.sequences_to_texts(sequences) == theirs.sequences_to_texts(sequences)
    for mode in ("binary", "count", "freq", "tfidf"):
        np.testing.assert_allclose(
            ours.texts_to_matrix(NEW, mode=mode), theirs.texts_to_matrix(NEW, mode=mode)
        )


def test_json_round_trips_with_keras_2():
    ours = Tokenizer(num_words=6, oov_token="<OOV>")
    ours.fit_on_texts(TEXTS)
    theirs = keras_text.tokenizer_from_json(ours.to_json())
    assert theirs.texts_to_sequences(NEW) == ours.texts_to_sequences(NEW)
    back = tokenizer_from_json(theirs.to_json())
    assert back.word_index == ours.word_index and back.index_word == ours.index_word
    np.testing.assert_allclose(
        back.texts_to_matrix(NEW, mode="tfidf"), ours.texts_to_matrix(NEW, mode="tfidf")
    )


def test_fit_on_sequences_and_word_sequence_match_keras_2():
    ours, theirs = Tokenizer(num_words=6), keras_text.Tokenizer(num_words=6)
    sequences = [[1, 2, 2], [3], [2, 5, 9]]
    ours.fit_on_sequences(sequences)
    theirs.fit_on_sequences(sequences)
    np.testing.assert_allclose(
        ours.sequences_to_matrix(sequences, mode="tfidf"),
        theirs.sequences_to_matrix(sequences, mode="tfidf"),
    )
    for text in TEXTS:
        assert text_to_word_sequence(text) == keras_text.text_to_word_sequence(text)


def test_bad_input_is_named():
    tokenizer = Tokenizer()
    with pytest.raises(TypeError, match="expects a list of texts, received one string"):
        tokenizer.fit_on_texts("one text")
    with pytest.raises(TypeError, match="expects texts as strings .* received int: 3"):
        tokenizer.fit_on_texts(["fine", 3])
    with pytest.raises(ValueError, match="fit it on texts first"):
        Tokenizer().texts_to_matrix(["a"])
    tokenizer.fit_on_texts(["a b"])
    with pytest.raises(ValueError, match=r"Unknown vectorization mode 'bag'"):
        tokenizer.texts_to_matrix(["a"], mode="bag")
    with pytest.raises(ValueError, match="num_words to be a positive integer or None"):
        Tokenizer(num_words=0)
