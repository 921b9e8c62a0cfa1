"""The Keras-style summary table."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kerastorch.models.sequential import Sequential


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
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


def format_summary(
    model: Sequential, line_length: int | None = None, show_trainable: bool = False
) -> str:
    """The summary table of ``model`` as one string, in Keras's layout.

    Parameters are counted as Keras counts them (one bias per LSTM gate). A layer that cannot be
    built before data is seen shows ``0 (unbuilt)``, as in Keras.
    """
    if not model.layers:
        raise ValueError(f"Model '{model.name}' has no layers to summarize.")
    if model.input_batch_shape is None and not model.built:
        raise ValueError(
            f"Model '{model.name}' has not been built yet, so its output shapes are unknown. "
            "Give it an input shape (Input(shape=...) first, or model.build((None, timesteps, "
            "features))) or call it on a batch of data first."
        )
    rows = []
    trainable = non_trainable = 0
    for layer, shape in zip(model.layers, model.output_shapes(), strict=True):
        if layer.built:
            count = layer.count_params()
            if layer.trainable:
                trainable += count
            else:
                non_trainable += count
            params = f"{count:,}"
        else:
            params = "0 (unbuilt)"
        row = [f"{layer.name} ({type(layer).__name__})", _format_shape(shape), params]
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)

    headers = ["Layer (type)", "Output Shape", "Param #"] + (
        ["Trainable"] if show_trainable else []
    )
    widths = [max(31, *(len(r[0]) for r in rows)), max(22, *(len(r[1]) for r in rows)), 13, 9]
    widths = widths[: len(headers)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - 3 * len(widths) - 1)

    def line(left: str, mid: str, right: str, fill: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values: list[str], sep: str) -> str:
        parts = [
            f" {values[0]:<{widths[0]}} ",
            f" {values[1]:<{widths[1]}} ",
            f" {values[2]:>{widths[2]}} ",
        ]
        if show_trainable:
            parts.append(f" {values[3]:^{widths[3]}} ")
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
    total = trainable + non_trainable
    out.append(f" Total params: {total:,} ({_format_bytes(total)})")
    out.append(f" Trainable params: {trainable:,} ({_format_bytes(trainable)})")
    out.append(f" Non-trainable params: {non_trainable:,} ({_format_bytes(non_trainable)})")
    return "\n".join(out)
