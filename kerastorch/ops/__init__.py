"""Keras 3's ``keras.ops`` on torch tensors: the functions custom layers and models call.

``from kerastorch import ops`` replaces ``from keras import ops``: ``ops.mean(x, axis=1)``,
``ops.matmul(a, b)``, ``ops.softmax(x)``, ``ops.one_hot(y, 10)``... take torch tensors, numpy arrays
or Python numbers and return torch tensors (``convert_to_numpy`` returns numpy), on the inputs'
device, differentiable by torch's autograd. Arguments, defaults, axis / keepdims conventions and
result dtypes are Keras's (``ops.mean`` of ints is float32, ``ops.argmax`` is int32, Python ints
become int32 and floats float32). The namespace is flat, as ``keras.ops``; ``ops.numpy``,
``ops.nn`` and ``ops.linalg`` hold the same functions by family, as in Keras.

A ``keras.ops`` function kerastorch does not have yet raises an ``AttributeError`` that names it and
says what to use instead. Every op passes through one choke point, ``keras_op`` (see NOTE
[keras_op] in :mod:`kerastorch.ops.operation`); :data:`OPS` maps each Keras name to its op.

Example:
    >>> import torch
    >>> from kerastorch import ops
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> ops.sum(ops.square(x), axis=-1)
    tensor([ 5., 25.])
    >>> ops.cast(ops.argmax(x, axis=0), "float32")
    tensor([1., 1.])
"""

from __future__ import annotations

from kerastorch.errors import did_you_mean
from kerastorch.ops import core, linalg, math, nn, numpy
from kerastorch.ops.core import *  # noqa: F403
from kerastorch.ops.linalg import *  # noqa: F403
from kerastorch.ops.math import *  # noqa: F403
from kerastorch.ops.nn import *  # noqa: F403
from kerastorch.ops.numpy import *  # noqa: F403
from kerastorch.ops.operation import OPS

__all__ = sorted([*core.__all__, *linalg.__all__, *math.__all__, *nn.__all__, *numpy.__all__])

# keras.ops names kerastorch does not implement, with what to use instead.
_NOT_IMPLEMENTED = {
    **dict.fromkeys(
        (
            "fft",
            "fft2",
            "ifft2",
            "rfft",
            "irfft",
            "stft",
            "istft",
            "view_as_complex",
            "view_as_real",
        ),
        "torch.fft (torch.fft.fft, torch.fft.rfft, torch.stft, ...) on tensors",
    ),
    **dict.fromkeys(
        ("bartlett", "blackman", "hamming", "hanning", "kaiser"),
        "torch.signal.windows on tensors",
    ),
    **dict.fromkeys(("ctc_loss", "ctc_decode"), "torch.nn.functional.ctc_loss on tensors"),
    **dict.fromkeys(
        ("adaptive_average_pool", "adaptive_max_pool"),
        "torch.nn.functional.adaptive_avg_pool2d / adaptive_max_pool2d (channels first)",
    ),
    "conv_transpose": "torch.nn.functional.conv_transpose1d/2d/3d (channels first)",
    "unfold": "torch.nn.functional.unfold",
    "fold": "torch.nn.functional.fold",
    "depth_to_space": "torch.nn.functional.pixel_shuffle (channels first)",
    "space_to_depth": "torch.nn.functional.pixel_unshuffle (channels first)",
    "polar": "torch.polar",
    "image": "torchvision.transforms.v2.functional (resize, crop, ...) on tensors",
    "rearrange": "einops.rearrange, or reshape / transpose",
    "histogram": "torch.histc or torch.histogram",
    "unique": "torch.unique",
    "argpartition": "argsort (a full sort is a valid partition)",
    "nanargmax": "argmax on ops.where(ops.isnan(x), -inf, x)",
    "nanargmin": "argmin on ops.where(ops.isnan(x), inf, x)",
    "nancumsum": "cumsum(nan_to_num(x))",
    "nancumprod": "cumprod(nan_to_num(x, nan=1.0))",
    "nanmedian": "torch.nanmedian or torch.nanquantile",
    "nanprod": "prod(where(isnan(x), 1, x))",
    "nanquantile": "torch.nanquantile",
    "nanpercentile": "torch.nanquantile (q / 100)",
    "geomspace": "torch.logspace",
    "i0": "torch.i0",
    "ldexp": "x1 * 2 ** x2",
    "nextafter": "torch.nextafter",
    "correlate": "torch.nn.functional.conv1d",
    "vectorize": "torch.vmap (or ops.vectorized_map)",
    "view": "tensor.view(dtype)",
}


def __getattr__(name: str) -> object:
    """Name a ``keras.ops`` function kerastorch lacks, and what to use instead."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _NOT_IMPLEMENTED:
        raise AttributeError(
            f"kerastorch.ops has no {name!r} yet (keras.ops.{name}): use "
            f"{_NOT_IMPLEMENTED[name]} instead, or open an issue asking for it."
        )
    raise AttributeError(
        f"kerastorch.ops has no {name!r} (keras.ops has no such function either)."
        f"{did_you_mean(name, OPS)} See dir(kerastorch.ops) for the available ops."
    )
