"""Embedding: integer ids -> dense vectors, on ``nn.Embedding``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from kerastorch import initializers
from kerastorch.layers.arguments import InitializerArg, check_positive_int, initializer_config
from kerastorch.layers.base import Layer, Shape

__all__ = ["Embedding"]


class Embedding(Layer):
    """Turns integer ids in ``[0, input_dim)`` into vectors of size ``output_dim``.

    The table is an ``nn.Embedding`` (``state_dict`` key ``<layer name>.embedding.weight``) whose
    weight has Keras's layout, ``embeddings (input_dim, output_dim)``, and is initialized as
    Keras's, from ``U(-0.05, 0.05)``. Ids are ``int64`` or ``int32``; other inputs (floats
    holding ids, as ``predict`` makes from a float array) are cast to integers as Keras casts
    them, truncating toward zero. An id outside ``[0, input_dim)`` raises an error naming it
    (Keras would wrap a negative id around to the end of the table).

    Args:
        input_dim: Vocabulary size: the largest id + 1.
        output_dim: Size of each embedding vector.
        embeddings_initializer: Initializer of the ``(input_dim, output_dim)`` table.
        embeddings_regularizer: Penalty on the embeddings (``kerastorch.regularizers``).
        embeddings_constraint: Projection of the embeddings after each step.
        mask_zero: Whether id 0 is padding: the layer then hands the next layers the mask
            ``inputs != 0`` (so the vocabulary must leave id 0 unused). The output at padded
            steps is still row 0 of the table, as in Keras.
        weights: Initial table, an ``(input_dim, output_dim)`` array or a list holding one
            (Keras's ``weights=[embedding_matrix]`` for pretrained vectors).
        input_length: Length of the input sequences, from Keras 2 code. Keras 3 ignores it with
            a deprecation warning; kerastorch accepts it silently and, when the layer is given
            no other input shape, uses it as the declared input shape ``(None, input_length)``.

    Input shape: ``(batch, ...)`` integer ids. Output shape: ``(batch, ..., output_dim)``.

    Example:
        >>> layer = Embedding(1000, 8, mask_zero=True)
        >>> ids = torch.tensor([[5, 17, 0, 0]])
        >>> layer(ids).shape
        torch.Size([1, 4, 8])
        >>> layer.compute_mask(ids, None)
        tensor([[ True,  True, False, False]])
    """

    takes_ids = True
    keras_weight_roles = ("embeddings",)

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: InitializerArg = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        input_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            **kwargs,
        )
        layer = f"Embedding '{self.name}'"
        self.input_dim = check_positive_int(layer, "input_dim", input_dim)
        self.output_dim = check_positive_int(layer, "output_dim", output_dim)
        self.embeddings_initializer = embeddings_initializer
        initializers.get(embeddings_initializer)  # fail on an unknown name now, not at build
        self.mask_zero = bool(mask_zero)
        self.input_length = None
        if input_length is not None:
            self.input_length = check_positive_int(layer, "input_length", input_length)
            if self.declared_input_shape is None:
                self.declared_input_shape = (None, self.input_length)
        self._initial_weights = None
        if weights is not None:
            if isinstance(weights, (list, tuple)) and len(weights) == 1:
                weights = weights[0]
            initial = np.asarray(weights)
            if initial.shape != (self.input_dim, self.output_dim):
                raise ValueError(
                    f"{layer}: expected weights of shape (input_dim, output_dim) = "
                    f"{(self.input_dim, self.output_dim)}, received shape {initial.shape}."
                )
            self._initial_weights = initial

    def build(self, input_shape: Shape) -> None:
        if self._initial_weights is not None:
            table = torch.as_tensor(self._initial_weights, dtype=torch.float32).clone()
            self._initial_weights = None  # the parameter now holds it
        else:
            init = initializers.get(self.embeddings_initializer)
            table = init((self.input_dim, self.output_dim), dtype=torch.float32)
        # from_pretrained uses the table as the weight, skipping nn.Embedding's N(0, 1) draw.
        self.embedding = nn.Embedding.from_pretrained(table, freeze=False)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, self.output_dim)

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        ids = inputs if torch.is_tensor(inputs) else torch.as_tensor(np.asarray(inputs))
        if ids.dtype not in (torch.int64, torch.int32):
            ids = ids.to(torch.int64)  # truncates floats toward zero, as Keras's cast does
        self._check_ids(ids)
        return self.embedding(ids)

    def _check_ids(self, ids: torch.Tensor) -> None:
        """Raise a clear error for an id outside [0, input_dim) (one min/max pass)."""
        if ids.numel() == 0 or torch.compiler.is_exporting():
            return  # an exported graph cannot hold this data-dependent check
        low, high = torch.aminmax(ids)
        low, high = torch.stack([low, high]).tolist()
        if low >= 0 and high < self.input_dim:
            return
        bad = high if high >= self.input_dim else low
        hint = (
            " input_dim is the vocabulary size, the largest id + 1: make it larger, or map "
            "unknown words to an out-of-vocabulary id."
            if bad >= self.input_dim
            else " Ids must be >= 0."
        )
        raise ValueError(
            f"{self.describe()}: expected ids in [0, {self.input_dim}), received id {bad}.{hint}"
        )

    # A mask given with the ids (ragged token lists: kerastorch pads them and passes the mask) is
    # passed on, combined with ``mask_zero``'s; Keras has no such incoming mask to keep.
    supports_masking = True

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor | None:
        if not self.mask_zero:
            return mask
        ids = inputs if torch.is_tensor(inputs) else torch.as_tensor(np.asarray(inputs))
        return ids != 0 if mask is None else (ids != 0) & mask

    def keras_weights(self) -> list[torch.Tensor]:
        return [self.embedding.weight]

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.embedding.weight.copy_(weights[0])

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializer_config(self.embeddings_initializer),
            "mask_zero": self.mask_zero,
        }
        if self.input_length is not None:
            config["input_length"] = self.input_length
        return config
