"""train_on_batch / test_on_batch / predict_on_batch, get_layer and trainable_weights as Keras 3's."""

import numpy as np
import pytest

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, BatchNormalization, Dense, Dropout
from tests.helpers import assert_close

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 5, 3)).astype("float32")
Y = RNG.normal(size=(8, 1)).astype("float32")


def twins(keras):
    reference = keras.Sequential(
        [
            keras.Input((5, 3)),
            keras.layers.LSTM(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1),
        ]
    )
    model = Sequential([Input((5, 3)), LSTM(4), BatchNormalization(), Dropout(0.3), Dense(1)])
    model.set_weights(reference.get_weights())
    reference.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.compile(optimizer=kerastorch.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model, reference


def test_a_sequence_of_on_batch_calls_matches_keras(keras):
    model, reference = twins(keras)
    model.layers[2].rate = reference.layers[2].rate = 0.0  # dropout draws differ; BN does not
    for _ in range(3):
        assert_close(model.train_on_batch(X, Y), reference.train_on_batch(X, Y), atol=1e-5)
    assert_close(model.test_on_batch(X, Y), reference.test_on_batch(X, Y), atol=1e-5)
    expected = reference.train_on_batch(X, Y, return_dict=True)
    actual = model.train_on_batch(X, Y, return_dict=True)
    assert sorted(actual) == sorted(expected)
    assert_close(
        [actual[k] for k in sorted(actual)], [expected[k] for k in sorted(expected)], atol=1e-5
    )
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)  # incl. BatchNormalization's moving statistics
    assert_close(model.predict_on_batch(X), reference.predict_on_batch(X), atol=1e-5)
    assert not model.training  # back in inference mode after the step


def test_train_on_batch_with_class_weight_matches_keras(keras):
    labels = np.array([0, 1, 1, 0, 1, 1, 1, 0])[:, None].astype("float32")
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    model.set_weights(reference.get_weights())
    reference.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.5), loss="binary_crossentropy")
    x = X[:, 0, :]
    for _ in range(2):
        assert_close(
            model.train_on_batch(x, labels, class_weight={0: 3.0, 1: 0.5}),
            reference.train_on_batch(x, labels, class_weight={0: 3.0, 1: 0.5}),
            atol=1e-5,
        )
    assert_close(model.get_weights()[0], reference.get_weights()[0], atol=1e-5)


def test_trainable_and_non_trainable_weights_like_keras(keras):
    model, reference = twins(keras)
    model.layers[0].trainable = reference.layers[0].trainable = False

    def shapes(weights):
        return [tuple(w.shape) for w in weights]

    assert shapes(model.trainable_weights) == shapes(reference.trainable_weights)
    assert shapes(model.non_trainable_weights) == shapes(reference.non_trainable_weights)
    assert_close(model.non_trainable_weights[0], np.asarray(reference.non_trainable_weights[0]))


def test_get_layer_by_name_and_index(keras):
    model, reference = twins(keras)
    assert model.get_layer("lstm") is model.layers[0]
    assert model.get_layer(index=-1).name == "dense"
    assert reference.get_layer(index=-1) is reference.layers[-1]  # Keras's meaning of index
    with pytest.raises(ValueError, match=r'No such layer: lstn\. .* Did you mean "lstm"\?'):
        model.get_layer("lstn")
    with pytest.raises(ValueError, match="give either name or index"):
        model.get_layer()


def test_on_batch_needs_compile_and_targets():
    model = Sequential([Input((3,)), Dense(1)])
    with pytest.raises(RuntimeError, match="must be compiled before train_on_batch"):
        model.train_on_batch(X[:, 0], Y)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"train_on_batch\(x, y\): y is missing"):
        model.train_on_batch(X[:, 0])
