"""Keras's weight initializers, producing torch tensors.

An initializer is a callable ``init(shape, dtype=torch.float32) -> torch.Tensor``. ``shape`` is in
**Keras's layout**: a Dense kernel is ``(in, out)``, an LSTM kernel ``(in, 4 * units)`` and its
recurrent kernel ``(units, 4 * units)``, a Conv1D kernel ``(kernel_size, in, out)``. Layers
transpose the result into torch's layout themselves. Fans are computed as Keras computes them
(:func:`compute_fans`), so ``GlorotUniform()((in, out))`` draws from the same distribution as
Keras's ``glorot_uniform``.

NOTE [initializer seeds]: ``seed=None`` draws from torch's global generator, so
``torch.manual_seed`` makes a whole model reproducible. An integer seed gives the initializer its
own ``torch.Generator``, re-seeded at every call: like Keras, a seeded initializer returns the
same values each time it is called with the same shape. (Keras also freezes a random seed into an
*unseeded* initializer, so it repeats its values too; kerastorch does not.) The random streams
differ from Keras's, so values match Keras in distribution, not bit for bit.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import torch

from kerastorch.dtypes import resolve_dtype
from kerastorch.registry import Registry

__all__ = [
    "INITIALIZERS",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "deserialize",
    "get",
    "serialize",
]

ShapeLike = int | Sequence[int] | torch.Size
DTypeLike = torch.dtype | str | None

# Keras's truncated_normal keeps draws within 2 standard deviations; a standard normal truncated
# to (-2, 2) has this standard deviation, so VarianceScaling divides by it to hit its target.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(
    shape: ShapeLike,
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Compute ``(fan_in, fan_out)`` of a weight of Keras layout ``shape``, as Keras does.

    A 2-D shape is ``(fan_in, fan_out)``; a 1-D shape has both fans equal to its size; a conv
    kernel ``(*spatial, in, out)`` multiplies both by the receptive field size. ``input_axes`` and
    ``output_axes``, given together, name the axes that make up each fan instead.

    Args:
        shape: The weight's shape in Keras's layout.
        input_axes: Axes whose sizes multiply into ``fan_in``.
        output_axes: Axes whose sizes multiply into ``fan_out``.

    Returns:
        ``(fan_in, fan_out)`` as integers.

    Example:
        >>> compute_fans((3, 16, 32))  # a Conv1D kernel: kernel_size 3, 16 -> 32 channels
        (48, 96)
    """
    shape = _normalize_shape(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class of the initializers: a callable ``(shape, dtype) -> torch.Tensor``.

    Subclasses implement ``__call__`` and, when they take arguments, ``get_config`` (the
    constructor arguments under Keras's names) so that ``cls.from_config(init.get_config())``
    rebuilds an equal initializer.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=torch.float32):
        ...         return torch.full(tuple(shape), 0.5, dtype=dtype)
        >>> Halves()((2,)).tolist()
        [0.5, 0.5]
    """

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (Keras's names) as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Build an initializer from the output of :meth:`get_config`."""
        return cls(**config)

    def clone(self) -> Initializer:
        """Return a new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        defaults = _init_defaults(type(self))
        args = [
            f"{key}={value!r}"
            for key, value in self.get_config().items()
            if key not in defaults or defaults[key] != value
        ]
        return f"{type(self).__name__}({', '.join(args)})"


# -- constant initializers -------------------------------------------------------------------


class Zeros(Initializer):
    """Fill with zeros.

    Example:
        >>> Zeros()((2, 3)).sum().item()
        0.0
    """

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        return torch.zeros(_normalize_shape(shape), dtype=resolve_dtype(dtype, type(self).__name__))


class Ones(Initializer):
    """Fill with ones.

    Example:
        >>> Ones()((2, 3)).sum().item()
        6.0
    """

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        return torch.ones(_normalize_shape(shape), dtype=resolve_dtype(dtype, type(self).__name__))


class Constant(Initializer):
    """Fill with a constant scalar.

    Args:
        value: The Python scalar to fill with. Defaults to ``0.0`` (as in Keras).

    Example:
        >>> Constant(0.5)((3,)).tolist()
        [0.5, 0.5, 0.5]
    """

    def __init__(self, value: float = 0.0) -> None:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if not isinstance(value, (int, float, bool)):
            raise ValueError(
                f"Constant: expected a Python scalar value, received value={value!r}. "
                "To start a weight from an array, set it after building the layer."
            )
        self.value = value

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        return torch.full(
            _normalize_shape(shape), self.value, dtype=resolve_dtype(dtype, type(self).__name__)
        )

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Identity(Initializer):
    """The identity matrix times ``gain``; only for 2-D shapes (rectangular allowed).

    Args:
        gain: Multiplicative factor applied to the identity matrix.

    Example:
        >>> Identity(gain=2.0)((2, 3)).tolist()
        [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        shape = _normalize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity: expected a 2-D shape, received shape={shape} of rank {len(shape)}."
            )
        dtype = resolve_dtype(dtype, type(self).__name__)
        return (self.gain * torch.eye(*shape, dtype=dtype)).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


# -- random initializers ---------------------------------------------------------------------


class _RandomInitializer(Initializer):
    """Shared seed handling; see NOTE [initializer seeds] in the module docstring."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(
                f"{type(self).__name__}: expected seed to be an int or None, "
                f"received seed={seed!r}."
            )
        self.seed = seed

    def _generator(self) -> torch.Generator | None:
        if self.seed is None:
            return None
        return torch.Generator().manual_seed(self.seed)

    def _float_dtype(self, dtype: DTypeLike) -> torch.dtype:
        dtype = resolve_dtype(dtype, type(self).__name__)
        if not dtype.is_floating_point:
            raise ValueError(
                f"{type(self).__name__}: expected a floating-point dtype, received dtype={dtype}."
            )
        return dtype

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Draw from a normal distribution ``N(mean, stddev²)``.

    Args:
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution. Keras's default is ``0.05``.
        seed: An int for reproducible draws, or ``None`` for torch's global generator.

    Example:
        >>> RandomNormal(stddev=1.0, seed=1)((2, 2)).shape
        torch.Size([2, 2])
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        out = torch.empty(_normalize_shape(shape), dtype=self._float_dtype(dtype))
        return out.normal_(self.mean, self.stddev, generator=self._generator())

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_RandomInitializer):
    """Draw from ``N(mean, stddev²)`` truncated to ``mean ± 2 * stddev``.

    As in Keras, ``stddev`` is the standard deviation *before* truncation (the values' actual
    standard deviation is about ``0.88 * stddev``). Values never fall outside
    ``mean ± 2 * stddev``.

    Args:
        mean: Mean of the distribution.
        stddev: Standard deviation before truncation. Keras's default is ``0.05``.
        seed: An int for reproducible draws, or ``None`` for torch's global generator.

    Example:
        >>> bool(TruncatedNormal(stddev=1.0)((1000,)).abs().max() <= 2.0)
        True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        return _truncated_normal(
            _normalize_shape(shape), self.mean, self.stddev, self._float_dtype(dtype), self
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_RandomInitializer):
    """Draw from a uniform distribution on ``[minval, maxval)``.

    Args:
        minval: Lower bound. Keras's default is ``-0.05``.
        maxval: Upper bound. Keras's default is ``0.05``.
        seed: An int for reproducible draws, or ``None`` for torch's global generator.

    Example:
        >>> w = RandomUniform(-1.0, 1.0, seed=3)((100,))
        >>> bool(w.min() >= -1.0 and w.max() < 1.0)
        True
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        return _uniform(
            _normalize_shape(shape), self.minval, self.maxval, self._float_dtype(dtype), self
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Draw with a variance scaled to the weight's fans: ``scale / n``.

    ``n`` is ``fan_in``, ``fan_out`` or their mean, per ``mode`` (see :func:`compute_fans`).
    ``"truncated_normal"`` draws from a normal truncated at 2 stddev whose standard deviation
    *after* truncation is ``sqrt(scale / n)``; ``"untruncated_normal"`` from
    ``N(0, scale / n)``; ``"uniform"`` from ``U(-limit, limit)``, ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: Scaling factor, > 0.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (alias ``"normal"``), ``"untruncated_normal"`` or
            ``"uniform"``.
        seed: An int for reproducible draws, or ``None`` for torch's global generator.
        input_axes: Optional axes making up ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes making up ``fan_out`` (with ``input_axes``).

    Example:
        >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")
        >>> bool(init((50, 10)).abs().max() <= (3 * 2.0 / 50) ** 0.5)
        True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        name = type(self).__name__
        if not scale > 0:
            raise ValueError(f"{name}: expected scale > 0, received scale={scale!r}.")
        if mode not in _MODES:
            raise ValueError(
                f"{name}: expected mode to be one of {', '.join(_MODES)}, received mode={mode!r}."
            )
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"{name}: expected distribution to be one of {', '.join(_DISTRIBUTIONS)}, "
                f"received distribution={distribution!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        shape = _normalize_shape(shape)
        dtype = self._float_dtype(dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return _truncated_normal(
                shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype, self
            )
        if self.distribution == "untruncated_normal":
            out = torch.empty(shape, dtype=dtype)
            return out.normal_(0.0, math.sqrt(variance), generator=self._generator())
        limit = math.sqrt(3.0 * variance)
        return _uniform(shape, -limit, limit, dtype, self)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed by the class."""

    _scale: float
    _mode: str
    _distribution: str

    def __init__(
        self,
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        super().__init__(
            scale=self._scale,
            mode=self._mode,
            distribution=self._distribution,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    The default kernel initializer of Keras's Dense, Conv and recurrent layers.

    Args:
        seed: An int for reproducible draws, or ``None`` for torch's global generator.
        input_axes: Optional axes making up ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes making up ``fan_out`` (with ``input_axes``).

    Example:
        >>> w = GlorotUniform(seed=0)((400, 800))
        >>> bool(w.abs().max() <= (6 / 1200) ** 0.5)
        True
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with std ``sqrt(2 / (fan_in + fan_out))``.

    Args:
        seed: An int for reproducible draws, or ``None`` for torch's global generator.
        input_axes: Optional axes making up ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes making up ``fan_out`` (with ``input_axes``).

    Example:
        >>> GlorotNormal(seed=0)((20, 30)).shape
        torch.Size([20, 30])
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with std ``sqrt(2 / fan_in)``.

    Args:
        seed: An int for reproducible draws, or ``None`` for torch's global generator.
        input_axes: Optional axes making up ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes making up ``fan_out`` (with ``input_axes``).

    Example:
        >>> HeNormal(seed=0)((20, 30)).shape
        torch.Size([20, 30])
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``U(-limit, limit)`` with ``limit = sqrt(6 / fan_in)``.

    Args:
        seed: An int for reproducible draws, or ``None`` for torch's global generator.
        input_axes: Optional axes making up ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes making up ``fan_out`` (with ``input_axes``).

    Example:
        >>> bool(HeUniform(seed=0)((24, 5)).abs().max() <= 0.5)
        True
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with std ``sqrt(1 / fan_in)``.

    Args:
        seed: An int for reproducible draws, or ``None`` for torch's global generator.
        input_axes: Optional axes making up ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes making up ``fan_out`` (with ``input_axes``).

    Example:
        >>> LecunNormal(seed=0)((20, 30)).shape
        torch.Size([20, 30])
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``U(-limit, limit)`` with ``limit = sqrt(3 / fan_in)``.

    Args:
        seed: An int for reproducible draws, or ``None`` for torch's global generator.
        input_axes: Optional axes making up ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes making up ``fan_out`` (with ``input_axes``).

    Example:
        >>> bool(LecunUniform(seed=0)((12, 5)).abs().max() <= 0.5)
        True
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, computed as Keras computes it.

    A shape ``(*leading, cols)`` is treated as a ``(rows, cols)`` matrix with ``rows`` the
    product of the leading sizes. A standard normal matrix of shape ``(max, min)`` is
    QR-decomposed; ``Q``'s columns are multiplied by the signs of ``R``'s diagonal (which makes
    the result uniformly distributed) and ``Q`` is transposed when ``rows < cols``. So an LSTM
    recurrent kernel ``(units, 4 * units)`` has orthonormal rows: ``W @ W.T == I``.

    Args:
        gain: Multiplicative factor applied to the matrix.
        seed: An int for reproducible draws, or ``None`` for torch's global generator.

    Example:
        >>> w = Orthogonal(seed=0)((4, 16))
        >>> torch.allclose(w @ w.T, torch.eye(4), atol=1e-5)
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = torch.float32) -> torch.Tensor:
        shape = _normalize_shape(shape)
        dtype = self._float_dtype(dtype)
        if len(shape) < 2:
            raise ValueError(
                "Orthogonal: expected a shape of rank 2 or more, "
                f"received shape={shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        work = torch.float64 if dtype == torch.float64 else torch.float32
        a = torch.randn(max(rows, cols), min(rows, cols), dtype=work, generator=self._generator())
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


# -- registry, get, serialize ----------------------------------------------------------------

INITIALIZERS: Registry[type[Initializer]] = Registry("initializer")
"""Keras's snake_case names -> initializer classes (:func:`get` also takes class names)."""

for _name, _cls, *_aliases in (
    ("zeros", Zeros, "zero"),
    ("ones", Ones, "one"),
    ("constant", Constant),
    ("identity", Identity),
    ("random_normal", RandomNormal, "normal"),
    ("random_uniform", RandomUniform, "uniform"),
    ("truncated_normal", TruncatedNormal),
    ("variance_scaling", VarianceScaling),
    ("glorot_uniform", GlorotUniform),
    ("glorot_normal", GlorotNormal),
    ("he_normal", HeNormal),
    ("he_uniform", HeUniform),
    ("lecun_normal", LecunNormal),
    ("lecun_uniform", LecunUniform),
    ("orthogonal", Orthogonal),
):
    INITIALIZERS.add(_name, _cls, *_aliases)


def _lookup(name: str) -> type[Initializer]:
    """Find a class by snake_case name or, as Keras also accepts, by class name."""
    if name not in INITIALIZERS:
        # "GlorotUniform" -> "glorot_uniform"; Keras's legacy "OrthogonalInitializer" too.
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Initializer")).lower()
        if snake in INITIALIZERS:
            return INITIALIZERS.get(snake)
    return INITIALIZERS.get(name)


InitializerArg = str | dict[str, Any] | Initializer | Callable[..., torch.Tensor] | None


def get(identifier: InitializerArg) -> Callable[..., torch.Tensor] | None:
    """Resolve an initializer argument to a callable ``(shape, dtype) -> torch.Tensor``.

    Args:
        identifier: A name (``"glorot_uniform"``, ``"GlorotUniform"``; a new instance is made),
            a ``{"class_name": ..., "config": ...}`` dict (Keras's serialized form), an
            :class:`Initializer` subclass (instantiated with its defaults) or instance, any other
            callable (returned as is), or ``None`` (returned as is).

    Returns:
        The initializer.

    Raises:
        ValueError: for an unknown name (with a "did you mean") or an unusable identifier.

    Example:
        >>> get("glorot_uniform")
        GlorotUniform()
        >>> get({"class_name": "Constant", "config": {"value": 1.0}})
        Constant(value=1.0)
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        "Expected an initializer name, a {'class_name': ..., 'config': ...} dict or a callable "
        f"(shape, dtype) -> Tensor, received identifier={identifier!r}."
    )


def serialize(initializer: InitializerArg) -> Any:
    """Return Keras's serialized form ``{"class_name": ..., "config": ...}`` of an initializer.

    Strings, dicts and ``None`` are returned unchanged; so are callables that are not
    :class:`Initializer` instances (they cannot be written as JSON).

    Example:
        >>> serialize(Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return initializer


def deserialize(config: dict[str, Any]) -> Initializer:
    """Build an initializer from ``{"class_name": ..., "config": ...}`` (extra keys ignored).

    Example:
        >>> deserialize({"class_name": "Orthogonal", "config": {"gain": 2.0, "seed": None}})
        Orthogonal(gain=2.0)
    """
    if "class_name" not in config:
        raise ValueError(
            f"Expected a dict with keys 'class_name' and 'config', received keys {sorted(config)}."
        )
    cls = _lookup(config["class_name"])
    return cls.from_config(dict(config.get("config") or {}))


# -- helpers ---------------------------------------------------------------------------------


def _normalize_shape(shape: ShapeLike) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        result = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"Expected a shape (a tuple of ints), received shape={shape!r}.") from None
    if any(d < 0 for d in result):
        raise ValueError(f"Expected non-negative sizes, received shape={result}.")
    return result


def _uniform(
    shape: tuple[int, ...], low: float, high: float, dtype: torch.dtype, init: _RandomInitializer
) -> torch.Tensor:
    return torch.empty(shape, dtype=dtype).uniform_(low, high, generator=init._generator())


def _truncated_normal(
    shape: tuple[int, ...],
    mean: float,
    stddev: float,
    dtype: torch.dtype,
    init: _RandomInitializer,
) -> torch.Tensor:
    # Inverse-CDF sampling (exactly truncated, never beyond 2 stddev). Keras's torch backend instead
    # keeps the first of 4 normal draws inside (-2, 2), and very rarely (p ≈ 4e-6) none is.
    work = torch.float64 if dtype == torch.float64 else torch.float32
    out = torch.empty(shape, dtype=work)
    torch.nn.init.trunc_normal_(
        out, mean, stddev, mean - 2 * stddev, mean + 2 * stddev, generator=init._generator()
    )
    return out.to(dtype)


def _init_defaults(cls: type) -> dict[str, Any]:
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
