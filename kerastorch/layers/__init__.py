"""Keras's layers, as lazily built ``torch.nn.Module``s (see NOTE [layer contract] in base.py)."""

from kerastorch.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kerastorch.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kerastorch.layers.base import Layer
from kerastorch.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Convolution1D,
    Convolution1DTranspose,
)
from kerastorch.layers.core import Activation, Dense, Dropout, Identity, Input, InputLayer, Lambda
from kerastorch.layers.embedding import Embedding
from kerastorch.layers.masking import Masking, lengths_to_mask, mask_to_lengths
from kerastorch.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from kerastorch.layers.normalization import (
    BatchNormalization,
    LayerNormalization,
    UnitNormalization,
)
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
from kerastorch.layers.preprocessing import (
    CategoryEncoding,
    Discretization,
    Hashing,
    IntegerLookup,
    Normalization,
    Rescaling,
    StringLookup,
    TextVectorization,
)
from kerastorch.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from kerastorch.layers.regularization import (
    ActivityRegularization,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
)
from kerastorch.layers.reshaping import (
    Cropping1D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    ZeroPadding1D,
)
from kerastorch.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from kerastorch.layers.time_distributed import TimeDistributed
from kerastorch.layers.wrappers import Bidirectional
from kerastorch.saving.object_registration import register_builtin_classes

__all__ = [
    "ELU",
    "GRU",
    "LSTM",
    "RNN",
    "Activation",
    "ActivityRegularization",
    "Add",
    "AdditiveAttention",
    "Attention",
    "Average",
    "AveragePooling1D",
    "AvgPool1D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "Concatenate",
    "Conv1D",
    "Conv1DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Cropping1D",
    "Dense",
    "Discretization",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAvgPool1D",
    "GlobalMaxPool1D",
    "GlobalMaxPooling1D",
    "Hashing",
    "Identity",
    "Input",
    "InputLayer",
    "IntegerLookup",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPooling1D",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "StackedRNNCells",
    "StringLookup",
    "Subtract",
    "TextVectorization",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "ZeroPadding1D",
    "add",
    "average",
    "concatenate",
    "dot",
    "lengths_to_mask",
    "mask_to_lengths",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]

# Saved models name these classes; loading finds them here (NOTE [safe deserialization]).
register_builtin_classes("layer", Layer, [globals()[name] for name in __all__])
