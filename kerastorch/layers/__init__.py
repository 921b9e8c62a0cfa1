"""Keras's layers, as lazily built ``torch.nn.Module``s (see NOTE [layer contract] in base.py)."""

from kerastorch.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kerastorch.layers.base import Layer
from kerastorch.layers.convolutional import Conv1D, Convolution1D
from kerastorch.layers.core import Activation, Dense, Dropout, Input, InputLayer, Lambda
from kerastorch.layers.embedding import Embedding
from kerastorch.layers.masking import Masking, lengths_to_mask, mask_to_lengths
from kerastorch.layers.normalization import BatchNormalization, LayerNormalization
from kerastorch.layers.pooling import (
    AveragePooling1D,
    AvgPool1D,
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPooling1D,
    MaxPool1D,
    MaxPooling1D,
)
from kerastorch.layers.preprocessing import Normalization
from kerastorch.layers.recurrent import GRU, LSTM, SimpleRNN
from kerastorch.layers.regularization import GaussianDropout, GaussianNoise, SpatialDropout1D
from kerastorch.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from kerastorch.layers.time_distributed import TimeDistributed
from kerastorch.layers.wrappers import Bidirectional

__all__ = [
    "ELU",
    "GRU",
    "LSTM",
    "Activation",
    "AveragePooling1D",
    "AvgPool1D",
    "BatchNormalization",
    "Bidirectional",
    "Conv1D",
    "Convolution1D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAvgPool1D",
    "GlobalMaxPool1D",
    "GlobalMaxPooling1D",
    "Input",
    "InputLayer",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPooling1D",
    "Normalization",
    "PReLU",
    "Permute",
    "ReLU",
    "RepeatVector",
    "Reshape",
    "SimpleRNN",
    "Softmax",
    "SpatialDropout1D",
    "TimeDistributed",
    "lengths_to_mask",
    "mask_to_lengths",
]
