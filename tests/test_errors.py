"""Bad input gets a clear error naming the layer or argument, expected versus received."""

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense, Dropout, Flatten


def compiled_model():
    model = Sequential([Input((None, 5)), LSTM(4, name="lstm_a"), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_wrong_feature_count():
    model = compiled_model()
    with pytest.raises(ValueError, match="LSTM 'lstm_a' expects 5 features per timestep, got 3"):
        model.predict(np.zeros((2, 7, 3), "float32"), verbose=0)


def test_2d_input_to_lstm_explains_the_expected_shape():
    model = compiled_model()
    with pytest.raises(
        ValueError, match=r"expects input of shape \(batch, timesteps, features\)"
    ) as info:
        model(torch.zeros(2, 5))
    assert "x[..., None]" in str(info.value)


def test_2d_shape_to_lstm_fails_at_construction():
    with pytest.raises(ValueError, match="rank 2"):
        Sequential([Input((5,)), LSTM(3)])


def test_x_and_y_sample_counts_differ():
    with pytest.raises(
        ValueError, match=r"x and y must have the same number of samples, received x with 10"
    ):
        compiled_model().fit(np.zeros((10, 3, 5)), np.zeros((9, 1)), verbose=0)


def test_fit_before_compile():
    model = Sequential([Input((None, 5)), LSTM(4), Dense(1)])
    with pytest.raises(RuntimeError, match=r"must be compiled before fit\(\)"):
        model.fit(np.zeros((4, 3, 5)), np.zeros((4, 1)), verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"optimizer": "adma", "loss": "mse"}, 'Unknown optimizer: "adma". Did you mean "adam"?'),
        ({"optimizer": "adam", "loss": "mse_"}, 'Did you mean "mse"?'),
        ({"optimizer": "adam", "loss": "mse", "metrics": ["maee"]}, 'Did you mean "mae"?'),
    ],
)
def test_unknown_names_suggest_the_closest(kwargs, message):
    model = Sequential([Dense(1)])
    with pytest.raises(ValueError, match=message):
        model.compile(**kwargs)


def test_unknown_activation():
    with pytest.raises(ValueError, match='Unknown activation: "rleu". Did you mean "relu"?'):
        Dense(3, activation="rleu")


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5])
def test_validation_split_out_of_range(split):
    with pytest.raises(
        ValueError, match=r"Expected 0 <= validation_split < 1, received validation_split="
    ):
        compiled_model().fit(
            np.zeros((10, 3, 5)), np.zeros((10, 1)), validation_split=split, verbose=0
        )


def test_too_few_samples_to_split():
    with pytest.raises(
        ValueError, match="validation_split=0.5 of 1 samples leaves no training samples"
    ):
        compiled_model().fit(np.zeros((1, 3, 5)), np.zeros((1, 1)), validation_split=0.5, verbose=0)


def test_object_arrays_are_refused():
    with pytest.raises(TypeError, match="x must hold numbers, received an array of dtype"):
        compiled_model().fit(np.array([["a", "b"]] * 4), np.zeros((4, 1)), verbose=0)


def test_nan_inputs_are_refused_with_their_index():
    x = np.zeros((6, 3, 5), "float32")
    x[4, 1, 2] = np.nan
    with pytest.raises(ValueError, match="x contains NaN or infinite values, in 1 sample.*index 4"):
        compiled_model().fit(x, np.zeros((6, 1)), verbose=0)


@pytest.mark.parametrize("units", [0, -3, 2.5])
def test_units_must_be_positive(units):
    with pytest.raises(
        ValueError, match=rf"LSTM '.*': expected a positive integer, received units={units}"
    ):
        LSTM(units)
    with pytest.raises(
        ValueError, match=rf"Dense '.*': expected a positive integer, received units={units}"
    ):
        Dense(units)


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_dropout_rate_range(rate):
    with pytest.raises(ValueError, match=rf"expected 0 <= rate < 1, received rate={rate}"):
        Dropout(rate)


def test_flatten_with_another_length_explains_the_fix():
    model = Sequential([LSTM(4, return_sequences=True), Flatten(), Dense(1)])
    model(torch.zeros(2, 7, 3))
    with pytest.raises(ValueError, match="needs a fixed sequence length") as info:
        model(torch.zeros(2, 9, 3))
    assert "GlobalAveragePooling1D" in str(info.value) and "return_sequences=False" in str(
        info.value
    )


def test_return_state_inside_sequential_is_refused():
    with pytest.raises(ValueError, match="must return one tensor"):
        Sequential([Input((None, 3)), LSTM(4, return_state=True), Dense(1)])


def test_set_weights_with_wrong_count_and_shape():
    model = Sequential([Input((3,)), Dense(2, name="head")])
    with pytest.raises(ValueError, match=r"expects 2 weight arrays"):
        model.set_weights([np.zeros((3, 2))])
    with pytest.raises(
        ValueError, match=r"Dense 'head': weight 0 has shape \(2, 3\) but \(3, 2\) was expected"
    ):
        model.set_weights([np.zeros((2, 3)), np.zeros(2)])


def test_duplicate_layer_names():
    with pytest.raises(ValueError, match="already has a layer named 'x'"):
        Sequential([Dense(2, name="x"), Dense(2, name="x")])
