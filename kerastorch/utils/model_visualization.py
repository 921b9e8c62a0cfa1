"""Drawing a model's graph, as Keras's ``plot_model`` / ``model_to_dot`` (pydot and graphviz:
optional dependencies, ``pip install 'kerastorch-lib[plot]'`` and graphviz from the system's package
manager).

NOTE [model plots]
    The picture is Keras's: one node per layer, labelled with an HTML table (``<b>name</b>
    (Class)`` or ``<b>Class</b>``, then ``Input shape: <b>(None, 12, 1)</b>`` / ``Output shape``
    cells, dtype, activation, trainable), edges in the order the data flows, nested models as
    dashed clusters with ``expand_nested``. A Sequential model draws its layers in a chain (no
    input node, as Keras 3); a functional model draws its graph, input layers included. Only the
    model's public structure is read (``layers``, ``output_shapes()``, the functional graph's
    nodes), so this module imports no model class.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

__all__ = ["check_graphviz", "check_pydot", "model_to_dot", "plot_model"]

_INSTALL_PYDOT = "You must install pydot (`pip install pydot`) for `plot_model` to work."
_INSTALL_GRAPHVIZ = (
    "You must install graphviz (see instructions at https://graphviz.gitlab.io/download/; "
    "e.g. `apt-get install graphviz`) for `plot_model` to work."
)


def _pydot() -> Any:
    try:
        import pydot
    except ImportError:
        return None
    return pydot


def check_pydot() -> bool:
    """Whether pydot can be imported."""
    return _pydot() is not None


def check_graphviz() -> bool:
    """Whether graphviz's ``dot`` program runs (pydot calls it to render)."""
    pydot = _pydot()
    if pydot is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException):
        return False
    return True


# -- the graph of a model -----------------------------------------------------------------------


def _is_functional(model: Any) -> bool:
    return hasattr(model, "_nodes") and hasattr(model, "inputs")


def _is_model(layer: Any) -> bool:
    return hasattr(layer, "layers") and hasattr(layer, "output_shapes")


def _entries(model: Any) -> tuple[list[tuple[Any, Any, Any, Any]], list[tuple[Any, Any]]]:
    """``([(layer, input shape, output shape, output dtype)], [(source, destination)])``."""
    if _is_functional(model):
        entries, edges = [], []
        for operation in model.operations:  # Keras's order: input layers first
            nodes = [n for n in operation._inbound_nodes if n in model._nodes or n.is_input]
            node = nodes[0] if nodes else operation._inbound_nodes[0]
            inputs = [t.shape for t in node.input_tensors]
            outputs = [t.shape for t in node.outputs]
            dtypes = [t.dtype for t in node.outputs]
            entries.append(
                (operation, _single(inputs) if inputs else None, _single(outputs), _single(dtypes))
            )
            for node in nodes:
                for tensor in node.input_tensors:
                    history = tensor._keras_history
                    if history is not None and (history.operation, operation) not in edges:
                        edges.append((history.operation, operation))
        return entries, edges
    layers = list(model.layers)
    outputs = list(model.output_shapes())
    inputs = [getattr(model, "input_batch_shape", None), *outputs[:-1]]
    dtype, dtypes = getattr(model, "input_dtype", "float32"), []
    for layer in layers:
        compute = getattr(layer, "compute_output_dtype", None)
        dtype = compute(dtype) if compute is not None else dtype
        dtypes.append(dtype)
    entries = list(zip(layers, inputs, outputs, dtypes, strict=True))
    return entries, list(itertools.pairwise(layers))


def _single(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _first_layer(model: Any) -> Any:
    entries, _ = _entries(model)
    layer = entries[0][0]
    return _first_layer(layer) if _is_model(layer) else layer


def _last_layer(model: Any) -> Any:
    functional = _is_functional(model)
    layer = model.outputs[0]._keras_history.operation if functional else model.layers[-1]
    return _last_layer(layer) if _is_model(layer) else layer


# -- labels -------------------------------------------------------------------------------------


def _format_shape(shape: Any) -> str:
    return "?" if shape is None else str(shape).replace("{", "").replace("}", "")


def _activation_name(layer: Any) -> str | None:
    try:
        activation = layer.get_config().get("activation")
    except (AttributeError, NotImplementedError, TypeError):
        return None
    if activation is None or isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", str(activation))


def _label(
    layer: Any,
    input_shape: Any,
    output_shape: Any,
    dtype: Any,
    *,
    show_shapes: bool,
    show_dtype: bool,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_trainable: bool,
) -> str:
    """Keras's HTML-like table label of a layer's node (NOTE [model plots])."""
    class_name = type(layer).__name__
    colspan = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    table += (
        f'<tr><td colspan="{colspan}" bgcolor="black">'
        f'<font point-size="16" color="white">{title}</font></td></tr>'
    )
    activation = _activation_name(layer) if show_layer_activations else None
    if activation is not None:
        table += (
            f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
            f"Activation: <b>{activation}</b></font></td></tr>"
        )
    cells = []
    if show_shapes:
        if class_name != "InputLayer":
            cells.append(
                '<td bgcolor="white"><font point-size="14">'
                f"Input shape: <b>{_format_shape(input_shape)}</b></font></td>"
            )
        cells.append(
            '<td bgcolor="white"><font point-size="14">'
            f"Output shape: <b>{_format_shape(output_shape)}</b></font></td>"
        )
    if show_dtype:
        cells.append(
            '<td bgcolor="white"><font point-size="14">'
            f"Output dtype: <b>{dtype or '?'}</b></font></td>"
        )
    if show_trainable and getattr(layer, "weights", None):
        if layer.trainable:
            cells.append(
                '<td bgcolor="forestgreen"><font point-size="14" color="white">'
                "<b>Trainable</b></font></td>"
            )
        else:
            cells.append(
                '<td bgcolor="firebrick"><font point-size="14" color="white">'
                "<b>Non-trainable</b></font></td>"
            )
    if cells:
        table += f"<tr>{''.join(cells)}</tr>"
    return table + "</table>>"


def _check_built(model: Any, where: str) -> None:
    if not getattr(model, "built", True) or not getattr(model, "layers", None):
        raise ValueError(
            f"{where}: this model has not yet been built (or has no layers). Build the model "
            "first by giving it an Input, calling build(), or calling it on a batch of data."
        )


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """The model's graph as a ``pydot.Dot`` (a ``pydot.Cluster`` with ``subgraph=True``), as
    Keras's ``model_to_dot`` (NOTE [model plots]). Arguments as :func:`plot_model`.

    Example:
        >>> import kerastorch as keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="out")])
        >>> dot = model_to_dot(model, show_shapes=True)  # doctest: +SKIP
        >>> "Output shape: <b>(None, 2)</b>" in dot.to_string()  # doctest: +SKIP
        True
    """
    _check_built(model, "model_to_dot")
    pydot = _pydot()
    if pydot is None:
        raise ImportError(_INSTALL_PYDOT.replace("plot_model", "model_to_dot"))
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("model_to_dot: the argument layer_range is no longer supported (Keras 3).")
    if kwargs:
        raise ValueError(f"model_to_dot: unrecognized keyword arguments: {sorted(kwargs)}.")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(
            f"model_to_dot: expected rankdir 'TB' (top to bottom) or 'LR' (left to right) (or "
            f"'BT', 'RL'), received rankdir={rankdir!r}."
        )
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    entries, edges = _entries(model)
    for layer, input_shape, output_shape, dtype in entries:
        if expand_nested and _is_model(layer):
            dot.add_subgraph(
                model_to_dot(layer, expand_nested=True, subgraph=True, dpi=dpi, **options)
            )
            continue
        node = pydot.Node(
            str(id(layer)), label=_label(layer, input_shape, output_shape, dtype, **options)
        )
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)
    for source, destination in edges:
        if expand_nested:
            source = _last_layer(source) if _is_model(source) else source
            destination = _first_layer(destination) if _is_model(destination) else destination
        _add_edge(pydot, dot, source, destination)
    return dot


def _add_edge(pydot: Any, dot: Any, source: Any, destination: Any) -> None:
    source_id, destination_id = str(id(source)), str(id(destination))
    if not dot.get_edge(source_id, destination_id):
        edge = pydot.Edge(source_id, destination_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def plot_model(
    model: Any,
    to_file: str | os.PathLike[str] = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """Draw a Sequential or functional model's graph into an image file, as Keras's
    ``plot_model`` (NOTE [model plots]).

    Needs pydot (``pip install pydot``, or ``pip install 'kerastorch-lib[plot]'``) and graphviz's
    ``dot`` program (``apt-get install graphviz``, ``brew install graphviz``...); without them it
    raises ``ImportError`` with the install line, as Keras does, so ``try: plot_model(...)
    except ImportError: ...`` works.

    Args:
        model: A built Sequential or functional model.
        to_file: The image file; its suffix picks the format (``.png``, ``.svg``, ``.pdf``,
            ``.dot``...; ``png`` without one).
        show_shapes: Show each layer's input and output shapes.
        show_dtype: Show each layer's output dtype.
        show_layer_names: Show the layer names besides their classes.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: Draw nested models' layers in dashed clusters.
        dpi: The image's resolution.
        show_layer_activations: Show the activation of layers that have one.
        show_trainable: Mark layers with weights as trainable or not.
        splines: How graphviz draws edges (``"ortho"``, ``"curved"``, ``"polyline"``...).

    Returns:
        An ``IPython.display.Image`` of the file when IPython is installed and the format is not
        PDF (so a notebook shows it), else None.

    Raises:
        ImportError: pydot or graphviz is missing.
        ValueError: the model is not built.

    Example:
        >>> import kerastorch as keras
        >>> model = keras.Sequential([keras.Input((12, 1)), keras.layers.Conv1D(4, 3)])
        >>> plot_model(model, "model.svg", show_shapes=True)  # doctest: +SKIP
    """
    _check_built(model, "plot_model")
    if not check_pydot():
        raise ImportError(_INSTALL_PYDOT)
    if not check_graphviz():
        raise ImportError(_INSTALL_GRAPHVIZ)
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
        **kwargs,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    folder = os.path.dirname(to_file)
    if folder:
        os.makedirs(folder, exist_ok=True)
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
