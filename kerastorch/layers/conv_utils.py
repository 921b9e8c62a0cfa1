"""Windows over the time axis, shared by the convolution and pooling layers: Keras's padding
modes, output lengths and channel layouts.

NOTE [1D padding]
    Keras's ``padding="same"`` pads so that the output has ``ceil(steps / strides)`` steps: the
    total padding is ``max(0, (out - 1) * strides + span - steps)``, where ``span = dilation *
    (kernel_size - 1) + 1`` is the kernel's reach (``span - 1`` when ``strides == 1``), and an
    odd total puts the extra step on the **right** (TensorFlow's rule, which Keras's torch backend
    follows). torch's own ``padding="same"`` pads symmetrically and refuses ``stride > 1``, so the
    padding is computed here per call from the actual length. ``"causal"`` pads ``span - 1`` steps
    on the left only, so output step ``t`` sees inputs ``<= t``. The pooling layers share the
    helper (there ``dilation`` is 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from kerastorch.layers.base import Layer

__all__ = [
    "check_3d",
    "from_channels_first",
    "output_length",
    "same_padding",
    "to_channels_first",
]


def same_padding(length: int, size: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """``(left, right)`` padding of Keras's ``"same"`` mode; see NOTE [1D padding]."""
    span = dilation * (size - 1) + 1
    if stride == 1:
        total = span - 1
    else:
        out = (length + stride - 1) // stride
        total = max(0, (out - 1) * stride + span - length)
    return total // 2, total - total // 2


def output_length(
    length: int | None, size: int, stride: int, padding: str, dilation: int = 1
) -> int | None:
    """Steps out of a window of ``size`` (reach ``dilation * (size - 1) + 1``) over ``length``."""
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (size - 1) - 1) // stride + 1
    return (length - 1) // stride + 1  # "same" and "causal"


def to_channels_first(inputs: torch.Tensor, data_format: str) -> torch.Tensor:
    return inputs.transpose(1, 2) if data_format == "channels_last" else inputs


def from_channels_first(outputs: torch.Tensor, data_format: str) -> torch.Tensor:
    return outputs.transpose(1, 2) if data_format == "channels_last" else outputs


def check_3d(layer: Layer, inputs: torch.Tensor, data_format: str) -> None:
    if inputs.dim() != 3:
        layout = (
            "(batch, steps, channels)"
            if data_format == "channels_last"
            else "(batch, channels, steps)"
        )
        raise ValueError(
            f"{layer.describe()} expects 3D inputs {layout}, received shape {tuple(inputs.shape)}."
        )
