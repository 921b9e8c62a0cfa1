"""Keras's ``MultiHeadAttention`` and the ``EinsumDense``-style projections inside it.

NOTE [multi-head attention masks]
    The masks are combined as in Keras 3.15 (``_compute_attention_mask``): ``query_mask``
    ``(B, T)`` becomes ``(B, T, 1)``, ``value_mask`` and ``key_mask`` ``(B, S)`` become
    ``(B, 1, S)``, ``use_causal_mask`` adds a lower-triangular ``(1, T, S)``, ``sliding_window``
    a band ``|i - j| < window``; all of them and ``attention_mask`` ``(B, T, S)`` are AND-ed.
    kerastorch has no masks attached to tensors, so the query mask is the ``query_mask``
    argument (Keras 3.15 reads it from the query tensor and ignores the argument).

    Keras takes one of two paths, and kerastorch takes the same one, because they differ for a
    query row whose every key is masked (a padded query step):

    * no dropout rate, no ``return_attention_scores`` and ``(batch, timesteps, features)``
      inputs: torch's ``scaled_dot_product_attention``, masked scores lowered by
      ``0.7 * 3.38953e38``; a fully masked row attends uniformly to every value.
    * otherwise: a masked softmax (masked scores set to -1e9, masked weights then zeroed); a
      fully masked row has all-zero weights, so its output is the output projection's bias.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from kerastorch import activations, constraints, initializers, regularizers
from kerastorch.layers.arguments import check_positive_int, check_rate, to_tensor
from kerastorch.layers.attention.attention import causal_mask
from kerastorch.layers.base import Layer, Shape

__all__ = ["EinsumProjection", "MultiHeadAttention"]

# Keras's masked softmax writes this into masked scores (the slow path).
_MASKED_SCORE = -1.0e9
# Keras's torch backend adds this to masked scores in dot_product_attention (the fast path).
_SDPA_MASKED_SCORE = -0.7 * 3.38953e38


class EinsumProjection(Layer):
    """A projection of the last ``bound_dims`` axes of its input onto ``output_dims`` axes:
    ``y[..., *out] = sum(x[..., *in] * kernel[*in, *out]) + bias[*out]``.

    It holds the weights of one of MultiHeadAttention's projections in the layout of Keras's
    ``EinsumDense`` (kernel ``(*input_dims, *output_dims)``, bias ``output_dims``), and runs as
    one ``F.linear`` on the flattened axes.

    Args:
        output_dims: Sizes of the output axes, e.g. ``(num_heads, key_dim)``.
        bound_dims: How many trailing input axes are contracted.
        use_bias: Whether to add a bias.
        activation: Applied to the result (``None``: linear).
        kernel_initializer, bias_initializer: As Keras's; a variance-scaling kernel initializer
            counts the contracted axes as fan-in and the output axes as fan-out, as
            ``EinsumDense`` does.

    Example:
        >>> proj = EinsumProjection((2, 3))
        >>> proj(torch.ones(4, 5, 8)).shape
        torch.Size([4, 5, 2, 3])
        >>> [w.shape for w in proj.get_weights()]
        [(8, 2, 3), (2, 3)]
    """

    def __init__(
        self,
        output_dims: Sequence[int],
        bound_dims: int = 1,
        use_bias: bool = True,
        activation: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_dims = tuple(int(d) for d in output_dims)
        self.bound_dims = check_positive_int(self.describe(), "bound_dims", bound_dims)
        self.use_bias = bool(use_bias)
        self.activation_arg = activation
        self.activation = activations.get(activation)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def can_build(self, input_shape: Shape) -> bool:
        return len(input_shape) > self.bound_dims and None not in input_shape[-self.bound_dims :]

    def _kernel_initializer(self) -> Callable[..., torch.Tensor]:
        init = initializers.get(self.kernel_initializer)
        if isinstance(init, initializers.VarianceScaling) and (
            init.input_axes is None or init.output_axes is None
        ):
            bound, out = self.bound_dims, len(self.output_dims)
            config = {
                **init.get_config(),
                "input_axes": list(range(bound)),
                "output_axes": list(range(bound, bound + out)),
            }
            init = type(init).from_config(config)
        return init

    def build(self, input_shape: Shape) -> None:
        input_dims = tuple(input_shape[-self.bound_dims :])
        self.kernel = self.add_weight(
            shape=(*input_dims, *self.output_dims),
            initializer=self._kernel_initializer(),
            name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.output_dims, initializer=self.bias_initializer, name="bias"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[: -self.bound_dims], *self.output_dims)

    def forward(self, inputs: torch.Tensor, mask: Any = None, training: bool | None = None):
        bound = self.bound_dims
        fan_in = math.prod(self.kernel.shape[:bound])
        flat = inputs.reshape(*inputs.shape[:-bound], fan_in)
        weight = self.kernel.reshape(fan_in, -1).t()
        bias = self.bias.reshape(-1) if self.use_bias else None
        outputs = F.linear(flat, weight, bias).reshape(*inputs.shape[:-bound], *self.output_dims)
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_dims": self.output_dims,
            "bound_dims": self.bound_dims,
            "use_bias": self.use_bias,
            "activation": self.activation_arg,
            "kernel_initializer": initializer_config(self.kernel_initializer),
            "bias_initializer": initializer_config(self.bias_initializer),
        }


def initializer_config(identifier: Any) -> Any:
    """An initializer argument as a config holds it: names and dicts as given."""
    return identifier if isinstance(identifier, (str, dict)) else initializers.serialize(identifier)


def attention_equations(rank: int, attention_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """Keras's einsum equations for projected tensors of ``rank`` axes ``(batch, ...,
    num_heads, channels)``: query-key scores, then scores-value combination, and the scores'
    rank.

    Example:
        >>> attention_equations(4, (1,))
        ('aecd,abcd->acbe', 'acbe,aecd->abcd', 4)
    """
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join(
        [target[i] for i in batch_dims]
        + [target[i] for i in attention_axes]
        + [source[i] for i in attention_axes]
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _is_shape_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, (list, tuple, torch.Size)) for v in value
    )


class MultiHeadAttention(Layer):
    """Multi-head attention, as in "Attention is all you need" and Keras.

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads (``key_dim`` features
    for query and key, ``value_dim`` for value); each head computes
    ``softmax(q @ k^T / sqrt(key_dim)) @ v``; the heads are projected back to the query's
    feature size (or ``output_shape``). Self-attention is ``layer(x, x)``. Masks: see NOTE
    [multi-head attention masks].

    Weights, as Keras's ``get_weights()``: ``query`` kernel ``(query_dim, num_heads, key_dim)``
    and bias ``(num_heads, key_dim)``; ``key`` ``(key_dim_in, num_heads, key_dim)``;
    ``gate`` (with ``use_gate``); ``value`` ``(value_dim_in, num_heads, value_dim)``;
    ``attention_output`` ``(num_heads, value_dim, query_dim)`` and ``(query_dim,)``. The
    projections are the sublayers ``query_dense``, ``key_dense``, ``gate_dense``,
    ``value_dense``, ``output_dense``.

    Args:
        num_heads: Number of heads.
        key_dim: Size of each head for query and key.
        value_dim: Size of each head for value (default ``key_dim``).
        dropout: Dropout rate on the attention weights, in training.
        use_bias: Whether the projections have biases.
        output_shape: Output size(s) after the batch and attention axes (default: the query's
            feature size); an int or a tuple.
        attention_axes: The axes attention runs over (default: all but the batch, head and
            feature axes, i.e. the timesteps); for inputs of rank > 3.
        sliding_window: Let query step ``i`` attend to key steps ``|i - j| < sliding_window``.
        flash_attention: Accepted for Keras compatibility; torch picks the attention kernel.
        kernel_initializer: Initializer of every projection's kernel.
        bias_initializer: Initializer of every projection's bias.
        kernel_regularizer: Penalty on every projection's kernel, as Keras.
        bias_regularizer: Penalty on every projection's bias, as Keras.
        activity_regularizer: Penalty on the layer's output.
        kernel_constraint: Projection of every kernel after each optimizer step.
        bias_constraint: Projection of every bias after each optimizer step.
        use_gate: Gate the heads' output with ``sigmoid(query @ gate_kernel + gate_bias)``.
        seed: Accepted for Keras compatibility; use ``kerastorch.utils.set_random_seed``.

    Call arguments:
        query: ``(batch, T, query_dim)``.
        value: ``(batch, S, value_dim_in)``.
        key: ``(batch, S, key_dim_in)``; ``value`` if omitted.
        query_mask, value_mask, key_mask: boolean ``(batch, T)`` / ``(batch, S)`` masks.
        attention_mask: boolean ``(batch, T, S)``: which key steps each query step may see.
        return_attention_scores: Also return the attention weights ``(batch, num_heads, T, S)``
            (before dropout, as Keras).
        training: Whether dropout is applied (``None``: the module's mode).
        use_causal_mask: Let query step ``i`` attend to key steps ``j <= i`` only.

    Output shape: ``(batch, T, query_dim)`` (or ``(batch, T, *output_shape)``).

    Example:
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> query, value = torch.ones(3, 5, 8), torch.ones(3, 7, 6)
        >>> output, scores = layer(query, value, return_attention_scores=True)
        >>> output.shape, scores.shape
        (torch.Size([3, 5, 8]), torch.Size([3, 2, 5, 7]))
        >>> [w.shape for w in layer.get_weights()][:2]
        [(8, 2, 4), (2, 4)]
    """

    supports_masking = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: int | Sequence[int] | None = None,
        attention_axes: int | Sequence[int] | None = None,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = self.describe()
        self.num_heads = check_positive_int(where, "num_heads", num_heads)
        self.key_dim = check_positive_int(where, "key_dim", key_dim)
        self.value_dim = (
            self.key_dim if value_dim is None else check_positive_int(where, "value_dim", value_dim)
        )
        self.dropout = check_rate(where, "dropout", dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        if output_shape:
            if isinstance(output_shape, (int, np.integer)):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(
                    check_positive_int(where, "output_shape", d) for d in output_shape
                )
            except TypeError:
                raise ValueError(
                    f"{where}: expected output_shape to be an int or a tuple of ints, received "
                    f"output_shape={output_shape!r}."
                ) from None
        self.output_shape_arg: tuple[int, ...] | None = output_shape or None
        if isinstance(attention_axes, (int, np.integer)):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None:
            if not isinstance(attention_axes, (list, tuple)):
                raise ValueError(
                    f"{where}: expected attention_axes to be an int, a list or a tuple, received "
                    f"attention_axes={attention_axes!r}."
                )
            attention_axes = tuple(int(a) for a in attention_axes)
        self.attention_axes: tuple[int, ...] | None = attention_axes
        if sliding_window is not None:
            sliding_window = check_positive_int(where, "sliding_window", sliding_window)
        self.sliding_window = sliding_window
        if flash_attention and self.dropout > 0:
            raise ValueError(
                f"{where}: dropout is not supported with flash_attention=True; set dropout=0.0."
            )
        self.flash_attention = flash_attention
        self.seed = seed
        self.initializer_args = {
            "kernel_initializer": kernel_initializer,
            "bias_initializer": bias_initializer,
        }
        # The projections' penalties, as Keras passes them to each EinsumDense.
        self.projection_penalties = {
            "kernel_regularizer": kernel_regularizer,
            "bias_regularizer": bias_regularizer,
            "activity_regularizer": activity_regularizer,
            "kernel_constraint": kernel_constraint,
            "bias_constraint": bias_constraint,
        }
        for key, value in self.projection_penalties.items():
            module = constraints if key.endswith("_constraint") else regularizers
            module.get(value)  # validate now, not at build

    # -- shapes and building ---------------------------------------------------------------------

    def _split_shapes(
        self, query_shape: Any, value_shape: Any, key_shape: Any
    ) -> tuple[Shape, Shape, Shape]:
        """Keras's ``(query_shape, value_shape, key_shape=None)``, or one list of 2-3 shapes
        (what a model passes to ``build_from_shape`` / ``compute_output_shape``)."""
        if value_shape is None:
            if not _is_shape_list(query_shape) or not 2 <= len(query_shape) <= 3:
                raise ValueError(
                    f"{self.describe()}: expected the shapes of query and value (and key), "
                    f"received {query_shape!r}."
                )
            query_shape, value_shape, *rest = query_shape
            key_shape = rest[0] if rest else None
        query, value = tuple(query_shape), tuple(value_shape)
        key = value if key_shape is None else tuple(key_shape)
        for name, shape in (("query", query), ("value", value), ("key", key)):
            if len(shape) < 3:
                raise ValueError(
                    f"{self.describe()}: expected {name} of shape (batch, timesteps, features) "
                    f"(rank >= 3), received {name} shape {shape}."
                )
        if not len(query) == len(value) == len(key):
            raise ValueError(
                f"{self.describe()}: expected query, value and key of the same rank, received "
                f"shapes {query}, {value} and {key}."
            )
        if any(
            v is not None and k is not None and v != k
            for v, k in zip(value[1:-1], key[1:-1], strict=True)
        ):
            raise ValueError(
                f"{self.describe()}: all dimensions of value and key, except the last one, must "
                f"be equal; received value shape {value} and key shape {key}."
            )
        return query, value, key

    def can_build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> bool:
        shapes = self._split_shapes(query_shape, value_shape, key_shape)
        return all(s[-1] is not None for s in shapes)

    def _resolved_attention_axes(self, input_rank: int) -> tuple[int, ...]:
        if self.attention_axes is None:
            return tuple(range(1, input_rank - 1))
        axes = tuple(a if a >= 0 else input_rank + a for a in self.attention_axes)
        if any(not 1 <= a <= input_rank - 2 for a in axes):
            raise ValueError(
                f"{self.describe()}: attention_axes={self.attention_axes} must name axes between "
                f"the batch and the feature axes of inputs of rank {input_rank}."
            )
        return axes

    def _projection(self, name: str, output_dims: Sequence[int], **kwargs: Any) -> EinsumProjection:
        penalties = {
            k: v
            for k, v in self.projection_penalties.items()
            if v is not None and (self.use_bias or not k.startswith("bias_"))
        }
        initializer = self.initializer_args["kernel_initializer"]
        if isinstance(initializer, initializers.Initializer):
            initializer = initializer.clone()  # Keras clones it for every projection
        return EinsumProjection(
            output_dims,
            use_bias=self.use_bias,
            kernel_initializer=initializer,
            bias_initializer=self.initializer_args["bias_initializer"],
            name=name,
            **kwargs,
            **penalties,
        )

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        query, value, key = self._split_shapes(query_shape, value_shape, key_shape)
        rank = len(query)
        self.attention_axes = self._resolved_attention_axes(rank)
        self._dot_equation, self._combine_equation, scores_rank = attention_equations(
            rank + 1, self.attention_axes
        )
        self._softmax_axes = tuple(range(scores_rank - len(self.attention_axes), scores_rank))
        heads = self.num_heads
        self.query_dense = self._projection("query", (heads, self.key_dim))
        self.query_dense.build_from_shape(query)
        self.key_dense = self._projection("key", (heads, self.key_dim))
        self.key_dense.build_from_shape(key)
        if self.use_gate:
            self.gate_dense = self._projection(
                "gate", (heads, self.value_dim), activation="sigmoid"
            )
            self.gate_dense.build_from_shape(query)
        self.value_dense = self._projection("value", (heads, self.value_dim))
        self.value_dense.build_from_shape(value)
        output_dims = self.output_shape_arg or (query[-1],)
        self.output_dense = self._projection("attention_output", output_dims, bound_dims=2)
        self.output_dense.build_from_shape((*query[:-1], heads, self.value_dim))
        self._built_shapes = (query, value, key)
        if self._building_shape is None:
            # Called by hand, as Keras's mha.build(query_shape, value_shape): now it is built.
            self._finish_build([query, value, key])

    def input_shape_of_call(self, args: tuple, kwargs: dict[str, Any]) -> list[Shape]:
        """The shapes of query, value (and key), however the call passed them."""
        tensors = [
            args[i] if len(args) > i else kwargs.get(name)
            for i, name in enumerate(("query", "value", "key"))
        ]
        return [(None, *t.shape[1:]) for t in tensors if t is not None]

    def mask_routes(self, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Each of query, value and key passes its mask as query_mask / value_mask / key_mask,
        as Keras's call reads them from its inputs."""
        routes = {}
        for i, name in enumerate(("query", "value", "key")):
            tensor = args[i] if len(args) > i else kwargs.get(name)
            if tensor is not None and kwargs.get(f"{name}_mask") is None:
                routes[f"{name}_mask"] = tensor
        return routes

    def _build_on_first_call(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        tensors = [
            args[i] if len(args) > i else kwargs.get(name)
            for i, name in enumerate(("query", "value", "key"))
        ]
        if not (torch.is_tensor(tensors[0]) and torch.is_tensor(tensors[1])):
            return  # forward raises the clear error
        shapes = [(None, *t.shape[1:]) for t in tensors if torch.is_tensor(t)]
        self._run_build(shapes)
        self._finish_build(shapes)
        if tensors[0].device.type != "cpu":
            self.to(device=tensors[0].device)

    def compute_output_shape(
        self,
        query_shape: Any,
        value_shape: Any = None,
        key_shape: Any = None,
        return_attention_scores: bool = False,
    ) -> Shape | list[Shape]:
        """``query_shape`` with its last axis replaced by ``output_shape`` (by default kept);
        with ``return_attention_scores``, also the scores' shape ``(batch, num_heads, T, S)``
        (in general: the other axes, heads, the query's then the key's attention axes).

        Example:
            >>> MultiHeadAttention(2, 4).compute_output_shape((None, None, 8), (None, 7, 6))
            (None, None, 8)
        """
        query, _, key = self._split_shapes(query_shape, value_shape, key_shape)
        output = query[:-1] + self.output_shape_arg if self.output_shape_arg else query
        if not return_attention_scores:
            return output
        axes = self._resolved_attention_axes(len(query))
        others = [query[i] for i in range(len(query) - 1) if i not in axes]
        scores = (*others, self.num_heads, *(query[i] for i in axes), *(key[i] for i in axes))
        return [output, scores]

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        """The query's mask (Keras passes on the first input's mask); ``mask`` may be the query
        mask or a list ``[query_mask, value_mask, ...]``."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        return None if mask is None else to_tensor(mask).bool()

    # -- computing -------------------------------------------------------------------------------

    def _check_inputs(self, query: torch.Tensor, value: torch.Tensor, key: torch.Tensor) -> None:
        names = ("query", "value", "key")
        for name, tensor, shape in zip(names, (query, value, key), self._built_shapes, strict=True):
            if tensor.dim() != len(shape) or tensor.shape[-1] != shape[-1]:
                raise ValueError(
                    f"{self.describe()} was built for {name} of shape {shape}, received {name} "
                    f"of shape {tuple(tensor.shape)}."
                )
        if value.shape[:-1] != key.shape[:-1]:
            raise ValueError(
                f"{self.describe()}: all dimensions of value and key, except the last one, must "
                f"be equal; received value shape {tuple(value.shape)} and key shape "
                f"{tuple(key.shape)}."
            )

    def _attention_mask(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        query_mask: torch.Tensor | None,
        value_mask: torch.Tensor | None,
        key_mask: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        use_causal_mask: bool,
    ) -> torch.Tensor | None:
        """Keras's ``_compute_attention_mask`` (see NOTE [multi-head attention masks])."""
        parts = []
        if query_mask is not None:
            parts.append(query_mask.bool().unsqueeze(-1))
        if value_mask is not None:
            parts.append(value_mask.bool().unsqueeze(-2))
        if key_mask is not None:
            parts.append(key_mask.bool().unsqueeze(-2))
        length_q, length_v = query.shape[1], value.shape[1]
        if use_causal_mask:
            parts.append(causal_mask(length_q, length_v, query.device))
        if self.sliding_window is not None:
            rows = torch.arange(length_q, device=query.device).view(1, -1, 1)
            cols = torch.arange(length_v, device=query.device).view(1, 1, -1)
            parts.append((rows - cols).abs() < self.sliding_window)
        if attention_mask is not None:
            parts.insert(0, attention_mask.bool())
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined

    def _expand_mask(self, mask: torch.Tensor, rank: int) -> torch.Tensor:
        """Insert the head axis (and any missing batch axes) before the attention axes."""
        axis = -len(self.attention_axes) * 2 - 1
        while mask.dim() < rank:
            mask = mask.unsqueeze(axis)
        return mask

    def _masked_softmax(self, scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if mask is not None:
            mask = self._expand_mask(mask, scores.dim())
            scores = torch.where(mask, scores, scores.new_full((), _MASKED_SCORE))
        if len(self._softmax_axes) == 1:
            weights = torch.softmax(scores, dim=self._softmax_axes[0])
        else:
            weights = torch.exp(scores - torch.logsumexp(scores, self._softmax_axes, keepdim=True))
        if mask is not None:
            weights = torch.where(mask, weights, weights.new_zeros(()))
        return weights

    def _compute_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None,
        causal_only: bool,
        training: bool,
        return_attention_scores: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        scale = 1.0 / math.sqrt(float(self.key_dim))
        if not (self.dropout > 0 or return_attention_scores or query.dim() != 4):
            # Keras's fast path: (batch, heads, T, channels) for torch's fused attention.
            if mask is not None:
                mask = self._expand_mask(mask, 4)
                mask = torch.where(mask, 0.0, _SDPA_MASKED_SCORE).to(query.dtype)
            output = F.scaled_dot_product_attention(
                query.transpose(1, 2),
                key.transpose(1, 2),
                value.transpose(1, 2),
                attn_mask=mask,
                is_causal=causal_only,
                scale=scale,
            )
            return output.transpose(1, 2), None
        if causal_only:
            mask = causal_mask(query.shape[1], value.shape[1], query.device)
        scores = torch.einsum(self._dot_equation, key, query * scale)
        scores = self._masked_softmax(scores, mask)
        weights = scores
        if self.dropout > 0 and training:
            weights = F.dropout(scores, self.dropout, training=True)
        return torch.einsum(self._combine_equation, weights, value), scores

    def forward(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        key: torch.Tensor | None = None,
        query_mask: torch.Tensor | None = None,
        value_mask: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if key is None:
            key = value
        if not all(torch.is_tensor(t) for t in (query, value, key)):
            raise ValueError(
                f"{self.describe()}: expected query, value (and key) tensors, e.g. "
                f"layer(query, value), received {type(query).__name__} and "
                f"{type(value).__name__}."
            )
        self._check_inputs(query, value, key)
        device = query.device
        query_mask, value_mask, key_mask, attention_mask = (
            None if m is None else to_tensor(m, device)
            for m in (query_mask, value_mask, key_mask, attention_mask)
        )
        # Keras runs torch's causal kernel when the causal mask is the only one.
        causal_only = use_causal_mask and all(
            m is None for m in (query_mask, value_mask, key_mask, attention_mask)
        )
        causal_only = causal_only and self.sliding_window is None
        mask = None
        if not causal_only:
            mask = self._attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        gate = self.gate_dense(query) if self.use_gate else None
        output, scores = self._compute_attention(
            self.query_dense(query),
            self.key_dense(key),
            self.value_dense(value),
            mask,
            causal_only,
            self.is_training(training),
            return_attention_scores,
        )
        output = self.output_dense(output if gate is None else output * gate)
        if return_attention_scores:
            return output, scores
        return output

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self.output_shape_arg,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }
        for key, value in self.projection_penalties.items():
            module = constraints if key.endswith("_constraint") else regularizers
            config[key] = None if value is None else module.serialize(module.get(value))
        config["seed"] = self.seed
        return config
