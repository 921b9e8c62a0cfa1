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
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from kerastorch import initializers

Shape = tuple[int | None, ...]

_NAME_COUNTS: defaultdict[str, int] = defaultdict(int)
_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def snake_case(name: str) -> str:
    """``"GlobalAveragePooling1D"`` -> ``"global_average_pooling1d"``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix: str) -> str:
    """Keras-style process-wide unique names: ``lstm``, ``lstm_1``, ``lstm_2``, ..."""
    count = _NAME_COUNTS[prefix]
    _NAME_COUNTS[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


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


def check_positive_int(layer: str, arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: expected a positive integer, received {arg}={value!r}.")
    return int(value)


def check_rate(layer: str, arg: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{layer}: expected 0 <= {arg} < 1, received {arg}={value!r}.")
    return float(value)


@functools.cache
def _call_arguments(cls: type) -> tuple[bool, bool]:
    """Whether ``cls.call`` declares ``mask`` / ``training`` (cached: not in the hot path)."""
    params = inspect.signature(cls.call).parameters
    return "mask" in params, "training" in params


class Layer(nn.Module):
    """Base class of all kerastorch layers; see NOTE [layer contract] in this module.

    Subclass it the Keras way: create weights in ``build`` with :meth:`add_weight`, compute in
    ``call`` (or ``forward``), describe shapes in ``compute_output_shape``.

    Example:
        >>> class Scale(Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")
        ...     def call(self, inputs):
        ...         return inputs * self.scale
        >>> Scale()(torch.ones(2, 3)).shape
        torch.Size([2, 3])
    """

    supports_masking: bool = False

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        input_shape: Sequence[int | None] | None = None,
        batch_input_shape: Sequence[int | None] | None = None,
        input_dim: int | None = None,
        dtype: Any = None,
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
        self.built = False
        self.build_input_shape: Shape | None = None
        self._keras_weight_names: list[str] = []
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
            self.build(input_shape)
            self._finish_build(input_shape)
        return self.built

    def _finish_build(self, input_shape: Shape) -> None:
        self.built = True
        self.build_input_shape = tuple(input_shape)
        self.trainable = self._trainable  # apply to the parameters build just created
        self.train(self.training)  # torch submodules made by build start in train mode
        self._build_hook.remove()

    def _build_on_first_call(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        inputs = args[0] if args else kwargs.get("inputs")
        if torch.is_tensor(inputs) and not self.built:
            shape = (None, *inputs.shape[1:])
            self.build(shape)
            self._finish_build(shape)
            if inputs.device.type != "cpu":
                self.to(device=inputs.device)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape``; ``None`` marks an unknown size."""
        return tuple(input_shape)

    # -- computing -------------------------------------------------------------------------------

    def forward(self, inputs: Any, mask: torch.Tensor | None = None, training: bool | None = None):
        return self._call_user(inputs, mask=mask, training=training)

    def _call_user(self, inputs: Any, mask: torch.Tensor | None, training: bool | None):
        """Route to a Keras-style ``call``, passing only the arguments it declares."""
        call = getattr(self, "call", None)
        if call is None:
            raise NotImplementedError(f"{self.describe()}: define call() or forward().")
        takes_mask, takes_training = _call_arguments(type(self))
        kwargs: dict[str, Any] = {}
        if takes_mask:
            kwargs["mask"] = mask
        if takes_training:
            kwargs["training"] = self.is_training(training)
        return call(inputs, **kwargs)

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
        name: str,
        shape: Sequence[int],
        initializer: Any = "glorot_uniform",
        trainable: bool = True,
        dtype: torch.dtype = torch.float32,
    ) -> nn.Parameter:
        """Create a weight in Keras layout and register it as a parameter named ``name``.

        Example:
            >>> layer = Layer()
            >>> layer.add_weight("kernel", (3, 2)).shape
            torch.Size([3, 2])
        """
        value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        param = nn.Parameter(value, requires_grad=trainable)
        self.register_parameter(name, param)
        self._keras_weight_names.append(name)
        return param

    def keras_weights(self) -> list[torch.Tensor]:
        """This layer's weights in Keras's layout and order (views of the parameters)."""
        return [getattr(self, name) for name in self._keras_weight_names]

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        """Copy weights given in Keras layout (already checked) into the parameters."""
        for name, value in zip(self._keras_weight_names, weights, strict=True):
            getattr(self, name).copy_(value)

    @property
    def weights(self) -> list[torch.Tensor]:
        return self.keras_weights() if self.built else []

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
        self._trainable = bool(value)
        for param in self.parameters():
            param.requires_grad_(self._trainable)

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

    # -- configuration ---------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments: ``type(layer)(**layer.get_config())`` makes an unbuilt twin."""
        return {"name": self.name, "trainable": self._trainable}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)
