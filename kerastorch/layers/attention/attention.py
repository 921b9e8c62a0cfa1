"""Luong-style (dot-product) and Bahdanau-style (additive) attention: Keras's ``Attention`` and
``AdditiveAttention``.

NOTE [attention masks]
    ``mask=[query_mask, value_mask]`` (a third entry, for the key, is accepted and ignored, as in
    Keras). ``value_mask`` ``(batch, Tv)`` keeps masked values out of the softmax: their scores
    are lowered by 1e9, as Keras does, so a query whose every value is masked gets a uniform
    distribution. ``query_mask`` ``(batch, Tq)`` zeroes the output at masked query steps and is
    the mask passed on (``compute_mask``). ``use_causal_mask=True`` lets query step ``i`` see
    value steps ``j <= i`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.nn import functional as F

from kerastorch.layers.arguments import check_rate, to_tensor
from kerastorch.layers.base import Layer, Shape

__all__ = ["AdditiveAttention", "Attention"]

_SCORE_MODES = ("dot", "concat")
# Keras subtracts this from the scores of masked positions before the softmax.
_MASKED_SCORE_OFFSET = 1.0e9


def causal_mask(query_length: int, value_length: int, device: Any = None) -> torch.Tensor:
    """``(1, Tq, Tv)`` boolean mask, True where value step ``j <= `` query step ``i``.

    Example:
        >>> causal_mask(3, 3).int()
        tensor([[[1, 0, 0],
                 [1, 1, 0],
                 [1, 1, 1]]], dtype=torch.int32)
    """
    ones = torch.ones(query_length, value_length, dtype=torch.bool, device=device)
    return torch.tril(ones).unsqueeze(0)


class Attention(Layer):
    """Dot-product attention (Luong-style): each query step takes a softmax-weighted average of
    the values, weighted by how well the query matches each key.

    ``scores = query @ key^T`` (times a learned ``scale`` if ``use_scale``), or with
    ``score_mode="concat"``, ``concat_score_weight * sum(tanh(scale * (query + key)))``;
    ``output = softmax(scores) @ value``. Masks: see NOTE [attention masks].

    Args:
        use_scale: Learn a scalar ``scale`` that multiplies the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: Fraction of the attention weights to drop in training.
        seed: Accepted for Keras compatibility; use ``kerastorch.utils.set_random_seed``.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``: ``(batch, Tq, dim)``,
            ``(batch, Tv, dim)`` and ``(batch, Tv, dim)``; ``key`` defaults to ``value``.
        mask: ``[query_mask, value_mask]``, boolean ``(batch, Tq)`` and ``(batch, Tv)``.
        training: Whether dropout is applied (``None``: the module's mode).
        return_attention_scores: Also return the attention weights (after masking, softmax and
            dropout), ``(batch, Tq, Tv)``.
        use_causal_mask: Let query step ``i`` attend to value steps ``j <= i`` only.

    Output shape: ``(batch, Tq, value_dim)``.

    Example:
        >>> query, value = torch.ones(2, 4, 8), torch.ones(2, 6, 8)
        >>> Attention()([query, value]).shape
        torch.Size([2, 4, 8])
        >>> Attention().compute_output_shape([(None, None, 8), (None, 6, 8)])
        (None, None, 8)
    """

    takes_input_list = True

    supports_masking = True

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score_mode not in _SCORE_MODES:
            raise ValueError(
                f"{self.describe()}: expected score_mode to be one of {_SCORE_MODES}, received "
                f"score_mode={score_mode!r}."
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = check_rate(self.describe(), "dropout", dropout)
        self.seed = seed

    # -- checks ----------------------------------------------------------------------------------

    def _check_inputs(self, inputs: Any, what: str = "tensors") -> list[Any]:
        if what == "shapes" and not all(isinstance(s, (list, tuple, torch.Size)) for s in inputs):
            raise ValueError(
                f"{self.describe()}: expected a list of input shapes, [query, value] or "
                f"[query, value, key], received the single shape {tuple(inputs)}."
            )
        if not isinstance(inputs, (list, tuple)):
            received = (
                f"a tensor of shape {tuple(inputs.shape)}"
                if hasattr(inputs, "shape")
                else type(inputs).__name__
            )
            raise ValueError(
                f"{self.describe()}: expected a list of input {what}, [query, value] or "
                f"[query, value, key], received {received}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{self.describe()}: expected a list of 2 or 3 input {what}, [query, value] or "
                f"[query, value, key], received {len(inputs)}."
            )
        return list(inputs)

    def _check_mask(self, mask: Any) -> list[Any] | None:
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
            got = f"{len(mask)} masks" if isinstance(mask, (list, tuple)) else type(mask).__name__
            raise ValueError(
                f"{self.describe()}: expected mask to be a list [query_mask, value_mask] (either "
                f"may be None), received {got}."
            )
        return list(mask)

    def _check_shapes(self, query: Shape, value: Shape, key: Shape) -> None:
        problem = None
        if len(query) < 3 or len(value) < 3 or len(key) < 3:
            problem = "each must have at least 3 axes, (batch, timesteps, features)"
        elif value[-2] is not None and key[-2] is not None and value[-2] != key[-2]:
            problem = "value and key must have the same number of timesteps"
        elif query[-1] is not None and key[-1] is not None and query[-1] != key[-1]:
            problem = "query and key must have the same feature size"
        if problem:
            raise ValueError(
                f"{self.describe()}: {problem}; received query shape {tuple(query)}, value shape "
                f"{tuple(value)}, key shape {tuple(key)}."
            )

    # -- Keras's layer contract ------------------------------------------------------------------

    def build(self, input_shape: list[Shape]) -> None:
        shapes = self._check_inputs(input_shape, "shapes")
        query, value = shapes[0], shapes[1]
        self._check_shapes(query, value, shapes[2] if len(shapes) > 2 else value)
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                shape=(), initializer="ones", name="concat_score_weight"
            )

    def compute_output_shape(
        self, input_shape: list[Shape], return_attention_scores: bool = False
    ) -> Shape | list[Shape]:
        """``(*query_shape[:-1], value_dim)``, and the scores' ``(*query_shape[:-1], Tv)`` with
        ``return_attention_scores=True``."""
        shapes = self._check_inputs(input_shape, "shapes")
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        output = (*query[:-1], value[-1])
        if return_attention_scores:
            return [output, (*query[:-1], key[-2])]
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        """The query mask (see NOTE [attention masks])."""
        self._check_inputs(inputs)
        masks = self._check_mask(mask)
        if masks is None or masks[0] is None:
            return None
        return to_tensor(masks[0]).bool()

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """``(batch, Tq, Tv)`` scores."""
        scale = getattr(self, "scale", None)  # weights made by build (use_scale, score_mode)
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            return scores if scale is None else scores * scale
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if scale is not None:
            summed = scale * summed
        return self.concat_score_weight * torch.tanh(summed).sum(dim=-1)

    def forward(
        self,
        inputs: Sequence[torch.Tensor],
        mask: Sequence[torch.Tensor | None] | None = None,
        training: bool | None = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        tensors = self._check_inputs(inputs)
        device = next((t.device for t in tensors if torch.is_tensor(t)), None)
        query, value = to_tensor(tensors[0], device), to_tensor(tensors[1], device)
        key = to_tensor(tensors[2], device) if len(tensors) > 2 else value
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        masks = self._check_mask(mask)
        query_mask = value_mask = None
        if masks is not None:
            query_mask = None if masks[0] is None else to_tensor(masks[0], device).bool()
            value_mask = None if masks[1] is None else to_tensor(masks[1], device).bool()

        scores = self._calculate_scores(query, key)
        scores_mask = None if value_mask is None else value_mask.unsqueeze(-2)
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1], scores.device)
            scores_mask = causal if scores_mask is None else scores_mask & causal
        if scores_mask is not None:
            scores = torch.where(scores_mask, scores, scores - _MASKED_SCORE_OFFSET)
        weights = torch.softmax(scores, dim=-1)
        if self.dropout > 0 and self.is_training(training):
            weights = F.dropout(weights, self.dropout, training=True)
        output = torch.matmul(weights, value)
        if query_mask is not None:
            output = torch.where(query_mask.unsqueeze(-1), output, output.new_zeros(()))
        if return_attention_scores:
            return output, weights
        return output

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau-style): ``scores = sum(scale * tanh(query + key))`` over the
    features, with a learned ``scale`` vector of the query's feature size; otherwise as
    :class:`Attention` (same call arguments and masks).

    Args:
        use_scale: Learn the ``(dim,)`` ``scale`` vector (glorot-uniform initialized); without
            it the sum is unweighted.
        dropout: Fraction of the attention weights to drop in training.

    Example:
        >>> layer = AdditiveAttention()
        >>> layer([torch.ones(2, 4, 8), torch.ones(2, 6, 8)]).shape
        torch.Size([2, 4, 8])
        >>> [w.shape for w in layer.get_weights()]
        [(8,)]
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def can_build(self, input_shape: list[Shape]) -> bool:
        shapes = self._check_inputs(input_shape, "shapes")
        return not self.use_scale or shapes[0][-1] is not None

    def build(self, input_shape: list[Shape]) -> None:
        shapes = self._check_inputs(input_shape, "shapes")
        query, value = shapes[0], shapes[1]
        self._check_shapes(query, value, shapes[2] if len(shapes) > 2 else value)
        if self.use_scale:
            self.scale = self.add_weight(
                shape=(query[-1],), initializer="glorot_uniform", name="scale"
            )

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        summed = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        if self.use_scale:
            summed = self.scale * summed
        return summed.sum(dim=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config
