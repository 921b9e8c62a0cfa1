"""Keras's layers, as lazily built ``torch.nn.Module``s (see NOTE [layer contract] in base.py)."""

from kerastorch.layers.base import Layer
from kerastorch.layers.core import Activation, Dense, Dropout, Input, InputLayer
from kerastorch.layers.embedding import Embedding
from kerastorch.layers.masking import Masking, lengths_to_mask, mask_to_lengths
from kerastorch.layers.pooling import GlobalAveragePooling1D, GlobalMaxPooling1D
from kerastorch.layers.recurrent import LSTM
from kerastorch.layers.reshaping import Flatten

__all__ = [
    "LSTM",
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "Input",
    "InputLayer",
    "Layer",
    "Masking",
    "lengths_to_mask",
    "mask_to_lengths",
]
