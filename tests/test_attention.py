"""Attention, AdditiveAttention and MultiHeadAttention equal Keras 3's with the same weights:
outputs, attention scores, masks, shapes, gradients, configs and errors."""

import math

import numpy as np
import pytest
import torch

from kerastorch.layers import AdditiveAttention, Attention, MultiHeadAttention
from kerastorch.layers.base import sublayers
from tests.helpers import assert_close

rng = np.random.default_rng(0)


def arrays(*shapes):
    return [rng.normal(size=s).astype("float32") for s in shapes]


QUERY_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
VALUE_MASK = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], bool)


def copy_weights(ours, keras_layer):
    """Give Keras's layer non-trivial weights (its scales start at 1), then copy them."""
    keras_layer.set_weights([w + rng.normal(size=w.shape) * 0.3 for w in keras_layer.get_weights()])
    ours.set_weights(keras_layer.get_weights())


def compare(actual, expected):
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_close(a, e)
    else:
        assert torch.is_tensor(actual)
        assert_close(actual, expected)


# -- Attention and AdditiveAttention -----------------------------------------------------------

ATTENTION_LAYERS = [
    ("Attention", {}),
    ("Attention", {"use_scale": True}),
    ("Attention", {"score_mode": "concat"}),
    ("Attention", {"score_mode": "concat", "use_scale": True}),
    ("AdditiveAttention", {}),
    ("AdditiveAttention", {"use_scale": False}),
]
ATTENTION_CALLS = [
    {},
    {"mask": [QUERY_MASK, VALUE_MASK]},
    {"mask": [None, VALUE_MASK], "return_attention_scores": True},
    {"mask": [QUERY_MASK, None]},
    {"use_causal_mask": True, "return_attention_scores": True},
    {"mask": [QUERY_MASK, VALUE_MASK], "use_causal_mask": True},
]


@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize(("name", "kwargs"), ATTENTION_LAYERS)
def test_attention_matches_keras(keras, name, kwargs, with_key):
    query, value, key = arrays((2, 4, 6), (2, 5, 6), (2, 5, 6))  # Tq != Tv
    inputs = [query, value, key] if with_key else [query, value]
    keras_layer = getattr(keras.layers, name)(**kwargs)
    keras_layer([torch.tensor(x) for x in inputs])
    layer = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}[name](**kwargs)
    layer(inputs)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in keras_layer.get_weights()]
    copy_weights(layer, keras_layer)
    for call in ATTENTION_CALLS:
        keras_call = dict(call)
        if "mask" in call:
            keras_call["mask"] = [None if m is None else torch.tensor(m) for m in call["mask"]]
        expected = keras_layer([torch.tensor(x) for x in inputs], **keras_call)
        compare(layer(inputs, **call), expected)


def test_attention_compute_output_shape_and_mask_match_keras(keras):
    shapes = [(None, None, 6), (None, 7, 3), (None, 7, 6)]
    for name in ("Attention", "AdditiveAttention"):
        expected = getattr(keras.layers, name)().compute_output_shape(shapes)
        layer = {"Attention": Attention(), "AdditiveAttention": AdditiveAttention()}[name]
        assert layer.compute_output_shape(shapes) == expected == (None, None, 3)
        assert layer.compute_output_shape(shapes, return_attention_scores=True) == [
            (None, None, 3),
            (None, None, 7),
        ]
        assert layer.build_from_shape(shapes)
        assert layer.build_input_shape == shapes
    query, value = arrays((2, 4, 6), (2, 5, 6))
    masks = [torch.tensor(QUERY_MASK), torch.tensor(VALUE_MASK)]
    inputs = [torch.tensor(query), torch.tensor(value)]
    expected = keras.layers.Attention().compute_mask(inputs, masks)
    assert torch.equal(Attention().compute_mask(inputs, masks), expected)
    assert Attention().compute_mask(inputs, [None, masks[1]]) is None
    assert Attention().compute_mask(inputs, None) is None


def test_additive_attention_initial_scale_is_glorot_uniform():
    layer = AdditiveAttention()
    layer.build_from_shape([(None, 4, 200), (None, 5, 200)])
    (scale,) = layer.get_weights()
    limit = math.sqrt(6 / 400)  # Keras: both fans of a (dim,) weight are dim
    assert scale.shape == (200,)
    assert np.abs(scale).max() <= limit
    assert np.abs(scale).max() > 0.8 * limit


def test_attention_dropout_drops_attention_weights_in_training_only():
    query, value = (torch.tensor(x) for x in arrays((2, 4, 6), (2, 5, 6)))
    layer = Attention(dropout=0.5)
    output, weights = layer([query, value], return_attention_scores=True)
    eval_weights = torch.softmax(query @ value.transpose(1, 2), dim=-1)
    assert_close(weights, eval_weights)
    assert_close(output, eval_weights @ value)
    output, weights = layer([query, value], return_attention_scores=True, training=True)
    # Keras returns the weights after dropout: each one is dropped or scaled by 1 / (1 - 0.5).
    kept = weights != 0
    assert 0 < kept.sum() < kept.numel()
    assert_close(weights[kept], 2 * eval_weights[kept])
    assert_close(output, weights @ value)


def test_attention_gradients_match_keras(keras):
    query, value = arrays((2, 4, 6), (2, 5, 6))
    keras_layer = keras.layers.Attention(use_scale=True, score_mode="concat")
    keras_layer([torch.tensor(query), torch.tensor(value)])
    layer = Attention(use_scale=True, score_mode="concat")
    layer([query, value])
    copy_weights(layer, keras_layer)
    ours = [torch.tensor(x, requires_grad=True) for x in (query, value)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (query, value)]
    masks = [torch.tensor(QUERY_MASK), torch.tensor(VALUE_MASK)]
    weights = torch.tensor(rng.normal(size=(2, 4, 6)), dtype=torch.float32)
    (layer(ours, mask=masks) * weights).sum().backward()
    (keras_layer(theirs, mask=masks) * weights).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        assert_close(a.grad, b.grad)
    for ours_w, keras_w in zip(layer.weights, keras_layer.weights, strict=True):
        assert ours_w.grad is not None
        assert_close(ours_w.grad, keras_w.value.grad)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("Attention", {}),
        ("Attention", {"use_scale": True, "score_mode": "concat", "dropout": 0.1, "seed": 3}),
        ("AdditiveAttention", {}),
        ("AdditiveAttention", {"use_scale": False, "dropout": 0.2}),
    ],
)
def test_attention_config_round_trip_with_keras_keys(keras, name, kwargs):
    layer = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}[name](
        name="att", **kwargs
    )
    config = layer.get_config()
    keras_config = getattr(keras.layers, name)(name="att", **kwargs).get_config()
    keras_config.pop("dtype")
    assert config == keras_config
    assert type(layer).from_config(config).get_config() == config


def test_attention_errors_name_the_layer():
    x = torch.ones(2, 4, 6)
    with pytest.raises(ValueError, match=r"Attention 'attention': expected a list of input "):
        Attention()(x)
    with pytest.raises(
        ValueError, match=r"expected a list of 2 or 3 input (tensors|shapes).*received 4"
    ):
        Attention()([x, x, x, x])
    with pytest.raises(ValueError, match=r"expected mask to be a list \[query_mask, value_mask\]"):
        Attention()([x, x], mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(
        ValueError, match=r"query and key must have the same feature size.*key shape \(None, 5, 3"
    ):
        Attention()([x, torch.ones(2, 5, 3)])
    with pytest.raises(ValueError, match=r"value and key must have the same number of timesteps"):
        Attention()([x, torch.ones(2, 5, 6), torch.ones(2, 7, 6)])
    with pytest.raises(ValueError, match=r"expected score_mode to be one of \('dot', 'concat'\)"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"AdditiveAttention 'a': expected 0 <= dropout < 1"):
        AdditiveAttention(dropout=1.5, name="a")


# -- MultiHeadAttention ------------------------------------------------------------------------

MHA_LAYERS = [
    {"num_heads": 2, "key_dim": 3},
    {"num_heads": 3, "key_dim": 2, "value_dim": 4, "output_shape": 5},
    {"num_heads": 2, "key_dim": 3, "use_bias": False, "use_gate": True},
    {"num_heads": 2, "key_dim": 3, "output_shape": (2, 3)},
    {"num_heads": 1, "key_dim": 4, "sliding_window": 2},
]
MHA_CALLS = [
    {},
    {"query_mask": QUERY_MASK},  # fully masked query rows: torch's fused path, as Keras
    {"query_mask": QUERY_MASK, "return_attention_scores": True},  # the masked-softmax path
    {"value_mask": VALUE_MASK},
    {"use_causal_mask": True},
    {"use_causal_mask": True, "return_attention_scores": True},
    {"attention_mask": rng.random((2, 4, 5)) > 0.3, "key_mask": VALUE_MASK},
    {"attention_mask": rng.random((2, 4, 5)) > 0.3, "use_causal_mask": True},
    {"query_mask": QUERY_MASK, "value_mask": VALUE_MASK, "return_attention_scores": True},
]


def keras_mha_call(keras_layer, inputs, call):
    """Keras 3.15 reads the query mask from the query tensor, not from query_mask=."""
    from keras.src import backend

    tensors = [torch.tensor(x) for x in inputs]
    kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    if "query_mask" in kwargs:
        backend.set_keras_mask(tensors[0], kwargs.pop("query_mask"))
    return keras_layer(*tensors, **kwargs)


def mha_twins(keras, kwargs, inputs):
    keras_layer = keras.layers.MultiHeadAttention(**kwargs)
    keras_layer(*[torch.tensor(x) for x in inputs])
    layer = MultiHeadAttention(**kwargs)
    layer(*inputs)
    copy_weights(layer, keras_layer)
    return layer, keras_layer


@pytest.mark.parametrize("kwargs", MHA_LAYERS)
def test_multi_head_attention_matches_keras(keras, kwargs):
    inputs = arrays((2, 4, 6), (2, 5, 7), (2, 5, 3))  # key != value, T != S
    layer, keras_layer = mha_twins(keras, kwargs, inputs)
    assert layer.count_params() == keras_layer.count_params()
    for call in MHA_CALLS:
        compare(layer(*inputs, **call), keras_mha_call(keras_layer, inputs, call))


def test_multi_head_attention_weight_layout_is_keras(keras):
    inputs = arrays((2, 4, 6), (2, 5, 7), (2, 5, 3))
    kwargs = {"num_heads": 2, "key_dim": 3, "value_dim": 4, "use_gate": True}
    layer, keras_layer = mha_twins(keras, kwargs, inputs)
    keras_names = [w.path.split("/", 1)[1] for w in keras_layer.weights]
    names = [f"{sub.name}/{n}" for sub in sublayers(layer) for n in sub.keras_weight_names()]
    assert names == keras_names
    assert [w.shape for w in layer.get_weights()] == [
        (6, 2, 3),
        (2, 3),
        (3, 2, 3),
        (2, 3),
        (6, 2, 4),
        (2, 4),
        (7, 2, 4),
        (2, 4),
        (2, 4, 6),
        (6,),
    ]
    for ours, theirs in zip(layer.get_weights(), keras_layer.get_weights(), strict=True):
        assert np.array_equal(ours, theirs)
    assert list(layer.state_dict())[:2] == ["query_dense.kernel", "query_dense.bias"]


def test_multi_head_self_attention_and_numpy_inputs(keras):
    (x,) = arrays((3, 6, 8))
    layer, keras_layer = mha_twins(keras, {"num_heads": 4, "key_dim": 2}, [x, x])
    assert_close(layer(x, x), keras_layer(torch.tensor(x), torch.tensor(x)))
    assert_close(layer(query=x, value=x, key=x), keras_layer(torch.tensor(x), torch.tensor(x)))


@pytest.mark.parametrize(
    ("attention_axes", "value_shape"),
    [(None, (2, 3, 4, 7)), ((2,), (2, 3, 5, 7)), (-2, (2, 3, 5, 7)), ((1, 2), (2, 3, 4, 7))],
)
def test_multi_head_attention_axes_match_keras(keras, attention_axes, value_shape):
    inputs = arrays((2, 3, 4, 6), value_shape)
    kwargs = {"num_heads": 2, "key_dim": 3, "attention_axes": attention_axes}
    layer, keras_layer = mha_twins(keras, kwargs, inputs)
    for call in ({}, {"return_attention_scores": True}):
        expected = keras_mha_call(keras_layer, inputs, call)
        actual = layer(*inputs, **call)
        compare(actual, expected)
    shapes = [(None, *inputs[0].shape[1:]), (None, *value_shape[1:])]
    output_shape, scores_shape = layer.compute_output_shape(*shapes, return_attention_scores=True)
    assert output_shape == (None, *expected[0].shape[1:])
    assert scores_shape == (None, *expected[1].shape[1:])
    assert layer.get_config()["attention_axes"] == keras_layer.get_config()["attention_axes"]


def test_multi_head_attention_shapes_with_unknown_sizes_match_keras(keras):
    for kwargs in (
        {"num_heads": 2, "key_dim": 3},
        {"num_heads": 2, "key_dim": 3, "output_shape": 4},
    ):
        keras_layer = keras.layers.MultiHeadAttention(**kwargs)
        layer = MultiHeadAttention(**kwargs)
        shapes = ((None, None, 6), (None, None, 7), (None, None, 3))
        assert layer.compute_output_shape(*shapes) == keras_layer.compute_output_shape(*shapes)
        assert layer.compute_output_shape(list(shapes)) == keras_layer.compute_output_shape(*shapes)
        scores = layer.compute_output_shape(*shapes[:2], return_attention_scores=True)[1]
        assert scores == (None, 2, None, None)
        assert layer.build_from_shape(list(shapes))  # as a model builds it
        keras_layer.build(*shapes)
        assert layer.count_params() == keras_layer.count_params()
        assert not MultiHeadAttention(2, 3).can_build([(None, 4, None), (None, 5, 7)])
    # Keras's build(query_shape, value_shape) by hand builds the layer too.
    layer = MultiHeadAttention(2, 3)
    layer.build((None, 4, 6), (None, 5, 7))
    assert layer.built and len(layer.get_weights()) == 8
    assert layer(torch.ones(1, 4, 6), torch.ones(1, 5, 7)).shape == (1, 4, 6)


def test_multi_head_attention_dropout_in_training_only(keras):
    inputs = arrays((2, 4, 6), (2, 5, 6))
    layer, keras_layer = mha_twins(keras, {"num_heads": 2, "key_dim": 3, "dropout": 0.5}, inputs)
    expected = keras_mha_call(keras_layer, inputs, {"return_attention_scores": True})
    compare(layer(*inputs, return_attention_scores=True), expected)  # eval: no dropout
    output, scores = layer(*inputs, return_attention_scores=True, training=True)
    assert_close(scores, expected[1])  # Keras returns the scores before dropout
    assert (output - expected[0]).abs().max() > 1e-3
    layer.train()
    assert (layer(*inputs) - expected[0]).abs().max() > 1e-3


def test_multi_head_attention_gradients_and_regularizers_match_keras(keras):
    query, value = arrays((2, 4, 6), (2, 5, 7))
    kwargs = {"num_heads": 2, "key_dim": 3, "kernel_regularizer": "l2", "bias_regularizer": "l1"}
    layer, keras_layer = mha_twins(keras, kwargs, [query, value])
    mask = torch.tensor(VALUE_MASK)
    weights = torch.tensor(rng.normal(size=(2, 4, 6)), dtype=torch.float32)
    (layer(query, value, value_mask=mask) * weights).sum().backward()
    output = keras_mha_call(keras_layer, [query, value], {"value_mask": VALUE_MASK})
    (output * weights).sum().backward()
    for ours, theirs in zip(layer.weights, keras_layer.weights, strict=True):
        assert ours.grad is not None
        assert_close(ours.grad, theirs.value.grad)
    penalties = [p for sub in sublayers(layer) for p in sub.regularization_losses()]
    assert len(penalties) == 8
    assert_close(
        sum(penalties), sum(float(loss.detach()) for loss in keras_layer.losses), atol=1e-5
    )


def test_multi_head_attention_initial_kernels_use_einsum_fans():
    layer = MultiHeadAttention(num_heads=4, key_dim=8)
    layer.build_from_shape([(None, 3, 64), (None, 3, 64)])
    query_kernel, _, _, _, _, _, output_kernel, output_bias = layer.get_weights()
    # Keras's EinsumDense counts the contracted axes as fan-in, the others as fan-out.
    for kernel, fans in ((query_kernel, 64 + 32), (output_kernel, 32 + 64)):
        limit = math.sqrt(6 / fans)
        assert np.abs(kernel).max() <= limit
        assert np.abs(kernel).max() > 0.8 * limit
    assert not output_bias.any()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_heads": 2, "key_dim": 3},
        {
            "num_heads": 4,
            "key_dim": 2,
            "value_dim": 5,
            "dropout": 0.1,
            "use_bias": False,
            "output_shape": (3,),
            "attention_axes": (1,),
            "sliding_window": 3,
            "use_gate": True,
            "seed": 7,
            "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.5}},
            "bias_constraint": None,
        },
    ],
)
def test_multi_head_attention_config_round_trip_with_keras_keys(keras, kwargs):
    layer = MultiHeadAttention(name="mha", **kwargs)
    config = layer.get_config()
    keras_config = keras.layers.MultiHeadAttention(name="mha", **kwargs).get_config()
    keras_config.pop("dtype")
    assert config.keys() == keras_config.keys()
    for key in config:
        if key.endswith("initializer"):
            continue  # kerastorch keeps the name, Keras the serialized object
        if key.endswith("regularizer") and config[key] is not None:
            assert config[key]["config"] == keras_config[key]["config"]
            continue
        assert config[key] == keras_config[key], key
    assert MultiHeadAttention.from_config(config).get_config() == config
    twin = keras.layers.MultiHeadAttention.from_config(config)
    assert twin.get_config()["num_heads"] == kwargs["num_heads"]


def test_multi_head_attention_compute_mask_is_the_query_mask():
    layer = MultiHeadAttention(2, 3)
    mask = torch.tensor(QUERY_MASK)
    assert torch.equal(layer.compute_mask(None, mask), mask)
    assert torch.equal(layer.compute_mask(None, [mask, None]), mask)
    assert layer.compute_mask(None, None) is None


def test_multi_head_attention_errors_name_the_layer():
    x = torch.ones(2, 4, 6)
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'm': expected a positive integer"):
        MultiHeadAttention(0, 3, name="m")
    with pytest.raises(ValueError, match=r"key_dim=-1"):
        MultiHeadAttention(2, -1)
    with pytest.raises(ValueError, match=r"attention_axes to be an int, a list or a tuple"):
        MultiHeadAttention(2, 3, attention_axes="time")
    with pytest.raises(ValueError, match=r"dropout is not supported with flash_attention=True"):
        MultiHeadAttention(2, 3, dropout=0.1, flash_attention=True)
    with pytest.raises(ValueError, match=r"value and key, except the last one, must be equal"):
        MultiHeadAttention(2, 3)(x, torch.ones(2, 5, 6), torch.ones(2, 7, 6))
    with pytest.raises(ValueError, match=r"expected query of shape \(batch, timesteps, features\)"):
        MultiHeadAttention(2, 3)(torch.ones(2, 6), torch.ones(2, 6))
    layer = MultiHeadAttention(2, 3, name="m")
    layer(x, x)
    with pytest.raises(ValueError, match=r"'m' was built for query of shape \(None, 4, 6\), rece"):
        layer(torch.ones(2, 4, 5), x)
    with pytest.raises(ValueError, match=r"attention_axes=\(3,\) must name axes between"):
        MultiHeadAttention(2, 3, attention_axes=3)(x, x)
