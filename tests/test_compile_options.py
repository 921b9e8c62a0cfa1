"""compile()'s Keras arguments that concern how steps run: run_eagerly, steps_per_execution,
auto_scale_loss. Each is honoured, or says that it has no effect."""

import warnings

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential, mixed_precision
from kerastorch.layers import Dense
from tests.helpers import assert_close

EAGER_WARNING = "If `run_eagerly` is True, then `jit_compile` cannot also be True"


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")


def twins():
    """Two uncompiled models with the same weights."""
    reference = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1)])
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1)])
    model.set_weights(reference.get_weights())
    return reference, model


def fit_losses(model, data):
    return model.fit(*data, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]


def test_run_eagerly_drops_jit_compile_with_keras_warning(keras, data):
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.warns(UserWarning, match=EAGER_WARNING):
        keras_model.compile(optimizer="sgd", loss="mse", run_eagerly=True, jit_compile=True)
    assert keras_model.jit_compile is False

    reference, model = twins()
    reference.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match=EAGER_WARNING):
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True, jit_compile=True)
    assert model.compiled.forward is model and not model.compiled.jit_compile
    assert_close(fit_losses(model, data), fit_losses(reference, data), atol=0)
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert_close(ours, theirs, atol=0)


def test_run_eagerly_alone_changes_nothing(data):
    reference, model = twins()
    reference.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    assert model.compiled.forward is model
    assert_close(fit_losses(model, data), fit_losses(reference, data), atol=0)


def test_steps_per_execution_warns_that_it_has_no_effect(data):
    reference, model = twins()
    reference.compile(optimizer="sgd", loss="mse", steps_per_execution=1)  # no warning
    with pytest.warns(UserWarning, match=r"steps_per_execution=4\) has no effect"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    assert_close(fit_losses(model, data), fit_losses(reference, data), atol=0)
    for bad in (0, -1, 2.0, True, "4"):
        with pytest.raises(ValueError, match="Expected steps_per_execution to be a positive int"):
            model.compile(optimizer="sgd", loss="mse", steps_per_execution=bad)


def test_auto_scale_loss_has_no_effect_outside_mixed_float16(data):
    reference, model = twins()
    reference.compile(optimizer="sgd", loss="mse")
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert_close(fit_losses(model, data), fit_losses(reference, data), atol=0)
    assert model.compiled.loss_scaler is None and reference.compiled.loss_scaler is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="mixed_float16 needs a CUDA device")
def test_auto_scale_loss_decides_the_loss_scaler_under_mixed_float16(data):
    scaled, unscaled = twins()
    mixed_precision.set_global_policy("mixed_float16")
    try:
        scaled.compile(optimizer="sgd", loss="mse", device="cuda")
        unscaled.compile(optimizer="sgd", loss="mse", device="cuda", auto_scale_loss=False)
    finally:
        mixed_precision.set_global_policy("float32")
    expected, actual = fit_losses(scaled, data), fit_losses(unscaled, data)
    assert isinstance(scaled.compiled.loss_scaler, torch.amp.GradScaler)
    assert unscaled.compiled.loss_scaler is None
    assert_close(actual, expected, atol=1e-3, rtol=1e-2)  # float16: the same training, roughly
