"""Leaving kerastorch: a built model as a plain PyTorch program or an ONNX file.

A built kerastorch model is an ordinary ``nn.Module``, so ``torch.export.export``,
``torch.jit.trace`` and ``torch.onnx.export`` work on it directly. These helpers only do the parts
that are easy to get wrong by hand (see NOTE [export paths]); ``docs/guides/export.md`` shows
every way out, including loading the weights into a hand-written module.

NOTE [export paths]
    What each PyTorch exit does with a recurrent model, measured on torch 2.13 (CPU):

    * ``torch.export.export``: ``nn.LSTM`` / ``nn.GRU`` are decomposed into a Python loop over
      the timesteps, so the time axis is specialized to the example's length. torch ships a
      ``while_loop`` decomposition that keeps it dynamic (``torch.export._patches``);
      :func:`export_program` enters it when an axis after the batch is dynamic. ``nn.RNN``
      (``SimpleRNN``) has none, and layers that run step by step (NOTE [recurrent execution
      paths]: other activations, ``recurrent_dropout``) are loops in kerastorch's own code: those
      export at a fixed length only.
    * ``torch.onnx.export`` (the dynamo exporter, torch's default since 2.9) turns ``nn.LSTM``
      into ONNX's ``LSTM`` op and keeps the time axis dynamic when asked. It needs ``onnxscript``.
      torch 2.13 caches the LSTM decomposition of a previous export in the same process (the
      ``_dispatch_cache`` of ``aten.lstm.input``), after which a dynamic export silently falls
      back to a graph fixed at the example's length; the helpers clear that cache around
      every export and check the result at a second length.
    * ``torch.onnx.export(..., dynamo=False)`` (the TorchScript exporter, deprecated by torch)
      and ``torch.jit.trace`` (deprecated by torch) keep ``aten::lstm`` / ``aten::rnn_tanh``
      whole, so any length runs, but a step-by-step layer is unrolled at the example's length
      without an error. Only an output check at another length reveals it.

    Masks are not part of an exported forward: the graph takes ``inputs`` only. A ``Masking``
    layer or ``Embedding(mask_zero=True)`` derives a mask from the data, and kerastorch's masked
    path depends on the data's lengths, which an exported graph cannot follow: the helpers refuse
    such models with a message that says what to do instead.

Example:
    >>> import torch
    >>> import kerastorch as keras
    >>> from kerastorch.layers import LSTM, Dense
    >>> model = keras.Sequential([keras.Input((None, 5)), LSTM(4), Dense(1)])
    >>> program = export_program(model)  # dynamic batch and time axes
    >>> program.module()(torch.randn(3, 11, 5)).shape
    torch.Size([3, 1])
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from kerastorch.layers import Embedding, Masking
from kerastorch.layers.recurrent import RecurrentLayer
from kerastorch.symbolic import flatten
from kerastorch.utils.modes import eval_mode

__all__ = ["ExportCheckError", "example_input", "export_program", "to_onnx"]

# Sizes of the example built for axes the model leaves open (torch.export specializes sizes 0
# and 1, so an example must be at least 2 on every dynamic axis), and of the check input: other
# sizes than the example's, so a graph fixed at the example's sizes cannot pass the check.
_EXAMPLE_BATCH, _EXAMPLE_SIZE = 2, 8
_CHECK_BATCH, _CHECK_SIZE = 3, 13
_CHECK_RTOL, _CHECK_ATOL = 1e-4, 1e-5

# ONNX files above this size must keep their weights in a separate ``.data`` file (protobuf's
# 2 GB limit); below it, one self-contained file.
_ONNX_SINGLE_FILE_LIMIT = 1_500_000_000

# Warnings torch raises from its own internals while exporting any nn.LSTM / nn.GRU; they say
# nothing about the user's model.
_TORCH_NOISE = (
    (UserWarning, r"The tensor attributes .*_flat_weights"),
    (UserWarning, r"The \.grad attribute of a Tensor that is not a leaf Tensor"),
    (FutureWarning, r"_check_is_size will be removed"),
    (FutureWarning, r"`isinstance\(treespec, LeafSpec\)` is deprecated"),
    # Several inputs share the batch Dim on purpose; the ONNX exporter notes it.
    (UserWarning, r"(# )?The axis name: .* will not be used, since it shares the same shape"),
)


class ExportCheckError(ValueError):
    """The exported program disagrees with the model (see NOTE [export paths])."""


# -- inputs and dynamic axes ---------------------------------------------------------------------


def _input_batch_shape(model: nn.Module) -> tuple[int | None, ...] | None:
    shape = getattr(model, "input_batch_shape", None)
    if shape is None:
        shape = getattr(model, "input_shape", None)
    return None if shape is None else tuple(shape)


def _input_shapes(model: nn.Module) -> list[tuple[int | None, ...]] | None:
    """The declared shape of each input: one for most models, one per ``Input`` for a
    functional model of several inputs."""
    inputs = getattr(model, "inputs", None)
    if isinstance(inputs, list) and len(inputs) > 1 and all(hasattr(x, "shape") for x in inputs):
        return [tuple(x.shape) for x in inputs]
    shape = _input_batch_shape(model)
    return None if shape is None else [shape]


def _input_names(model: nn.Module, count: int) -> list[str]:
    """The ONNX graph's input names: ``inputs``, or the model's input names for several."""
    return ["inputs"] if count == 1 else list(model.input_names)  # type: ignore[attr-defined]


def _pack(tensors: list[torch.Tensor]) -> Any:
    """What the model's forward takes: the tensor, or the list of tensors."""
    return tensors[0] if len(tensors) == 1 else list(tensors)


def _first_layer(model: nn.Module) -> nn.Module | None:
    layers = getattr(model, "layers", None)
    return layers[0] if layers else None


def _random_input(
    model: nn.Module, shape: tuple[int, ...], generator: torch.Generator, dtype: Any = None
) -> torch.Tensor:
    """Random data of ``shape``: token ids when the model starts with an ``Embedding`` (or the
    input is of integers)."""
    first = _first_layer(model)
    embeddings = [m for m in model.modules() if isinstance(m, Embedding)]
    integer = dtype is not None and not dtype.is_floating_point
    if isinstance(first, Embedding) or (integer and embeddings):
        # Ids from 1: id 0 is padding for Embedding(mask_zero=True).
        high = max(min(int(e.input_dim) for e in embeddings), 2)
        return torch.randint(1, high, shape, generator=generator)
    return torch.randn(shape, generator=generator)


def _input_dtypes(model: nn.Module, count: int) -> list[Any]:
    inputs = getattr(model, "inputs", None)
    if isinstance(inputs, list) and len(inputs) == count:
        return [getattr(x, "torch_dtype", None) if x.dtype != "string" else None for x in inputs]
    return [None] * count


def example_input(
    model: nn.Module, batch_size: int = _EXAMPLE_BATCH, length: int = _EXAMPLE_SIZE
) -> Any:
    """A random input for ``model``: its declared input shape, with ``batch_size`` samples and
    ``length`` on every axis the model leaves open (``Input((None, 5))``); a list of such
    tensors for a functional model of several inputs.

    Token ids in ``[1, input_dim)`` when the model starts with an ``Embedding``, standard normal
    values otherwise. The global random state is not touched.

    Example:
        >>> import kerastorch as keras
        >>> from kerastorch.layers import LSTM
        >>> example_input(keras.Sequential([keras.Input((None, 5)), LSTM(3)])).shape
        torch.Size([2, 8, 5])
    """
    shapes = _input_shapes(model)
    if shapes is None:
        raise ValueError(
            f"{_describe(model)} has no input shape, so an example input cannot be made. Build "
            "it first (start with Input(shape=...), or model.build((None, timesteps, "
            "features))), or pass example=."
        )
    generator = torch.Generator().manual_seed(0)
    tensors = [
        _random_input(
            model, (batch_size, *(length if d is None else d for d in shape[1:])), generator, dtype
        )
        for shape, dtype in zip(shapes, _input_dtypes(model, len(shapes)), strict=True)
    ]
    return _pack(tensors)


def _describe(model: nn.Module) -> str:
    name = getattr(model, "name", None)
    return f"{type(model).__name__} '{name}'" if name else type(model).__name__


def _dynamic_axes(
    model: nn.Module,
    examples: list[torch.Tensor],
    dynamic_length: bool | None,
    dynamic_batch: bool,
) -> list[dict[int, str]]:
    """For each input, axis -> name of every dynamic axis: the batch (``batch``, shared by all
    inputs), then the time axis (1) and any other axis the model declares as ``None``, unless
    ``dynamic_length`` says otherwise. With several inputs, the names start with the input's
    name (``encoder_inputs_time``): each input's length is its own."""
    shapes = _input_shapes(model) or [(None, *x.shape[1:]) for x in examples]
    names = _input_names(model, len(examples)) if len(examples) > 1 else [""]
    result = []
    for example, declared, input_name in zip(examples, shapes, names, strict=True):
        axes: dict[int, str] = {}
        if dynamic_batch:
            axes[0] = "batch"
        if dynamic_length is None:
            open_axes = [i for i, d in enumerate(declared) if i > 0 and d is None]
        elif dynamic_length:
            if example.dim() < 2:
                raise ValueError(
                    f"dynamic_length=True needs inputs with a time axis (batch, timesteps, ...), "
                    f"received an example of shape {tuple(example.shape)}."
                )
            open_axes = [1]
        else:
            open_axes = []
        prefix = f"{input_name}_" if input_name else ""
        for axis in open_axes:
            axes[axis] = prefix + ("time" if axis == 1 else f"axis{axis}")
        for axis, name in axes.items():
            if example.shape[axis] < 2:
                raise ValueError(
                    f"The example's {name} axis (axis {axis}) has size {example.shape[axis]}, "
                    "but torch.export specializes sizes 0 and 1, so that axis could not stay "
                    f"dynamic. Give an example with at least 2 there (example shape "
                    f"{tuple(example.shape)})."
                )
        result.append(axes)
    return result


def _check_input(
    model: nn.Module, examples: list[torch.Tensor], axes: list[dict[int, str]]
) -> list[torch.Tensor]:
    """Inputs of other sizes than the examples' on every dynamic axis."""
    generator = torch.Generator().manual_seed(1)
    out = []
    for example, input_axes in zip(examples, axes, strict=True):
        shape = list(example.shape)
        for axis in input_axes:
            shape[axis] = _CHECK_BATCH if axis == 0 else _CHECK_SIZE
            if shape[axis] == example.shape[axis]:
                shape[axis] += 1
        dtype = None if example.is_floating_point() else example.dtype
        data = _random_input(model, tuple(shape), generator, dtype)
        out.append(data.to(example.dtype) if example.is_floating_point() else data)
    return out


# -- what an exported forward cannot hold --------------------------------------------------------


def _check_exportable(model: nn.Module, examples: list[torch.Tensor]) -> None:
    """Refuse stateful layers and layers that derive a mask from the data (NOTE [export
    paths]) before torch fails on them with an opaque message."""
    if not getattr(model, "built", True):
        raise ValueError(
            f"{_describe(model)} is not built yet, so it has no weights to export. Give it an "
            "input shape (Input(shape=...) first, or model.build((None, timesteps, features))) "
            "or call it on a batch of data first."
        )
    for module in model.modules():
        if getattr(module, "stateful", False) is True:
            raise ValueError(
                f"{_layer_name(module)} is stateful: it carries its states from one call to the "
                "next, which an exported forward does not. Export a twin without "
                "stateful=True (same weights: twin.set_weights(model.get_weights())) and pass "
                "the states yourself, or keep running the model in PyTorch."
            )
    layers = getattr(model, "layers", None)
    if not layers or not all(hasattr(layer, "compute_mask") for layer in layers):
        return
    if hasattr(model, "_plan"):  # a functional model: which layers make a mask from the data
        for module in model.modules():
            if isinstance(module, Masking) or getattr(module, "mask_zero", False) is True:
                raise ValueError(_mask_maker_message(module))
        return
    # Sequential.forward's own chain: each layer's mask goes to the next one.
    x, mask = examples[0], None
    with torch.no_grad():
        for layer in layers:
            outputs = layer(x, mask=mask)
            new_mask = layer.compute_mask(x, mask)
            if new_mask is not None and mask is None:
                raise ValueError(_mask_maker_message(layer))
            x, mask = outputs, new_mask


def _mask_maker_message(layer: nn.Module) -> str:
    return (
        f"{_layer_name(layer)} derives a mask from the data, but masks are not part of an "
        "exported forward (it takes the inputs only), and the masked path depends on each "
        "sequence's length. Export a twin without it that shares the weights (when it is the "
        "first layer: Sequential([Input((None, features)), *model.layers[1:]])), then feed each "
        "sequence unpadded at its own length (a dynamic time axis gives what the mask gives), or "
        "padded to a fixed length if the padding should count."
    )


def _layer_name(module: nn.Module) -> str:
    describe = getattr(module, "describe", None)
    return describe() if callable(describe) else type(module).__name__


def _loop_layers(model: nn.Module) -> list[str]:
    """Layers whose computation is a Python loop over timesteps, or whose torch module has no
    dynamic-length decomposition in torch.export (NOTE [export paths])."""
    found = []
    for module in model.modules():
        if not isinstance(module, RecurrentLayer):
            continue
        if not module.fused:
            found.append(
                f"{module.describe()} runs step by step (its activations or "
                "recurrent_dropout need kerastorch's step loop)"
            )
        elif isinstance(module.module, nn.RNN):
            found.append(
                f"{module.describe()} runs on nn.RNN, which torch.export only unrolls at a fixed "
                "length (the TorchScript ONNX exporter keeps it dynamic: "
                "to_onnx(..., exporter='torchscript'))"
            )
    return found


# -- torch's quirks ------------------------------------------------------------------------------


def _clear_rnn_dispatch_caches() -> None:
    """NOTE [export paths]: forget a decomposition a previous export cached for the fused RNN
    ops, so the one registered for this export is used."""
    for name in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
        packet = getattr(torch.ops.aten, name, None)
        for overload in ("input", "data"):
            op = getattr(packet, overload, None) if packet is not None else None
            cache = getattr(op, "_dispatch_cache", None)
            if isinstance(cache, dict):
                cache.clear()


@contextlib.contextmanager
def _export_context(dynamic_time: bool) -> Iterator[None]:
    """Inference mode for the model is set by the caller; here: torch's noise filtered, RNN
    dispatch caches cleared, and the while-loop RNN decompositions for a dynamic time axis."""
    with warnings.catch_warnings():
        for category, message in _TORCH_NOISE:
            warnings.filterwarnings("ignore", message=message, category=category)
        _clear_rnn_dispatch_caches()
        try:
            with contextlib.ExitStack() as stack:
                if dynamic_time:
                    try:
                        from torch.export._patches import (
                            register_gru_while_loop_decomposition,
                            register_lstm_while_loop_decomposition,
                        )
                    except ImportError:  # older torch: the time axis gets specialized
                        pass
                    else:
                        stack.enter_context(register_lstm_while_loop_decomposition())
                        stack.enter_context(register_gru_while_loop_decomposition())
                yield
        finally:
            _clear_rnn_dispatch_caches()


@contextlib.contextmanager
def _tracer_quiet() -> Iterator[None]:
    """The TorchScript exporter's tracer warns about every shape check it turns into a constant
    and about LSTMs exported with a batch of more than one; the output check at other sizes is
    what tells whether the graph generalizes, so those warnings are noise here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=r"Exporting a model to ONNX with a batch_size")
        yield


def _prepare(
    model: nn.Module,
    example: Any,
    dynamic_length: bool | None,
    dynamic_batch: bool,
) -> tuple[list[torch.Tensor], list[dict[int, str]]]:
    """The example as a list of tensors (one per model input) and each one's dynamic axes."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"Expected a kerastorch model, received {type(model).__name__}.")
    if example is None:
        example = example_input(model)
    given = list(example) if isinstance(example, (list, tuple)) else [example]
    examples = []
    for item in given:
        if not torch.is_tensor(item):
            item = torch.as_tensor(item)
            if item.is_floating_point():
                item = item.float()
        examples.append(item)
    expected = len(_input_shapes(model) or given)
    if len(examples) != expected:
        raise ValueError(
            f"{_describe(model)} takes {expected} inputs, but the example has {len(examples)}: "
            "pass example=[tensor, ...] with one tensor per model input, in model.inputs order."
        )
    _check_exportable(model, examples)
    axes = _dynamic_axes(model, examples, dynamic_length, dynamic_batch)
    return examples, axes


def _dims(axes: list[dict[int, str]]) -> Any:
    """``dynamic_shapes`` for ``(inputs,)``: one ``Dim`` per axis name (``batch`` is one Dim
    for all inputs), or None when nothing is dynamic."""
    if not any(axes):
        return None
    if len(axes) > 1:
        # Several inputs: their sizes may be tied (Add needs equal lengths, a shared batch);
        # Dim.DYNAMIC lets torch.export find those relations instead of failing on them, and
        # the check at other sizes still catches an axis fixed at the example's size.
        return (
            [dict.fromkeys(input_axes, torch.export.Dim.DYNAMIC) or None for input_axes in axes],
        )
    dims: dict[str, Any] = {}
    per_input = [
        {axis: dims.setdefault(name, torch.export.Dim(name)) for axis, name in input_axes.items()}
        or None
        for input_axes in axes
    ]
    return (_pack(per_input),)


def _any_time_axis(axes: list[dict[int, str]]) -> bool:
    return any(axis > 0 for input_axes in axes for axis in input_axes)


def _specialized_error(
    model: nn.Module, axes: list[dict[int, str]], cause: str
) -> ExportCheckError:
    culprits = _loop_layers(model) if _any_time_axis(axes) else []
    why = (
        " " + "; ".join(culprits) + "."
        if culprits
        else " A layer of the model computes something fixed at the example's sizes."
    )
    return ExportCheckError(
        f"{_describe(model)} could not be exported with dynamic axes "
        f"{axes[0] if len(axes) == 1 else axes}: {cause}."
        f"{why} Export at a fixed length instead (dynamic_length=False, with an example of the "
        "length you will feed, padding shorter sequences), or keep running the model in PyTorch."
    )


def _compare(
    model: nn.Module,
    run: Any,
    data: list[torch.Tensor],
    axes: list[dict[int, str]],
    what: str,
) -> None:
    """Run ``run`` and the model on ``data``; raise when they disagree. ``axes`` are the dynamic
    axes ``data`` exercises (empty: ``data`` is the example itself)."""
    with torch.no_grad():
        expected = flatten(model(_pack(data)))
    shape = tuple(data[0].shape) if len(data) == 1 else [tuple(x.shape) for x in data]
    try:
        actual = [torch.as_tensor(x) for x in flatten(run(_pack(data)))]
    except Exception as error:
        first_line = next(iter(str(error).splitlines()), "")
        cause = f"the {what} fails on an input of shape {shape} ({type(error).__name__}: "
        cause += f"{first_line})"
        if not any(axes):
            raise ExportCheckError(f"{_describe(model)}: {cause}.") from error
        raise _specialized_error(model, axes, cause) from error
    problems = []
    if len(actual) != len(expected):
        problems.append(f"{len(actual)} outputs instead of {len(expected)}")
    for index, (got, want) in enumerate(zip(actual, expected, strict=False)):
        label = f"output {index}: " if len(expected) > 1 else ""
        if got.shape != want.shape:
            problems.append(
                f"{label}output shape {tuple(got.shape)} instead of {tuple(want.shape)}"
            )
        elif not torch.allclose(got.float(), want.float(), rtol=_CHECK_RTOL, atol=_CHECK_ATOL):
            gap = (got.float() - want.float()).abs().max().item()
            problems.append(f"{label}max abs difference {gap:.3g}")
    if not problems:
        return
    cause = f"the {what} disagrees with the model on an input of shape {shape} ("
    cause += "; ".join(problems) + ")"
    if not any(axes):
        raise ExportCheckError(f"{_describe(model)}: {cause}.")
    raise _specialized_error(model, axes, cause)


def _is_data_dependent(error: BaseException) -> bool:
    while error is not None:
        if "data-dependent" in str(error) or type(error).__name__.startswith("GuardOnData"):
            return True
        error = error.__cause__
    return False


def _data_dependent_error(model: nn.Module, error: BaseException) -> ExportCheckError:
    """torch.export met a Python decision on a value computed from the data."""
    embeddings = [m.describe() for m in model.modules() if isinstance(m, Embedding)]
    culprit = (
        f" {embeddings[0]} checks that its ids are in range, a decision on the data's values."
        if embeddings
        else ""
    )
    return ExportCheckError(
        f"{_describe(model)} could not be exported: torch.export cannot follow a Python decision "
        f"on a value computed from the data.{culprit} to_onnx(..., exporter='torchscript') "
        "records such a check as a constant and exports the model."
    )


# -- torch.export --------------------------------------------------------------------------------


def export_program(
    model: nn.Module,
    example: Any = None,
    *,
    dynamic_length: bool | None = None,
    dynamic_batch: bool = True,
    check: bool = True,
) -> torch.export.ExportedProgram:
    """Export a built model's inference forward with ``torch.export``, dynamic axes included.

    Save the result with ``torch.export.save(program, "model.pt2")``; plain PyTorch loads it with
    ``torch.export.load("model.pt2").module()``, without kerastorch.

    What this adds to ``torch.export.export(model, (example,))``: the example is made from the
    model's input shape; the batch axis and every axis the model declares as ``None``
    (``Input((None, 5))``) stay dynamic, with torch's while-loop LSTM / GRU decompositions
    (NOTE [export paths]) so that the time axis can; the model is exported in inference mode;
    and the program is checked against the model on an input of other sizes, so a graph fixed
    at the example's sizes is an error, not a surprise later.

    Args:
        model: A built kerastorch model (or any ``nn.Module`` taking one tensor); a functional
            model of several inputs takes a list of tensors, in ``model.inputs`` order.
        example: An input tensor (a list of them for several inputs); defaults to
            :func:`example_input`.
        dynamic_length: ``None`` (default): axes the model declares as ``None`` are dynamic.
            ``True``: the time axis (1) is dynamic. ``False``: only the batch axis may be.
        dynamic_batch: Keep the batch axis dynamic.
        check: Compare the program with the model on an input of other sizes.

    Returns:
        The ``torch.export.ExportedProgram``; ``program.module()`` runs it.

    Raises:
        ValueError: for a model that is not built, is stateful, or derives a mask from the data
            (masks are not part of an exported forward).
        ExportCheckError: when an axis could not stay dynamic (e.g. ``SimpleRNN``, or an LSTM
            with a non-default activation, at a dynamic length).

    Example:
        >>> import torch
        >>> import kerastorch as keras
        >>> from kerastorch.layers import LSTM, Dense
        >>> model = keras.Sequential([keras.Input((7, 5)), LSTM(4), Dense(1)])
        >>> program = export_program(model)  # batch dynamic, 7 timesteps
        >>> program.module()(torch.randn(3, 7, 5)).shape
        torch.Size([3, 1])
    """
    with eval_mode(model):
        examples, axes = _prepare(model, example, dynamic_length, dynamic_batch)
        dims = _dims(axes)
        try:
            with _export_context(dynamic_time=_any_time_axis(axes)):
                program = torch.export.export(model, (_pack(examples),), dynamic_shapes=dims)
        except Exception as error:
            if _is_data_dependent(error):
                raise _data_dependent_error(model, error) from error
            if dims is None or "Constraints violated" not in str(error):
                raise
            raise _specialized_error(
                model, axes, "torch.export specialized an axis to the example's size"
            ) from error
        if check:
            _compare(
                model,
                program.module(),
                _check_input(model, examples, axes),
                axes,
                "exported program",
            )
    return program


# -- ONNX ----------------------------------------------------------------------------------------


def _onnx_missing(error: ImportError) -> ImportError:
    return ImportError(
        "to_onnx needs the ONNX packages: pip install 'kerastorch-lib[onnx]' (onnx, onnxscript "
        f"and onnxruntime to check the file). Missing: {error.name or error}."
    )


def to_onnx(
    model: nn.Module,
    path: str | os.PathLike[str],
    example: Any = None,
    *,
    dynamic_length: bool | None = None,
    dynamic_batch: bool = True,
    exporter: Literal["dynamo", "torchscript"] = "dynamo",
    opset_version: int | None = None,
    check: bool = True,
) -> Path:
    """Write a built model's inference forward as an ONNX file, dynamic axes included.

    The graph has one input ``"inputs"`` and one output ``"outputs"`` (a functional model of
    several inputs or outputs: its input names and output names); ``onnxruntime`` runs it
    without PyTorch or kerastorch. Masks are not part of it (NOTE [export paths]).

    What this adds to ``torch.onnx.export``: the example and the dynamic axes (batch, and the
    axes the model declares as ``None``) as :func:`export_program` chooses them; the exporter's
    stale LSTM cache is cleared (NOTE [export paths]); the weights are kept inside the file
    (``external_data`` only for models near protobuf's 2 GB limit); and, when ``onnxruntime``
    is installed, the file is run on an input of other sizes and compared with the model.

    Args:
        model: A built kerastorch model.
        path: Where to write the ``.onnx`` file.
        example: An input tensor (a list for several inputs); defaults to
            :func:`example_input`.
        dynamic_length: As in :func:`export_program`.
        dynamic_batch: Keep the batch axis dynamic.
        exporter: ``"dynamo"`` (torch's default exporter; needs ``onnxscript``) or
            ``"torchscript"`` (``dynamo=False``: faster and keeps ``SimpleRNN``'s time axis
            dynamic, but deprecated by torch, which warns).
        opset_version: ONNX opset; torch's default when ``None``.
        check: Run the file with ``onnxruntime`` (when installed) and compare with the model.

    Returns:
        The path written.

    Raises:
        ImportError: without the ONNX packages (``pip install 'kerastorch-lib[onnx]'``).
        ValueError: as :func:`export_program`.
        ExportCheckError: when the file disagrees with the model at other sizes.

    Example:
        >>> import os, tempfile
        >>> import kerastorch as keras
        >>> from kerastorch.layers import LSTM, Dense
        >>> model = keras.Sequential([keras.Input((None, 5)), LSTM(4), Dense(1)])
        >>> path = to_onnx(model, os.path.join(tempfile.mkdtemp(), "model.onnx"))
        >>> import onnxruntime, numpy as np
        >>> session = onnxruntime.InferenceSession(str(path))
        >>> session.run(None, {"inputs": np.ones((2, 40, 5), np.float32)})[0].shape
        (2, 1)
    """
    if exporter not in ("dynamo", "torchscript"):
        raise ValueError(
            f"to_onnx: expected exporter='dynamo' or 'torchscript', received exporter={exporter!r}."
        )
    path = Path(path)
    with eval_mode(model):
        examples, axes = _prepare(model, example, dynamic_length, dynamic_batch)
        size = sum(p.numel() * p.element_size() for p in model.state_dict().values())
        input_names = _input_names(model, len(examples))
        options: dict[str, Any] = {
            "input_names": input_names,
            "output_names": _output_names(model),
            "opset_version": opset_version,
        }
        if exporter == "dynamo":
            options.update(
                dynamo=True,
                dynamic_shapes=_dims(axes),
                external_data=size > _ONNX_SINGLE_FILE_LIMIT,
                verbose=False,
            )
        else:
            options.update(dynamo=False, dynamic_axes=_output_axes(model, axes, input_names))
        try:
            with _export_context(dynamic_time=_any_time_axis(axes)), _tracer_quiet():
                torch.onnx.export(model, (_pack(examples),), str(path), **options)
        except ImportError as error:
            raise _onnx_missing(error) from error
        except Exception as error:
            if exporter == "dynamo" and _is_data_dependent(error):
                raise _data_dependent_error(model, error) from error
            raise
        if check:
            _check_onnx(model, path, examples, axes, input_names)
    return path


def _output_names(model: nn.Module) -> list[str]:
    """``outputs``, or the model's output names when it has several outputs."""
    outputs = getattr(model, "outputs", None)
    if isinstance(outputs, list) and len(outputs) > 1:
        return list(model.output_names)  # type: ignore[attr-defined]
    return ["outputs"]


def _output_axes(
    model: nn.Module, axes: list[dict[int, str]], input_names: list[str]
) -> dict[str, dict[int, str]]:
    """The TorchScript exporter's ``dynamic_axes``: the inputs', and each output's batch axis
    and time axis (when a one-input model returns sequences)."""
    result = {name: dict(input_axes) for name, input_axes in zip(input_names, axes, strict=True)}
    output_shape = getattr(model, "output_shape", None)
    for name in _output_names(model):
        out: dict[int, str] = {}
        if 0 in axes[0]:
            out[0] = axes[0][0]
        sequences = output_shape is not None and len(output_shape) > 2 and output_shape[1] is None
        if len(axes) == 1 and name == "outputs" and 1 in axes[0] and sequences:
            out[1] = axes[0][1]
        result[name] = out
    return result


def _check_onnx(
    model: nn.Module,
    path: Path,
    examples: list[torch.Tensor],
    axes: list[dict[int, str]],
    input_names: list[str],
) -> None:
    try:
        import onnxruntime
    except ImportError:
        return  # documented: the numeric check needs onnxruntime
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def run(data: Any) -> list[torch.Tensor]:
        tensors = data if isinstance(data, list) else [data]
        feed = {name: x.numpy() for name, x in zip(input_names, tensors, strict=True)}
        return [torch.from_numpy(x) for x in session.run(None, feed)]

    _compare(model, run, examples, [{}] * len(examples), "ONNX file")
    if any(axes):
        _compare(model, run, _check_input(model, examples, axes), axes, "ONNX file")
