"""The neural-network part of ``keras.ops`` (``keras.ops.nn``), on torch tensors.

Activations are :mod:`kerastorch.activations`' (so ``ops.relu`` and ``activations.relu`` agree),
with ``keras.ops``'s defaults where they differ: ``ops.gelu`` uses the tanh approximation unless
``approximate=False``. The crossentropies are element-wise (no mean over the last axis), as
``keras.ops.binary_crossentropy``; the reduced losses live in :mod:`kerastorch.losses`.

Example:
    >>> import torch
    >>> from kerastorch import ops
    >>> ops.softmax(torch.tensor([[0.0, 0.0]]))
    tensor([[0.5000, 0.5000]])
    >>> ops.one_hot(torch.tensor([0, 2]), 3)
    tensor([[1., 0., 0.],
            [0., 0., 1.]])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from kerastorch import activations, losses
from kerastorch.backend import epsilon as _epsilon
from kerastorch.ops.conversion import as_tensor, as_tensors
from kerastorch.ops.dtypes import result_type, to_torch_dtype
from kerastorch.ops.operation import alias, keras_op

__all__ = [
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "depthwise_conv",
    "dot_product_attention",
    "elu",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "layer_normalization",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "psnr",
    "relu",
    "relu6",
    "rms_normalization",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
]

TensorLike = Any


def _activation(name: str, fn: Any) -> Any:
    """An op calling the activation ``fn`` of :mod:`kerastorch.activations` on a tensor."""

    def op(x: TensorLike) -> torch.Tensor:
        return fn(as_tensor(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (fn.__doc__ or "").split("\n")[0] or f"The {name} activation."
    op.__module__ = __name__
    return keras_op(op)


relu = _activation("relu", activations.relu)
relu6 = _activation("relu6", activations.relu6)
sigmoid = _activation("sigmoid", activations.sigmoid)
sparse_sigmoid = _activation("sparse_sigmoid", activations.sparse_sigmoid)
softplus = _activation("softplus", activations.softplus)
softsign = _activation("softsign", activations.softsign)
sparse_plus = _activation("sparse_plus", activations.sparse_plus)
silu = _activation("silu", activations.silu)
swish = alias("swish", silu)
log_sigmoid = _activation("log_sigmoid", activations.log_sigmoid)
hard_sigmoid = _activation("hard_sigmoid", activations.hard_sigmoid)
hard_silu = _activation("hard_silu", activations.hard_silu)
hard_swish = alias("hard_swish", hard_silu)
selu = _activation("selu", activations.selu)
tanh_shrink = _activation("tanh_shrink", activations.tanh_shrink)
hard_tanh = _activation("hard_tanh", activations.hard_tanh)


@keras_op
def leaky_relu(x: TensorLike, negative_slope: float = 0.2) -> torch.Tensor:
    """``x`` if ``x >= 0`` else ``negative_slope * x``."""
    return activations.leaky_relu(as_tensor(x), negative_slope)


@keras_op
def elu(x: TensorLike, alpha: float = 1.0) -> torch.Tensor:
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return activations.elu(as_tensor(x), alpha)


@keras_op
def celu(x: TensorLike, alpha: float = 1.0) -> torch.Tensor:
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return activations.celu(as_tensor(x), alpha)


@keras_op
def gelu(x: TensorLike, approximate: bool = True) -> torch.Tensor:
    """Gaussian error linear unit; the tanh approximation by default (``keras.ops``'s default).

    Example:
        >>> gelu(torch.tensor([1.0]), approximate=False)
        tensor([0.8413])
    """
    return activations.gelu(as_tensor(x), approximate=approximate)


@keras_op
def glu(x: TensorLike, axis: int = -1) -> torch.Tensor:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second."""
    return activations.glu(as_tensor(x), axis)


@keras_op
def squareplus(x: TensorLike, b: float = 4) -> torch.Tensor:
    """``(x + sqrt(x ** 2 + b)) / 2``."""
    return activations.squareplus(as_tensor(x), b)


@keras_op
def soft_shrink(x: TensorLike, threshold: float = 0.5) -> torch.Tensor:
    """``x - threshold`` above it, ``x + threshold`` below ``-threshold``, else 0."""
    return activations.soft_shrink(as_tensor(x), threshold)


@keras_op
def hard_shrink(x: TensorLike, threshold: float = 0.5) -> torch.Tensor:
    """``x`` where ``|x| > threshold``, else 0."""
    return activations.hard_shrink(as_tensor(x), threshold)


@keras_op
def threshold(x: TensorLike, threshold: float, default_value: float) -> torch.Tensor:
    """``x`` where ``x > threshold``, else ``default_value``."""
    return F.threshold(as_tensor(x), threshold, default_value)


def _over_axes(fn: Any, x: torch.Tensor, axis: int | Sequence[int] | None) -> torch.Tensor:
    """Apply a normalizing ``fn(x, dim)`` jointly over several axes (all of them with None)."""
    dtype = x.dtype
    if dtype == torch.float16 and x.device.type == "cpu":
        x = x.float()
    if axis is None:
        return fn(x.reshape(-1), -1).reshape(x.shape).to(dtype)
    if isinstance(axis, int):
        return fn(x, axis).to(dtype)
    axes = [a % x.dim() for a in axis]
    kept = [d for d in range(x.dim()) if d not in axes]
    moved = x.permute(kept + axes)
    out = fn(moved.reshape([x.shape[d] for d in kept] + [-1]), -1).reshape(moved.shape)
    order = kept + axes
    return out.permute(sorted(range(x.dim()), key=order.__getitem__)).to(dtype)


def _warn_size_one(x: torch.Tensor, axis: Any) -> None:
    if isinstance(axis, int) and -x.dim() <= axis < x.dim() and x.shape[axis] == 1:
        warnings.warn(
            f"softmax over axis {axis} of a tensor of shape {tuple(x.shape)}: this axis has size "
            "1, so the output is always 1. Did you mean to use a sigmoid instead?",
            UserWarning,
            stacklevel=3,
        )


@keras_op
def softmax(x: TensorLike, axis: int | Sequence[int] | None = -1) -> torch.Tensor:
    """Softmax over ``axis`` (an int, a tuple of axes taken jointly, or None for all).

    Example:
        >>> softmax(torch.tensor([[1.0, 1.0], [1.0, 1.0]]), axis=(0, 1))
        tensor([[0.2500, 0.2500],
                [0.2500, 0.2500]])
    """
    x = as_tensor(x)
    _warn_size_one(x, axis)
    return _over_axes(lambda t, dim: torch.softmax(t, dim=dim), x, axis)


@keras_op
def log_softmax(x: TensorLike, axis: int | Sequence[int] | None = -1) -> torch.Tensor:
    """Logarithm of the softmax over ``axis``, computed stably."""
    return _over_axes(lambda t, dim: torch.log_softmax(t, dim=dim), as_tensor(x), axis)


@keras_op
def sparsemax(x: TensorLike, axis: int = -1) -> torch.Tensor:
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex."""
    return activations.sparsemax(as_tensor(x), axis)


@keras_op
def one_hot(
    x: TensorLike, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> torch.Tensor:
    """One-hot vectors of the int labels ``x`` along a new ``axis``; negative labels give zeros.

    Example:
        >>> one_hot(torch.tensor([1, -1]), 3, dtype="int32")
        tensor([[0, 1, 0],
                [0, 0, 0]], dtype=torch.int32)
    """
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported by kerastorch (torch).")
    x = as_tensor(x, dtype="int64")
    out = F.one_hot(torch.clamp(x, min=0), num_classes)
    out = torch.where(x.unsqueeze(-1) >= 0, out, torch.zeros((), dtype=out.dtype, device=x.device))
    out = out.to(to_torch_dtype(dtype))
    if axis != -1 and axis != out.dim() - 1:
        out = torch.movedim(out, -1, axis)
    return out


@keras_op
def multi_hot(
    inputs: TensorLike,
    num_classes: int | None = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    **kwargs: Any,
) -> torch.Tensor:
    """Multi-hot vectors: 1 at every label of each row of ``inputs``.

    Example:
        >>> multi_hot(torch.tensor([[0, 2], [1, 1]]), num_classes=3)
        tensor([[1., 0., 1.],
                [0., 1., 0.]])
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("multi_hot: argument num_classes must be given.")
    if kwargs:
        raise TypeError(f"multi_hot got unexpected keyword arguments: {sorted(kwargs)}.")
    x = as_tensor(inputs)
    reduce_axis = 1 if x.dim() > 1 else 0
    encoded = one_hot(x.to(torch.int32), num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return torch.amax(encoded, dim=reduce_axis)


def _same_shape(name: str, target: torch.Tensor, output: torch.Tensor) -> None:
    if target.shape != output.shape:
        raise ValueError(
            f"{name} expects target and output of the same shape. Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}."
        )


@keras_op
def binary_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False
) -> torch.Tensor:
    """Element-wise binary crossentropy (probabilities clipped to ``[1e-7, 1 - 1e-7]``).

    Example:
        >>> binary_crossentropy(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]))
        tensor([0.6931, 0.6931])
    """
    target, output = as_tensors(target, output)
    _same_shape("binary_crossentropy", target, output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = torch.clip(output, _epsilon(), 1.0 - _epsilon())
    return F.binary_cross_entropy(output, target, reduction="none")


@keras_op
def categorical_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Crossentropy between one-hot ``target`` and a distribution ``output`` over ``axis``.

    Probabilities are renormalized to sum to 1 and clipped to ``[1e-7, 1 - 1e-7]``.

    Example:
        >>> categorical_crossentropy(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]]))
        tensor([0.6931])
    """
    target, output = as_tensors(target, output)
    _same_shape("categorical_crossentropy", target, output)
    if target.dim() < 1:
        raise ValueError("categorical_crossentropy expects target and output of rank >= 1.")
    if from_logits:
        log_prob = torch.log_softmax(output, dim=axis)
    else:
        output = output / torch.sum(output, dim=axis, keepdim=True)
        log_prob = torch.log(torch.clip(output, _epsilon(), 1.0 - _epsilon()))
    return -torch.sum(target * log_prob, dim=axis)


@keras_op
def sparse_categorical_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Crossentropy between int labels ``target`` and a distribution ``output`` over ``axis``.

    Example:
        >>> sparse_categorical_crossentropy(torch.tensor([0]), torch.tensor([[0.5, 0.5]]))
        tensor([0.6931])
    """
    output = as_tensor(output)
    target = as_tensor(target, dtype="int64", device=output.device)
    return losses.sparse_categorical_crossentropy(target, output, from_logits, axis=axis)


@keras_op
def moments(
    x: TensorLike, axes: Sequence[int], keepdims: bool = False, synchronized: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (population) variance over ``axes``; float16 is computed in float32.

    Example:
        >>> moments(torch.tensor([0.0, 1.0, 2.0, 3.0]), axes=[0])
        (tensor(1.5000), tensor(1.2500))
    """
    if synchronized:
        raise NotImplementedError("moments: synchronized=True is not supported by kerastorch.")
    x = as_tensor(x)
    dtype = x.dtype
    if dtype == torch.float16:
        x = x.float()
    dims = [axes] if isinstance(axes, int) else list(axes)
    mean = torch.mean(x, dim=dims, keepdim=True)
    # E[x^2] - E[x]^2, as Keras's torch backend (faster, less stable than the two-pass form).
    variance = torch.mean(torch.square(x), dim=dims, keepdim=True) - torch.square(mean)
    if not keepdims:
        mean, variance = torch.squeeze(mean, dims), torch.squeeze(variance, dims)
    if dtype == torch.float16:
        limit = torch.finfo(torch.float16).max
        mean = torch.clip(mean, -limit, limit).to(dtype)
        variance = torch.clip(variance, -limit, limit).to(dtype)
    return mean, variance


@keras_op
def batch_normalization(
    x: TensorLike,
    mean: TensorLike,
    variance: TensorLike,
    axis: int,
    offset: TensorLike = None,
    scale: TensorLike = None,
    epsilon: float = 1e-3,
) -> torch.Tensor:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the vectors along ``axis``."""
    x, mean, variance = as_tensors(x, mean, variance)
    shape = [1] * x.dim()
    shape[axis] = mean.shape[0]
    mean, variance = mean.reshape(shape), variance.reshape(shape)
    inv = torch.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * as_tensor(scale, device=x.device).reshape(shape)
    out = (x - mean) * inv
    if offset is not None:
        out = out + as_tensor(offset, device=x.device).reshape(shape)
    return out


@keras_op
def normalize(
    x: TensorLike, axis: int | Sequence[int] = -1, order: int = 2, epsilon: float | None = None
) -> torch.Tensor:
    """``x / max(norm(x, order), epsilon)`` over ``axis``.

    Example:
        >>> normalize(torch.tensor([3.0, 4.0]))
        tensor([0.6000, 0.8000])
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize expects an int order >= 1. Received: order={order!r}.")
    x = as_tensor(x)
    if x.dim() == 0:
        x = x.unsqueeze(0)
    eps = _epsilon() if epsilon is None else epsilon
    dims = axis if isinstance(axis, int) else tuple(axis)
    if order == 2:  # x * rsqrt(sum(x^2)), as Keras
        inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=dims, keepdim=True))
        return x * torch.clamp(inv_norm, max=1.0 / eps)
    norm = torch.linalg.vector_norm(
        x.float() if not x.is_floating_point() else x, order, dims, True
    )
    return x / torch.clamp(norm, min=eps)


@keras_op
def psnr(x1: TensorLike, x2: TensorLike, max_val: float) -> torch.Tensor:
    """Peak signal-to-noise ratio between two images, in dB."""
    x1, x2 = as_tensors(x1, x2)
    if x1.shape != x2.shape:
        raise ValueError(
            f"psnr expects inputs of the same shape. Received: {tuple(x1.shape)} and "
            f"{tuple(x2.shape)}."
        )
    max_val = as_tensor(max_val, dtype=x1.dtype, device=x1.device)
    mse = torch.mean((x1 - x2) ** 2)
    return 20 * torch.log10(max_val) - 10 * torch.log10(mse)


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    """Normalizations compute in at least float32."""
    return to_torch_dtype(result_type(x.dtype, "float32"))


def _is_contiguous(axes: list[int]) -> bool:
    return axes == list(range(axes[0], axes[0] + len(axes)))


@keras_op
def layer_normalization(
    x: TensorLike,
    gamma: TensorLike = None,
    beta: TensorLike = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
    **kwargs: Any,
) -> torch.Tensor:
    """Normalize over ``axis`` to mean 0, variance 1, then ``* gamma + beta``.

    Example:
        >>> layer_normalization(torch.tensor([[1.0, 3.0]]))
        tensor([[-1.,  1.]])
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if rms_scaling:
        warnings.warn(
            "layer_normalization: rms_scaling=True is deprecated (as in Keras): it scales by the "
            "variance, not the root mean square. Use ops.rms_normalization instead.",
            UserWarning,
            stacklevel=2,
        )
    if kwargs:
        raise TypeError(f"layer_normalization got unexpected keyword arguments: {sorted(kwargs)}")
    eps = _epsilon() if epsilon is None else epsilon
    x = as_tensor(x)
    dtype = x.dtype
    x = x.to(_compute_dtype(x))
    gamma = None if gamma is None else as_tensor(gamma, dtype=x.dtype, device=x.device)
    beta = None if beta is None else as_tensor(beta, dtype=x.dtype, device=x.device)
    axes = sorted(a % x.dim() for a in ([axis] if isinstance(axis, int) else axis))
    shape = [x.shape[d] if d in axes else 1 for d in range(x.dim())]
    if rms_scaling:  # Keras's deprecated form: x / sqrt(var + eps) * gamma, no centering
        out = x * torch.rsqrt(torch.var(x, dim=axes, keepdim=True, correction=0) + eps)
        return (out if gamma is None else out * gamma.reshape(shape)).to(dtype)
    if _is_contiguous(axes) and axes[-1] == x.dim() - 1:
        shape = tuple(x.shape[a] for a in axes)
        return F.layer_norm(x, shape, gamma, beta, eps).to(dtype)
    mean, variance = moments(x, axes, keepdims=True)
    inv = torch.rsqrt(variance + eps)
    if gamma is not None:
        inv = inv * gamma.reshape(shape)
    out = (x - mean) * inv
    if beta is not None:
        out = out + beta.reshape(shape)
    return out.to(dtype)


@keras_op
def rms_normalization(
    x: TensorLike,
    scale: TensorLike = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
) -> torch.Tensor:
    """``x * rsqrt(mean(x ** 2) + epsilon) * scale`` over ``axis``."""
    eps = _epsilon() if epsilon is None else epsilon
    x = as_tensor(x)
    dtype = x.dtype
    x = x.to(_compute_dtype(x))
    if x.dim() == 0:
        x = x.unsqueeze(0)
    dims = axis if isinstance(axis, int) else tuple(axis)
    out = x * torch.rsqrt(torch.mean(torch.square(x), dim=dims, keepdim=True) + eps)
    if scale is not None:
        out = out * as_tensor(scale, dtype=x.dtype, device=x.device)
    return out.to(dtype)


def _large_negative(dtype: torch.dtype) -> float:
    return (65500.0 if dtype == torch.float16 else 3.38953e38) * -0.7


@keras_op
def dot_product_attention(
    query: TensorLike,
    key: TensorLike,
    value: TensorLike,
    bias: TensorLike = None,
    mask: TensorLike = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> torch.Tensor:
    """Scaled dot-product attention on ``(batch, seq, heads, dim)`` tensors (Keras's layout).

    ``mask`` (bool, True = attend) and ``bias`` (added to the logits) are exclusive; grouped-query
    attention repeats the key / value heads. Computed by ``F.scaled_dot_product_attention``, which
    picks its own kernel (``flash_attention`` is accepted for Keras compatibility and ignored).

    Example:
        >>> q = torch.ones(1, 3, 2, 4)
        >>> dot_product_attention(q, q, q).shape
        torch.Size([1, 3, 2, 4])
    """
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention: attn_logits_soft_cap is only supported on JAX/TPU."
        )
    query, key, value = as_tensors(query, key, value)
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4:
        raise ValueError(
            "dot_product_attention expects 4-D (batch, seq, heads, dim) inputs. Received: "
            f"query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
            f"value.shape={tuple(value.shape)}."
        )
    if bias is not None and mask is not None:
        raise ValueError("dot_product_attention: give bias or mask, not both.")
    dtype = to_torch_dtype(result_type(query.dtype, key.dtype, value.dtype))
    query, key, value = query.to(dtype), key.to(dtype), value.to(dtype)
    attn_mask = None
    if mask is not None:
        mask = as_tensor(mask, dtype="bool", device=query.device)
        if is_causal:  # an explicit mask and is_causal are exclusive in torch: fold them
            causal = torch.ones(query.shape[1], key.shape[1], dtype=torch.bool, device=mask.device)
            mask = torch.logical_and(mask, torch.tril(causal))
            is_causal = False
        attn_mask = torch.where(
            mask,
            torch.zeros((), dtype=dtype, device=mask.device),
            torch.tensor(_large_negative(dtype), dtype=dtype, device=mask.device),
        )
    if bias is not None:
        attn_mask = as_tensor(bias, dtype=dtype, device=query.device)
    query, key, value = (t.transpose(1, 2) for t in (query, key, value))
    q_heads, kv_heads = query.shape[1], key.shape[1]
    if q_heads > kv_heads > 1:
        key = torch.repeat_interleave(key, q_heads // kv_heads, dim=1)
        value = torch.repeat_interleave(value, q_heads // kv_heads, dim=1)
    out = F.scaled_dot_product_attention(
        query.contiguous(),
        key.contiguous(),
        value.contiguous(),
        attn_mask=None if attn_mask is None else attn_mask.contiguous(),
        is_causal=is_causal,
        scale=scale,
    )
    return out.transpose(1, 2)


# ---------------------------------------------------------------------------------------------
# Convolution and pooling (channels-last by default, as Keras)
# ---------------------------------------------------------------------------------------------


def _tuple(value: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"expected {name} to be an int or {n} ints. Received: {name}={value}.")
    return value


def _same_padding(length: int, window: int, stride: int, dilation: int) -> tuple[int, int]:
    """Keras's "same": ``ceil(length / stride)`` outputs, the odd extra pad on the right."""
    span = (window - 1) * dilation + 1
    out = -(-length // stride)
    total = max(0, (out - 1) * stride + span - length)
    return total // 2, total - total // 2


def _channels_first(x: torch.Tensor, data_format: str | None) -> torch.Tensor:
    if _data_format(data_format) == "channels_last":
        return torch.movedim(x, -1, 1)
    return x


def _from_channels_first(x: torch.Tensor, data_format: str | None) -> torch.Tensor:
    if _data_format(data_format) == "channels_last":
        return torch.movedim(x, 1, -1)
    return x


def _data_format(data_format: str | None) -> str:
    data_format = "channels_last" if data_format is None else data_format.lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "expected data_format 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}."
        )
    return data_format


def _pad_same(
    x: torch.Tensor,
    windows: tuple[int, ...],
    strides: tuple[int, ...],
    dilations: tuple[int, ...],
    value: float = 0.0,
) -> torch.Tensor:
    flat: list[int] = []
    for length, window, stride, dilation in reversed(
        list(zip(x.shape[2:], windows, strides, dilations, strict=True))
    ):
        flat.extend(_same_padding(length, window, stride, dilation))
    return F.pad(x, flat, value=value)


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _check_padding(padding: str) -> str:
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"expected padding 'valid' or 'same'. Received: padding={padding!r}.")
    return padding


def _conv(
    inputs: torch.Tensor,
    kernel: torch.Tensor,
    strides: Any,
    padding: str,
    data_format: str | None,
    dilation_rate: Any,
    groups: int,
) -> torch.Tensor:
    n = inputs.dim() - 2
    if n not in _CONV:
        raise ValueError(
            f"conv expects a 3-D, 4-D or 5-D input. Received: inputs.shape={tuple(inputs.shape)}."
        )
    strides_t = _tuple(strides, n, "strides")
    dilations = _tuple(dilation_rate, n, "dilation_rate")
    x = _channels_first(inputs, data_format)
    # Keras's kernel (*spatial, in / groups, out) -> torch's (out, in / groups, *spatial).
    weight = torch.movedim(torch.movedim(kernel, -1, 0), -1, 1)
    if _check_padding(padding) == "same":
        x = _pad_same(x, tuple(weight.shape[2:]), strides_t, dilations)
    out = _CONV[n](x, weight.to(x.dtype), stride=strides_t, dilation=dilations, groups=groups)
    return _from_channels_first(out, data_format)


@keras_op
def conv(
    inputs: TensorLike,
    kernel: TensorLike,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> torch.Tensor:
    """N-D convolution (1-3 spatial axes) with Keras's layouts.

    ``inputs`` is ``(batch, *spatial, channels)`` (channels-last, the default) and ``kernel``
    ``(*spatial, in_channels, out_channels)``; ``padding`` is ``"valid"`` or ``"same"``.

    Example:
        >>> conv(torch.ones(1, 5, 2), torch.ones(3, 2, 4), padding="same").shape
        torch.Size([1, 5, 4])
    """
    inputs, kernel = as_tensors(inputs, kernel)
    channels = inputs.shape[-1 if _data_format(data_format) == "channels_last" else 1]
    if channels % kernel.shape[-2]:
        raise ValueError(
            f"conv: the input's {channels} channels are not a multiple of the kernel's "
            f"{kernel.shape[-2]} input channels (kernel.shape={tuple(kernel.shape)})."
        )
    groups = channels // kernel.shape[-2]
    return _conv(inputs, kernel, strides, padding, data_format, dilation_rate, groups)


@keras_op
def depthwise_conv(
    inputs: TensorLike,
    kernel: TensorLike,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> torch.Tensor:
    """Depthwise convolution: ``kernel`` is ``(*spatial, in_channels, depth_multiplier)``."""
    inputs, kernel = as_tensors(inputs, kernel)
    channels = kernel.shape[-2]
    merged = kernel.reshape(*kernel.shape[:-2], 1, channels * kernel.shape[-1])
    return _conv(inputs, merged, strides, padding, data_format, dilation_rate, channels)


@keras_op
def separable_conv(
    inputs: TensorLike,
    depthwise_kernel: TensorLike,
    pointwise_kernel: TensorLike,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> torch.Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    depthwise = depthwise_conv(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _pool(
    kind: str,
    inputs: TensorLike,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None,
    padding: str,
    data_format: str | None,
) -> torch.Tensor:
    x = _channels_first(as_tensor(inputs), data_format)
    n = x.dim() - 2
    if n not in _MAX_POOL:
        raise ValueError(
            f"{kind}_pool expects a 3-D, 4-D or 5-D input. Received: shape={tuple(x.shape)}."
        )
    windows = _tuple(pool_size, n, "pool_size")
    strides_t = windows if strides is None else _tuple(strides, n, "strides")
    if _check_padding(padding) == "same":
        if kind == "max":
            x = _pad_same(x, windows, strides_t, (1,) * n, value=-math.inf)
            out = _MAX_POOL[n](x, windows, strides_t)
        else:  # the mean of the valid (unpadded) values in each window, as Keras
            ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
            x = _pad_same(x, windows, strides_t, (1,) * n)
            counts = _pad_same(ones, windows, strides_t, (1,) * n)
            out = _AVG_POOL[n](x, windows, strides_t) / _AVG_POOL[n](counts, windows, strides_t)
    else:
        out = (_MAX_POOL if kind == "max" else _AVG_POOL)[n](x, windows, strides_t)
    return _from_channels_first(out, data_format)


@keras_op
def max_pool(
    inputs: TensorLike,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> torch.Tensor:
    """Max pooling over 1-3 spatial axes (channels-last by default); strides default to the pool.

    Example:
        >>> max_pool(torch.arange(4.0).reshape(1, 4, 1), 2).flatten()
        tensor([1., 3.])
    """
    return _pool("max", inputs, pool_size, strides, padding, data_format)


@keras_op
def average_pool(
    inputs: TensorLike,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> torch.Tensor:
    """Average pooling over 1-3 spatial axes (channels-last by default)."""
    return _pool("average", inputs, pool_size, strides, padding, data_format)
