"""kerastorch: write Keras, run PyTorch.

Keras's ``Sequential`` API, layers and training loop, where every model is an ordinary
``torch.nn.Module``.

Example:
    >>> import kerastorch as keras
    >>> from kerastorch.layers import LSTM, Dense
    >>> model = keras.Sequential([keras.Input((None, 5)), LSTM(8), Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
"""

from kerastorch import (
    activations,
    backend,
    callbacks,
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
    random,
    regularizers,
    saving,
    schedules,
    utils,
)
from kerastorch.layers import Input
from kerastorch.models import Model, Sequential
from kerastorch.version import __version__

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "__version__",
    "activations",
    "backend",
    "callbacks",
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
    "random",
    "regularizers",
    "saving",
    "schedules",
    "utils",
]
