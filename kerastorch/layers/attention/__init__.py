"""Attention layers: ``Attention``, ``AdditiveAttention`` and ``MultiHeadAttention``."""

from kerastorch.layers.attention.attention import AdditiveAttention, Attention
from kerastorch.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
