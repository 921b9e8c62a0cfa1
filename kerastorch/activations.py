"""Activation functions with Keras 3's definitions, written on torch tensors.

Every function takes a tensor and returns a tensor of the same shape. Names follow Keras
(``keras.activations.*``); where Keras and torch disagree on a default, Keras wins:

- ``leaky_relu`` uses Keras 3's negative slope 0.2 (torch: 0.01; Keras's ``LeakyReLU`` *layer*:
  0.3).
- ``gelu`` is the exact (erf) form, as ``keras.activations.gelu`` (``keras.ops.gelu`` defaults to
  the tanh approximation; pass ``approximate=True`` for it).
- ``hard_sigmoid`` is Keras 3's ``relu6(x + 3) / 6``; Keras 2 used ``0.2 * x + 0.5``.

Look a function up by name with :func:`get`; :func:`serialize` gives the name back for saving.

Example:
    >>> import torch
    >>> from kerastorch import activations
    >>> activations.get("relu")(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from kerastorch.registry import Registry

__all__ = [
    "ACTIVATIONS",
    "celu",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
]

Activation = Callable[[torch.Tensor], torch.Tensor]

ACTIVATIONS: Registry[Activation] = Registry("activation")
"""Name -> activation function. ``swish`` / ``silu`` and ``hard_swish`` / ``hard_silu`` alias."""

# Canonical name of every registered function, for serialize() (aliases map to one name).
_CANONICAL: dict[Activation, str] = {}


def _register(*aliases: str) -> Callable[[Activation], Activation]:
    """Register a function under its ``__name__`` (its canonical name) and ``aliases``."""

    def decorator(fn: Activation) -> Activation:
        ACTIVATIONS.add(fn.__name__, fn, *aliases)
        _CANONICAL[fn] = fn.__name__
        return fn

    return decorator


@_register()
def relu(
    x: torch.Tensor,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> torch.Tensor:
    """Rectified linear unit, with Keras's optional slope, cap and threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x < max_value`` and
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        x: Input tensor.
        negative_slope: Slope below the threshold. Defaults to 0.
        max_value: Upper cap on the output, or None for no cap.
        threshold: Values below it are damped to 0 (or scaled by ``negative_slope``).

    Example:
        >>> relu(torch.tensor([-2.0, 1.0, 8.0]), max_value=6.0)
        tensor([0., 1., 6.])
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return F.leaky_relu(x, negative_slope)
    # The general case, step by step as keras.src.activations.ReLU.static_call.
    negative_part = F.relu(threshold - x) if negative_slope != 0.0 else None
    x = torch.where(x > threshold, x, torch.zeros_like(x)) if threshold != 0.0 else F.relu(x)
    if max_value is not None:
        x = torch.clamp(x, 0.0, max_value)
    if negative_part is not None:
        x = x - negative_slope * negative_part
    return x


@_register()
def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    """Leaky ReLU: ``x`` if ``x >= 0`` else ``negative_slope * x`` (Keras 3 default slope 0.2).

    Example:
        >>> leaky_relu(torch.tensor([-1.0, 1.0]))
        tensor([-0.2000,  1.0000])
    """
    return F.leaky_relu(x, negative_slope)


@_register()
def relu6(x: torch.Tensor) -> torch.Tensor:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Example:
        >>> relu6(torch.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """
    return F.relu6(x)


@_register()
def softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Softmax over ``axis`` (the last one by default).

    Warns, as Keras does, when that axis has size 1: the output is then always 1.

    Example:
        >>> softmax(torch.tensor([[0.0, 0.0]]))
        tensor([[0.5000, 0.5000]])
    """
    if x.dim() > 0 and x.shape[axis] == 1:
        warnings.warn(
            f"softmax over axis {axis} of a tensor of shape {tuple(x.shape)}: this axis has size "
            "1, so the output is always 1. Did you mean to use a sigmoid instead?",
            UserWarning,
            stacklevel=2,
        )
    return torch.softmax(x, dim=axis)


@_register()
def log_softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Logarithm of the softmax over ``axis``, computed stably.

    Example:
        >>> log_softmax(torch.tensor([0.0, 0.0]))
        tensor([-0.6931, -0.6931])
    """
    return torch.log_softmax(x, dim=axis)


@_register()
def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Example:
        >>> elu(torch.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """
    return F.elu(x, alpha)


@_register()
def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled ELU with the self-normalizing constants (scale 1.0507, alpha 1.6733).

    Example:
        >>> selu(torch.tensor([1.0]))
        tensor([1.0507])
    """
    return F.selu(x)


@_register()
def celu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> celu(torch.tensor([1.0]))
        tensor([1.])
    """
    return F.celu(x, alpha=alpha)


@_register()
def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    """Gaussian error linear unit, exact (erf) by default as ``keras.activations.gelu``.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation instead of erf.

    Example:
        >>> gelu(torch.tensor([0.0]))
        tensor([0.])
    """
    return F.gelu(x, approximate="tanh" if approximate else "none")


@_register()
def glu(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Gated linear unit: splits ``axis`` in halves ``a, b`` and returns ``a * sigmoid(b)``.

    Example:
        >>> glu(torch.tensor([1.0, 0.0]))
        tensor([0.5000])
    """
    return F.glu(x, dim=axis)


@_register()
def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent.

    Example:
        >>> tanh(torch.tensor([0.0]))
        tensor([0.])
    """
    return torch.tanh(x)


@_register()
def tanh_shrink(x: torch.Tensor) -> torch.Tensor:
    """``x - tanh(x)``.

    Example:
        >>> tanh_shrink(torch.tensor([0.0]))
        tensor([0.])
    """
    return F.tanhshrink(x)


@_register()
def hard_tanh(x: torch.Tensor) -> torch.Tensor:
    """``x`` clipped to [-1, 1].

    Example:
        >>> hard_tanh(torch.tensor([-3.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """
    return F.hardtanh(x, -1.0, 1.0)


@_register()
def hard_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """``x`` where ``|x| > threshold``, 0 elsewhere.

    Example:
        >>> hard_shrink(torch.tensor([0.2, 1.0]))
        tensor([0., 1.])
    """
    return F.hardshrink(x, lambd=threshold)


@_register()
def soft_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """``x - threshold`` above it, ``x + threshold`` below ``-threshold``, 0 in between.

    Example:
        >>> soft_shrink(torch.tensor([0.2, 1.0]))
        tensor([0.0000, 0.5000])
    """
    return F.softshrink(x, lambd=threshold)


@_register()
def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    Example:
        >>> sigmoid(torch.tensor([0.0]))
        tensor([0.5000])
    """
    return torch.sigmoid(x)


@_register()
def log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """``log(sigmoid(x))``, computed stably.

    Example:
        >>> log_sigmoid(torch.tensor([0.0]))
        tensor([-0.6931])
    """
    return F.logsigmoid(x)


@_register()
def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's piecewise-linear sigmoid ``relu6(x + 3) / 6`` (Keras 2: ``0.2x + 0.5``).

    Example:
        >>> hard_sigmoid(torch.tensor([-4.0, 0.0, 4.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    return F.hardsigmoid(x)


@_register()
def sparse_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` in between.

    Example:
        >>> sparse_sigmoid(torch.tensor([-2.0, 0.0, 2.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    return torch.clamp(0.5 * (x + 1), 0.0, 1.0)


@_register("swish")
def silu(x: torch.Tensor) -> torch.Tensor:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Example:
        >>> silu(torch.tensor([0.0]))
        tensor([0.])
    """
    return F.silu(x)


@_register("hard_swish")
def hard_silu(x: torch.Tensor) -> torch.Tensor:
    """Hard swish: ``x * relu6(x + 3) / 6``.

    Example:
        >>> hard_silu(torch.tensor([-4.0, 4.0]))
        tensor([-0., 4.])
    """
    return F.hardswish(x)


swish = silu
hard_swish = hard_silu


@_register()
def softplus(x: torch.Tensor) -> torch.Tensor:
    """``log(1 + exp(x))`` (linear above 20, as torch and Keras's torch backend).

    Example:
        >>> softplus(torch.tensor([0.0]))
        tensor([0.6931])
    """
    return F.softplus(x)


@_register()
def softsign(x: torch.Tensor) -> torch.Tensor:
    """``x / (1 + |x|)``.

    Example:
        >>> softsign(torch.tensor([1.0]))
        tensor([0.5000])
    """
    return F.softsign(x)


@_register()
def sparse_plus(x: torch.Tensor) -> torch.Tensor:
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)^2 / 4`` in between.

    Example:
        >>> sparse_plus(torch.tensor([-2.0, 0.0, 2.0]))
        tensor([0.0000, 0.2500, 2.0000])
    """
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


@_register()
def squareplus(x: torch.Tensor, b: float = 4.0) -> torch.Tensor:
    """``(x + sqrt(x^2 + b)) / 2``.

    Example:
        >>> squareplus(torch.tensor([0.0]))
        tensor([1.])
    """
    return (x + torch.sqrt(x**2 + b)) / 2


@_register()
def mish(x: torch.Tensor) -> torch.Tensor:
    """``x * tanh(softplus(x))``.

    Example:
        >>> mish(torch.tensor([0.0]))
        tensor([0.])
    """
    return x * torch.tanh(F.softplus(x))


@_register()
def exponential(x: torch.Tensor) -> torch.Tensor:
    """``exp(x)``.

    Example:
        >>> exponential(torch.tensor([0.0]))
        tensor([1.])
    """
    return torch.exp(x)


@_register()
def sparsemax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Sparsemax: the Euclidean projection of ``x`` onto the simplex along ``axis``.

    Example:
        >>> sparsemax(torch.tensor([2.0, 0.0]))
        tensor([1., 0.])
    """
    axis = axis % x.dim()
    z_sorted, _ = torch.sort(x, dim=axis, descending=True)
    cumsum = torch.cumsum(z_sorted, dim=axis)
    shape = [1] * x.dim()
    shape[axis] = -1
    r = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
    support = z_sorted - (cumsum - 1) / r > 0
    k = support.sum(dim=axis, keepdim=True)
    tau = (torch.where(support, cumsum, torch.zeros_like(cumsum)).sum(axis, keepdim=True) - 1) / k
    return torch.clamp(x - tau, min=0.0)


@_register()
def linear(x: torch.Tensor) -> torch.Tensor:
    """The identity: returns ``x`` unchanged.

    Example:
        >>> linear(torch.tensor([-1.0]))
        tensor([-1.])
    """
    return x


def get(identifier: str | Callable[..., Any] | None) -> Callable[..., Any]:
    """Return the activation function for ``identifier``.

    Args:
        identifier: None (the identity, :func:`linear`), a name such as ``"relu"`` (case
            insensitive), or any callable, returned as is.

    Returns:
        A function from tensor to tensor.

    Raises:
        ValueError: for an unknown name (with a "did you mean") or a non-callable identifier.

    Example:
        >>> get("swish") is silu
        True
        >>> get(None) is linear
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return ACTIVATIONS.get(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        "Expected an activation name, a callable or None. "
        f"Received: activation={identifier!r} of type {type(identifier).__name__}."
    )


def serialize(fn: Callable[..., Any] | None) -> str | None:
    """Return the registry name of ``fn`` (``"linear"`` for None), or None if it is not registered.

    Aliases serialize to one canonical name: ``swish`` gives ``"silu"``, as in Keras.

    Example:
        >>> serialize(get("swish"))
        'silu'
        >>> serialize(lambda x: x) is None
        True
    """
    if fn is None:
        return "linear"
    try:
        return _CANONICAL.get(fn)  # type: ignore[arg-type]
    except TypeError:  # an unhashable callable object
        return None
