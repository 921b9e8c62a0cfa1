"""Masking, Embedding and global pooling layers equal Keras 3's, masks included."""

import warnings

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential
from kerastorch.layers import (
    Dense,
    Embedding,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    Masking,
    lengths_to_mask,
    mask_to_lengths,
)
from kerastorch.utils import pad_sequences
from tests.helpers import assert_close


def keras_quietly(fn, *args, **kwargs):
    """Run Keras code whose own warnings (e.g. "destroys the mask") are not under test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def run(model, x):
    """The model's output in inference mode, through Sequential's forward (mask flow included)."""
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(x))


def to_numpy(value):
    return value.detach().cpu().numpy() if torch.is_tensor(value) else np.asarray(value)


def padded_batch(batch=4, steps=6, features=3, value=0.0):
    """Random sequences, right- and left-padded with ``value``, plus one step that only
    partly equals ``value`` (it must stay unmasked)."""
    x = np.random.randn(batch, steps, features).astype("float32")
    x[0, 4:] = value  # right padding
    x[1, :2] = value  # left padding
    x[2, 3] = value  # a hole in the middle
    x[3, 1, 0] = value  # only one feature equals the value: not masked
    return x


# -- Masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mask_value", [0.0, 1.0, -1.5])
def test_masking_mask_and_output_match_keras(keras, mask_value):
    x = padded_batch(value=mask_value)
    keras_masking = keras.layers.Masking(mask_value=mask_value)
    layer = Masking(mask_value=mask_value)
    tx = torch.from_numpy(x)
    expected_mask = to_numpy(keras_masking.compute_mask(x))
    actual_mask = layer.compute_mask(tx, None)
    assert actual_mask.dtype == torch.bool
    np.testing.assert_array_equal(to_numpy(actual_mask), expected_mask)
    np.testing.assert_array_equal(
        to_numpy(actual_mask),
        [[1] * 4 + [0] * 2, [0] * 2 + [1] * 4, [1] * 3 + [0] + [1] * 2, [1] * 6],
    )
    # Masked steps become 0 (not mask_value), everything else passes through.
    assert_close(layer(tx), keras_masking(x), atol=0.0)


def test_masking_keeps_inf_of_real_steps_like_keras(keras):
    x = np.array([[[0.0, 0.0], [np.inf, 1.0], [-np.inf, np.nan]]], "float32")
    expected = to_numpy(keras.layers.Masking()(x))
    actual = to_numpy(Masking()(torch.from_numpy(x)))
    np.testing.assert_array_equal(actual, expected)  # equal_nan by default
    assert actual[0, 1, 0] == np.inf  # inf * 0 would have given NaN


def test_masking_replaces_incoming_mask_and_round_trips_config(keras):
    x = torch.from_numpy(padded_batch())
    layer = Masking()
    incoming = torch.zeros(4, 6, dtype=torch.bool)
    np.testing.assert_array_equal(
        to_numpy(layer.compute_mask(x, incoming)), to_numpy(layer.compute_mask(x, None))
    )
    assert Masking(**Masking(2.0, name="m").get_config()).mask_value == 2.0
    assert keras.layers.Masking(2.0).get_config()["mask_value"] == 2.0
    with pytest.raises(ValueError, match=r"Masking 'masking': expected a number"):
        Masking("zero")


@pytest.mark.parametrize("pooling", ["GlobalAveragePooling1D", "GlobalMaxPooling1D"])
def test_masking_then_pooling_model_matches_keras(keras, pooling):
    """The mask flows Masking -> Dense -> pooling through Sequential as through Keras."""
    x = padded_batch(batch=4, steps=6, features=3)
    keras_model = keras_quietly(
        keras.Sequential,
        [
            keras.Input((6, 3)),
            keras.layers.Masking(),
            keras.layers.Dense(5),
            getattr(keras.layers, pooling)(),
        ],
    )
    layer_cls = {"GlobalAveragePooling1D": GlobalAveragePooling1D}.get(pooling, GlobalMaxPooling1D)
    model = Sequential([Input((6, 3)), Masking(), Dense(5), layer_cls()])
    model.set_weights(keras_model.get_weights())
    expected = keras_quietly(keras_model.predict, x, verbose=0)
    if pooling == "GlobalMaxPooling1D":
        with pytest.warns(UserWarning, match="ignores the mask"):
            actual = run(model, x)
    else:
        actual = run(model, x)
    assert_close(actual, expected)


# -- Embedding ---------------------------------------------------------------------------------


def test_embedding_weight_layout_count_and_state_dict_key(keras):
    keras_embedding = keras.layers.Embedding(100, 8)
    keras_embedding.build((None, 5))
    model = Sequential([Input((5,)), Embedding(100, 8)])
    layer = model.layers[0]
    assert [w.shape for w in layer.get_weights()] == [
        tuple(w.shape) for w in keras_embedding.get_weights()
    ]
    assert layer.count_params() == keras_embedding.count_params() == 800
    assert list(model.state_dict()) == ["embedding.embedding.weight"]
    assert model.output_shape == keras_embedding.compute_output_shape((None, 5)) == (None, 5, 8)
    # Keras's initializer: U(-0.05, 0.05), not nn.Embedding's N(0, 1).
    table = layer.get_weights()[0]
    assert np.abs(table).max() <= 0.05 and np.abs(table).max() > 0.045
    assert abs(table.std() - 0.1 / np.sqrt(12)) < 0.005


def test_embedding_mask_zero_output_and_mask_match_keras(keras):
    ids = np.array([[3, 7, 0, 0, 0], [0, 0, 9, 1, 2], [5, 0, 4, 0, 6]], dtype="int64")
    keras_embedding = keras.layers.Embedding(10, 4, mask_zero=True)
    expected = to_numpy(keras_embedding(ids))
    expected_mask = to_numpy(keras_embedding.compute_mask(ids))
    layer = Embedding(10, 4, mask_zero=True)
    layer.build_from_shape((None, 5))
    layer.set_weights(keras_embedding.get_weights())
    tids = torch.from_numpy(ids)
    assert_close(layer(tids), expected, atol=0.0)
    np.testing.assert_array_equal(to_numpy(layer.compute_mask(tids, None)), expected_mask)
    # kerastorch's addition: a mask that comes with the ids (ragged token lists) is kept,
    # combined with mask_zero's.
    incoming = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.bool)
    combined = layer.compute_mask(tids, incoming)
    np.testing.assert_array_equal(combined.numpy(), expected_mask & incoming.numpy())
    plain = Embedding(10, 4)
    assert torch.equal(plain.compute_mask(tids, incoming), incoming)
    assert Embedding(10, 4).compute_mask(tids, None) is None


@pytest.mark.parametrize(
    "pooling", ["GlobalAveragePooling1D", "GlobalMaxPooling1D"], ids=["average", "max"]
)
def test_embedding_mask_zero_model_matches_keras(keras, pooling):
    sequences = [[4, 8, 15], [16, 23], [42], [7, 7, 7, 7, 7, 7], [1, 2, 3, 4]]
    ids = pad_sequences(sequences, maxlen=5)  # left padding, truncated from the front
    keras_model = keras_quietly(
        keras.Sequential,
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(50, 6, mask_zero=True),
            getattr(keras.layers, pooling)(),
            keras.layers.Dense(2),
        ],
    )
    layer_cls = {"GlobalAveragePooling1D": GlobalAveragePooling1D}.get(pooling, GlobalMaxPooling1D)
    model = Sequential([Input((5,)), Embedding(50, 6, mask_zero=True), layer_cls(), Dense(2)])
    model.set_weights(keras_model.get_weights())
    expected = keras_quietly(keras_model.predict, ids, verbose=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ignores the mask")
        actual = run(model, ids)
    assert_close(actual, expected)
    assert model.count_params() == keras_model.count_params()


def test_embedding_float_ids_are_truncated_like_keras(keras):
    ids = np.array([[1.0, 2.7, 0.2, 9.9]], dtype="float32")
    keras_embedding = keras.layers.Embedding(10, 3)
    expected = to_numpy(keras_embedding(ids))
    layer = Embedding(10, 3)
    layer.build_from_shape((None, 4))
    layer.set_weights(keras_embedding.get_weights())
    assert_close(layer(torch.from_numpy(ids)), expected, atol=0.0)
    assert_close(layer(torch.tensor([[1, 2, 0, 9]], dtype=torch.int32)), expected, atol=0.0)


def test_embedding_rejects_out_of_range_ids_with_a_clear_message():
    layer = Embedding(100, 4)
    with pytest.raises(
        ValueError, match=r"Embedding 'embedding': expected ids in \[0, 100\), received id 130\."
    ) as info:
        layer(torch.tensor([[1, 130, 5], [99, 0, 2]]))
    assert "vocabulary size" in str(info.value)
    with pytest.raises(ValueError, match=r"expected ids in \[0, 100\), received id -1\."):
        layer(torch.tensor([[1, -1, 5]]))
    with pytest.raises(ValueError, match=r"received id 100\."):
        layer(torch.tensor([[100.0]]))
    assert layer(torch.tensor([[0, 99]])).shape == (1, 2, 4)  # both ends of the range are fine
    assert layer(torch.zeros(0, 3, dtype=torch.int64)).shape == (0, 3, 4)


def test_embedding_pretrained_weights_and_input_length(keras):
    table = np.random.randn(6, 3).astype("float32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = Embedding(6, 3, weights=[table], trainable=False, input_length=4)
        model = Sequential([layer])
    assert not caught  # input_length is honoured, so no deprecation warning
    assert layer.declared_input_shape == (None, 4)
    assert model.built and model.output_shape == (None, 4, 3)
    assert_close(layer.get_weights()[0], table, atol=0.0)
    keras_table = keras_quietly(keras.layers.Embedding(6, 3, weights=[table]).get_weights)[0]
    assert_close(keras_table, table, atol=0.0)
    assert not layer.embedding.weight.requires_grad
    with pytest.raises(ValueError, match=r"expected weights of shape .* \(6, 3\), received"):
        Embedding(6, 3, weights=np.zeros((5, 3)))


def test_embedding_config_round_trip_and_argument_errors():
    layer = Embedding(20, 5, mask_zero=True, name="words")
    config = layer.get_config()
    assert config["input_dim"] == 20 and config["output_dim"] == 5 and config["mask_zero"]
    assert config["embeddings_initializer"] == "uniform"
    twin = Embedding.from_config(config)
    assert twin.get_config() == config
    with pytest.raises(ValueError, match=r"Embedding 'embedding': .*input_dim=0"):
        Embedding(0, 4)
    with pytest.raises(ValueError, match='Unknown regularizer: "l5"'):
        Embedding(5, 4, embeddings_regularizer="l5")


def test_embedding_gradient_reaches_only_the_rows_used():
    layer = Embedding(10, 3)
    layer(torch.tensor([[1, 4, 4]])).sum().backward()
    grad = layer.embedding.weight.grad
    assert_close(grad[4], 2 * torch.ones(3), atol=0.0)
    assert_close(grad[1], torch.ones(3), atol=0.0)
    assert int(torch.count_nonzero(grad.sum(dim=1))) == 2


# -- Global pooling ----------------------------------------------------------------------------

POOLING_CASES = [
    {},
    {"keepdims": True},
    {"data_format": "channels_first"},
    {"data_format": "channels_first", "keepdims": True},
]


def _case_id(kwargs):
    return ",".join(f"{k}={v}" for k, v in kwargs.items()) or "default"


@pytest.mark.parametrize("kwargs", POOLING_CASES, ids=_case_id)
def test_global_average_pooling_matches_keras_with_and_without_mask(keras, kwargs):
    x = np.random.randn(3, 5, 4).astype("float32")
    steps = 4 if kwargs.get("data_format") == "channels_first" else 5
    mask = np.ones((3, steps), bool)
    mask[0, 2:] = False
    mask[1, :1] = False
    mask[2, 1] = False
    keras_layer = keras.layers.GlobalAveragePooling1D(**kwargs)
    layer = GlobalAveragePooling1D(**kwargs)
    tx, tmask = torch.from_numpy(x), torch.from_numpy(mask)
    assert_close(layer(tx), keras_layer(x))
    assert_close(layer(tx, mask=tmask), keras_layer(x, mask=mask))
    assert not np.allclose(to_numpy(layer(tx, mask=tmask)), to_numpy(layer(tx)))
    assert layer.compute_mask(tx, tmask) is None
    assert layer.compute_output_shape((None, *x.shape[1:])) == keras_layer.compute_output_shape(
        (None, *x.shape[1:])
    )
    assert layer.get_config()["data_format"] == keras_layer.get_config()["data_format"]


def test_global_average_pooling_of_a_fully_masked_sequence_is_nan_like_keras(keras):
    x = np.random.randn(2, 3, 2).astype("float32")
    mask = np.array([[False] * 3, [True, False, True]])
    expected = to_numpy(keras.layers.GlobalAveragePooling1D()(x, mask=mask))
    actual = to_numpy(GlobalAveragePooling1D()(torch.from_numpy(x), mask=torch.from_numpy(mask)))
    assert np.isnan(expected[0]).all() and np.isnan(actual[0]).all()
    assert_close(actual[1], expected[1])
    assert_close(actual[1], x[1, [0, 2]].mean(axis=0))


@pytest.mark.parametrize("kwargs", POOLING_CASES, ids=_case_id)
def test_global_max_pooling_matches_keras_and_ignores_the_mask(keras, kwargs):
    x = -np.abs(np.random.randn(3, 5, 4)).astype("float32")
    x[:, -1] = 0.0  # a zero-padded last step wins the max over negative values, as in Keras
    keras_layer = keras.layers.GlobalMaxPooling1D(**kwargs)
    layer = GlobalMaxPooling1D(**kwargs)
    tx = torch.from_numpy(x)
    expected = keras_layer(x)
    assert_close(layer(tx), expected, atol=0.0)
    # Keras's call() takes no mask at all (passing mask= raises a TypeError); in a model it
    # drops the mask. kerastorch takes it, warns once, and computes the same unmasked maximum.
    steps = 4 if kwargs.get("data_format") == "channels_first" else 5
    mask = torch.ones(3, steps, dtype=torch.bool)
    mask[:, -1] = False
    with pytest.warns(UserWarning, match=r"GlobalMaxPooling1D '.*' ignores the mask"):
        assert_close(layer(tx, mask=mask), expected, atol=0.0)
    layer(tx, mask=mask)  # no second warning (warnings are errors in this suite)
    assert layer.compute_mask(tx, mask) is None
    assert layer.compute_output_shape((None, *x.shape[1:])) == keras_layer.compute_output_shape(
        (None, *x.shape[1:])
    )
    with pytest.raises(TypeError):
        keras_layer(x, mask=to_numpy(mask))


def test_pooling_argument_and_shape_errors():
    with pytest.raises(ValueError, match=r"data_format 'channels_last' .* received"):
        GlobalAveragePooling1D(data_format="NTC")
    with pytest.raises(ValueError, match=r"expects 3D inputs \(batch, steps, features\)"):
        GlobalMaxPooling1D()(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"expected a mask of shape \(batch, steps\) = \(2, 3\)"):
        GlobalAveragePooling1D()(torch.ones(2, 3, 4), mask=torch.ones(2, 4, dtype=torch.bool))
    assert GlobalAveragePooling1D(data_format=None).data_format == "channels_last"


# -- lengths <-> masks -------------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_lengths_to_mask_equals_keras_masking_of_padded_sequences(keras, padding):
    lengths = [3, 1, 5, 0, 2]
    sequences = [list(range(1, n + 1)) for n in lengths]
    padded = keras.utils.pad_sequences(sequences, maxlen=5, padding=padding)
    # Keras's Masking over one feature marks exactly the padded steps.
    expected = to_numpy(keras.layers.Masking().compute_mask(padded[..., None].astype("float32")))
    mask = lengths_to_mask(lengths, maxlen=5, padding=padding)
    assert mask.dtype == torch.bool and mask.shape == (5, 5)
    np.testing.assert_array_equal(to_numpy(mask), expected)
    assert mask_to_lengths(mask).tolist() == lengths
    assert mask_to_lengths(mask).dtype == torch.int64


def test_lengths_to_mask_defaults_and_errors():
    np.testing.assert_array_equal(
        to_numpy(lengths_to_mask(torch.tensor([2, 0, 3]))),
        [[1, 1, 0], [0, 0, 0], [1, 1, 1]],
    )
    assert lengths_to_mask(np.array([], dtype="int64")).shape == (0, 0)
    assert mask_to_lengths(np.array([[1, 0, 1]])).tolist() == [2]
    with pytest.raises(ValueError, match=r"every length must be <= maxlen=2, received length 3"):
        lengths_to_mask([1, 3], maxlen=2)
    with pytest.raises(ValueError, match=r"lengths must be >= 0, received -1 \(at index 1\)"):
        lengths_to_mask([1, -1])
    with pytest.raises(ValueError, match=r'expected padding="pre" or "post"'):
        lengths_to_mask([1], padding="left")
    with pytest.raises(TypeError, match="expected integer lengths"):
        lengths_to_mask([1.5])
    with pytest.raises(ValueError, match=r"mask of shape \(batch, timesteps\)"):
        mask_to_lengths(torch.ones(3, dtype=torch.bool))
