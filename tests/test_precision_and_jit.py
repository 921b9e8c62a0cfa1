"""Mixed precision and jit_compile: the same training, in another precision or compiled."""

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential, mixed_precision
from kerastorch.layers import LSTM, Dense
from tests.helpers import assert_close


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 3)).astype("float32")
    return x, x[:, :, 0].mean(axis=1, keepdims=True)


def twins():
    """Two uncompiled models with the same weights."""
    reference = Sequential([Input((None, 3)), LSTM(8), Dense(1)])
    model = Sequential([Input((None, 3)), LSTM(8), Dense(1)])
    model.set_weights(reference.get_weights())
    return reference, model


def test_mixed_bfloat16_trains_close_to_float32(data):
    x, y = data
    reference, model = twins()
    reference.compile(optimizer="adam", loss="mse")
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model.compile(optimizer="adam", loss="mse")  # the policy is read at compile time
    finally:
        mixed_precision.set_global_policy("float32")
    args = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0}
    expected = reference.fit(x, y, **args).history["loss"]
    actual = model.fit(x, y, **args).history["loss"]
    assert actual[-1] < actual[0]
    assert_close(actual, expected, atol=0.02, rtol=0.05)  # bfloat16 keeps ~3 significant digits
    for param in model.parameters():
        assert param.dtype == torch.float32  # weights stay float32, as Keras's variables


def test_mixed_float16_needs_cuda_on_this_machine(data):
    x, y = data
    if torch.cuda.is_available():
        pytest.skip("CUDA present: float16 runs there")
    _, model = twins()
    mixed_precision.set_global_policy("mixed_float16")
    try:
        model.compile(optimizer="adam", loss="mse")
    finally:
        mixed_precision.set_global_policy("float32")
    with pytest.raises(ValueError, match='"mixed_float16" policy needs a CUDA device'):
        model.fit(x, y, verbose=0)


def test_unknown_policy():
    with pytest.raises(ValueError, match="Unknown dtype policy: 'mixed_float8'"):
        mixed_precision.set_global_policy("mixed_float8")


# Dynamo itself reads .grad of a non-leaf while tracing; that warning is torch's, not ours.
# Warnings torch's compiler raises about its own internals, not ours.
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated")
def test_jit_compile_gives_the_same_training(data):
    x, y = data
    reference, model = twins()
    reference.compile(optimizer="adam", loss="mse")
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    assert model.compiled.forward is not model
    args = {"epochs": 2, "batch_size": 16, "shuffle": False, "verbose": 0}
    expected = reference.fit(x, y, **args).history["loss"]
    actual = model.fit(x, y, **args).history["loss"]
    assert_close(actual, expected, atol=1e-5)


def test_jit_compile_value_is_checked():
    model = Sequential([Dense(1)])
    with pytest.raises(ValueError, match='Expected jit_compile to be True, False or "auto"'):
        model.compile(loss="mse", jit_compile="yes")
