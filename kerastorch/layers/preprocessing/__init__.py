"""Preprocessing layers: numbers (Normalization, Rescaling, Discretization), categories
(CategoryEncoding, Hashing, StringLookup, IntegerLookup) and text (TextVectorization).

The modules of this family may import each other (the lookup layers share ``encoding.py``;
``TextVectorization`` holds a ``StringLookup``).
"""

from kerastorch.layers.preprocessing.category_encoding import CategoryEncoding
from kerastorch.layers.preprocessing.discretization import Discretization
from kerastorch.layers.preprocessing.hashing import Hashing
from kerastorch.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from kerastorch.layers.preprocessing.normalization import Normalization, Rescaling
from kerastorch.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "Discretization",
    "Hashing",
    "IntegerLookup",
    "Normalization",
    "Rescaling",
    "StringLookup",
    "TextVectorization",
]
