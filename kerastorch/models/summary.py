"""The Keras-style summary table (``model.summary()``).

Parameters are counted as Keras counts them (one bias per LSTM gate), and split into trainable
and non-trainable per Keras weight: a weight is trainable when it is (or is computed from) a
``Parameter`` that requires gradients. Buffers (``BatchNormalization``'s moving statistics,
``add_weight(..., trainable=False)``) and the weights of frozen layers are non-trainable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from kerastorch.layers.base import Layer, sublayers

if TYPE_CHECKING:
    from kerastorch.models.sequential import Sequential

__all__ = ["count_trainable_split", "format_summary", "own_output_shape"]


def _format_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):  # several outputs (return_state=True, merge_mode=None)
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def _format_bytes(count: int) -> str:
    size = count * 4.0  # float32
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError


def _is_trainable(weight: torch.Tensor) -> bool:
    # A Keras-layout weight is a Parameter, a view of one (Dense's kernel is linear.weight.T),
    # a tensor computed from some (GRU's stacked biases) or a buffer.
    base = weight._base if weight._base is not None else weight
    if isinstance(base, nn.Parameter):
        return base.requires_grad
    return weight.requires_grad


def count_trainable_split(layers: Sequence[Layer]) -> tuple[int, int]:
    """``(trainable, non_trainable)`` parameter counts of built ``layers``, per Keras weight.

    Example:
        >>> from kerastorch.layers import BatchNormalization
        >>> bn = BatchNormalization()
        >>> bn.build_from_shape((None, 3))
        True
        >>> count_trainable_split([bn])  # gamma, beta; moving mean and variance
        (6, 6)
    """
    trainable = non_trainable = 0
    with torch.enable_grad():  # views of parameters only require grad with grad mode on
        for layer in layers:
            if not layer.built:
                continue
            for weight in layer.keras_weights():
                if _is_trainable(weight):
                    trainable += weight.numel()
                else:
                    non_trainable += weight.numel()
    return trainable, non_trainable


def _children(layer: Any) -> list[Layer]:
    """The layers shown under ``layer`` with ``expand_nested``: a nested model's layers, or the
    kerastorch layers inside it (a wrapper's wrapped layer, a custom layer's sublayers)."""
    nested = getattr(layer, "layers", None)
    if isinstance(nested, list):
        return nested
    return sublayers(layer)


def own_output_shape(layer: Layer) -> Any:
    """A nested layer's output shape, from the shape it was built with (None if unknown)."""
    if not layer.built or layer.build_input_shape is None:
        return None
    try:
        return layer.compute_output_shape(layer.build_input_shape)
    except Exception:  # a custom layer that cannot tell: show "?"
        return None


def format_summary(
    model: Sequential,
    line_length: int | None = None,
    show_trainable: bool = False,
    expand_nested: bool = False,
) -> str:
    """The summary table of ``model`` as one string, in Keras's layout.

    A layer that cannot be built before data is seen shows ``0 (unbuilt)``, as in Keras. The
    Trainable column (``show_trainable``) shows ``Y`` / ``N`` for layers with weights and ``-``
    for the others. With ``expand_nested``, the layers inside each layer are listed under it,
    indented with ``└``, as Keras lists a nested model's layers; kerastorch also expands
    wrappers (``Bidirectional``'s forward and backward layers, ``TimeDistributed``'s layer) and
    custom layers made of sublayers, which Keras shows as one row.

    Args:
        model: A built model, or one whose input shape is known.
        line_length: Total width of the table (the first column takes the rest).
        show_trainable: Add a Trainable column.
        expand_nested: List the layers inside each layer under it.

    Returns:
        The table and the parameter totals, lines joined with ``\\n``.

    Example:
        >>> from kerastorch import Input, Sequential
        >>> from kerastorch.layers import Dense
        >>> print(format_summary(Sequential([Input((3,)), Dense(2)])).splitlines()[-2])
         Trainable params: 8 (32.00 B)
    """
    if not model.layers:
        raise ValueError(f"Model '{model.name}' has no layers to summarize.")
    if getattr(model, "input_batch_shape", None) is None and not model.built:
        raise ValueError(
            f"Model '{model.name}' has not been built yet, so its output shapes are unknown. "
            "Give it an input shape (Input(shape=...) first, or model.build((None, timesteps, "
            "features))) or call it on a batch of data first."
        )
    rows: list[list[str]] = []
    operations = getattr(model, "operations", None)
    connected = operations is not None and not _sequential_like(model)

    def add_rows(layer: Any, shape: Any, level: int, connections: str | None = None) -> None:
        prefix = "   " * level + "└ " if level else ""
        if not isinstance(layer, nn.Module):  # an op between layers (x[:, -1], ops.mean)
            params = "0"
        else:
            params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{prefix}{layer.name} ({_class_name(layer)})", _format_shape(shape), params]
        if connected:
            row.append(connections or "")
        if show_trainable:
            has_weights = (
                isinstance(layer, nn.Module) and layer.built and bool(layer.keras_weights())
            )
            row.append(("Y" if layer.trainable else "N") if has_weights else "-")
        rows.append(row)
        if expand_nested and isinstance(layer, nn.Module):
            for child in _children(layer):
                add_rows(child, own_output_shape(child), level + 1, "" if connected else None)

    if operations is not None:
        for operation in operations:
            node = _node_in(model, operation)
            shapes = [x.shape for x in node.outputs]
            shape = shapes[0] if len(shapes) == 1 else shapes
            add_rows(operation, shape, 0, _connections(node))
    else:
        for layer, shape in zip(model.layers, model.output_shapes(), strict=True):
            add_rows(layer, shape, 0)

    headers = ["Layer (type)", "Output Shape", "Param #"]
    headers += ["Connected to"] if connected else []
    headers += ["Trainable"] if show_trainable else []
    widths = [max(31, *(len(r[0]) for r in rows)), max(22, *(len(r[1]) for r in rows)), 13]
    if connected:
        widths.append(max(15, *(len(r[3]) for r in rows)))
    if show_trainable:
        widths.append(9)
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - 3 * len(widths) - 1)

    def line(left: str, mid: str, right: str, fill: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values: list[str], sep: str) -> str:
        aligns = ["<", "<", ">"] + (["<"] if connected else []) + (["^"] if show_trainable else [])
        parts = [
            f" {value:{align}{width}} "
            for value, align, width in zip(values, aligns, widths, strict=True)
        ]
        return sep + sep.join(parts) + sep

    out = [
        f'Model: "{model.name}"',
        line("┏", "┳", "┓", "━"),
        cells(headers, "┃"),
        line("┡", "╇", "┩", "━"),
    ]
    for i, row in enumerate(rows):
        out.append(cells(row, "│"))
        if i < len(rows) - 1:
            out.append(line("├", "┼", "┤", "─"))
    out.append(line("└", "┴", "┘", "─"))
    trainable, non_trainable = count_trainable_split(
        [layer for layer in model.layers if isinstance(layer, nn.Module)]
    )
    total = trainable + non_trainable
    out.append(f" Total params: {total:,} ({_format_bytes(total)})")
    out.append(f" Trainable params: {trainable:,} ({_format_bytes(trainable)})")
    out.append(f" Non-trainable params: {non_trainable:,} ({_format_bytes(non_trainable)})")
    return "\n".join(out)


def _class_name(operation: Any) -> str:
    """``Dense`` for a layer; for an op, its name in CamelCase, as Keras names op classes."""
    if isinstance(operation, nn.Module):
        return type(operation).__name__
    return "".join(part.capitalize() for part in operation.name.rstrip("_0123456789").split("_"))


def _node_in(model: Any, operation: Any) -> Any:
    """The node of ``operation`` that belongs to ``model``'s graph (a shared layer has several)."""
    nodes = operation.__dict__.get("_inbound_nodes", [])
    in_model = [node for node in nodes if node in model._nodes or node.is_input]
    return in_model[0] if in_model else nodes[0]


def _connections(node: Any) -> str:
    """Keras's "Connected to": ``lstm[0][0], dense[0][0]`` (layer, node index, output index)."""
    parts = [
        f"{t._keras_history.operation.name}[{t._keras_history.node_index}]"
        f"[{t._keras_history.tensor_index}]"
        for t in node.input_tensors
        if t._keras_history is not None
    ]
    return ", ".join(parts) or "-"


def _sequential_like(model: Any) -> bool:
    """Keras's rule for leaving out the "Connected to" column: one input, and a chain in which
    each node reads the previous node's output only, each operation called once."""
    if len(model.inputs) != 1:
        return False
    previous = {id(model.inputs[0])}
    operations: set[int] = set()
    for node in model._nodes:
        if len(node.input_tensors) != 1 or id(node.input_tensors[0]) not in previous:
            return False
        if id(node.operation) in operations:
            return False
        operations.add(id(node.operation))
        previous = {id(x) for x in node.outputs}
    return True
