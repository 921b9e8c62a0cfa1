"""Turning an op's inputs into torch tensors, with the dtypes Keras gives them.

A torch tensor is used as it is (same device, same dtype). A Python ``bool`` becomes a bool
tensor, an ``int`` an ``int32`` one (``int64`` beyond its range), a ``float`` a ``float32`` one
(Keras's floatx); a list takes the promoted dtype of its elements (``[1, 2.5]`` is float32); a
numpy array keeps its dtype (``float64`` stays ``float64``). Values that are not tensors are put
on the device of the op's tensor inputs, so ``ops.add(cuda_tensor, 1.0)`` stays on the GPU.

Example:
    >>> import numpy as np
    >>> as_tensor(2.5).dtype, as_tensor([1, 2]).dtype, as_tensor(np.zeros(2)).dtype
    (torch.float32, torch.int32, torch.float64)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from kerastorch.ops.dtypes import result_type, to_torch_dtype

__all__ = ["as_tensor", "as_tensors", "device_of"]

_INT32 = 2**31


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _python_scalar_dtype(x: bool | int | float | complex) -> torch.dtype:
    if isinstance(x, bool):
        return torch.bool
    if isinstance(x, int):
        return torch.int32 if -_INT32 <= x < _INT32 else torch.int64
    if isinstance(x, float):
        return torch.float32
    return torch.complex64


def _from_numpy(x: np.ndarray | np.generic, dtype: torch.dtype | None, device: Any) -> torch.Tensor:
    x = np.asarray(x)
    if x.dtype == np.uint32:  # torch has no uint32 arithmetic; Keras's torch backend widens it
        x = x.astype(np.int64)
    elif x.dtype == np.uint16:
        x = x.astype(np.int32)
    if not x.flags.writeable:  # torch.from_numpy warns on read-only arrays
        x = x.copy()
    tensor = torch.from_numpy(x) if x.dtype != object else torch.tensor(x.tolist())
    return tensor.to(device=device, dtype=dtype)


def as_tensor(x: Any, dtype: Any = None, device: Any = None) -> torch.Tensor:
    """``x`` as a torch tensor with Keras's dtype rules (see the module docstring).

    Args:
        x: A tensor, a numpy array, a Python scalar or a (nested) list of them.
        dtype: The dtype wanted (a name, a torch or numpy dtype), or ``None`` for ``x``'s own.
        device: Where to put ``x`` when it is not already a tensor.

    Example:
        >>> as_tensor([[1, 2], [3, 4]], dtype="float32")
        tensor([[1., 2.],
                [3., 4.]])
    """
    torch_dtype = None if dtype is None else to_torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if torch_dtype is None or x.dtype == torch_dtype else x.to(torch_dtype)
    if isinstance(x, (bool, int, float, complex)):
        return torch.tensor(x, dtype=torch_dtype or _python_scalar_dtype(x), device=device)
    if isinstance(x, (list, tuple)):
        if any(isinstance(item, torch.Tensor) for item in x):
            device = next(item.device for item in x if isinstance(item, torch.Tensor))
            stacked = torch.stack([as_tensor(item, device=device) for item in x])
            return stacked if torch_dtype is None else stacked.to(torch_dtype)
        leaves = _leaves(x)
        if torch_dtype is None:
            torch_dtype = to_torch_dtype(
                result_type(*(getattr(leaf, "dtype", type(leaf)) for leaf in leaves))
            )
        if any(isinstance(leaf, (np.ndarray, np.generic)) for leaf in leaves):
            return _from_numpy(np.asarray(x), torch_dtype, device)
        return torch.tensor(x, dtype=torch_dtype, device=device)
    if isinstance(x, (np.ndarray, np.generic)):
        return _from_numpy(x, torch_dtype, device)
    return _from_numpy(np.asarray(x), torch_dtype, device)


def device_of(*xs: Any) -> torch.device | None:
    """The device of the first tensor among ``xs`` (``None`` when none is a tensor)."""
    for x in xs:
        if isinstance(x, torch.Tensor):
            return x.device
    return None


def as_tensors(*xs: Any, dtype: Any = None) -> tuple[torch.Tensor, ...]:
    """Each of ``xs`` as a tensor; the non-tensors go to the device of the tensors among them.

    Example:
        >>> a, b = as_tensors(torch.tensor([1.0]), 2)
        >>> b.dtype, b.device
        (torch.int32, device(type='cpu'))
    """
    device = device_of(*xs)
    return tuple(as_tensor(x, dtype=dtype, device=device) for x in xs)
