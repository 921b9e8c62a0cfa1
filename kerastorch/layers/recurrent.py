"""Recurrent layers: LSTM.

NOTE [recurrent execution paths]
    A recurrent layer with its default activations and no ``recurrent_dropout`` runs on torch's
    fused kernel (``nn.LSTM``), with Keras's input dropout applied as one mask per sequence (the
    mask Keras draws once per call and reuses at every step). Any other activation, or
    ``recurrent_dropout > 0``, runs a step-by-step loop over the same weights: slower, never a
    different result.

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
       padding after a sequence cannot change it. When the final cell state is needed
       (``return_state``), the batch is packed instead (``pack_padded_sequence``): measured on
       CPU, dense + gather is ~10x faster than packing, but only packing yields ``c`` at each
       sequence's own end.
    4. ``return_sequences`` outputs are gathered back to their original positions, repeating the
       last valid output over masked steps, as Keras does.

    A sequence with no valid step keeps its initial state and outputs zeros, as in Keras.

NOTE [one bias per gate]
    Keras has one bias per gate; torch's LSTM adds two (``bias_ih`` + ``bias_hh``). Training both
    would double the bias's learning rate and change the parameter count, so ``bias_hh_l0`` is
    replaced by a zero buffer: it stays in ``state_dict`` (a plain ``nn.LSTM`` loads it) but is not
    a parameter, so optimizers never see it and parameter counts equal Keras's.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from kerastorch import activations, initializers
from kerastorch.layers.base import Layer, Shape, check_positive_int, check_rate
from kerastorch.layers.core import (
    ActivationArg,
    InitializerArg,
    activation_config,
    check_last_dim,
    initializer_config,
)

__all__ = ["LSTM"]


class RecurrentLayer(Layer):
    """What every Keras recurrent layer shares: the output flags, dropout, ``go_backwards``.

    Subclasses define ``build`` and ``run(inputs, initial_state, training, lengths)`` returning
    ``(outputs, states)``: ``outputs`` is ``(batch, timesteps, units)`` in processing order, exact
    up to each sequence's length, and ``states`` the states after each sequence's last valid step
    (``lengths=None``: every step is valid). See NOTE [masked execution].
    """

    supports_masking = True

    def __init__(
        self,
        units: int,
        *,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_positive_int(self.describe(), "units", units)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        if stateful:
            raise NotImplementedError(f"{self.describe()}: stateful=True is not supported yet.")
        self.stateful = False
        self.unroll = bool(unroll)  # accepted for Keras compatibility; the fused kernel is used
        self.dropout = check_rate(self.describe(), "dropout", dropout)
        self.recurrent_dropout = check_rate(self.describe(), "recurrent_dropout", recurrent_dropout)

    def can_build(self, input_shape: Shape) -> bool:
        self.check_rank(len(input_shape), input_shape)
        return input_shape[-1] is not None

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

    num_states = 1

    def input_dropout_mask(self, inputs: torch.Tensor, training: bool) -> torch.Tensor | None:
        """Keras's input dropout: one mask per sequence, reused at every timestep."""
        if not training or self.dropout == 0.0:
            return None
        keep = 1.0 - self.dropout
        shape = (inputs.shape[0], 1, inputs.shape[2])
        return torch.empty(shape, device=inputs.device, dtype=inputs.dtype).bernoulli_(keep) / keep

    def forward(
        self,
        inputs: torch.Tensor,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
        initial_state: list[torch.Tensor] | None = None,
    ):
        self.check_rank(inputs.dim(), inputs.shape)
        check_last_dim(self, inputs, self.input_dim, "features per timestep")
        training = self.is_training(training)
        if self.go_backwards:
            inputs = inputs.flip(1)
            mask = None if mask is None else mask.flip(1)
        if mask is None:
            outputs, states = self.run(inputs, initial_state, training, lengths=None)
            output = outputs if self.return_sequences else outputs[:, -1]
        else:
            output, states = self.run_masked(inputs, mask, initial_state, training)
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
            # strict=False: without return_state the dense path returns only h (step 3).
            states = [torch.where(empty, s0, s) for s0, s in zip(initial, states, strict=False)]
            last_output = torch.where(empty, 0.0, last_output)
        if not self.return_sequences:
            return last_output, states
        # Position t shows the output of the last valid step at or before t; before the first
        # valid step Keras shows zeros (its "previous output" starts at zero, whatever the state).
        source = mask.long().cumsum(dim=1) - 1
        gathered = outputs.gather(1, source.clamp(min=0)[..., None].expand(-1, -1, self.units))
        return torch.where((source < 0)[..., None], 0.0, gathered), states

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
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


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
        dropout: Fraction of the input features dropped in training.
        recurrent_dropout: Fraction of the recurrent state dropped in training (step-by-step path).
        return_sequences: Return the output of every timestep ``(batch, timesteps, units)``
            instead of the last one ``(batch, units)``.
        return_state: Also return the final hidden and cell states: ``[output, h, c]``.
        go_backwards: Process the sequence from its end; with ``return_sequences`` the outputs are
            returned in that reversed order, as Keras does.

    Example:
        >>> lstm = LSTM(8, return_sequences=True)
        >>> lstm(torch.randn(4, 10, 3)).shape
        torch.Size([4, 10, 8])
        >>> output, h, c = LSTM(8, return_state=True)(torch.randn(4, 10, 3))
        >>> bool((output == h).all())
        True
    """

    num_states = 2

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
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            **kwargs,
        )
        self.activation_arg, self.recurrent_activation_arg = activation, recurrent_activation
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.initializer_args = {
            "kernel_initializer": kernel_initializer,
            "recurrent_initializer": recurrent_initializer,
            "bias_initializer": bias_initializer,
        }
        self.unit_forget_bias = bool(unit_forget_bias)
        self.fused = (
            activation_config(activation) == "tanh"
            and activation_config(recurrent_activation) == "sigmoid"
            and self.recurrent_dropout == 0.0
        )

    @property
    def input_dim(self) -> int:
        return self.lstm.input_size

    def build(self, input_shape: Shape) -> None:
        features, units = input_shape[-1], self.units
        self.lstm = nn.LSTM(features, units, batch_first=True, bias=self.use_bias)
        # NOTE [one bias per gate]: the hidden-to-hidden bias becomes a constant zero buffer.
        if self.use_bias:
            del self.lstm.bias_hh_l0
            self.lstm.register_buffer("bias_hh_l0", torch.zeros(4 * units))
            self.lstm._init_flat_weights()
        kernel = initializers.get(self.initializer_args["kernel_initializer"])
        recurrent = initializers.get(self.initializer_args["recurrent_initializer"])
        with torch.no_grad():
            self.lstm.weight_ih_l0.copy_(kernel((features, 4 * units)).T)
            self.lstm.weight_hh_l0.copy_(recurrent((units, 4 * units)).T)
            if self.use_bias:
                bias = initializers.get(self.initializer_args["bias_initializer"])
                if self.unit_forget_bias:
                    values = torch.cat([bias((units,)), torch.ones(units), bias((2 * units,))])
                else:
                    values = bias((4 * units,))
                self.lstm.bias_ih_l0.copy_(values)

    def run(self, inputs: torch.Tensor, initial_state, training: bool, lengths=None):
        dropout_mask = self.input_dropout_mask(inputs, training)
        if dropout_mask is not None:
            inputs = inputs * dropout_mask
        if initial_state is not None:
            h0, c0 = (s.unsqueeze(0) for s in initial_state)
            state = (h0.contiguous(), c0.contiguous())
        else:
            state = None
        if not self.fused:
            return self.run_steps(inputs, state, training, lengths)
        if lengths is None:
            outputs, (h, c) = self.lstm(inputs, state)
            return outputs, [h[0], c[0]]
        if self.return_state:  # the cell state at each sequence's end: pack
            packed = pack_padded_sequence(
                inputs, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            packed_outputs, (h, c) = self.lstm(packed, state)
            outputs, _ = pad_packed_sequence(
                packed_outputs, batch_first=True, total_length=inputs.shape[1]
            )
            return outputs, [h[0], c[0]]
        outputs, _ = self.lstm(inputs, state)
        last = outputs.gather(1, (lengths - 1)[:, None, None].expand(-1, 1, self.units))[:, 0]
        return outputs, [last]

    def run_steps(self, inputs: torch.Tensor, state, training: bool, lengths=None):
        """The step-by-step path (NOTE [recurrent execution paths]); with ``lengths``, a step past
        a sequence's end leaves its state unchanged."""
        batch, units = inputs.shape[0], self.units
        weight_hh = self.lstm.weight_hh_l0
        # One matmul for the input projection of every timestep; only h @ W_hh stays in the loop.
        projected = inputs @ self.lstm.weight_ih_l0.T
        if self.use_bias:
            projected = projected + self.lstm.bias_ih_l0
        if state is None:
            h = inputs.new_zeros(batch, units)
            c = inputs.new_zeros(batch, units)
        else:
            h, c = state[0][0], state[1][0]
        recurrent_mask = None
        if training and self.recurrent_dropout > 0.0:
            keep = 1.0 - self.recurrent_dropout
            recurrent_mask = torch.empty_like(h).bernoulli_(keep) / keep
        outputs = []
        for t in range(inputs.shape[1]):
            h_in = h if recurrent_mask is None else h * recurrent_mask
            z = projected[:, t] + h_in @ weight_hh.T
            i, f, g, o = z.chunk(4, dim=1)
            i, f, o = (
                self.recurrent_activation(i),
                self.recurrent_activation(f),
                self.recurrent_activation(o),
            )
            c_new = f * c + i * self.activation(g)
            h_new = o * self.activation(c_new)
            if lengths is None:
                h, c = h_new, c_new
            else:
                valid = (t < lengths)[:, None]
                h, c = torch.where(valid, h_new, h), torch.where(valid, c_new, c)
            outputs.append(h)
        return torch.stack(outputs, dim=1), [h, c]

    def keras_weights(self) -> list[torch.Tensor]:
        weights = [self.lstm.weight_ih_l0.T, self.lstm.weight_hh_l0.T]
        return weights + ([self.lstm.bias_ih_l0] if self.use_bias else [])

    def load_keras_weights(self, weights: list[torch.Tensor]) -> None:
        self.lstm.weight_ih_l0.copy_(weights[0].T)
        self.lstm.weight_hh_l0.copy_(weights[1].T)
        if self.use_bias:
            self.lstm.bias_ih_l0.copy_(weights[2])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "activation": activation_config(self.activation_arg),
            "recurrent_activation": activation_config(self.recurrent_activation_arg),
            "use_bias": self.use_bias,
            **{k: initializer_config(v) for k, v in self.initializer_args.items()},
            "unit_forget_bias": self.unit_forget_bias,
        }
