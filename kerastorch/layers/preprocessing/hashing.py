"""``Hashing``: strings or integers into a fixed number of bins by their hash."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from kerastorch.layers.arguments import check_positive_int
from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.preprocessing.encoding import (
    ENCODINGS,
    check_choice,
    encode_categorical,
    to_numpy,
)
from kerastorch.utils.hashing import hash_bucket

__all__ = ["Hashing"]


class Hashing(Layer):
    """Hash values into ``num_bins`` bins, as Keras's ``Hashing`` (through TensorFlow).

    The bin of a value is ``FarmHash64(str(value)) % num_bins`` (integers are hashed as their
    decimal text, floats truncated to integers first, as TensorFlow does), or with ``salt`` its
    SipHash-2-4 keyed by the salt: the same bins as Keras (``kerastorch.utils.hashing``).

    Args:
        num_bins: The number of bins, the mask bin included.
        mask_value: A value that goes to bin 0; the others then hash into bins
            ``1 .. num_bins - 1``.
        salt: An int or two ints: use the keyed (strong) hash.
        output_mode: ``"int"`` (bin indices, int64), ``"one_hot"``, ``"multi_hot"`` or
            ``"count"`` (float32 vectors of ``num_bins``).
        sparse: Keras's TensorFlow-only sparse output; must stay False (outputs are dense).

    Example:
        >>> Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"], ["D"], ["E"]]))
        tensor([[1],
                [0],
                [1],
                [1],
                [2]])
    """

    takes_text = True  # raw strings (a numpy array of str) come in as they are

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        where = self.describe()
        self.num_bins = check_positive_int(where, "num_bins", num_bins)
        self.output_mode = check_choice(where, "output_mode", output_mode, ENCODINGS)
        if sparse:
            raise ValueError(
                f"{where}: sparse=True needs TensorFlow's sparse tensors; use sparse=False."
            )
        self.sparse = False
        if salt is not None:
            if isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            elif not (isinstance(salt, (tuple, list)) and len(salt) == 2):
                raise ValueError(
                    f"{where}: salt must be an integer or a tuple of 2 integers, received "
                    f"salt={salt!r}."
                )
            salt = [int(s) for s in salt]
        self.salt = salt
        self.mask_value = mask_value

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if not input_shape:
            return (self.num_bins,)
        return (*input_shape[:-1], self.num_bins)

    def compute_output_dtype(self, input_dtype: str) -> str:
        return "int64" if self.output_mode == "int" else "float32"

    def _bins(self, array: np.ndarray) -> np.ndarray:
        bins = self.num_bins
        masked = self.mask_value is not None and bins > 1
        if masked:
            bins -= 1
        # TensorFlow truncates floats to int64 before hashing.
        keys = array.astype(np.int64) if array.dtype.kind == "f" else array
        uniques, inverse = np.unique(keys.reshape(-1), return_inverse=True)
        text = [str(int(u)) if keys.dtype.kind in "iub" else str(u) for u in uniques.tolist()]
        table = np.array([hash_bucket(t, bins, self.salt) for t in text], dtype=np.int64)
        out = table[inverse].reshape(array.shape)
        if masked:
            out = np.where(array == self.mask_value, 0, out + 1)
        return out

    def forward(self, inputs: Any, training: bool | None = None) -> torch.Tensor:
        array = to_numpy(inputs)
        if array.dtype.kind not in "USiufb":
            raise TypeError(
                f"{self.describe()} hashes strings or numbers, received an array of dtype "
                f"{array.dtype}."
            )
        if array.dtype.kind == "b":
            array = array.astype(np.int64)
        indices = torch.from_numpy(self._bins(array))
        if self.output_mode == "one_hot" and indices.dim() > 0 and indices.shape[-1] == 1:
            indices = indices.squeeze(-1)
        return encode_categorical(indices, self.output_mode, self.num_bins)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
