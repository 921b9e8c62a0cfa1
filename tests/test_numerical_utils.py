"""to_categorical and normalize: the same arrays as keras.utils, clear errors where Keras has none."""

import numpy as np
import pytest
import torch

from kerastorch.utils import normalize, to_categorical
from tests.helpers import assert_close

LABELS = [
    ([0, 2, 1, 2], None),
    ([0, 2, 1, 2], 5),
    (np.array([[1], [0], [3]]), None),  # (N, 1): the trailing axis is dropped
    (np.array([[0, 1], [2, 0]]), 4),  # per-timestep labels: (N, T) -> (N, T, C)
    (np.array([[[1], [2]], [[0], [1]]]), None),  # (N, T, 1) -> (N, T, C)
    (np.array([1.0, 0.0, 2.0]), None),  # whole floats are labels too
    (np.array([True, False]), None),
]


@pytest.mark.parametrize(("labels", "num_classes"), LABELS)
def test_to_categorical_matches_keras(keras, labels, num_classes):
    expected = keras.utils.to_categorical(labels, num_classes)
    actual = to_categorical(labels, num_classes)
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def test_to_categorical_of_a_tensor_is_a_float32_tensor_like_keras(keras):
    labels = torch.tensor([[2], [0], [1]])
    expected = keras.ops.convert_to_numpy(keras.utils.to_categorical(labels, 3))
    actual = to_categorical(labels, 3)
    assert torch.is_tensor(actual) and actual.dtype == torch.float32
    assert_close(actual, expected)


@pytest.mark.parametrize(
    ("labels", "num_classes", "message"),
    [
        ([0, 3], 3, r"label 3 is outside \[0, 3\) for num_classes=3"),
        ([0, -1], 3, r"label -1 is outside \[0, 3\)"),  # Keras wraps -1 round to class 2
        ([0.5, 1.0], None, "expects integer class labels, received an array of dtype float64"),
        (["a", "b"], None, "expects integer class labels"),
        ([1, 2], 0, "Expected num_classes to be positive, received 0"),
        ([], None, "received no labels; pass num_classes"),
    ],
)
def test_to_categorical_names_bad_labels(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, num_classes)


@pytest.mark.parametrize(("axis", "order"), [(-1, 2), (1, 2), (-1, 1)])
def test_normalize_matches_keras(keras, axis, order):
    x = np.random.default_rng(0).normal(size=(4, 3))
    x[1] = 0.0  # a zero row stays zero
    assert_close(normalize(x, axis, order), keras.utils.normalize(x, axis, order), atol=1e-12)
    tensor = torch.from_numpy(x.astype("float32"))
    expected = keras.ops.convert_to_numpy(keras.utils.normalize(tensor, axis, order))
    assert_close(normalize(tensor, axis, order), expected, atol=1e-6)


def test_normalize_along_axis_0_by_hand():
    # keras.utils.normalize turns axis=0 into -1 on arrays (`axis = axis or -1`) and fails.
    x = np.array([[3.0, 0.0], [4.0, 0.0]])
    np.testing.assert_array_equal(normalize(x, axis=0), [[0.6, 0.0], [0.8, 0.0]])
