"""Masks flow through Sequential with Keras's rules, and masked models match Keras 3."""

import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import (
    LSTM,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Masking,
)
from tests.helpers import assert_close


def padded_features(pad="post"):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 7, 3)).astype("float32")
    lengths = [7, 3, 1, 5, 2]
    for i, n in enumerate(lengths):
        if pad == "post":
            x[i, n:] = 0.0
        else:
            x[i, : 7 - n] = 0.0
    return x


def twins(keras, make):
    keras_model = keras.Sequential(make(keras.layers, keras.Input))
    model = Sequential(make(kerastorch.layers, Input))
    model.set_weights(keras_model.get_weights())
    return model, keras_model


@pytest.mark.parametrize("pad", ["post", "pre"])
def test_masking_lstm_pooling_matches_keras(keras, pad):
    def make(layers, input_):
        return [
            input_((None, 3)),
            layers.Masking(0.0),
            layers.LSTM(4, return_sequences=True),
            layers.Dropout(0.5),
            layers.LSTM(4, return_sequences=True),
            layers.GlobalAveragePooling1D(),
            layers.Dense(2),
        ]

    model, keras_model = twins(keras, make)
    x = padded_features(pad)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))


def test_embedding_mask_zero_lstm_matches_keras(keras):
    def make(layers, input_):
        return [
            input_((None,)),
            layers.Embedding(20, 5, mask_zero=True),
            layers.LSTM(6),
            layers.Dense(1),
        ]

    model, keras_model = twins(keras, make)
    ids = np.array([[4, 9, 2, 0, 0], [0, 0, 3, 3, 1], [7, 0, 5, 0, 8]], "int64")
    assert_close(model.predict(ids, verbose=0), keras_model.predict(ids, verbose=0))


def test_ragged_token_lists_equal_keras_on_padded_ids(keras):
    def make(layers, input_):
        return [
            input_((None,)),
            layers.Embedding(20, 5, mask_zero=True),
            layers.LSTM(6),
            layers.Dense(1),
        ]

    model, keras_model = twins(keras, make)
    tokens = [[4, 9, 2], [3, 3, 1, 7, 7, 2], [5], [8, 1]]
    padded = keras.utils.pad_sequences(tokens, padding="post")
    assert_close(model.predict(tokens, verbose=0), keras_model.predict(padded, verbose=0))


def test_masked_sequence_loss_in_fit_matches_keras(keras):
    """A per-step target with an output mask: Keras averages the loss over valid steps only."""

    def make(layers, input_):
        return [
            input_((None,)),
            layers.Embedding(12, 4, mask_zero=True),
            layers.LSTM(5, return_sequences=True),
            layers.Dense(1),
        ]

    model, keras_model = twins(keras, make)
    rng = np.random.default_rng(2)
    ids = rng.integers(1, 12, size=(10, 6))
    ids[np.arange(10)[:, None] >= rng.integers(1, 7, size=(10, 1)) + 0 * np.arange(6)] = 0
    y = rng.normal(size=(10, 6, 1)).astype("float32")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    assert_close(
        model.evaluate(ids, y, verbose=0), keras_model.evaluate(ids, y, verbose=0), atol=1e-5
    )
    args = {"batch_size": 4, "epochs": 2, "shuffle": False, "verbose": 0}
    expected = keras_model.fit(ids, y, **args).history
    actual = model.fit(ids, y, **args).history
    for key in expected:
        assert_close(actual[key], expected[key], atol=1e-5)


def test_mask_passes_through_dense_and_dropout_and_is_consumed_by_lstm():
    model = Sequential(
        [Input((None, 3)), Masking(), Dense(4), Dropout(0.1), LSTM(2, return_sequences=True)]
    )
    x = torch.from_numpy(padded_features())
    _, mask = model(x, return_mask=True)
    assert mask.sum(1).tolist() == [7, 3, 1, 5, 2]
    last = Sequential([Input((None, 3)), Masking(), LSTM(2)])
    _, mask = last(x, return_mask=True)
    assert mask is None  # consumed: the last step's output has no timesteps


def test_a_layer_that_drops_a_mask_warns():
    model = Sequential([Input((7, 3)), Masking(), LSTM(2, return_sequences=True), Flatten()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model(torch.from_numpy(padded_features()))
    assert any("Flatten 'flatten' does not support masking" in str(w.message) for w in caught)


def test_embedding_id_out_of_range_is_named():
    model = Sequential([Input((None,)), Embedding(10, 2, name="tokens")])
    with pytest.raises(
        Exception, match="Embedding 'tokens': expected ids in \\[0, 10\\), received id 12"
    ):
        model.predict(np.array([[1, 12]]), verbose=0)


def test_predict_on_a_padded_array_returns_the_full_array_like_keras(keras):
    """Only ragged input is trimmed per sequence; a padded array the user gave comes back whole."""

    def make(layers, input_):
        return [input_((None, 3)), layers.Masking(0.0), layers.LSTM(4, return_sequences=True)]

    model, keras_model = twins(keras, make)
    x = padded_features("pre")
    actual = model.predict(x, verbose=0)
    assert isinstance(actual, np.ndarray) and actual.shape == (5, 7, 4)
    assert_close(actual, keras_model.predict(x, verbose=0))
