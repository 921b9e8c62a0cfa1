"""Recurrent layers: LSTM, GRU, SimpleRNN.

NOTE [recurrent execution paths]
    A recurrent layer with its default activations and no ``recurrent_dropout`` runs on torch's
    fused kernel (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``), with Keras's input dropout applied as one
    mask per sequence (the mask Keras draws once per call and reuses at every step). Any other
    configuration runs a step-by-step loop over the same weights: slower, never a different
    result. The step path serves: other activations (``nn.GRU`` only knows tanh / sigmoid,
    ``nn.RNN`` only tanh / relu), ``recurrent_dropout > 0``, and GRU's ``reset_after=False``
    (Keras 2's GRU, which applies the reset gate before the recurrent matmul: ``nn.GRU`` cannot
    express it).

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

    A sequence with no valid step keeps its initial state and outputs zeros, as in Keras.

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

from collections.abc import Sequence
from typing import Any

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

__all__ = ["GRU", "LSTM", "RecurrentLayer", "SimpleRNN"]


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


class RecurrentLayer(Layer):
    """What every Keras recurrent layer shares: the output flags, dropout, ``go_backwards``,
    masks, initial and stateful states.

    Subclasses set ``module_attr`` (the attribute holding the torch module, e.g. ``"lstm"``) and
    ``state_names``, and define ``build_cell(features)`` (create the module and its initial
    weights), ``step(projected_t, states, recurrent_mask)`` (one timestep of the step-by-step
    path, returning the new states, ``h`` first), ``keras_weights`` and ``load_keras_weights``.

    ``run(inputs, initial_state, training, lengths)`` returns ``(outputs, states)``: ``outputs``
    is ``(batch, timesteps, units)`` in processing order, exact up to each sequence's length, and
    ``states`` the states after each sequence's last valid step (``lengths=None``: every step is
    valid). See NOTE [masked execution].
    """

    keras_weight_roles = ("kernel", "recurrent_kernel", "bias")

    supports_masking = True
    module_attr = "rnn"
    state_names: tuple[str, ...] = ("h",)

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
        super().__init__(**kwargs)
        self.units = check_positive_int(self.describe(), "units", units)
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
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted for Keras compatibility; the fused kernel is used
        self.dropout = check_rate(self.describe(), "dropout", dropout)
        self.recurrent_dropout = check_rate(self.describe(), "recurrent_dropout", recurrent_dropout)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.seed = seed  # accepted for Keras compatibility (use kerastorch.utils.set_random_seed)
        self.fused = False

    def set_recurrent_activation(self, recurrent_activation: ActivationArg) -> None:
        """Store the gates' activation (LSTM, GRU) with the other activation arguments."""
        self.activation_args["recurrent_activation"] = recurrent_activation
        self.recurrent_activation = activations.get(recurrent_activation)

    def initializer(self, name: str) -> Any:
        """The initializer of ``kernel``, ``recurrent`` or ``bias``, resolved."""
        return initializers.get(self.initializer_args[f"{name}_initializer"])

    def _config_defaults(self) -> dict[str, Any]:
        # zero_output_for_mask reaches RecurrentLayer through **kwargs: its default is here.
        return {"zero_output_for_mask": False, **super()._config_defaults()}

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
        self.build_cell(int(input_shape[-1]))
        if self.stateful:
            for name in self.state_names:
                zeros = torch.zeros(batch, self.units)
                self.register_buffer(f"state_{name}", zeros, persistent=False)

    def build_cell(self, features: int) -> None:
        raise NotImplementedError

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

    def compute_output_shape(self, input_shape: Shape) -> Shape | list[Shape]:
        batch, timesteps = input_shape[0], input_shape[1]
        output = (batch, timesteps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * self.num_states
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

    def input_dropout_mask(self, inputs: torch.Tensor, training: bool) -> torch.Tensor | None:
        """Keras's input dropout: one mask per sequence, reused at every timestep."""
        if not training or self.dropout == 0.0:
            return None
        keep = 1.0 - self.dropout
        shape = (inputs.shape[0], 1, inputs.shape[2])
        return torch.empty(shape, device=inputs.device, dtype=inputs.dtype).bernoulli_(keep) / keep

    def check_initial_state(
        self, inputs: torch.Tensor, initial_state: Any, what: str = "initial_state"
    ) -> list[torch.Tensor]:
        """``initial_state`` as a list of ``(batch, units)`` tensors on the inputs' device."""
        states = [initial_state] if torch.is_tensor(initial_state) else list(initial_state)
        states = [torch.as_tensor(s, device=inputs.device, dtype=inputs.dtype) for s in states]
        expected = (inputs.shape[0], self.units)
        if len(states) != self.num_states or any(tuple(s.shape) != expected for s in states):
            names = ", ".join(self.state_names)
            raise ValueError(
                f"{self.describe()} expects {what} to be {self.num_states} tensor(s) [{names}] "
                f"of shape (batch, units) = {expected}, received "
                f"{[tuple(s.shape) for s in states]}."
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
        check_last_dim(self, inputs, self.input_dim, "features per timestep")
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
            return [output, *states]
        return output

    def run_masked(self, inputs, mask, initial_state, training):
        """NOTE [masked execution], steps 2 to 4."""
        mask = self.check_mask(inputs, mask)
        timesteps = mask.shape[1]
        lengths = mask.sum(dim=1)
        steps = torch.arange(timesteps, device=mask.device)
        right_padded = (mask == (steps < lengths[:, None])).all()
        longest, right_padded, any_empty = torch.stack(
            [lengths.max(), right_padded.long(), (lengths == 0).any().long()]
        ).tolist()  # one host sync for the three facts the path depends on
        if not right_padded:
            order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
            inputs = inputs.gather(1, order[..., None].expand(-1, -1, inputs.shape[-1]))
        inputs = inputs[:, : max(longest, 1)]
        outputs, states = self.run(inputs, initial_state, training, lengths=lengths.clamp(min=1))
        last_output = states[0]
        if any_empty:
            empty = (lengths == 0)[:, None]
            initial = self.initial_states(inputs, initial_state)
            # strict=False: without all states the dense path returns only h (step 3).
            states = [torch.where(empty, s0, s) for s0, s in zip(initial, states, strict=False)]
            last_output = torch.where(empty, 0.0, last_output)
        if not self.return_sequences:
            if self.zero_output_for_mask:  # Keras zeroes it when the last step is masked
                last_output = torch.where(mask[:, -1:], last_output, 0.0)
            return last_output, states
        # Position t shows the output of the last valid step at or before t; before the first
        # valid step Keras shows zeros (its "previous output" starts at zero, whatever the state).
        source = mask.long().cumsum(dim=1) - 1
        gathered = outputs.gather(1, source.clamp(min=0)[..., None].expand(-1, -1, self.units))
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

    def initial_states(self, inputs: torch.Tensor, initial_state) -> list[torch.Tensor]:
        if initial_state is not None:
            return list(initial_state)
        zeros = inputs.new_zeros(inputs.shape[0], self.units)
        return [zeros] * self.num_states

    def run(self, inputs: torch.Tensor, initial_state, training: bool, lengths=None):
        """NOTE [recurrent execution paths] and NOTE [masked execution], step 3."""
        dropout_mask = self.input_dropout_mask(inputs, training)
        if dropout_mask is not None:
            inputs = inputs * dropout_mask
        if not self.fused:
            return self.run_steps(inputs, initial_state, training, lengths)
        if recurrent_kernel_in_float32(inputs):  # NOTE [bfloat16 recurrent kernels]
            with torch.autocast("cpu", enabled=False):
                states = None if initial_state is None else [s.float() for s in initial_state]
                return self.run_fused(inputs.float(), states, lengths)
        return self.run_fused(inputs, initial_state, lengths)

    def run_fused(self, inputs: torch.Tensor, initial_state, lengths=None):
        """The fused torch kernel (NOTE [recurrent execution paths])."""
        module = self.module
        hx = None
        if initial_state is not None:
            torch_states = tuple(s.unsqueeze(0).contiguous() for s in initial_state)
            hx = torch_states if self.num_states > 1 else torch_states[0]
        if lengths is None:
            outputs, final = module(inputs, hx)
            return outputs, self._from_torch_states(final)
        if self.num_states > 1 and self.keeps_all_states:  # LSTM's c at each sequence's end
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

    def run_steps(self, inputs: torch.Tensor, initial_state, training: bool, lengths=None):
        """The step-by-step path (NOTE [recurrent execution paths]); with ``lengths``, a step past
        a sequence's end leaves its states unchanged."""
        module = self.module
        # One matmul for the input projection of every timestep; only the recurrent part stays
        # in the loop.
        projected = inputs @ module.weight_ih_l0.T
        if self.use_bias:
            projected = projected + module.bias_ih_l0
        states = self.initial_states(inputs, initial_state)
        recurrent_mask = None
        if training and self.recurrent_dropout > 0.0:
            keep = 1.0 - self.recurrent_dropout
            recurrent_mask = torch.empty_like(states[0]).bernoulli_(keep) / keep
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

    def step(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        recurrent_mask: torch.Tensor | None,
    ) -> list[torch.Tensor]:
        raise NotImplementedError

    def compute_mask(self, inputs: Any, mask: torch.Tensor | None) -> torch.Tensor | None:
        return mask if self.return_sequences else None

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            **{k: activation_config(v) for k, v in self.activation_args.items()},
            "use_bias": self.use_bias,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
        }


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
        zero_output_for_mask: Output zeros at masked steps instead of repeating the last output.
        seed: Accepted for Keras compatibility; use ``kerastorch.utils.set_random_seed``.
"""


def _document_sequence_args(cls: type[RecurrentLayer]) -> type[RecurrentLayer]:
    """Write :data:`_SEQUENCE_ARGS` into ``cls``'s docstring, at its ``{sequence_args}`` line."""
    if cls.__doc__:  # None under python -OO
        states = ", ".join(["output", *cls.state_names])
        cls.__doc__ = cls.__doc__.replace(
            "        {sequence_args}\n", _SEQUENCE_ARGS.format(states=states)
        )
    return cls


@_document_sequence_args
class LSTM(RecurrentLayer):
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

    module_attr = "lstm"
    state_names = ("h", "c")

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
        self.set_recurrent_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.fused = (
            _activation_name(activation) == "tanh"
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

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@_document_sequence_args
class GRU(RecurrentLayer):
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

    module_attr = "gru"

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
        self.set_recurrent_activation(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.fused = (
            _activation_name(activation) == "tanh"
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

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "reset_after": self.reset_after}


@_document_sequence_args
class SimpleRNN(RecurrentLayer):
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

    module_attr = "rnn"

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
        name = _activation_name(activation)
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
