"""Every kind of data through one fit / evaluate / predict: arrays, torch Datasets, DataLoaders,
generators, memmaps, ragged batches; weights and steps as Keras handles them."""

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, Subset, TensorDataset

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense, Flatten, Masking
from kerastorch.training import data as data_module
from kerastorch.training.data import arrays as arrays_module
from kerastorch.utils import timeseries_dataset_from_array
from tests.helpers import assert_close

N, T, F = 20, 4, 3
BATCH = 6  # 4 batches: 6, 6, 6, 2


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, T, F)).astype("float32")
    y = rng.normal(size=(N, 1)).astype("float32")
    return x, y


def flat_data(seed=0):
    x, y = make_data(seed)
    return x.reshape(N, T * F), y


def mlp_layers():
    return [Dense(5, activation="tanh"), Dense(1)]


def flatten_layers():
    return [Flatten(), Dense(1)]


def make_model(weights=None, layers=None):
    layers = layers() if layers else [LSTM(4), Dense(1)]
    shape = {Dense: (T * F,), Flatten: (T, F)}.get(type(layers[0]), (None, F))
    model = Sequential([Input(shape), *layers])
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def batch_generator(x, y, batch_size=BATCH, repeat=False):
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start : start + batch_size], y[start : start + batch_size]
        if not repeat:
            return


class PerSampleDataset(Dataset):
    """A plain map-style dataset: one ``__getitem__`` per sample."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class Samples(IterableDataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        return zip(self.x, self.y, strict=True)


class CountingDataset(Dataset):
    """Records how it is read: whole batches (``__getitems__``) or single samples."""

    def __init__(self, x, y):
        self.x, self.y = torch.as_tensor(x), torch.as_tensor(y)
        self.batches, self.single_reads = [], 0

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        self.single_reads += 1
        return self.x[i], self.y[i]

    def __getitems__(self, indices):
        self.batches.append(list(indices))
        index = torch.as_tensor(indices)
        return self.x[index], self.y[index]


def assert_same_training(actual, expected, model, expected_model):
    assert list(actual.history) == list(expected.history)
    for key in expected.history:
        assert_close(actual.history[key], expected.history[key], atol=1e-6)
    for a, e in zip(model.get_weights(), expected_model.get_weights(), strict=True):
        assert_close(a, e, atol=1e-6)


# -- one fit for every kind of input --------------------------------------------------------------


def initial_weights(layers=None, shape=(None, None, F)):
    model = make_model(layers=layers)
    model.build(shape)
    return model.get_weights()


def test_every_kind_of_input_trains_exactly_as_arrays():
    """Training and validation data of every kind, shuffle=False: the same history and weights
    as arrays (a DataLoader or a generator batching as fit would)."""
    (x, y), (xv, yv) = flat_data(), flat_data(seed=1)
    weights = initial_weights(mlp_layers, (None, T * F))
    expected_model = make_model(weights, mlp_layers)
    fit_args = {"epochs": 2, "verbose": 0, "shuffle": False}
    expected = expected_model.fit(x, y, batch_size=BATCH, validation_data=(xv, yv), **fit_args)

    def tensors(a, b):
        return TensorDataset(torch.from_numpy(a), torch.from_numpy(b))

    cases = {  # name: (x, validation_data, other fit arguments)
        "TensorDataset": (tensors(x, y), tensors(xv, yv), {"batch_size": BATCH}),
        "Subset": (
            Subset(tensors(x, y), list(range(N))),
            DataLoader(tensors(xv, yv), batch_size=BATCH),
            {"batch_size": BATCH},
        ),
        "per-sample Dataset": (
            PerSampleDataset(x, y),
            batch_generator(xv, yv, repeat=True),
            {"batch_size": BATCH, "validation_steps": 4},
        ),
        "IterableDataset": (Samples(x, y), Samples(xv, yv), {"batch_size": BATCH}),
        "DataLoader": (
            DataLoader(tensors(x, y), batch_size=BATCH, shuffle=False),
            (xv, yv),
            {"validation_batch_size": BATCH},
        ),
        "generator": (
            batch_generator(x, y, repeat=True),
            PerSampleDataset(xv, yv),
            {"steps_per_epoch": 4, "validation_batch_size": BATCH},
        ),
        "iterator": (
            iter(list(batch_generator(x, y)) * 2),
            tensors(xv, yv),
            {"steps_per_epoch": 4, "validation_batch_size": BATCH},
        ),
    }
    for name, (data, validation_data, extra) in cases.items():
        model = make_model(weights, mlp_layers)
        actual = model.fit(data, validation_data=validation_data, **fit_args, **extra)
        try:
            assert_same_training(actual, expected, model, expected_model)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None


def test_shuffled_dataset_trains_as_shuffled_arrays_and_reshuffles_each_epoch():
    x, y = flat_data()
    weights = initial_weights(mlp_layers, (None, T * F))
    torch.manual_seed(3)
    expected_model = make_model(weights, mlp_layers)
    expected = expected_model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
    dataset = CountingDataset(x, y)
    torch.manual_seed(3)
    model = make_model(weights, mlp_layers)
    actual = model.fit(dataset, batch_size=BATCH, epochs=2, verbose=0)
    assert_same_training(actual, expected, model, expected_model)
    # One vectorized read per batch (the first: the batch the model checks), never per sample.
    assert dataset.single_reads == 0
    epochs = [
        [i for batch in dataset.batches[1 + 4 * e : 1 + 4 * (e + 1)] for i in batch]
        for e in range(2)
    ]
    assert [len(b) for b in dataset.batches[1:]] == [6, 6, 6, 2] * 2
    assert sorted(epochs[0]) == sorted(epochs[1]) == list(range(N))
    assert epochs[0] != epochs[1] and epochs[0] != list(range(N))


def test_evaluate_and_predict_from_a_dataloader_equal_arrays():
    x, y = flat_data()
    model = make_model(layers=mlp_layers)
    model.fit(x, y, epochs=1, verbose=0)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=7)
    assert_close(model.evaluate(loader, verbose=0), model.evaluate(x, y, verbose=0), atol=1e-6)
    assert_close(model.predict(loader, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    only_x = DataLoader(torch.from_numpy(x), batch_size=7)  # batches are plain tensors
    assert_close(model.predict(only_x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert_close(model.predict(dataset, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    # steps: the first batches only, as Keras.
    assert_close(
        model.evaluate(loader, steps=1, verbose=0), model.evaluate(x[:7], y[:7], verbose=0)
    )
    assert_close(model.predict(loader, steps=2, verbose=0), model.predict(x[:14], verbose=0))
    assert_close(model.predict(x, steps=2, verbose=0), model.predict(x, verbose=0))  # 2 x 10


def test_timeseries_windows_train_as_their_arrays_with_one_gather_per_batch():
    rng = np.random.default_rng(2)
    series = rng.normal(size=(60, F))  # float64: converted per batch
    dataset = timeseries_dataset_from_array(
        series[:-1], series[1:, 0], sequence_length=T, batch_size=8
    )
    windows = dataset.windows
    xw, yw = windows.arrays()
    weights = initial_weights(flatten_layers, (None, T, F))
    expected_model = make_model(weights, flatten_layers)
    expected = expected_model.fit(
        xw.astype("float32"), yw.astype("float32"), batch_size=8, epochs=2, shuffle=False, verbose=0
    )
    calls = []
    getitems = windows.__getitems__

    def counting(indices):
        calls.append(len(indices))
        return getitems(indices)

    windows.__getitems__ = counting  # the dataset reads whole batches through it
    model = make_model(weights, flatten_layers)
    # batch_size and shuffle come from the dataset, as Keras's tf.data dataset (fit's ignored).
    actual = model.fit(dataset, epochs=2, verbose=0, batch_size=3, shuffle=True)
    assert_same_training(actual, expected, model, expected_model)
    assert len(windows) == 56 and len(dataset) == 7
    # The first batch is read once, to build and check (and kept for the first epoch).
    assert calls == [8] * 7 * 2
    assert_close(model.predict(dataset, verbose=0), model.predict(xw, verbose=0), atol=1e-6)
    assert_close(model.evaluate(dataset, verbose=0), model.evaluate(xw, yw, verbose=0), atol=1e-6)

    # shuffle=True with a seed: a new order every epoch, the same orders for a dataset made
    # again with the same seed (as tf.data).
    orders = []
    for _ in range(2):
        shuffled = timeseries_dataset_from_array(
            series[:-1], series[1:, 0], sequence_length=T, batch_size=8, shuffle=True, seed=4
        )
        data = data_module.adapt(data_module.as_data(shuffled), batch_size=32)
        orders.append([torch.cat([b.y for b in data.batches()]) for _ in range(2)])
    assert torch.equal(orders[0][0], orders[1][0]) and torch.equal(orders[0][1], orders[1][1])
    assert not torch.equal(orders[0][0], orders[0][1])
    assert torch.equal(orders[0][0].sort().values, torch.from_numpy(yw).float().sort().values)


# -- batches of different lengths -----------------------------------------------------------------


def ragged_data(count=12, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 9, size=count)
    sequences = [rng.normal(size=(n, F)).astype("float32") for n in lengths]
    y = rng.normal(size=(count, 1)).astype("float32")
    return sequences, y


def test_ragged_batches_from_a_generator_train_as_a_ragged_list():
    sequences, y = ragged_data()

    def ragged_batches():
        for start in range(0, len(sequences), 4):
            yield sequences[start : start + 4], y[start : start + 4]

    weights = initial_weights()
    expected_model = make_model(weights)
    expected = expected_model.fit(sequences, y, batch_size=4, shuffle=False, verbose=0)
    model = make_model(weights)
    actual = model.fit(ragged_batches(), verbose=0)
    assert_same_training(actual, expected, model, expected_model)
    # predict: each sequence's output equals its prediction alone.
    predicted = model.predict(ragged_batches(), verbose=0)
    alone = np.concatenate([model.predict(s[None], verbose=0) for s in sequences])
    assert_close(predicted, alone, atol=1e-6)


def pad_collate(samples):
    """A collate_fn that pads each batch to its own longest sequence and returns its mask."""
    xs = [torch.as_tensor(x) for x, _ in samples]
    lengths = torch.tensor([len(s) for s in xs])
    padded = torch.nn.utils.rnn.pad_sequence(xs, batch_first=True)
    mask = torch.arange(padded.shape[1]) < lengths[:, None]
    return (padded, mask), torch.stack([torch.as_tensor(y) for _, y in samples])


def test_padded_batches_of_different_lengths_from_a_dataloader():
    sequences, y = ragged_data()
    pairs = list(zip(sequences, y, strict=True))
    weights = initial_weights()
    expected_model = make_model(weights)
    expected = expected_model.fit(sequences, y, batch_size=4, shuffle=False, verbose=0, epochs=1)

    # (x_padded, mask) pairs.
    model = make_model(weights)
    loader = DataLoader(pairs, batch_size=4, collate_fn=pad_collate)
    actual = model.fit(loader, verbose=0, epochs=1)
    assert_same_training(actual, expected, model, expected_model)

    # Padded tensors alone (a different length per batch) and a Masking layer.
    def padded_only(samples):
        (padded, _), targets = pad_collate(samples)
        return padded, targets

    model = make_model(weights, layers=lambda: [Masking(0.0), LSTM(4), Dense(1)])
    loader = DataLoader(pairs, batch_size=4, collate_fn=padded_only)
    actual = model.fit(loader, verbose=0, epochs=1)
    assert_same_training(actual, expected, model, expected_model)

    # A map-style dataset of sequences of different lengths: batches padded with their mask.
    model = make_model(weights)
    dataset = PerSampleDataset(sequences, y)
    actual = model.fit(dataset, batch_size=4, shuffle=False, epochs=1, verbose=0)
    assert_same_training(actual, expected, model, expected_model)


def test_predict_refuses_to_stack_outputs_of_different_lengths():
    sequences, _ = ragged_data(count=8)
    model = Sequential([Input((None, F)), LSTM(2, return_sequences=True)])
    batches = [
        torch.nn.utils.rnn.pad_sequence([torch.as_tensor(s) for s in group], batch_first=True)
        for group in (sequences[:4], sequences[4:])
    ]
    assert batches[0].shape[1] != batches[1].shape[1]
    with pytest.raises(ValueError, match="outputs of different shapes"):
        model.predict(iter(batches), verbose=0)


# -- weights, compared with Keras ----------------------------------------------------------------


def twins(keras, make_layers, input_shape, loss, **compile_args):
    keras_model = keras.Sequential([keras.Input(input_shape), *make_layers(keras.layers)])
    model = Sequential([Input(input_shape), *make_layers(kerastorch.layers)])
    model.set_weights(keras_model.get_weights())
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, **compile_args)
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss=loss, **compile_args)
    return model, keras_model


def assert_same_history(actual, expected):
    assert list(actual.history) == list(expected.history)
    for key in expected.history:
        assert_close(actual.history[key], expected.history[key], atol=1e-5)


def test_per_timestep_sample_weights_match_keras(keras):
    rng = np.random.default_rng(4)
    x, _ = make_data()
    y_steps = rng.normal(size=(N, T, 1)).astype("float32")
    weights = rng.uniform(0.0, 2.0, size=(N, T)).astype("float32")

    def layers(module):  # Dense on (N, T, F): one output per time step
        return [module.Dense(2, activation="tanh"), module.Dense(1)]

    model, keras_model = twins(keras, layers, (T, F), "mse", weighted_metrics=["mae"])
    args = {"sample_weight": weights, "batch_size": BATCH, "epochs": 2, "shuffle": False}
    expected = keras_model.fit(x, y_steps, verbose=0, **args)
    actual = model.fit(x, y_steps, verbose=0, **args)
    assert_same_history(actual, expected)
    assert_close(
        model.evaluate(x, y_steps, sample_weight=weights, verbose=0),
        keras_model.evaluate(x, y_steps, sample_weight=weights, verbose=0),
        atol=1e-5,
    )
    # The same weights yielded by a generator: the same losses.
    model2 = Sequential([Input((T, F)), *layers(kerastorch.layers)])
    model2.set_weights(keras_model.get_weights())
    model2.compile(optimizer="sgd", loss="mse", weighted_metrics=["mae"])
    stream = ((x[i : i + 7], y_steps[i : i + 7], weights[i : i + 7]) for i in range(0, N, 7))
    assert_close(
        model2.evaluate(stream, verbose=0),
        keras_model.evaluate(x, y_steps, sample_weight=weights, batch_size=7, verbose=0),
        atol=1e-5,
    )


def test_ragged_per_step_sample_weights_match_keras_on_padded_data(keras):
    """A list of per-step weights for a list of sequences: Keras on the padded data with Masking
    and zero weights on padding gives the same losses."""
    sequences, _ = ragged_data(count=9, seed=6)
    rng = np.random.default_rng(6)
    targets = [rng.normal(size=(len(s), 1)).astype("float32") for s in sequences]
    weights = [rng.uniform(0.0, 2.0, size=len(s)).astype("float32") for s in sequences]

    def padded(items):
        out = np.zeros((len(items), max(map(len, items)), *items[0].shape[1:]), "float32")
        for row, item in zip(out, items, strict=True):
            row[: len(item)] = item
        return out

    keras_model = keras.Sequential(
        [keras.Input((None, F)), keras.layers.Masking(0.0), keras.layers.Dense(1)]
    )
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model = Sequential([Input((None, F)), Dense(1)])
    model.set_weights(keras_model.get_weights())
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse")
    args = {"batch_size": 3, "epochs": 2, "shuffle": False, "verbose": 0}
    expected = keras_model.fit(
        padded(sequences), padded(targets), sample_weight=padded(weights), **args
    )
    actual = model.fit(sequences, targets, sample_weight=weights, **args)
    assert_same_history(actual, expected)


@pytest.mark.parametrize("one_hot", [False, True], ids=["sparse", "one-hot"])
def test_class_weight_matches_keras(keras, one_hot):
    rng = np.random.default_rng(5)
    x, _ = make_data()
    labels = rng.integers(0, 3, size=N)
    y = np.eye(3, dtype="float32")[labels] if one_hot else labels
    loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"

    def layers(module):
        return [module.Flatten(), module.Dense(3, activation="softmax")]

    model, keras_model = twins(keras, layers, (T, F), loss, weighted_metrics=["accuracy"])
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    args = {"class_weight": class_weight, "batch_size": BATCH, "epochs": 2, "shuffle": False}
    expected = keras_model.fit(x, y, verbose=0, **args)
    before = model.get_weights()
    actual = model.fit(x, y, verbose=0, **args)
    assert_same_history(actual, expected)
    # class_weight on a DataLoader's batches (a kerastorch addition) gives the same training.
    again = Sequential([Input((T, F)), *layers(kerastorch.layers)])
    again.set_weights(before)
    again.compile(
        optimizer=kerastorch.optimizers.SGD(0.1), loss=loss, weighted_metrics=["accuracy"]
    )
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.as_tensor(y)), batch_size=BATCH)
    assert_same_history(again.fit(loader, verbose=0, epochs=2, class_weight=class_weight), expected)


def test_steps_per_epoch_continues_across_epochs_as_keras(keras):
    x, y = make_data()
    x2 = x.reshape(N, -1)

    def layers(module):
        return [module.Dense(1)]

    # Arrays with steps_per_epoch < batches: epochs continue one pass; the last is cut short.
    model, keras_model = twins(keras, layers, (T * F,), "mse")
    args = {"batch_size": 8, "epochs": 3, "steps_per_epoch": 2, "shuffle": False, "verbose": 0}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = keras_model.fit(x2, y, **args)
    assert any("Your input ran out of data" in str(w.message) for w in caught)
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        actual = model.fit(x2, y, **args)
    assert_same_history(actual, expected)

    # A generator that loops forever, with steps_per_epoch; a DataLoader for validation with
    # validation_steps: every validation reads its first 2 batches.
    model, keras_model = twins(keras, layers, (T * F,), "mse")
    args = {"epochs": 3, "steps_per_epoch": 3, "validation_steps": 2, "verbose": 0}
    args["shuffle"] = False  # Keras warns that shuffle=True does not apply to a generator
    val_loader = DataLoader(TensorDataset(torch.from_numpy(x2), torch.from_numpy(y)), 4)
    expected = keras_model.fit(
        batch_generator(x2, y, 8, repeat=True), validation_data=val_loader, **args
    )
    actual = model.fit(batch_generator(x2, y, 8, repeat=True), validation_data=val_loader, **args)
    assert_same_history(actual, expected)
    # Without batch_size, steps_per_epoch batches cover the arrays once (ceil(20 / 3) = 7).
    model, keras_model = twins(keras, layers, (T * F,), "mse")
    expected = keras_model.fit(x2, y, steps_per_epoch=3, shuffle=False, verbose=0)
    assert_same_history(model.fit(x2, y, steps_per_epoch=3, shuffle=False, verbose=0), expected)


def test_a_generator_that_runs_out_stops_training_with_keras_warning():
    x, y = flat_data()
    model = make_model(layers=mlp_layers)
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        history = model.fit(batch_generator(x, y), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1  # the generator was used up by epoch 1
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(batch_generator(x, y), epochs=3, steps_per_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 2  # 3 batches, then 1 (of 4), then nothing
    # A DataLoader is read afresh every epoch: no warning.
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(model.fit(loader, epochs=3, verbose=0).history["loss"]) == 3


# -- large inputs are not copied -----------------------------------------------------------------


def test_a_float64_memmap_is_read_batch_by_batch(tmp_path, monkeypatch):
    x, y = flat_data()
    path = tmp_path / "x.npy"
    np.save(path, x.astype("float64"))
    memmap = np.load(path, mmap_mode="r")
    assert isinstance(memmap, np.memmap)

    data = data_module.as_data(memmap, y)
    assert isinstance(data.x, data_module.LazyArray) and data.x.array is memmap
    train, _ = data.split(0.25)
    assert isinstance(train.x, data_module.LazyArray) and np.shares_memory(train.x.array, memmap)

    conversions = []
    convert = arrays_module.LazyArray._convert

    def counting(self, rows, positions):
        conversions.append(len(rows))
        return convert(self, rows, positions)

    monkeypatch.setattr(arrays_module.LazyArray, "_convert", counting)
    weights = initial_weights(mlp_layers, (None, T * F))
    expected_model = make_model(weights, mlp_layers)
    fit_args = {"batch_size": BATCH, "epochs": 2, "validation_split": 0.25, "verbose": 0}
    torch.manual_seed(1)
    expected = expected_model.fit(x, y, **fit_args)
    model = make_model(weights, mlp_layers)
    torch.manual_seed(1)
    actual = model.fit(memmap, y, **fit_args)  # shuffled: one fancy-indexed read per batch
    assert_same_training(actual, expected, model, expected_model)
    assert max(conversions) <= BATCH  # never the whole array
    assert_close(model.predict(memmap, verbose=0), model.predict(x, verbose=0), atol=1e-6)

    # A big in-memory array needing a conversion is converted per batch too.
    monkeypatch.setattr(arrays_module, "LAZY_CONVERSION_BYTES", 0)
    assert isinstance(data_module.as_data(x.astype("float64"), y).x, data_module.LazyArray)
    assert isinstance(data_module.as_data(x, y).x, torch.Tensor)  # float32: no copy made anyway
    bad = np.lib.format.open_memmap(tmp_path / "bad.npy", "w+", "float64", (N, T * F))
    bad[:] = x
    bad[13, 5] = np.nan
    with pytest.raises(ValueError, match="first at index 13"):
        make_model(weights, mlp_layers).fit(bad, y, verbose=0)


# -- errors ------------------------------------------------------------------------------------------


def keras_error(keras, call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


def test_unsupported_combinations_raise_keras_errors(keras):
    x, y = make_data()
    x2 = x.reshape(N, -1)
    keras_model = keras.Sequential([keras.Input((T * F,)), keras.layers.Dense(1)])
    keras_model.compile(optimizer="sgd", loss="mse")
    model = Sequential([Input((T * F,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    loader = DataLoader(TensorDataset(torch.from_numpy(x2), torch.from_numpy(y)), batch_size=8)

    cases = [
        ("validation_split", lambda m: m.fit(loader, validation_split=0.2, verbose=0)),
        ("validation_split", lambda m: m.fit(batch_generator(x2, y), validation_split=0.2)),
        ("y with a loader", lambda m: m.fit(loader, y, verbose=0)),
        ("y with a generator", lambda m: m.fit(batch_generator(x2, y), y, verbose=0)),
        ("weights", lambda m: m.fit(batch_generator(x2, y), sample_weight=np.ones(N))),
        ("weights", lambda m: m.fit(loader, sample_weight=np.ones(N), verbose=0)),
        ("both weights", lambda m: m.fit(x2, y, sample_weight=np.ones(N), class_weight={0: 1})),
    ]
    messages = {}
    for name, call in cases:
        expected = keras_error(keras, lambda call=call: call(keras_model))
        actual = keras_error(keras, lambda call=call: call(model))
        first_sentence = expected.split(".")[0]
        assert actual.startswith(first_sentence), (actual, expected)
        messages[name] = actual
    assert messages["validation_split"].startswith(
        "Argument `validation_split` is only supported for tensors or NumPy arrays. Found "
        "incompatible type in the input: [<class 'generator'>]."
    )
    tensors = TensorDataset(torch.from_numpy(x2), torch.from_numpy(y))
    with pytest.raises(ValueError, match="only supported for tensors or NumPy arrays"):
        model.fit(tensors, validation_split=0.2, verbose=0)


def test_other_data_errors_say_what_to_do():
    x, y = make_data()
    x2 = x.reshape(N, -1)
    model = Sequential([Input((T * F,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    weighted = ((x2[i : i + 5], y[i : i + 5], np.ones(5)) for i in range(0, N, 5))
    with pytest.raises(ValueError, match="class_weight.*sample_weight.*at the same time"):
        model.fit(weighted, class_weight={0: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="can be read only once.*validation_steps"):
        model.fit(x2, y, epochs=2, validation_data=batch_generator(x2, y), verbose=0)
    with pytest.raises(ValueError, match="no targets"):
        model.fit(iter([(x2[:4],)]), verbose=0)
    with pytest.raises(ValueError, match="yielded no batches"):
        model.fit(iter([]), verbose=0)
    with pytest.raises(TypeError, match="yielded a dict"):
        model.fit(iter([{"x": x2, "y": y}]), verbose=0)
    with pytest.raises(ValueError, match=r"must yield batches \(x,\), \(x, y\)"):
        model.fit(iter([(x2, y, y, y)]), verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch to be a positive integer"):
        model.fit(x2, y, steps_per_epoch=0, verbose=0)
    with pytest.raises(ValueError, match="y has shape"):
        model.fit(iter([(x2[:4], y[:3])]), verbose=0)
    with pytest.raises(ValueError, match="y is missing"):
        model.fit(x2, verbose=0)
    unsized = Dataset()  # map-style without __len__
    with pytest.raises(TypeError, match="without __len__"):
        model.fit(unsized, verbose=0)


def test_batch_size_and_shuffle_do_not_apply_to_a_dataloader():
    """As in Keras: the loader's own batching is used; fit's batch_size is ignored."""
    x, y = make_data()
    x2 = x.reshape(N, -1)
    seen = []

    class Recorder(kerastorch.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model = Sequential([Input((T * F,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    loader = DataLoader(TensorDataset(torch.from_numpy(x2), torch.from_numpy(y)), batch_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(loader, batch_size=2, shuffle=True, verbose=0, callbacks=[Recorder()])
    assert seen == [0, 1, 2]  # ceil(20 / 8) batches, not 10
