"""Shared test fixtures.

Keras 3 is the oracle: it runs on the torch backend, so ``KERAS_BACKEND`` must be set before it is
imported anywhere. The library itself never imports keras; only tests do.
"""

import os
import random

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
import torch

torch.set_num_threads(2)

# Keras scripts that test_port.py rewrites: data, not modules to import (--doctest-modules would).
# oracles/: scripts run by hand in a TensorFlow interpreter to record Keras's outputs.
collect_ignore_glob = ["port_scripts/*", "oracles/*"]


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session")
def keras():
    """The reference implementation (Keras 3 on the torch backend)."""
    import keras as keras_module

    assert keras_module.backend.backend() == "torch", "tests need KERAS_BACKEND=torch"
    return keras_module
