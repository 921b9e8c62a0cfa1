"""Merge layers: combine a list of tensors into one (Keras's ``keras.layers.merging``).

``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum`` and ``Minimum`` work element-wise
and broadcast as Keras does; ``Concatenate`` joins along an axis; ``Dot`` takes batched dot
products. Each has a functional form (``add([x1, x2])`` is ``Add()([x1, x2])``).

NOTE [merge masks]
    A merge layer's ``mask`` argument is a list with one mask (or ``None``) per input, as Keras's
    ``compute_mask(inputs, mask)`` receives it. The merged mask is the logical OR of the input
    masks when every input has one, and ``None`` otherwise (Keras 3.15's ``Merge.compute_mask``);
    ``Concatenate`` concatenates the masks, a missing one counting as all True; ``Dot`` returns
    none. ``Multiply``, ``Maximum`` and ``Minimum`` also use the masks in their values, as Keras:
    a masked entry of one input does not take part (``Multiply`` treats it as 1 and zeroes the
    positions masked in every input).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.backend import epsilon
from kerastorch.layers.arguments import to_tensor
from kerastorch.layers.base import Layer, Shape

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Merge",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]

MaskList = Sequence[torch.Tensor | None] | None


def _as_mask(mask: Any, device: torch.device) -> torch.Tensor | None:
    if mask is None:
        return None
    mask = to_tensor(mask, device)
    return mask if mask.dtype == torch.bool else mask.to(torch.bool)


def _is_shape_list(items: Sequence[Any]) -> bool:
    return all(s is None or isinstance(s, (list, tuple, torch.Size)) for s in items)


def _shape_str(shape: Any) -> str:
    return "None" if shape is None else str(tuple(shape))


class Merge(Layer):
    """Base class of the element-wise merge layers (Keras's ``Merge``).

    Subclasses implement :meth:`merge`, which receives the input tensors (brought to one rank
    by adding axes after the batch axis, as Keras) and their masks.
    """

    takes_input_list = True

    supports_masking = True
    # How many inputs the layer takes: at least ``min_inputs``, at most ``max_inputs``.
    min_inputs = 1
    max_inputs: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    # -- checks ----------------------------------------------------------------------------------

    def _expected_count(self) -> str:
        if self.max_inputs == self.min_inputs:
            return f"exactly {self.min_inputs}"
        return f"at least {self.min_inputs}"

    def _check_count(self, items: Any, what: str) -> list[Any]:
        example = f"{self.cls_name}()([x1, x2])"
        if what == "shapes" and isinstance(items, (list, tuple)) and not _is_shape_list(items):
            raise ValueError(
                f"{self.describe()}: expected a list of {self._expected_count()} input {what}, "
                f"e.g. {example}, received the single shape {tuple(items)}."
            )
        if not isinstance(items, (list, tuple)):
            received = (
                f"a tensor of shape {tuple(items.shape)}"
                if hasattr(items, "shape")
                else f"{type(items).__name__}"
            )
            raise ValueError(
                f"{self.describe()}: expected a list of {self._expected_count()} input {what}, "
                f"e.g. {example}, received {received}."
            )
        items = list(items)
        n = len(items)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            raise ValueError(
                f"{self.describe()}: expected a list of {self._expected_count()} input {what}, "
                f"received {n}."
            )
        return items

    def _check_shapes(self, shapes: list[Shape | None]) -> None:
        """Batch sizes agree and the shapes broadcast (Keras's ``Merge.build`` checks)."""
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{self.describe()} cannot merge tensors with different batch sizes, received "
                f"shapes {', '.join(map(_shape_str, shapes))}."
            )
        output = None if shapes[0] is None else tuple(shapes[0][1:])
        for shape in shapes[1:]:
            output = self._elementwise_shape(output, None if shape is None else tuple(shape[1:]))

    def _elementwise_shape(self, shape1: Shape | None, shape2: Shape | None) -> Shape | None:
        """Keras's ``_compute_elemwise_op_output_shape``: broadcast two shapes without their
        batch axis, aligned on the right; ``None`` (an unknown size) wins over any size."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._elementwise_shape(shape2, shape1)
        if not shape2:
            return shape1
        output = list(shape1[: -len(shape2)])
        for i, j in zip(shape1[-len(shape2) :], shape2, strict=True):
            if i is None or j is None:
                output.append(None)
            elif i == 1:
                output.append(j)
            elif j == 1 or i == j:
                output.append(i)
            else:
                raise ValueError(
                    f"{self.describe()}: inputs have incompatible shapes {shape1} and {shape2} "
                    "(batch axis left out); sizes must be equal or 1 on each axis, aligned on "
                    "the right."
                )
        return tuple(output)

    # -- Keras's layer contract ------------------------------------------------------------------

    def build(self, input_shape: list[Shape]) -> None:
        shapes = self._check_count(input_shape, "shapes")
        self._check_shapes(shapes)

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape | None:
        """Keras's ``Merge.compute_output_shape``: the broadcast shape, with the batch size when
        the inputs agree on a known one.

        Example:
            >>> Add().compute_output_shape([(None, 4, 3), (None, 1, 3)])
            (None, 4, 3)
        """
        shapes = self._check_count(input_shape, "shapes")
        output = None if shapes[0] is None else tuple(shapes[0][1:])
        for shape in shapes[1:]:
            output = self._elementwise_shape(output, None if shape is None else tuple(shape[1:]))
        if output is None:
            return None
        batch_sizes = {s[0] for s in shapes if s is not None} - {None}
        return (batch_sizes.pop() if len(batch_sizes) == 1 else None, *output)

    def _inputs_and_masks(
        self, inputs: Any, mask: MaskList
    ) -> tuple[list[torch.Tensor], list[torch.Tensor | None]]:
        tensors = self._check_count(inputs, "tensors")
        device = next((t.device for t in tensors if torch.is_tensor(t)), None)
        tensors = [to_tensor(t, device) for t in tensors]
        if mask is None:
            masks: list[torch.Tensor | None] = [None] * len(tensors)
        else:
            masks = self._check_masks(tensors, mask)
            masks = [_as_mask(m, tensors[0].device) for m in masks]
        return tensors, masks

    def _check_masks(self, inputs: list[Any], mask: Any) -> list[Any]:
        if not isinstance(mask, (list, tuple)):
            raise ValueError(
                f"{self.describe()}: expected mask to be a list with one mask (or None) per "
                f"input, received {type(mask).__name__}."
            )
        if len(mask) != len(inputs):
            raise ValueError(
                f"{self.describe()}: expected one mask (or None) per input, received "
                f"{len(mask)} masks for {len(inputs)} inputs."
            )
        return list(mask)

    def forward(
        self, inputs: Sequence[torch.Tensor], mask: MaskList = None, training: bool | None = None
    ) -> torch.Tensor:
        tensors, masks = self._inputs_and_masks(inputs, mask)
        # A trace or an export records sizes as tensors or symbols: checked when built.
        if not (torch.jit.is_tracing() or torch.compiler.is_exporting()):
            self._check_shapes([tuple(t.shape) for t in tensors])
        ranks = [t.dim() for t in tensors]
        if len(set(ranks)) > 1:
            # Keras adds axes after the batch axis until the ranks agree; its masks, attached to
            # the original tensors, do not follow the reshaped ones.
            top = max(ranks)
            tensors = [
                t.reshape(t.shape[:1] + (1,) * (top - t.dim()) + t.shape[1:]) for t in tensors
            ]
            masks = [None] * len(tensors)
        return self.merge(tensors, masks)

    def merge(self, inputs: list[torch.Tensor], masks: list[torch.Tensor | None]) -> torch.Tensor:
        raise NotImplementedError

    def compute_mask(self, inputs: Any, mask: MaskList = None) -> torch.Tensor | None:
        """The logical OR of the input masks, or ``None`` if an input has none (see NOTE
        [merge masks])."""
        if mask is None:
            return None
        masks = self._check_masks(self._check_count(inputs, "tensors"), mask)
        if any(m is None for m in masks):
            return None
        device = masks[0].device if torch.is_tensor(masks[0]) else None
        output = _as_mask(masks[0], device)
        for m in masks[1:]:
            output = output | _as_mask(m, device)
        return output


def _expand_mask(mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A ``(batch, timesteps)`` mask broadcast over ``x``'s last axis, as Keras's merge does."""
    return mask.unsqueeze(-1).expand(x.shape)


def _merge_with_or_mask(
    op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: list[torch.Tensor],
    masks: list[torch.Tensor | None],
) -> torch.Tensor:
    """Keras's ``_apply_merge_op_and_or_mask``: a masked entry takes the other operand's value,
    so it does not change the result."""
    output, output_mask = inputs[0], masks[0]
    if output_mask is not None:
        output_mask = _expand_mask(output_mask, output)
    for x, m in zip(inputs[1:], masks[1:], strict=True):
        if m is not None:
            m = _expand_mask(m, x)
            x = torch.where(m, x, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, x)
        output_mask = output_mask | m if m is not None and output_mask is not None else None
        output = op(output, x)
    return output


class Add(Merge):
    """Adds a list of tensors element-wise (shapes broadcast as in Keras).

    Example:
        >>> Add()([torch.ones(2, 3), torch.full((2, 3), 2.0)])
        tensor([[3., 3., 3.],
                [3., 3., 3.]])
    """

    def merge(self, inputs: list[torch.Tensor], masks: list[torch.Tensor | None]) -> torch.Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(Merge):
    """Subtracts the second of two tensors from the first: ``inputs[0] - inputs[1]``.

    Example:
        >>> Subtract()([torch.ones(1, 2), torch.full((1, 2), 3.0)])
        tensor([[-2., -2.]])
    """

    min_inputs = max_inputs = 2

    def merge(self, inputs: list[torch.Tensor], masks: list[torch.Tensor | None]) -> torch.Tensor:
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of tensors element-wise (masked entries count as 1; see NOTE [merge
    masks]).

    Example:
        >>> Multiply()([torch.full((1, 2), 2.0), torch.full((1, 2), 3.0)])
        tensor([[6., 6.]])
    """

    def merge(self, inputs: list[torch.Tensor], masks: list[torch.Tensor | None]) -> torch.Tensor:
        all_masked = all(m is not None for m in masks)
        output: torch.Tensor | None = None
        output_mask: torch.Tensor | None = None
        for x, m in zip(inputs, masks, strict=True):
            if m is not None:
                m = _expand_mask(m, x)
                x = torch.where(m, x, x.new_ones(()))
                if all_masked:
                    output_mask = m if output_mask is None else output_mask | m
            output = x if output is None else output * x
        assert output is not None
        if output_mask is not None:
            output = torch.where(output_mask, output, output.new_zeros(()))
        return output


class Average(Merge):
    """Averages a list of tensors element-wise.

    Example:
        >>> Average()([torch.ones(1, 2), torch.full((1, 2), 3.0)])
        tensor([[2., 2.]])
    """

    def merge(self, inputs: list[torch.Tensor], masks: list[torch.Tensor | None]) -> torch.Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(Merge):
    """The element-wise maximum of a list of tensors (masked entries do not take part).

    Example:
        >>> Maximum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
        tensor([[3., 5.]])
    """

    def merge(self, inputs: list[torch.Tensor], masks: list[torch.Tensor | None]) -> torch.Tensor:
        return _merge_with_or_mask(torch.maximum, inputs, masks)


class Minimum(Merge):
    """The element-wise minimum of a list of tensors (masked entries do not take part).

    Example:
        >>> Minimum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
        tensor([[1., 2.]])
    """

    def merge(self, inputs: list[torch.Tensor], masks: list[torch.Tensor | None]) -> torch.Tensor:
        return _merge_with_or_mask(torch.minimum, inputs, masks)


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``; their other sizes must agree.

    Args:
        axis: The axis to join along (``-1``, the features, by default). The batch axis (0)
            cannot be used.

    Input shape: a list of ``(batch, ...)`` shapes of one rank. Output shape: the same with the
    sizes along ``axis`` summed (``None`` if one is unknown).

    Example:
        >>> Concatenate(axis=1)([torch.ones(2, 2, 5), torch.zeros(2, 1, 5)]).shape
        torch.Size([2, 3, 5])
        >>> Concatenate().compute_output_shape([(None, 7, 3), (None, 7, 4)])
        (None, 7, 7)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{self.describe()}: expected axis to be an int, received {axis!r}.")
        self.axis = int(axis)

    def _resolved_axis(self, rank: int) -> int:
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"{self.describe()}: axis={self.axis} is out of range for inputs of rank {rank}."
            )
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(
                f"{self.describe()}: cannot concatenate along the batch axis (axis={self.axis})."
            )
        return axis

    def _check_shapes(self, shapes: list[Shape | None]) -> None:
        known = [s for s in shapes if s is not None]
        if not known:
            return
        problem = None
        if len({len(s) for s in known}) != 1:
            problem = "they have different ranks"
        else:
            axis = self._resolved_axis(len(known[0]))
            for dim in range(len(known[0])):
                sizes = {s[dim] for s in known} - {None}
                if dim != axis and len(sizes) > 1:
                    problem = f"their sizes differ on axis {dim}"
                    break
        if problem:
            raise ValueError(
                f"{self.describe()} requires inputs with matching shapes except for the "
                f"concatenation axis (axis={self.axis}), but {problem}: received shapes "
                f"{', '.join(map(_shape_str, shapes))}."
            )

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        """Keras's rule: the first shape with the sizes along ``axis`` added up (``None`` as soon
        as one is unknown)."""
        shapes = self._check_count(input_shape, "shapes")
        if any(s is None for s in shapes):
            raise ValueError(
                f"{self.describe()}: expected every input shape to be known, received "
                f"{', '.join(map(_shape_str, shapes))}."
            )
        output = list(shapes[0])
        for shape in shapes[1:]:
            if output[self.axis] is None or shape[self.axis] is None:
                output[self.axis] = None
                break
            output[self.axis] += shape[self.axis]
        return tuple(output)

    def forward(
        self, inputs: Sequence[torch.Tensor], mask: MaskList = None, training: bool | None = None
    ) -> torch.Tensor:
        tensors, _ = self._inputs_and_masks(inputs, mask)
        # A trace or an export records sizes as tensors or symbols: checked when built.
        if not (torch.jit.is_tracing() or torch.compiler.is_exporting()):
            self._check_shapes([tuple(t.shape) for t in tensors])
        return torch.cat(tensors, dim=self.axis)

    def compute_mask(self, inputs: Any, mask: MaskList = None) -> torch.Tensor | None:
        """The input masks (all True for an input without one) concatenated along ``axis``, then
        reduced over the last axis, as Keras."""
        if mask is None:
            return None
        inputs = self._check_count(inputs, "tensors")
        masks = self._check_masks(inputs, mask)
        if all(m is None for m in masks):
            return None
        device = next(m.device for m in masks if torch.is_tensor(m))
        full = []
        for x, m in zip(inputs, masks, strict=True):
            shape = tuple(x.shape)  # only the inputs' shapes are needed
            if m is None:
                full.append(torch.ones(shape, dtype=torch.bool, device=device))
                continue
            m = _as_mask(m, device)
            full.append(m.unsqueeze(-1).expand(shape) if m.dim() < len(shape) else m)
        return torch.cat(full, dim=self.axis).any(dim=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    """Keras's ``ops.normalize`` (order 2): ``x * min(rsqrt(sum(x**2)), 1 / epsilon)``."""
    inv_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True))
    return x * torch.clamp(inv_norm, max=1.0 / epsilon())


def batch_dot(x: torch.Tensor, y: torch.Tensor, axes: tuple[int, int]) -> torch.Tensor:
    """Keras's ``batch_dot``: per sample, contract ``x``'s axis ``axes[0]`` with ``y``'s axis
    ``axes[1]`` (both positive, not the batch axis). The output holds ``x``'s other axes, then
    ``y``'s; two rank-2 inputs give ``(batch, 1)``.

    Example:
        >>> batch_dot(torch.ones(2, 3), torch.ones(2, 3), (1, 1))
        tensor([[3.],
                [3.]])
    """
    a0, a1 = axes
    x_rank, y_rank = x.dim(), y.dim()
    if x_rank == 2:
        x = x.unsqueeze(1)
        a0 += 1
    if y_rank == 2:
        y = y.unsqueeze(2)
    x = x.movedim(a0, -1)  # (batch, *x_rest, n)
    y = y.movedim(a1, 1)  # (batch, n, *y_rest)
    batch = x.shape[0]
    x_rest, y_rest = x.shape[1:-1], y.shape[2:]
    result = torch.matmul(x.reshape(batch, -1, x.shape[-1]), y.reshape(batch, y.shape[1], -1))
    result = result.reshape(batch, *x_rest, *y_rest)
    if x_rank == 2:
        return result.squeeze(1)
    if y_rank == 2:
        return result.squeeze(-1)
    return result


class Dot(Merge):
    """The dot product of two tensors, sample by sample, along the given axes.

    Args:
        axes: One axis for both inputs, or a pair ``(axis_of_first, axis_of_second)``; negative
            axes count from the end. The two axes must have the same size; the batch axis (0)
            cannot be used.
        normalize: L2-normalize both inputs along their axis first, so that the output is the
            cosine similarity.

    Input shape: two shapes ``(batch, ...)`` of rank >= 2. Output shape: the first input's
    other axes, then the second's (batch axis left out); ``(batch, 1)`` for two rank-2 inputs.

    Example:
        >>> Dot(axes=1)([torch.ones(2, 3), torch.ones(2, 3)])
        tensor([[3.],
                [3.]])
        >>> Dot(axes=(1, 2)).compute_output_shape([(None, 3, 5), (None, 10, 3)])
        (None, 5, 10)
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(
                    f"{self.describe()}: expected axes to be an int or a pair of ints, received "
                    f"axes={axes!r} ({len(axes)} elements)."
                )
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
                raise ValueError(
                    f"{self.describe()}: expected axes to hold two ints, received axes={axes!r}."
                )
        elif isinstance(axes, bool) or not isinstance(axes, (int, np.integer)):
            raise TypeError(
                f"{self.describe()}: expected axes to be an int or a pair of ints, received "
                f"axes={axes!r}."
            )
        self.axes = (
            type(axes)(int(a) for a in axes) if isinstance(axes, (list, tuple)) else int(axes)
        )
        self.normalize = bool(normalize)

    def _resolved_axes(self, rank1: int, rank2: int) -> tuple[int, int]:
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        resolved = []
        for axis, rank, which in ((pair[0], rank1, "first"), (pair[1], rank2, "second")):
            if not -rank <= axis < rank:
                raise ValueError(
                    f"{self.describe()}: axis {axis} is out of range for the {which} input of "
                    f"rank {rank} (axes={self.axes!r})."
                )
            if axis % rank == 0:
                raise ValueError(
                    f"{self.describe()}: cannot take the dot product over the batch axis "
                    f"(axes={self.axes!r})."
                )
            resolved.append(axis % rank)
        return resolved[0], resolved[1]

    def _check_shapes(self, shapes: list[Shape | None]) -> None:
        shape1, shape2 = shapes
        if shape1 is None or shape2 is None:
            return
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f"{self.describe()}: expected inputs of rank >= 2 (batch axis included), "
                f"received shapes {shape1} and {shape2}."
            )
        if shape1[0] is not None and shape2[0] is not None and shape1[0] != shape2[0]:
            raise ValueError(
                f"{self.describe()} cannot take dot products of tensors with different batch "
                f"sizes, received shapes {shape1} and {shape2}."
            )
        a0, a1 = self._resolved_axes(len(shape1), len(shape2))
        if shape1[a0] is not None and shape2[a1] is not None and shape1[a0] != shape2[a1]:
            raise ValueError(
                f"{self.describe()}: incompatible input shapes {shape1} and {shape2}: size "
                f"{shape1[a0]} at axis {a0} of the first != size {shape2[a1]} at axis {a1} of the "
                f"second (axes={self.axes!r})."
            )

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        shapes = self._check_count(input_shape, "shapes")
        self._check_shapes(shapes)
        shape1, shape2 = list(shapes[0]), list(shapes[1])
        a0, a1 = self._resolved_axes(len(shape1), len(shape2))
        shape1.pop(a0)
        shape2.pop(a1)
        shape2.pop(0)
        output = shape1 + shape2
        if len(output) == 1:
            output.append(1)
        return tuple(output)

    def forward(
        self, inputs: Sequence[torch.Tensor], mask: MaskList = None, training: bool | None = None
    ) -> torch.Tensor:
        tensors, _ = self._inputs_and_masks(inputs, mask)
        x1, x2 = tensors
        self._check_shapes([tuple(x1.shape), tuple(x2.shape)])
        axes = self._resolved_axes(x1.dim(), x2.dim())
        if self.normalize:
            x1 = l2_normalize(x1, axes[0])
            x2 = l2_normalize(x2, axes[1])
        return batch_dot(x1, x2, axes)

    def compute_mask(self, inputs: Any, mask: MaskList = None) -> None:
        return None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


# -- functional forms ----------------------------------------------------------------------------


def add(inputs: Sequence[torch.Tensor], **kwargs: Any) -> torch.Tensor:
    """``Add(**kwargs)(inputs)``: the element-wise sum of a list of tensors.

    Example:
        >>> add([torch.ones(1, 2), torch.ones(1, 2)])
        tensor([[2., 2.]])
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[torch.Tensor], **kwargs: Any) -> torch.Tensor:
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``.

    Example:
        >>> subtract([torch.ones(1, 2), torch.ones(1, 2)])
        tensor([[0., 0.]])
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[torch.Tensor], **kwargs: Any) -> torch.Tensor:
    """``Multiply(**kwargs)(inputs)``: the element-wise product of a list of tensors.

    Example:
        >>> multiply([torch.full((1, 2), 2.0), torch.full((1, 2), 2.0)])
        tensor([[4., 4.]])
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[torch.Tensor], **kwargs: Any) -> torch.Tensor:
    """``Average(**kwargs)(inputs)``: the element-wise mean of a list of tensors.

    Example:
        >>> average([torch.zeros(1, 2), torch.ones(1, 2)])
        tensor([[0.5000, 0.5000]])
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[torch.Tensor], **kwargs: Any) -> torch.Tensor:
    """``Maximum(**kwargs)(inputs)``: the element-wise maximum of a list of tensors.

    Example:
        >>> maximum([torch.zeros(1, 2), torch.ones(1, 2)])
        tensor([[1., 1.]])
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[torch.Tensor], **kwargs: Any) -> torch.Tensor:
    """``Minimum(**kwargs)(inputs)``: the element-wise minimum of a list of tensors.

    Example:
        >>> minimum([torch.zeros(1, 2), torch.ones(1, 2)])
        tensor([[0., 0.]])
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[torch.Tensor], axis: int = -1, **kwargs: Any) -> torch.Tensor:
    """``Concatenate(axis=axis, **kwargs)(inputs)``: join a list of tensors along ``axis``.

    Example:
        >>> concatenate([torch.zeros(1, 2), torch.ones(1, 3)]).shape
        torch.Size([1, 5])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(
    inputs: Sequence[torch.Tensor], axes: int | Sequence[int] = -1, **kwargs: Any
) -> torch.Tensor:
    """``Dot(axes=axes, **kwargs)(inputs)``: per-sample dot products of two tensors
    (``normalize=True`` for cosine similarity).

    Example:
        >>> dot([torch.ones(2, 3), torch.ones(2, 3)], axes=1, normalize=True)
        tensor([[1.0000],
                [1.0000]])
    """
    return Dot(axes=axes, **kwargs)(inputs)
