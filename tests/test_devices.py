"""Device choice: compile(device=...), and the same results wherever the model runs."""

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense
from kerastorch.training.compile import resolve_device
from tests.helpers import assert_close


def test_auto_picks_cuda_then_mps_else_stays():
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None and torch.backends.mps.is_available():
        expected = "mps"
    resolved = resolve_device("auto")
    assert (resolved.type if resolved is not None else None) == expected
    assert resolve_device(None) is None
    assert resolve_device("cpu") == torch.device("cpu")


def test_bad_device_names_the_argument():
    with pytest.raises(ValueError, match="received device='gpu0'"):
        Sequential([Dense(1)]).compile(loss="mse", device="gpu0")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fit_on_cuda_equals_cpu():
    x = np.random.rand(32, 5, 3).astype("float32")
    y = np.random.rand(32, 1).astype("float32")
    cpu = Sequential([Input((None, 3)), LSTM(4), Dense(1)])
    gpu = Sequential([Input((None, 3)), LSTM(4), Dense(1)])
    gpu.set_weights(cpu.get_weights())
    cpu.compile(optimizer="sgd", loss="mse", device="cpu")
    gpu.compile(optimizer="sgd", loss="mse", device="cuda")
    args = {"epochs": 2, "shuffle": False, "verbose": 0}
    assert_close(
        gpu.fit(x, y, **args).history["loss"], cpu.fit(x, y, **args).history["loss"], atol=1e-5
    )
    assert next(gpu.parameters()).device.type == "cuda"
    assert_close(gpu.predict(x, verbose=0), cpu.predict(x, verbose=0), atol=1e-5)


def test_model_to_float64_trains_in_float64():
    """A model moved with .to(dtype) keeps working: batches are cast to its dtype."""
    model = Sequential([Input((None, 3)), LSTM(4), Dense(1)]).to(torch.float64)
    model.compile(optimizer="sgd", loss="mse", device=None)
    x = np.random.rand(8, 5, 3)
    history = model.fit(x, np.random.rand(8, 1), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(x, verbose=0).dtype == np.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_arrays_are_pinned_once_for_a_cuda_model():
    from kerastorch.training.data import ArrayData, IndexedAdapter

    data = ArrayData(np.random.rand(8, 3).astype("float32"), np.random.rand(8, 1))
    data.pin_memory()
    assert data.x.is_pinned() and data.y.is_pinned()
    batch = next(IndexedAdapter(data, batch_size=4, shuffle=True).batches())
    assert_close(batch.x.cuda(non_blocking=True).cpu(), batch.x)
