"""The layer contract shared by every kerastorch layer.

NOTE [layer contract]
    A layer is a ``torch.nn.Module`` with Keras's life cycle:

    * ``__init__`` validates and stores the configuration only; no tensors are created.
    * ``build(input_shape)`` creates parameters and torch submodules (``nn.LSTM``, ``nn.Linear``)
      from the input shape, e.g. ``nn.LSTM(input_size=input_shape[-1], ...)``. A layer is built
      either from a known shape (``Input``, ``input_shape=``) by chaining
      ``compute_output_shape`` through a model, or lazily from the first tensor it is called on.
    * ``compute_output_shape(input_shape)`` is pure arithmetic on tuples, ``None`` for unknown
      sizes (the batch axis is always ``None``).
    * ``forward(inputs, mask=None, training=None)`` computes. ``training=None`` means "follow the
      module's mode" (``model.train()`` / ``model.eval()``); ``fit`` runs in train mode and
      ``evaluate`` / ``predict`` in eval mode.
    * ``compute_mask(inputs, mask)`` returns the mask for the next layer (see ``supports_masking``).
    * ``get_config()`` returns the constructor arguments, so ``cls(**config)`` makes a twin.
    * ``get_weights()`` / ``set_weights()`` speak Keras's array layout and order, whatever layout
      the torch submodules use.

    Layers start in eval mode, as Keras layers called outside ``fit`` run in inference mode.

NOTE [custom layers]
    A user's layer is written the Keras way: ``build`` creates weights with
    ``self.add_weight(shape=..., initializer=..., trainable=..., name=...)`` (Keras 3's
    signature), ``call`` (or ``forward``) computes, and ``compute_output_shape`` may be left out:
    kerastorch then learns the output shape by running the built layer on small zero tensors, as
    Keras traces ``call`` symbolically. Only the sizes that change with the unknown input sizes
    (the batch axis, a ``None`` timestep axis) come out as ``None``. When that run fails, the
    error names the layer and asks for ``compute_output_shape``. kerastorch's own layers never
    run to learn shapes: they inherit the identity or define ``compute_output_shape``.

    Weights: a trainable floating-point weight is an ``nn.Parameter``; a ``trainable=False``
    one is a buffer (in ``state_dict``, moved by ``.to()``, never seen by an optimizer), as
    torch keeps running statistics. ``self.w = self.add_weight(..., name="kernel")`` registers
    the weight under the attribute name (``state_dict`` key ``<layer>.w``), not twice.
    ``get_weights`` follows Keras's ``layer.weights``: the layer's trainable weights in creation
    order, then its non-trainable ones, then each sublayer's weights.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from kerastorch import constraints, initializers, regularizers, symbolic
from kerastorch.dtypes import resolve_dtype
from kerastorch.layers.arguments import check_positive_int

# Naming moved to kerastorch.utils.naming; these names stay importable from here.
from kerastorch.utils.naming import reset_name_counts, snake_case, unique_name  # noqa: F401

Shape = tuple[int | None, ...]

# Keras's argument prefixes that do not spell their weight's name.
_PENALTY_TARGETS = {"recurrent": "recurrent_kernel"}
_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def to_shape(shape: Any, what: str = "shape") -> Shape:
    """Normalize an int / sequence / ``torch.Size`` into a tuple of ints and ``None``."""
    if isinstance(shape, int):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(
            f"Expected {what} to be a tuple of positive ints or None, received {what}={shape!r}."
        ) from None
    for dim in dims:
        if dim is not None and (not isinstance(dim, (int, np.integer)) or dim <= 0):
            raise ValueError(
                f"Expected {what} to hold positive ints or None, received {what}={shape!r}."
            )
    return tuple(None if d is None else int(d) for d in dims)


def build_shape(input_shape: Any) -> Shape | list[Shape]:
    """A shape as a tuple, or a list of shapes (a layer of several inputs) as a list of tuples.

    Example:
        >>> build_shape([(None, 3), [None, 4]])
        [(None, 3), (None, 4)]
    """
    if isinstance(input_shape, list) and any(
        isinstance(s, (tuple, list, torch.Size)) for s in input_shape
    ):
        return [None if s is None else tuple(s) for s in input_shape]
    if isinstance(input_shape, dict):  # a model whose call takes a dict of inputs
        return {key: tuple(shape) for key, shape in input_shape.items()}  # type: ignore[return-value]
    return tuple(input_shape)


def _call_arguments(cls: type) -> tuple[bool, bool]:
    """Whether ``cls.call`` declares ``mask`` / ``training``."""
    call = getattr(cls, "call", None)
    if call is None:
        return False, False
    params = inspect.signature(call).parameters
    return "mask" in params, "training" in params


def _forward_arguments(cls: type) -> tuple[bool, bool]:
    """Whether ``cls.forward`` accepts ``mask`` / ``training`` (a ``**kwargs`` accepts both)."""
    params = inspect.signature(cls.forward).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True, True
    return "mask" in params, "training" in params


@functools.cache
def _infers_shape_by_running(cls: type) -> bool:
    """Whether ``Layer.compute_output_shape`` learns ``cls``'s output shape by running it: true
    for a user's layer (``call`` / ``forward`` defined outside kerastorch). kerastorch's own
    layers that keep ``Layer.compute_output_shape`` keep the input's shape.
    """
    for klass in cls.__mro__:
        if klass is Layer:
            return False
        if "call" in vars(klass) or "forward" in vars(klass):
            return not klass.__module__.startswith("kerastorch.")
    return False


class ShapeInferenceError(ValueError):
    """Running a layer on zeros to learn its output shape failed (see NOTE [custom layers])."""


# Sizes substituted for unknown dimensions when running a layer to learn its output shape: an
# output size that changes between the two runs follows an unknown input size, so it is None.
_TRACE_SIZES = (2, 3)


def trace_output_shape(
    run: Callable[[torch.Tensor], Any],
    input_shape: Shape,
    device: torch.device | str | None = None,
    dtypes: Sequence[torch.dtype] = (torch.float32, torch.int64),
) -> Shape | list[Shape]:
    """Learn the output shape of ``run`` by calling it on zeros of ``input_shape``.

    Unknown sizes (``None``) are replaced by 2, then by 3; output sizes that differ between the
    two runs are ``None``. Float zeros are tried first, then integer zeros (for layers that take
    token ids). A ``list`` of shapes is returned when ``run`` returns several tensors.

    Raises:
        ShapeInferenceError: with the zero input's shape and the original error as its cause.

    Example:
        >>> trace_output_shape(lambda x: x.sum(-1), (None, None, 4))
        (None, None)
    """
    input_shape = tuple(input_shape)
    sizes = _TRACE_SIZES if None in input_shape else _TRACE_SIZES[:1]
    first: tuple[BaseException, Shape] | None = None
    for dtype in dtypes:
        results = []
        try:
            for size in sizes:
                concrete = tuple(size if d is None else d for d in input_shape)
                with torch.no_grad():
                    outputs = run(torch.zeros(concrete, dtype=dtype, device=device))
                results.append(_output_shapes(outputs))
        except Exception as error:
            first = first or (error, concrete)
            continue
        return _merge_traced_shapes(results)
    assert first is not None
    error, concrete = first
    raise ShapeInferenceError(
        f"running it on zeros of shape {concrete} failed with {type(error).__name__}: {error}"
    ) from error


def _output_shapes(outputs: Any) -> Shape | list[Shape]:
    if torch.is_tensor(outputs):
        return tuple(outputs.shape)
    if isinstance(outputs, (list, tuple)) and outputs and all(map(torch.is_tensor, outputs)):
        return [tuple(o.shape) for o in outputs]
    raise TypeError(f"it returned {type(outputs).__name__}, not a tensor or a list of tensors")


def _merge_traced_shapes(results: list[Any]) -> Shape | list[Shape]:
    def merge(shapes: list[Shape]) -> Shape:
        if len({len(s) for s in shapes}) != 1:
            raise ShapeInferenceError(
                f"its output rank changes with the input's unknown sizes: {shapes}"
            )
        return tuple(dims[0] if len(set(dims)) == 1 else None for dims in zip(*shapes, strict=True))

    if isinstance(results[0], list):
        if len({len(r) for r in results}) != 1:
            raise ShapeInferenceError("it returns a different number of tensors for each input")
        return [merge(list(group)) for group in zip(*results, strict=True)]
    return merge(results)


# NOTE [calling a layer]
#     ``layer(x)`` works as in Keras on everything a Keras layer takes: torch tensors, numpy arrays
#     and nested lists (converted with Keras's floatx: float arrays become float32, integer
#     arrays stay integers, for Embedding), and symbolic tensors (a graph node, NOTE [functional
#     graph]). An eager call computes the output's mask and attaches it as ``out._keras_mask``,
#     and a tensor carrying one passes it to the next layer called on it, so masks flow through
#     subclassed models and hand-written code as in Keras. Models run their layers through
#     :func:`call_in_model` instead: masks travel as arguments there, and nothing is attached.


def call_in_model(layer: nn.Module, *args: Any, **kwargs: Any) -> Any:
    """Run ``layer`` as a model's forward does: torch's own ``Module.__call__`` (hooks, the lazy
    build), without ``Layer.__call__``'s conversions (NOTE [calling a layer])."""
    return nn.Module.__call__(layer, *args, **kwargs)


def to_layer_input(value: Any) -> Any:
    """Numpy arrays and nested lists of numbers as tensors (floats as float32, Keras's floatx);
    lists of arrays as lists of tensors; anything else unchanged. Text (arrays of ``str``, lists
    of strings) stays as it is: it has no tensor, and only the text layers take it."""
    if torch.is_tensor(value) or value is None or isinstance(value, symbolic.KerasTensor):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "USO":
        return value
    if isinstance(value, (list, tuple)) and (not value or not _is_number_nest(value)):
        return type(value)(to_layer_input(v) for v in value)
    if isinstance(value, (np.ndarray, np.generic, list, tuple, int, float, bool)):
        tensor = torch.as_tensor(np.asarray(value))
        return tensor.float() if tensor.is_floating_point() else tensor
    return value


def as_model_input(
    tensor: Any, input_dtype: str | None, takes_ids: bool, takes_text: bool = False
) -> Any:
    """A model's input as Keras converts it: integer and boolean tensors become floatx when the
    model's input is a float (``Input``'s default dtype, and a model without ``Input``), unless
    the layer that reads it takes ids (``Embedding``: ids stay exact integers). An input
    declared integer (``Input(..., dtype="int32")``) is left as it is. Raw strings (a numpy
    array of ``str``) are for a model whose input is ``Input(dtype="string")`` or whose first
    layer reads text (``takes_text``); anywhere else they are refused.

    Example:
        >>> as_model_input(torch.tensor([[1, 2]]), "float32", takes_ids=False)
        tensor([[1., 2.]])
        >>> as_model_input(torch.tensor([[1, 2]]), None, takes_ids=True)
        tensor([[1, 2]])
    """
    if isinstance(tensor, np.ndarray) and tensor.dtype.kind in "USO":
        if input_dtype != "string" and not takes_text:
            raise TypeError(
                f"x must hold numbers, received an array of dtype {tensor.dtype}: the model's "
                "input takes numbers. Raw strings go into a model whose input is "
                'Input(shape=(1,), dtype="string") followed by a TextVectorization (or '
                "StringLookup / Hashing) layer."
            )
        return tensor
    if (
        not torch.is_tensor(tensor)
        or tensor.is_floating_point()
        or tensor.is_complex()
        or takes_ids
        or (input_dtype is not None and "float" not in input_dtype)
    ):
        return tensor
    return tensor.to(torch.float32)  # floatx


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _holds_arrays(value: Any) -> bool:
    """Whether a call's keyword value is (or holds) numpy arrays to convert (not an option)."""
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, (list, tuple)) and any(
        isinstance(x, np.ndarray) for x in symbolic.flatten(value)
    )


def _is_number_nest(value: Any) -> bool:
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return isinstance(value, (int, float, bool, np.number))


def keras_mask_of(inputs: Any) -> Any:
    """The ``_keras_mask`` an eager call attached to ``inputs`` (a list of them for a list)."""
    if torch.is_tensor(inputs):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        return None if all(m is None for m in masks) else masks
    return None


def attach_keras_mask(outputs: Any, mask: Any) -> None:
    """Attach ``mask`` to ``outputs`` as ``_keras_mask`` (per output for several)."""
    if mask is None:
        return
    if torch.is_tensor(outputs):
        if torch.is_tensor(mask):
            outputs._keras_mask = mask  # type: ignore[attr-defined]
    elif isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] + [None] * (len(outputs) - 1)
        for output, output_mask in zip(outputs, masks, strict=False):
            attach_keras_mask(output, output_mask)


@contextlib.contextmanager
def preserved_state(layer: nn.Module) -> Iterator[None]:
    """Run ``layer`` for a shape question only: train modes and buffers (running statistics,
    counters, carried states) are as before afterwards, as Keras's symbolic trace changes
    nothing."""
    modes = [(module, module.training) for module in layer.modules()]
    buffers = [
        (module, key, buffer, buffer.detach().clone())
        for module in layer.modules()
        for key, buffer in module._buffers.items()
        if buffer is not None
    ]
    try:
        yield
    finally:
        for module, mode in modes:
            module.training = mode
        with torch.no_grad():
            for module, key, buffer, value in buffers:
                buffer.copy_(value)
                module._buffers[key] = buffer


@functools.cache
def _shape_options(cls: type) -> frozenset[str]:
    """The call options ``cls.compute_output_shape`` declares besides the shape itself
    (``return_attention_scores``)."""
    params = list(inspect.signature(cls.compute_output_shape).parameters)[2:]
    return frozenset(params)


def _specs_of(shape: Any, dtype: str) -> Any:
    """Symbolic tensors for a shape, or for a list of shapes (a layer with several outputs)."""
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return symbolic.KerasTensor(shape, dtype)
    return [_specs_of(s, dtype) for s in shape]


class Layer(nn.Module):
    """Base class of all kerastorch layers; see NOTE [layer contract] in this module.

    Subclass it the Keras way: create weights in ``build`` with :meth:`add_weight`, compute in
    ``call`` (or ``forward``), describe shapes in ``compute_output_shape`` (optional: see NOTE
    [custom layers]) and return the constructor arguments from ``get_config``. ``call`` receives
    ``training`` and ``mask`` only if it declares them, as in Keras.

    Example:
        >>> class Linear(Layer):
        ...     def __init__(self, units=32, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(
        ...             shape=(input_shape[-1], self.units), initializer="random_normal", name="w"
        ...         )
        ...     def call(self, inputs):
        ...         return inputs @ self.w
        ...     def get_config(self):
        ...         return {**super().get_config(), "units": self.units}
        >>> Linear(4)(torch.ones(2, 3)).shape
        torch.Size([2, 4])
    """

    supports_masking: bool = False
    # Whether the layer takes a list of inputs (merge and attention layers): a Python list given
    # to it is a list of inputs, not one nested list of numbers (NOTE [calling a layer]).
    takes_input_list: bool = False
    # Whether the layer takes integer ids (Embedding): a model whose first layer takes ids keeps
    # its integer input as it is; other models cast it to floatx (see ``as_model_input``).
    takes_ids: bool = False
    takes_text: bool = False  # reads raw strings (TextVectorization, StringLookup, Hashing)

    # What forward / call declare, read once per class (not per call: the call path is hot and
    # must also trace under torch.compile).
    _forward_takes_mask = _forward_takes_training = True
    _call_takes_mask = _call_takes_training = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._forward_takes_mask, cls._forward_takes_training = _forward_arguments(cls)
        cls._call_takes_mask, cls._call_takes_training = _call_arguments(cls)

    # Whether states carry from batch to batch, fixing the batch size (NOTE [stateful layers]).
    stateful: bool = False

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        input_shape: Sequence[int | None] | None = None,
        batch_input_shape: Sequence[int | None] | None = None,
        input_dim: int | None = None,
        dtype: Any = None,
        activity_regularizer: Any = None,
        **weight_options: Any,
    ) -> None:
        super().__init__()
        # An unnamed layer is named after its class; a model numbers it within the model
        # (lstm, lstm_1, ...), so identical models have identical state_dict keys.
        self.auto_named = name is None
        if name is None:
            name = snake_case(type(self).__name__)
        elif not isinstance(name, str) or not _VALID_NAME.match(name):
            raise ValueError(
                f"{type(self).__name__}: expected a name made of letters, digits, '_' or '-' "
                f"(it becomes a torch attribute name), received name={name!r}."
            )
        self.name = name
        self._trainable = bool(trainable)
        self._init_penalties(activity_regularizer, weight_options)
        self.built = False
        self.build_input_shape: Shape | None = None
        # Own weights made by add_weight, in Keras order (trainable first), with the Keras
        # trainable flag each was created with; names not yet given by an attribute assignment.
        self._keras_weight_names: list[str] = []
        self._weight_trainable: dict[str, bool] = {}
        self._unclaimed_weights: set[str] = set()
        self._traced_shapes: dict[Shape, Any] = {}
        self._building_shape: Shape | None = None
        self._built_by_hand = False  # add_weight ran in a build() the user called directly
        # Keras lets the first layer carry the model's input shape.
        if batch_input_shape is not None:
            self.declared_input_shape: Shape | None = to_shape(
                batch_input_shape, "batch_input_shape"
            )
        elif input_shape is not None:
            self.declared_input_shape = (None, *to_shape(input_shape, "input_shape"))
        elif input_dim is not None:
            self.declared_input_shape = (
                None,
                check_positive_int(self.cls_name, "input_dim", input_dim),
            )
        else:
            self.declared_input_shape = None
        self.train(False)
        self._build_hook = self.register_forward_pre_hook(
            self._build_on_first_call, with_kwargs=True
        )
        if not (self._forward_takes_mask and self._forward_takes_training):
            # A torch-style forward(self, x): Sequential's mask= / training= are not passed on.
            self.register_forward_pre_hook(self._drop_undeclared_arguments, with_kwargs=True)

    def __setattr__(self, name: str, value: Any) -> None:
        # ``self.w = self.add_weight(name="kernel")``: move the weight to the attribute's name
        # instead of registering it twice (see NOTE [custom layers]).
        unclaimed = self.__dict__.get("_unclaimed_weights")
        if unclaimed and torch.is_tensor(value):
            old = next((n for n in unclaimed if self._own_weight(n) is value), None)
            if old is not None:
                unclaimed.discard(old)
                if old != name:
                    if name in self._weight_trainable:
                        self._forget_weight(name)  # built again: the new weight replaces it
                    if name not in self._parameters and name not in self._buffers:
                        self._rename_weight(old, name)
        super().__setattr__(name, value)

    def _own_weight(self, name: str) -> torch.Tensor | None:
        return self._parameters.get(name, self._buffers.get(name))

    def _forget_weight(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        self._keras_weight_names.remove(name)
        del self._weight_trainable[name]
        self._unclaimed_weights.discard(name)

    def _rename_weight(self, old: str, new: str) -> None:
        table = self._parameters if old in self._parameters else self._buffers
        items = list(table.items())
        table.clear()
        table.update((new if key == old else key, item) for key, item in items)
        if old in self._non_persistent_buffers_set:
            self._non_persistent_buffers_set.discard(old)
            self._non_persistent_buffers_set.add(new)
        self._keras_weight_names[self._keras_weight_names.index(old)] = new
        self._weight_trainable[new] = self._weight_trainable.pop(old)
        for table in (self.weight_regularizers, self.weight_constraints):
            if old in table:
                table[new] = table.pop(old)

    def _drop_undeclared_arguments(self, module: nn.Module, args: tuple, kwargs: dict):
        takes_mask, takes_training = self._forward_takes_mask, self._forward_takes_training
        if (not takes_mask and "mask" in kwargs) or (not takes_training and "training" in kwargs):
            kwargs = dict(kwargs)
            if not takes_mask:
                kwargs.pop("mask", None)
            if not takes_training:
                kwargs.pop("training", None)
            return args, kwargs
        return None

    # -- naming and repr -------------------------------------------------------------------------

    @property
    def cls_name(self) -> str:
        return type(self).__name__

    def describe(self) -> str:
        """``"LSTM 'lstm'"``: how error messages name this layer."""
        return f"{self.cls_name} '{self.name}'"

    def extra_repr(self) -> str:
        defaults = self._config_defaults()
        shown = [
            f"{k}={v!r}"
            for k, v in self.get_config().items()
            if k not in ("name", "trainable") and defaults.get(k, object()) != v
        ]
        return ", ".join([f"name={self.name!r}", *shown])

    def _config_defaults(self) -> dict[str, Any]:
        params = inspect.signature(type(self).__init__).parameters
        return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}

    # -- building --------------------------------------------------------------------------------

    def build(self, input_shape: Shape) -> None:
        """Create the layer's parameters for inputs of ``input_shape`` (batch axis included)."""

    def can_build(self, input_shape: Shape) -> bool:
        """Whether ``input_shape`` holds every size :meth:`build` needs (default: all of them)."""
        return True

    def build_from_shape(self, input_shape: Shape) -> bool:
        """Build from a shape if it is known enough; return whether the layer is built."""
        if not self.built and self.can_build(input_shape):
            self._run_build(input_shape)
            self._finish_build(input_shape)
            if _infers_shape_by_running(type(self)) and any(
                not sub.built for sub in sublayers(self)
            ):
                # Keras builds a custom layer's sublayers by tracing call; run it once likewise,
                # so counts and set_weights see every weight before any data. If it fails, the
                # sublayers build on the first batch instead.
                with contextlib.suppress(ShapeInferenceError):
                    self._inferred_output_shape(input_shape)
        return self.built

    def _run_build(self, input_shape: Shape) -> None:
        # A user's build() may set self.built itself (harmless), and a layer whose build() the
        # user already called by hand has weights but built=False: do not build it twice.
        if self._built_by_hand:
            return
        self._building_shape = build_shape(input_shape)
        try:
            self.build(build_shape(input_shape))
        finally:
            self._building_shape = None

    def _finish_build(self, input_shape: Shape) -> None:
        self.built = True
        # Weights are named once built: a later `self.alias = self.w` is a plain torch alias.
        self._unclaimed_weights.clear()
        self.build_input_shape = build_shape(input_shape)
        self._apply_trainable()  # to the parameters build just created
        self.train(self.training)  # torch submodules made by build start in train mode
        self._check_penalty_targets()
        self._build_hook.remove()

    def _build_on_first_call(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        inputs = args[0] if args else kwargs.get("inputs")
        if self.built:
            return
        if torch.is_tensor(inputs):
            # NOTE [stateful layers] in recurrent.py: a stateful layer takes the batch size of
            # the first tensor it is called on.
            first = inputs
            shape = tuple(inputs.shape) if self.stateful else (None, *inputs.shape[1:])
        elif isinstance(inputs, (list, tuple)) and inputs and all(map(torch.is_tensor, inputs)):
            # Several inputs (merge, attention layers): build receives a list of shapes, as Keras.
            first, shape = inputs[0], [(None, *t.shape[1:]) for t in inputs]
        else:
            return
        self._run_build(shape)
        self._finish_build(shape)
        if first.device.type != "cpu":
            self.to(device=first.device)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape``; ``None`` marks an unknown size.

        kerastorch's own layers keep the input's shape unless they override this. A user's layer
        that does not define it is run once on zeros to learn it (see NOTE [custom layers]).
        """
        if _infers_shape_by_running(type(self)):
            return self._inferred_output_shape(input_shape)
        return tuple(input_shape)

    def _inferred_output_shape(self, input_shape: Shape) -> Shape | list[Shape]:
        input_shape = tuple(input_shape)
        cached = self._traced_shapes.get(input_shape)
        if cached is not None:
            return cached
        where = f"{self.describe()} does not define compute_output_shape, and"
        fix = (
            f"Define compute_output_shape(self, input_shape) in {self.cls_name}, returning the "
            "output shape with None for unknown sizes (the batch axis), e.g. "
            "return (*input_shape[:-1], self.units)."
        )
        if not self.built:
            # Run an unbuilt copy, so a pure shape question creates no weights on this layer.
            import copy

            layer = copy.deepcopy(self)
            try:
                layer.build_from_shape(input_shape)
            except Exception as error:
                raise ShapeInferenceError(
                    f"{where} building it for input shape {input_shape} to learn its output shape "
                    f"failed with {type(error).__name__}: {error}. {fix}"
                ) from error
            return layer._inferred_output_shape(input_shape)
        first = next(itertools.chain(self.parameters(), self.buffers()), None)
        device = first.device if first is not None else None
        # The runs must leave no trace (see preserved_state).
        with preserved_state(self):
            self.train(False)
            try:
                shape = trace_output_shape(
                    lambda x: call_in_model(self, x, training=False), input_shape, device
                )
            except ShapeInferenceError as error:
                raise ShapeInferenceError(
                    f"{where} learning its output shape for input shape {input_shape} by "
                    f"{error}. {fix}"
                ) from error.__cause__
        self._traced_shapes[input_shape] = shape
        return shape

    # -- calling: tensors, arrays, symbolic tensors ------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the layer as Keras does (NOTE [calling a layer]).

        On symbolic tensors (``Input``) it records a graph node and returns symbolic tensors; on
        numpy arrays or lists it converts them first; a tensor that carries a Keras mask
        (``_keras_mask``, set by an earlier layer's eager call) passes it on, and the output gets
        this layer's mask. Models call their layers through torch's own ``Module.__call__``
        (:func:`call_in_model`), which skips these conveniences.
        """
        if symbolic.any_symbolic(args, kwargs):
            return self._symbolic_call(args, kwargs)
        if any(not torch.is_tensor(a) and a is not None for a in args):  # query, value, key...
            args = tuple(a if _is_scalar(a) else self._as_tensors(a) for a in args)
        if any(map(_holds_arrays, kwargs.values())):  # initial_state, mask, attention_mask...
            kwargs = {k: self._as_tensors(v) if _holds_arrays(v) else v for k, v in kwargs.items()}
        for argument, source in self.mask_routes(args, kwargs).items():
            carried = keras_mask_of(source)
            if carried is not None:
                kwargs[argument] = carried
        outputs = nn.Module.__call__(self, *args, **kwargs)
        mask = kwargs.get("mask")
        makes_masks = mask is None and type(self).compute_mask is not Layer.compute_mask
        if args and (self.supports_masking or makes_masks):
            attach_keras_mask(outputs, self.compute_mask(args[0], mask))
        return outputs

    def _as_tensors(self, value: Any) -> Any:
        """Arrays and lists as tensors (:func:`to_layer_input`) on this layer's device; for a
        layer of several inputs (``takes_input_list``), a list is a list of inputs."""
        if self.takes_input_list and isinstance(value, (list, tuple)):
            converted = type(value)(to_layer_input(v) for v in value)
        else:
            converted = to_layer_input(value)
        first = next(itertools.chain(self.parameters(), self.buffers()), None)
        if first is None or first.device.type == "cpu":
            return converted
        return symbolic.map_structure(
            lambda x: x.to(first.device) if torch.is_tensor(x) else x, converted
        )

    def mask_routes(self, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Which call argument receives the masks of which inputs, when the caller passed none:
        ``{"mask": first_input}`` for a layer whose call declares ``mask`` (Keras's rule);
        ``MultiHeadAttention`` routes its query's and value's masks to ``query_mask`` and
        ``value_mask``."""
        if "mask" in kwargs or not args or not self._forward_takes_mask:
            return {}
        return {"mask": args[0]}

    def _symbolic_call(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        """NOTE [functional graph]: build from the symbolic shapes, work out the outputs' shapes
        and record the call as a node; no data runs."""
        if not self.built:
            input_shape = self.input_shape_of_call(args, kwargs)
            if not self.build_from_shape(input_shape):
                raise ValueError(
                    f"{self.describe()} cannot be built for input shape {input_shape}: a size it "
                    "needs is unknown (None). Give the Input that size, e.g. "
                    "Input(shape=(None, 8)) for sequences of 8 features."
                )
        outputs = self.compute_output_spec(*args, **kwargs)
        symbolic.Node(self, args, kwargs, outputs)
        return outputs

    def input_shape_of_call(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        """The shape ``build`` receives for a call with these arguments: the first input's shape
        (batch axis ``None``), or a list of shapes when it is a list of tensors (merge layers).
        Layers whose call takes several tensor arguments (``MultiHeadAttention(query, value)``)
        override it."""
        inputs = args[0] if args else kwargs.get("inputs")
        if isinstance(inputs, (list, tuple)):
            return [(None, *x.shape[1:]) for x in inputs]
        return (None, *inputs.shape[1:])

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """The symbolic outputs of a call with these (symbolic) arguments.

        From ``compute_output_shape`` (given the arguments it declares, such as
        ``return_attention_scores``), or, for a user's layer without one, by running it on zeros
        (NOTE [custom layers]).
        """
        if _infers_shape_by_running(type(self)):
            return self._traced_output_spec(args, kwargs)
        input_shape = self.input_shape_of_call(args, kwargs)
        options = _shape_options(type(self))
        shape = self.compute_output_shape(
            input_shape,
            **{k: v for k, v in kwargs.items() if k in options and not symbolic.any_symbolic([v])},
        )
        first = symbolic.flatten(args[0] if args else list(kwargs.values()))[0]
        dtype = self.compute_output_dtype(getattr(first, "dtype", "float32"))
        return _specs_of(shape, dtype)

    def compute_output_dtype(self, input_dtype: str) -> str:
        """The dtype of the symbolic outputs: float32, or the input's dtype for a layer without
        weights (``Reshape`` of token ids stays int)."""
        if not input_dtype.startswith(("float", "bfloat")) and not self.weights:
            return input_dtype
        return "float32"

    def _traced_output_spec(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        with preserved_state(self):
            self.train(False)
            return symbolic.output_spec_by_tracing(
                lambda *a, **k: nn.Module.__call__(self, *a, **k), args, kwargs, self.describe()
            )

    # The graph node(s) of this layer's calls on symbolic tensors (NOTE [functional graph]).
    _inbound_nodes: list[symbolic.Node]
    _outbound_nodes: list[symbolic.Node]

    def _first_node_attribute(self, attribute: str, what: str) -> Any:
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"{self.describe()} has never been called on symbolic tensors and thus has no "
                f"defined {what}. Call it on the output of Input(...) first."
            )
        values = getattr(nodes[0], attribute)
        return values[0] if len(values) == 1 else values

    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first call in a graph (Keras's ``layer.input``)."""
        return self._first_node_attribute("input_tensors", "input")

    @property
    def output_shape(self) -> Any:
        """The shape of :attr:`output` (a list of shapes for several outputs)."""
        output = self.output
        if isinstance(output, list):
            return [x.shape for x in output]
        return output.shape

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's first call in a graph (Keras's ``layer.output``):
        ``Model(model.input, model.get_layer("lstm").output)`` makes a feature extractor."""
        return self._first_node_attribute("outputs", "output")

    # -- computing -------------------------------------------------------------------------------

    def forward(
        self,
        inputs: Any,
        *args: Any,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        return self._call_user(inputs, *args, mask=mask, training=training, **kwargs)

    def _call_user(
        self,
        inputs: Any,
        *args: Any,
        mask: torch.Tensor | None,
        training: bool | None,
        **kwargs: Any,
    ) -> Any:
        """Route to a Keras-style ``call``: the other arguments of the call as given (a cell's
        ``states``), ``mask`` and ``training`` only if it declares them."""
        call = getattr(self, "call", None)
        if call is None:
            raise NotImplementedError(f"{self.describe()}: define call() or forward().")
        if self._call_takes_mask:
            kwargs["mask"] = mask
        if self._call_takes_training:
            kwargs["training"] = self.is_training(training)
        return call(inputs, *args, **kwargs)

    def is_training(self, training: bool | None) -> bool:
        return self.training if training is None else bool(training)

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor | None:
        """The mask passed on to the next layer; layers that cannot use one drop it, warning."""
        if mask is None or self.supports_masking:
            return mask
        warnings.warn(
            f"{self.describe()} does not support masking and drops the mask it received; "
            "later layers see every time step.",
            stacklevel=3,
        )
        return None

    # -- weights ---------------------------------------------------------------------------------

    def add_weight(
        self,
        *args: Any,
        shape: Sequence[int] | None = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str | None = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> torch.Tensor:
        """Create a weight in Keras layout, registered on this layer, with Keras 3's signature.

        A trainable floating-point weight is an ``nn.Parameter``; ``trainable=False`` makes a
        buffer (see NOTE [custom layers]). Assigning the result to an attribute
        (``self.w = self.add_weight(...)``) registers it under that attribute's name.

        Args:
            shape: The weight's shape (``()`` if omitted); every size must be known.
            initializer: Name, ``Initializer`` or callable ``(shape, dtype) -> Tensor``;
                ``"glorot_uniform"`` for floating-point weights and ``"zeros"`` otherwise, as Keras.
            dtype: ``"float32"`` (the default), another dtype name or a ``torch.dtype``.
            trainable: Whether optimizers update it; Keras counts it as non-trainable otherwise.
            autocast: Accepted for Keras compatibility and ignored.
            aggregation: Accepted for Keras compatibility and ignored.
            overwrite_with_gradient: Accepted for Keras compatibility and ignored.
            regularizer: A penalty on this weight added to the training loss (as the layers'
                ``kernel_regularizer``).
            constraint: A projection of this weight after each optimizer step.
            name: The weight's name (``variable``, ``variable_1``... if omitted).

        Unlike Keras 3, which requires the name as a keyword, ``add_weight("kernel", (3, 2))``
        (Keras 2's and earlier kerastorch's order: name, then shape) is also accepted.

        Example:
            >>> layer = Layer()
            >>> layer.add_weight(shape=(3, 2), initializer="zeros", name="kernel").shape
            torch.Size([3, 2])
            >>> layer.add_weight("bias", (2,)).shape
            torch.Size([2])
        """
        where = f"{self.describe()}: add_weight"
        # 1. Positional arguments: Keras 3's (shape, initializer, dtype), or (name, shape).
        if args and isinstance(args[0], str):
            if len(args) > 2:
                raise TypeError(
                    f"{where}({args[0]!r}, ...) takes the name and the shape positionally; pass "
                    "the other arguments by keyword, e.g. initializer='zeros'."
                )
            if name is not None or (len(args) == 2 and shape is not None):
                raise TypeError(f"{where}: name or shape was passed twice.")
            name = args[0]
            if len(args) == 2:
                shape = args[1]
        elif args:
            if len(args) > 3:
                raise TypeError(
                    f"{where} takes at most 3 positional arguments (shape, initializer, dtype), "
                    f"received {len(args)}."
                )
            given = dict(zip(("shape", "initializer", "dtype")[: len(args)], args, strict=True))
            for key, value in (("shape", shape), ("initializer", initializer), ("dtype", dtype)):
                if key in given and value is not None:
                    raise TypeError(f"{where}: {key} was passed both positionally and by keyword.")
            shape = given.get("shape", shape)
            initializer = given.get("initializer", initializer)
            dtype = given.get("dtype", dtype)
        penalty = None if regularizer is None else regularizers.get(regularizer)
        projection = None if constraint is None else constraints.get(constraint)
        # 2. Shape, dtype and name.
        shape = () if shape is None else shape
        dims = (shape,) if isinstance(shape, int) else tuple(shape)
        if any(d is None for d in dims):
            building = (
                f" It is being built for input shape {self._building_shape}; give the model the "
                "missing sizes (Input(shape=...))."
                if self._building_shape is not None
                else ""
            )
            raise ValueError(
                f"{where}(name={name!r}): every size of a weight must be known, received "
                f"shape={dims}.{building}"
            )
        torch_dtype = resolve_dtype(dtype, where)
        floating = torch_dtype.is_floating_point or torch_dtype.is_complex
        if initializer is None:
            initializer = "glorot_uniform" if floating else "zeros"
        if name is None:
            name = next(
                f"variable_{i}" if i else "variable"
                for i in range(len(self._keras_weight_names) + 1)
                if (f"variable_{i}" if i else "variable") not in self._weight_trainable
            )
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"{where}: expected a name made of letters, digits and '_' (it becomes an "
                f"attribute name), received name={name!r}."
            )
        # 3. Create and register (replacing a weight of the same name when built again).
        value = initializers.get(initializer)(dims, dtype=torch_dtype)
        if name in self._weight_trainable:
            self._forget_weight(name)
        elif hasattr(self, name):
            raise ValueError(
                f"{where}: this layer already has an attribute named {name!r}; give the weight "
                "another name."
            )
        if trainable and floating:
            weight: torch.Tensor = nn.Parameter(value, requires_grad=self._trainable)
            self.register_parameter(name, weight)  # type: ignore[arg-type]
        else:
            weight = value
            self.register_buffer(name, weight)
        if trainable:
            trained = sum(self._weight_trainable.values())
            self._keras_weight_names.insert(trained, name)
        else:
            self._keras_weight_names.append(name)
        self._weight_trainable[name] = bool(trainable)
        self._unclaimed_weights.add(name)
        # NOTE [penalties]: the same tables as the <weight>_regularizer constructor arguments.
        if penalty is not None:
            self.weight_regularizers[name] = penalty
        if projection is not None:
            self.weight_constraints[name] = projection
        if self._building_shape is None and not self.built:
            import sys

            # Outside kerastorch's own build and not in __init__: build() was called by hand.
            if sys._getframe(1).f_code.co_name != "__init__":
                self._built_by_hand = True
        return weight

    # -- regularizers and constraints ------------------------------------------------------------

    # Keras's names of the layer's own weights, in keras_weights() order; trailing ones may be
    # absent (a Dense without bias has only "kernel").
    keras_weight_roles: tuple[str, ...] = ()

    def keras_weight_names(self) -> list[str]:
        """Keras's names of this layer's own weights (``kernel``, ``recurrent_kernel``, ...)."""
        if self.keras_weight_roles:
            return list(self.keras_weight_roles[: len(self.keras_weights())])
        return list(self._keras_weight_names)

    def _init_penalties(self, activity_regularizer: Any, weight_options: dict[str, Any]) -> None:
        """NOTE [penalties]: ``<weight>_regularizer`` / ``<weight>_constraint`` arguments apply to
        the Keras weight of that name (``kernel_regularizer`` -> ``kernel``), for every layer."""
        self.weight_regularizers: dict[str, Any] = {}
        self.weight_constraints: dict[str, Any] = {}
        self._penalty_args = {k: v for k, v in weight_options.items() if v is not None}
        for key, value in weight_options.items():
            if key.endswith("_regularizer"):
                if value is not None:
                    weight = _PENALTY_TARGETS.get(key.removesuffix("_regularizer"), key[:-12])
                    self.weight_regularizers[weight] = regularizers.get(value)
            elif key.endswith("_constraint"):
                if value is not None:
                    weight = _PENALTY_TARGETS.get(key.removesuffix("_constraint"), key[:-11])
                    self.weight_constraints[weight] = constraints.get(value)
            else:
                raise TypeError(
                    f"{type(self).__name__}.__init__() got an unexpected keyword argument {key!r}."
                )
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._activity_arg = activity_regularizer
        self.activity_loss: torch.Tensor | None = None
        if self.activity_regularizer is not None:
            self.register_forward_hook(self._record_activity_loss)

    def _record_activity_loss(self, module: nn.Module, args: tuple, output: Any) -> None:
        if torch.compiler.is_exporting():
            return  # an exported forward computes outputs only (and torch refuses the attribute)
        # Keras 3 divides the activity penalty by the batch size.
        outputs = output if isinstance(output, (list, tuple)) else [output]
        self.activity_loss = sum(
            self.activity_regularizer(o) / max(o.shape[0], 1) for o in outputs if torch.is_tensor(o)
        )

    def _check_penalty_targets(self) -> None:
        names = self.keras_weight_names()
        arguments = {v: k for k, v in _PENALTY_TARGETS.items()}
        for kind, table in (
            ("regularizer", self.weight_regularizers),
            ("constraint", self.weight_constraints),
        ):
            for weight in table:
                if weight not in names:
                    raise ValueError(
                        f"{self.describe()} received {arguments.get(weight, weight)}_{kind}, but "
                        f"it has no weight named {weight!r}; its weights are {names}."
                    )

    def has_penalties(self) -> bool:
        return bool(self.weight_regularizers) or self.activity_regularizer is not None

    def regularization_losses(self) -> list[torch.Tensor]:
        """The weight penalties of this layer, and the activity penalty of its last call."""
        losses = []
        if self.weight_regularizers:
            weights = dict(zip(self.keras_weight_names(), self.keras_weights(), strict=False))
            losses = [reg(weights[name]) for name, reg in self.weight_regularizers.items()]
        if self.activity_loss is not None:
            losses.append(self.activity_loss)
        return losses

    @torch.no_grad()
    def apply_constraints(self) -> None:
        """Project the constrained weights, as Keras does after each optimizer step."""
        names = self.keras_weight_names()
        current = self.keras_weights()
        own = [
            self.weight_constraints[name](w) if name in self.weight_constraints else w.clone()
            for name, w in zip(names, current, strict=False)
        ]
        self.load_keras_weights(own + [w.clone() for w in current[len(own) :]])

    def keras_weights(self) -> list[torch.Tensor]:
        """This layer's weights in Keras's layout and order (views of the parameters).

        By default: the weights made by :meth:`add_weight` (trainable ones first), then each
        built sublayer's, as Keras's ``layer.weights``.
        """
        own = [getattr(self, name) for name in self._keras_weight_names]
        return own + [w for sub in sublayers(self) for w in sub.weights]

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        """Copy weights given in Keras layout (already checked) into the parameters."""
        count = len(self._keras_weight_names)
        for name, value in zip(self._keras_weight_names, weights[:count], strict=True):
            getattr(self, name).copy_(value)
        rest = list(weights[count:])
        for sub in sublayers(self):
            n = len(sub.weights)
            if n:
                sub.load_keras_weights(rest[:n])
                rest = rest[n:]

    def _owned_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of this layer and of its plain torch submodules, not of its sublayers."""
        stack: list[nn.Module] = [self]
        while stack:
            module = stack.pop()
            yield from (p for p in module._parameters.values() if p is not None)
            stack.extend(
                m for m in module._modules.values() if m is not None and not isinstance(m, Layer)
            )

    @property
    def weights(self) -> list[torch.Tensor]:
        return self.keras_weights() if self.built else []

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        """The weights training updates (none when the layer is frozen), in Keras's order."""
        return [w for w in self.weights if w.requires_grad]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        """The other weights (moving statistics, a frozen layer's), in Keras's order."""
        return [w for w in self.weights if not w.requires_grad]

    def get_weights(self) -> list[np.ndarray]:
        """The weights as numpy arrays, exactly as Keras's ``layer.get_weights()`` lays them out."""
        return [w.detach().cpu().numpy().copy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set the weights from arrays in Keras's layout and order (``keras_layer.get_weights()``).

        Example:
            >>> from kerastorch.layers import Dense
            >>> dense = Dense(2, input_shape=(3,))
            >>> dense.build_from_shape((None, 3))
            True
            >>> dense.set_weights([np.ones((3, 2)), np.zeros(2)])
        """
        if not self.built:
            raise ValueError(
                f"{self.describe()} is not built yet, so it has no weights to set. Give the model "
                "an input shape (Input(shape=...)) or call it on data first."
            )
        current = self.keras_weights()
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(
                f"{self.describe()} expects {len(current)} weight arrays with shapes "
                f"{[tuple(w.shape) for w in current]}, received {len(weights)} arrays."
            )
        tensors = []
        for i, (value, ref) in enumerate(zip(weights, current, strict=True)):
            array = torch.as_tensor(np.asarray(value), dtype=ref.dtype)
            if tuple(array.shape) != tuple(ref.shape):
                raise ValueError(
                    f"{self.describe()}: weight {i} has shape {tuple(array.shape)} but "
                    f"{tuple(ref.shape)} was expected (Keras layout)."
                )
            tensors.append(array.to(ref.device))
        with torch.no_grad():
            self.load_keras_weights(tensors)

    # -- trainability and counting ---------------------------------------------------------------

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        # As Keras: the flag reaches every sublayer; trainable=False weights stay frozen.
        self._trainable = bool(value)
        for sub in sublayers(self):
            sub.trainable = value
        self._apply_trainable()

    def _apply_trainable(self) -> None:
        if not self._trainable:
            for param in self.parameters():  # a frozen layer freezes everything inside it
                param.requires_grad_(False)
            return
        for param in self._owned_parameters():
            param.requires_grad_(param.is_floating_point() or param.is_complex())

    def count_params(self) -> int:
        """Number of weights, counted as Keras counts them.

        Example:
            >>> from kerastorch.layers import Dense
            >>> dense = Dense(4, input_shape=(3,))
            >>> dense.build_from_shape((None, 3)) and dense.count_params()
            16
        """
        if not self.built:
            raise ValueError(
                f"{self.describe()} is not built yet, so its parameters are not counted. Give "
                "the model an input shape or call it on data first."
            )
        return sum(int(w.numel()) for w in self.keras_weights())

    def count_non_trainable_params(self) -> int:
        """Number of weights Keras counts as non-trainable: every weight of a frozen layer,
        otherwise those made with ``add_weight(..., trainable=False)`` and the sublayers'.

        Example:
            >>> layer = Layer()
            >>> _ = layer.add_weight(shape=(3,), trainable=False, name="total")
            >>> layer.built = True
            >>> layer.count_params(), layer.count_non_trainable_params()
            (3, 3)
        """
        if not self.built:
            return 0
        if not self.trainable:
            return self.count_params()
        own = sum(
            int(getattr(self, name).numel())
            for name in self._keras_weight_names
            if not self._weight_trainable[name]
        )
        return own + sum(sub.count_non_trainable_params() for sub in sublayers(self))

    # -- configuration ---------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments: ``type(layer)(**layer.get_config())`` makes an unbuilt twin."""
        config: dict[str, Any] = {"name": self.name, "trainable": self._trainable}
        for key, value in self._penalty_args.items():
            module = regularizers if key.endswith("_regularizer") else constraints
            config[key] = module.serialize(module.get(value))
        if self._activity_arg is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)


def sublayers(module: nn.Module) -> list[Layer]:
    """The kerastorch layers directly inside ``module``, also through ``ModuleList`` /
    ``ModuleDict``: a wrapper's layer, a custom layer's sublayers (not theirs).

    Example:
        >>> from kerastorch.layers import Dense, TimeDistributed
        >>> [layer.name for layer in sublayers(TimeDistributed(Dense(2, name="head")))]
        ['head']
    """
    found = []
    stack = list(reversed(list(module._modules.values())))
    while stack:
        child = stack.pop()
        if isinstance(child, Layer):
            found.append(child)
        elif child is not None:
            stack.extend(reversed(list(child._modules.values())))
    return found
