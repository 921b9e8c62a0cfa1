"""Comparison helpers used across the test suite."""

import numpy as np
import torch


def assert_close(actual, expected, atol=1e-5, rtol=0.0):
    """Compare as float64 numpy arrays, reporting the largest difference."""
    actual = np.asarray(actual.detach().cpu() if torch.is_tensor(actual) else actual, np.float64)
    expected = np.asarray(
        expected.detach().cpu() if torch.is_tensor(expected) else expected, np.float64
    )
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol)
