"""kerastorch: write Keras, run PyTorch.

Keras's ``Sequential`` API, layers and training loop, where every model is an ordinary
``torch.nn.Module``.

Example:
    >>> import kerastorch as keras
    >>> from kerastorch.layers import LSTM, Dense
    >>> model = keras.Sequential([keras.Input((None, 5)), LSTM(8), Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
"""

import gc as _gc

# NOTE: the import creates many objects but no garbage: collecting during it would only traverse
# torch's heap (a full collection, about 0.1 s, right after `import torch`). The collector's
# state is restored as it was.
_collecting = _gc.isenabled()
_gc.disable()
try:
    from kerastorch import (
        activations,
        backend,
        callbacks,
        config,
        constraints,
        distribute,
        export,
        initializers,
        layers,
        losses,
        metrics,
        mixed_precision,
        models,
        ops,
        optimizers,
        preprocessing,
        random,
        regularizers,
        saving,
        schedules,
        utils,
    )
    from kerastorch.layers import Input
    from kerastorch.models import Model, Sequential
    from kerastorch.version import __version__
finally:
    if _collecting:
        _gc.enable()

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "__version__",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "distribute",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "schedules",
    "utils",
]
