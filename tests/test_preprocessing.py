"""Normalization: the statistics adapt learns, its outputs and its weights equal Keras's."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense, Normalization
from kerastorch.models import load_model
from tests.helpers import assert_close

RNG = np.random.default_rng(0)
TABLE = RNG.normal(3.0, 2.0, size=(50, 4)).astype("float32")
SEQUENCES = RNG.normal(-1.0, 0.5, size=(12, 6, 3)).astype("float32")


def as_numpy(keras, value):
    return np.asarray(keras.ops.convert_to_numpy(value))


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        (TABLE, {}),
        (TABLE, {"axis": None}),
        (TABLE, {"invert": True}),
        (SEQUENCES, {}),
        (SEQUENCES, {"axis": (1, 2)}),
        (SEQUENCES, {"axis": 1}),
    ],
)
def test_adapt_and_outputs_match_keras(keras, data, kwargs):
    reference = keras.layers.Normalization(**kwargs)
    reference.adapt(data)
    layer = Normalization(**kwargs)
    layer.adapt(data)
    for ours, theirs in zip(layer.get_weights(), reference.get_weights(), strict=True):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert_close(ours, theirs, atol=1e-5)
    x = data[:5] * 1.5
    assert_close(layer(torch.from_numpy(x)), as_numpy(keras, reference(x)), atol=1e-5)


def test_adapt_on_batches_equals_adapt_on_the_whole_array(keras):
    reference = keras.layers.Normalization()
    reference.adapt(SEQUENCES)
    expected = reference.get_weights()[:2]
    batches = [SEQUENCES[:5], SEQUENCES[5:7], SEQUENCES[7:]]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(SEQUENCES), torch.zeros(12)), batch_size=5
    )
    for source in (batches, iter(batches), loader):
        layer = Normalization()
        layer.adapt(source)
        assert_close(layer.get_weights()[:2], expected, atol=1e-5)


def test_fixed_mean_and_variance_match_keras(keras):
    for mean, variance in ((3.0, 4.0), ([1.0, 2.0, 3.0, 4.0], [1.0, 4.0, 9.0, 0.0])):
        reference = keras.layers.Normalization(mean=mean, variance=variance)
        layer = Normalization(mean=mean, variance=variance)
        assert_close(layer(torch.from_numpy(TABLE)), as_numpy(keras, reference(TABLE)), atol=1e-5)
        assert layer.get_weights() == [] == reference.get_weights()
        assert list(layer.state_dict()) == []


def test_in_a_model_like_keras_counts_and_weights_included(keras):
    reference = keras.Sequential([keras.Input((None, 3)), keras.layers.Normalization()])
    reference.add(keras.layers.LSTM(4))
    reference.add(keras.layers.Dense(1))
    reference.layers[0].adapt(SEQUENCES)
    model = Sequential([Input((None, 3)), Normalization(), LSTM(4), Dense(1)])
    model.set_weights(reference.get_weights())
    assert model.count_params() == reference.count_params()
    lines = []
    model.summary(print_fn=lines.append)
    assert "Non-trainable params: 7 (28.00 B)" in lines[0]  # mean 3 + variance 3 + count
    assert_close(model.predict(SEQUENCES, verbose=0), reference.predict(SEQUENCES, verbose=0))


def test_an_adapted_layer_gives_a_sequential_its_input_shape_and_training_leaves_it():
    normalizer = Normalization()
    normalizer.adapt(SEQUENCES)
    model = Sequential([normalizer, LSTM(4), Dense(1)])
    assert model.built and model.input_shape == (None, None, 3)
    mean = normalizer.get_weights()[0].copy()
    model.compile(optimizer="adam", loss="mse")
    model.fit(SEQUENCES, np.ones((12, 1)), epochs=2, verbose=0)
    np.testing.assert_array_equal(normalizer.get_weights()[0], mean)  # not trained
    # The outputs are (x - mean) / std, by hand.
    std = np.sqrt(normalizer.get_weights()[1])
    assert_close(normalizer(torch.from_numpy(SEQUENCES)), (SEQUENCES - mean) / std, atol=1e-5)


def test_keras_files_and_kt_round_trip(keras, tmp_path):
    model = Sequential([Input((4,)), Normalization(), Dense(2)])
    model.layers[0].adapt(TABLE)
    expected = model.predict(TABLE, verbose=0)
    model.save(tmp_path / "norm.keras")
    assert_close(
        keras.models.load_model(tmp_path / "norm.keras").predict(TABLE, verbose=0), expected
    )
    model.save(tmp_path / "norm.kt")
    assert_close(load_model(tmp_path / "norm.kt").predict(TABLE, verbose=0), expected, atol=0)
    reference = keras.Sequential(
        [keras.Input((4,)), keras.layers.Normalization(mean=1.0, variance=4.0)]
    )
    reference.save(tmp_path / "fixed.keras")
    loaded = load_model(tmp_path / "fixed.keras")
    assert_close(loaded.predict(TABLE, verbose=0), (TABLE - 1.0) / 2.0, atol=1e-6)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Normalization(mean=1.0), ValueError, "give both mean and variance, or neither"),
        (
            lambda: Normalization(mean=[1.0, 2.0], variance=[1.0]),
            ValueError,
            r"mean and variance must have one shape, received \(2,\) and \(1,\)",
        ),
        (
            lambda: Normalization(mean=1.0, variance=1.0).adapt(TABLE),
            ValueError,
            "was given its mean and variance; adapt\\(\\) would replace them",
        ),
        (lambda: Normalization(axis=3).adapt(TABLE), ValueError, "axis=\\(3,\\) is out of range"),
        (lambda: Normalization().adapt([]), ValueError, "received no data"),
        (
            lambda: Normalization().adapt(5),
            TypeError,
            "must be an array, a tensor or an iterable of batches",
        ),
        (
            lambda: Normalization().adapt(np.array([[1.0, np.nan]])),
            ValueError,
            "adapt\\(\\) data contains NaN or infinite values",
        ),
    ],
)
def test_bad_input_is_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_nested_list_of_numbers_is_one_batch():
    layer = Normalization()
    layer.adapt([[1.0, 2.0], [3.0, 6.0]])  # Keras refuses it; it is one (2, 2) array
    mean, variance, _ = layer.get_weights()
    np.testing.assert_allclose(mean, [2.0, 4.0])
    np.testing.assert_allclose(variance, [1.0, 4.0])


def test_adapt_data_of_another_width_is_refused():
    layer = Normalization(name="norm")
    layer.adapt(TABLE)
    with pytest.raises(ValueError, match=r"Normalization 'norm' was built for inputs of shape"):
        layer.adapt(TABLE[:, :3])


def test_kerastorch_layers_namespace_has_it():
    assert kerastorch.layers.Normalization is Normalization
