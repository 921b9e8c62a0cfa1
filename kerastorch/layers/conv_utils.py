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

NOTE [transposed padding]
    torch's ``conv_transpose1d`` pads symmetrically and adds ``output_padding`` on the right
    only, which cannot express Keras's ``"same"`` (an odd kernel with ``strides > 1`` needs an
    uneven cut). So, as Keras 3.15's torch backend: run it without padding, which gives
    ``(steps - 1) * strides + span`` outputs, then cut ``left`` steps at the start and ``right``
    at the end (JAX's padding rule; a negative amount adds zeros), and add the bias after.
    ``"valid"``: ``(steps - 1) * strides + max(span, strides)`` steps; ``"same"``:
    ``steps * strides``; ``output_padding`` replaces the default extra steps at the end.
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
    "transpose_crops",
    "transpose_output_length",
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


def transpose_crops(
    size: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """``(left, right)`` steps to cut from a full transposed convolution to get Keras's output (a
    negative amount: zeros to add); see NOTE [transposed padding].

    Example:
        >>> transpose_crops(3, 2, 1, "same", None)  # 2 * steps + 1 full outputs -> 2 * steps
        (0, 1)
    """
    span = (size - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        left, right = span - 1, span - 1 + extra
    else:
        if output_padding is None:
            total = stride + span - 2
        else:
            total = span + span % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, span - 1)
        right = total - left
    return span - 1 - left, span - 1 - right


def transpose_output_length(
    length: int | None,
    size: int,
    stride: int,
    dilation: int,
    padding: str,
    output_padding: int | None,
) -> int | None:
    """Steps out of Keras's transposed convolution over ``length`` steps."""
    if length is None:
        return None
    left, right = transpose_crops(size, stride, dilation, padding, output_padding)
    return (length - 1) * stride + dilation * (size - 1) + 1 - left - right
