"""Comparison helpers used across the test suite."""

import numpy as np
import pytest
import torch


def assert_close(actual, expected, atol=1e-5, rtol=0.0):
    """Compare as float64 numpy arrays, reporting the largest difference."""
    actual = np.asarray(actual.detach().cpu() if torch.is_tensor(actual) else actual, np.float64)
    expected = np.asarray(
        expected.detach().cpu() if torch.is_tensor(expected) else expected, np.float64
    )
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol)


def assert_same_config(actual, expected, rel=1e-6):
    """Compare two configs (dicts, lists, numbers, strings) exactly, numbers to ``rel``.

    ``pytest.approx`` does not compare nested data (pytest 9 refuses it): configs hold lists such
    as ``thresholds=[0.3, 0.6]``.
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{actual!r} is not a dict like {expected!r}"
        assert actual.keys() == expected.keys(), f"keys {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            assert_same_config(actual[key], expected[key], rel)
    elif isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)), f"{actual!r} is not a sequence like {expected!r}"
        assert len(actual) == len(expected), f"{actual!r} != {expected!r}"
        for a, e in zip(actual, expected, strict=True):
            assert_same_config(a, e, rel)
    elif isinstance(expected, float) and not isinstance(actual, bool):
        assert actual == pytest.approx(expected, rel=rel)
    else:
        assert actual == expected, f"{actual!r} != {expected!r}"


# A subprocess a test starts (an example, an exported model, a fresh interpreter) may take many
# times its usual seconds on a loaded machine; this bound only ends a run that hangs.
SUBPROCESS_TIMEOUT = 1800


# Masks of 4 sequences x 6 steps for recurrent-layer parity tests: every padding pattern Keras
# handles, an all-masked sequence included.
RECURRENT_MASKS = {
    "no-mask": None,
    "post-padding": [
        [1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1],
        [1, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 0, 0],
    ],
    "pre-padding": [[0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1], [0, 0, 1, 1, 1, 1]],
    "holes": [[1, 0, 1, 0, 1, 1], [0, 1, 1, 0, 1, 0], [1, 1, 0, 1, 1, 1], [0, 0, 1, 0, 0, 0]],
    "empty-sequence": [
        [0, 0, 0, 0, 0, 0],
        [1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1],
        [1, 0, 0, 0, 0, 0],
    ],
}
