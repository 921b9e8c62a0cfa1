"""Mixed precision and jit_compile: the same training, in another precision or compiled."""

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential, mixed_precision
from kerastorch.layers import GRU, LSTM, Bidirectional, Dense, Masking, SimpleRNN
from tests.helpers import assert_close


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 3)).astype("float32")
    return x, x[:, :, 0].mean(axis=1, keepdims=True)


def twins(recurrent=LSTM):
    """Two uncompiled models with the same weights."""
    reference = Sequential([Input((None, 3)), recurrent(8), Dense(1)])
    model = Sequential([Input((None, 3)), recurrent(8), Dense(1)])
    model.set_weights(reference.get_weights())
    return reference, model


@pytest.fixture(params=["native", "float32 fallback"])
def bfloat16_kernels(request, monkeypatch):
    """Both ways of running recurrent kernels under bfloat16 autocast (NOTE [bfloat16 recurrent
    kernels]): the fallback is forced so that it runs on every CPU; the native kernels run only
    where this CPU has them."""
    if request.param == "native":
        if not mixed_precision.native_bfloat16_lstm():
            pytest.skip("this CPU has no native bfloat16 LSTM kernel (no AVX-512 BF16 / AMX)")
    else:
        monkeypatch.setattr(mixed_precision, "native_bfloat16_lstm", lambda: False)
    return request.param


def test_the_probe_tells_whether_the_lstm_kernel_runs_in_bfloat16():
    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            lstm(torch.randn(2, 5, 3))
        runs = True
    except RuntimeError as error:
        assert "primitive descriptor for the LSTM" in str(error)
        runs = False
    assert mixed_precision.native_bfloat16_lstm() is runs


@pytest.mark.parametrize("recurrent", [LSTM, GRU, SimpleRNN])
def test_mixed_bfloat16_fit_and_predict_on_every_cpu(data, bfloat16_kernels, recurrent):
    x, y = data
    reference, model = twins(recurrent)
    reference.compile(optimizer="adam", loss="mse")
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model.compile(optimizer="adam", loss="mse")
    finally:
        mixed_precision.set_global_policy("float32")
    args = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0}
    expected = reference.fit(x, y, **args).history["loss"]
    actual = model.fit(x, y, **args).history["loss"]
    assert actual[-1] < actual[0]
    assert_close(actual, expected, atol=0.02, rtol=0.05)
    assert_close(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=0.05)


def test_the_float32_fallback_runs_only_the_recurrent_kernel_in_float32(monkeypatch):
    monkeypatch.setattr(mixed_precision, "native_bfloat16_lstm", lambda: False)
    model = Sequential(
        [Input((None, 3)), Masking(0.0), Bidirectional(LSTM(4, return_sequences=True)), Dense(2)]
    )
    x = torch.randn(5, 6, 3)
    x[1, 4:] = 0.0
    seen = []
    model.layers[1].register_forward_hook(lambda module, args, out: seen.append(out))
    model(x)  # float32 throughout
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    assert seen[1].dtype == torch.float32  # the kernel left autocast ...
    assert_close(seen[1], seen[0], atol=1e-6)
    assert out.dtype == torch.bfloat16  # ... and the Dense after it did not


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
    # A recurrent model's forward stays eager (the fused kernel is opaque to the compiler and
    # the rest compiled around it was slower); a model without one is compiled.
    assert model.compiled.forward is model
    dense = Sequential([Input((3,)), Dense(2), Dense(1)])
    dense.compile(optimizer="adam", loss="mse", jit_compile=True)
    assert isinstance(dense.compiled.forward, torch._dynamo.eval_frame.OptimizedModule)
    args = {"epochs": 2, "batch_size": 16, "shuffle": False, "verbose": 0}
    expected = reference.fit(x, y, **args).history["loss"]
    actual = model.fit(x, y, **args).history["loss"]
    assert_close(actual, expected, atol=1e-5)


def test_jit_compile_value_is_checked():
    model = Sequential([Dense(1)])
    with pytest.raises(ValueError, match='Expected jit_compile to be True, False or "auto"'):
        model.compile(loss="mse", jit_compile="yes")
