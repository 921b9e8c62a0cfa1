"""``kerastorch.preprocessing``: Keras's ``keras.preprocessing`` import paths, so that
``from keras.preprocessing.sequence import pad_sequences`` carries over by its import alone."""

import numpy as np
import pytest

import kerastorch
from kerastorch import preprocessing, utils
from kerastorch.preprocessing import sequence, text

# Keras's image utilities need Pillow and image pipelines; kerastorch leaves them out and says so.
IMAGE_NAMES = {"image", "image_dataset_from_directory"}


def public(module):
    return {name for name in dir(module) if not name.startswith("_")}


def test_every_keras_preprocessing_name_but_images_is_here(keras):
    assert public(keras.preprocessing) - IMAGE_NAMES <= set(preprocessing.__all__)
    assert public(keras.preprocessing.sequence) == set(sequence.__all__)
    assert kerastorch.preprocessing is preprocessing


def test_pad_sequences_from_its_keras_path_equals_keras(keras):
    ragged = [[1, 2, 3, 4], [5], [], [6, 7]]
    for kwargs in (
        {},
        {"maxlen": 3},
        {"maxlen": 3, "padding": "post", "truncating": "post", "value": -1},
        {"dtype": "float32", "truncating": "pre", "maxlen": 2},
    ):
        actual = sequence.pad_sequences(ragged, **kwargs)
        expected = keras.preprocessing.sequence.pad_sequences(ragged, **kwargs)
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)


def test_timeseries_windows_from_its_keras_path():
    # Keras's own version needs TensorFlow: compared with the windows written out by hand.
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(100, 120, dtype="float32")
    dataset = preprocessing.timeseries_dataset_from_array(
        data, targets[3:], sequence_length=3, sampling_rate=2, batch_size=4
    )
    inputs, labels = next(iter(dataset))
    expected = np.stack([data[i : i + 5 : 2] for i in range(4)])
    np.testing.assert_array_equal(np.asarray(inputs), expected)
    np.testing.assert_array_equal(np.asarray(labels), targets[3:7])
    assert preprocessing.timeseries_dataset_from_array is utils.timeseries_dataset_from_array


def test_keras2_text_tokenizer_from_its_keras_path():
    tokenizer = text.Tokenizer(num_words=4, oov_token="<unk>")
    tokenizer.fit_on_texts(["The cat sat.", "The dog sat!", "the end"])
    assert tokenizer.word_index == {"<unk>": 1, "the": 2, "sat": 3, "cat": 4, "dog": 5, "end": 6}
    assert tokenizer.texts_to_sequences(["the cat sat on the mat"]) == [[2, 1, 3, 1, 2, 1]]
    assert text.text_to_word_sequence("Hello, World!") == ["hello", "world"]
    assert text.tokenizer_from_json(tokenizer.to_json()).word_index == tokenizer.word_index


@pytest.mark.parametrize(
    ("module", "name", "fix"),
    [
        (preprocessing, "image_dataset_from_directory", "torchvision.datasets.ImageFolder"),
        (preprocessing, "image", "Pillow or torchvision"),
        (sequence, "TimeseriesGenerator", "kerastorch.utils.timeseries_dataset_from_array"),
    ],
)
def test_names_left_out_say_what_to_use(module, name, fix):
    with pytest.raises(AttributeError, match=rf"has no '{name}'.*{fix}"):
        getattr(module, name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018
