"""CategoryEncoding and Discretization compared with Keras 3 on its torch backend (these run
without TensorFlow there; Discretization's adapt does not, so its quantiles are compared in
tests/test_text_preprocessing.py against Keras's recorded values)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kerastorch import layers
from tests.helpers import assert_close

IDS = np.array([[0, 1, 1, 3], [2, 2, 2, 0], [3, 1, 0, 2]])


@pytest.mark.parametrize("mode", ["multi_hot", "count", "one_hot"])
@pytest.mark.parametrize("inputs", [IDS, IDS[:, :1], IDS[0]], ids=["2d", "column", "1d"])
def test_category_encoding_matches_keras(keras, mode, inputs):
    ours = layers.CategoryEncoding(num_tokens=5, output_mode=mode)
    theirs = keras.layers.CategoryEncoding(num_tokens=5, output_mode=mode)
    expected = keras.ops.convert_to_numpy(theirs(inputs))
    output = ours(inputs)
    assert_close(output, expected)
    assert tuple(output.shape) == theirs.compute_output_shape(inputs.shape)


def test_category_encoding_count_weights_match_keras(keras):
    weights = np.array([[0.5, 1.0, 2.0, 0.25], [1.0, 1.0, 3.0, 0.0], [2.0, 0.5, 0.5, 1.0]])
    ours = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    theirs = keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    expected = keras.ops.convert_to_numpy(theirs(IDS, count_weights=weights))
    assert_close(ours(IDS, count_weights=weights), expected)


def test_category_encoding_rejects_values_out_of_range():
    with pytest.raises(ValueError, match=r"0 <= values < num_tokens=4.*from 0 to 7"):
        layers.CategoryEncoding(num_tokens=4)(torch.tensor([[0, 7]]))


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_matches_keras(keras, mode):
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    x = np.array([[-3.0, -1.0, 0.2], [0.5, 1.9, 2.0], [7.0, -0.5, 0.0]], dtype="float32")
    ours = layers.Discretization(bin_boundaries=boundaries, output_mode=mode)
    theirs = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=mode)
    expected = keras.ops.convert_to_numpy(theirs(x))
    output = ours(x)
    if mode == "int":
        assert output.dtype == torch.int64
        np.testing.assert_array_equal(output.numpy(), expected)
    else:
        assert_close(output, expected)
    assert tuple(output.shape) == tuple(theirs.compute_output_shape(x.shape))


def test_discretization_config_round_trip_keeps_adapted_boundaries():
    layer = layers.Discretization(num_bins=3)
    layer.adapt(np.arange(12.0))
    twin = layers.Discretization.from_config(layer.get_config())
    assert twin.bin_boundaries == layer.bin_boundaries
    x = torch.tensor([[0.5, 5.0, 11.0]])
    assert torch.equal(twin(x), layer(x))
