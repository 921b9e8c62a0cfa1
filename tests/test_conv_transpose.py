"""Conv1DTranspose against Keras 3's (torch backend): outputs with Keras's weights copied in,
output shapes, weight layout, initial weights, config, errors, and a keras-io style autoencoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential, layers
from tests.helpers import assert_close

CASES = [
    {"kernel_size": 3},
    {"kernel_size": 3, "padding": "same"},
    {"kernel_size": 4, "padding": "same"},
    {"kernel_size": 3, "strides": 2},
    {"kernel_size": 1, "strides": 3},  # valid, stride > kernel: max(span, strides) steps each
    {"kernel_size": 7, "strides": 2, "padding": "same", "activation": "relu"},
    {"kernel_size": 4, "strides": 2, "padding": "same"},
    {"kernel_size": 5, "strides": 3, "padding": "same"},
    {"kernel_size": 3, "strides": 2, "output_padding": 1},
    {"kernel_size": 3, "strides": 3, "padding": "same", "output_padding": 1},
    {"kernel_size": 3, "dilation_rate": 2},
    {"kernel_size": 2, "dilation_rate": 2, "padding": "same"},
    {"kernel_size": 3, "use_bias": False},
    {"kernel_size": 2, "padding": "same"},  # torch's own padding could not express this one
    {"kernel_size": 3, "strides": 2, "data_format": "channels_first", "padding": "same"},
]


def _id(kwargs):
    return ",".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("kwargs", CASES, ids=_id)
@pytest.mark.parametrize("steps", [5, 8])
def test_conv1d_transpose_matches_keras(keras, kwargs, steps):
    channels_first = kwargs.get("data_format") == "channels_first"
    x = np.random.randn(*((2, 4, steps) if channels_first else (2, steps, 4))).astype("float32")
    theirs = keras.layers.Conv1DTranspose(6, **kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x))
    ours = layers.Conv1DTranspose(6, **kwargs)
    ours.build_from_shape((None, *x.shape[1:]))
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        output = ours(torch.from_numpy(x))
    assert_close(output, expected)
    assert ours.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])
    assert tuple(theirs.compute_output_shape(x.shape))[1:] == expected.shape[1:]
    assert ours.count_params() == theirs.count_params()


def test_conv1d_transpose_unknown_length_and_weight_layout(keras):
    ours = layers.Conv1DTranspose(3, 5, strides=2, padding="same")
    ours.build_from_shape((None, None, 4))
    assert ours.compute_output_shape((None, None, 4)) == (None, None, 3)
    assert [w.shape for w in ours.get_weights()] == [(5, 3, 4), (3,)]
    assert tuple(ours.conv.weight.shape) == (4, 3, 5)  # torch's ConvTranspose1d layout


def test_conv1d_transpose_initial_kernel_follows_keras_fans(keras):
    # glorot_uniform on Keras's (kernel_size, filters, channels): limit sqrt(6 / (fan_in + fan_out))
    # with fan_in = kernel_size * filters and fan_out = kernel_size * channels.
    ours = layers.Conv1DTranspose(8, 3)
    ours.build_from_shape((None, 10, 2))
    kernel = ours.get_weights()[0]
    limit = np.sqrt(6 / (3 * 8 + 3 * 2))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.8 * limit


def test_conv1d_transpose_config_round_trips_with_keras(keras):
    ours = layers.Conv1DTranspose(4, 3, strides=2, padding="same", output_padding=1)
    config = ours.get_config()
    theirs = keras.layers.Conv1DTranspose(4, 3, strides=2, padding="same", output_padding=1)
    shared = {k: v for k, v in theirs.get_config().items() if k in config}
    for key in ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format"):
        assert tuple(np.atleast_1d(config[key])) == tuple(np.atleast_1d(shared[key]))
    assert layers.Conv1DTranspose.from_config(config).get_config() == config


def test_conv1d_transpose_errors():
    with pytest.raises(ValueError, match=r"0 <= output_padding < strides=2.*output_padding=2"):
        layers.Conv1DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="padding to be one of 'valid', 'same'"):
        layers.Conv1DTranspose(4, 3, padding="causal")
    with pytest.raises(ValueError, match="strides > 1 cannot be combined with dilation_rate > 1"):
        layers.Conv1DTranspose(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="expects 3D inputs"):
        layers.Conv1DTranspose(4, 3)(torch.zeros(2, 5))


def test_timeseries_autoencoder_from_keras_io_trains_as_keras(keras):
    """keras-io's time-series anomaly detection model: Conv1D down, Conv1DTranspose up."""

    def build(lib):
        return lib.Sequential(
            [
                lib.Input(shape=(12, 1)),
                lib.layers.Conv1D(8, 7, padding="same", strides=2, activation="relu"),
                lib.layers.Conv1D(4, 7, padding="same", strides=2, activation="relu"),
                lib.layers.Conv1DTranspose(4, 7, padding="same", strides=2, activation="relu"),
                lib.layers.Conv1DTranspose(8, 7, padding="same", strides=2, activation="relu"),
                lib.layers.Conv1DTranspose(1, 7, padding="same"),
            ]
        )

    x = np.sin(np.linspace(0, 12, 16 * 12)).reshape(16, 12, 1).astype("float32")
    theirs = build(keras)
    ours = build(kerastorch)
    ours.set_weights(theirs.get_weights())
    for model, lib in ((theirs, keras), (ours, kerastorch)):
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=0.001), loss="mse")
    expected = theirs.fit(x, x, epochs=2, batch_size=8, shuffle=False, verbose=0)
    history = ours.fit(x, x, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_a_model_with_conv1d_transpose_saves_to_kt(tmp_path):
    model = Sequential([Input((6, 2)), layers.Conv1DTranspose(3, 3, strides=2, padding="same")])
    x = torch.randn(2, 6, 2)
    model.save(tmp_path / "m.kt")
    loaded = kerastorch.models.load_model(tmp_path / "m.kt")
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
