"""Running a model in inference mode for a while, then giving each module its mode back."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from torch import nn


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """``model.eval()`` inside the block; afterwards every submodule has its own mode again.

    Restoring per module (not ``model.train(was_training)``) keeps a layer the user froze in
    eval mode frozen. When nothing is in training mode, which is the usual case outside ``fit``
    (kerastorch models start in eval mode), nothing is touched: ``eval()`` walks the whole module
    tree, a cost ``predict`` would pay on every call.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train()
        >>> with eval_mode(net):
        ...     net[1].training
        False
        >>> net[1].training
        True
    """
    with _mode(model, training=False):
        yield


@contextlib.contextmanager
def train_mode(model: nn.Module) -> Iterator[None]:
    """``model.train()`` inside the block; afterwards every submodule has its own mode again.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Dropout(0.5)).eval()
        >>> with train_mode(net):
        ...     net[0].training
        True
        >>> net[0].training
        False
    """
    with _mode(model, training=True):
        yield


@contextlib.contextmanager
def _mode(model: nn.Module, training: bool) -> Iterator[None]:
    modes = {module: module.training for module in model.modules()}
    if all(mode == training for mode in modes.values()):
        yield
        return
    model.train(training)
    try:
        yield
    finally:
        for module, mode in modes.items():
            module.training = mode
        # Submodules made inside the block (a lazy build) take their parent's mode, as
        # model.train(mode) would give them. modules() lists parents before their children.
        for parent in model.modules():
            for child in parent.children():
                if child not in modes:
                    child.training = parent.training
