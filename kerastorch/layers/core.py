"""Core layers: Input, Dense, Activation, Dropout."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from kerastorch import activations, initializers, symbolic
from kerastorch.layers.arguments import (
    ActivationArg,
    InitializerArg,
    activation_config,
    check_last_dim,
    check_positive_int,
    check_rate,
    initializer_config,
)
from kerastorch.layers.base import (
    Layer,
    Shape,
    ShapeInferenceError,
    to_shape,
    trace_output_shape,
    unique_name,
)
from kerastorch.saving.object_registration import (
    get_registered_name,
    get_registered_object,
    in_safe_mode,
)

__all__ = ["Activation", "Dense", "Dropout", "Identity", "Input", "InputLayer", "Lambda"]


class InputLayer(Layer):
    """The layer behind ``Input(...)``: the entry point of a model, holding its input's shape
    and dtype (no weights).

    ``Input(shape)`` makes one and returns its symbolic output (see NOTE [functional graph]);
    ``Sequential`` reads its ``batch_shape``. A functional model lists its input layers in
    ``model.layers``, as Keras does.

    Args:
        shape: The input's shape without the batch axis; ``None`` for sizes that vary.
        batch_size: A fixed batch size (stateful layers need one).
        dtype: The input's dtype (``"float32"`` unless given; ``"int32"`` for token ids).
        sparse: Not supported: ``True`` is an error (pass dense arrays).
        batch_shape: The whole shape, batch axis included, instead of ``shape``/``batch_size``.
        input_tensor: Accepted for Keras compatibility and ignored.
        optional: Keras's flag for an input that may be ``None``; kept in the config.
        name: The layer's (and the input's) name; ``model.fit({name: array})`` uses it.
        **kwargs: The base layer's arguments; Keras 2's ``input_shape`` / ``batch_input_shape``
            are read as ``shape`` / ``batch_shape``.
    """

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "input_shape" in kwargs or "batch_input_shape" in kwargs:  # Keras 2's spelling
            shape = kwargs.pop("input_shape", shape)
            batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        kwargs.pop("ragged", None)
        super().__init__(name=name, **kwargs)
        if sparse:
            raise ValueError(
                f"{self.describe()}: sparse inputs are not supported by kerastorch; pass dense "
                "arrays (sparse=False)."
            )
        if batch_shape is not None:
            self.batch_shape: Shape = to_shape(batch_shape, "batch_shape")
        elif shape is not None:
            self.batch_shape = (batch_size, *to_shape(shape, "shape"))
        else:
            raise ValueError(
                "Input: expected shape=(timesteps, features) (without the batch axis) or "
                "batch_shape=(batch, timesteps, features), received neither."
            )
        self.input_dtype = symbolic.dtype_name(dtype, "Input")
        self.optional = optional
        self.built = True
        self.build_input_shape = self.batch_shape
        self._build_hook.remove()
        symbolic.Node(
            self, outputs=symbolic.KerasTensor(self.batch_shape, self.input_dtype, self.name)
        )

    @property
    def shape(self) -> Shape:
        return self.batch_shape

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self.batch_shape

    def forward(self, inputs: Any, mask: Any = None, training: bool | None = None) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.input_dtype,
            "sparse": False,
            "name": self.name,
            "optional": self.optional,
        }

    def __repr__(self) -> str:
        return f"InputLayer(name={self.name!r}, batch_shape={self.batch_shape})"


def Input(
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> symbolic.KerasTensor:
    """A model's input: a symbolic tensor of this shape (without the batch axis) and dtype.

    ``None`` marks a size that may change from batch to batch, typically the number of
    timesteps: ``Input(shape=(None, 5))`` accepts sequences of any length with 5 features.
    Start a ``Sequential`` with it, or call layers on it and make a ``Model(inputs, outputs)``.

    Example:
        >>> from kerastorch import Model, Sequential
        >>> from kerastorch.layers import LSTM, Dense
        >>> model = Sequential([Input(shape=(None, 5)), LSTM(8), Dense(1)])
        >>> model.output_shape
        (None, 1)
        >>> inputs = Input(shape=(None, 5), name="prices")
        >>> inputs.shape, inputs.name
        ((None, None, 5), 'prices')
        >>> Model(inputs, Dense(1)(LSTM(8)(inputs))).output_shape
        (None, 1)
    """
    layer = InputLayer(
        shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        optional=optional,
        name=name or unique_name("input_layer"),
    )
    return layer.output


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Like Keras's, it acts on the last axis of inputs of any rank, so on a sequence
    ``(batch, timesteps, features)`` it is applied at every timestep. Runs on ``nn.Linear``.

    Args:
        units: Output size.
        activation: Name or callable; ``None`` is linear.
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the ``(input_dim, units)`` kernel.
        bias_initializer: Initializer of the bias.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.

    Example:
        >>> layer = Dense(3, activation="relu")
        >>> layer(torch.ones(2, 7, 4)).shape
        torch.Size([2, 7, 3])
    """

    keras_weight_roles = ("kernel", "bias")

    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: ActivationArg = None,
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        bias_initializer: InitializerArg = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_positive_int(f"Dense '{self.name}'", "units", units)
        self.activation_arg = activation
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.initializer_args = {
            "kernel_initializer": kernel_initializer,
            "bias_initializer": bias_initializer,
        }

    def can_build(self, input_shape: Shape) -> bool:
        return len(input_shape) >= 2 and input_shape[-1] is not None

    def build(self, input_shape: Shape) -> None:
        in_features = input_shape[-1]
        self.linear = nn.Linear(in_features, self.units, bias=self.use_bias)
        kernel = initializers.get(self.initializer_args["kernel_initializer"])
        with torch.no_grad():
            self.linear.weight.copy_(kernel((in_features, self.units)).T)
            if self.use_bias:
                bias = initializers.get(self.initializer_args["bias_initializer"])
                self.linear.bias.copy_(bias((self.units,)))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        check_last_dim(self, inputs, self.linear.in_features, "input features")
        return self.activation(self.linear(inputs))

    def keras_weights(self) -> list[torch.Tensor]:
        return [self.linear.weight.T] + ([self.linear.bias] if self.use_bias else [])

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.linear.weight.copy_(weights[0].T)
        if self.use_bias:
            self.linear.bias.copy_(weights[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activation_config(self.activation_arg),
            "use_bias": self.use_bias,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }


class Identity(Layer):
    """Returns its input unchanged (and passes its mask on): a placeholder layer, as Keras's.

    Example:
        >>> Identity()(torch.ones(1, 2))
        tensor([[1., 1.]])
    """

    supports_masking = True

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return inputs


class Activation(Layer):
    """Applies an activation function by name or callable.

    Example:
        >>> Activation("softmax")(torch.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    supports_masking = True

    def __init__(self, activation: ActivationArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation_arg = activation
        self.activation = activations.get(activation)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activation_config(self.activation_arg)}


class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of the inputs in training, scaling the rest by
    ``1 / (1 - rate)``; the identity in inference (``evaluate``, ``predict``).

    Args:
        rate: Fraction of the inputs to drop, in [0, 1).
        noise_shape: Shape of the binary mask, ``None`` entries taken from the input; e.g.
            ``(None, 1, None)`` drops the same features at every timestep.
        seed: Unused, for Keras compatibility (use ``kerastorch.utils.set_random_seed``).

    Example:
        >>> layer = Dropout(0.5)
        >>> layer(torch.ones(2, 3), training=False)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(f"Dropout '{self.name}'", "rate", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None, training=None):
        if not self.is_training(training) or self.rate == 0.0:
            return inputs
        if self.noise_shape is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = [inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        keep = torch.empty(shape, device=inputs.device, dtype=inputs.dtype).bernoulli_(
            1 - self.rate
        )
        return inputs * keep / (1 - self.rate)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


# -- Lambda ------------------------------------------------------------------------------------


def _function_config(fn: Callable[..., Any]) -> Any:
    """How a Lambda's function is written in its config: by name only, never as code.

    A function registered with ``register_keras_serializable`` is returned as is (the saving code
    writes its registered name); any other one as ``{"class_name": "function", "module": ...,
    "name": ...}``.
    """
    if get_registered_name(fn) != getattr(fn, "__name__", None):
        return fn  # registered: written as its "package>name"
    return {
        "class_name": "function",
        "module": getattr(fn, "__module__", None),
        "name": getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn)),
    }


def _resolve_function(layer: str, entry: Any, what: str) -> Any:
    """The callable a saved function entry names (see :meth:`Lambda.from_config`)."""
    if entry is None or callable(entry) or not isinstance(entry, dict):
        return entry
    if entry.get("class_name") == "__lambda__":
        raise ValueError(
            f"Lambda '{layer}': its {what} is a Python lambda saved by Keras as bytecode, which "
            "kerastorch never runs. Rebuild the model in code with the same Lambda and load the "
            "weights with model.load_weights(path)."
        )
    name = entry.get("name") or entry.get("registered_name") or entry.get("config")
    module = entry.get("module")
    if not isinstance(name, str):
        raise ValueError(f"Lambda '{layer}': cannot read the saved {what} {entry!r}.")
    found = get_registered_object(name)
    if found is None and "." in name:
        found = get_registered_object(name.rsplit(".", 1)[-1])
    if found is not None:
        return found
    if "<" in name:  # "<lambda>", "f.<locals>.g": nothing to import
        raise ValueError(
            f"Lambda '{layer}': its {what} was {name!r} (module {module!r}), which kerastorch "
            "saves by name only and cannot restore. Rebuild the model in code with the same "
            "Lambda and load the weights with model.load_weights(path), or use a named "
            "module-level function and pass it in custom_objects."
        )
    if not in_safe_mode() and isinstance(module, str):
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    short = name.rsplit(".", 1)[-1]
    raise ValueError(
        f"Lambda '{layer}': its {what} {name!r} (module {module!r}) is not known here. Pass it "
        f"when loading, custom_objects={{{short!r}: {short}}}, or load with safe_mode=False to "
        f"import it from module {module!r}."
    )


class Lambda(Layer):
    """Wraps an expression (any function of a tensor) as a layer.

    ``function(inputs, **arguments)`` is called; it also receives ``mask=`` and ``training=`` if
    it declares them. The output shape comes from ``output_shape`` or, if that is omitted, from
    running ``function`` on small zero tensors (Keras traces it symbolically); pass
    ``output_shape`` when the function cannot run on zeros.

    Saving: the config records the function by name (``{"class_name": "function", "module":
    ..., "name": ...}``), never its code. Loading a model with a ``Lambda`` is refused unless
    ``safe_mode=False`` is passed; the function is then found among the objects given in
    ``custom_objects`` (or registered with ``register_keras_serializable``), or else imported
    from its module. A ``lambda`` expression cannot be restored: rebuild the model in code and
    load its weights. Keras saves a lambda's bytecode instead; kerastorch never runs code from a
    file.

    Args:
        function: The function to apply; its first argument is the input tensor.
        output_shape: The output shape without the batch axis (a tuple), or a function of the full
            input shape returning the full output shape.
        mask: ``None`` (the layer drops an incoming mask, warning), a function ``(inputs, mask) ->
            mask``, or a tensor returned as the output mask whatever the input.
        arguments: Keyword arguments passed to ``function``.

    Example:
        >>> layer = Lambda(lambda x: x[:, -1, :])  # the last timestep
        >>> layer(torch.ones(2, 7, 4)).shape
        torch.Size([2, 4])
        >>> layer.compute_output_shape((None, None, 4))
        (None, 4)
    """

    unsafe_to_deserialize = True  # NOTE [safe deserialization] in saving/object_registration.py

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Sequence[int | None] | Callable[..., Any] | None = None,
        mask: Callable[..., Any] | torch.Tensor | None = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"{self.describe()}: expected function to be callable, e.g. "
                f"Lambda(lambda x: x ** 2), received function={function!r}. A saved config is "
                "read with Lambda.from_config(config)."
            )
        if output_shape is not None and not callable(output_shape):
            try:
                dims: tuple[Any, ...] | None = tuple(output_shape)
            except TypeError:
                dims = None
            if dims is None or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0)
                for d in dims
            ):
                raise ValueError(
                    f"{self.describe()}: expected output_shape to be the output shape without "
                    "the batch axis (a tuple of positive ints or None) or a function of the input "
                    f"shape, received output_shape={output_shape!r}."
                )
            output_shape = dims
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                f"{self.describe()}: expected arguments to be a dict of keyword arguments for the "
                f"function, received arguments={arguments!r}."
            )
        self.function = function
        self.output_shape_arg = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):  # some builtins have no signature
            params = {}  # type: ignore[assignment]
        self._takes_mask = "mask" in params
        self._takes_training = "training" in params

    def forward(self, inputs: Any, mask: torch.Tensor | None = None, training=None):
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = self.is_training(training)
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape | list[Shape]:
        if callable(self.output_shape_arg):
            shape = self.output_shape_arg(tuple(input_shape))
            if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
                shape = tuple(shape)  # a list of sizes, not a list of shapes
            return shape
        if self.output_shape_arg is not None:
            return (input_shape[0], *self.output_shape_arg)
        input_shape = tuple(input_shape)
        cached = self._traced_shapes.get(input_shape)
        if cached is None:
            try:
                cached = trace_output_shape(lambda x: self.forward(x, training=False), input_shape)
            except ShapeInferenceError as error:
                raise ShapeInferenceError(
                    f"{self.describe()} could not infer its output shape for input shape "
                    f"{input_shape}: {error}. Pass output_shape=(...) without the batch axis, "
                    "or a function of the input shape."
                ) from error.__cause__
            self._traced_shapes[input_shape] = cached
        return cached

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor | None:
        if callable(self.mask):
            return self.mask(inputs, mask)
        if self.mask is not None:
            return self.mask
        return super().compute_mask(inputs, mask)

    def extra_repr(self) -> str:
        name = getattr(self.function, "__qualname__", repr(self.function))
        return f"name={self.name!r}, function={name}"

    def get_config(self) -> dict[str, Any]:
        """The config, with functions recorded by name only (see the class docstring)."""
        output_shape = self.output_shape_arg
        if callable(output_shape):
            output_shape = _function_config(output_shape)
        mask = self.mask
        if callable(mask):
            mask = _function_config(mask)
        elif torch.is_tensor(mask):
            mask = mask.tolist()
        return {
            **super().get_config(),
            "function": _function_config(self.function),
            "output_shape": output_shape,
            "mask": mask,
            "arguments": self.arguments,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Lambda:
        """Rebuild a Lambda, finding its functions by name (never by running saved code).

        Functions are looked up among the active ``custom_object_scope`` and registered objects;
        only outside safe mode (``load_model(..., safe_mode=False)``) is a function imported
        from the module its config names.
        """
        config = dict(config)
        name = config.get("name", "lambda")
        config["function"] = _resolve_function(name, config.get("function"), "function")
        if isinstance(config.get("output_shape"), dict):
            config["output_shape"] = _resolve_function(name, config["output_shape"], "output_shape")
        mask = config.get("mask")
        if isinstance(mask, dict):
            config["mask"] = _resolve_function(name, mask, "mask")
        elif isinstance(mask, list):
            config["mask"] = torch.tensor(mask)
        return cls(**config)
