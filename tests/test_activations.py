"""kerastorch.activations against keras.activations (Keras 3 on the torch backend)."""

import numpy as np
import pytest
import torch

from kerastorch import activations
from tests.helpers import assert_close

# Names Keras 3.15's keras.activations.get resolves, except "threshold" (needs two arguments).
KERAS_NAMES = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
]  # fmt: skip

EXTREMES = [-1e4, -100.0, -30.0, -20.5, -6.0, -3.0, -1.0, -1e-3, -0.0, 0.0, 1e-3, 0.5, 1.0,
            2.9, 3.0, 6.0, 19.9, 20.5, 30.0, 88.0, 100.0, 1e4]  # fmt: skip


def _inputs():
    extremes = np.array(EXTREMES, np.float32)  # 22 values, an even last axis for glu
    random = np.random.randn(4, 6, 8).astype(np.float32) * 4
    return [extremes, extremes.reshape(2, 11)[:, :10], random]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_matches_keras(keras, name):
    ours, theirs = activations.get(name), keras.activations.get(name)
    for x in _inputs():
        expected = theirs(torch.from_numpy(x))
        assert_close(ours(torch.from_numpy(x)), expected, atol=1e-6, rtol=1e-6)


def test_every_keras_activation_is_registered(keras):
    from keras.src.activations import ALL_OBJECTS_DICT

    missing = set(ALL_OBJECTS_DICT) - set(activations.ACTIVATIONS) - {"threshold"}
    assert not missing


@pytest.mark.parametrize(
    ("fn", "kwargs"),
    [
        ("relu", {"negative_slope": 0.1}),
        ("relu", {"max_value": 6.0}),
        ("relu", {"max_value": 2.5, "threshold": 0.5}),
        ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 1.0}),
        ("relu", {"negative_slope": 0.3, "threshold": -1.0}),
        ("leaky_relu", {"negative_slope": 0.01}),
        ("elu", {"alpha": 0.5}),
        ("gelu", {"approximate": True}),
        ("softmax", {"axis": 1}),
        ("log_softmax", {"axis": 0}),
    ],
)
def test_arguments_match_keras(keras, fn, kwargs):
    x = np.random.randn(5, 7).astype(np.float32) * 5
    expected = getattr(keras.activations, fn)(torch.from_numpy(x), **kwargs)
    assert_close(getattr(activations, fn)(torch.from_numpy(x), **kwargs), expected, atol=1e-6)


def test_defaults_that_differ_from_torch_or_keras_2():
    x = torch.tensor([-1.0, 1.0])
    assert_close(activations.leaky_relu(x), [-0.2, 1.0])  # torch: 0.01, Keras 2 layer: 0.3
    assert_close(activations.hard_sigmoid(torch.tensor([1.0])), [1 / 6 + 0.5])  # Keras 2: 0.7
    exact = torch.nn.functional.gelu(torch.tensor([1.5]))
    assert_close(activations.gelu(torch.tensor([1.5])), exact, atol=0)  # not the tanh form


def test_gradients_flow():
    x = torch.randn(3, 4, requires_grad=True)
    for name in ("relu", "softmax", "gelu", "mish", "sparsemax"):
        activations.get(name)(x).sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all()
        x.grad = None


def test_get():
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get(torch.tanh) is torch.tanh


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match=r'Unknown activation: "rleu". Did you mean "relu"\?'):
        activations.get("rleu")
    with pytest.raises(ValueError, match=r"Valid names: .*sigmoid"):
        activations.get("nope")


def test_get_rejects_non_callables():
    with pytest.raises(ValueError, match="Received: activation=3"):
        activations.get(3)


def test_serialize_round_trip():
    for name in activations.ACTIVATIONS:
        fn = activations.get(name)
        assert activations.get(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    assert activations.serialize(None) == "linear"
    assert activations.serialize(lambda x: x) is None


def test_softmax_over_a_size_one_axis_warns():
    with pytest.warns(UserWarning, match="sigmoid instead"):
        activations.softmax(torch.zeros(4, 1))
