"""Keras's dtype names and type promotion, on torch dtypes.

Keras names dtypes by string (``"float32"``, ``"int32"``, ...) and promotes them with its own
rules, adapted from JAX's: Python ints and floats are *weak* (``int8 + 1`` stays ``int8``, a
Python float becomes ``float32``), and on the torch backend 64-bit results fold to 32 bits
(``result_type("int64", "int64") == "int32"``). :func:`result_type` follows those rules, so that
kerastorch's ops return the dtype Keras's ops return.

Example:
    >>> result_type("int32", "float16"), result_type("int8", int), result_type(int, float)
    ('float16', 'int8', 'float32')
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from kerastorch.dtypes import resolve_dtype

__all__ = [
    "FLOAT_TYPES",
    "INT_TYPES",
    "is_float_dtype",
    "is_int_dtype",
    "result_type",
    "standardize_dtype",
    "to_torch_dtype",
]

INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
_ALLOWED = (
    "bool",
    *INT_TYPES,
    *FLOAT_TYPES,
    "complex64",
    "complex128",
    "float8_e4m3fn",
    "float8_e5m2",
)
# Python's types as dtypes: an int is int32 (Keras's torch backend), a float floatx.
_PYTHON = {bool: "bool", int: "int32", float: "float32", complex: "complex64", "int": "int32"}
# torch has no uint16 / uint32 arithmetic worth the name; Keras's torch backend widens them.
_TORCH = {"uint16": torch.int32, "uint32": torch.int64, "uint64": torch.int64}


def standardize_dtype(dtype: Any) -> str:
    """Keras's name of a dtype given as a name, a torch or numpy dtype, or a Python type.

    ``None`` is Keras's floatx, ``"float32"``.

    Example:
        >>> standardize_dtype(torch.int64), standardize_dtype(float), standardize_dtype(None)
        ('int64', 'float32', 'float32')
    """
    if dtype is None:
        return "float32"
    if isinstance(dtype, torch.dtype):
        name = str(dtype).split(".")[-1]
    elif dtype in _PYTHON:
        name = _PYTHON[dtype]
    elif hasattr(dtype, "name"):  # a numpy dtype
        name = dtype.name
    elif hasattr(dtype, "__name__"):  # a numpy scalar type such as np.float32
        name = dtype.__name__
    else:
        name = dtype
    if name == "bool_":
        name = "bool"
    if name not in _ALLOWED:
        raise ValueError(
            f"Invalid dtype: expected a name such as 'float32' or 'int32', a torch or numpy "
            f"dtype, or a Python type. Received: dtype={dtype!r}."
        )
    return name


def to_torch_dtype(dtype: Any) -> torch.dtype:
    """The torch dtype of a Keras dtype (``None`` is float32).

    Example:
        >>> to_torch_dtype("int32"), to_torch_dtype(bool)
        (torch.int32, torch.bool)
    """
    if isinstance(dtype, torch.dtype):
        return dtype
    name = standardize_dtype(dtype)
    return _TORCH.get(name) or resolve_dtype(name, "dtype")


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point dtype (``"float32"``, ``torch.bfloat16``, ...)."""
    name = standardize_dtype(dtype)
    return name.startswith(("float", "bfloat"))


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer dtype."""
    return standardize_dtype(dtype) in INT_TYPES


# NOTE [type promotion]: Keras's lattice (keras/src/backend/common/dtypes.py, adapted from JAX):
# each dtype maps to the dtypes just above it; "int" and "float" are the weak Python types. The
# result of promoting several dtypes is their least upper bound in this DAG.
_ABOVE: dict[str, tuple[str, ...]] = {
    "bool": ("int",),
    "int": ("uint8", "int8", "complex64"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _upper_bounds() -> dict[str, frozenset[str]]:
    bounds: dict[str, frozenset[str]] = {}

    def visit(node: str) -> frozenset[str]:
        if node not in bounds:
            bounds[node] = frozenset({node}).union(*(visit(up) for up in _ABOVE[node]))
        return bounds[node]

    for node in _ABOVE:
        visit(node)
    return bounds


_UPPER = _upper_bounds()
_FOLD_64 = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


@functools.lru_cache(maxsize=512)
def _least_upper_bound(nodes: frozenset[str]) -> str:
    common = frozenset.intersection(*(_UPPER[n] for n in nodes))
    least = [c for c in common if common <= _UPPER[c]]
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(nodes))} have no implicit promotion path. Cast the "
            "inputs explicitly to the dtype you want (ops.cast(x, dtype))."
        )
    return least[0]


def _resolve_weak(name: str) -> str:
    """A weakly typed result takes floatx's precision: int32, uint32 or float32."""
    if name == "bool":
        return name
    if name.startswith("int"):
        return "int32"
    if name.startswith("uint"):
        return "uint32"
    return "float32"


def result_type(*dtypes: Any) -> str:
    """The dtype Keras gives the result of combining ``dtypes``, as ``keras.backend.result_type``.

    Each argument is a dtype (name, torch or numpy dtype) or the Python type ``int`` / ``float``,
    which promote weakly; ``None`` counts as floatx. With no argument, floatx.

    Example:
        >>> result_type(torch.int32, torch.float32), result_type("bfloat16", "float16")
        ('float32', 'float32')
    """
    if not dtypes:
        return "float32"
    weak = [d is int or d is float for d in dtypes]
    names = [standardize_dtype(d) for d in dtypes]
    if any(n.startswith("float8") for n in names):
        raise ValueError(
            f"There is no implicit conversion from float8 dtypes to others: cast explicitly. "
            f"Received: dtypes={dtypes}"
        )
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(frozenset(names)), True
    else:
        nodes = frozenset(
            ("float" if n.startswith(("float", "bfloat")) else "int") if w and n != "bool" else n
            for n, w in zip(names, weak, strict=True)
        )
        out = _least_upper_bound(nodes)
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        out = _resolve_weak(out)
    return _FOLD_64.get(out, out)
