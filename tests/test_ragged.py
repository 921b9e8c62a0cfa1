"""Ragged input: lists of sequences of different lengths in fit / evaluate / predict."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense
from kerastorch.training.data import IndexedAdapter, RaggedData
from tests.helpers import assert_close


def ragged_sequences(count=23, features=3, low=1, high=12, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(low, high, size=count)
    return [rng.normal(size=(n, features)).astype("float32") for n in lengths]


def one_by_one(model, sequences):
    return np.concatenate([model.predict(s[None], verbose=0) for s in sequences])


def test_predict_on_a_ragged_list_equals_one_by_one_in_input_order():
    sequences = ragged_sequences()
    model = Sequential([Input((None, 3)), LSTM(5), Dense(2)])
    predicted = model.predict(sequences, batch_size=4, verbose=0)
    assert predicted.shape == (23, 2)
    assert_close(predicted, one_by_one(model, sequences), atol=1e-6)


def test_sequence_outputs_come_back_per_sequence_or_padded():
    sequences = ragged_sequences(count=9)
    model = Sequential([Input((None, 3)), LSTM(4, return_sequences=True), Dense(1)])
    outputs = model.predict(sequences, batch_size=4, verbose=0)
    assert isinstance(outputs, list) and len(outputs) == 9
    for seq, out in zip(sequences, outputs, strict=True):
        assert out.shape == (len(seq), 1)
        assert_close(out, model.predict(seq[None], verbose=0)[0], atol=1e-6)
    padded = model.predict(sequences, batch_size=4, verbose=0, pad_value=-1.0)
    longest = max(len(s) for s in sequences)
    assert padded.shape == (9, longest, 1)
    for seq, out, row in zip(sequences, outputs, padded, strict=True):
        assert_close(row[: len(seq)], out)
        assert (row[len(seq) :] == -1.0).all()


def test_fit_and_evaluate_on_ragged_data_match_keras_on_padded_data(keras):
    """Keras on the same sequences post-padded with Masking: the same loss (weights copied)."""
    sequences = ragged_sequences(count=16)
    y = np.random.default_rng(1).normal(size=(16, 1)).astype("float32")
    keras_model = keras.Sequential(
        [
            keras.Input((None, 3)),
            keras.layers.Masking(0.0),
            keras.layers.LSTM(4),
            keras.layers.Dense(1),
        ]
    )
    model = Sequential([Input((None, 3)), LSTM(4), Dense(1)])
    model.set_weights(keras_model.get_weights())
    padded = keras.utils.pad_sequences(sequences, padding="post", dtype="float32")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse")
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    assert_close(
        model.evaluate(sequences, y, verbose=0),
        keras_model.evaluate(padded, y, verbose=0),
        atol=1e-6,
    )
    # shuffle=False keeps the input order, so batches are the same as Keras's.
    expected = keras_model.fit(padded, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
    actual = model.fit(sequences, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
    assert_close(actual["loss"], expected["loss"], atol=1e-5)
    for a, e in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(a, e, atol=1e-5)


def test_one_fit_sees_batches_of_different_lengths_and_validation_split():
    sequences = ragged_sequences(count=40, low=2, high=30)
    y = np.array([s[:, 0].sum() for s in sequences], "float32")[:, None]
    model = Sequential([LSTM(8), Dense(1)])  # no input shape: built from the ragged data
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(sequences, y, batch_size=8, epochs=3, validation_split=0.25, verbose=0)
    assert len(history.history["val_loss"]) == 3
    assert model.input_shape == (None, None, 3)
    # The validation part is the last quarter of the list, evaluated as Keras would.
    val_loss = model.evaluate(sequences[30:], y[30:], verbose=0)
    assert_close(history.history["val_loss"][-1], val_loss, atol=1e-5)


def test_shuffled_batches_are_bucketed_by_length_and_reshuffled():
    lengths = np.random.default_rng(0).integers(10, 401, size=3000)
    data = RaggedData([np.zeros((n, 1), "float32") for n in lengths])
    adapter = IndexedAdapter(data, batch_size=32, shuffle=True, by_length=True)
    torch.manual_seed(0)
    epoch_1 = adapter.batch_indices()
    epoch_2 = adapter.batch_indices()
    # Every sequence once per epoch.
    assert sorted(torch.cat(epoch_1).tolist()) == list(range(3000))
    # Little padding: a bucketed batch is close to its longest sequence.
    lengths_t = torch.as_tensor(lengths)
    padding = sum(int(lengths_t[i].max()) * len(i) - int(lengths_t[i].sum()) for i in epoch_1)
    assert padding / lengths.sum() < 0.05  # unbucketed it would be about 0.9
    # A fresh random order of batches each epoch.
    assert [b.tolist() for b in epoch_1] != [b.tolist() for b in epoch_2]


def test_token_id_lists_are_padded_with_a_mask():
    data = RaggedData([[3, 1, 4], [1, 5], [9, 2, 6, 5]])
    batch = data.batch(torch.arange(3))
    assert batch.x.dtype == torch.int64
    assert batch.x.tolist() == [[3, 1, 4, 0], [1, 5, 0, 0], [9, 2, 6, 5]]
    assert batch.mask.sum(1).tolist() == [3, 2, 4]


def test_zero_length_sequence_gives_keras_result():
    """Keras's masked result for a sequence with no steps: zeros."""
    model = Sequential([Input((None, 2)), LSTM(3)])
    out = model.predict([np.zeros((0, 2), "float32"), np.ones((4, 2), "float32")], verbose=0)
    assert_close(out[0], np.zeros(3))
    assert np.abs(out[1]).sum() > 0


def test_ragged_items_with_different_features_name_the_index():
    sequences = [np.zeros((3, 2)), np.zeros((4, 2)), np.zeros((2, 5))]
    with pytest.raises(
        ValueError, match=r"x\[2\] has shape \(2, 5\) but x\[0\] has shape \(3, 2\)"
    ):
        Sequential([LSTM(2)]).predict(sequences, verbose=0)


def test_ragged_items_with_different_rank_name_the_index():
    sequences = [np.zeros((3, 2)), np.zeros(4)]
    with pytest.raises(ValueError, match=r"x\[1\] has shape \(4,\) but x\[0\] has shape \(3, 2\)"):
        Sequential([LSTM(2)]).predict(sequences, verbose=0)


def test_train_on_one_length_predict_on_others():
    model = Sequential([Input((None, 2)), LSTM(4), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.rand(16, 5, 2), np.random.rand(16, 1), epochs=1, verbose=0)
    for length in (1, 5, 17):
        x = np.random.rand(3, length, 2).astype("float32")
        assert_close(model.predict(x, verbose=0), one_by_one(model, list(x)), atol=1e-6)


def test_lengths_argument_equals_mask_and_is_checked():
    model = Sequential([Input((None, 3)), LSTM(4, return_sequences=True)])
    x = torch.randn(3, 6, 3)
    mask = torch.arange(6)[None] < torch.tensor([[6], [2], [0]])
    assert_close(model(x, lengths=[6, 2, 0]), model(x, mask=mask))
    with pytest.raises(
        ValueError,
        match=r"bad lengths= for inputs of shape \(3, 6, 3\).*<= maxlen=6, received length 9 \(at index 1\)",
    ):
        model(x, lengths=[6, 9, 1])
    with pytest.raises(ValueError, match=r"lengths must be >= 0, received -1"):
        model(x, lengths=[6, -1, 1])
