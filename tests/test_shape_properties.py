"""Property tests: for random layer stacks and input shapes, the shapes kerastorch infers without
data equal the shapes of real outputs and the shapes Keras infers."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerastorch
from kerastorch import Input, Sequential

# Layers that keep a sequence a sequence (LSTM may end it), with strategies for their arguments.
SEQUENCE_LAYERS = {
    "LSTM": st.fixed_dictionaries(
        {
            "units": st.integers(1, 6),
            "return_sequences": st.booleans(),
            "go_backwards": st.booleans(),
        }
    ),
    "Dense": st.fixed_dictionaries({"units": st.integers(1, 6)}),
    "Dropout": st.fixed_dictionaries({"rate": st.sampled_from([0.0, 0.3])}),
    "Activation": st.fixed_dictionaries(
        {"activation": st.sampled_from(["relu", "tanh", "softmax"])}
    ),
}


@st.composite
def stacks(draw):
    """A Sequential-compatible stack: sequence layers, optionally a Flatten, then dense layers."""
    timesteps = draw(st.integers(1, 6))
    features = draw(st.integers(1, 5))
    layers = []
    rank = 3
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(SEQUENCE_LAYERS)))
        if rank == 2 and name == "LSTM":
            continue
        kwargs = draw(SEQUENCE_LAYERS[name])
        layers.append((name, kwargs))
        if name == "LSTM" and not kwargs["return_sequences"]:
            rank = 2
    if rank == 3 and draw(st.booleans()):
        layers.append(("Flatten", {}))
    return (timesteps, features), layers


def build(module, layer_specs):
    return [getattr(module.layers, name)(**kwargs) for name, kwargs in layer_specs]


# Random stacks may put a softmax over a size-1 axis; its warning is right but not the point here.
@pytest.mark.filterwarnings("ignore:softmax over axis")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks(), st.integers(1, 4))
def test_inferred_shapes_equal_real_and_keras_shapes(keras, spec, batch):
    (timesteps, features), layer_specs = spec
    model = Sequential([Input((timesteps, features)), *build(kerastorch, layer_specs)])
    keras_model = keras.Sequential([keras.Input((timesteps, features)), *build(keras, layer_specs)])
    inferred = model.output_shapes()
    # Each layer's inferred shape equals Keras's and the real output's.
    assert model.output_shape == tuple(keras_model.output_shape)
    x = torch.randn(batch, timesteps, features)
    for layer, shape in zip(model.layers, inferred, strict=True):
        x = layer(x)
        assert tuple(x.shape) == (batch, *shape[1:])
    assert model.count_params() == keras_model.count_params()


@pytest.mark.filterwarnings("ignore:softmax over axis")
@settings(max_examples=30, deadline=None)
@given(stacks())
def test_unknown_length_shapes(spec):
    """With Input((None, F)) the time axis stays None wherever it survives (no Flatten here)."""
    (timesteps, features), layer_specs = spec
    layer_specs = [s for s in layer_specs if s[0] != "Flatten"]
    if not layer_specs:
        return
    model = Sequential([Input((None, features)), *build(kerastorch, layer_specs)])
    out = model(torch.randn(2, timesteps + 3, features))
    expected = model.output_shape
    assert len(expected) == out.dim()
    for dim, real in zip(expected[1:], out.shape[1:], strict=True):
        assert dim is None or dim == real
    assert np.isfinite(out.detach().numpy()).all()
