"""Keras's layers, as lazily built ``torch.nn.Module``s (see NOTE [layer contract] in base.py)."""

from kerastorch.layers.base import Layer
from kerastorch.layers.core import Activation, Dense, Dropout, Input, InputLayer
from kerastorch.layers.recurrent import LSTM
from kerastorch.layers.reshaping import Flatten

__all__ = [
    "LSTM",
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Input",
    "InputLayer",
    "Layer",
]
