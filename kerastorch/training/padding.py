"""Which padded steps a model masks from its data, and whether cutting them away is exact.

NOTE [trimming rule]
    A model masks padding from its data when its first layer is ``Masking(mask_value)`` or
    ``Embedding(mask_zero=True)``: the valid steps of each row are then known from the array
    alone (NOTE [padded arrays] in ``data/padded.py``), and shuffled batches are grouped by
    length. A batch may also be cut to its valid steps (the steps that are padding in every row
    of the batch dropped, at either end) only when no result can depend on them, which is
    decided conservatively from the layers that follow, in order:

    1. Layers that work step by step and pass the mask on unchanged: ``Dense``, ``Activation``,
       ``ReLU``, ``LeakyReLU``, ``ELU``, ``Identity``, ``Dropout`` (without ``noise_shape``),
       ``SpatialDropout1D``, ``GaussianNoise``, ``GaussianDropout``, ``LayerNormalization`` over
       the last axis, and ``LSTM`` / ``GRU`` / ``SimpleRNN`` / ``Bidirectional`` of them with
       ``return_sequences=True`` (not ``stateful``, not ``go_backwards``). A valid step's output
       never depends on a step that is padding in every row (a recurrent layer carries its
       state over masked steps); the padded steps' outputs stay masked.
    2. Then a layer that removes the time axis using the mask: one of those recurrent layers
       with ``return_sequences=False`` (``go_backwards`` allowed: the padding it reads first or
       last only carries the state), or ``GlobalAveragePooling1D`` (averages the valid steps).
    3. After it, any layers: the time axis is gone.

    Anything else before the time axis is gone (``Flatten``, ``Conv1D``, pooling, attention,
    ``TimeDistributed``, a user's layer, a stateful layer, ...), or an output that keeps the
    time axis, means no cutting: the batches keep every step, as in Keras. Random layers
    (dropout, noise) draw for fewer steps on a cut batch: the same distribution, other draws.
    Models other than ``Sequential`` and single-input, single-output chains of layers built
    with the functional API are never cut.
"""

from __future__ import annotations

from typing import Any

from kerastorch.layers.activation_layers import ELU, LeakyReLU, ReLU
from kerastorch.layers.base import Layer
from kerastorch.layers.core import Activation, Dense, Dropout, Identity
from kerastorch.layers.embedding import Embedding
from kerastorch.layers.masking import Masking
from kerastorch.layers.normalization import LayerNormalization
from kerastorch.layers.pooling import GlobalAveragePooling1D
from kerastorch.layers.recurrent import GRU, LSTM, SimpleRNN
from kerastorch.layers.regularization import GaussianDropout, GaussianNoise, SpatialDropout1D
from kerastorch.layers.wrappers import Bidirectional
from kerastorch.training.data.padded import PaddingRule

__all__ = ["padding_rule"]

_STEPWISE = (
    Dense,
    Activation,
    ReLU,
    LeakyReLU,
    ELU,
    Identity,
    SpatialDropout1D,
    GaussianNoise,
    GaussianDropout,
)


def padding_rule(model: Any) -> PaddingRule | None:
    """How ``model`` masks padding in its input, or None when its mask does not come from the
    data alone (NOTE [trimming rule]).

    Example:
        >>> from kerastorch import Sequential
        >>> from kerastorch.layers import LSTM, Dense, Masking
        >>> padding_rule(Sequential([Masking(-1.0), LSTM(4), Dense(1)]))
        PaddingRule(mask_value=-1.0, features=True, trim=True)
        >>> padding_rule(Sequential([Masking(), LSTM(4, return_sequences=True)])).trim
        False
    """
    layer_chain = getattr(model, "layer_chain", None)
    layers = layer_chain() if callable(layer_chain) else None
    if not layers:
        return None
    first = layers[0]
    if type(first) is Masking:
        mask_value, features = float(first.mask_value), True
    elif type(first) is Embedding and first.mask_zero:
        mask_value, features = 0.0, False
    else:
        return None
    return PaddingRule(mask_value, features, trim=_cut_is_exact(layers[1:]))


def _cut_is_exact(layers: list[Layer]) -> bool:
    for layer in layers:
        if _reduces_time(layer):
            return True
        if not _keeps_steps_apart(layer):
            return False
    return False  # the output keeps the padded time axis


def _recurrent(layer: Layer) -> Layer | None:
    """The recurrent layer that runs ``layer`` (itself, or both halves of a Bidirectional),
    when it is one whose masked steps only carry its state."""
    if type(layer) is Bidirectional:
        halves = (layer.forward_layer, layer.backward_layer)
        if all(type(half) in (LSTM, GRU, SimpleRNN) and not half.stateful for half in halves):
            return layer.forward_layer
        return None
    if type(layer) in (LSTM, GRU, SimpleRNN) and not layer.stateful:
        return layer
    return None


def _reduces_time(layer: Layer) -> bool:
    if type(layer) is GlobalAveragePooling1D:
        return not layer.keepdims and layer.data_format == "channels_last"
    recurrent = _recurrent(layer)
    return recurrent is not None and not recurrent.return_sequences


def _keeps_steps_apart(layer: Layer) -> bool:
    recurrent = _recurrent(layer)
    if recurrent is not None:
        # go_backwards with return_sequences reverses the time axis: the padding moves.
        return type(layer) is Bidirectional or not recurrent.go_backwards
    if type(layer) is Dropout:
        return layer.noise_shape is None
    if type(layer) is LayerNormalization:
        return layer.axis in (-1, [-1], 2, [2])
    return type(layer) in _STEPWISE
