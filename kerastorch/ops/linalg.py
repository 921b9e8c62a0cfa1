"""The linear-algebra part of ``keras.ops`` (``keras.ops.linalg``), on ``torch.linalg``.

Example:
    >>> import torch
    >>> from kerastorch import ops
    >>> ops.norm(torch.tensor([3.0, 4.0]))
    tensor(5.)
    >>> ops.inv(torch.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch

from kerastorch.ops.conversion import as_tensor, as_tensors
from kerastorch.ops.dtypes import result_type, standardize_dtype, to_torch_dtype
from kerastorch.ops.operation import keras_op

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]

TensorLike = Any


def _matrix(name: str, x: TensorLike, square: bool = True) -> torch.Tensor:
    x = as_tensor(x)
    if x.dim() < 2:
        raise ValueError(f"{name} expects a matrix (rank >= 2). Received: shape={tuple(x.shape)}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name} expects square matrices. Received: shape={tuple(x.shape)}.")
    return x


def _system(name: str, a: TensorLike, b: TensorLike) -> tuple[torch.Tensor, torch.Tensor]:
    a, b = as_tensors(a, b)
    _matrix(name, a)
    if b.dim() < 1:
        raise ValueError(f"{name} expects b of rank >= 1. Received: a scalar.")
    rows = b.shape[-2] if a.dim() == b.dim() else b.shape[-1]
    if rows != a.shape[-1]:
        raise ValueError(
            f"{name}: a and b do not match. Received: a.shape={tuple(a.shape)}, "
            f"b.shape={tuple(b.shape)}."
        )
    return a, b


@keras_op
def norm(
    x: TensorLike,
    ord: Any = None,
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
) -> torch.Tensor:
    """Vector or matrix norm (numpy's ``ord`` values); ints give float32.

    Example:
        >>> norm(torch.tensor([[3, 4], [6, 8]]), axis=-1)
        tensor([ 5., 10.])
    """
    x = as_tensor(x)
    name = standardize_dtype(x.dtype)
    dtype = "float32" if name == "int64" else result_type(name, float)
    dims = tuple(axis) if isinstance(axis, list) else axis
    return torch.linalg.norm(x.to(to_torch_dtype(dtype)), ord=ord, dim=dims, keepdim=keepdims)


@keras_op
def inv(x: TensorLike) -> torch.Tensor:
    """Inverse of (a batch of) square matrices."""
    return torch.linalg.inv(_matrix("inv", x))


@keras_op
def det(x: TensorLike) -> torch.Tensor:
    """Determinant of (a batch of) square matrices."""
    return torch.det(_matrix("det", x))


@keras_op
def solve(a: TensorLike, b: TensorLike) -> torch.Tensor:
    """The ``x`` with ``a @ x == b``."""
    return torch.linalg.solve(*_system("solve", a, b))


@keras_op
def solve_triangular(a: TensorLike, b: TensorLike, lower: bool = False) -> torch.Tensor:
    """The ``x`` with ``a @ x == b`` for a triangular ``a`` (upper unless ``lower``)."""
    a, b = _system("solve_triangular", a, b)
    if b.dim() == a.dim() - 1:
        return torch.linalg.solve_triangular(a, b.unsqueeze(-1), upper=not lower).squeeze(-1)
    return torch.linalg.solve_triangular(a, b, upper=not lower)


@keras_op
def cholesky(x: TensorLike, upper: bool = False) -> torch.Tensor:
    """Cholesky factor of a symmetric positive-definite matrix (lower unless ``upper``)."""
    return torch.linalg.cholesky(_matrix("cholesky", x), upper=upper)


@keras_op
def cholesky_inverse(x: TensorLike, upper: bool = False) -> torch.Tensor:
    """Inverse of a matrix from its Cholesky factor ``x``."""
    return torch.cholesky_inverse(_matrix("cholesky_inverse", x), upper=upper)


@keras_op
def eig(x: TensorLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues and eigenvectors of a square matrix (complex)."""
    return tuple(torch.linalg.eig(_matrix("eig", x)))


@keras_op
def eigh(x: TensorLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix."""
    return tuple(torch.linalg.eigh(_matrix("eigh", x)))


@keras_op
def qr(x: TensorLike, mode: str = "reduced") -> tuple[torch.Tensor, torch.Tensor]:
    """QR decomposition; ``mode`` is ``"reduced"`` or ``"complete"``."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr expects mode 'reduced' or 'complete'. Received: mode={mode!r}.")
    return tuple(torch.linalg.qr(as_tensor(x), mode=mode))


@keras_op
def svd(
    x: TensorLike, full_matrices: bool = True, compute_uv: bool = True
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Singular value decomposition ``(u, s, vh)``; only ``s`` with ``compute_uv=False``."""
    x = _matrix("svd", x, square=False)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@keras_op
def lu_factor(x: TensorLike) -> tuple[torch.Tensor, torch.Tensor]:
    """LU factorization ``(lu, pivots)``, pivots 0-based as in SciPy and Keras."""
    lu, pivots = torch.linalg.lu_factor(_matrix("lu_factor", x, square=False))
    return lu, pivots - 1


@keras_op
def lstsq(a: TensorLike, b: TensorLike, rcond: float | None = None) -> torch.Tensor:
    """The least-squares solution ``x`` of ``a @ x ≈ b``."""
    a, b = as_tensors(a, b)
    if rcond is not None and a.device.type != "cuda":
        return torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    if rcond is not None:
        return torch.linalg.pinv(a, rtol=rcond) @ b
    return torch.linalg.lstsq(a, b).solution


@keras_op
def pinv(x: TensorLike, rcond: float | None = None) -> torch.Tensor:
    """Moore-Penrose pseudo-inverse (``rcond``: relative cutoff of small singular values)."""
    return torch.linalg.pinv(as_tensor(x), rtol=rcond)


@keras_op
def matrix_rank(x: TensorLike, tol: float | None = None) -> torch.Tensor:
    """Rank of a matrix (singular values above ``tol``), int32."""
    return torch.linalg.matrix_rank(as_tensor(x), atol=tol).to(torch.int32)


@keras_op
def jvp(
    fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
) -> Any:
    """Jacobian-vector product: ``(fun(*primals), J @ tangents)`` (with ``aux`` if ``has_aux``).

    Example:
        >>> jvp(lambda x: x**2, (torch.tensor(3.0),), (torch.tensor(1.0),))
        (tensor(9.), tensor(6.))
    """
    with warnings.catch_warnings():
        # torch's first forward-mode call scripts its decompositions and warns about jit.script.
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        return torch.func.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)
