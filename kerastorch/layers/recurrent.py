"""Recurrent layers: LSTM, GRU, SimpleRNN, and RNN for any cell.

The sequence machinery (masks, initial and stateful states, ``go_backwards``, the output flags)
is :class:`RecurrentLayer`'s; the cells' math (one step, the fused kernels, the weights in Keras's
layout) is in ``rnn_cells.py`` (NOTE [cells and layers share their math], NOTE [recurrent
execution paths]).

NOTE [masked execution]
    Keras's rule for a masked step: the state is carried over unchanged and the output repeats the
    previous output (the initial state's ``h`` before the first valid step). So a masked sequence
    computes exactly what its valid steps alone compute. kerastorch runs it that way on the fused
    kernel, never a Python loop over timesteps:

    1. ``go_backwards`` flips inputs and mask (Keras flips the padded sequence, then masks).
    2. Each sequence's valid steps are moved to the front, in order (a gather; skipped when the
       mask is already right-padding, the common case). This handles left padding and holes.
    3. The kernel runs densely over the batch, only as far as its longest sequence; each
       sequence's result is read at its own last valid step. Step t never sees later steps, so the
       padding after a sequence cannot change it. For GRU and SimpleRNN the output *is* the whole
       state, so this also yields their final state. LSTM's final cell state ``c`` (needed for
       ``return_state`` and ``stateful``) is not an output: the batch is packed instead
       (``pack_padded_sequence``). Measured on CPU, dense + gather is ~10x faster than packing,
       but only packing yields ``c`` at each sequence's own end.
    4. ``return_sequences`` outputs are gathered back to their original positions, repeating the
       last valid output over masked steps, as Keras does (zeros there with
       ``zero_output_for_mask=True``, which ``Bidirectional`` sets, as Keras's does).

    A sequence with no valid step keeps its initial state and outputs zeros, as in Keras. ``RNN``
    with a user's cell runs the same steps, its Python loop over timesteps standing for the kernel
    in step 3 (a step past a sequence's end leaves its states unchanged).

NOTE [stateful layers]
    With ``stateful=True`` the states after each batch become the initial states of the next
    batch, across batches and epochs, until ``reset_states()``. They live in non-persistent
    buffers (``state_h``, ``state_c``): they follow ``.to(device)`` but are not weights, not in
    ``state_dict`` and not trained; they are stored detached, so gradients never flow from one
    batch into the previous one. Sample ``i`` of a batch continues sample ``i`` of the previous
    batch, so the batch size is fixed when the layer is built: give the model
    ``Input(batch_shape=(batch, timesteps, features))`` or the first layer
    ``batch_input_shape=(...)``. A layer called directly on a tensor takes that tensor's batch
    size, as in Keras.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from kerastorch.layers.arguments import (
    ActivationArg,
    InitializerArg,
    check_last_dim,
)
from kerastorch.layers.base import Layer, Shape
from kerastorch.layers.rnn_cells import (
    CellMath,
    GRUMath,
    LSTMMath,
    SimpleRNNMath,
    StackedRNNCells,
    call_cell,
    check_cell,
    flat_state_sizes,
    flatten_states,
    is_builtin_cell,
    nest_states,
    one_dropout_mask_per_sequence,
    output_size_of,
    unrolling,
)
from kerastorch.saving.serialization import deserialize_layer, nested_layer_entry
from kerastorch.utils.naming import snake_case

__all__ = ["GRU", "LSTM", "RNN", "CellMathLayer", "RecurrentLayer", "SimpleRNN"]


def _flatten_given_states(value: Any) -> list[Any]:
    """A user's ``initial_state`` (one tensor, a list, or nested lists for stacked cells) as a
    flat list; tensors and arrays are leaves."""
    if torch.is_tensor(value) or isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flatten_given_states(item)]
    return [value]


class RecurrentLayer(Layer):
    """What every Keras recurrent layer shares: the output flags, ``go_backwards``, masks,
    initial and stateful states (NOTE [masked execution], NOTE [stateful layers]).

    Subclasses say what runs the sequence: ``state_sizes`` (the sizes of the states, flat),
    ``state_names`` (one per state: the stateful buffers are ``state_<name>``),
    ``output_size``, ``build_cells(input_shape)`` and ``run(inputs, initial_state, training,
    lengths)``, which returns ``(outputs, states)``: ``outputs`` is ``(batch, timesteps,
    output_size)`` in processing order, exact up to each sequence's length, and ``states`` the
    states after each sequence's last valid step (``lengths=None``: every step is valid; states
    may be incomplete when :attr:`keeps_all_states` is false). ``initial_state`` is a flat list of
    tensors, or None for the layer's own initial states.
    """

    supports_masking = True

    def __init__(
        self,
        *,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted for Keras compatibility; the fused kernel is used
        self.zero_output_for_mask = bool(zero_output_for_mask)

    def _config_defaults(self) -> dict[str, Any]:
        # zero_output_for_mask reaches LSTM, GRU and SimpleRNN through **kwargs: its default is
        # here.
        return {"zero_output_for_mask": False, **super()._config_defaults()}

    # -- what runs the sequence ------------------------------------------------------------------

    state_names: tuple[str, ...]

    @property
    def state_sizes(self) -> list[int]:
        raise NotImplementedError

    @property
    def output_size(self) -> int:
        raise NotImplementedError

    def build_cells(self, input_shape: Shape) -> None:
        raise NotImplementedError

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: list[torch.Tensor] | None,
        training: bool,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        raise NotImplementedError

    def initial_states(
        self, batch: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> list[torch.Tensor]:
        """The states a sequence starts from when none are given (zeros), flat."""
        return [torch.zeros(batch, size, device=device, dtype=dtype) for size in self.state_sizes]

    def nest(self, flat: list[Any]) -> list[Any]:
        """The flat states (or their shapes) in the structure ``return_state`` returns them."""
        return list(flat)

    @property
    def num_states(self) -> int:
        return len(self.state_sizes)

    @property
    def keeps_all_states(self) -> bool:
        """Whether every final state is needed, not only ``h`` (NOTE [masked execution], 3)."""
        return self.return_state or self.stateful

    # -- building --------------------------------------------------------------------------------

    def can_build(self, input_shape: Shape) -> bool:
        self.check_rank(len(input_shape), input_shape)
        return input_shape[-1] is not None

    def build(self, input_shape: Shape) -> None:
        batch = input_shape[0]
        if self.stateful and batch is None:
            dims = ", ".join("None" if d is None else str(d) for d in input_shape[1:])
            raise ValueError(
                f"{self.describe()} has stateful=True, which needs a fixed batch size (sample i "
                "of each batch continues sample i of the previous batch), but its input shape "
                f"{tuple(input_shape)} has none. Start the model with "
                f"Input(batch_shape=(batch_size, {dims})), or give the first layer "
                f"batch_input_shape=(batch_size, {dims})."
            )
        self.build_cells(input_shape)
        if self.stateful:
            for name, state in zip(self.state_names, self.initial_states(batch), strict=True):
                self.register_buffer(f"state_{name}", state, persistent=False)

    def check_rank(self, ndim: int, shape: Any) -> None:
        if ndim != 3:
            hint = ""
            if ndim == 2:
                hint = (
                    " For one feature per timestep, reshape x to (batch, timesteps, 1), e.g. "
                    "x[..., None]; for one timestep per sample, x[:, None, :]."
                )
            raise ValueError(
                f"{self.describe()} expects input of shape (batch, timesteps, features), "
                f"received an input of rank {ndim} with shape {tuple(shape)}.{hint}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape | list[Any]:
        batch, timesteps = input_shape[0], input_shape[1]
        size = self.output_size
        output = (batch, timesteps, size) if self.return_sequences else (batch, size)
        if self.return_state:
            return [output, *self.nest([(batch, s) for s in self.state_sizes])]
        return output

    # -- stateful layers -------------------------------------------------------------------------

    @property
    def states(self) -> list[torch.Tensor] | None:
        """The states carried to the next batch (``stateful=True``, once built), else None."""
        if not self.stateful or not self.built:
            return None
        return [getattr(self, f"state_{name}") for name in self.state_names]

    def reset_states(self, states: Sequence[Any] | None = None) -> None:
        """Reset the carried states to zeros (or to ``states``); see NOTE [stateful layers].

        A layer that is not stateful has nothing to reset, as in Keras.

        Example:
            >>> lstm = LSTM(3, stateful=True)
            >>> _ = lstm(torch.ones(2, 4, 1))
            >>> lstm.reset_states()
            >>> float(lstm.states[0].abs().sum())
            0.0
        """
        current = self.states
        if current is None:
            return
        if states is None:
            values = [torch.zeros_like(s) for s in current]
        else:
            values = self.check_initial_state(current[0], states, what="states")
        self.store_states(values)

    def check_batch_size(self, inputs: torch.Tensor) -> None:
        expected = self.states[0].shape[0]
        if inputs.shape[0] != expected:
            raise ValueError(
                f"{self.describe()} is stateful and was built for batches of {expected} samples "
                f"(its states hold {expected} sequences), but received a batch of "
                f"{inputs.shape[0]} samples (input shape {tuple(inputs.shape)}). Feed batches of "
                f"exactly {expected} samples, e.g. fit(..., batch_size={expected}, "
                f"shuffle=False) with a number of samples divisible by {expected}."
            )

    def store_states(self, states: Sequence[torch.Tensor]) -> None:
        with torch.no_grad():
            for name, value in zip(self.state_names, states, strict=True):
                buffer = getattr(self, f"state_{name}")
                if buffer.is_inference() and not torch.is_inference_mode_enabled():
                    # Created under inference_mode (a model built by predict): replace, as an
                    # inference tensor cannot be written outside inference mode.
                    setattr(self, f"state_{name}", value.detach().clone())
                else:
                    buffer.copy_(value.detach())

    # -- computing -------------------------------------------------------------------------------

    def check_initial_state(
        self, inputs: torch.Tensor, initial_state: Any, what: str = "initial_state"
    ) -> list[torch.Tensor]:
        """``initial_state`` as a flat list of ``(batch, size)`` tensors on the inputs' device
        (nested lists, as a stack of cells has them, are flattened)."""
        states = [
            torch.as_tensor(s, device=inputs.device, dtype=inputs.dtype)
            for s in _flatten_given_states(initial_state)
        ]
        expected = [(inputs.shape[0], size) for size in self.state_sizes]
        if [tuple(s.shape) for s in states] != expected:
            names = ", ".join(self.state_names)
            shapes = (
                f"of shape (batch, units) = {expected[0]}"
                if len(set(expected)) == 1
                else f"of shapes (batch, size) {expected}"
            )
            raise ValueError(
                f"{self.describe()} expects {what} to be {self.num_states} tensor(s) [{names}] "
                f"{shapes}, received {[tuple(s.shape) for s in states]}."
            )
        return states

    def forward(
        self,
        inputs: torch.Tensor,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
        initial_state: Sequence[torch.Tensor] | torch.Tensor | None = None,
    ):
        self.check_rank(inputs.dim(), inputs.shape)
        check_last_dim(self, inputs, self.build_input_shape[-1], "features per timestep")
        if inputs.shape[1] == 0:
            raise ValueError(
                f"{self.describe()} received sequences of 0 timesteps (input shape "
                f"{tuple(inputs.shape)}); a recurrent layer needs at least one step. Drop the "
                "empty sequences, or pad them to one step and mask it (Masking, or a list of "
                "sequences of different lengths)."
            )
        training = self.is_training(training)
        if initial_state is not None:
            initial_state = self.check_initial_state(inputs, initial_state)
        if self.stateful:
            self.check_batch_size(inputs)
            if initial_state is None:
                # A copy: the buffers are overwritten below while autograd may still need them.
                initial_state = [s.clone() for s in self.states]
        if self.go_backwards:
            inputs = inputs.flip(1)
            mask = None if mask is None else mask.flip(1)
        if mask is None:
            outputs, states = self.run(inputs, initial_state, training, lengths=None)
            output = outputs if self.return_sequences else outputs[:, -1]
        else:
            output, states = self.run_masked(inputs, mask, initial_state, training)
        if self.stateful:
            self.store_states(states)
        if self.return_state:
            return [output, *self.nest(states)]
        return output

    def run_masked(self, inputs, mask, initial_state, training):
        """NOTE [masked execution], steps 2 to 4."""
        mask = self.check_mask(inputs, mask)
        timesteps = mask.shape[1]
        lengths = mask.sum(dim=1)
        steps = torch.arange(timesteps, device=mask.device)
        if unrolling():
            # A traced training step takes the path exact for any mask, with no host sync.
            longest, right_padded, any_empty = timesteps, False, True
        else:
            right_padded = (mask == (steps < lengths[:, None])).all()
            longest, right_padded, any_empty = torch.stack(
                [lengths.max(), right_padded.long(), (lengths == 0).any().long()]
            ).tolist()  # one host sync for the three facts the path depends on
        if not right_padded:
            order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
            inputs = inputs.gather(1, order[..., None].expand(-1, -1, inputs.shape[-1]))
        inputs = inputs[:, : max(longest, 1)]
        valid_lengths = lengths.clamp(min=1)
        outputs, states = self.run(inputs, initial_state, training, lengths=valid_lengths)
        size = outputs.shape[-1]
        last_index = (valid_lengths - 1)[:, None, None].expand(-1, 1, size)
        last_output = outputs.gather(1, last_index)[:, 0]
        if any_empty:
            empty = (lengths == 0)[:, None]
            if self.keeps_all_states:
                if initial_state is None:
                    initial_state = self.initial_states(
                        inputs.shape[0], inputs.device, inputs.dtype
                    )
                pairs = zip(initial_state, states, strict=True)
                states = [torch.where(empty, s0, s) for s0, s in pairs]
            last_output = torch.where(empty, 0.0, last_output)
        if not self.return_sequences:
            if self.zero_output_for_mask:  # Keras zeroes it when the last step is masked
                last_output = torch.where(mask[:, -1:], last_output, 0.0)
            return last_output, states
        # Position t shows the output of the last valid step at or before t; before the first
        # valid step Keras shows zeros (its "previous output" starts at zero, whatever the state).
        source = mask.long().cumsum(dim=1) - 1
        gathered = outputs.gather(1, source.clamp(min=0)[..., None].expand(-1, -1, size))
        hidden = ~mask if self.zero_output_for_mask else source < 0
        return torch.where(hidden[..., None], 0.0, gathered), states

    def check_mask(self, inputs: torch.Tensor, mask: Any) -> torch.Tensor:
        mask = torch.as_tensor(mask, device=inputs.device)
        if tuple(mask.shape) != tuple(inputs.shape[:2]):
            raise ValueError(
                f"{self.describe()} received a mask of shape {tuple(mask.shape)} for inputs of "
                f"shape {tuple(inputs.shape)}; the mask must be (batch, timesteps) = "
                f"{tuple(inputs.shape[:2])}, True for real steps."
            )
        return mask if mask.dtype == torch.bool else mask != 0

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor | None:
        return mask if self.return_sequences else None

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }


class CellMathLayer(CellMath, RecurrentLayer):
    """A recurrent layer that is its own cell: ``LSTM``, ``GRU``, ``SimpleRNN``. The layer holds
    the cell's options and torch module and runs the cell's math over the sequence (NOTE [cells
    and layers share their math]); ``RNN`` with the matching cell runs the same code."""

    def __init__(
        self,
        units: int,
        *,
        activation: ActivationArg = "tanh",
        use_bias: bool = True,
        kernel_initializer: InitializerArg = "glorot_uniform",
        recurrent_initializer: InitializerArg = "orthogonal",
        bias_initializer: InitializerArg = "zeros",
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        zero_output_for_mask: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
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
    def state_sizes(self) -> list[int]:
        return [self.units] * len(self.state_names)

    @property
    def output_size(self) -> int:
        return self.units

    def build_cells(self, input_shape: Shape) -> None:
        self.build_cell(int(input_shape[-1]))

    def run(self, inputs, initial_state, training, lengths=None):
        return self.run_sequence(inputs, initial_state, training, lengths, self.keeps_all_states)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.cell_config()}


# The arguments every recurrent layer shares, documented once: each subclass's docstring has a
# ``{sequence_args}`` line where they are written (see _document_sequence_args).
_SEQUENCE_ARGS = """\
        dropout: Fraction of the input features dropped in training (one mask per sequence).
        recurrent_dropout: Fraction of the recurrent state dropped in training (step-by-step
            path). Keras draws one mask per gate when ``recurrent_dropout > 0``; kerastorch draws
            one mask shared by the gates (same rate, same expected value).
        return_sequences: Return the output of every timestep ``(batch, timesteps, units)``
            instead of the last one ``(batch, units)``.
        return_state: Also return the final state(s): ``[{states}]``.
        go_backwards: Process the sequence from its end; with ``return_sequences`` the outputs are
            returned in that reversed order, as Keras does.
        stateful: Carry the final states of each batch into the next (NOTE [stateful layers]);
            needs a fixed batch size (``Input(batch_shape=...)``).
        unroll: Accepted for Keras compatibility; the fused kernel is used.
        seed: Accepted for Keras compatibility; use ``kerastorch.utils.set_random_seed``.
        **kwargs: The base layer's arguments (``name``, ``dtype``, ``trainable``) and
            ``zero_output_for_mask``: output zeros at masked steps instead of repeating the last
            output (``Bidirectional`` sets it, as Keras's does).
"""


def _document_sequence_args(cls: type[CellMathLayer]) -> type[CellMathLayer]:
    """Write :data:`_SEQUENCE_ARGS` into ``cls``'s docstring, at its ``{sequence_args}`` line."""
    if cls.__doc__:  # None under python -OO
        states = ", ".join(["output", *cls.state_names])
        cls.__doc__ = cls.__doc__.replace(
            "        {sequence_args}\n", _SEQUENCE_ARGS.format(states=states)
        )
    return cls


@_document_sequence_args
class LSTM(LSTMMath, CellMathLayer):
    """Long Short-Term Memory layer, with Keras's arguments, defaults and weight layout.

    Input is ``(batch, timesteps, features)``, as in Keras (what torch calls ``batch_first``); the
    number of features is inferred from the first input, and the number of timesteps may change
    from batch to batch. Runs on ``nn.LSTM`` (see NOTE [recurrent execution paths]).

    Args:
        units: Size of the hidden state and of the output.
        activation: Cell and output activation (``tanh``).
        recurrent_activation: Gate activation (``sigmoid``).
        use_bias: Whether the gates have a bias (one per gate, as in Keras).
        kernel_initializer: Initializer of the ``(features, 4 * units)`` input kernel.
        recurrent_initializer: Initializer of the ``(units, 4 * units)`` recurrent kernel.
        bias_initializer: Initializer of the ``(4 * units,)`` bias.
        unit_forget_bias: Add 1 to the forget gate's bias at initialization.
        {sequence_args}

    Example:
        >>> lstm = LSTM(8, return_sequences=True)
        >>> lstm(torch.randn(4, 10, 3)).shape
        torch.Size([4, 10, 8])
        >>> output, h, c = LSTM(8, return_state=True)(torch.randn(4, 10, 3))
        >>> bool((output == h).all())
        True
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
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.init_lstm(recurrent_activation, unit_forget_bias)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@_document_sequence_args
class GRU(GRUMath, CellMathLayer):
    """Gated Recurrent Unit, with Keras 3's arguments, defaults and weight layout.

    Input is ``(batch, timesteps, features)``. With the defaults (``reset_after=True``, tanh,
    sigmoid, no ``recurrent_dropout``) it runs on ``nn.GRU``, which computes Keras 3's GRU
    exactly; anything else runs step by step over the same weights (NOTE [recurrent execution
    paths]). Weights are read and written in Keras's layout and gate order (NOTE [GRU gate
    order]): ``kernel (features, 3 * units)``, ``recurrent_kernel (units, 3 * units)``, ``bias
    (2, 3 * units)`` (input bias, recurrent bias), or ``(3 * units,)`` with ``reset_after=False``.

    Args:
        units: Size of the hidden state and of the output.
        activation: Candidate activation (``tanh``).
        recurrent_activation: Gate activation (``sigmoid``).
        use_bias: Whether the gates have biases.
        kernel_initializer: Initializer of the ``(features, 3 * units)`` input kernel.
        recurrent_initializer: Initializer of the ``(units, 3 * units)`` recurrent kernel.
        bias_initializer: Initializer of the bias.
        reset_after: Apply the reset gate after the recurrent matmul (Keras 3 and cuDNN, the
            default, with separate input and recurrent biases) or before it (Keras 2's default,
            one bias; step-by-step path).
        {sequence_args}

    Example:
        >>> gru = GRU(8, return_sequences=True)
        >>> gru(torch.randn(4, 10, 3)).shape
        torch.Size([4, 10, 8])
        >>> output, h = GRU(8, return_state=True)(torch.randn(4, 10, 3))
        >>> bool((output == h).all())
        True
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
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        reset_after: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.init_gru(recurrent_activation, reset_after)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "reset_after": self.reset_after}


@_document_sequence_args
class SimpleRNN(SimpleRNNMath, CellMathLayer):
    """Fully-connected RNN whose output is fed back: ``h_t = activation(x_t W + h_{t-1} U + b)``.

    Keras's arguments, defaults and weight layout (``kernel (features, units)``,
    ``recurrent_kernel (units, units)``, ``bias (units,)``). Runs on ``nn.RNN`` when the
    activation is ``tanh`` or ``relu`` and there is no ``recurrent_dropout``, step by step
    otherwise (NOTE [recurrent execution paths]); one bias, as in Keras (NOTE [one bias per gate]).

    Args:
        units: Size of the hidden state and of the output.
        activation: Activation (``tanh``); ``None`` is linear.
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the ``(features, units)`` input kernel.
        recurrent_initializer: Initializer of the ``(units, units)`` recurrent kernel.
        bias_initializer: Initializer of the ``(units,)`` bias.
        {sequence_args}

    Example:
        >>> rnn = SimpleRNN(4, activation="relu")
        >>> rnn(torch.randn(2, 6, 3)).shape
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
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.init_simple_rnn()


class RNN(RecurrentLayer):
    """Runs a cell over a sequence (Keras's ``RNN``): a built-in cell, a list of cells (stacked
    with :class:`~kerastorch.layers.StackedRNNCells`), or your own.

    ``RNN(LSTMCell(u))`` computes exactly what ``LSTM(u)`` computes, with the same code, on the
    fused kernel when the cell's options allow it (NOTE [cells and layers share their math]); so
    do ``RNN(GRUCell(u))`` and ``RNN(SimpleRNNCell(u))``, and a stack of built-in cells runs cell
    after cell, each on its kernel. A cell of your own is a ``Layer`` with ``state_size`` and
    ``call(inputs, states)`` returning ``(output, new_states)`` (NOTE [the cell protocol]); it runs
    step by step, a Python loop over timesteps. Masks follow Keras's rule (a masked step keeps
    the states and repeats the previous output, NOTE [masked execution]) for every cell.

    Weights (``get_weights``) are the cell's, in Keras's order; ``state_dict`` keys read
    ``cell.lstm.weight_ih_l0`` (``cell.cells.0...`` for a stack, ``cell.kernel`` for a cell
    whose ``build`` calls ``add_weight(name="kernel")``).

    Args:
        cell: A cell, or a list of cells (first to last).
        return_sequences: Return the output of every timestep ``(batch, timesteps, size)``
            instead of the last one.
        return_state: Also return the final states: ``[output, *states]``, the states nested per
            cell for a stack, as in Keras.
        go_backwards: Process the sequence from its end (outputs in that reversed order).
        stateful: Carry the final states of each batch into the next (NOTE [stateful layers]).
        unroll: Accepted for Keras compatibility.
        zero_output_for_mask: Output zeros at masked steps instead of repeating the last output.

    Input shape: ``(batch, timesteps, features)``. Call arguments: ``mask``, ``training``,
    ``initial_state`` (a list of tensors, flat or nested per cell).

    Example:
        >>> from kerastorch.layers import Layer, LSTMCell
        >>> RNN(LSTMCell(8), return_sequences=True)(torch.randn(4, 10, 3)).shape
        torch.Size([4, 10, 8])
        >>> class MinimalRNNCell(Layer):  # Keras's guide "Custom RNN cells"
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...         self.state_size = units
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(
        ...             shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        ...         )
        ...         self.recurrent_kernel = self.add_weight(
        ...             shape=(self.units, self.units), initializer="uniform",
        ...             name="recurrent_kernel",
        ...         )
        ...     def call(self, inputs, states):
        ...         output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        ...         return output, [output]
        >>> RNN(MinimalRNNCell(32))(torch.randn(4, 10, 5)).shape
        torch.Size([4, 32])
    """

    def __init__(
        self,
        cell: nn.Module | Sequence[nn.Module],
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
        if isinstance(cell, RecurrentLayer):
            raise TypeError(
                f"{self.describe()}: expected cell to be a recurrent cell, received the layer "
                f"{cell.cls_name}, which runs a whole sequence itself. Give RNN the layer's cell "
                "(LSTMCell(32) for LSTM(32)), or use the layer directly."
            )
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        check_cell(self.describe(), cell)
        self.cell = cell

    # -- the cell --------------------------------------------------------------------------------

    @property
    def state_sizes(self) -> list[int]:
        return flat_state_sizes(self.cell, self.describe())

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(str(i) for i in range(len(self.state_sizes)))

    @property
    def output_size(self) -> int:
        return output_size_of(self.cell)

    @property
    def builtin_cells(self) -> list[CellMath] | None:
        """The cell, or the stack's cells, when every one is a built-in cell (run on its own
        math, NOTE [cells and layers share their math]); None otherwise."""
        cells = list(self.cell.cells) if isinstance(self.cell, StackedRNNCells) else [self.cell]
        return cells if all(is_builtin_cell(c) for c in cells) else None

    @property
    def fused(self) -> bool:
        """Whether the sequence runs on fused torch kernels only (NOTE [recurrent execution
        paths])."""
        cells = self.builtin_cells
        return cells is not None and all(c.fused for c in cells)

    @property
    def module(self) -> nn.RNNBase | None:
        """The torch module of a single built-in cell (None for a stack or a user's cell)."""
        cells = self.builtin_cells
        return cells[0].module if cells is not None and len(cells) == 1 else None

    def build_cells(self, input_shape: Shape) -> None:
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build_from_shape((input_shape[0], *input_shape[2:]))

    def initial_states(
        self, batch: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> list[torch.Tensor]:
        """The cell's ``get_initial_state(batch_size)``, flat; zeros if it has none."""
        get = getattr(self.cell, "get_initial_state", None)
        if get is None:
            return super().initial_states(batch, device, dtype)
        states = [torch.as_tensor(s) for s in flatten_states(get(batch_size=batch))]
        return [s.to(device=device or s.device, dtype=dtype or s.dtype) for s in states]

    def get_initial_state(self, batch_size: int) -> list[Any]:
        """The states a sequence starts from, nested as the cell takes them (Keras's method)."""
        return nest_states(self.cell, self.initial_states(batch_size))

    def nest(self, flat: list[Any]) -> list[Any]:
        return nest_states(self.cell, flat)

    # -- computing -------------------------------------------------------------------------------

    def run(self, inputs, initial_state, training, lengths=None):
        cells = self.builtin_cells
        if cells is None:
            return self.run_loop(inputs, initial_state, training, lengths)
        # Built-in cells run as their layers do, one after the other over the whole sequence.
        states: list[torch.Tensor] = []
        for cell in cells:
            given = None
            if initial_state is not None:
                given, initial_state = (
                    initial_state[: cell.num_states],
                    initial_state[cell.num_states :],
                )
            inputs, final = cell.run_sequence(
                inputs, given, training, lengths, self.keeps_all_states
            )
            states += final
        return inputs, states

    def run_loop(self, inputs, initial_state, training, lengths=None):
        """A user's cell (or a stack holding one), called at every timestep (NOTE [the cell
        protocol]); with ``lengths``, a step past a sequence's end leaves its states unchanged."""
        cell = self.cell
        states = list(initial_state) if initial_state is not None else None
        if states is None:
            states = self.initial_states(inputs.shape[0], inputs.device, inputs.dtype)
        outputs = []
        with one_dropout_mask_per_sequence(cell):
            for t in range(inputs.shape[1]):
                output, new = call_cell(cell, inputs[:, t], nest_states(cell, states), training)
                new = flatten_states(new)
                if len(new) != len(states):
                    raise ValueError(
                        f"{self.describe()}: the cell {type(cell).__name__} returned "
                        f"{len(new)} new state(s), but its state_size {cell.state_size!r} "
                        f"announces {len(states)}."
                    )
                if lengths is not None:
                    valid = (t < lengths)[:, None]
                    new = [torch.where(valid, n, s) for n, s in zip(new, states, strict=True)]
                states = new
                outputs.append(output)
        return torch.stack(outputs, dim=1), states

    # -- saving ----------------------------------------------------------------------------------

    def keras_weight_groups(self) -> list[tuple[str, int]]:
        """Where Keras's weights files keep this layer's variables, with how many each group
        holds: ``cell``, or for a stack ``cell/cells/<cell>`` per cell (named after its class,
        numbered as Keras numbers them: ``lstm_cell``, ``lstm_cell_1``...)."""
        cell = self.cell
        if not isinstance(cell, StackedRNNCells):
            return [("cell", len(cell.weights))]
        used: dict[str, int] = {}
        groups = []
        for sub in cell.cells:
            key = snake_case(type(sub).__name__)
            used[key] = used.get(key, -1) + 1
            suffix = f"_{used[key]}" if used[key] else ""
            groups.append((f"cell/cells/{key}{suffix}", len(sub.weights)))
        return groups

    def extra_repr(self) -> str:
        defaults = self._config_defaults()
        shown = [
            f"{k}={v!r}"
            for k, v in self.get_config().items()
            if k not in ("name", "trainable", "cell") and defaults.get(k, object()) != v
        ]
        return ", ".join([f"name={self.name!r}", *shown])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cell": nested_layer_entry(self.cell)}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> RNN:
        """Rebuild from :meth:`get_config`; the cell's class is found among kerastorch's layers,
        ``custom_objects``, an active ``custom_object_scope`` and the registered classes (as
        ``Bidirectional`` finds its layer)."""
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, Mapping):
            cell = deserialize_layer(cell, custom_objects)
        return cls(cell, **config)
