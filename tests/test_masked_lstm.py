"""Masked recurrent execution: equal to Keras 3, and to each sequence run alone."""

import numpy as np
import pytest
import torch

from kerastorch.layers import LSTM
from tests.helpers import assert_close

MASKS = {
    "post-padding": [
        [1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1],
        [1, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 0, 0],
    ],
    "pre-padding": [[0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1], [0, 0, 1, 1, 1, 1]],
    "holes": [[1, 0, 1, 0, 1, 1], [0, 1, 1, 0, 1, 0], [1, 1, 0, 1, 1, 1], [0, 0, 1, 0, 0, 0]],
    "empty-sequence": [
        [0, 0, 0, 0, 0, 0],
        [1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1],
        [1, 0, 0, 0, 0, 0],
    ],
}
CONFIGS = [
    {},
    {"return_sequences": True},
    {"return_state": True},
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True},
    {"go_backwards": True, "return_sequences": True, "return_state": True},
    {"activation": "relu", "return_sequences": True, "return_state": True},  # step-by-step path
]


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def twin_lstm(keras, units, features, **kwargs):
    keras_lstm = keras.layers.LSTM(units, **kwargs)
    keras_lstm.build((None, None, features))
    lstm = LSTM(units, **kwargs)
    lstm.build_from_shape((None, None, features))
    lstm.set_weights(keras_lstm.get_weights())
    return lstm, keras_lstm


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(c) or "default")
def test_masked_lstm_matches_keras(keras, mask_name, config):
    x = np.random.randn(4, 6, 3).astype("float32")
    mask = np.array(MASKS[mask_name], bool)
    lstm, keras_lstm = twin_lstm(keras, 5, 3, **config)
    expected = as_list(keras_lstm(x, mask=mask))
    actual = as_list(lstm(torch.from_numpy(x), mask=torch.from_numpy(mask)))
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert_close(a, e.detach())


@pytest.mark.parametrize("mask_name", ["pre-padding", "empty-sequence"])
@pytest.mark.parametrize(
    "config", [{"return_sequences": True}, {"return_state": True}], ids=["sequences", "state"]
)
def test_masked_lstm_with_initial_state_matches_keras(keras, mask_name, config):
    """Before the first valid step Keras outputs zeros, yet carries the initial state."""
    x = np.random.randn(4, 6, 3).astype("float32")
    mask = np.array(MASKS[mask_name], bool)
    h0, c0 = np.random.randn(4, 5).astype("float32"), np.random.randn(4, 5).astype("float32")
    lstm, keras_lstm = twin_lstm(keras, 5, 3, **config)
    expected = as_list(keras_lstm(x, mask=mask, initial_state=[h0, c0]))
    state = [torch.from_numpy(h0), torch.from_numpy(c0)]
    actual = as_list(lstm(torch.from_numpy(x), mask=torch.from_numpy(mask), initial_state=state))
    for a, e in zip(actual, expected, strict=True):
        assert_close(a, e.detach())


@pytest.mark.parametrize(
    "config", [{}, {"return_state": True}, {"activation": "relu"}], ids=["dense", "packed", "steps"]
)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_padded_batch_equals_each_sequence_alone(config, padding):
    """Same outputs and the same gradients as running every sequence unpadded, one by one."""
    torch.manual_seed(0)
    lengths = [5, 2, 7, 1]
    sequences = [torch.randn(n, 3) for n in lengths]
    lstm = LSTM(4, **config)
    lstm.build_from_shape((None, None, 3))

    def last_output(out):
        return out[0] if isinstance(out, list) else out

    alone = torch.cat([last_output(lstm(s[None])) for s in sequences])
    alone.square().sum().backward()
    grads_alone = [p.grad.clone() for p in lstm.parameters()]
    lstm.zero_grad()

    padded = torch.zeros(4, 7, 3)
    mask = torch.zeros(4, 7, dtype=torch.bool)
    for i, s in enumerate(sequences):
        steps = slice(0, len(s)) if padding == "post" else slice(7 - len(s), 7)
        padded[i, steps], mask[i, steps] = s, True
    batched = last_output(lstm(padded, mask=mask))
    batched.square().sum().backward()
    assert_close(batched, alone, atol=1e-6)
    for g_batch, g_alone in zip((p.grad for p in lstm.parameters()), grads_alone, strict=True):
        assert_close(g_batch, g_alone, atol=1e-5)


def test_mask_of_the_wrong_shape_is_a_clear_error():
    lstm = LSTM(2, name="encoder")
    with pytest.raises(
        ValueError,
        match=r"LSTM 'encoder' received a mask of shape \(2, 4\) for inputs of shape \(2, 5, 3\)",
    ):
        lstm(torch.zeros(2, 5, 3), mask=torch.ones(2, 4, dtype=torch.bool))


def test_right_padded_mask_runs_without_reordering(monkeypatch):
    """The common case (right padding) skips the compaction gather entirely."""
    lstm = LSTM(2)
    lstm.build_from_shape((None, None, 3))
    calls = []
    real_argsort = torch.argsort
    monkeypatch.setattr(torch, "argsort", lambda *a, **k: calls.append(1) or real_argsort(*a, **k))
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    lstm(torch.randn(2, 3, 3), mask=mask)
    assert calls == []
    lstm(torch.randn(2, 3, 3), mask=mask.flip(1))
    assert calls == [1]
