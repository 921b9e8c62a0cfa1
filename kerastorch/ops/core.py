"""The core of ``keras.ops``: conversion, dtypes, control flow, slicing and scattering.

Control flow runs eagerly in Python, as on Keras's torch backend: ``cond`` calls one branch,
``while_loop`` / ``fori_loop`` / ``scan`` loop. Values carried through them may be nested lists,
tuples and dicts of tensors.

Example:
    >>> import torch
    >>> from kerastorch import ops
    >>> ops.cast(torch.tensor([1.7]), "int32")
    tensor([1], dtype=torch.int32)
    >>> ops.fori_loop(0, 3, lambda i, total: total + i, 0)
    3
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.ops.conversion import as_tensor, as_tensors
from kerastorch.ops.dtypes import standardize_dtype, to_torch_dtype
from kerastorch.ops.operation import keras_op

__all__ = [
    "associative_scan",
    "cast",
    "cond",
    "convert_to_numpy",
    "convert_to_tensor",
    "custom_gradient",
    "dtype",
    "fori_loop",
    "is_tensor",
    "map",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "shape",
    "slice",
    "slice_update",
    "stop_gradient",
    "switch",
    "unstack",
    "vectorized_map",
    "while_loop",
]

TensorLike = Any


# ---------------------------------------------------------------------------------------------
# Nested structures (lists, tuples, dicts) for the control-flow ops
# ---------------------------------------------------------------------------------------------


def _flatten(tree: Any) -> list[Any]:
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _flatten(item)]
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _flatten(tree[key])]
    return [tree]


def _pack(tree: Any, leaves: Sequence[Any]) -> Any:
    """A structure like ``tree`` holding ``leaves`` in order (the inverse of ``_flatten``)."""
    iterator = iter(leaves)

    def build(node: Any) -> Any:
        if isinstance(node, (list, tuple)):
            items = [build(item) for item in node]
            return type(node)(*items) if hasattr(node, "_fields") else type(node)(items)
        if isinstance(node, dict):
            built = {key: build(node[key]) for key in sorted(node)}
            return type(node)((key, built[key]) for key in node)
        return next(iterator)

    return build(tree)


def _is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


# ---------------------------------------------------------------------------------------------
# Conversion and inspection
# ---------------------------------------------------------------------------------------------


@keras_op
def convert_to_tensor(
    x: TensorLike, dtype: Any = None, sparse: bool | None = None, ragged: bool | None = None
) -> torch.Tensor:
    """``x`` as a torch tensor: Python ints become int32, floats float32; numpy keeps its dtype.

    Example:
        >>> convert_to_tensor([1, 2]), convert_to_tensor(1.5)
        (tensor([1, 2], dtype=torch.int32), tensor(1.5000))
    """
    if sparse:
        raise ValueError("convert_to_tensor: sparse=True is not supported by kerastorch (torch).")
    if ragged:
        raise ValueError("convert_to_tensor: ragged=True is not supported by kerastorch (torch).")
    return as_tensor(x, dtype=dtype)


@keras_op
def convert_to_numpy(x: TensorLike) -> np.ndarray:
    """``x`` as a numpy array (detached, on the CPU; bfloat16 becomes float32).

    Example:
        >>> convert_to_numpy(torch.tensor([1.0], requires_grad=True))
        array([1.], dtype=float32)
    """

    def to_numpy(value: Any) -> np.ndarray:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
            if value.dtype == torch.bfloat16:
                value = value.float()
            return value.numpy()
        return np.asarray(value)

    if isinstance(x, (list, tuple)):
        return np.array([to_numpy(item) for item in x])
    return to_numpy(x)


@keras_op
def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor."""
    return isinstance(x, torch.Tensor)


@keras_op
def shape(x: TensorLike) -> tuple[int, ...]:
    """The shape of ``x`` as a tuple of ints.

    Example:
        >>> shape(torch.zeros(2, 3))
        (2, 3)
    """
    return tuple(as_tensor(x).shape)


@keras_op
def dtype(x: TensorLike) -> str:
    """Keras's name of ``x``'s dtype, e.g. ``"float32"``.

    Example:
        >>> dtype(torch.zeros(1, dtype=torch.int64))
        'int64'
    """
    return standardize_dtype(as_tensor(x).dtype)


@keras_op
def cast(x: TensorLike, dtype: Any) -> torch.Tensor:
    """``x`` converted to ``dtype`` (a name such as ``"float32"`` or a torch dtype).

    Example:
        >>> cast(torch.tensor([1, 2]), "float32")
        tensor([1., 2.])
    """
    return as_tensor(x, dtype=dtype)


@keras_op
def saturate_cast(x: TensorLike, dtype: Any) -> torch.Tensor:
    """``x`` cast to ``dtype`` with values first clipped to the range ``dtype`` can hold.

    Example:
        >>> saturate_cast(torch.tensor([-1.0, 300.0]), "uint8")
        tensor([  0, 255], dtype=torch.uint8)
    """
    x = as_tensor(x)
    target = to_torch_dtype(dtype)
    if target == torch.bool or x.dtype == torch.bool:
        return x.to(target)
    info = torch.finfo(target) if target.is_floating_point else torch.iinfo(target)
    low, high = float(info.min), float(info.max)
    if x.dtype.is_floating_point:
        source = torch.finfo(x.dtype)
        low, high = builtins.max(low, source.min), builtins.min(high, source.max)
        if not target.is_floating_point:
            # The float nearest to an int bound may lie beyond it: step inside the range.
            low_t = torch.tensor(low, dtype=x.dtype)
            high_t = torch.tensor(high, dtype=x.dtype)
            if low_t.item() < info.min:
                low_t = torch.nextafter(low_t, torch.tensor(0, dtype=x.dtype))
            if high_t.item() > info.max:
                high_t = torch.nextafter(high_t, torch.tensor(0, dtype=x.dtype))
            low, high = low_t.item(), high_t.item()
    else:
        source = torch.iinfo(x.dtype)
        low, high = builtins.max(low, source.min), builtins.min(high, source.max)
        low, high = int(low), int(high)
    return torch.clamp(x, low, high).to(target)


@keras_op
def stop_gradient(variable: TensorLike) -> torch.Tensor:
    """``variable`` cut from the autograd graph (``detach``).

    Example:
        >>> x = torch.tensor([1.0], requires_grad=True)
        >>> stop_gradient(x * 2).requires_grad
        False
    """
    return as_tensor(variable).detach()


@keras_op
def unstack(x: TensorLike, num: int | None = None, axis: int = 0) -> list[torch.Tensor]:
    """The slices of ``x`` along ``axis``, as a list.

    Example:
        >>> [t.tolist() for t in unstack(torch.tensor([[1, 2], [3, 4]]), axis=1)]
        [[1, 3], [2, 4]]
    """
    x = as_tensor(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(
            f"unstack: num={num} does not match x.shape[{axis}]={x.shape[axis]} "
            f"(x.shape={tuple(x.shape)})."
        )
    return list(x.unbind(axis))


# ---------------------------------------------------------------------------------------------
# Slicing and scattering
# ---------------------------------------------------------------------------------------------


def _all_ints(values: Any) -> bool:
    return isinstance(values, (list, tuple)) and builtins.all(
        isinstance(v, (int, torch.SymInt)) for v in values
    )


@keras_op
def slice(inputs: TensorLike, start_indices: Sequence[int], shape: Sequence[int]) -> torch.Tensor:
    """The block of ``inputs`` of size ``shape`` starting at ``start_indices``.

    Example:
        >>> slice(torch.arange(10).reshape(2, 5), (0, 1), (2, 2))
        tensor([[1, 2],
                [6, 7]])
    """
    x = as_tensor(inputs)
    if _all_ints(start_indices) and _all_ints(shape):
        return x[tuple(builtins.slice(s, s + n) for s, n in zip(start_indices, shape, strict=True))]
    starts = as_tensor(start_indices, dtype="int64")
    sizes = as_tensor(shape, dtype="int64")
    for dim in range(starts.shape[0]):
        x = torch.narrow(x, dim, starts[dim], sizes[dim])
    return x


@keras_op
def slice_update(
    inputs: TensorLike, start_indices: Sequence[int], updates: TensorLike
) -> torch.Tensor:
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``.

    Example:
        >>> slice_update(torch.zeros(4), (1,), torch.ones(2))
        tensor([0., 1., 1., 0.])
    """
    x, updates = as_tensors(inputs, updates)
    out = torch.clone(x)
    if _all_ints(start_indices):
        index = tuple(
            builtins.slice(s, s + n) for s, n in zip(start_indices, updates.shape, strict=True)
        )
        out[index] = updates.to(out.dtype)
        return out
    starts = as_tensor(start_indices, dtype="int64", device=x.device)
    ranges = [torch.arange(n, device=x.device) + starts[dim] for dim, n in enumerate(updates.shape)]
    grids = torch.meshgrid(*ranges, indexing="ij")
    return out.index_put(tuple(g.reshape(-1) for g in grids), updates.reshape(-1).to(out.dtype))


def _index_tuple(indices: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``(N, k)`` index rows -> k index vectors, one per indexed axis."""
    return tuple(indices.reshape(-1, indices.shape[-1]).long().unbind(-1))


@keras_op
def scatter(indices: TensorLike, values: TensorLike, shape: Sequence[int]) -> torch.Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (duplicates add up).

    ``indices`` is ``(..., k)``: each row indexes the first ``k`` axes.

    Example:
        >>> scatter(torch.tensor([[1], [3], [1]]), torch.tensor([1.0, 2.0, 3.0]), (4,))
        tensor([0., 4., 0., 2.])
    """
    values = as_tensor(values)
    indices = as_tensor(indices, device=values.device)
    shape = tuple(int(s) for s in shape)
    depth = indices.shape[-1]
    zeros = torch.zeros(shape, dtype=values.dtype, device=values.device)
    flat_values = values.reshape((-1, *shape[depth:]))
    return zeros.index_put(_index_tuple(indices), flat_values, accumulate=True)


_SCATTER_REDUCE = {"max": "amax", "min": "amin", "mul": "prod"}


@keras_op
def scatter_update(
    inputs: TensorLike, indices: TensorLike, updates: TensorLike, reduction: str | None = None
) -> torch.Tensor:
    """A copy of ``inputs`` with ``updates`` written (or reduced) at ``indices``.

    ``reduction`` is ``None`` (overwrite), ``"add"``, ``"max"``, ``"min"`` or ``"mul"``.

    Example:
        >>> scatter_update(torch.zeros(3), torch.tensor([[0], [2]]), torch.tensor([5.0, 6.0]))
        tensor([5., 0., 6.])
    """
    if reduction is not None:
        reduction = reduction.lower()
        if reduction not in ("add", "max", "min", "mul"):
            raise ValueError(
                "scatter_update expects reduction None, 'add', 'max', 'min' or 'mul'. "
                f"Received: reduction={reduction!r}."
            )
    x = as_tensor(inputs)
    indices = as_tensor(indices, dtype="int64", device=x.device)
    updates = as_tensor(updates, dtype=x.dtype, device=x.device)
    index = _index_tuple(indices)
    if reduction is None:
        return x.index_put(index, updates)
    if reduction == "add":
        return x.index_put(index, updates, accumulate=True)
    # Flatten the indexed axes to one, then reduce along it.
    depth = indices.shape[-1]
    lead = x.shape[:depth]
    strides = [math.prod(lead[d + 1 :]) for d in range(depth)]
    linear = builtins.sum(i * s for i, s in zip(index, strides, strict=True))
    flat = x.reshape((-1, *x.shape[depth:]))
    flat_updates = updates.reshape((-1, *x.shape[depth:]))
    index = linear.reshape((-1,) + (1,) * (flat.dim() - 1)).expand(flat_updates.shape)
    out = flat.scatter_reduce(0, index, flat_updates, _SCATTER_REDUCE[reduction])
    return out.reshape(x.shape)


# ---------------------------------------------------------------------------------------------
# Control flow
# ---------------------------------------------------------------------------------------------


@keras_op
def cond(pred: TensorLike, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``.

    Example:
        >>> cond(torch.tensor(True), lambda: 1, lambda: 2)
        1
    """
    return true_fn() if bool(pred) else false_fn()


@keras_op
def switch(index: TensorLike, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, ``index`` clamped to the valid range."""
    position = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[position](*operands)


@keras_op
def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (and the cap allows).

    Example:
        >>> while_loop(lambda i: i < 5, lambda i: i + 2, 0)
        tensor(6, dtype=torch.int32)
    """
    is_sequence = isinstance(loop_vars, (list, tuple))
    values = tuple(loop_vars) if is_sequence else (loop_vars,)
    values = tuple(
        _pack(v, [as_tensor(leaf) for leaf in _flatten(v)]) if _is_nested(v) else as_tensor(v)
        for v in values
    )
    iteration = 0
    while (maximum_iterations is None or iteration < maximum_iterations) and bool(cond(*values)):
        values = body(*values)
        if not isinstance(values, (list, tuple)):
            values = (values,)
        values = tuple(values)
        iteration += 1
    return values if is_sequence else values[0]


@keras_op
def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns ``val``."""
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def _stack_structures(items: list[Any], like: Any) -> Any:
    """Stack a list of same-structured outputs into one structure of stacked tensors."""
    flats = [_flatten(item) for item in items]
    stacked = [torch.stack([as_tensor(f[i]) for f in flats]) for i in range(len(flats[0]))]
    return _pack(like, stacked)


@keras_op
def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; return ``(carry, ys)``.

    Example:
        >>> carry, ys = scan(lambda c, x: (c + x, c * x), 0.0, torch.tensor([1.0, 2.0, 3.0]))
        >>> carry, ys
        (tensor(6.), tensor([0., 2., 9.]))
    """
    if not callable(f):
        raise TypeError(f"scan expects a callable f. Received: f={f!r}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"scan expects unroll to be a bool or an int >= 1. Received: {unroll}")
    if xs is None and length is None:
        raise ValueError("scan needs xs to scan over, or length.")
    xs_leaves = [] if xs is None else [as_tensor(leaf) for leaf in _flatten(xs)]
    steps = int(length) if length is not None else xs_leaves[0].shape[0]
    carry = (
        _pack(init, [as_tensor(leaf) for leaf in _flatten(init)])
        if _is_nested(init)
        else (as_tensor(init))
    )
    # Keras stacks zeros shaped like the carry for steps whose y is None.
    no_output = [torch.zeros_like(leaf) for leaf in _flatten(carry)]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    ys: list[Any] = []
    for i in order:
        x = None if xs is None else _pack(xs, [leaf[i] for leaf in xs_leaves])
        carry, y = f(carry, x)
        ys.append(no_output if y is None else y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    return carry, _stack_structures(ys, ys[0])


@keras_op
def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked.

    Example:
        >>> map(lambda x: x * 2, torch.tensor([1, 2]))
        tensor([2, 4])
    """
    leaves = [as_tensor(leaf) for leaf in _flatten(xs)]
    outputs = [f(_pack(xs, [leaf[i] for leaf in leaves])) for i in range(leaves[0].shape[0])]
    return _stack_structures(outputs, outputs[0])


@keras_op
def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` mapped over the leading axis of ``elements`` with ``torch.vmap``."""
    return torch.vmap(function)(elements)


@keras_op
def associative_scan(
    f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0
) -> Any:
    """Inclusive scan of the associative ``f`` along ``axis`` (a sequential loop here).

    Example:
        >>> associative_scan(lambda a, b: a + b, torch.tensor([1, 2, 3]))
        tensor([1, 3, 6])
    """
    leaves = [as_tensor(leaf) for leaf in _flatten(elems)]
    if reverse:
        leaves = [torch.flip(leaf, (axis,)) for leaf in leaves]
    steps = leaves[0].shape[axis]
    running = [leaf.select(axis, 0) for leaf in leaves]
    outputs = [running]
    for i in range(1, steps):
        current = _pack(elems, [leaf.select(axis, i) for leaf in leaves])
        running = _flatten(f(_pack(elems, running), current))
        outputs.append(running)
    stacked = [torch.stack([o[k] for o in outputs], dim=axis) for k in range(len(leaves))]
    if reverse:
        stacked = [torch.flip(s, (axis,)) for s in stacked]
    return _pack(elems, stacked)


class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, forward_fn: Callable[..., Any], *args: Any) -> Any:
        ctx.save_for_backward(*[a for a in args if isinstance(a, torch.Tensor)])
        ctx.args = args
        output, ctx.grad_fn = forward_fn(*args)
        return output

    @staticmethod
    def backward(ctx: Any, upstream: torch.Tensor) -> Any:
        grads = ctx.grad_fn(*ctx.args, upstream=upstream)
        if not isinstance(grads, tuple):
            grads = (grads,)
        return (None, *grads)


@keras_op
def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``f`` whose call returns ``(output, grad_fn)``; ``grad_fn(*args, upstream=g)``
    returns the gradients of the arguments (Keras's torch-backend convention).

    Example:
        >>> @custom_gradient
        ... def clipped_identity(x):
        ...     def grad_fn(x, upstream=None):
        ...         return torch.clamp(upstream, -1.0, 1.0)
        ...     return x * 1.0, grad_fn
        >>> x = torch.tensor([2.0], requires_grad=True)
        >>> (clipped_identity(x) * 5.0).sum().backward()
        >>> x.grad
        tensor([1.])
    """

    def wrapped(*args: Any) -> Any:
        return _CustomGradient.apply(f, *args)

    return wrapped
