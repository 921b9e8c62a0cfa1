"""``CategoryEncoding``: integer categories as one-hot, multi-hot or count vectors."""

from __future__ import annotations

from typing import Any

import torch

from kerastorch.layers.arguments import check_positive_int
from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.preprocessing.encoding import check_choice, encode_categorical

__all__ = ["CategoryEncoding"]


class CategoryEncoding(Layer):
    """Encode integer categories in ``[0, num_tokens)``, as Keras's ``CategoryEncoding``.

    Args:
        num_tokens: The number of categories (the size of the output's last axis).
        output_mode: ``"multi_hot"`` (default): one vector per sample with 1 for each category
            present in it (the last axis holds a sample's categories); ``"count"``: how many
            times each appears; ``"one_hot"``: one vector per value (a last axis of 1 is
            replaced).
        sparse: Keras's TensorFlow-only sparse output; must stay False (outputs are dense).

    Call arguments:
        inputs: Integers, ``(batch,)`` or ``(batch, tokens)``.
        count_weights: With ``output_mode="count"``, a weight per input value, summed instead of
            counting 1s.

    Output shape: ``(batch, num_tokens)`` (``one_hot`` of ``(batch, tokens)``:
    ``(batch, tokens, num_tokens)``), float32.

    Example:
        >>> layer = CategoryEncoding(num_tokens=4, output_mode="count")
        >>> layer(torch.tensor([[0, 1, 1], [3, 3, 2]]))
        tensor([[1., 2., 0., 0.],
                [0., 0., 1., 2.]])
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = self.describe()
        if num_tokens is None:
            raise ValueError(
                f"{where}: num_tokens must be set (the number of categories). If it is not known "
                "beforehand, use IntegerLookup, which learns the categories with adapt()."
            )
        self.num_tokens = check_positive_int(where, "num_tokens", num_tokens)
        self.output_mode = check_choice(
            where, "output_mode", output_mode, ("multi_hot", "count", "one_hot")
        )
        if sparse:
            raise ValueError(
                f"{where}: sparse=True needs TensorFlow's sparse tensors; kerastorch outputs "
                "dense tensors. Use sparse=False."
            )
        self.sparse = False

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return (*input_shape, self.num_tokens)
        return (*input_shape[:-1], self.num_tokens)

    def compute_output_dtype(self, input_dtype: str) -> str:
        return "float32"

    def forward(
        self,
        inputs: torch.Tensor,
        count_weights: torch.Tensor | None = None,
        training: bool | None = None,
    ) -> torch.Tensor:
        if not torch.is_tensor(inputs):
            inputs = torch.as_tensor(inputs)
        if inputs.is_floating_point():
            if not torch.equal(inputs, inputs.round()):
                raise ValueError(
                    f"{self.describe()} expects integer categories, received values such as "
                    f"{inputs.flatten()[0].item()!r}."
                )
            inputs = inputs.long()
        if (
            not torch.compiler.is_compiling()  # a data-dependent check: eager calls only
            and inputs.numel()
            and (int(inputs.min()) < 0 or int(inputs.max()) >= self.num_tokens)
        ):
            raise ValueError(
                f"{self.describe()}: input values must be in the range 0 <= values < "
                f"num_tokens={self.num_tokens}, received values from {int(inputs.min())} to "
                f"{int(inputs.max())}. Raise num_tokens, or map the values first (IntegerLookup)."
            )
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"{self.describe()}: count_weights is only used with output_mode='count', "
                    f"received output_mode={self.output_mode!r}."
                )
            count_weights = torch.as_tensor(count_weights)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, count_weights)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
