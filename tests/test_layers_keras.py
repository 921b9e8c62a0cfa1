"""Layer outputs equal Keras 3's with the same weights (copied with set_weights)."""

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Activation, Dense, Dropout, Flatten
from tests.helpers import assert_close

ACTIVATION_NAMES = [
    "relu",
    "tanh",
    "sigmoid",
    "softmax",
    "linear",
    "elu",
    "selu",
    "gelu",
    "swish",
    "silu",
    "softplus",
    "softsign",
    "hard_sigmoid",
    "leaky_relu",
    "exponential",
]


def keras_layer(keras, name, *args, **kwargs):
    return getattr(keras.layers, name)(*args, **kwargs)


def compare_models(keras, kt_layers, keras_layers, input_shape, x, atol=1e-5, rtol=0.0):
    """Build both stacks, copy Keras's weights into kerastorch, compare predictions."""
    keras_model = keras.Sequential([keras.Input(input_shape), *keras_layers])
    model = Sequential([Input(input_shape), *kt_layers])
    model.set_weights(keras_model.get_weights())
    expected = keras_model.predict(x, verbose=0)
    actual = model.predict(x, verbose=0)
    assert_close(actual, expected, atol=atol, rtol=rtol)
    assert model.count_params() == keras_model.count_params()
    return model, keras_model


LSTM_CASES = [
    {},
    {"return_sequences": True},
    {"go_backwards": True},
    {"go_backwards": True, "return_sequences": True},
    {"use_bias": False},
    {"unit_forget_bias": False},
    {"activation": "relu"},
    {"recurrent_activation": "hard_sigmoid"},
    {"activation": "softsign", "recurrent_activation": "tanh", "return_sequences": True},
    {"dropout": 0.3, "recurrent_dropout": 0.2},  # identity at inference
]


@pytest.mark.parametrize(
    "kwargs", LSTM_CASES, ids=lambda k: ",".join(f"{a}={v}" for a, v in k.items()) or "default"
)
def test_lstm_matches_keras(keras, kwargs):
    x = np.random.randn(4, 9, 3).astype("float32")
    compare_models(
        keras, [LSTM(6, **kwargs)], [keras_layer(keras, "LSTM", 6, **kwargs)], (None, 3), x
    )


def test_stacked_lstm_dropout_dense_matches_keras(keras):
    x = np.random.randn(5, 7, 5).astype("float32")
    model, keras_model = compare_models(
        keras,
        [LSTM(50, return_sequences=True), Dropout(0.2), LSTM(20), Dense(1)],
        [
            keras.layers.LSTM(50, return_sequences=True),
            keras.layers.Dropout(0.2),
            keras.layers.LSTM(20),
            keras.layers.Dense(1),
        ],
        (None, 5),
        x,
    )
    assert model.count_params() == 16901
    # The same model runs on any sequence length without a rebuild.
    x_long = np.random.randn(3, 31, 5).astype("float32")
    assert_close(model.predict(x_long, verbose=0), keras_model.predict(x_long, verbose=0))


def test_lstm_return_state_matches_keras(keras):
    x = np.random.randn(3, 6, 4).astype("float32")
    keras_lstm = keras.layers.LSTM(5, return_state=True, return_sequences=True)
    expected = keras_lstm(x)
    lstm = LSTM(5, return_state=True, return_sequences=True)
    lstm.build_from_shape((None, None, 4))
    lstm.set_weights(keras_lstm.get_weights())
    actual = lstm(torch.from_numpy(x))
    assert len(actual) == 3
    for a, e in zip(actual, expected, strict=True):
        assert_close(a, e.detach())


def test_lstm_initial_state_matches_keras(keras):
    x = np.random.randn(3, 6, 4).astype("float32")
    h0, c0 = np.random.randn(3, 5).astype("float32"), np.random.randn(3, 5).astype("float32")
    keras_lstm = keras.layers.LSTM(5, return_sequences=True)
    expected = keras_lstm(x, initial_state=[h0, c0])
    lstm = LSTM(5, return_sequences=True)
    lstm.build_from_shape((None, None, 4))
    lstm.set_weights(keras_lstm.get_weights())
    actual = lstm(torch.from_numpy(x), initial_state=[torch.from_numpy(h0), torch.from_numpy(c0)])
    assert_close(actual, expected.detach())


def test_lstm_weight_layout_is_keras(keras):
    keras_lstm = keras.layers.LSTM(4)
    keras_lstm.build((None, None, 3))
    lstm = LSTM(4)
    lstm.build_from_shape((None, None, 3))
    assert [w.shape for w in lstm.get_weights()] == [
        tuple(w.shape) for w in keras_lstm.get_weights()
    ]
    assert lstm.count_params() == 128  # 4u(in + u + 1); torch's nn.LSTM alone would have 144
    # Keras's initial bias: unit_forget_bias puts ones on the forget gate only.
    assert_close(lstm.get_weights()[2], np.r_[np.zeros(4), np.ones(4), np.zeros(8)])


def test_lstm_initializers_follow_keras_definitions():
    lstm = LSTM(64)
    lstm.build_from_shape((None, None, 32))
    kernel, recurrent, _ = lstm.get_weights()
    limit = np.sqrt(6 / (32 + 4 * 64))  # glorot_uniform over the (in, 4u) kernel
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert_close(recurrent @ recurrent.T, np.eye(64), atol=1e-4)  # orthogonal (u, 4u)


def test_lstm_bias_hh_is_a_frozen_zero_buffer():
    lstm = LSTM(3)
    lstm.build_from_shape((None, None, 2))
    names = [n for n, _ in lstm.named_parameters()]
    assert names == ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0"]
    assert "lstm.bias_hh_l0" in lstm.state_dict()
    assert torch.count_nonzero(lstm.state_dict()["lstm.bias_hh_l0"]) == 0


def test_lstm_fused_and_step_paths_agree():
    """The step-by-step path (NOTE [recurrent execution paths]) computes what nn.LSTM does."""
    x = torch.randn(3, 8, 4)
    fused = LSTM(5, return_sequences=True, return_state=True)
    fused.build_from_shape((None, None, 4))
    stepped = LSTM(5, return_sequences=True, return_state=True)
    stepped.build_from_shape((None, None, 4))
    stepped.set_weights(fused.get_weights())
    stepped.fused = False
    for a, b in zip(fused(x), stepped(x), strict=True):
        assert_close(a, b)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_dense_activation_matches_keras(keras, name):
    x = (np.random.randn(6, 4) * 3).astype("float32")
    # float32 rounding grows with the value: exponential reaches ~1e2 here.
    compare_models(
        keras,
        [Dense(3, activation=name)],
        [keras.layers.Dense(3, activation=name)],
        (4,),
        x,
        rtol=1e-6,
    )


@pytest.mark.parametrize("name", ["relu", "softmax", "gelu", "hard_sigmoid"])
def test_activation_layer_matches_keras(keras, name):
    x = (np.random.randn(2, 5, 4) * 3).astype("float32")
    compare_models(keras, [Activation(name)], [keras.layers.Activation(name)], (5, 4), x)


def test_dense_on_3d_input_matches_keras(keras):
    x = np.random.randn(4, 7, 5).astype("float32")
    compare_models(
        keras, [Dense(3, activation="tanh")], [keras.layers.Dense(3, activation="tanh")], (7, 5), x
    )


def test_flatten_after_lstm_matches_keras(keras):
    x = np.random.randn(4, 7, 3).astype("float32")
    compare_models(
        keras,
        [LSTM(4, return_sequences=True), Flatten(), Dense(3, activation="softmax")],
        [
            keras.layers.LSTM(4, return_sequences=True),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ],
        (7, 3),
        x,
    )


def test_dropout_is_identity_at_inference_and_scales_in_training(keras):
    x = np.random.rand(64, 50).astype("float32") + 1
    compare_models(keras, [Dropout(0.5)], [keras.layers.Dropout(0.5)], (50,), x)
    out = Dropout(0.5)(torch.from_numpy(x), training=True)
    kept = out != 0
    assert 0.35 < kept.float().mean() < 0.65
    assert_close(out[kept], 2 * torch.from_numpy(x)[kept])  # scaled by 1 / (1 - rate)


def test_lstm_dropout_mask_is_shared_across_timesteps():
    """Keras draws one input-dropout mask per sequence and reuses it at every step."""
    lstm = LSTM(3, dropout=0.5)
    lstm.build_from_shape((None, None, 40))
    x = torch.ones(2, 6, 40)
    mask = lstm.input_dropout_mask(x, training=True)
    assert mask.shape == (2, 1, 40)
    assert set(mask.unique().tolist()) <= {0.0, 2.0}


# -- small layers: time-axis reshaping, identity-like and normalizing ----------------------------


SMALL_LAYERS = [
    ("ZeroPadding1D", {}),
    ("ZeroPadding1D", {"padding": (1, 3)}),
    ("ZeroPadding1D", {"padding": 2, "data_format": "channels_first"}),
    ("Cropping1D", {}),
    ("Cropping1D", {"cropping": (0, 2)}),
    ("UpSampling1D", {}),
    ("UpSampling1D", {"size": 3}),
    ("Identity", {}),
    ("Rescaling", {"scale": 0.5, "offset": -1.0}),
    ("Rescaling", {"scale": [1.0, 2.0, 3.0]}),
    ("UnitNormalization", {}),
    ("UnitNormalization", {"axis": [1, 2]}),
    ("ActivityRegularization", {"l1": 0.01, "l2": 0.02}),
]


@pytest.mark.parametrize(("name", "kwargs"), SMALL_LAYERS)
def test_small_layers_match_keras_and_load_from_keras_files(keras, tmp_path, name, kwargs):
    import kerastorch
    from kerastorch.models import load_model

    x = np.random.default_rng(0).normal(size=(4, 6, 3)).astype("float32")
    x[0, 2] = 0.0  # a zero step: UnitNormalization's epsilon
    model, keras_model = compare_models(
        keras,
        [keras_layer(kerastorch, name, **kwargs), LSTM(2)],
        [keras_layer(keras, name, **kwargs), keras.layers.LSTM(2)],
        (6, 3),
        x,
    )
    assert model.layers[0].compute_output_shape((None, 6, 3)) == tuple(
        keras_model.layers[0].compute_output_shape((None, 6, 3))
    )
    keras_model.save(tmp_path / "small.keras")
    assert_close(
        load_model(tmp_path / "small.keras").predict(x, verbose=0), model.predict(x, verbose=0)
    )
    model.save(tmp_path / "back.keras")
    assert_close(
        keras.models.load_model(tmp_path / "back.keras").predict(x, verbose=0),
        model.predict(x, verbose=0),
    )


def test_activity_regularization_in_fit_matches_keras(keras):
    import kerastorch

    x = np.random.default_rng(1).normal(size=(16, 5, 3)).astype("float32")
    y = np.random.default_rng(2).normal(size=(16, 1)).astype("float32")
    model, keras_model = compare_models(
        keras,
        [LSTM(4), kerastorch.layers.ActivityRegularization(l1=0.01, l2=0.1), Dense(1)],
        [
            keras.layers.LSTM(4),
            keras.layers.ActivityRegularization(0.01, 0.1),
            keras.layers.Dense(1),
        ],
        (5, 3),
        x,
    )
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse")
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    args = {"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0}
    expected = keras_model.fit(x, y, **args).history["loss"]
    assert_close(model.fit(x, y, **args).history["loss"], expected, atol=1e-5)


def test_small_layers_name_bad_arguments():
    from kerastorch.layers import Cropping1D, Rescaling, ZeroPadding1D

    with pytest.raises(ValueError, match=r"padding to be an integer >= 0 or a pair"):
        ZeroPadding1D((1, 2, 3))
    with pytest.raises(
        ValueError, match=r"removes 4 steps \(cropping=\(2, 2\)\) from inputs of only 3"
    ):
        Sequential([Input((3, 2)), Cropping1D(2)])
    with pytest.raises(TypeError, match="expected scale to be a number or numbers"):
        Rescaling("half")
