"""Regularizers and constraints: the same penalties, losses and projected weights as Keras."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential, constraints, regularizers
from kerastorch.layers import Dense
from tests.helpers import assert_close


def twins(keras, make, input_shape):
    keras_model = keras.Sequential([keras.Input(input_shape), *make(keras)])
    model = Sequential([Input(input_shape), *make(kerastorch)])
    model.set_weights(keras_model.get_weights())
    return model, keras_model


def fit_both(keras, model, keras_model, x, y, epochs=2):
    model.compile(optimizer=kerastorch.optimizers.SGD(0.05), loss="mse")
    keras_model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    # evaluate includes the penalties, as Keras's compute_loss adds them.
    assert_close(model.evaluate(x, y, verbose=0), keras_model.evaluate(x, y, verbose=0), atol=1e-5)
    args = {"epochs": epochs, "batch_size": 8, "shuffle": False, "verbose": 0}
    expected = keras_model.fit(x, y, **args).history["loss"]
    actual = model.fit(x, y, **args).history["loss"]
    assert_close(actual, expected, atol=1e-5)
    for a, e in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(a, e, atol=1e-5)


@pytest.mark.parametrize("name", ["l1", "l2"])
def test_regularizer_values_match_keras(keras, name):
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    expected = float(keras.regularizers.get(name)(x))
    assert_close(float(regularizers.get(name)(torch.from_numpy(x))), expected, atol=1e-6)
    assert_close(
        float(regularizers.l1_l2(0.01, 0.01)(torch.from_numpy(x))),
        float(keras.regularizers.L1L2(0.01, 0.01)(x)),
        atol=1e-6,
    )


@pytest.mark.parametrize("name", ["max_norm", "non_neg", "unit_norm", "min_max_norm"])
def test_constraint_values_match_keras(keras, name):
    w = (np.random.default_rng(1).normal(size=(6, 3)) * 2).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.constraints.get(name)(w))
    assert_close(constraints.get(name)(torch.from_numpy(w)), expected, atol=1e-6)


def test_dense_and_lstm_regularizers_in_fit_match_keras(keras):
    def make(module):
        layers, reg = module.layers, module.regularizers
        return [
            layers.LSTM(
                4,
                kernel_regularizer=reg.L2(0.01),
                recurrent_regularizer=reg.L1(0.01),
                bias_regularizer="l2",
            ),
            layers.Dense(
                3, kernel_regularizer=reg.L1L2(l1=0.01, l2=0.02), activity_regularizer=reg.L2(0.05)
            ),
            layers.Dense(1),
        ]

    rng = np.random.default_rng(2)
    x = rng.normal(size=(24, 5, 3)).astype("float32")
    y = rng.normal(size=(24, 1)).astype("float32")
    model, keras_model = twins(keras, make, (5, 3))
    fit_both(keras, model, keras_model, x, y)


def test_constraints_in_fit_match_keras(keras):
    def make(module):
        layers, con = module.layers, module.constraints
        return [
            layers.LSTM(4, kernel_constraint=con.MaxNorm(0.5), recurrent_constraint=con.UnitNorm()),
            layers.Dense(
                2, kernel_constraint=con.NonNeg(), bias_constraint=con.MinMaxNorm(0.1, 0.3)
            ),
            layers.Dense(1),
        ]

    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 5, 3)).astype("float32")
    y = rng.normal(size=(24, 1)).astype("float32")
    model, keras_model = twins(keras, make, (5, 3))
    fit_both(keras, model, keras_model, x, y)


def test_embedding_and_conv1d_take_penalties_like_keras(keras):
    def make(module):
        layers = module.layers
        return [
            layers.Embedding(10, 4, embeddings_regularizer="l2", embeddings_constraint="max_norm"),
            layers.Conv1D(3, 2, kernel_regularizer="l1", bias_constraint="non_neg"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1),
        ]

    rng = np.random.default_rng(4)
    x = rng.integers(0, 10, size=(16, 6))
    y = rng.normal(size=(16, 1)).astype("float32")
    model, keras_model = twins(keras, make, (6,))
    fit_both(keras, model, keras_model, x, y)


def test_normalization_and_prelu_take_penalties_like_keras(keras):
    def make(module):
        layers, reg, con = module.layers, module.regularizers, module.constraints
        return [
            layers.Dense(6),
            layers.BatchNormalization(
                gamma_regularizer=reg.L2(0.05), beta_regularizer="l1", beta_constraint="non_neg"
            ),
            layers.PReLU(
                alpha_initializer="ones", alpha_regularizer="l2", alpha_constraint=con.MaxNorm(0.5)
            ),
            layers.LayerNormalization(gamma_regularizer="l1", gamma_constraint=con.UnitNorm()),
            # scale/center off: the penalty of the missing weight is ignored, as in Keras
            layers.BatchNormalization(scale=False, gamma_regularizer="l2"),
            layers.Dense(1),
        ]

    rng = np.random.default_rng(5)
    x = rng.normal(size=(24, 4)).astype("float32")
    y = rng.normal(size=(24, 1)).astype("float32")
    model, keras_model = twins(keras, make, (4,))
    assert model.layers[1].weight_regularizers.keys() == {"gamma", "beta"}
    assert model.layers[4].weight_regularizers == {}
    fit_both(keras, model, keras_model, x, y)


def test_penalty_config_round_trip():
    layer = Dense(
        2,
        kernel_regularizer=regularizers.l2(0.1),
        bias_constraint="non_neg",
        activity_regularizer="l1",
    )
    config = layer.get_config()
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.1}}
    twin = Dense.from_config({**config, "name": "twin"})
    assert twin.weight_regularizers["kernel"].l2 == 0.1
    assert isinstance(twin.weight_constraints["bias"], constraints.NonNeg)


def test_penalty_for_a_missing_weight_is_named():
    with pytest.raises(
        ValueError,
        match=r"Dense 'head' received bias_regularizer, but it has no weight named 'bias'; its weights are \['kernel'\]",
    ):
        Sequential([Input((3,)), Dense(2, use_bias=False, bias_regularizer="l2", name="head")])


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'kernel_regulariser'"):
        Dense(2, kernel_regulariser="l2")
