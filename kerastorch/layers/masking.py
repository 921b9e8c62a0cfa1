"""Masking: the ``Masking`` layer and conversions between sequence lengths and masks.

A mask in kerastorch is a boolean tensor of shape ``(batch, timesteps)``, ``True`` for a real step
and ``False`` for padding, passed explicitly as the ``mask`` argument from layer to layer (see
NOTE [layer contract] in base.py); it is never attached to a tensor as Keras does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.layers.base import Layer

__all__ = ["Masking", "lengths_to_mask", "mask_to_lengths"]

_PADDINGS = ("pre", "post")


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``.

    A step ``inputs[b, t]`` is masked (``False`` in the mask handed to the next layers) only if
    **every** feature equals ``mask_value``; a step with any other value stays. The output is the
    input with masked steps set to zero (to ``0``, not to ``mask_value``, as in Keras). The mask
    this layer computes replaces any mask it receives.

    Args:
        mask_value: The value that marks a padded step.

    Input shape: ``(batch, timesteps, features)``. Output shape: the same.

    Example:
        >>> x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
        >>> Masking(0.0).compute_mask(x, None)
        tensor([[ True, False,  True]])
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.number)):
            raise ValueError(
                f"Masking '{self.name}': expected a number, received mask_value={mask_value!r}."
            )
        self.mask_value = mask_value

    def _step_mask(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.ne(inputs, self.mask_value).any(dim=-1)

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training: bool | None = None
    ) -> torch.Tensor:
        keep = self._step_mask(inputs)
        # masked_fill, not a product with the mask: an inf or NaN feature of a kept step stays
        # as it is (Keras uses ops.where), where inf * 0 would give NaN.
        return inputs.masked_fill(~keep.unsqueeze(-1), 0)

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor:
        return self._step_mask(torch.as_tensor(inputs))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}


def _as_tensor(values: Any, what: str) -> torch.Tensor:
    tensor = values if torch.is_tensor(values) else torch.as_tensor(np.asarray(values))
    if tensor.dtype == torch.bool or tensor.is_floating_point() or tensor.is_complex():
        raise TypeError(f"{what}: expected integer lengths, received dtype {tensor.dtype}.")
    return tensor


def lengths_to_mask(
    lengths: torch.Tensor | np.ndarray | Sequence[int],
    maxlen: int | None = None,
    padding: str = "post",
) -> torch.Tensor:
    """Build a boolean ``(batch, maxlen)`` mask from sequence lengths.

    Args:
        lengths: ``(batch,)`` integer lengths, each in ``[0, maxlen]``.
        maxlen: Number of timesteps; defaults to the largest length.
        padding: Where the padding sits, as in :func:`kerastorch.utils.pad_sequences`:
            ``"post"`` (real steps first, the default) or ``"pre"`` (real steps last, Keras's
            ``pad_sequences`` default).

    Returns:
        A ``torch.bool`` tensor on the device of ``lengths``, ``True`` for real steps.

    Raises:
        ValueError: for a length below 0 or above ``maxlen``, or an unknown ``padding``.

    Example:
        >>> lengths_to_mask([1, 3], maxlen=4)
        tensor([[ True, False, False, False],
                [ True,  True,  True, False]])
        >>> lengths_to_mask([1, 3], maxlen=4, padding="pre")
        tensor([[False, False, False,  True],
                [False,  True,  True,  True]])
    """
    if padding not in _PADDINGS:
        raise ValueError(
            f'lengths_to_mask: expected padding="pre" or "post", received padding={padding!r}.'
        )
    lengths = _as_tensor(lengths, "lengths_to_mask")
    if lengths.dim() != 1:
        raise ValueError(
            f"lengths_to_mask: expected lengths of shape (batch,), received shape "
            f"{tuple(lengths.shape)}."
        )
    if lengths.numel() and bool((lengths < 0).any()):
        raise ValueError(
            f"lengths_to_mask: lengths must be >= 0, received {int(lengths.min())} "
            f"(at index {int(torch.argmin(lengths))})."
        )
    longest = int(lengths.max()) if lengths.numel() else 0
    if maxlen is None:
        maxlen = longest
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(
            f"lengths_to_mask: expected maxlen to be an integer >= 0 or None, received "
            f"maxlen={maxlen!r}."
        )
    elif longest > maxlen:
        raise ValueError(
            f"lengths_to_mask: every length must be <= maxlen={maxlen}, received length "
            f"{longest} (at index {int(torch.argmax(lengths))})."
        )
    steps = torch.arange(int(maxlen), device=lengths.device)
    if padding == "post":
        return steps.unsqueeze(0) < lengths.unsqueeze(1)
    return steps.unsqueeze(0) >= (int(maxlen) - lengths).unsqueeze(1)


def mask_to_lengths(mask: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Count the real (``True``) steps of each sequence of a ``(batch, timesteps)`` mask.

    For a mask of left- or right-padded sequences this is each sequence's length; steps masked
    in the middle of a sequence are simply not counted.

    Args:
        mask: A ``(batch, timesteps)`` boolean (or 0/1) mask.

    Returns:
        An ``int64`` tensor of shape ``(batch,)`` on the mask's device.

    Example:
        >>> mask_to_lengths(torch.tensor([[True, True, False], [True, True, True]]))
        tensor([2, 3])
    """
    mask = mask if torch.is_tensor(mask) else torch.as_tensor(np.asarray(mask))
    if mask.dim() != 2:
        raise ValueError(
            f"mask_to_lengths: expected a mask of shape (batch, timesteps), received shape "
            f"{tuple(mask.shape)}."
        )
    return mask.to(torch.bool).sum(dim=1, dtype=torch.int64)
