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
    modes = {module: module.training for module in model.modules()}
    if not any(modes.values()):
        yield
        return
    model.eval()
    try:
        yield
    finally:
        for module, training in modes.items():
            module.training = training
        # Submodules made inside the block (a lazy build) take their parent's mode, as
        # model.train(mode) would give them. modules() lists parents before their children.
        for parent in model.modules():
            for child in parent.children():
                if child not in modes:
                    child.training = parent.training
