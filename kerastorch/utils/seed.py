"""Reproducibility."""

from __future__ import annotations

import random

import numpy as np
import torch


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy and torch (all devices) at once, as Keras's does.

    Example:
        >>> set_random_seed(42)
        >>> a = torch.rand(2)
        >>> set_random_seed(42)
        >>> bool((a == torch.rand(2)).all())
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"Expected an integer seed, received seed={seed!r}.")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
