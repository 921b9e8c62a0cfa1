"""Conv1D, 1D pooling, normalization, activation and noise layers match Keras 3.

Keras layers are called directly on arrays (cheap); weights are copied Keras -> kerastorch with
``set_weights``. Where kerastorch deliberately differs (AveragePooling1D "same" with uneven
padding) the test compares with a hand computation instead and says why.
"""

import inspect
import math
import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import (
    ELU,
    LSTM,
    AveragePooling1D,
    BatchNormalization,
    Conv1D,
    Dense,
    Embedding,
    GaussianDropout,
    GaussianNoise,
    GlobalAveragePooling1D,
    Layer,
    LayerNormalization,
    LeakyReLU,
    MaxPooling1D,
    PReLU,
    ReLU,
    Softmax,
    SpatialDropout1D,
)
from kerastorch.models.summary import format_summary
from tests.helpers import assert_close


def keras_out(layer, x, **kwargs):
    import keras

    return keras.ops.convert_to_numpy(layer(x, **kwargs))


def twin(kt_layer, keras_layer, x):
    """Build both layers for ``x``'s shape and copy Keras's weights into kerastorch's."""
    keras_layer.build(x.shape)
    kt_layer.build_from_shape((None, *x.shape[1:]))
    kt_layer.set_weights(keras_layer.get_weights())
    return kt_layer, keras_layer


def run(layer, x, **kwargs):
    with torch.no_grad():
        return layer(torch.as_tensor(x), **kwargs).numpy()


def randn(*shape, scale=1.0, shift=0.0):
    return (np.random.randn(*shape) * scale + shift).astype("float32")


# -- Conv1D -------------------------------------------------------------------------------------

CONV_CASES = [
    {"kernel_size": 3},
    {"kernel_size": 3, "padding": "same"},
    {"kernel_size": 4, "padding": "same"},  # even kernel: one more step of padding on the right
    {"kernel_size": 3, "padding": "causal"},
    {"kernel_size": 3, "padding": "causal", "dilation_rate": 2},
    {"kernel_size": 2, "padding": "same", "dilation_rate": 3},
    {"kernel_size": 3, "strides": 2},
    {"kernel_size": 4, "strides": 2, "padding": "same"},  # uneven padding that depends on length
    {"kernel_size": 5, "strides": 3, "padding": "same"},
    {"kernel_size": 3, "strides": 2, "padding": "causal"},
    {"kernel_size": 1, "use_bias": False},
    {"kernel_size": 3, "groups": 2, "activation": "relu"},
    {"kernel_size": 3, "data_format": "channels_first", "padding": "same"},
]


@pytest.mark.parametrize(
    "kwargs", CONV_CASES, ids=lambda k: ",".join(f"{a}={v}" for a, v in k.items())
)
@pytest.mark.parametrize("steps", [7, 8])
def test_conv1d_matches_keras(keras, kwargs, steps):
    shape = (2, 4, steps) if kwargs.get("data_format") == "channels_first" else (2, steps, 4)
    x = randn(*shape)
    layer, keras_layer = twin(Conv1D(6, **kwargs), keras.layers.Conv1D(6, **kwargs), x)
    assert_close(run(layer, x), keras_out(keras_layer, x))
    assert layer.count_params() == keras_layer.count_params()


def test_conv1d_weight_layout_is_keras_and_torch_layout_underneath(keras):
    x = randn(1, 5, 3)
    layer, keras_layer = twin(Conv1D(2, 4), keras.layers.Conv1D(2, 4), x)
    kernel, bias = keras_layer.get_weights()
    assert [w.shape for w in layer.get_weights()] == [(4, 3, 2), (2,)]
    assert_close(layer.conv.weight, np.transpose(kernel, (2, 1, 0)))  # torch: (out, in, k)
    # A hand-written channels-first torch convolution computes the same thing.
    expected = torch.nn.functional.conv1d(
        torch.tensor(x).transpose(1, 2), layer.conv.weight, torch.tensor(bias)
    ).transpose(1, 2)
    assert_close(run(layer, x), expected)


def test_conv1d_causal_output_never_sees_the_future():
    layer = Conv1D(3, 4, padding="causal", dilation_rate=2)
    x = torch.randn(1, 12, 2)
    y = x.clone()
    y[:, 7:] += 10.0  # change only steps 7 and later
    with torch.no_grad():
        a, b = layer(x), layer(y)
    assert_close(a[:, :7], b[:, :7])
    assert not torch.allclose(a[:, 7:], b[:, 7:])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3},
        {"kernel_size": 3, "padding": "same", "strides": 2},
        {"kernel_size": 2, "padding": "causal", "dilation_rate": 2},
        {"kernel_size": 5, "strides": 3},
    ],
)
def test_conv1d_compute_output_shape_matches_keras(keras, kwargs):
    layer, keras_layer = Conv1D(5, **kwargs), keras.layers.Conv1D(5, **kwargs)
    for steps in [None, 5, 6, 9, 20]:
        shape = (None, steps, 3)
        assert layer.compute_output_shape(shape) == keras_layer.compute_output_shape(shape)


def test_conv1d_initializers_follow_keras():
    layer = Conv1D(16, 3)
    layer.build_from_shape((None, 10, 8))
    kernel, bias = layer.get_weights()
    limit = math.sqrt(6 / (3 * 8 + 3 * 16))  # glorot: fans multiplied by the kernel size
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    assert not bias.any()


def test_conv1d_config_round_trip_and_keras_names(keras):
    layer = Conv1D(4, 3, strides=2, padding="SAME", dilation_rate=1, activation="relu")
    config = layer.get_config()
    keras_config = keras.layers.Conv1D(4, 3, strides=2, padding="same", activation="relu")
    keras_config = keras_config.get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"):
        assert config[key] == keras_config[key], key
    assert config["activation"] == "relu"
    twin_layer = Conv1D.from_config(config)
    assert twin_layer.get_config() == config


def test_conv1d_errors():
    with pytest.raises(
        ValueError,
        match=r"expected padding to be one of 'valid', 'same', 'causal', received padding='full'",
    ):
        Conv1D(4, 3, padding="full")
    with pytest.raises(
        ValueError, match=r"Conv1D 'conv1d': expected a positive integer, received filters=0"
    ):
        Conv1D(0, 3)
    with pytest.raises(ValueError, match=r"received kernel_size=0"):
        Conv1D(4, 0)
    with pytest.raises(ValueError, match=r"received strides=-1"):
        Conv1D(4, 3, strides=-1)
    with pytest.raises(ValueError, match=r"strides > 1 cannot be combined with dilation_rate > 1"):
        Conv1D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"filters must be divisible by groups"):
        Conv1D(5, 3, groups=2)
    with pytest.raises(ValueError, match=r"Unknown regularizer: \"l3\""):
        Conv1D(4, 3, kernel_regularizer="l3")
    layer = Conv1D(4, 3, groups=2)
    with pytest.raises(ValueError, match=r"input channels must be divisible by groups"):
        layer.build_from_shape((None, 10, 3))
    short = Conv1D(4, 3, dilation_rate=2, name="conv")
    message = (
        r"Conv1D 'conv': kernel_size=3 with dilation_rate=2 spans 5 steps, but the input has "
        r"only 4 \(input shape \(2, 4, 2\)\), so padding='valid' leaves no output step"
    )
    with pytest.raises(ValueError, match=message):
        short(torch.randn(2, 4, 2))
    with pytest.raises(ValueError, match=r"spans 5 steps, but the input has only 3"):
        Sequential([Input((3, 2)), Conv1D(4, 5)])
    built = Conv1D(4, 3, name="c")
    built(torch.randn(1, 5, 2))
    with pytest.raises(ValueError, match=r"Conv1D 'c' expects 2 input channels, got 3"):
        built(torch.randn(1, 5, 3))
    with pytest.raises(ValueError, match=r"expects 3D inputs \(batch, steps, channels\)"):
        built(torch.randn(5, 2))


def test_conv1d_drops_a_mask_with_a_warning_as_keras(keras):
    model = Sequential([Input((5,)), Embedding(10, 3, mask_zero=True), Conv1D(2, 2)])
    with pytest.warns(UserWarning, match=r"Conv1D 'conv1d' does not support masking"):
        _, mask = model(torch.tensor([[1, 2, 0, 0, 0]]), return_mask=True)
    assert mask is None
    assert not Conv1D.supports_masking and not keras.layers.Conv1D(2, 2).supports_masking


# -- pooling ------------------------------------------------------------------------------------


def uneven_same_padding(steps, pool_size, strides):
    """Whether Keras's "same" padding is uneven (where Keras 3.15's torch backend averages
    repeated border steps; see AveragePooling1D)."""
    out = -(-steps // strides)
    total = pool_size - 1 if strides == 1 else max(0, (out - 1) * strides + pool_size - steps)
    return total % 2 == 1 and pool_size > 2


def average_of_real_steps(x, pool_size, strides, padding):
    """Hand computation: each window averages the real steps it covers (channels last)."""
    steps = x.shape[1]
    if padding == "valid":
        starts = range(0, steps - pool_size + 1, strides)
    else:
        out = -(-steps // strides)
        total = pool_size - 1 if strides == 1 else max(0, (out - 1) * strides + pool_size - steps)
        starts = [i * strides - total // 2 for i in range(out)]
    windows = [x[:, max(s, 0) : min(s + pool_size, steps)].mean(axis=1) for s in starts]
    return np.stack(windows, axis=1)


POOL_CASES = [(2, None), (3, 1), (3, 2), (4, 1), (2, 3), (5, 3)]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("pool_size", "strides"), POOL_CASES)
def test_pooling_matches_keras(keras, pool_size, strides, padding):
    for steps in (7, 8):
        x = randn(2, steps, 3)
        for name in ("MaxPooling1D", "AveragePooling1D"):
            layer = getattr(kerastorch.layers, name)(pool_size, strides, padding)
            keras_layer = getattr(keras.layers, name)(pool_size, strides, padding)
            shape = (None, steps, 3)
            assert layer.compute_output_shape(shape) == keras_layer.compute_output_shape(shape)
            actual = run(layer, x)
            if name == "AveragePooling1D":
                stride = strides or pool_size
                assert_close(actual, average_of_real_steps(x, pool_size, stride, padding))
                if padding == "same" and uneven_same_padding(steps, pool_size, stride):
                    continue  # the deliberate difference: Keras 3.15 counts repeated border steps
            assert_close(actual, keras_out(keras_layer, x))


def test_average_pooling_uneven_same_padding_differs_from_keras_3_15_only_at_the_border(keras):
    # pool 4, stride 1: Keras pads 1 step on the left and 2 on the right; Keras 3.15's torch
    # backend repeats x[0] and x[-1] into them and counts them; kerastorch (and TF/JAX Keras)
    # averages the real steps only.
    x = np.arange(1.0, 7.0, dtype="float32").reshape(1, 6, 1)
    actual = run(AveragePooling1D(4, 1, "same"), x)[0, :, 0]
    assert_close(actual, [2.0, 2.5, 3.5, 4.5, 5.0, 5.5])
    keras_values = keras_out(keras.layers.AveragePooling1D(4, 1, "same"), x)[0, :, 0]
    assert_close(keras_values[2:4], actual[2:4])  # interior windows agree
    assert_close(keras_values[0], (1 + 1 + 2 + 3) / 4)  # Keras counted x[0] twice


def test_pooling_shapes_with_unknown_length_and_channels_first(keras):
    for cls in ("MaxPooling1D", "AveragePooling1D"):
        layer = getattr(kerastorch.layers, cls)(3, data_format="channels_first")
        keras_layer = getattr(keras.layers, cls)(3, data_format="channels_first")
        for shape in [(None, 4, None), (None, 4, 10)]:
            assert layer.compute_output_shape(shape) == keras_layer.compute_output_shape(shape)
        x = randn(2, 4, 10)
        assert_close(run(layer, x), keras_out(keras_layer, x))


def test_pooling_config_and_errors(keras):
    config = MaxPooling1D(3, padding="same").get_config()
    keras_config = keras.layers.MaxPooling1D(3, padding="same").get_config()
    for key in ("pool_size", "strides", "padding", "data_format"):
        assert config[key] == keras_config[key], key
    with pytest.raises(
        ValueError,
        match=r"expected padding to be one of 'valid', 'same', received padding='causal'",
    ):
        MaxPooling1D(2, padding="causal")
    with pytest.raises(ValueError, match=r"received pool_size=0"):
        AveragePooling1D(0)
    message = (
        r"MaxPooling1D 'pool': pool_size=4 is longer than the input's 3 steps \(input shape "
        r"\(1, 3, 2\)\), so padding='valid' leaves no output step"
    )
    with pytest.raises(ValueError, match=message):
        MaxPooling1D(4, name="pool")(torch.randn(1, 3, 2))


# -- BatchNormalization -------------------------------------------------------------------------


def bn_weights(features):
    gamma, beta = randn(features, scale=0.3, shift=1.0), randn(features)
    return [gamma, beta, randn(features), np.random.rand(features).astype("float32") + 0.5]


@pytest.mark.parametrize("shape", [(8, 4), (3, 6, 4)])
@pytest.mark.parametrize(
    "kwargs", [{}, {"momentum": 0.8, "epsilon": 1e-2}, {"center": False}, {"scale": False}]
)
def test_batch_normalization_matches_keras_in_inference_and_training(keras, shape, kwargs):
    x = randn(*shape, scale=2.0, shift=1.0)
    layer, keras_layer = twin(
        BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs), x
    )
    features = shape[-1]
    weights = bn_weights(features)
    weights = [
        w for w, on in zip(weights, [layer.scale, layer.center, True, True], strict=True) if on
    ]
    layer.set_weights(weights)
    keras_layer.set_weights(weights)
    assert_close(run(layer, x), keras_out(keras_layer, x))  # inference: moving statistics
    assert_close(run(layer, x), keras_out(keras_layer, x, training=False))
    for _ in range(2):  # training: batch statistics, and the moving statistics move
        assert_close(run(layer, x, training=True), keras_out(keras_layer, x, training=True))
        for ours, theirs in zip(layer.get_weights(), keras_layer.get_weights(), strict=True):
            assert_close(ours, theirs)
    assert layer.count_params() == keras_layer.count_params()


def test_batch_normalization_uses_biased_variance_and_keras_momentum():
    x = torch.tensor([[1.0], [2.0], [6.0]])
    layer = BatchNormalization(momentum=0.9)
    with torch.no_grad():
        out = layer(x, training=True)
    mean, var = 3.0, ((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 3  # divided by n, not n - 1
    assert_close(out[:, 0], (x[:, 0] - mean) / math.sqrt(var + 1e-3))
    assert_close(layer.moving_mean, [0.9 * 0.0 + 0.1 * mean])
    assert_close(layer.moving_variance, [0.9 * 1.0 + 0.1 * var])


def test_batch_normalization_masked_moments_match_keras(keras):
    x = randn(3, 5, 4, scale=2.0)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
    layer, keras_layer = twin(BatchNormalization(), keras.layers.BatchNormalization(), x)
    expected = keras_out(keras_layer, x, training=True, mask=mask)
    assert_close(run(layer, x, training=True, mask=torch.tensor(mask)), expected)
    for ours, theirs in zip(layer.get_weights(), keras_layer.get_weights(), strict=True):
        assert_close(ours, theirs)
    # The statistics are those of the real steps alone.
    real = x[mask]
    assert_close(layer.moving_mean, 0.01 * real.mean(axis=0), atol=1e-6)
    assert layer.compute_mask(x, torch.tensor(mask)) is not None


def test_batch_normalization_frozen_runs_in_inference_mode_as_keras_3(keras):
    x = randn(6, 3, shift=2.0)
    layer, keras_layer = twin(BatchNormalization(), keras.layers.BatchNormalization(), x)
    layer.trainable = False
    keras_layer.trainable = False
    before = layer.get_weights()
    assert_close(run(layer, x, training=True), keras_out(keras_layer, x, training=True))
    assert_close(run(layer, x, training=True), run(layer, x, training=False))
    for a, b in zip(before, layer.get_weights(), strict=True):
        assert_close(a, b)


def test_batch_normalization_fit_matches_keras(keras):
    x = randn(40, 6, 3, scale=3.0, shift=2.0)
    y = randn(40, 2)

    def make(layers, input_):
        return [
            input_((6, 3)),
            layers.Conv1D(4, 3, padding="same"),
            layers.BatchNormalization(momentum=0.9),
            layers.GlobalAveragePooling1D(),
            layers.Dense(2),
        ]

    keras_model = keras.Sequential(make(keras.layers, keras.Input))
    model = Sequential(make(kerastorch.layers, Input))
    model.set_weights(keras_model.get_weights())
    keras_model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.05), loss="mse")
    keras_history = keras_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_close(history.history["loss"], keras_history.history["loss"])
    # Every weight, the moving statistics included (weights 4 and 5), equals Keras's.
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs)
    assert not np.allclose(model.get_weights()[4], 0.0)  # the moving mean did move
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    # The moving statistics are buffers: saved with the model, invisible to the optimizer.
    state = model.state_dict()
    assert "batch_normalization.moving_mean" in state
    assert "batch_normalization.moving_variance" in state
    bn = model.layers[1]
    assert {id(p) for p in bn.parameters()} == {id(bn.gamma), id(bn.beta)}


def test_batch_normalization_fit_on_masked_sequences_matches_keras(keras):
    # Embedding(mask_zero) hands BatchNormalization a mask: the batch moments skip padding.
    ids = np.random.randint(1, 10, (12, 6))
    ids[:, 4:] = 0
    ids[:3, 2:] = 0
    y = randn(12, 1)

    def make(layers, input_):
        return [
            input_((6,)),
            layers.Embedding(10, 3, mask_zero=True),
            layers.BatchNormalization(momentum=0.5),
            layers.LSTM(4),
            layers.Dense(1),
        ]

    keras_model = keras.Sequential(make(keras.layers, keras.Input))
    model = Sequential(make(kerastorch.layers, Input))
    model.set_weights(keras_model.get_weights())
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse")
    keras_model.fit(ids, y, batch_size=4, shuffle=False, verbose=0)
    model.fit(ids, y, batch_size=4, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs)
    assert_close(model.predict(ids, verbose=0), keras_model.predict(ids, verbose=0))


def test_batch_normalization_parameter_counts_match_keras(keras):
    keras_model = keras.Sequential([keras.Input((7, 4)), keras.layers.BatchNormalization()])
    model = Sequential([Input((7, 4)), BatchNormalization()])
    bn, keras_bn = model.layers[0], keras_model.layers[0]
    assert model.count_params() == keras_model.count_params() == 16
    keras_frozen = sum(int(np.prod(w.shape)) for w in keras_bn.non_trainable_weights)
    assert bn.count_non_trainable_params() == keras_frozen == 8
    bn.trainable = keras_bn.trainable = False
    keras_frozen = sum(int(np.prod(w.shape)) for w in keras_bn.non_trainable_weights)
    assert bn.count_non_trainable_params() == keras_frozen == 16


@pytest.mark.skipif(
    "count_non_trainable_params" not in inspect.getsource(format_summary),
    reason="the summary does not split a layer's weights yet: it counts a layer's weights as "
    "trainable or not by layer.trainable alone (needs layer.count_non_trainable_params())",
)
def test_batch_normalization_summary_splits_trainable_like_keras():
    model = Sequential([Input((7, 4)), BatchNormalization()])
    text = format_summary(model)
    assert "Trainable params: 8 (32.00 B)" in text
    assert "Non-trainable params: 8 (32.00 B)" in text


def test_batch_normalization_axis_and_errors(keras):
    x = randn(4, 3, 5)  # channels first: features on axis 1
    layer, keras_layer = twin(
        BatchNormalization(axis=1), keras.layers.BatchNormalization(axis=1), x
    )
    assert_close(run(layer, x, training=True), keras_out(keras_layer, x, training=True))
    assert [w.shape for w in layer.get_weights()] == [(3,)] * 4
    with pytest.raises(ValueError, match=r"axis=2 is out of bounds for inputs of rank 2"):
        BatchNormalization(axis=2, name="bn").compute_output_shape((None, 3))
    with pytest.raises(ValueError, match=r"expected 0 <= momentum <= 1"):
        BatchNormalization(momentum=1.5)
    built = BatchNormalization(name="bn")
    built(torch.randn(2, 3))
    with pytest.raises(
        ValueError, match=r"BatchNormalization 'bn' expects 3 features on axis -1, got 4"
    ):
        built(torch.randn(2, 4))


# -- LayerNormalization -------------------------------------------------------------------------


def layer_norm_by_hand(x, axes, epsilon, gamma, beta):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)
    shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
    out = (x - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    return out if beta is None else out + beta.reshape(shape)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"epsilon": 1e-5}, {"axis": [1, 2]}, {"center": False}, {"scale": False}],
    ids=str,
)
def test_layer_normalization_matches_keras(keras, kwargs):
    x = randn(3, 5, 4, scale=2.0, shift=1.0)
    layer, keras_layer = twin(
        LayerNormalization(**kwargs), keras.layers.LayerNormalization(**kwargs), x
    )
    weights = [randn(*w.shape, shift=1.0) for w in keras_layer.get_weights()]
    keras_layer.set_weights(weights)
    layer.set_weights(weights)
    assert_close(run(layer, x), keras_out(keras_layer, x))
    assert layer.count_params() == keras_layer.count_params()


@pytest.mark.parametrize("axis", [1, [0, 2], [1, -1]])
def test_layer_normalization_on_inner_axes(axis):
    # Keras 3.15's torch backend fails for a single inner axis (it hands F.layer_norm a shape
    # that is not trailing); kerastorch computes the moments itself there. Checked by hand.
    x = randn(3, 5, 4, scale=2.0, shift=1.0)
    layer = LayerNormalization(axis=axis)
    layer.build_from_shape((None, 5, 4) if axis != [0, 2] else (3, 5, 4))
    axes = sorted(a % 3 for a in (axis if isinstance(axis, list) else [axis]))
    gamma = randn(*layer.gamma.shape, shift=1.0)
    beta = randn(*layer.beta.shape)
    layer.set_weights([gamma, beta])
    assert_close(run(layer, x), layer_norm_by_hand(x, axes, 1e-3, gamma, beta))


def test_layer_normalization_default_epsilon_is_keras_not_torch():
    x = torch.tensor([[0.0, 0.1]])  # variance 0.0025: epsilon 1e-3 shows clearly
    with torch.no_grad():
        out = LayerNormalization()(x)
    assert_close(out, [[-0.05 / math.sqrt(0.0025 + 1e-3), 0.05 / math.sqrt(0.0025 + 1e-3)]])


# -- activation layers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("LeakyReLU", {}),
        ("LeakyReLU", {"negative_slope": 0.05}),
        ("ReLU", {}),
        ("ReLU", {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.5}),
        ("ELU", {"alpha": 0.5}),
        ("Softmax", {}),
        ("Softmax", {"axis": 1}),
        ("Softmax", {"axis": (1, 2)}),
        ("PReLU", {"alpha_initializer": "glorot_uniform"}),
        ("PReLU", {"alpha_initializer": "glorot_uniform", "shared_axes": [1]}),
    ],
)
def test_activation_layers_match_keras(keras, name, kwargs):
    x = randn(2, 5, 3, scale=2.0)
    layer = getattr(kerastorch.layers, name)(**kwargs)
    keras_layer = getattr(keras.layers, name)(**kwargs)
    layer, keras_layer = twin(layer, keras_layer, x)
    assert_close(run(layer, x), keras_out(keras_layer, x))
    assert layer.count_params() == keras_layer.count_params()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_leaky_relu_defaults_and_alpha(keras):
    assert LeakyReLU().negative_slope == keras.layers.LeakyReLU().negative_slope == 0.3
    with pytest.warns(DeprecationWarning, match=r"write LeakyReLU\(negative_slope=0.1\)"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    with pytest.raises(ValueError, match=r"expected a number >= 0, received negative_slope=-0.1"):
        LeakyReLU(-0.1)


def test_softmax_attention_mask_matches_keras_and_sequence_mask_passes(keras):
    x = randn(2, 3, 4)
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], dtype=bool)[:, None, :]  # (2, 1, 4)
    expected = keras_out(keras.layers.Softmax(), x, mask=mask)
    assert_close(run(Softmax(), x, mask=torch.tensor(mask)), expected)
    # A (batch, steps) sequence mask: Keras raises; kerastorch passes it on untouched.
    sequence_mask = torch.tensor([[True, True, False], [True, False, False]])
    out = run(Softmax(), x, mask=sequence_mask)
    assert_close(out, torch.softmax(torch.tensor(x), -1))
    assert Softmax().compute_mask(x, sequence_mask) is sequence_mask


def test_prelu_needs_shared_axes_for_unknown_lengths():
    with pytest.raises(
        ValueError, match=r"Share the unknown axes, e\.g\. PReLU\(shared_axes=\[1\]\)"
    ):
        PReLU().build((None, None, 3))
    layer = PReLU(shared_axes=1)
    layer.build_from_shape((None, None, 3))
    assert [w.shape for w in layer.get_weights()] == [(1, 3)]


# -- noise layers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [lambda: SpatialDropout1D(0.5), lambda: GaussianNoise(0.5), lambda: GaussianDropout(0.5)],
)
def test_noise_layers_are_the_identity_at_inference(keras, make):
    x = randn(4, 6, 3)
    model = Sequential([Input((6, 3)), make(), Dense(2)])
    keras_model = keras.Sequential([keras.Input((6, 3)), keras.layers.Dense(2)])
    model.set_weights(keras_model.get_weights())
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    assert_close(run(model.layers[0], x), x)
    assert_close(run(model.layers[0], x, training=False), x)


def test_spatial_dropout_drops_whole_channels():
    torch.manual_seed(1)
    layer = SpatialDropout1D(0.3)
    x = torch.rand(400, 10, 8) + 0.5  # never zero, so a zero means "dropped"
    out = layer(x, training=True)
    dropped = out == 0
    # The same channels are dropped at every step of a sample.
    assert torch.equal(dropped, dropped[:, :1].expand_as(dropped))
    fraction = dropped[:, 0].float().mean().item()
    assert abs(fraction - 0.3) < 0.03
    kept = ~dropped
    assert_close(out[kept], x[kept] / 0.7, atol=1e-5)
    with pytest.raises(ValueError, match=r"expected 0 <= rate < 1, received rate=1.0"):
        SpatialDropout1D(1.0)
    with pytest.raises(ValueError, match=r"expects 3D inputs \(batch, steps, channels\)"):
        layer(torch.ones(2, 3), training=True)


def test_gaussian_noise_and_dropout_statistics():
    torch.manual_seed(2)
    x = torch.full((200_000,), 2.0)
    noise = GaussianNoise(0.5)(x, training=True) - x
    assert abs(noise.mean().item()) < 0.01
    assert abs(noise.std().item() - 0.5) < 0.01
    factor = GaussianDropout(0.2)(x, training=True) / x
    assert abs(factor.mean().item() - 1.0) < 0.01
    assert abs(factor.std().item() - math.sqrt(0.2 / 0.8)) < 0.01
    with pytest.raises(ValueError, match=r"expected stddev >= 0, received stddev=-1"):
        GaussianNoise(-1)


def test_noise_layers_pass_masks_on():
    mask = torch.tensor([[True, False]])
    for layer in (SpatialDropout1D(0.1), GaussianNoise(0.1), GaussianDropout(0.1)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert layer.compute_mask(torch.ones(1, 2, 3), mask) is mask


# -- a realistic model --------------------------------------------------------------------------


def test_conv_pool_lstm_classifier_matches_keras(keras):
    def make(layers, input_):
        return [
            input_((20, 4)),
            layers.Conv1D(8, 3, padding="causal", activation="relu"),
            layers.MaxPooling1D(2),
            layers.LSTM(6),
            layers.Dense(3, activation="softmax"),
        ]

    keras_model = keras.Sequential(make(keras.layers, keras.Input))
    model = Sequential(make(kerastorch.layers, Input))
    assert [tuple(layer.output.shape) for layer in keras_model.layers] == model.output_shapes()
    assert model.count_params() == keras_model.count_params()
    model.set_weights(keras_model.get_weights())
    x = randn(5, 20, 4)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    # One training epoch stays equal too.
    y = np.eye(3, dtype="float32")[np.random.randint(0, 3, 5)]
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="categorical_crossentropy")
    keras_model.fit(x, y, batch_size=2, shuffle=False, verbose=0)
    model.fit(x, y, batch_size=2, shuffle=False, verbose=0)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))


def test_layers_are_exported_the_keras_way():
    from kerastorch.layers import (
        AvgPool1D,
        Convolution1D,
        GlobalAvgPool1D,
        GlobalMaxPool1D,
        GlobalMaxPooling1D,
        MaxPool1D,
    )

    assert Convolution1D is Conv1D and MaxPool1D is MaxPooling1D and AvgPool1D is AveragePooling1D
    assert GlobalAvgPool1D is GlobalAveragePooling1D and GlobalMaxPool1D is GlobalMaxPooling1D
    assert isinstance(ELU(), Layer) and isinstance(ReLU(), Layer)
    assert GlobalAveragePooling1D and LSTM  # untouched neighbours still import
