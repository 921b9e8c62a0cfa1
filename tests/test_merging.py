"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and their
functional forms equal Keras 3's: values, masks, shapes, gradients, configs and errors."""

import numpy as np
import pytest
import torch

from kerastorch import layers
from kerastorch.layers import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Multiply,
    Subtract,
)
from tests.helpers import assert_close

rng = np.random.default_rng(0)


def arrays(*shapes):
    return [rng.normal(size=s).astype("float32") for s in shapes]


def keras_call(keras_layer, xs, masks=None):
    """Call a Keras layer with masks attached to its input tensors, as Keras passes them."""
    from keras.src import backend

    tensors = [torch.tensor(x) for x in xs]
    for t, m in zip(tensors, masks or [None] * len(xs), strict=True):
        if m is not None:
            backend.set_keras_mask(t, torch.tensor(m))
    return keras_layer(tensors)


def no_batch(shapes):
    return [(None, *s[1:]) for s in shapes]


ELEMENTWISE_CASES = [
    ("Add", [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    ("Add", [(2, 4), (2, 3, 4)]),  # ranks differ: an axis is added after the batch axis
    ("Add", [(2, 1, 4), (2, 3, 1)]),  # broadcast on size-1 axes
    ("Add", [(2, 5)]),  # Keras 3 accepts a single input
    ("Subtract", [(2, 3), (2, 3)]),
    ("Subtract", [(2, 6, 3), (2, 3)]),
    ("Multiply", [(2, 3, 4), (2, 3, 4), (2, 1, 4)]),
    ("Average", [(2, 3), (2, 3), (2, 3)]),
    ("Maximum", [(2, 5, 3), (2, 5, 3)]),
    ("Minimum", [(2, 5, 3), (2, 3)]),
]


@pytest.mark.parametrize(("name", "shapes"), ELEMENTWISE_CASES)
def test_elementwise_merge_matches_keras(keras, name, shapes):
    xs = arrays(*shapes)
    expected = keras_call(getattr(keras.layers, name)(), xs)
    layer = getattr(layers, name)()
    assert_close(layer(xs), expected)
    assert_close(layer([torch.tensor(x) for x in xs]), expected)  # numpy or tensors
    assert layer.build_input_shape == no_batch(shapes)
    assert layer.get_weights() == []
    keras_shape = getattr(keras.layers, name)().compute_output_shape(no_batch(shapes))
    assert layer.compute_output_shape(no_batch(shapes)) == keras_shape


@pytest.mark.parametrize(
    ("kwargs", "shapes"),
    [
        ({}, [(2, 3, 4), (2, 3, 2)]),
        ({"axis": 1}, [(2, 3, 4), (2, 5, 4), (2, 1, 4)]),
        ({"axis": -2}, [(2, 3, 4), (2, 5, 4)]),
        ({"axis": 1}, [(2, 3), (2, 7)]),
    ],
)
def test_concatenate_matches_keras(keras, kwargs, shapes):
    xs = arrays(*shapes)
    expected = keras_call(keras.layers.Concatenate(**kwargs), xs)
    assert_close(Concatenate(**kwargs)(xs), expected)
    assert_close(layers.concatenate(xs, **kwargs), keras.layers.concatenate(xs, **kwargs))
    keras_shape = keras.layers.Concatenate(**kwargs).compute_output_shape(no_batch(shapes))
    assert Concatenate(**kwargs).compute_output_shape(no_batch(shapes)) == keras_shape


DOT_CASES = [
    ({"axes": 1}, [(2, 3), (2, 3)]),  # two vectors: (batch, 1)
    ({"axes": -1}, [(2, 3), (2, 3)]),
    ({"axes": (1, 2)}, [(2, 3, 5), (2, 10, 3)]),
    ({"axes": [-1, -1]}, [(2, 4, 3), (2, 6, 3)]),
    ({"axes": -1, "normalize": True}, [(2, 4, 3), (2, 6, 3)]),
    ({"axes": (1, 1), "normalize": True}, [(2, 3), (2, 3)]),
    ({"axes": (2, 1)}, [(2, 4, 3, 5), (2, 3, 7, 2)]),  # rank 4 x rank 4
    ({"axes": 1}, [(2, 3), (2, 3, 6)]),
    ({"axes": (2, 1)}, [(2, 6, 3), (2, 3)]),
]


@pytest.mark.parametrize(("kwargs", "shapes"), DOT_CASES)
def test_dot_matches_keras(keras, kwargs, shapes):
    xs = arrays(*shapes)
    expected = keras_call(keras.layers.Dot(**kwargs), xs)
    actual = Dot(**kwargs)(xs)
    assert_close(actual, expected)
    keras_shape = keras.layers.Dot(**kwargs).compute_output_shape(no_batch(shapes))
    assert Dot(**kwargs).compute_output_shape(no_batch(shapes)) == keras_shape
    assert actual.shape[1:] == keras_shape[1:]


def test_dot_normalize_of_a_zero_vector_is_zero_as_keras(keras):
    xs = [np.zeros((1, 3), "float32"), np.ones((1, 3), "float32")]
    expected = keras.layers.Dot(1, normalize=True)([torch.tensor(x) for x in xs])
    assert_close(Dot(1, normalize=True)(xs), expected)


def test_functional_helpers_match_keras(keras):
    x1, x2, x3 = arrays((2, 3), (2, 3), (2, 3))
    for name in ("add", "multiply", "average", "maximum", "minimum"):
        expected = getattr(keras.layers, name)([torch.tensor(x) for x in (x1, x2, x3)])
        assert_close(getattr(layers, name)([x1, x2, x3]), expected)
    assert_close(layers.subtract([x1, x2]), keras.layers.subtract([x1, x2]))
    expected = keras.layers.dot([torch.tensor(x1), torch.tensor(x2)], axes=1, normalize=True)
    assert_close(layers.dot([x1, x2], axes=1, normalize=True), expected)
    assert_close(layers.dot([x1, x2]), keras.layers.dot([torch.tensor(x1), torch.tensor(x2)]))
    assert layers.add([x1, x2], name="my_add").shape == (2, 3)


# -- masks -------------------------------------------------------------------------------------

MASKS = [
    np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool),
    np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool),
    np.array([[0, 1, 1, 1, 1], [1, 1, 1, 1, 1]], bool),
]


@pytest.mark.parametrize("name", ["Maximum", "Minimum", "Multiply", "Add", "Average"])
@pytest.mark.parametrize("which", [(0, 1, 2), (0, None, 2), (None, 1, None)])
def test_masked_merge_values_and_mask_match_keras(keras, name, which):
    xs = arrays((2, 5, 3), (2, 5, 3), (2, 5, 3))
    masks = [None if i is None else MASKS[i] for i in which]
    expected = keras_call(getattr(keras.layers, name)(), xs, masks)
    layer = getattr(layers, name)()
    assert_close(layer(xs, mask=masks), expected)
    tensors = [torch.tensor(x) for x in xs]
    mask_tensors = [None if m is None else torch.tensor(m) for m in masks]
    keras_mask = getattr(keras.layers, name)().compute_mask(tensors, mask_tensors)
    mask = layer.compute_mask(tensors, mask_tensors)
    if keras_mask is None:
        assert mask is None
    else:
        assert torch.equal(mask, keras_mask)


@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("which", [(0, 1), (None, 1), (0, None), (None, None)])
def test_concatenate_mask_matches_keras(keras, axis, which):
    xs = arrays((2, 5, 3), (2, 5, 3))
    masks = [None if i is None else torch.tensor(MASKS[i]) for i in which]
    tensors = [torch.tensor(x) for x in xs]
    expected = keras.layers.Concatenate(axis=axis).compute_mask(tensors, masks)
    actual = Concatenate(axis=axis).compute_mask(tensors, masks)
    assert (actual is None) == (expected is None)
    if expected is not None:
        assert actual.shape == expected.shape
        assert torch.equal(actual, expected)
    assert Concatenate().compute_mask(tensors, None) is None
    assert Dot(-1).compute_mask(tensors, masks) is None


# -- shapes with unknown sizes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "shapes"),
    [
        ("Add", {}, [(None, None, 4), (None, 7, 4)]),
        ("Add", {}, [(None, None, 4), (None, 4)]),
        ("Multiply", {}, [(3, None, 1), (None, 5, 4)]),
        ("Maximum", {}, [(None, 1), (None, 6)]),
        ("Concatenate", {"axis": 1}, [(None, None, 4), (None, 3, 4)]),
        ("Concatenate", {}, [(None, None, 4), (None, None, 2)]),
        ("Dot", {"axes": (2, 2)}, [(None, None, 4), (None, 6, 4)]),
        ("Dot", {"axes": 1}, [(None, 4), (None, 4)]),
    ],
)
def test_compute_output_shape_with_unknown_sizes_matches_keras(keras, name, kwargs, shapes):
    expected = getattr(keras.layers, name)(**kwargs).compute_output_shape(shapes)
    layer = getattr(layers, name)(**kwargs)
    assert layer.compute_output_shape(shapes) == expected
    assert layer.build_from_shape(shapes)
    assert layer.build_input_shape == shapes


def test_compute_output_shape_with_an_unknown_rank():
    assert Add().compute_output_shape([None, (None, 3)]) is None


# -- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "masks"),
    [
        ("Dot", {"axes": -1, "normalize": True}, None),
        ("Maximum", {}, MASKS[:2]),
        ("Multiply", {}, MASKS[:2]),
        ("Concatenate", {"axis": 1}, None),
        ("Average", {}, None),
    ],
)
def test_input_gradients_match_keras(keras, name, kwargs, masks):
    from keras.src import backend

    xs = arrays((2, 5, 3), (2, 5, 3))
    ours = [torch.tensor(x, requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    weights = torch.tensor(rng.normal(size=(2, 5, 5 if name == "Dot" else 3)), dtype=torch.float32)
    if name == "Concatenate":
        weights = torch.tensor(rng.normal(size=(2, 10, 3)), dtype=torch.float32)
    (getattr(layers, name)(**kwargs)(ours, mask=masks) * weights).sum().backward()
    keras_inputs = [t * 1.0 for t in theirs]  # non-leaf copies carry the Keras masks
    for t, m in zip(keras_inputs, masks or [None, None], strict=True):
        if m is not None:
            backend.set_keras_mask(t, torch.tensor(m))
    (getattr(keras.layers, name)(**kwargs)(keras_inputs) * weights).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        assert a.grad is not None and a.grad.abs().sum() > 0
        assert_close(a.grad, b.grad)


# -- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("Add", {}),
        ("Subtract", {}),
        ("Multiply", {}),
        ("Average", {}),
        ("Maximum", {}),
        ("Minimum", {}),
        ("Concatenate", {"axis": 1}),
        ("Dot", {"axes": (1, 2), "normalize": True}),
        ("Dot", {"axes": -1}),
    ],
)
def test_config_round_trip_with_keras_keys(keras, name, kwargs):
    layer = getattr(layers, name)(name="merge_me", **kwargs)
    config = layer.get_config()
    keras_config = getattr(keras.layers, name)(name="merge_me", **kwargs).get_config()
    keras_config.pop("dtype")
    assert config == keras_config
    twin = type(layer).from_config(config)
    assert twin.get_config() == config
    assert getattr(keras.layers, name).from_config(config).get_config()["name"] == "merge_me"


# -- errors ------------------------------------------------------------------------------------


def test_errors_name_the_layer_and_what_was_received():
    x, y = torch.ones(2, 3), torch.ones(2, 4)
    with pytest.raises(ValueError, match=r"Add 'add': expected a list of at least 1 input "):
        Add()(x)
    with pytest.raises(ValueError, match=r"Add 'add': expected a list .*received 0"):
        Add()([])
    with pytest.raises(ValueError, match=r"Subtract 'subtract': expected a list of exactly 2 .*3"):
        Subtract()([x, x, x])
    with pytest.raises(ValueError, match=r"Dot 'dot': expected a list of exactly 2 .*received 1"):
        Dot(1)([x])
    with pytest.raises(ValueError, match=r"Add 'add': inputs have incompatible shapes \(3,\) and"):
        Add()([x, y])
    with pytest.raises(
        ValueError, match=r"different batch sizes, received shapes \(2, 3\), \(5, 3"
    ):
        Average()([x, torch.ones(5, 3)])
    with pytest.raises(ValueError, match=r"Concatenate 'concatenate' requires .*axis 1"):
        Concatenate(axis=-1)([torch.ones(2, 3, 4), torch.ones(2, 5, 4)])
    with pytest.raises(ValueError, match=r"Concatenate 'concatenate' requires .*different ranks"):
        Concatenate()([torch.ones(2, 3, 4), torch.ones(2, 4)])
    with pytest.raises(ValueError, match=r"Concatenate 'concatenate': cannot concatenate along"):
        Concatenate(axis=0)([x, x])
    with pytest.raises(
        ValueError, match=r"Dot 'dot': incompatible input shapes \(None, 3\) and \("
    ):
        Dot(axes=1)([x, y])
    with pytest.raises(ValueError, match=r"Dot 'dot': cannot take the dot product over the batch"):
        Dot(axes=0)([x, x])
    with pytest.raises(ValueError, match=r"Dot 'dot': expected axes to be an int or a pair"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match=r"Dot 'dot': expected axes to be an int"):
        Dot(axes="last")
    with pytest.raises(ValueError, match=r"one mask \(or None\) per input, received 1 masks for 2"):
        Add()([x, x], mask=[None])
    with pytest.raises(ValueError, match=r"incompatible shapes"):
        Add().compute_output_shape([(None, 3), (None, 4)])
    with pytest.raises(ValueError, match=r"Multiply 'multiply': expected a list of at least 1"):
        Multiply().build((None, 3))


def test_numpy_inputs_become_float32_tensors():
    # numpy float64 inputs become float32, as Keras casts inputs to the layer's dtype.
    out = Add()([np.ones((2, 3)), np.ones((2, 3))])
    assert out.dtype == torch.float32
    assert torch.equal(out, torch.full((2, 3), 2.0))
    assert Maximum()([[[1.0, 5.0]], [[3.0, 2.0]]]).tolist() == [[3.0, 5.0]]
