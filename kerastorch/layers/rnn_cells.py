"""Recurrent cells: one timestep of LSTM, GRU and SimpleRNN (``LSTMCell``, ``GRUCell``,
``SimpleRNNCell``), ``StackedRNNCells``, and the math each built-in cell shares with its layer.

NOTE [cells and layers share their math]
    ``LSTMCell`` and ``LSTM`` compute with the same code on the same torch module:
    :class:`LSTMMath` (likewise :class:`GRUMath`, :class:`SimpleRNNMath`) holds the options,
    builds the ``nn.LSTM`` in Keras's layout, computes one step, and runs a whole sequence on the
    fused kernel (NOTE [recurrent execution paths]). It is a base of both the cell and the layer;
    the layer (``recurrent.py``) adds the sequence machinery: masks, states, ``go_backwards``. So
    ``RNN(LSTMCell(u))`` runs exactly what ``LSTM(u)`` runs, on the fused kernel when the options
    allow it, never a Python loop of cell calls. The layer keeps its torch module as its own
    attribute (``state_dict`` keys ``lstm.weight_ih_l0``, as before cells existed); a cell holds
    its own (``cell.lstm.weight_ih_l0`` inside ``RNN``).

NOTE [recurrent execution paths]
    A recurrent layer (or a built-in cell inside ``RNN``) with its default activations and no
    ``recurrent_dropout`` runs on torch's fused kernel (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``), with
    Keras's input dropout applied as one mask per sequence (the mask Keras draws once per call
    and reuses at every step). Any other configuration runs a step-by-step loop over the same
    weights: slower, never a different result. The step path serves: other activations
    (``nn.GRU`` only knows tanh / sigmoid, ``nn.RNN`` only tanh / relu), ``recurrent_dropout >
    0``, and GRU's ``reset_after=False`` (Keras 2's GRU, which applies the reset gate before the
    recurrent matmul: ``nn.GRU`` cannot express it). Inside a compiled training step
    (``compile(jit_compile=True)``, :func:`unrolled_recurrence`) every layer runs the step loop:
    the fused modules are opaque to the compiler, while the loop over a short, fixed time axis
    unrolls into a graph that it fuses with the rest of the step. (``torch.export`` and a
    user's ``torch.compile`` keep the fused kernels, and a dynamic time axis.)

NOTE [one bias per gate]
    Keras's LSTM and SimpleRNN have one bias per gate; torch's modules add two (``bias_ih`` +
    ``bias_hh``). Training both would double the bias's learning rate and change the parameter
    count, so ``bias_hh_l0`` is replaced by a zero buffer: it stays in ``state_dict`` (a plain
    torch module loads it) but is not a parameter, so optimizers never see it and parameter counts
    equal Keras's. GRU with ``reset_after=True`` (Keras 3's default) really has two biases in
    Keras too (its bias is ``(2, 3 * units)``: input bias and recurrent bias), so both torch
    biases are parameters there; ``reset_after=False`` has one bias and gets the zero buffer.

NOTE [GRU gate order]
    Keras orders GRU gates z (update), r (reset), h (candidate); torch orders them r, z, n. The
    torch module holds torch's order; ``get_weights`` / ``set_weights`` swap the first two blocks.

NOTE [the cell protocol]
    Keras's: a cell has ``state_size`` (an int, or a list of ints: one per state), optionally
    ``output_size`` and ``get_initial_state(batch_size)``, and is called on one timestep as
    ``cell(inputs, states)`` -> ``(output, new_states)``, with ``training`` passed only if its
    ``call`` declares it; ``states`` is a list, one ``(batch, size)`` tensor per state.
    :func:`call_cell` is the one place that calls a cell so: a user's Keras-style cell (a
    ``Layer`` with ``call(inputs, states)``) is called through its ``call``, as kerastorch's
    ``Layer.forward`` passes ``call`` the inputs only. A built-in cell called on its own draws new
    dropout masks at each call; inside ``RNN``'s step loop it draws them once per sequence, as
    Keras's ``DropoutRNNCell`` does (:func:`one_dropout_mask_per_sequence`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from kerastorch import activations, initializers
from kerastorch.layers.arguments import (
    ActivationArg,
    InitializerArg,
    activation_config,
    check_last_dim,
    check_positive_int,
    check_rate,
    initializer_config,
)
from kerastorch.layers.base import Layer, Shape
from kerastorch.mixed_precision import recurrent_kernel_in_float32
from kerastorch.saving.serialization import deserialize_layer, nested_layer_entry

__all__ = [
    "BuiltinCell",
    "CellMath",
    "GRUCell",
    "GRUMath",
    "LSTMCell",
    "LSTMMath",
    "SimpleRNNCell",
    "SimpleRNNMath",
    "StackedRNNCells",
    "call_cell",
    "check_cell",
    "flat_state_sizes",
    "flatten_states",
    "is_builtin_cell",
    "nest_states",
    "one_dropout_mask_per_sequence",
    "output_size_of",
]


def _activation_name(identifier: ActivationArg) -> str | None:
    """The canonical name of an activation argument: ``"TANH"`` -> ``"tanh"``."""
    return activations.serialize(activations.get(identifier))


def _swap_first_blocks(tensor: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Swap the first two of three gate blocks: Keras's z, r, h <-> torch's r, z, n."""
    first, second, third = tensor.chunk(3, dim=dim)
    return torch.cat([second, first, third], dim=dim)


def _replace_by_zero_buffer(module: nn.RNNBase, name: str) -> None:
    """NOTE [one bias per gate]: turn the parameter ``name`` into a constant zero buffer."""
    size = getattr(module, name).shape
    delattr(module, name)
    module.register_buffer(name, torch.zeros(size))
    module._init_flat_weights()


def _dropout_mask(like: torch.Tensor, rate: float) -> torch.Tensor | None:
    if rate == 0.0:
        return None
    keep = 1.0 - rate
    return torch.empty_like(like).bernoulli_(keep) / keep


# -- the math a built-in cell shares with its layer -----------------------------------------------


class CellMath:
    """One built-in recurrent cell's computation (NOTE [cells and layers share their math]): its
    options, its torch module in Keras's weight layout, one step, and a whole sequence.

    A base of both the cell (``LSTMCell``) and the layer (``LSTM``), next to ``Layer``. Families
    set ``module_attr`` (the attribute holding the torch module, e.g. ``"lstm"``) and
    ``state_names``, and define ``build_cell(features)`` (create the module and its initial
    weights), ``step(projected_t, states, recurrent_mask)`` (one timestep given the input
    projection, returning the new states, ``h`` first), ``keras_weights`` and
    ``load_keras_weights``.
    """

    keras_weight_roles = ("kernel", "recurrent_kernel", "bias")
    module_attr = "rnn"
    state_names: tuple[str, ...] = ("h",)

    def init_cell(
        self,
        units: int,
        activation: ActivationArg,
        use_bias: bool,
        kernel_initializer: InitializerArg,
        recurrent_initializer: InitializerArg,
        bias_initializer: InitializerArg,
        dropout: float,
        recurrent_dropout: float,
        seed: int | None,
    ) -> None:
        """Check and store the options every built-in cell has (called after ``Layer``'s init)."""
        where = self.describe()
        self.units = check_positive_int(where, "units", units)
        # Activation arguments as given, in get_config order (LSTM and GRU add
        # "recurrent_activation").
        self.activation_args: dict[str, ActivationArg] = {"activation": activation}
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.initializer_args = {
            "kernel_initializer": kernel_initializer,
            "recurrent_initializer": recurrent_initializer,
            "bias_initializer": bias_initializer,
        }
        self.dropout = check_rate(where, "dropout", dropout)
        self.recurrent_dropout = check_rate(where, "recurrent_dropout", recurrent_dropout)
        self.seed = seed  # accepted for Keras compatibility (use kerastorch.utils.set_random_seed)
        self.fused = False
        # Dropout masks kept for a whole sequence inside RNN's step loop (NOTE [the cell
        # protocol]); None: draw new ones at each call.
        self._sequence_masks: dict[str, torch.Tensor | None] | None = None

    def set_recurrent_activation(self, recurrent_activation: ActivationArg) -> None:
        """Store the gates' activation (LSTM, GRU) with the other activation arguments."""
        self.activation_args["recurrent_activation"] = recurrent_activation
        self.recurrent_activation = activations.get(recurrent_activation)

    def initializer(self, name: str) -> Any:
        """The initializer of ``kernel``, ``recurrent`` or ``bias``, resolved."""
        return initializers.get(self.initializer_args[f"{name}_initializer"])

    def cell_config(self) -> dict[str, Any]:
        """The options of :meth:`init_cell` (and the gates' activation), as ``get_config``
        writes them."""
        return {
            "units": self.units,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            **{k: activation_config(v) for k, v in self.activation_args.items()},
            "use_bias": self.use_bias,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }

    @property
    def num_states(self) -> int:
        return len(self.state_names)

    @property
    def module(self) -> nn.RNNBase:
        """The torch module holding the weights (``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``)."""
        return getattr(self, self.module_attr)

    @property
    def input_dim(self) -> int:
        return self.module.input_size

    # -- the family's part -------------------------------------------------------------------

    def build_cell(self, features: int) -> None:
        raise NotImplementedError

    def step(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        recurrent_mask: torch.Tensor | None,
    ) -> list[torch.Tensor]:
        raise NotImplementedError

    def keras_weights(self) -> list[torch.Tensor]:
        raise NotImplementedError

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        raise NotImplementedError

    # -- one step ----------------------------------------------------------------------------

    def project(self, inputs: torch.Tensor) -> torch.Tensor:
        """The input part of every gate, ``inputs @ kernel + bias``, for one step or for all."""
        module = self.module
        projected = inputs @ module.weight_ih_l0.T
        if self.use_bias:
            projected = projected + module.bias_ih_l0
        return projected

    def step_once(
        self, inputs: torch.Tensor, states: list[torch.Tensor], training: bool
    ) -> list[torch.Tensor]:
        """One timestep from ``(batch, features)`` inputs: the cell's ``call``."""
        input_mask = recurrent_mask = None
        if training and (self.dropout > 0.0 or self.recurrent_dropout > 0.0):
            cache = self._sequence_masks
            if cache:
                input_mask, recurrent_mask = cache["input"], cache["recurrent"]
            else:
                input_mask = _dropout_mask(inputs, self.dropout)
                recurrent_mask = _dropout_mask(states[0], self.recurrent_dropout)
                if cache is not None:
                    cache.update(input=input_mask, recurrent=recurrent_mask)
        if input_mask is not None:
            inputs = inputs * input_mask
        return self.step(self.project(inputs), states, recurrent_mask)

    # -- a whole sequence --------------------------------------------------------------------

    def zero_states(self, inputs: torch.Tensor) -> list[torch.Tensor]:
        zeros = inputs.new_zeros(inputs.shape[0], self.units)
        return [zeros] * self.num_states

    def input_dropout_mask(self, inputs: torch.Tensor, training: bool) -> torch.Tensor | None:
        """Keras's input dropout over a sequence: one mask per sequence, reused at every step."""
        if not training or self.dropout == 0.0:
            return None
        keep = 1.0 - self.dropout
        shape = (inputs.shape[0], 1, inputs.shape[2])
        return torch.empty(shape, device=inputs.device, dtype=inputs.dtype).bernoulli_(keep) / keep

    def run_sequence(
        self,
        inputs: torch.Tensor,
        initial_state: Sequence[torch.Tensor] | None,
        training: bool,
        lengths: torch.Tensor | None = None,
        all_states: bool = True,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Run over ``(batch, timesteps, features)`` inputs (NOTE [recurrent execution paths]).

        Returns ``(outputs, states)``: ``outputs`` is ``(batch, timesteps, units)``, exact up to
        each sequence's length, and ``states`` the states after each sequence's last valid step
        (``lengths=None``: every step is valid). ``initial_state=None`` starts from zeros. With
        ``lengths`` and ``all_states=False`` only ``h`` may be returned (NOTE [masked
        execution], step 3, in ``recurrent.py``).
        """
        dropout_mask = self.input_dropout_mask(inputs, training)
        if dropout_mask is not None:
            inputs = inputs * dropout_mask
        if not self.fused or unrolling():
            return self.run_steps(inputs, initial_state, training, lengths)
        if recurrent_kernel_in_float32(inputs):  # NOTE [bfloat16 recurrent kernels]
            with torch.autocast("cpu", enabled=False):
                states = None if initial_state is None else [s.float() for s in initial_state]
                return self.run_fused(inputs.float(), states, lengths, all_states)
        return self.run_fused(inputs, initial_state, lengths, all_states)

    def run_fused(
        self,
        inputs: torch.Tensor,
        initial_state: Sequence[torch.Tensor] | None,
        lengths: torch.Tensor | None = None,
        all_states: bool = True,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The fused torch kernel (NOTE [recurrent execution paths])."""
        module = self.module
        hx = None
        if initial_state is not None:
            torch_states = tuple(s.unsqueeze(0).contiguous() for s in initial_state)
            hx = torch_states if self.num_states > 1 else torch_states[0]
        if lengths is None:
            outputs, final = module(inputs, hx)
            return outputs, self._from_torch_states(final)
        if self.num_states > 1 and all_states:  # LSTM's c at each sequence's end
            packed = pack_padded_sequence(
                inputs, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            packed_outputs, final = module(packed, hx)
            outputs, _ = pad_packed_sequence(
                packed_outputs, batch_first=True, total_length=inputs.shape[1]
            )
            return outputs, self._from_torch_states(final)
        outputs, _ = module(inputs, hx)
        last = outputs.gather(1, (lengths - 1)[:, None, None].expand(-1, 1, self.units))[:, 0]
        return outputs, [last]

    @staticmethod
    def _from_torch_states(final: torch.Tensor | tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
        if torch.is_tensor(final):
            return [final[0]]
        return [s[0] for s in final]

    def run_steps(
        self,
        inputs: torch.Tensor,
        initial_state: Sequence[torch.Tensor] | None,
        training: bool,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The step-by-step path (NOTE [recurrent execution paths]); with ``lengths``, a step past
        a sequence's end leaves its states unchanged."""
        # One matmul for the input projection of every timestep; only the recurrent part stays
        # in the loop.
        projected = self.project(inputs)
        states = list(initial_state) if initial_state is not None else self.zero_states(inputs)
        recurrent_mask = None
        if training and self.recurrent_dropout > 0.0:
            recurrent_mask = _dropout_mask(states[0], self.recurrent_dropout)
        outputs = []
        for t in range(inputs.shape[1]):
            new_states = self.step(projected[:, t], states, recurrent_mask)
            if lengths is not None:
                valid = (t < lengths)[:, None]
                pairs = zip(new_states, states, strict=True)
                new_states = [torch.where(valid, new, old) for new, old in pairs]
            states = new_states
            outputs.append(states[0])
        return torch.stack(outputs, dim=1), states


class LSTMMath(CellMath):
    """The LSTM cell's math: gates i, f, c, o (the same order in Keras and torch), on
    ``nn.LSTM``; weights ``kernel (features, 4 * units)``, ``recurrent_kernel (units, 4 *
    units)``, ``bias (4 * units,)`` (NOTE [one bias per gate])."""

    module_attr = "lstm"
    state_names = ("h", "c")

    def init_lstm(self, recurrent_activation: ActivationArg, unit_forget_bias: bool) -> None:
        self.set_recurrent_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.fused = (
            _activation_name(self.activation_args["activation"]) == "tanh"
            and _activation_name(recurrent_activation) == "sigmoid"
            and self.recurrent_dropout == 0.0
        )

    def build_cell(self, features: int) -> None:
        units = self.units
        self.lstm = nn.LSTM(features, units, batch_first=True, bias=self.use_bias)
        if self.use_bias:
            _replace_by_zero_buffer(self.lstm, "bias_hh_l0")
        kernel, recurrent = self.initializer("kernel"), self.initializer("recurrent")
        weights = [kernel((features, 4 * units)), recurrent((units, 4 * units))]
        if self.use_bias:
            bias = self.initializer("bias")
            if self.unit_forget_bias:
                weights.append(torch.cat([bias((units,)), torch.ones(units), bias((2 * units,))]))
            else:
                weights.append(bias((4 * units,)))
        with torch.no_grad():
            self.load_keras_weights(weights)

    def step(self, projected, states, recurrent_mask):
        h, c = states
        h_in = h if recurrent_mask is None else h * recurrent_mask
        z = projected + h_in @ self.lstm.weight_hh_l0.T
        i, f, g, o = z.chunk(4, dim=1)
        i, f, o = (
            self.recurrent_activation(i),
            self.recurrent_activation(f),
            self.recurrent_activation(o),
        )
        c_new = f * c + i * self.activation(g)
        return [o * self.activation(c_new), c_new]

    def keras_weights(self) -> list[torch.Tensor]:
        weights = [self.lstm.weight_ih_l0.T, self.lstm.weight_hh_l0.T]
        return weights + ([self.lstm.bias_ih_l0] if self.use_bias else [])

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.lstm.weight_ih_l0.copy_(weights[0].T)
        self.lstm.weight_hh_l0.copy_(weights[1].T)
        if self.use_bias:
            self.lstm.bias_ih_l0.copy_(weights[2])


class GRUMath(CellMath):
    """The GRU cell's math on ``nn.GRU`` (NOTE [GRU gate order]): Keras 3's ``reset_after=True``
    runs on the kernel; ``reset_after=False`` (Keras 2's GRU) step by step. Weights ``kernel
    (features, 3 * units)``, ``recurrent_kernel (units, 3 * units)``, ``bias (2, 3 * units)``
    (input bias, recurrent bias), or ``(3 * units,)`` with ``reset_after=False``."""

    module_attr = "gru"

    def init_gru(self, recurrent_activation: ActivationArg, reset_after: bool) -> None:
        self.set_recurrent_activation(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.fused = (
            _activation_name(self.activation_args["activation"]) == "tanh"
            and _activation_name(recurrent_activation) == "sigmoid"
            and self.recurrent_dropout == 0.0
            and self.reset_after
        )

    def build_cell(self, features: int) -> None:
        units = self.units
        self.gru = nn.GRU(features, units, batch_first=True, bias=self.use_bias)
        if self.use_bias and not self.reset_after:
            _replace_by_zero_buffer(self.gru, "bias_hh_l0")
        kernel, recurrent = self.initializer("kernel"), self.initializer("recurrent")
        weights = [kernel((features, 3 * units)), recurrent((units, 3 * units))]
        if self.use_bias:
            bias = self.initializer("bias")
            weights.append(bias((2, 3 * units) if self.reset_after else (3 * units,)))
        with torch.no_grad():
            self.load_keras_weights(weights)

    def step(self, projected, states, recurrent_mask):
        (h,) = states
        h_in = h if recurrent_mask is None else h * recurrent_mask
        weight_hh, units = self.gru.weight_hh_l0, self.units
        x_r, x_z, x_n = projected.chunk(3, dim=1)  # torch's gate order (NOTE [GRU gate order])
        if self.reset_after:
            recurrent = h_in @ weight_hh.T
            if self.use_bias:
                recurrent = recurrent + self.gru.bias_hh_l0
            h_r, h_z, h_n = recurrent.chunk(3, dim=1)
            r = self.recurrent_activation(x_r + h_r)
            z = self.recurrent_activation(x_z + h_z)
            n = self.activation(x_n + r * h_n)
        else:
            h_r, h_z = (h_in @ weight_hh[: 2 * units].T).chunk(2, dim=1)
            r = self.recurrent_activation(x_r + h_r)
            z = self.recurrent_activation(x_z + h_z)
            n = self.activation(x_n + (r * h_in) @ weight_hh[2 * units :].T)
        return [z * h + (1.0 - z) * n]

    def keras_weights(self) -> list[torch.Tensor]:
        gru = self.gru
        weights = [
            _swap_first_blocks(gru.weight_ih_l0).T,
            _swap_first_blocks(gru.weight_hh_l0).T,
        ]
        if self.use_bias:
            input_bias = _swap_first_blocks(gru.bias_ih_l0)
            if self.reset_after:
                weights.append(torch.stack([input_bias, _swap_first_blocks(gru.bias_hh_l0)]))
            else:
                weights.append(input_bias)
        return weights

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        gru = self.gru
        gru.weight_ih_l0.copy_(_swap_first_blocks(weights[0].T))
        gru.weight_hh_l0.copy_(_swap_first_blocks(weights[1].T))
        if self.use_bias:
            if self.reset_after:
                gru.bias_ih_l0.copy_(_swap_first_blocks(weights[2][0]))
                gru.bias_hh_l0.copy_(_swap_first_blocks(weights[2][1]))
            else:
                gru.bias_ih_l0.copy_(_swap_first_blocks(weights[2]))


class SimpleRNNMath(CellMath):
    """The SimpleRNN cell's math, ``h_t = activation(x_t W + h_{t-1} U + b)``, on ``nn.RNN``
    (tanh or relu; any other activation step by step); weights ``kernel (features, units)``,
    ``recurrent_kernel (units, units)``, ``bias (units,)``."""

    module_attr = "rnn"

    def init_simple_rnn(self) -> None:
        name = _activation_name(self.activation_args["activation"])
        self.nonlinearity = name if name in ("tanh", "relu") else "tanh"
        self.fused = name in ("tanh", "relu") and self.recurrent_dropout == 0.0

    def build_cell(self, features: int) -> None:
        units = self.units
        self.rnn = nn.RNN(
            features, units, nonlinearity=self.nonlinearity, batch_first=True, bias=self.use_bias
        )
        if self.use_bias:
            _replace_by_zero_buffer(self.rnn, "bias_hh_l0")
        kernel, recurrent = self.initializer("kernel"), self.initializer("recurrent")
        weights = [kernel((features, units)), recurrent((units, units))]
        if self.use_bias:
            weights.append(self.initializer("bias")((units,)))
        with torch.no_grad():
            self.load_keras_weights(weights)

    def step(self, projected, states, recurrent_mask):
        (h,) = states
        h_in = h if recurrent_mask is None else h * recurrent_mask
        return [self.activation(projected + h_in @ self.rnn.weight_hh_l0.T)]

    def keras_weights(self) -> list[torch.Tensor]:
        weights = [self.rnn.weight_ih_l0.T, self.rnn.weight_hh_l0.T]
        return weights + ([self.rnn.bias_ih_l0] if self.use_bias else [])

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.rnn.weight_ih_l0.copy_(weights[0].T)
        self.rnn.weight_hh_l0.copy_(weights[1].T)
        if self.use_bias:
            self.rnn.bias_ih_l0.copy_(weights[2])


class _Unrolling:
    active = False


@contextlib.contextmanager
def unrolled_recurrence() -> Iterator[None]:
    """Within this context recurrent layers run their step loop, never the fused kernels (NOTE
    [recurrent execution paths]): a compiled training step traces them so."""
    previous, _Unrolling.active = _Unrolling.active, True
    try:
        yield
    finally:
        _Unrolling.active = previous


def unrolling() -> bool:
    """Whether :func:`unrolled_recurrence` is active."""
    return _Unrolling.active


# -- the cell protocol --------------------------------------------------------------------------


@functools.cache
def _takes_training(function: Any) -> bool:
    params = inspect.signature(function).parameters
    return "training" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )


def call_cell(
    cell: nn.Module, inputs: torch.Tensor, states: list[Any], training: bool
) -> tuple[torch.Tensor, Any]:
    """Call ``cell`` on one timestep as Keras's RNN does (NOTE [the cell protocol]): a
    Keras-style cell through its ``call(inputs, states[, training])``, any other (a built-in
    cell, ``StackedRNNCells``, a torch-style cell) through ``cell(inputs, states[, training])``.
    """
    cls = type(cell)
    if isinstance(cell, Layer) and cls.forward is Layer.forward:
        if _takes_training(cls.call):
            return cell.call(inputs, states, training=training)
        return cell.call(inputs, states)
    if _takes_training(cls.forward):
        return cell(inputs, states, training=training)
    return cell(inputs, states)


def flat_state_sizes(cell: Any, where: str = "RNN") -> list[int]:
    """The sizes of ``cell``'s states, flattened: ``LSTMCell(4)`` -> ``[4, 4]``, a stack of
    ``LSTMCell(4)`` and ``GRUCell(2)`` -> ``[4, 4, 2]``."""

    def flat(size: Any) -> list[int]:
        if isinstance(size, (list, tuple)):
            return [s for item in size for s in flat(item)]
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size > 0:
            return [int(size)]
        raise ValueError(
            f"{where}: expected the cell's state_size to be a positive int or a list of them (one "
            f"per state), received state_size={getattr(cell, 'state_size', None)!r}."
        )

    return flat(cell.state_size)


def output_size_of(cell: Any) -> int:
    """The size of a cell's output: its ``output_size``, else its first state's size (Keras)."""
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else flat_state_sizes(cell)[0]


def flatten_states(states: Any) -> list[Any]:
    """Nested lists of states (a stack's) as one flat list; a bare tensor as a list of one."""
    if isinstance(states, (list, tuple)):
        return [leaf for item in states for leaf in flatten_states(item)]
    return [states]


def nest_states(cell: Any, flat: Sequence[Any]) -> list[Any]:
    """``flat`` states in the structure Keras gives ``cell``: a list, one entry per state; for
    ``StackedRNNCells`` one entry per cell, itself a list, or a bare tensor for a cell with an
    int ``state_size`` and no ``get_initial_state`` (as Keras's ``RNN`` returns them).

    Example:
        >>> nest_states(StackedRNNCells([LSTMCell(2), GRUCell(3)]), ["h1", "c1", "h2"])
        [['h1', 'c1'], ['h2']]
    """
    leaves: Iterator[Any] = iter(flat)

    def entry(sub: Any) -> Any:
        if isinstance(sub, StackedRNNCells):
            return [entry(c) for c in sub.cells]
        values = [next(leaves) for _ in flat_state_sizes(sub)]
        bare = isinstance(sub.state_size, int) and not hasattr(sub, "get_initial_state")
        return values[0] if bare else values

    if isinstance(cell, StackedRNNCells):
        return [entry(c) for c in cell.cells]
    return list(flat)


@contextlib.contextmanager
def one_dropout_mask_per_sequence(cell: Any) -> Iterator[None]:
    """Inside the block, the built-in cells in ``cell`` draw their dropout masks at the first
    step and reuse them at every other (NOTE [the cell protocol])."""
    cells = [m for m in cell.modules() if isinstance(m, CellMath)]
    for sub in cells:
        sub._sequence_masks = {}
    try:
        yield
    finally:
        for sub in cells:
            sub._sequence_masks = None


def check_cell(where: str, cell: Any, arg: str = "cell") -> None:
    """Raise a clear error unless ``cell`` follows the cell protocol (NOTE [the cell
    protocol]): a module with ``state_size`` (ints) and ``call`` or ``forward``."""
    if not isinstance(cell, nn.Module):
        raise TypeError(
            f"{where}: expected {arg} to be a recurrent cell (e.g. LSTMCell(32), or a Layer with "
            f"call(inputs, states) and a state_size attribute), received {type(cell).__name__}."
        )
    if not hasattr(cell, "state_size"):
        raise ValueError(
            f"{where}: the cell {type(cell).__name__} has no state_size attribute; a cell sets "
            "self.state_size in __init__ (an int, or a list of ints: one per state), as in Keras."
        )
    forward = type(cell).forward
    if not callable(getattr(cell, "call", None)) and forward in (nn.Module.forward, Layer.forward):
        raise ValueError(
            f"{where}: the cell {type(cell).__name__} defines neither call(inputs, states) nor "
            "forward(inputs, states)."
        )
    flat_state_sizes(cell, where)


# -- the built-in cells -------------------------------------------------------------------------


class BuiltinCell(CellMath, Layer):
    """What ``LSTMCell``, ``GRUCell`` and ``SimpleRNNCell`` share: Keras's cell protocol (NOTE
    [the cell protocol]) on their family's math."""

    def __init__(
        self,
        units: int,
        activation: ActivationArg,
        use_bias: bool,
        kernel_initializer: InitializerArg,
        recurrent_initializer: InitializerArg,
        bias_initializer: InitializerArg,
        dropout: float,
        recurrent_dropout: float,
        seed: int | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.init_cell(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            dropout,
            recurrent_dropout,
            seed,
        )

    @property
    def state_size(self) -> int | list[int]:
        """``units`` for one state (GRU, SimpleRNN), ``[units, units]`` for LSTM's ``h`` and
        ``c``, as in Keras."""
        return self.units if self.num_states == 1 else [self.units] * self.num_states

    @property
    def output_size(self) -> int:
        return self.units

    def get_initial_state(self, batch_size: int | None = None) -> list[torch.Tensor]:
        """Zeros, one ``(batch_size, units)`` tensor per state, as in Keras."""
        device = self.module.weight_ih_l0.device if self.built else None
        return [torch.zeros(batch_size, self.units, device=device) for _ in self.state_names]

    def can_build(self, input_shape: Shape) -> bool:
        return input_shape[-1] is not None

    def build(self, input_shape: Shape) -> None:
        self.build_cell(int(input_shape[-1]))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output's shape, ``(batch, units)``; each new state has it too."""
        return (input_shape[0], self.units)

    def forward(
        self, inputs: torch.Tensor, states: Any, training: bool | None = None
    ) -> tuple[torch.Tensor, Any]:
        return self.call(inputs, states, training=self.is_training(training))

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool = False
    ) -> tuple[torch.Tensor, Any]:
        """One timestep: ``(batch, features)`` inputs and the states (a list, one ``(batch,
        units)`` tensor per state; GRU and SimpleRNN also take a bare tensor) -> ``(output,
        new_states)``, ``new_states`` in the structure ``states`` had (LSTM: always a list)."""
        if inputs.dim() != 2:
            raise ValueError(
                f"{self.describe()} computes one timestep and expects inputs of shape (batch, "
                f"features), received shape {tuple(inputs.shape)}. For a whole sequence use "
                f"RNN({self.cls_name}(...)) or the layer itself."
            )
        check_last_dim(self, inputs, self.input_dim, "features")
        nested = isinstance(states, (list, tuple))
        values = [torch.as_tensor(s, dtype=inputs.dtype) for s in (states if nested else [states])]
        values = [s.to(inputs.device) for s in values]
        expected = (inputs.shape[0], self.units)
        if len(values) != self.num_states or any(tuple(s.shape) != expected for s in values):
            names = ", ".join(self.state_names)
            raise ValueError(
                f"{self.describe()} expects states to be {self.num_states} tensor(s) [{names}] of "
                f"shape (batch, units) = {expected}, received {[tuple(s.shape) for s in values]}."
            )
        new = self.step_once(inputs, values, bool(training))
        return new[0], (new if nested or self.num_states > 1 else new[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.cell_config()}


class LSTMCell(LSTMMath, BuiltinCell):
    """One timestep of the LSTM layer (Keras's ``LSTMCell``): the same arguments, weights and
    math as :class:`~kerastorch.layers.LSTM`, whose sequence ``RNN(LSTMCell(units))`` runs on
    the same fused kernel (NOTE [cells and layers share their math]).

    Args:
        units: Size of the hidden state and of the output.
        activation: Cell and output activation (``tanh``).
        recurrent_activation: Gate activation (``sigmoid``).
        use_bias: Whether the gates have a bias (one per gate, as in Keras).
        kernel_initializer: Initializer of the ``(features, 4 * units)`` input kernel.
        recurrent_initializer: Initializer of the ``(units, 4 * units)`` recurrent kernel.
        bias_initializer: Initializer of the ``(4 * units,)`` bias.
        unit_forget_bias: Add 1 to the forget gate's bias at initialization.
        dropout: Fraction of the input features dropped in training.
        recurrent_dropout: Fraction of the state ``h`` dropped in training.
        seed: Accepted for Keras compatibility; use ``kerastorch.utils.set_random_seed``.

    Call arguments: ``inputs (batch, features)``, ``states = [h, c]``, each ``(batch, units)``;
    returns ``(h, [h, c])``. ``state_size`` is ``[units, units]``.

    Example:
        >>> cell = LSTMCell(4)
        >>> h, (h_again, c) = cell(torch.ones(2, 3), cell.get_initial_state(batch_size=2))
        >>> h.shape, bool((h == h_again).all())
        (torch.Size([2, 4]), True)
        >>> from kerastorch.layers import RNN
        >>> RNN(LSTMCell(4))(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
    """

    def __init__(
        self,
        units: int,
        activation: ActivationArg = "tanh",
        recurrent_activation: ActivationArg = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        recurrent_initializer: InitializerArg = "orthogonal",
        bias_initializer: InitializerArg = "zeros",
        unit_forget_bias: bool = True,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            dropout,
            recurrent_dropout,
            seed,
            **kwargs,
        )
        self.init_lstm(recurrent_activation, unit_forget_bias)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(GRUMath, BuiltinCell):
    """One timestep of the GRU layer (Keras's ``GRUCell``): the same arguments, weights and math
    as :class:`~kerastorch.layers.GRU` (NOTE [cells and layers share their math]).

    Args:
        units: Size of the hidden state and of the output.
        activation: Candidate activation (``tanh``).
        recurrent_activation: Gate activation (``sigmoid``).
        use_bias: Whether the gates have biases.
        kernel_initializer: Initializer of the ``(features, 3 * units)`` input kernel.
        recurrent_initializer: Initializer of the ``(units, 3 * units)`` recurrent kernel.
        bias_initializer: Initializer of the bias, ``(2, 3 * units)`` (input bias, recurrent
            bias) or ``(3 * units,)`` with ``reset_after=False``.
        dropout: Fraction of the input features dropped in training.
        recurrent_dropout: Fraction of the state dropped in training.
        reset_after: Apply the reset gate after the recurrent matmul (Keras 3, the default) or
            before it (Keras 2).
        seed: Accepted for Keras compatibility; use ``kerastorch.utils.set_random_seed``.

    Call arguments: ``inputs (batch, features)`` and ``states``, ``[h]`` or ``h``; returns
    ``(h, [h])`` or ``(h, h)`` in the structure given. ``state_size`` is ``units``.

    Example:
        >>> cell = GRUCell(4)
        >>> h, states = cell(torch.ones(2, 3), [torch.zeros(2, 4)])
        >>> h.shape, len(states)
        (torch.Size([2, 4]), 1)
    """

    def __init__(
        self,
        units: int,
        activation: ActivationArg = "tanh",
        recurrent_activation: ActivationArg = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        recurrent_initializer: InitializerArg = "orthogonal",
        bias_initializer: InitializerArg = "zeros",
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            dropout,
            recurrent_dropout,
            seed,
            **kwargs,
        )
        self.init_gru(recurrent_activation, reset_after)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "reset_after": self.reset_after}


class SimpleRNNCell(SimpleRNNMath, BuiltinCell):
    """One timestep of the SimpleRNN layer (Keras's ``SimpleRNNCell``): ``h = activation(x W +
    h_prev U + b)``, with :class:`~kerastorch.layers.SimpleRNN`'s arguments and weights (NOTE
    [cells and layers share their math]).

    Args:
        units: Size of the hidden state and of the output.
        activation: Activation (``tanh``); ``None`` is linear.
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the ``(features, units)`` input kernel.
        recurrent_initializer: Initializer of the ``(units, units)`` recurrent kernel.
        bias_initializer: Initializer of the ``(units,)`` bias.
        dropout: Fraction of the input features dropped in training.
        recurrent_dropout: Fraction of the state dropped in training.
        seed: Accepted for Keras compatibility; use ``kerastorch.utils.set_random_seed``.

    Call arguments: ``inputs (batch, features)`` and ``states``, ``[h]`` or ``h``; returns
    ``(h, [h])`` or ``(h, h)`` in the structure given. ``state_size`` is ``units``.

    Example:
        >>> cell = SimpleRNNCell(4, activation="relu")
        >>> h, h_again = cell(torch.ones(2, 3), torch.zeros(2, 4))
        >>> h.shape
        torch.Size([2, 4])
    """

    def __init__(
        self,
        units: int,
        activation: ActivationArg = "tanh",
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        recurrent_initializer: InitializerArg = "orthogonal",
        bias_initializer: InitializerArg = "zeros",
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            dropout,
            recurrent_dropout,
            seed,
            **kwargs,
        )
        self.init_simple_rnn()


def is_builtin_cell(cell: Any) -> bool:
    """Whether ``cell`` computes with its family's math unchanged (a subclass that overrides the
    step's ``call`` or ``forward`` is run as a user's cell)."""
    cls = type(cell)
    return (
        isinstance(cell, BuiltinCell)
        and cls.call is BuiltinCell.call
        and cls.forward is BuiltinCell.forward
    )


# -- a stack of cells ---------------------------------------------------------------------------


class StackedRNNCells(Layer):
    """Cells stacked into one cell: each cell's output is the next cell's input (Keras's
    ``StackedRNNCells``). ``RNN([cell_a, cell_b])`` makes one.

    The states are nested as Keras nests them: one entry per cell (``state_size`` is the list of
    the cells' ``state_size``); the weights are the first cell's, then the second's... A stack of
    built-in cells inside ``RNN`` runs cell after cell over the whole sequence, each on its
    fused kernel; a stack holding a user's cell runs step by step.

    Args:
        cells: The cells, first to last (at least one).

    Example:
        >>> from kerastorch.layers import RNN
        >>> stacked = StackedRNNCells([LSTMCell(8), GRUCell(4)])
        >>> stacked.state_size
        [[8, 8], 4]
        >>> output, h_lstm, h_gru = RNN(stacked, return_state=True)(torch.ones(2, 5, 3))
        >>> output.shape, len(h_lstm), len(h_gru)
        (torch.Size([2, 4]), 2, 1)
    """

    def __init__(self, cells: Sequence[nn.Module], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(cells, nn.Module) or not isinstance(cells, Sequence) or not cells:
            raise ValueError(
                f"{self.describe()}: expected cells to be a non-empty list of recurrent cells, "
                f"received cells={cells!r}."
            )
        for i, cell in enumerate(cells):
            check_cell(self.describe(), cell, f"cells[{i}]")
        self.cells = nn.ModuleList(cells)

    @property
    def state_size(self) -> list[Any]:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return output_size_of(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """Each cell's initial states (its ``get_initial_state``, else zeros), as in Keras."""
        states = []
        for cell in self.cells:
            get = getattr(cell, "get_initial_state", None)
            if get is not None:
                states.append(get(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(torch.zeros(batch_size, cell.state_size))
            else:
                states.append([torch.zeros(batch_size, s) for s in flat_state_sizes(cell)])
        return states

    def can_build(self, input_shape: Shape) -> bool:
        return input_shape[-1] is not None

    def build(self, input_shape: Shape) -> None:
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build_from_shape(tuple(input_shape))
            input_shape = (input_shape[0], output_size_of(cell))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.output_size)

    def forward(
        self, inputs: torch.Tensor, states: Sequence[Any], training: bool | None = None
    ) -> tuple[torch.Tensor, Any]:
        """One timestep through every cell; ``states`` holds one entry per cell."""
        training = self.is_training(training)
        if not isinstance(states, (list, tuple)) or len(states) != len(self.cells):
            raise ValueError(
                f"{self.describe()} expects states with one entry per cell ({len(self.cells)}), "
                f"received {type(states).__name__} of length {len(states)}."
            )
        new_states = []
        for cell, cell_states in zip(self.cells, states, strict=True):
            is_list = isinstance(cell_states, (list, tuple))
            inputs, out = call_cell(
                cell, inputs, list(cell_states) if is_list else [cell_states], training
            )
            out = out if isinstance(out, (list, tuple)) else [out]
            new_states.append(out[0] if len(out) == 1 and not is_list else list(out))
        return inputs, (new_states[0] if len(new_states) == 1 else new_states)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"  # the cells print themselves

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cells": [nested_layer_entry(c) for c in self.cells]}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> StackedRNNCells:
        """Rebuild from :meth:`get_config`; the cells' classes are found as ``RNN`` finds its
        cell's."""
        config = dict(config)
        config["cells"] = [
            deserialize_layer(c, custom_objects) if isinstance(c, Mapping) else c
            for c in config["cells"]
        ]
        return cls(**config)
