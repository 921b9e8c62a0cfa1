"""Keras 3's ``keras.random`` on torch: random tensors, ``dropout``, ``shuffle``, ``SeedGenerator``.

Seeds follow Keras's torch backend:

- ``seed=None`` draws from torch's global generator, so ``torch.manual_seed`` (or
  :func:`kerastorch.utils.set_random_seed`) makes a script reproducible.
- An int ``seed`` gives a fresh ``torch.Generator`` seeded with it: the same call returns the same
  values every time (Keras's random ops are stateless).
- A :class:`SeedGenerator` advances at every call, so repeated calls differ but the whole sequence
  is reproducible from its seed. Keep one in a layer for its random ops (e.g. dropout).

With an int seed or a seeded :class:`SeedGenerator`, ``normal``, ``uniform``, ``randint``,
``truncated_normal``, ``categorical``, ``shuffle`` and ``dropout`` draw the very values that
Keras's torch backend draws on the same device (the same torch generator, seeded the same way).

Example:
    >>> from kerastorch import random
    >>> a = random.normal((2,), seed=1)
    >>> bool((a == random.normal((2,), seed=1)).all())
    True
    >>> gen = random.SeedGenerator(7)
    >>> bool((random.uniform((2,), seed=gen) == random.uniform((2,), seed=gen)).all())
    False
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from kerastorch.ops.conversion import as_tensor
from kerastorch.ops.dtypes import is_float_dtype, is_int_dtype, to_torch_dtype

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

Shape = int | Sequence[int]
_names = itertools.count()


class SeedGenerator:
    """A seed that advances at every draw, as ``keras.random.SeedGenerator``.

    Its ``state`` is ``[seed, counter]``; each random op given the generator uses the torch seed
    ``seed + counter`` and increments the counter, as Keras's torch backend does.

    Args:
        seed: An int, or ``None`` for a seed drawn from torch's global generator.
        name: A name; Keras's default is ``seed_generator`` (then ``seed_generator_1``, ...).

    Example:
        >>> gen = SeedGenerator(42)
        >>> gen.next().tolist(), gen.next().tolist()
        ([42, 0], [42, 1])
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("backend", None)  # Keras's multi-backend hook: there is only torch here
        if kwargs:
            raise ValueError(f"SeedGenerator: unrecognized keyword arguments {sorted(kwargs)}.")
        if name is None:
            count = next(_names)
            name = "seed_generator" if count == 0 else f"seed_generator_{count}"
        self.name = name
        self._initial_seed = seed
        if seed is None:
            seed = int(torch.randint(1, 10**9, ()).item())
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"SeedGenerator: expected an int seed. Received: seed={seed!r}.")
        self.state = torch.tensor([seed, 0], dtype=torch.int64)

    def next(self, ordered: bool = True) -> torch.Tensor:
        """The current state, then advance it (``ordered=False``: scramble instead of count)."""
        current = self.state.clone()
        if ordered:
            self.state = self.state + torch.tensor([0, 1], dtype=torch.int64)
        else:
            self.state = (self.state + 1) * 5387 % 933199
        return current

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        """A generator from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name!r} state={self.state.tolist()}>"


def _device() -> torch.device:
    return torch.empty(0).device


def _seed_value(seed: int | SeedGenerator | None) -> int | None:
    """The torch seed of ``seed`` (None: use torch's global generator)."""
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        first, second = (int(v) for v in seed.next())
    elif isinstance(seed, int) and not isinstance(seed, bool):
        first, second = seed, 0
    else:
        raise ValueError(
            "Expected seed to be an int, a kerastorch.random.SeedGenerator or None. "
            f"Received: seed={seed!r} (of type {type(seed).__name__})."
        )
    return (first + second) & 0xFFFFFFFF


def _generator(seed: int | SeedGenerator | None, device: Any = None) -> torch.Generator | None:
    """A torch generator for ``seed``, or None (torch's global one) when ``seed`` is None."""
    value = _seed_value(seed)
    if value is None:
        return None
    return torch.Generator(device=device or _device()).manual_seed(value)


def _shape(shape: Shape) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)


def normal(
    shape: Shape,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples of ``N(mean, stddev ** 2)`` (float32 by default).

    Example:
        >>> normal((2, 3), seed=0).shape
        torch.Size([2, 3])
    """
    device = _device()
    return torch.normal(
        mean,
        stddev,
        size=_shape(shape),
        generator=_generator(seed, device),
        dtype=to_torch_dtype(dtype),
        device=device,
    )


def uniform(
    shape: Shape,
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples of the uniform distribution on ``[minval, maxval)`` (float32 by default).

    Example:
        >>> x = uniform((1000,), minval=2.0, maxval=3.0, seed=0)
        >>> bool(x.min() >= 2.0 and x.max() < 3.0)
        True
    """
    if dtype is not None and not is_float_dtype(dtype):
        raise ValueError(f"uniform requires a floating point dtype. Received: dtype={dtype!r}.")
    size = _shape(shape)
    device = _device()
    draw = torch.rand(
        size or (1,),
        generator=_generator(seed, device),
        dtype=to_torch_dtype(dtype),
        device=device,
    )
    out = (maxval - minval) * draw + minval
    return out if size else out[0]


def randint(
    shape: Shape,
    minval: int,
    maxval: int,
    dtype: Any = "int32",
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Random integers in ``[minval, maxval)`` (int32 by default).

    Example:
        >>> randint((3,), 0, 1, seed=0)
        tensor([0, 0, 0], dtype=torch.int32)
    """
    if dtype is not None and not is_int_dtype(dtype):
        raise ValueError(f"randint requires an integer dtype. Received: dtype={dtype!r}.")
    device = _device()
    return torch.randint(
        int(minval),
        int(maxval),
        _shape(shape),
        generator=_generator(seed, device),
        dtype=to_torch_dtype(dtype),
        device=device,
    )


def truncated_normal(
    shape: Shape,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples of ``N(mean, stddev ** 2)`` restricted to ``mean ± 2 * stddev``.

    As Keras's torch backend: of 4 standard normal draws per value, the first inside ``(-2, 2)``
    is kept. Keras keeps the first draw when none is (probability about 4e-6); kerastorch clips it
    to the bounds instead, so no value ever falls outside them.

    Example:
        >>> bool(truncated_normal((1000,), seed=0).abs().max() <= 2.0)
        True
    """
    size = _shape(shape)
    draws = normal((*size, 4), 0.0, 1.0, dtype=dtype, seed=seed)
    valid = (draws > -2) & (draws < 2)
    first = valid.max(dim=-1, keepdim=True)[1]
    picked = draws.gather(-1, first).squeeze(-1).clamp(-2.0, 2.0)
    return picked * stddev + mean


def categorical(
    logits: Any, num_samples: int, dtype: Any = "int32", seed: int | SeedGenerator | None = None
) -> torch.Tensor:
    """``num_samples`` class indices per row of the 2-D ``logits`` (unnormalized log-probs).

    Example:
        >>> categorical(torch.tensor([[0.0, 100.0]]), 3, seed=0)
        tensor([[1, 1, 1]], dtype=torch.int32)
    """
    logits = as_tensor(logits)
    if logits.dim() != 2:
        raise ValueError(
            "categorical expects 2-D logits of shape (batch_size, num_classes). "
            f"Received: logits.shape={tuple(logits.shape)}."
        )
    probs = torch.softmax(logits, dim=-1)
    samples = torch.multinomial(
        probs, num_samples, replacement=True, generator=_generator(seed, logits.device)
    )
    return samples.to(to_torch_dtype(dtype))


def shuffle(x: Any, axis: int = 0, seed: int | SeedGenerator | None = None) -> torch.Tensor:
    """``x`` with its slices along ``axis`` randomly permuted (independently per leading index).

    Example:
        >>> sorted(shuffle(torch.arange(5), seed=0).tolist())
        [0, 1, 2, 3, 4]
    """
    x = as_tensor(x)
    axis = axis % x.dim()
    keys = torch.rand(x.shape[: axis + 1], generator=_generator(seed, x.device), device=x.device)
    order = keys.argsort(axis)
    order = order.reshape(order.shape + (1,) * (x.dim() - axis - 1)).expand(x.shape)
    return x.gather(axis, order)


def _noise_shape(inputs: torch.Tensor, noise_shape: Sequence[int | None]) -> tuple[int, ...]:
    return tuple(
        inputs.shape[i] if size is None else int(size) for i, size in enumerate(noise_shape)
    )


def dropout(
    inputs: Any,
    rate: float,
    noise_shape: Sequence[int | None] | None = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Zero each element with probability ``rate``, scale the rest by ``1 / (1 - rate)``.

    ``noise_shape`` (``None`` entries take the input's size) shares one decision along axes of
    size 1, e.g. ``(batch, 1, features)`` drops the same features at every time step.

    Example:
        >>> x = dropout(torch.ones(1000), 0.5, seed=0)
        >>> sorted(set(x.tolist()))
        [0.0, 2.0]
    """
    inputs = as_tensor(inputs)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout expects a rate in [0, 1]. Received: rate={rate!r}.")
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    unseeded = seed is None or (isinstance(seed, SeedGenerator) and seed._initial_seed is None)
    if unseeded and noise_shape is None:
        return F.dropout(inputs, p=rate, training=True)
    keep = 1.0 - rate
    shape = inputs.shape if noise_shape is None else _noise_shape(inputs, noise_shape)
    keep_prob = torch.full(shape, keep, device=inputs.device)
    mask = torch.bernoulli(keep_prob, generator=_generator(seed, inputs.device)).bool()
    mask = torch.broadcast_to(mask, inputs.shape)
    return torch.where(mask, inputs / keep, torch.zeros_like(inputs))


def _seeded_sample(distribution: torch.distributions.Distribution, seed: Any) -> torch.Tensor:
    """Sample a torch distribution under ``seed`` (torch's distributions take no generator)."""
    value = _seed_value(seed)
    if value is None:
        return distribution.sample()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(value)
        return distribution.sample()


def gamma(
    shape: Shape, alpha: Any, dtype: Any = None, seed: int | SeedGenerator | None = None
) -> torch.Tensor:
    """Samples of the Gamma distribution with concentration ``alpha`` and rate 1.

    Example:
        >>> gamma((2,), alpha=2.0, seed=0).shape
        torch.Size([2])
    """
    size = _shape(shape)
    alpha = torch.broadcast_to(as_tensor(alpha, dtype="float32"), size)
    sample = _seeded_sample(torch.distributions.Gamma(alpha, torch.ones(size)), seed)
    return sample.to(to_torch_dtype(dtype))


def binomial(
    shape: Shape,
    counts: Any,
    probabilities: Any,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples of the binomial distribution (``counts`` trials of success ``probabilities``)."""
    size = _shape(shape)
    counts = torch.broadcast_to(as_tensor(counts, dtype="float32"), size)
    probs = torch.broadcast_to(as_tensor(probabilities, dtype="float32"), size)
    sample = _seeded_sample(torch.distributions.Binomial(total_count=counts, probs=probs), seed)
    return sample.to(to_torch_dtype(dtype))


def beta(
    shape: Shape,
    alpha: Any,
    beta: Any,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples of the Beta distribution with concentrations ``alpha`` and ``beta``."""
    size = _shape(shape)
    a = torch.broadcast_to(as_tensor(alpha, dtype="float32"), size)
    b = torch.broadcast_to(as_tensor(beta, dtype="float32"), size)
    sample = _seeded_sample(torch.distributions.Beta(a, b), seed)
    return sample.to(to_torch_dtype(dtype))
