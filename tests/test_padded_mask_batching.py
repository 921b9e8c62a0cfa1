"""Padded arrays masked by the model's first layer (NOTE [padded arrays], NOTE [trimming rule]):
batches cut to their valid steps give the results of whole batches and Keras's; shuffled
batches group similar lengths; models whose results could depend on padded steps are not cut."""

import itertools

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Model, Sequential
from kerastorch.layers import (
    GRU,
    LSTM,
    Conv1D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalMaxPooling1D,
    Masking,
)
from kerastorch.training import loop
from kerastorch.training.data import ArrayData, adapt
from kerastorch.training.data.padded import PaddedSteps, PaddingRule
from kerastorch.training.padding import padding_rule
from tests.helpers import assert_close

N, T, F = 40, 12, 3


def padded_features(padding="post", mask_value=0.0, seed=0):
    """``N`` sequences of lengths 1..T, padded with ``mask_value`` before or after."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, T + 1, size=N)
    lengths[3] = T  # one full row
    x = np.full((N, T, F), mask_value, dtype=np.float32)
    for i, length in enumerate(lengths):
        steps = rng.normal(size=(length, F)).astype(np.float32)
        steps[:, 0] += 5.0  # no valid step equals the padding in every feature
        if padding == "post":
            x[i, :length] = steps
        else:
            x[i, T - length :] = steps
    y = rng.normal(size=(N, 1)).astype(np.float32)
    return x, y, lengths


def padded_ids(seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, T + 1, size=N)
    x = np.zeros((N, T), dtype=np.int64)
    for i, length in enumerate(lengths):
        x[i, :length] = rng.integers(1, 20, size=length)
    return x, rng.normal(size=(N, 1)).astype(np.float32), lengths


def feature_layers(layers, mask_value=0.0):
    return [
        layers.Masking(mask_value),
        layers.Dense(5, activation="tanh"),
        layers.LSTM(6, return_sequences=True),
        layers.GRU(4),
        layers.Dense(1),
    ]


def id_layers(layers):
    return [
        layers.Embedding(20, 4, mask_zero=True),
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1),
    ]


def twin_models(keras, make_layers, input_shape):
    """The same architecture in Keras and kerastorch, with Keras's initial weights copied."""
    keras_model = keras.Sequential([keras.Input(input_shape), *make_layers(keras.layers)])
    model = Sequential([Input(input_shape), *make_layers(kerastorch.layers)])
    model.set_weights(keras_model.get_weights())
    for m, module in ((model, kerastorch), (keras_model, keras)):
        m.compile(optimizer=module.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model, keras_model


def record_timesteps(layer):
    """The number of timesteps of every batch ``layer`` sees."""
    seen = []
    layer.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[1]))
    return seen


CASES = {
    "masking-post": (lambda seed=0: padded_features("post", seed=seed), feature_layers, (T, F)),
    "masking-pre-nonzero-value": (
        lambda seed=0: padded_features("pre", mask_value=-1.0, seed=seed),
        lambda layers: feature_layers(layers, -1.0),
        (T, F),
    ),
    "embedding-mask-zero": (padded_ids, id_layers, (T,)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fit_and_predict_match_keras(keras, case):
    make_data, make_layers, shape = CASES[case]
    x, y, _ = make_data()
    model, keras_model = twin_models(keras, make_layers, shape)
    assert padding_rule(model).trim
    seen = record_timesteps(model.layers[1])
    args = {"batch_size": 16, "epochs": 2, "shuffle": False, "verbose": 0}
    history = model.fit(x, y, validation_split=0.25, **args)
    keras_history = keras_model.fit(x, y, validation_split=0.25, **args)
    assert min(seen) < T  # batches were cut
    for key in ("loss", "val_loss"):
        assert_close(history.history[key], keras_history.history[key], atol=1e-5)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)
    assert_close(model.predict(x, batch_size=8, verbose=0), keras_model.predict(x, verbose=0))
    assert_close(
        model.evaluate(x, y, batch_size=8, verbose=0), keras_model.evaluate(x, y, verbose=0)
    )


@pytest.mark.parametrize("case", list(CASES))
def test_cut_batches_give_the_results_of_whole_batches(monkeypatch, case):
    make_data, make_layers, shape = CASES[case]
    x, y, _ = make_data(seed=1)

    def train(cut):
        if not cut:
            monkeypatch.setattr(loop, "padding_rule", lambda model: None)
        kerastorch.utils.set_random_seed(3)
        model = Sequential([Input(shape), *make_layers(kerastorch.layers)])
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        monkeypatch.undo()
        return model, history.history["loss"]

    (cut, cut_losses), (whole, whole_losses) = train(True), train(False)
    assert_close(cut_losses, whole_losses, atol=1e-6)
    for a, b in zip(cut.get_weights(), whole.get_weights(), strict=True):
        assert_close(a, b, atol=1e-6)
    assert_close(cut.predict(x, verbose=0), whole.predict(x, verbose=0), atol=1e-6)


def test_each_batch_is_cut_to_its_valid_steps():
    x, y, lengths = padded_features("post")
    model = Sequential([Input((T, F)), Masking(), LSTM(4), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = record_timesteps(model.layers[1])
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert seen == [int(lengths[i : i + 16].max()) for i in range(0, N, 16)]
    assert model.input_shape == (None, T, F)  # built from the whole array's shape


def test_pre_padding_and_holes_keep_the_span_of_valid_steps():
    x = np.zeros((3, 8, 2), dtype=np.float32)
    x[0, 5:] = 1.0  # pre-padded: steps 5..7
    x[1, [2, 4]] = 1.0  # holes: steps 2 and 4
    x[2, 6, 0] = 1.0  # one feature differs from mask_value: a valid step (Masking's rule)
    data = ArrayData(x).with_padding(PaddingRule(0.0, features=True, trim=True))
    assert data.lengths.tolist() == [3, 2, 1]
    assert data.padding.window(torch.tensor([0, 2])) == slice(5, 8)
    assert data.padding.window(torch.tensor([1])) == slice(2, 5)
    assert_close(data.batch(torch.tensor([1, 2])).x, x[[1, 2], 2:7])
    assert_close(data.batch(slice(0, 2)).x, x[0:2, 2:8])


def test_rows_without_valid_steps():
    x = np.zeros((2, 5, 2), dtype=np.float32)
    steps = PaddedSteps.of_array(torch.from_numpy(x), PaddingRule(0.0, True, True))
    assert steps.lengths.tolist() == [0, 0]
    assert steps.window(torch.tensor([0, 1])) == slice(0, 1)  # one (masked) step is kept
    model = Sequential([Input((5, 2)), Masking(), LSTM(3), Dense(1)])
    whole = model(torch.from_numpy(x))
    assert_close(model.predict(x, verbose=0), whole)


def test_shuffled_batches_group_similar_lengths_and_differ_by_epoch():
    x, y, lengths = padded_features("post", seed=2)
    data = ArrayData(x, y).with_padding(PaddingRule(0.0, features=True, trim=True))
    adapter = adapt(data, batch_size=8, shuffle=True, keep_order=False)
    epochs = [adapter.batch_indices() for _ in range(2)]
    for batches in epochs:
        assert sorted(torch.cat(batches).tolist()) == list(range(N))  # every sample once
        # All N samples fit in one pool: the batches are consecutive runs of the sorted lengths.
        spans = sorted((int(lengths[b].min()), int(lengths[b].max())) for b in batches)
        assert all(high <= next_low for (_, high), (next_low, _) in itertools.pairwise(spans))
    assert [b.tolist() for b in epochs[0]] != [b.tolist() for b in epochs[1]]

    model = Sequential([Input((T, F)), Masking(), LSTM(4), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = record_timesteps(model.layers[1])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # shuffle=True, Keras's default
    assert sorted(seen) == sorted(int(lengths[b].max()) for b in epochs[0])


def test_shuffle_false_keeps_input_order():
    x, y, _ = padded_features("post")
    data = ArrayData(x, y).with_padding(padding_rule(Sequential([Masking(), LSTM(2)])))
    adapter = adapt(data, batch_size=16, shuffle=False, keep_order=True)
    assert adapter.batch_indices() == [slice(0, 16), slice(16, 32), slice(32, 40)]


@pytest.mark.parametrize(
    "make_layers",
    [
        lambda: [Masking(), LSTM(4, return_sequences=True)],  # the output keeps the time axis
        lambda: [Masking(), LSTM(4, return_sequences=True), Dense(1)],
        lambda: [Masking(), Flatten(), Dense(1)],
        lambda: [Masking(), Conv1D(4, 3, padding="same"), LSTM(4)],
        lambda: [Masking(), GlobalMaxPooling1D()],
        lambda: [Masking(), Dropout(0.1, noise_shape=(None, 12, 1)), LSTM(4)],
        lambda: [Masking(), LSTM(4, return_sequences=True, go_backwards=True), LSTM(4)],
        lambda: [Input(batch_shape=(4, 12, 3)), Masking(), LSTM(4, stateful=True)],
        lambda: [Embedding(20, 4, mask_zero=True), GRU(3, return_sequences=True), Flatten()],
    ],
    ids=[
        "sequence-output",
        "per-step-dense-output",
        "flatten",
        "conv1d",
        "global-max-pooling",
        "dropout-noise-shape-over-time",
        "go-backwards-sequences",
        "stateful",
        "embedding-then-flatten",
    ],
)
def test_models_whose_results_may_depend_on_padding_are_not_cut(make_layers):
    rule = padding_rule(Sequential(make_layers()))
    assert rule is not None and not rule.trim  # still bucketed by length when shuffled


def test_inexact_model_runs_every_step():
    x, _, _ = padded_features("post")
    y = np.random.default_rng(0).normal(size=(N, T, 1)).astype(np.float32)
    model = Sequential([Input((T, F)), Masking(), LSTM(4, return_sequences=True), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = record_timesteps(model.layers[1])
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert seen == [T, T, T]
    assert model.predict(x, verbose=0).shape == (N, T, 1)


def test_models_without_a_mask_from_the_data():
    assert padding_rule(Sequential([LSTM(4), Dense(1)])) is None
    assert padding_rule(Sequential([Embedding(20, 4), LSTM(4)])) is None
    assert padding_rule(Sequential([Dense(3), Masking(), LSTM(4)])) is None

    class Subclassed(Model):
        def __init__(self):
            super().__init__()
            self.masking, self.lstm = Masking(), LSTM(4)

        def call(self, x):
            return self.lstm(self.masking(x))

    assert padding_rule(Subclassed()) is None


def test_functional_chain_is_cut_like_sequential():
    inputs = Input((T, F))
    chain = Model(inputs, Dense(1)(LSTM(4)(Masking()(inputs))))
    assert padding_rule(chain) == PaddingRule(0.0, features=True, trim=True)
    branch = Masking()(inputs)
    two_paths = Model(inputs, Dense(1)(LSTM(4)(branch) + GRU(4)(branch)))
    assert padding_rule(two_paths) is None

    x, y, lengths = padded_features("post")
    chain.compile(optimizer="sgd", loss="mse")
    seen = record_timesteps(chain.layers[1])
    chain.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert seen == [int(lengths[i : i + 16].max()) for i in range(0, N, 16)]
