"""The numpy-like part of ``keras.ops`` (``keras.ops.numpy``), on torch tensors.

Names, arguments, axis / keepdims conventions and result dtypes follow Keras 3 on its torch
backend: ``mean`` of an int tensor is float32, ``argmax`` returns int32, ``sum`` of a bool or
int8 tensor is int32, Python scalars promote weakly (``int8_tensor + 1`` stays int8).

Where Keras's torch backend departs from numpy and from Keras's other backends, kerastorch
follows numpy: ``sum`` / ``max`` / ``min`` / ``prod`` with ``axis=None, keepdims=True`` keep the
dimensions, ``pad(x, 1)`` pads every axis and ``mode="symmetric"`` mirrors as numpy does,
``count_nonzero`` does not transpose its result, ``squeeze`` of an axis whose size is not 1 raises,
``nonzero`` returns a tuple.

Example:
    >>> import torch
    >>> from kerastorch import ops
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> ops.mean(x, axis=0)
    tensor([2., 3.])
    >>> ops.argmax(x, axis=-1)
    tensor([1, 1], dtype=torch.int32)
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from kerastorch.ops.conversion import as_tensor, as_tensors, device_of
from kerastorch.ops.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.ops.operation import alias, keras_op

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "angle",
    "any",
    "append",
    "arange",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "argsort",
    "array",
    "array_split",
    "average",
    "bincount",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "broadcast_to",
    "cbrt",
    "ceil",
    "clip",
    "concatenate",
    "conj",
    "conjugate",
    "copy",
    "corrcoef",
    "cos",
    "cosh",
    "count_nonzero",
    "cross",
    "cumprod",
    "cumsum",
    "deg2rad",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "digitize",
    "divide",
    "divide_no_nan",
    "dot",
    "dsplit",
    "dstack",
    "einsum",
    "empty",
    "empty_like",
    "equal",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "eye",
    "fabs",
    "flip",
    "fliplr",
    "flipud",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "full",
    "full_like",
    "gcd",
    "get_item",
    "greater",
    "greater_equal",
    "heaviside",
    "hsplit",
    "hstack",
    "hypot",
    "identity",
    "imag",
    "inner",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "kron",
    "lcm",
    "left_shift",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logspace",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "nan_to_num",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanstd",
    "nansum",
    "nanvar",
    "ndim",
    "negative",
    "nonzero",
    "not_equal",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "percentile",
    "power",
    "prod",
    "ptp",
    "quantile",
    "rad2deg",
    "ravel",
    "real",
    "reciprocal",
    "repeat",
    "reshape",
    "right_shift",
    "roll",
    "rot90",
    "round",
    "searchsorted",
    "select",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "size",
    "slogdet",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "trace",
    "transpose",
    "trapezoid",
    "tri",
    "tril",
    "triu",
    "true_divide",
    "trunc",
    "unravel_index",
    "vander",
    "var",
    "vdot",
    "vsplit",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]

# Type of the values ops accept: tensors, numpy arrays, Python scalars and (nested) lists.
TensorLike = Any
Axis = int | Sequence[int] | None

_SMALL_INTS = ("bool", "uint8", "int8", "int16")  # reductions promote these to int32 (as JAX)


def _dtype(x: torch.Tensor) -> str:
    return standardize_dtype(x.dtype)


def _is_int_or_bool(x: torch.Tensor) -> bool:
    name = _dtype(x)
    return "int" in name or name == "bool"


def _axis(axis: Axis) -> int | tuple[int, ...] | None:
    """torch's ``dim``: an int, a tuple, or None."""
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(axis)


def _is_empty_axis(axis: Axis) -> bool:
    return axis is not None and not isinstance(axis, int) and len(axis) == 0


def _canonical_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < builtins.max(ndim, 1):
        raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {ndim}.")
    return axis % ndim if ndim else 0


def _keep_all_dims(result: torch.Tensor, ndim: int) -> torch.Tensor:
    """A full reduction with ``keepdims=True``: shape ``(1,) * ndim``, as numpy."""
    return result.reshape((1,) * ndim)


def _stacked(x: TensorLike) -> torch.Tensor:
    """Keras's ``sum`` / ``mean`` stack a list of tensors first."""
    if isinstance(x, (list, tuple)) and builtins.any(isinstance(item, torch.Tensor) for item in x):
        return torch.stack(as_tensors(*x))
    return as_tensor(x)


# ---------------------------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------------------------


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)


@keras_op
def zeros(shape: int | Sequence[int], dtype: Any = None) -> torch.Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise).

    Example:
        >>> zeros((2,), dtype="int32")
        tensor([0, 0], dtype=torch.int32)
    """
    return torch.zeros(_shape(shape), dtype=to_torch_dtype(dtype))


@keras_op
def ones(shape: int | Sequence[int], dtype: Any = None) -> torch.Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return torch.ones(_shape(shape), dtype=to_torch_dtype(dtype))


@keras_op
def empty(shape: int | Sequence[int], dtype: Any = None) -> torch.Tensor:
    """An uninitialized tensor (float32 unless ``dtype`` says otherwise)."""
    return torch.empty(_shape(shape), dtype=to_torch_dtype(dtype))


@keras_op
def full(shape: int | Sequence[int], fill_value: TensorLike, dtype: Any = None) -> torch.Tensor:
    """A tensor of ``shape`` filled with ``fill_value`` (float32 unless ``dtype`` is given).

    Example:
        >>> full((2,), 7, dtype="int32")
        tensor([7, 7], dtype=torch.int32)
    """
    torch_dtype = to_torch_dtype(dtype)
    if isinstance(fill_value, (bool, int, float)):
        return torch.full(_shape(shape), fill_value, dtype=torch_dtype)
    fill = as_tensor(fill_value, dtype=torch_dtype)
    return torch.broadcast_to(fill, _shape(shape)).clone()


def _like(x: TensorLike, dtype: Any) -> tuple[torch.Tensor, torch.dtype]:
    x = as_tensor(x)
    return x, x.dtype if dtype is None else to_torch_dtype(dtype)


@keras_op
def zeros_like(x: TensorLike, dtype: Any = None) -> torch.Tensor:
    """Zeros of ``x``'s shape and (unless ``dtype`` is given) dtype."""
    x, torch_dtype = _like(x, dtype)
    return torch.zeros_like(x, dtype=torch_dtype)


@keras_op
def ones_like(x: TensorLike, dtype: Any = None) -> torch.Tensor:
    """Ones of ``x``'s shape and (unless ``dtype`` is given) dtype."""
    x, torch_dtype = _like(x, dtype)
    return torch.ones_like(x, dtype=torch_dtype)


@keras_op
def empty_like(x: TensorLike, dtype: Any = None) -> torch.Tensor:
    """An uninitialized tensor of ``x``'s shape and (unless ``dtype`` is given) dtype."""
    x, torch_dtype = _like(x, dtype)
    return torch.empty_like(x, dtype=torch_dtype)


@keras_op
def full_like(x: TensorLike, fill_value: TensorLike, dtype: Any = None) -> torch.Tensor:
    """``fill_value`` in ``x``'s shape and (unless ``dtype`` is given) dtype."""
    x, torch_dtype = _like(x, dtype)
    fill = as_tensor(fill_value, dtype=torch_dtype, device=x.device)
    return torch.broadcast_to(fill, x.shape).clone()


@keras_op
def arange(
    start: TensorLike,
    stop: TensorLike = None,
    step: TensorLike = None,
    dtype: Any = None,
) -> torch.Tensor:
    """Evenly spaced values in ``[start, stop)``; int32 for int arguments, else float32.

    Example:
        >>> arange(3), arange(0.0, 1.0, 0.5)
        (tensor([0, 1, 2], dtype=torch.int32), tensor([0.0000, 0.5000]))
    """
    if dtype is None:
        given = [a for a in (start, stop, step) if a is not None]
        dtype = result_type(*(getattr(a, "dtype", type(a)) for a in given))
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    return torch.arange(start, stop, step, dtype=to_torch_dtype(dtype))


@keras_op
def linspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> torch.Tensor | tuple[torch.Tensor, Any]:
    """``num`` evenly spaced values from ``start`` to ``stop`` (float32 by default).

    Example:
        >>> linspace(0, 1, 3)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if dtype is None:
        dtype = result_type(
            getattr(start, "dtype", type(start)), getattr(stop, "dtype", type(stop)), float
        )
    torch_dtype = to_torch_dtype(dtype)
    if isinstance(start, (int, float)) and isinstance(stop, (int, float)):
        if not endpoint and num > 0:
            step = (stop - start) / num
            stop = stop - step
        else:
            step = (stop - start) / (num - 1) if num > 1 else math.nan
        values = torch.linspace(start, stop, num, dtype=torch_dtype)
        return (values, step) if retstep else values
    # Tensor bounds: one sequence per element, along a new axis ``axis``.
    start_t, stop_t = as_tensors(start, stop, dtype=torch.float64)
    divisions = (num - 1) if endpoint else num
    step_t = (stop_t - start_t) / divisions if divisions > 0 else start_t * math.nan
    fraction = torch.arange(num, dtype=torch.float64, device=start_t.device)
    values = start_t + fraction.reshape((num,) + (1,) * start_t.dim()) * step_t
    if endpoint and num > 1:  # exactly ``stop`` at the end, as numpy
        values = torch.cat([values[:-1], stop_t.broadcast_to(values.shape[1:]).unsqueeze(0)])
    values = torch.movedim(values, 0, axis).to(torch_dtype)
    return (values, step_t.to(torch_dtype)) if retstep else values


@keras_op
def logspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10,
    dtype: Any = None,
    axis: int = 0,
) -> torch.Tensor:
    """``base ** linspace(start, stop, num)`` (float32 by default)."""
    if dtype is None:
        dtype = result_type(
            getattr(start, "dtype", type(start)), getattr(stop, "dtype", type(stop)), float
        )
    exponents = linspace(start, stop, num=num, endpoint=endpoint, dtype="float64", axis=axis)
    return torch.pow(float(base), exponents).to(to_torch_dtype(dtype))


@keras_op
def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> torch.Tensor:
    """An ``N x M`` matrix with ones on the ``k``-th diagonal (float32 by default).

    Example:
        >>> eye(2, 3, k=1)
        tensor([[0., 1., 0.],
                [0., 0., 1.]])
    """
    if isinstance(N, float) or isinstance(M, float):
        raise TypeError(f"eye expects integer sizes. Received: N={N!r}, M={M!r}.")
    M = N if M is None else M
    rows = torch.arange(int(N)).unsqueeze(1)
    cols = torch.arange(int(M)).unsqueeze(0)
    return (cols - rows == (k or 0)).to(to_torch_dtype(dtype))


@keras_op
def identity(n: int, dtype: Any = None) -> torch.Tensor:
    """The ``n x n`` identity matrix (float32 by default)."""
    return torch.eye(n, dtype=to_torch_dtype(dtype))


@keras_op
def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> torch.Tensor:
    """Ones at and below the ``k``-th diagonal of an ``N x M`` matrix (float32 by default)."""
    return torch.tril(torch.ones((N, M or N), dtype=to_torch_dtype(dtype)), diagonal=k)


@keras_op
def meshgrid(*x: TensorLike, indexing: str = "xy") -> tuple[torch.Tensor, ...]:
    """Coordinate grids from 1-D coordinate vectors (``"xy"`` or ``"ij"`` indexing)."""
    return torch.meshgrid(*as_tensors(*x), indexing=indexing)


@keras_op
def array(x: TensorLike, dtype: Any = None) -> torch.Tensor:
    """``x`` as a tensor (same as :func:`~kerastorch.ops.convert_to_tensor`)."""
    return as_tensor(x, dtype=dtype)


@keras_op
def copy(x: TensorLike) -> torch.Tensor:
    """A copy of ``x``."""
    return torch.clone(as_tensor(x))


# ---------------------------------------------------------------------------------------------
# Element-wise arithmetic
# ---------------------------------------------------------------------------------------------


@keras_op
def add(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``x1 + x2``, broadcasting; Python scalars promote weakly.

    Example:
        >>> add(torch.tensor([1, 2], dtype=torch.int8), 1)
        tensor([2, 3], dtype=torch.int8)
    """
    return torch.add(*as_tensors(x1, x2))


@keras_op
def subtract(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``x1 - x2``, broadcasting (a bool operand takes the other one's dtype)."""
    x1, x2 = as_tensors(x1, x2)
    if x1.dtype == torch.bool:
        x1 = x1.to(x2.dtype)
    if x2.dtype == torch.bool:
        x2 = x2.to(x1.dtype)
    return torch.subtract(x1, x2)


@keras_op
def multiply(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``x1 * x2``, broadcasting."""
    return torch.multiply(*as_tensors(x1, x2))


def _division_operands(x1: TensorLike, x2: TensorLike) -> tuple[Any, Any]:
    """Python numbers next to a tensor stay numbers (torch promotes them weakly), as in Keras."""
    device = device_of(x1, x2)

    def operand(x: TensorLike) -> Any:
        if device is not None and isinstance(x, (int, float)):
            return x
        return as_tensor(x, device=device)

    return operand(x1), operand(x2)


@keras_op
def divide(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """True division ``x1 / x2``: ints divide to float32.

    Example:
        >>> divide(torch.tensor([1, 2]), 2)
        tensor([0.5000, 1.0000])
    """
    a, b = _division_operands(x1, x2)
    return a / b


@keras_op
def true_divide(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Same as :func:`divide`."""
    a, b = _division_operands(x1, x2)
    return a / b


@keras_op
def divide_no_nan(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``x1 / x2``, with 0 where ``x2`` is 0.

    Example:
        >>> divide_no_nan(torch.tensor([1.0, 1.0]), torch.tensor([2.0, 0.0]))
        tensor([0.5000, 0.0000])
    """
    dtype = result_type(getattr(x1, "dtype", type(x1)), getattr(x2, "dtype", type(x2)), float)
    x1, x2 = as_tensors(x1, x2, dtype=dtype)
    zero = x2 == 0
    safe = torch.where(zero, torch.ones_like(x2), x2)
    return torch.where(zero, torch.zeros((), dtype=x1.dtype, device=x1.device), x1 / safe)


@keras_op
def floor_divide(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``x1 // x2`` (rounding towards minus infinity)."""
    dtype = result_type(getattr(x1, "dtype", type(x1)), getattr(x2, "dtype", type(x2)))
    a, b = _division_operands(x1, x2)
    return (a // b).to(to_torch_dtype(dtype))


@keras_op
def mod(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Remainder with the sign of ``x2`` (numpy's ``mod``)."""
    x1, x2 = as_tensors(x1, x2)
    if x1.dtype == torch.bool and x2.dtype == torch.bool:
        x1, x2 = x1.int(), x2.int()
    return torch.remainder(x1, x2)


@keras_op
def fmod(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Remainder with the sign of ``x1`` (C's ``fmod``)."""
    x1, x2 = as_tensors(x1, x2)
    if x1.dtype == torch.bool and x2.dtype == torch.bool:
        x1, x2 = x1.int(), x2.int()
    return torch.fmod(x1, x2)


@keras_op
def power(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``x1 ** x2``, broadcasting."""
    return torch.pow(*as_tensors(x1, x2))


@keras_op
def negative(x: TensorLike) -> torch.Tensor:
    """``-x``."""
    return torch.negative(as_tensor(x))


@keras_op
def reciprocal(x: TensorLike) -> torch.Tensor:
    """``1 / x``."""
    return torch.reciprocal(as_tensor(x))


@keras_op
def square(x: TensorLike) -> torch.Tensor:
    """``x * x`` (bool becomes int32)."""
    x = as_tensor(x)
    return torch.square(x.int() if x.dtype == torch.bool else x)


@keras_op
def sqrt(x: TensorLike) -> torch.Tensor:
    """Square root (ints become float32).

    Example:
        >>> sqrt(torch.tensor([4, 9]))
        tensor([2., 3.])
    """
    x = as_tensor(x)
    return torch.sqrt(x.float() if x.dtype == torch.int64 else x)


@keras_op
def cbrt(x: TensorLike) -> torch.Tensor:
    """Cube root."""
    x = as_tensor(x)
    if x.dtype == torch.bool:
        x = x.int()
    elif x.dtype == torch.int64:
        x = x.double()
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


@keras_op
def abs(x: TensorLike) -> torch.Tensor:
    """Absolute value."""
    x = as_tensor(x)
    return x if x.dtype == torch.bool else torch.abs(x)


absolute = alias("absolute", abs)


@keras_op
def fabs(x: TensorLike) -> torch.Tensor:
    """Absolute value as a float (ints become float32)."""
    x = as_tensor(x)
    return torch.abs(x.float() if _is_int_or_bool(x) else x)


@keras_op
def sign(x: TensorLike) -> torch.Tensor:
    """-1, 0 or 1 by the sign of each element."""
    return torch.sign(as_tensor(x))


@keras_op
def signbit(x: TensorLike) -> torch.Tensor:
    """Whether the sign bit is set (True for -0.0)."""
    return torch.signbit(as_tensor(x))


def _float_unary(fn: Any, x: TensorLike) -> torch.Tensor:
    """exp-like functions: ints and bools become float32 first."""
    x = as_tensor(x)
    return fn(x.float() if _is_int_or_bool(x) else x)


@keras_op
def exp(x: TensorLike) -> torch.Tensor:
    """``e ** x`` (ints become float32).

    Example:
        >>> exp(torch.tensor([0.0]))
        tensor([1.])
    """
    return _float_unary(torch.exp, x)


@keras_op
def exp2(x: TensorLike) -> torch.Tensor:
    """``2 ** x`` (ints become float32)."""
    return _float_unary(torch.exp2, x)


@keras_op
def expm1(x: TensorLike) -> torch.Tensor:
    """``exp(x) - 1``, accurate for small ``x``."""
    return _float_unary(torch.expm1, x)


@keras_op
def log(x: TensorLike) -> torch.Tensor:
    """Natural logarithm."""
    return torch.log(as_tensor(x))


@keras_op
def log2(x: TensorLike) -> torch.Tensor:
    """Base-2 logarithm."""
    return torch.log2(as_tensor(x))


@keras_op
def log10(x: TensorLike) -> torch.Tensor:
    """Base-10 logarithm."""
    return torch.log10(as_tensor(x))


@keras_op
def log1p(x: TensorLike) -> torch.Tensor:
    """``log(1 + x)``, accurate for small ``x``."""
    return torch.log1p(as_tensor(x))


def _binary_float(fn: Any, x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Binary float functions: promote with a weak float, compute float16 in float32 on CPU."""
    x1, x2 = as_tensors(x1, x2)
    dtype = to_torch_dtype(result_type(x1.dtype, x2.dtype, float))
    compute = torch.float32 if dtype == torch.float16 and x1.device.type == "cpu" else dtype
    return fn(x1.to(compute), x2.to(compute)).to(dtype)


@keras_op
def logaddexp(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``log(exp(x1) + exp(x2))``, computed stably."""
    return _binary_float(torch.logaddexp, x1, x2)


@keras_op
def logaddexp2(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``log2(2 ** x1 + 2 ** x2)``, computed stably."""
    return _binary_float(torch.logaddexp2, x1, x2)


@keras_op
def arctan2(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """The angle of the point ``(x2, x1)``, in radians."""
    return _binary_float(torch.arctan2, x1, x2)


def _int_to_float(x1: torch.Tensor, x2: torch.Tensor) -> torch.dtype:
    """hypot / heaviside: ints of up to 32 bits compute in float32, int64 in float64."""
    dtype = result_type(x1.dtype, x2.dtype)
    if dtype in ("int8", "int16", "int32", "uint8", "uint16", "uint32", "bool"):
        dtype = "float32"
    elif dtype == "int64":
        dtype = "float64"
    return to_torch_dtype(dtype)


@keras_op
def hypot(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """``sqrt(x1 ** 2 + x2 ** 2)``."""
    x1, x2 = as_tensors(x1, x2)
    dtype = _int_to_float(x1, x2)
    return torch.hypot(x1.to(dtype), x2.to(dtype))


@keras_op
def heaviside(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """0 where ``x1 < 0``, 1 where ``x1 > 0``, ``x2`` where ``x1 == 0``."""
    x1, x2 = as_tensors(x1, x2)
    dtype = _int_to_float(x1, x2)
    return torch.heaviside(x1.to(dtype), x2.to(dtype))


def _unary(fn: Any) -> Any:
    def op(x: TensorLike) -> torch.Tensor:
        return fn(as_tensor(x))

    return op


def _define_unary(name: str, fn: Any, doc: str) -> Any:
    op = _unary(fn)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.__module__ = __name__
    return keras_op(op)


sin = _define_unary("sin", torch.sin, "Sine, element-wise.")
cos = _define_unary("cos", torch.cos, "Cosine, element-wise.")
tan = _define_unary("tan", torch.tan, "Tangent, element-wise.")
arcsin = _define_unary("arcsin", torch.arcsin, "Inverse sine, element-wise.")
arccos = _define_unary("arccos", torch.arccos, "Inverse cosine, element-wise.")
arctan = _define_unary("arctan", torch.arctan, "Inverse tangent, element-wise.")
sinh = _define_unary("sinh", torch.sinh, "Hyperbolic sine, element-wise.")
cosh = _define_unary("cosh", torch.cosh, "Hyperbolic cosine, element-wise.")
tanh = _define_unary("tanh", torch.tanh, "Hyperbolic tangent, element-wise.")
arcsinh = _define_unary("arcsinh", torch.arcsinh, "Inverse hyperbolic sine, element-wise.")
arccosh = _define_unary("arccosh", torch.arccosh, "Inverse hyperbolic cosine, element-wise.")
arctanh = _define_unary("arctanh", torch.arctanh, "Inverse hyperbolic tangent, element-wise.")
sinc = _define_unary("sinc", torch.sinc, "Normalized sinc: ``sin(pi x) / (pi x)``.")
isnan = _define_unary("isnan", torch.isnan, "Whether each element is NaN.")
isinf = _define_unary("isinf", torch.isinf, "Whether each element is +inf or -inf.")
isfinite = _define_unary("isfinite", torch.isfinite, "Whether each element is finite.")
isneginf = _define_unary("isneginf", torch.isneginf, "Whether each element is -inf.")
isposinf = _define_unary("isposinf", torch.isposinf, "Whether each element is +inf.")
isreal = _define_unary("isreal", torch.isreal, "Whether each element has no imaginary part.")
real = _define_unary("real", torch.real, "The real part of a complex tensor.")
imag = _define_unary("imag", torch.imag, "The imaginary part of a complex tensor.")
angle = _define_unary("angle", torch.angle, "The argument of each (complex) element.")
logical_not = _define_unary("logical_not", torch.logical_not, "Element-wise NOT, as bool.")


@keras_op
def conjugate(x: TensorLike) -> torch.Tensor:
    """The complex conjugate."""
    return torch.conj(as_tensor(x)).resolve_conj()


conj = alias("conj", conjugate)


def _rounding(fn: Any, x: TensorLike) -> torch.Tensor:
    """floor / ceil: float result (int64 -> float32, other ints by weak promotion)."""
    x = as_tensor(x)
    name = _dtype(x)
    dtype = "float32" if name == "int64" else result_type(name, float)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return fn(x.to(to_torch_dtype(dtype)))


@keras_op
def floor(x: TensorLike) -> torch.Tensor:
    """Round down to an integral value (a float tensor)."""
    return _rounding(torch.floor, x)


@keras_op
def ceil(x: TensorLike) -> torch.Tensor:
    """Round up to an integral value (a float tensor)."""
    return _rounding(torch.ceil, x)


@keras_op
def trunc(x: TensorLike) -> torch.Tensor:
    """Round towards zero."""
    x = as_tensor(x)
    return x if x.dtype == torch.bool else torch.trunc(x)


@keras_op
def round(x: TensorLike, decimals: int = 0) -> torch.Tensor:
    """Round half to even, to ``decimals`` decimal places; ints keep their dtype."""
    x = as_tensor(x)
    if _is_int_or_bool(x) and x.dtype != torch.bool:
        return torch.round(x.float(), decimals=decimals).to(x.dtype)
    return torch.round(x, decimals=decimals)


@keras_op
def clip(x: TensorLike, x_min: TensorLike, x_max: TensorLike) -> torch.Tensor:
    """Limit values to ``[x_min, x_max]`` (bool becomes int32).

    Example:
        >>> clip(torch.tensor([-1.0, 0.5, 3.0]), 0.0, 1.0)
        tensor([0.0000, 0.5000, 1.0000])
    """
    x, lo, hi = as_tensors(x, x_min, x_max)
    if x.dtype == torch.bool:
        x = x.int()
    if x.dtype == torch.float16 and x.device.type == "cpu":
        return torch.clip(x.float(), min=lo, max=hi).to(torch.float16)
    return torch.clip(x, min=lo, max=hi)


@keras_op
def nan_to_num(
    x: TensorLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> torch.Tensor:
    """Replace NaN by ``nan`` and infinities by ``posinf`` / ``neginf`` (default: dtype's max)."""
    return torch.nan_to_num(as_tensor(x), nan=nan, posinf=posinf, neginf=neginf)


@keras_op
def deg2rad(x: TensorLike) -> torch.Tensor:
    """Degrees to radians."""
    x = as_tensor(x)
    out = torch.deg2rad(x)
    return out.double() if x.dtype == torch.int64 else out


@keras_op
def rad2deg(x: TensorLike) -> torch.Tensor:
    """Radians to degrees."""
    x = as_tensor(x)
    out = torch.rad2deg(x)
    return out.double() if x.dtype == torch.int64 else out


@keras_op
def maximum(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Element-wise maximum, with Keras's dtype promotion.

    Example:
        >>> maximum(torch.tensor([1.0, 5.0]), 3)
        tensor([3., 5.])
    """
    x1, x2 = _promoted(x1, x2)
    return torch.maximum(x1, x2)


@keras_op
def minimum(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Element-wise minimum, with Keras's dtype promotion."""
    x1, x2 = _promoted(x1, x2)
    return torch.minimum(x1, x2)


@keras_op
def fmax(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Element-wise maximum that ignores NaNs."""
    return torch.fmax(*_promoted(x1, x2))


@keras_op
def fmin(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Element-wise minimum that ignores NaNs."""
    return torch.fmin(*_promoted(x1, x2))


def _promoted(x1: TensorLike, x2: TensorLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Both operands in their Keras result dtype (Python numbers count as weak)."""
    device = device_of(x1, x2)
    if not isinstance(x1, (int, float)):
        x1 = as_tensor(x1, device=device)
    if not isinstance(x2, (int, float)):
        x2 = as_tensor(x2, device=device)
    dtype = result_type(getattr(x1, "dtype", type(x1)), getattr(x2, "dtype", type(x2)))
    return as_tensor(x1, dtype, device), as_tensor(x2, dtype, device)


# ---------------------------------------------------------------------------------------------
# Comparisons and logic
# ---------------------------------------------------------------------------------------------


def _define_binary(name: str, fn: Any, doc: str) -> Any:
    def op(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
        return fn(*as_tensors(x1, x2))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.__module__ = __name__
    return keras_op(op)


equal = _define_binary("equal", torch.eq, "``x1 == x2``, element-wise.")
not_equal = _define_binary("not_equal", torch.ne, "``x1 != x2``, element-wise.")
less = _define_binary("less", torch.lt, "``x1 < x2``, element-wise.")
less_equal = _define_binary("less_equal", torch.le, "``x1 <= x2``, element-wise.")
greater = _define_binary("greater", torch.gt, "``x1 > x2``, element-wise.")
greater_equal = _define_binary("greater_equal", torch.ge, "``x1 >= x2``, element-wise.")
logical_and = _define_binary("logical_and", torch.logical_and, "Element-wise AND, as bool.")
logical_or = _define_binary("logical_or", torch.logical_or, "Element-wise OR, as bool.")
logical_xor = _define_binary("logical_xor", torch.logical_xor, "Element-wise XOR, as bool.")
gcd = _define_binary("gcd", torch.gcd, "Greatest common divisor, element-wise.")
lcm = _define_binary("lcm", torch.lcm, "Least common multiple, element-wise.")
kron = _define_binary("kron", torch.kron, "Kronecker product.")


@keras_op
def bitwise_and(x: TensorLike, y: TensorLike) -> torch.Tensor:
    """Bitwise AND of integers (logical AND of bools)."""
    return torch.bitwise_and(*as_tensors(x, y))


@keras_op
def bitwise_or(x: TensorLike, y: TensorLike) -> torch.Tensor:
    """Bitwise OR of integers (logical OR of bools)."""
    return torch.bitwise_or(*as_tensors(x, y))


@keras_op
def bitwise_xor(x: TensorLike, y: TensorLike) -> torch.Tensor:
    """Bitwise XOR of integers (logical XOR of bools)."""
    return torch.bitwise_xor(*as_tensors(x, y))


@keras_op
def bitwise_invert(x: TensorLike) -> torch.Tensor:
    """Bitwise NOT of integers (logical NOT of bools)."""
    return torch.bitwise_not(as_tensor(x))


bitwise_not = alias("bitwise_not", bitwise_invert)


def _shift(fn: Any, x: TensorLike, y: TensorLike) -> torch.Tensor:
    x = as_tensor(x)
    return fn(x, y if isinstance(y, int) else as_tensor(y, device=x.device))


@keras_op
def bitwise_left_shift(x: TensorLike, y: TensorLike) -> torch.Tensor:
    """``x << y``."""
    return _shift(torch.bitwise_left_shift, x, y)


@keras_op
def bitwise_right_shift(x: TensorLike, y: TensorLike) -> torch.Tensor:
    """``x >> y``."""
    return _shift(torch.bitwise_right_shift, x, y)


left_shift = alias("left_shift", bitwise_left_shift)
right_shift = alias("right_shift", bitwise_right_shift)


@keras_op
def isclose(
    x1: TensorLike,
    x2: TensorLike,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,
) -> torch.Tensor:
    """Whether ``|x1 - x2| <= atol + rtol * |x2|``, element-wise."""
    x1, x2 = as_tensors(x1, x2)
    dtype = to_torch_dtype(result_type(x1.dtype, x2.dtype))
    x1, x2 = x1.to(dtype), x2.to(dtype)
    if dtype.is_floating_point:
        return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return torch.eq(x1, x2)


@keras_op
def allclose(
    x1: TensorLike,
    x2: TensorLike,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,
) -> torch.Tensor:
    """Whether every element is close (see :func:`isclose`), as a 0-d bool tensor."""
    return torch.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


@keras_op
def isin(
    x1: TensorLike, x2: TensorLike, assume_unique: bool = False, invert: bool = False
) -> torch.Tensor:
    """Whether each element of ``x1`` is in ``x2``."""
    x1, x2 = as_tensors(x1, x2)
    if x1.dtype == torch.bool:
        x1 = x1.to(x2.dtype if x2.dtype != torch.bool else torch.int32)
    if x2.dtype == torch.bool:
        x2 = x2.to(x1.dtype)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)


@keras_op
def where(
    condition: TensorLike, x1: TensorLike = None, x2: TensorLike = None
) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """``x1`` where ``condition`` holds, else ``x2``; with only ``condition``, its nonzero indices.

    Example:
        >>> where(torch.tensor([True, False]), 1.0, torch.tensor([5.0, 6.0]))
        tensor([1., 6.])
    """
    if (x1 is None) != (x2 is None):
        raise ValueError(
            "where expects both x1 and x2, or neither. "
            f"Received: x1={'None' if x1 is None else 'a value'}, "
            f"x2={'None' if x2 is None else 'a value'}."
        )
    device = device_of(condition, x1, x2)
    condition = as_tensor(condition, dtype="bool", device=device)
    if x1 is None:
        return torch.where(condition)
    return torch.where(condition, as_tensor(x1, device=device), as_tensor(x2, device=device))


@keras_op
def select(
    condlist: Sequence[TensorLike], choicelist: Sequence[TensorLike], default: TensorLike = 0
) -> torch.Tensor:
    """The choice of the first true condition, element-wise; ``default`` where none is true."""
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError(
            "select expects condlist and choicelist to be lists. Received: "
            f"type(condlist)={type(condlist).__name__}, "
            f"type(choicelist)={type(choicelist).__name__}."
        )
    if not condlist or not choicelist:
        raise ValueError("select expects non-empty condlist and choicelist.")
    device = device_of(*condlist, *choicelist)
    out = as_tensor(default, device=device)
    for cond, value in reversed(list(zip(condlist, choicelist, strict=True))):
        out = torch.where(as_tensor(cond, device=device), as_tensor(value, device=device), out)
    return out


# ---------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------


@keras_op
def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Sum over ``axis`` (all axes by default); bool and small ints sum to int32.

    Example:
        >>> sum(torch.tensor([[1, 2], [3, 4]]), axis=0)
        tensor([4, 6])
    """
    x = _stacked(x)
    if _is_empty_axis(axis):
        return x
    name = _dtype(x)
    dtype = to_torch_dtype("int32" if name in _SMALL_INTS else name)
    if axis is None and not keepdims:
        return torch.sum(x).to(dtype)
    return torch.sum(x, dim=_axis(axis), keepdim=keepdims).to(dtype)


@keras_op
def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Mean over ``axis`` (all axes by default); ints and bools give float32.

    Example:
        >>> mean(torch.tensor([1, 2]))
        tensor(1.5000)
    """
    x = _stacked(x)
    if _is_empty_axis(axis):
        return x
    compute = to_torch_dtype(result_type(x.dtype, "float32"))
    out_dtype = compute if _is_int_or_bool(x) else x.dtype
    if axis is None and not keepdims:
        return torch.mean(x.to(compute)).to(out_dtype)
    return torch.mean(x.to(compute), dim=_axis(axis), keepdim=keepdims).to(out_dtype)


def _extremum(
    reduce: Any, combine: Any, x: TensorLike, axis: Axis, keepdims: bool, initial: Any, name: str
) -> torch.Tensor:
    x = as_tensor(x)
    if x.numel() == 0:
        if initial is None:
            raise ValueError(f"Cannot compute the {name} of an empty tensor without `initial`.")
        shape = (1,) * x.dim() if keepdims else ()
        return torch.full(shape, initial, dtype=x.dtype, device=x.device)
    if _is_empty_axis(axis):
        result = x
    else:
        dims = tuple(range(x.dim())) if axis is None else _axis(axis)
        result = reduce(x, dim=dims, keepdim=keepdims)
    if initial is not None:
        result = combine(result, torch.tensor(initial, dtype=result.dtype, device=result.device))
    return result


@keras_op
def max(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, initial: Any = None
) -> torch.Tensor:
    """Maximum over ``axis`` (all axes by default), at least ``initial`` if given.

    Example:
        >>> max(torch.tensor([[1, 5], [3, 2]]), axis=1)
        tensor([5, 3])
    """
    return _extremum(torch.amax, torch.maximum, x, axis, keepdims, initial, "max")


@keras_op
def min(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, initial: Any = None
) -> torch.Tensor:
    """Minimum over ``axis`` (all axes by default), at most ``initial`` if given."""
    return _extremum(torch.amin, torch.minimum, x, axis, keepdims, initial, "min")


@keras_op
def amax(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Maximum over ``axis`` (all axes by default)."""
    return _extremum(torch.amax, torch.maximum, x, axis, keepdims, None, "amax")


@keras_op
def amin(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Minimum over ``axis`` (all axes by default)."""
    return _extremum(torch.amin, torch.minimum, x, axis, keepdims, None, "amin")


@keras_op
def prod(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, dtype: Any = None
) -> torch.Tensor:
    """Product over ``axis`` (all axes by default); bool and small ints give int32."""
    x = as_tensor(x)
    if dtype is None:
        dtype = result_type(x.dtype)
        if dtype in _SMALL_INTS:
            dtype = "int32"
    out_dtype = to_torch_dtype(dtype)
    compute = torch.float32 if out_dtype == torch.float16 and x.device.type == "cpu" else out_dtype
    if axis is None:
        result = torch.prod(x, dtype=compute).to(out_dtype)
        return _keep_all_dims(result, x.dim()) if keepdims else result
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in sorted((_canonical_axis(a, x.dim()) for a in axes), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims, dtype=compute)
    return x.to(out_dtype)


@keras_op
def std(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Standard deviation over ``axis`` (population: divides by N, as numpy)."""
    x = as_tensor(x)
    if _is_int_or_bool(x):
        x = x.float()
    return torch.std(x, dim=_axis(axis), keepdim=keepdims, correction=0)


@keras_op
def var(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Variance over ``axis`` (population: divides by N, as numpy)."""
    x = as_tensor(x)
    compute = to_torch_dtype(result_type(x.dtype, "float32"))
    out_dtype = to_torch_dtype(result_type(x.dtype, float))
    if _is_empty_axis(axis):
        return torch.zeros_like(x, dtype=out_dtype)
    return torch.var(x.to(compute), dim=_axis(axis), keepdim=keepdims, correction=0).to(out_dtype)


def _arg_extremum(fn: Any, x: TensorLike, axis: int | None, keepdims: bool) -> torch.Tensor:
    x = as_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return fn(x, dim=axis, keepdim=keepdims).to(torch.int32)


@keras_op
def argmax(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the maximum along ``axis`` (of the flattened tensor by default), int32.

    Example:
        >>> argmax(torch.tensor([[1, 9], [7, 2]]), axis=1)
        tensor([1, 0], dtype=torch.int32)
    """
    return _arg_extremum(torch.argmax, x, axis, keepdims)


@keras_op
def argmin(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the minimum along ``axis`` (of the flattened tensor by default), int32."""
    return _arg_extremum(torch.argmin, x, axis, keepdims)


def _logical_reduction(fn: Any, x: TensorLike, axis: Axis, keepdims: bool) -> torch.Tensor:
    x = as_tensor(x)
    if _is_empty_axis(axis):
        return x.to(torch.bool)
    return fn(x, dim=_axis(axis), keepdim=keepdims).to(torch.bool)


@keras_op
def all(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether every element along ``axis`` is true (nonzero)."""
    return _logical_reduction(torch.all, x, axis, keepdims)


@keras_op
def any(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Whether some element along ``axis`` is true (nonzero)."""
    return _logical_reduction(torch.any, x, axis, keepdims)


@keras_op
def count_nonzero(x: TensorLike, axis: Axis = None) -> torch.Tensor:
    """Number of nonzero elements along ``axis`` (all axes by default), int32."""
    x = as_tensor(x)
    if _is_empty_axis(axis):
        return torch.ne(x, 0).to(torch.int32)
    return torch.count_nonzero(x, dim=_axis(axis)).to(torch.int32)


def _cumulative(fn: Any, x: TensorLike, axis: int | None, dtype: Any) -> torch.Tensor:
    x = as_tensor(x)
    if axis is None:
        x, axis = x.flatten(), 0
    name = result_type(x.dtype if dtype is None else dtype)
    if name == "bool":
        name = "int32"
    out_dtype = to_torch_dtype(name)
    if out_dtype == torch.float16 and x.device.type == "cpu":
        return fn(x, dim=axis, dtype=torch.float32).to(out_dtype)
    return fn(x, dim=axis, dtype=out_dtype)


@keras_op
def cumsum(x: TensorLike, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Cumulative sum along ``axis`` (of the flattened tensor by default).

    Example:
        >>> cumsum(torch.tensor([1.0, 2.0, 3.0]))
        tensor([1., 3., 6.])
    """
    return _cumulative(torch.cumsum, x, axis, dtype)


@keras_op
def cumprod(x: TensorLike, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Cumulative product along ``axis`` (of the flattened tensor by default)."""
    return _cumulative(torch.cumprod, x, axis, dtype)


@keras_op
def ptp(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Range (maximum - minimum) along ``axis``."""
    return amax(x, axis=axis, keepdims=keepdims) - amin(x, axis=axis, keepdims=keepdims)


@keras_op
def quantile(
    x: TensorLike,
    q: TensorLike,
    axis: Axis = None,
    method: str = "linear",
    keepdims: bool = False,
) -> torch.Tensor:
    """The ``q``-th quantiles (``q`` in [0, 1]) over ``axis``; ``method`` as numpy's.

    Example:
        >>> quantile(torch.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
        tensor(2.5000)
    """
    return _quantile(torch.quantile, x, q, axis, method, keepdims)


def _quantile(
    fn: Any, x: TensorLike, q: TensorLike, axis: Axis, method: str, keepdims: bool
) -> torch.Tensor:
    x = as_tensor(x)
    compute = to_torch_dtype(result_type(x.dtype, "float32"))
    out_dtype = to_torch_dtype(result_type(x.dtype, float))
    x = x.to(compute)
    q = as_tensor(q, dtype=compute, device=x.device)
    if axis is None:
        axes = list(range(x.dim()))
        y = x.reshape(-1)
    else:
        axes = [_canonical_axis(a, x.dim()) for a in ([axis] if isinstance(axis, int) else axis)]
        others = [d for d in range(x.dim()) if d not in axes]
        y = x.permute(others + axes).reshape([x.shape[d] for d in others] + [-1])
    y = fn(y, q, dim=-1, interpolation=method)
    if keepdims:
        offset = 1 if q.dim() > 0 else 0
        for d in sorted(axes):
            y = y.unsqueeze(d + offset)
    return y.to(out_dtype)


@keras_op
def percentile(
    x: TensorLike,
    q: TensorLike,
    axis: Axis = None,
    method: str = "linear",
    keepdims: bool = False,
) -> torch.Tensor:
    """The ``q``-th percentiles (``q`` in [0, 100]) over ``axis``."""
    q = as_tensor(q, dtype="float32", device=device_of(x)) / 100.0
    return _quantile(torch.quantile, x, q, axis, method, keepdims)


@keras_op
def median(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Median over ``axis``; the mean of the two middle values for an even count (numpy's)."""
    return _quantile(torch.quantile, x, 0.5, axis, "linear", keepdims)


@keras_op
def average(x: TensorLike, axis: int | None = None, weights: TensorLike = None) -> torch.Tensor:
    """Weighted mean over ``axis``; 1-D ``weights`` apply along ``axis``, as numpy's.

    Example:
        >>> average(torch.tensor([1.0, 3.0]), weights=torch.tensor([3.0, 1.0]))
        tensor(1.5000)
    """
    x = as_tensor(x)
    dtypes = [x.dtype, float]
    if weights is not None:
        weights = as_tensor(weights, device=x.device)
        dtypes.append(weights.dtype)
    dtype = to_torch_dtype(result_type(*dtypes))
    x = x.to(dtype)
    if _is_empty_axis(axis):
        return x
    if weights is None:
        return torch.mean(x, dim=axis) if axis is not None else torch.mean(x)
    weights = weights.to(dtype)
    if weights.dim() == 1 and x.dim() > 1 and axis is not None:
        shape = [1] * x.dim()
        shape[_canonical_axis(axis, x.dim())] = -1
        weights = weights.reshape(shape)
    weights = torch.broadcast_to(weights, x.shape)
    if axis is None:
        return torch.sum(x * weights) / torch.sum(weights)
    return torch.sum(x * weights, dim=axis) / torch.sum(weights, dim=axis)


def _nan_filled(x: torch.Tensor, value: float) -> torch.Tensor:
    return torch.where(torch.isnan(x), torch.full_like(x, value), x)


@keras_op
def nansum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Sum over ``axis``, treating NaNs as 0."""
    x = _stacked(x)
    name = _dtype(x)
    dtype = to_torch_dtype("int32" if name in _SMALL_INTS else name)
    if _is_empty_axis(axis):
        return torch.nan_to_num(x, nan=0).to(dtype)
    return torch.nansum(x, dim=_axis(axis), keepdim=keepdims).to(dtype)


@keras_op
def nanmean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Mean over ``axis`` of the elements that are not NaN."""
    x = as_tensor(x)
    if _is_empty_axis(axis):
        return x
    dtype = to_torch_dtype(result_type(x.dtype, float))
    return torch.nanmean(x.to(dtype), dim=_axis(axis), keepdim=keepdims)


def _nan_extremum(fn: Any, fill: float, x: TensorLike, axis: Axis, keepdims: bool) -> torch.Tensor:
    x = as_tensor(x)
    if not x.dtype.is_floating_point:
        return _extremum(fn, None, x, axis, keepdims, None, fn.__name__)
    if _is_empty_axis(axis):
        return x
    dims = tuple(range(x.dim())) if axis is None else _axis(axis)
    out = fn(_nan_filled(x, fill), dim=dims, keepdim=keepdims)
    all_nan = torch.isnan(x).all(dim=_axis(axis), keepdim=keepdims)
    return torch.where(all_nan, torch.full_like(out, math.nan), out)


@keras_op
def nanmax(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Maximum over ``axis`` ignoring NaNs (NaN where all are NaN)."""
    return _nan_extremum(torch.amax, -math.inf, x, axis, keepdims)


@keras_op
def nanmin(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Minimum over ``axis`` ignoring NaNs (NaN where all are NaN)."""
    return _nan_extremum(torch.amin, math.inf, x, axis, keepdims)


@keras_op
def nanvar(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Variance over ``axis`` of the elements that are not NaN."""
    x = as_tensor(x)
    x = x.to(to_torch_dtype(result_type(x.dtype, float)))
    if _is_empty_axis(axis):
        return torch.where(torch.isnan(x), x, torch.zeros_like(x))
    valid = ~torch.isnan(x)
    centered = torch.where(valid, x - nanmean(x, axis=axis, keepdims=True), torch.zeros_like(x))
    count = valid.sum(dim=_axis(axis), keepdim=keepdims)
    return centered.square().sum(dim=_axis(axis), keepdim=keepdims) / count


@keras_op
def nanstd(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Standard deviation over ``axis`` of the elements that are not NaN."""
    return torch.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


# ---------------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------------


@keras_op
def reshape(x: TensorLike, newshape: int | Sequence[int]) -> torch.Tensor:
    """``x`` with a new shape (one entry may be -1).

    Example:
        >>> reshape(torch.arange(6), (2, -1)).shape
        torch.Size([2, 3])
    """
    newshape = _shape(newshape) if not isinstance(newshape, torch.Tensor) else newshape.tolist()
    if builtins.sum(1 for s in newshape if s == -1) > 1:
        raise ValueError(
            f"reshape accepts at most one -1 in newshape. Received: newshape={tuple(newshape)}."
        )
    return torch.reshape(as_tensor(x), tuple(newshape))


@keras_op
def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> torch.Tensor:
    """Permute the axes (reverse them by default).

    Example:
        >>> transpose(torch.zeros(2, 3, 4), (0, 2, 1)).shape
        torch.Size([2, 4, 3])
    """
    x = as_tensor(x)
    if axes is None:
        return x.permute(tuple(reversed(range(x.dim()))))
    return torch.permute(x, tuple(axes))


@keras_op
def expand_dims(x: TensorLike, axis: int | Sequence[int]) -> torch.Tensor:
    """Insert size-1 axes at ``axis`` (an int or a sequence, positions in the result).

    Example:
        >>> expand_dims(torch.zeros(3), -1).shape
        torch.Size([3, 1])
    """
    x = as_tensor(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    out_ndim = x.dim() + len(axes)
    for a in sorted(_canonical_axis(a, out_ndim) for a in axes):
        x = torch.unsqueeze(x, a)
    return x


@keras_op
def squeeze(x: TensorLike, axis: int | Sequence[int] | None = None) -> torch.Tensor:
    """Remove size-1 axes (all of them, or those at ``axis``, which must have size 1)."""
    x = as_tensor(x)
    if axis is None:
        return torch.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: axis {a} has size {x.shape[a]}, not 1 (shape {tuple(x.shape)})."
            )
    return torch.squeeze(x, dim=axes)


@keras_op
def ravel(x: TensorLike) -> torch.Tensor:
    """``x`` flattened to 1-D."""
    return torch.ravel(as_tensor(x))


@keras_op
def broadcast_to(x: TensorLike, shape: Sequence[int]) -> torch.Tensor:
    """``x`` broadcast to ``shape``."""
    return torch.broadcast_to(as_tensor(x), _shape(shape))


@keras_op
def moveaxis(x: TensorLike, source: int | Sequence[int], destination: int | Sequence[int]):
    """Move axes ``source`` to positions ``destination``."""
    return torch.moveaxis(as_tensor(x), source, destination)


@keras_op
def swapaxes(x: TensorLike, axis1: int, axis2: int) -> torch.Tensor:
    """Exchange two axes."""
    return torch.swapaxes(as_tensor(x), axis1, axis2)


@keras_op
def ndim(x: TensorLike) -> int:
    """The number of axes of ``x``."""
    return as_tensor(x).dim()


@keras_op
def size(x: TensorLike) -> torch.Tensor:
    """The number of elements of ``x``, as a 0-d int64 tensor."""
    return torch.tensor(as_tensor(x).numel())


@keras_op
def flip(x: TensorLike, axis: Axis = None) -> torch.Tensor:
    """Reverse the order of elements along ``axis`` (all axes by default)."""
    x = as_tensor(x)
    dims = tuple(range(x.dim())) if axis is None else _shape(axis)
    return torch.flip(x, dims=dims)


@keras_op
def fliplr(x: TensorLike) -> torch.Tensor:
    """Reverse the columns (axis 1)."""
    return torch.fliplr(as_tensor(x))


@keras_op
def flipud(x: TensorLike) -> torch.Tensor:
    """Reverse the rows (axis 0)."""
    return torch.flipud(as_tensor(x))


@keras_op
def rot90(array: TensorLike, k: int = 1, axes: tuple[int, int] = (0, 1)) -> torch.Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    x = as_tensor(array)
    if x.dim() < 2:
        raise ValueError(f"rot90 expects at least 2 dimensions. Received: array.ndim={x.dim()}")
    return torch.rot90(x, k=k, dims=tuple(axes))


@keras_op
def roll(x: TensorLike, shift: int | Sequence[int], axis: Axis = None) -> torch.Tensor:
    """Shift elements cyclically by ``shift`` along ``axis`` (the flattened tensor by default)."""
    x = as_tensor(x)
    if axis is None:
        return torch.roll(x, shift)
    return torch.roll(x, shift, dims=axis)


@keras_op
def repeat(x: TensorLike, repeats: int | Sequence[int], axis: int | None = None) -> torch.Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened tensor by default).

    Example:
        >>> repeat(torch.tensor([1, 2]), 2)
        tensor([1, 1, 2, 2])
    """
    x = as_tensor(x)
    if isinstance(repeats, int) and axis is not None:
        # expand + reshape keeps static shapes under torch.export (repeat_interleave does not).
        axis = _canonical_axis(axis, x.dim())
        shape = list(x.shape)
        x = x.unsqueeze(axis + 1)
        expanded = [-1] * x.dim()
        expanded[axis + 1] = repeats
        shape[axis] *= repeats
        return x.expand(expanded).reshape(shape)
    if not isinstance(repeats, int):
        repeats = as_tensor(repeats, dtype="int64", device=x.device)
    return torch.repeat_interleave(x, repeats, dim=axis)


@keras_op
def tile(x: TensorLike, repeats: int | Sequence[int]) -> torch.Tensor:
    """Repeat the whole tensor ``repeats`` times (per axis).

    Example:
        >>> tile(torch.tensor([1, 2]), 2)
        tensor([1, 2, 1, 2])
    """
    if isinstance(repeats, torch.Tensor):
        repeats = repeats.tolist()
    return torch.tile(as_tensor(x), _shape(repeats))


@keras_op
def concatenate(xs: Sequence[TensorLike], axis: int | None = 0) -> torch.Tensor:
    """Join tensors along an existing axis (flattened first with ``axis=None``).

    Example:
        >>> concatenate([torch.zeros(2, 1), torch.ones(2, 2)], axis=-1).shape
        torch.Size([2, 3])
    """
    tensors = as_tensors(*xs)
    if axis is None:
        return torch.cat([t.flatten() for t in tensors])
    return torch.cat(tensors, dim=axis)


@keras_op
def append(x1: TensorLike, x2: TensorLike, axis: int | None = None) -> torch.Tensor:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened by default)."""
    return concatenate([x1, x2], axis=axis)


@keras_op
def stack(x: Sequence[TensorLike], axis: int = 0) -> torch.Tensor:
    """Join tensors of the same shape along a new axis."""
    return torch.stack(as_tensors(*x), dim=axis)


@keras_op
def hstack(xs: Sequence[TensorLike]) -> torch.Tensor:
    """Join horizontally (axis 1; axis 0 for 1-D tensors)."""
    return torch.hstack(as_tensors(*xs))


@keras_op
def vstack(xs: Sequence[TensorLike]) -> torch.Tensor:
    """Join vertically (axis 0; 1-D tensors become rows)."""
    return torch.vstack(as_tensors(*xs))


@keras_op
def dstack(xs: Sequence[TensorLike]) -> torch.Tensor:
    """Join along the third axis."""
    return torch.dstack(as_tensors(*xs))


@keras_op
def split(
    x: TensorLike, indices_or_sections: int | Sequence[int], axis: int = 0
) -> list[torch.Tensor]:
    """Split into equal sections (an int) or at the given indices, along ``axis``.

    Example:
        >>> [t.tolist() for t in split(torch.arange(5), [2, 3])]
        [[0, 1], [2], [3, 4]]
    """
    x = as_tensor(x)
    length = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if length % indices_or_sections:
            raise ValueError(
                f"split: x.shape[{axis}]={length} is not divisible into "
                f"indices_or_sections={indices_or_sections} equal sections. Pass split indices "
                "instead, or use array_split."
            )
        return list(torch.split(x, length // indices_or_sections, dim=axis))
    if isinstance(indices_or_sections, torch.Tensor):
        indices_or_sections = indices_or_sections.tolist()
    bounds = [0, *(builtins.min(builtins.max(int(i), 0), length) for i in indices_or_sections)]
    sizes = [b - a for a, b in itertools.pairwise(bounds)] + [length - bounds[-1]]
    return list(torch.split(x, sizes, dim=axis))


@keras_op
def array_split(x: TensorLike, indices_or_sections: int, axis: int = 0) -> list[torch.Tensor]:
    """Split into ``indices_or_sections`` nearly equal sections along ``axis``."""
    if not isinstance(indices_or_sections, int) or indices_or_sections <= 0:
        raise ValueError(
            "array_split expects a positive int indices_or_sections. "
            f"Received: indices_or_sections={indices_or_sections!r}."
        )
    return list(torch.tensor_split(as_tensor(x), indices_or_sections, dim=axis))


def _split_like(fn: Any, x: TensorLike, indices_or_sections: Any) -> list[torch.Tensor]:
    if not isinstance(indices_or_sections, int):
        indices_or_sections = as_tensor(indices_or_sections).tolist()
    return list(fn(as_tensor(x), indices_or_sections))


@keras_op
def hsplit(x: TensorLike, indices_or_sections: int | Sequence[int]) -> list[torch.Tensor]:
    """Split horizontally (see :func:`split`)."""
    return _split_like(torch.hsplit, x, indices_or_sections)


@keras_op
def vsplit(x: TensorLike, indices_or_sections: int | Sequence[int]) -> list[torch.Tensor]:
    """Split vertically (see :func:`split`)."""
    return _split_like(torch.vsplit, x, indices_or_sections)


@keras_op
def dsplit(x: TensorLike, indices_or_sections: int | Sequence[int]) -> list[torch.Tensor]:
    """Split along the third axis (see :func:`split`)."""
    return _split_like(torch.dsplit, x, indices_or_sections)


def _pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    """numpy's pad_width forms: ``n``, ``(before, after)``, ``((b, a),)`` or one pair per axis."""
    if isinstance(pad_width, int):
        return [(pad_width, pad_width)] * ndim
    pad_width = [p.tolist() if isinstance(p, torch.Tensor) else p for p in pad_width]
    if builtins.all(isinstance(p, int) for p in pad_width):
        pair = tuple(pad_width) * (2 if len(pad_width) == 1 else 1)
        return [pair] * ndim
    pairs = [(int(p[0]), int(p[-1])) for p in pad_width]
    if len(pairs) == 1:
        pairs *= ndim
    if len(pairs) != ndim:
        raise ValueError(
            f"pad expects one (before, after) pair per axis of x ({ndim}). "
            f"Received: pad_width={pad_width}."
        )
    return pairs


def _pad_index(length: int, before: int, after: int, mode: str, device: Any) -> torch.Tensor:
    """Source index of each position of the padded axis, for the index-based modes."""
    p = torch.arange(-before, length + after, device=device)
    if mode == "edge":
        return p.clamp(0, length - 1)
    if mode == "wrap":
        return p.remainder(length)
    if mode == "symmetric":  # edge repeated: period 2n
        m = p.remainder(2 * length)
        return torch.where(m < length, m, 2 * length - 1 - m)
    if length == 1:  # reflect about the edge (edge not repeated): period 2n - 2
        return torch.zeros_like(p)
    m = p.remainder(2 * length - 2)
    return torch.where(m < length, m, 2 * length - 2 - m)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@keras_op
def pad(
    x: TensorLike,
    pad_width: Any,
    mode: str = "constant",
    constant_values: TensorLike = None,
) -> torch.Tensor:
    """Pad ``x`` as numpy's ``pad`` (modes constant, edge, reflect, symmetric, wrap).

    Example:
        >>> pad(torch.tensor([[1, 2]]), ((0, 0), (1, 2)))
        tensor([[0, 1, 2, 0, 0]])
    """
    x = as_tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad expects mode to be one of {_PAD_MODES}. Received: mode={mode!r}.")
    if constant_values is not None and mode != "constant":
        raise ValueError(
            f"pad: constant_values can only be given with mode='constant'. Received: mode={mode!r}."
        )
    pairs = _pad_widths(pad_width, x.dim())
    if mode == "constant":
        flat = [n for before, after in reversed(pairs) for n in (before, after)]
        value = 0 if constant_values is None else constant_values
        if isinstance(value, torch.Tensor):
            value = value.item()
        return F.pad(x, flat, mode="constant", value=value)
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            index = _pad_index(x.shape[axis], before, after, mode, x.device)
            x = torch.index_select(x, axis, index)
    return x


# ---------------------------------------------------------------------------------------------
# Indexing, sorting, searching
# ---------------------------------------------------------------------------------------------


@keras_op
def take(x: TensorLike, indices: TensorLike, axis: int | None = None) -> torch.Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened tensor by default).

    Negative indices count from the end. ``take(embeddings, ids, axis=0)`` is an embedding
    lookup.

    Example:
        >>> take(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, -1]), axis=1)
        tensor([[2, 2],
                [4, 4]])
    """
    x = as_tensor(x)
    indices = as_tensor(indices, device=x.device).long()
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = _canonical_axis(axis, x.dim())
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    out = torch.index_select(x, axis, indices.reshape(-1))
    return out.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1 :])


@keras_op
def get_item(x: TensorLike, key: Any) -> torch.Tensor:
    """``x[key]``."""
    return as_tensor(x)[key]


@keras_op
def take_along_axis(x: TensorLike, indices: TensorLike, axis: int | None = None) -> torch.Tensor:
    """Pick values along ``axis`` by matching indices (e.g. from ``argsort``)."""
    x = as_tensor(x)
    indices = as_tensor(indices, device=x.device).long()
    length = x.numel() if axis is None else x.shape[axis]
    indices = torch.where(indices < 0, indices + length, indices)
    return torch.take_along_dim(x, indices, dim=axis)


@keras_op
def sort(x: TensorLike, axis: int | None = -1) -> torch.Tensor:
    """Sorted values along ``axis`` (of the flattened tensor with ``axis=None``)."""
    x = as_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.sort(x, dim=axis).values


@keras_op
def argsort(x: TensorLike, axis: int | None = -1) -> torch.Tensor:
    """Indices that sort ``x`` along ``axis`` (stable), int32."""
    x = as_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        x, axis = x.reshape(-1), -1
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def searchsorted(
    sorted_sequence: TensorLike, values: TensorLike, side: str = "left"
) -> torch.Tensor:
    """Indices where ``values`` would be inserted to keep the 1-D ``sorted_sequence`` sorted."""
    sorted_sequence, values = as_tensors(sorted_sequence, values)
    if sorted_sequence.dim() != 1:
        raise ValueError(
            "searchsorted expects a 1-D sorted_sequence. "
            f"Received: sorted_sequence.shape={tuple(sorted_sequence.shape)}."
        )
    return torch.searchsorted(sorted_sequence, values, side=side, out_int32=True)


@keras_op
def digitize(x: TensorLike, bins: TensorLike) -> torch.Tensor:
    """Index of the bin of each value: ``bins[i - 1] <= x < bins[i]``, int32."""
    x, bins = as_tensors(x, bins)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.bucketize(x, bins, right=True).to(torch.int32)


@keras_op
def bincount(
    x: TensorLike, weights: TensorLike = None, minlength: int = 0, sparse: bool = False
) -> torch.Tensor:
    """Count (or sum ``weights`` of) each non-negative int value; 2-D input counts per row."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported by kerastorch (torch).")
    x = as_tensor(x)
    if weights is not None:
        weights = as_tensor(weights, device=x.device)
        dtype = to_torch_dtype(result_type(x.dtype, weights.dtype))
    else:
        dtype = torch.int32
    if x.dim() == 2:
        length = builtins.max(minlength, int(x.max()) + 1 if x.numel() else 0)
        row_weights = [None] * len(x) if weights is None else list(weights)
        rows = [
            torch.bincount(row, w, minlength=length) for row, w in zip(x, row_weights, strict=True)
        ]
        return torch.stack(rows).to(dtype)
    return torch.bincount(x, weights, minlength=minlength).to(dtype)


@keras_op
def nonzero(x: TensorLike) -> tuple[torch.Tensor, ...]:
    """Indices of the nonzero elements: one int32 tensor per axis (numpy's form)."""
    return tuple(t.to(torch.int32) for t in torch.nonzero(as_tensor(x), as_tuple=True))


@keras_op
def unravel_index(indices: TensorLike, shape: Sequence[int]) -> tuple[torch.Tensor, ...]:
    """Flat ``indices`` into a tuple of coordinate tensors for ``shape``."""
    indices = as_tensor(indices)
    dtype = to_torch_dtype(result_type(indices.dtype))
    return tuple(i.to(dtype) for i in torch.unravel_index(indices, tuple(shape)))


@keras_op
def diff(a: TensorLike, n: int = 1, axis: int = -1) -> torch.Tensor:
    """The ``n``-th discrete difference along ``axis``."""
    return torch.diff(as_tensor(a), n=n, dim=axis)


# ---------------------------------------------------------------------------------------------
# Matrices and products
# ---------------------------------------------------------------------------------------------


@keras_op
def diag(x: TensorLike, k: int = 0) -> torch.Tensor:
    """The ``k``-th diagonal of a matrix, or a matrix with vector ``x`` on it."""
    return torch.diag(as_tensor(x), diagonal=k)


@keras_op
def diagflat(x: TensorLike, k: int = 0) -> torch.Tensor:
    """A matrix with the flattened ``x`` on the ``k``-th diagonal."""
    return torch.diagflat(as_tensor(x), offset=k)


@keras_op
def diagonal(x: TensorLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """The diagonal of the ``(axis1, axis2)`` planes, as a last axis."""
    x = as_tensor(x)
    if _canonical_axis(axis1, x.dim()) == _canonical_axis(axis2, x.dim()):
        raise ValueError(f"diagonal expects two different axes. Received: {axis1=}, {axis2=}.")
    return torch.diagonal(x, offset=offset, dim1=axis1, dim2=axis2)


@keras_op
def trace(x: TensorLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """Sum of the diagonal (bool and small ints sum to int32)."""
    x = as_tensor(x)
    name = _dtype(x)
    dtype = to_torch_dtype("int32" if name in _SMALL_INTS else name)
    return torch.sum(torch.diagonal(x, offset, axis1, axis2), dim=-1, dtype=dtype)


@keras_op
def tril(x: TensorLike, k: int = 0) -> torch.Tensor:
    """Zero the elements above the ``k``-th diagonal."""
    return torch.tril(as_tensor(x), diagonal=k)


@keras_op
def triu(x: TensorLike, k: int = 0) -> torch.Tensor:
    """Zero the elements below the ``k``-th diagonal."""
    return torch.triu(as_tensor(x), diagonal=k)


def _matmul_dtypes(x1: torch.Tensor, x2: torch.Tensor) -> tuple[torch.dtype, torch.dtype]:
    """(compute, result) dtypes of a matrix product, as Keras's torch backend chooses them."""
    if x1.dtype == torch.int8 and x2.dtype == torch.int8:
        result = torch.int32
    else:
        result = to_torch_dtype(result_type(x1.dtype, x2.dtype))
    cpu_half = result == torch.float16 and x1.device.type == "cpu"
    cuda_int = x1.device.type == "cuda" and not result.is_floating_point
    compute = torch.float32 if result == torch.bool or cpu_half or cuda_int else result
    return compute, result


@keras_op
def matmul(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Matrix product with numpy's broadcasting rules (int8 @ int8 gives int32).

    Example:
        >>> matmul(torch.ones(2, 3), torch.ones(3, 4)).shape
        torch.Size([2, 4])
    """
    x1, x2 = as_tensors(x1, x2)
    compute, result = _matmul_dtypes(x1, x2)
    return torch.matmul(x1.to(compute), x2.to(compute)).to(result)


def _float_product(fn: Any, x1: TensorLike, x2: TensorLike, *args: Any) -> torch.Tensor:
    """dot / tensordot / inner / vdot: computed in float, returned in the promoted dtype."""
    x1, x2 = as_tensors(x1, x2)
    result = to_torch_dtype(result_type(x1.dtype, x2.dtype))
    compute = to_torch_dtype(result_type(result, float))
    if compute == torch.float16 and x1.device.type == "cpu":
        compute = torch.float32
    return fn(x1.to(compute), x2.to(compute), *args).to(result)


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.dim() == 0 or b.dim() == 0:
        return a * b
    if b.dim() > 2:  # numpy: sum over the last axis of a and the second-to-last of b
        return torch.tensordot(a, b, dims=([-1], [-2]))
    return torch.matmul(a, b)


@keras_op
def dot(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """numpy's ``dot``: inner product of vectors, matrix product, or scalar product."""
    return _float_product(_dot, x1, x2)


@keras_op
def tensordot(x1: TensorLike, x2: TensorLike, axes: int | Sequence[Any] = 2) -> torch.Tensor:
    """Sum of products over ``axes`` (an int: the last ``axes`` of x1 with the first of x2)."""
    if isinstance(axes, (list, tuple)):
        first, second = axes
        axes = (
            list(first) if isinstance(first, (list, tuple)) else [first],
            list(second) if isinstance(second, (list, tuple)) else [second],
        )
    return _float_product(torch.tensordot, x1, x2, axes)


@keras_op
def inner(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Inner product over the last axes."""
    return _float_product(torch.inner, x1, x2)


@keras_op
def vdot(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Dot product of the flattened tensors (the first conjugated)."""
    return _float_product(lambda a, b: torch.vdot(a.flatten(), b.flatten()), x1, x2)


@keras_op
def outer(x1: TensorLike, x2: TensorLike) -> torch.Tensor:
    """Outer product of the flattened tensors."""
    x1, x2 = as_tensors(x1, x2)
    return torch.outer(x1.flatten(), x2.flatten())


@keras_op
def cross(
    x1: TensorLike,
    x2: TensorLike,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> torch.Tensor:
    """Cross product of 3-vectors along ``axis`` (the last one by default)."""
    if axisa != -1 or axisb != -1 or axisc != -1:
        raise ValueError(
            "cross: kerastorch (as Keras's torch backend) supports only `axis`, not axisa / "
            f"axisb / axisc. Received: {axisa=}, {axisb=}, {axisc=}."
        )
    x1, x2 = as_tensors(x1, x2)
    dtype = to_torch_dtype(result_type(x1.dtype, x2.dtype))
    compute = torch.float32 if dtype == torch.float16 and x1.device.type == "cpu" else dtype
    dim = -1 if axis is None else axis
    return torch.linalg.cross(x1.to(compute), x2.to(compute), dim=dim).to(dtype)


@keras_op
def einsum(subscripts: str, *operands: TensorLike, **kwargs: Any) -> torch.Tensor:
    """Einstein summation (int8 operands give int32).

    Example:
        >>> einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(3, 4)).shape
        torch.Size([2, 4])
    """
    tensors = as_tensors(*operands)
    if tensors and builtins.all(t.dtype == torch.int8 for t in tensors):
        compute = torch.float32 if tensors[0].device.type == "cuda" else torch.int32
        return torch.einsum(subscripts, *(t.to(compute) for t in tensors)).to(torch.int32)
    return torch.einsum(subscripts, *tensors)


@keras_op
def vander(x: TensorLike, N: int | None = None, increasing: bool = False) -> torch.Tensor:
    """The Vandermonde matrix of a 1-D tensor."""
    x = as_tensor(x)
    if x.dim() != 1:
        raise ValueError(f"vander expects a 1-D tensor. Received: x.shape={tuple(x.shape)}.")
    return torch.vander(x, N=N, increasing=increasing).to(to_torch_dtype(result_type(x.dtype)))


@keras_op
def trapezoid(y: TensorLike, x: TensorLike = None, dx: float = 1.0, axis: int = -1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule."""
    y = as_tensor(y)
    if y.dtype == torch.bool:
        y = y.float()
    if x is not None:
        return torch.trapezoid(y, x=as_tensor(x, device=y.device), dim=axis)
    return torch.trapezoid(y, dx=dx, dim=axis)


@keras_op
def corrcoef(x: TensorLike) -> torch.Tensor:
    """Pearson correlation coefficients of the rows of ``x``."""
    x = as_tensor(x)
    if x.dtype == torch.bool:
        x = x.float()
    elif x.dtype == torch.int64:
        x = x.double()
    return torch.corrcoef(x)


@keras_op
def slogdet(x: TensorLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Sign and log of the absolute value of the determinant."""
    return tuple(torch.linalg.slogdet(as_tensor(x)))
