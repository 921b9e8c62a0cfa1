"""Training models of several inputs and outputs, as Keras 3 does: lists and dicts of data,
per-output losses, loss weights and metrics, Keras's log keys, and the same numbers."""

import json
import warnings

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch.callbacks import EarlyStopping
from kerastorch.saving import serialization
from kerastorch.training.data import Signature, StructuredData, adapt, as_data
from tests.helpers import assert_close

FIT = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0}


def two_output_model(lib, dict_outputs=False):
    """A sequence in, a level (regression) and a direction (classification) out."""
    x = lib.Input((5, 3), name="prices")
    h = lib.layers.LSTM(6, name="lstm")(x)
    level = lib.layers.Dense(1, name="level")(h)
    direction = lib.layers.Dense(2, activation="softmax", name="direction")(h)
    outputs = {"level": level, "direction": direction} if dict_outputs else [level, direction]
    return lib.Model(x, outputs)


def two_input_model(lib):
    prices = lib.Input((None, 4), name="prices")
    sector = lib.Input((3,), name="sector")
    h = lib.layers.LSTM(5, name="lstm")(prices)
    s = lib.layers.Dense(4, activation="relu", name="sector_dense")(sector)
    merged = lib.layers.Concatenate(name="merge")([h, s])
    return lib.Model([prices, sector], lib.layers.Dense(1, name="out")(merged))


def twin(keras_model, model):
    model.set_weights(keras_model.get_weights())
    return model


@pytest.fixture
def two_output_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5, 3)).astype("float32")
    level = x[:, -1, :1] * 2.0
    direction = (x[:, -1, 0] > 0).astype("int64")
    return x, level, direction


@pytest.fixture
def two_input_data():
    rng = np.random.default_rng(1)
    prices = rng.normal(size=(32, 6, 4)).astype("float32")
    sector = rng.normal(size=(32, 3)).astype("float32")
    y = (prices[:, -1, :1] + sector[:, :1]).astype("float32")
    return {"prices": prices, "sector": sector}, y


def compile_both(keras_model, model, keras, **kwargs):
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), **kwargs)
    model.compile(optimizer=kerastorch.optimizers.Adam(0.01), **kwargs)


def assert_same_history(actual, expected, atol=1e-4):
    assert list(actual) == list(expected)  # the same keys, in the same order
    for key in expected:
        assert_close(actual[key], expected[key], atol=atol)


def assert_same_weights(model, keras_model, atol=1e-4):
    for a, e in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(a, e, atol=atol)


# -- training parity -------------------------------------------------------------------------------


@pytest.mark.parametrize("by_name", [False, True], ids=["list", "dict"])
def test_two_output_fit_with_loss_weights_matches_keras(keras, two_output_data, by_name):
    x, level, direction = two_output_data
    keras_model = two_output_model(keras)
    model = twin(keras_model, two_output_model(kerastorch))
    if by_name:
        compile_args = {
            "loss": {"level": "mse", "direction": "sparse_categorical_crossentropy"},
            "loss_weights": {"level": 1.0, "direction": 0.3},
            "metrics": {"level": ["mae"], "direction": ["accuracy"]},
        }
        y = {"level": level, "direction": direction}
    else:
        compile_args = {
            "loss": ["mse", "sparse_categorical_crossentropy"],
            "loss_weights": [1.0, 0.3],
            "metrics": [["mae"], ["accuracy"]],
        }
        y = [level, direction]
    compile_both(keras_model, model, keras, **compile_args)
    expected = keras_model.fit(x, y, validation_split=0.25, **FIT).history
    actual = model.fit(x, y, validation_split=0.25, **FIT).history
    assert set(actual) == {
        "loss",
        "level_loss",
        "direction_loss",
        "level_mae",
        "direction_accuracy",
        *(f"val_{k}" for k in ("loss", "level_loss", "direction_loss", "level_mae")),
        "val_direction_accuracy",
    }
    assert_same_history(actual, expected)
    # the total is the weighted sum of the per-output losses (Keras logs them unweighted)
    assert_close(
        np.array(actual["val_loss"]),
        np.array(actual["val_level_loss"]) + 0.3 * np.array(actual["val_direction_loss"]),
        atol=1e-5,
    )
    assert_same_weights(model, keras_model)


def test_two_input_fit_with_dict_inputs_matches_keras(keras, two_input_data):
    x, y = two_input_data
    keras_model = two_input_model(keras)
    model = twin(keras_model, two_input_model(kerastorch))
    compile_both(keras_model, model, keras, loss="mse", metrics=["mae"])
    expected = keras_model.fit(x, y, validation_split=0.25, **FIT).history
    actual = model.fit(x, y, validation_split=0.25, **FIT).history
    assert_same_history(actual, expected)
    assert_same_weights(model, keras_model)
    # a list in input order is the same data
    listed = [x["prices"], x["sector"]]
    assert_close(model.evaluate(listed, y, verbose=0), keras_model.evaluate(x, y, verbose=0))
    assert_close(model.predict(x, verbose=0), keras_model.predict(listed, verbose=0))


def test_validation_data_and_sample_weight_per_output_match_keras(keras, two_output_data):
    x, level, direction = two_output_data
    rng = np.random.default_rng(3)
    weights = [rng.uniform(0.5, 2.0, 30).astype("float32"), np.ones(30, "float32")]
    keras_model = two_output_model(keras)
    model = twin(keras_model, two_output_model(kerastorch))
    compile_both(
        keras_model,
        model,
        keras,
        loss=["mse", "sparse_categorical_crossentropy"],
        weighted_metrics=[["mae"], []],
    )
    args = {
        "sample_weight": weights,
        "validation_data": (x[30:], [level[30:], direction[30:]]),
        **FIT,
    }
    expected = keras_model.fit(x[:30], [level[:30], direction[:30]], **args).history
    actual = model.fit(x[:30], [level[:30], direction[:30]], **args).history
    assert_same_history(actual, expected)
    assert_same_weights(model, keras_model)


def test_shuffled_fit_keeps_the_inputs_of_a_sample_together():
    """Every batch takes the same samples from every input and target."""
    n = 23
    ids = np.arange(n, dtype="float32")
    data = as_data(
        {"a": ids[:, None], "b": np.stack([ids, -ids], 1)},
        [ids[:, None] * 10, ids.astype("int64")],
        None,
        signature=Signature(("a", "b"), ("o1", "o2"), True),
    )
    torch.manual_seed(0)
    batches = list(adapt(data, batch_size=5, shuffle=True, keep_order=False).batches())
    seen = []
    for batch in batches:
        a = batch.x["a"][:, 0]
        assert torch.equal(batch.x["b"][:, 0], a) and torch.equal(batch.x["b"][:, 1], -a)
        assert torch.equal(batch.y[0][:, 0], a * 10) and torch.equal(batch.y[1], a.long())
        seen += a.long().tolist()
    assert sorted(seen) == list(range(n)) and seen != list(range(n))  # all, and shuffled


def test_a_ragged_input_beside_an_array_input():
    """A list of sequences of different lengths for one input: each sample's prediction equals
    the model run on that sequence alone."""
    model = two_input_model(kerastorch)
    rng = np.random.default_rng(2)
    sequences = [rng.normal(size=(length, 4)).astype("float32") for length in (3, 6, 2, 5, 4)]
    sector = rng.normal(size=(5, 3)).astype("float32")
    predicted = model.predict({"prices": sequences, "sector": sector}, batch_size=2, verbose=0)
    for i, seq in enumerate(sequences):
        alone = model([torch.as_tensor(seq[None]), torch.as_tensor(sector[i : i + 1])])
        assert_close(predicted[i], alone[0].detach(), atol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((5, 1), "float32")
    before = model.evaluate({"prices": sequences, "sector": sector}, y, batch_size=5, verbose=0)
    assert_close(before, float(np.mean(predicted**2)), atol=1e-5)
    history = model.fit([sequences, sector], y, epochs=2, batch_size=2, verbose=0)
    assert history.history["loss"][-1] < before


# -- structures of evaluate, predict, *_on_batch -----------------------------------------------------


@pytest.mark.parametrize("dict_outputs", [False, True], ids=["list-outputs", "dict-outputs"])
def test_evaluate_predict_and_on_batch_structures_are_keras(keras, two_output_data, dict_outputs):
    x, level, direction = two_output_data
    keras_model = two_output_model(keras, dict_outputs)
    model = twin(keras_model, two_output_model(kerastorch, dict_outputs))
    y = {"level": level, "direction": direction}
    compile_both(
        keras_model,
        model,
        keras,
        loss={"level": "mse", "direction": "sparse_categorical_crossentropy"},
        metrics={"level": ["mae", "mse"], "direction": "accuracy"},
    )
    expected, actual = keras_model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert type(actual) is type(expected)
    if dict_outputs:
        assert list(actual) == list(expected)
    for a, e in zip(
        actual.values() if dict_outputs else actual,
        expected.values() if dict_outputs else expected,
        strict=True,
    ):
        assert_close(a, e, atol=1e-5)
    # the list of evaluate is in Keras's order (loss, each output's loss, then the metrics)
    assert_close(
        np.array(model.evaluate(x, y, verbose=0)),
        np.array(keras_model.evaluate(x, y, verbose=0)),
        atol=1e-5,
    )
    expected_logs = keras_model.evaluate(x, y, verbose=0, return_dict=True)
    actual_logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(actual_logs) == list(expected_logs)
    for key in expected_logs:
        assert_close(actual_logs[key], expected_logs[key], atol=1e-5)
    part = {key: value[:16] for key, value in y.items()}
    for method in ("test_on_batch", "train_on_batch"):
        expected_logs = getattr(keras_model, method)(x[:16], part, return_dict=True)
        actual_logs = getattr(model, method)(x[:16], part, return_dict=True)
        assert list(actual_logs) == list(expected_logs)
        for key in expected_logs:
            assert_close(actual_logs[key], expected_logs[key], atol=1e-5)
    assert_same_weights(model, keras_model, atol=1e-5)


@pytest.mark.parametrize(
    "metrics",
    [
        ["mae", "accuracy"],
        [["mae", "mse"], None],
        {"direction": ["accuracy", "accuracy"]},
        {"level": "mae", "direction": ["accuracy"]},
    ],
    ids=["one-each", "list-and-none", "repeated", "dict"],
)
def test_history_keys_are_keras(keras, two_output_data, metrics):
    x, level, direction = two_output_data
    keras_model = two_output_model(keras)
    model = twin(keras_model, two_output_model(kerastorch))
    compile_both(
        keras_model,
        model,
        keras,
        loss=["mse", "sparse_categorical_crossentropy"],
        metrics=metrics,
    )
    args = {"validation_split": 0.25, **FIT, "epochs": 1}
    expected = keras_model.fit(x, [level, direction], **args).history
    actual = model.fit(x, [level, direction], **args).history
    assert_same_history(actual, expected)


def test_one_loss_for_every_output_and_an_untrained_output(keras, two_output_data):
    x, level, direction = two_output_data
    onehot = np.eye(2, dtype="float32")[direction]
    for loss in ("mse", ["mse", None]):
        keras_model = two_output_model(keras)
        model = twin(keras_model, two_output_model(kerastorch))
        compile_both(keras_model, model, keras, loss=loss)
        with warnings.catch_warnings():  # Keras warns that "direction" gets no gradient
            warnings.simplefilter("ignore")
            expected = keras_model.fit(x, [level, onehot], **FIT).history
        actual = model.fit(x, [level, onehot], **FIT).history
        assert_same_history(actual, expected)  # ["mse", None]: only "loss", as Keras


def test_callbacks_monitor_a_per_output_key(keras, two_output_data):
    """EarlyStopping on val_direction_loss stops at the same epoch as Keras's."""
    x, level, direction = two_output_data
    keras_model = two_output_model(keras)
    model = twin(keras_model, two_output_model(kerastorch))
    kwargs = {"loss": ["mse", "sparse_categorical_crossentropy"], "loss_weights": [1.0, 0.0]}
    keras_model.compile(optimizer=keras.optimizers.SGD(0.5), **kwargs)
    model.compile(optimizer=kerastorch.optimizers.SGD(0.5), **kwargs)
    args = {**FIT, "epochs": 12, "validation_split": 0.25}
    expected = keras_model.fit(
        x,
        [level, direction],
        callbacks=[keras.callbacks.EarlyStopping("val_direction_loss", patience=1, mode="min")],
        **args,
    ).history
    stopper = EarlyStopping("val_direction_loss", patience=1, mode="min")
    actual = model.fit(x, [level, direction], callbacks=[stopper], **args).history
    assert len(actual["loss"]) == len(expected["loss"]) < 12
    assert_same_history(actual, expected)


# -- subclassed models -------------------------------------------------------------------------------


def subclassed_two_input(lib):
    class TwoInput(lib.Model):
        def __init__(self):
            super().__init__()
            self.lstm = lib.layers.LSTM(5)
            self.dense = lib.layers.Dense(4, activation="relu")
            self.head = lib.layers.Dense(1)

        def call(self, inputs):
            merged = lib.ops.concatenate(
                [self.lstm(inputs["prices"]), self.dense(inputs["sector"])], axis=-1
            )
            return self.head(merged)

    return TwoInput()


def test_subclassed_model_with_a_dict_of_inputs_trains_like_keras(keras, two_input_data):
    x, y = two_input_data
    keras_model = subclassed_two_input(keras)
    keras_model({key: value[:2] for key, value in x.items()})  # build
    model = subclassed_two_input(kerastorch)
    model({key: torch.as_tensor(value[:2]) for key, value in x.items()})
    model.set_weights(keras_model.get_weights())
    compile_both(keras_model, model, keras, loss="mse", metrics=["mae"])
    expected = keras_model.fit(x, y, validation_split=0.25, **FIT).history
    actual = model.fit(x, y, validation_split=0.25, **FIT).history
    assert_same_history(actual, expected)
    assert_same_weights(model, keras_model)


def test_an_unbuilt_subclassed_model_with_a_list_of_inputs_builds_on_the_first_batch():
    class Pair(kerastorch.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = kerastorch.layers.Dense(1), kerastorch.layers.Dense(1)

        def call(self, inputs):
            return self.a(inputs[0]) + self.b(inputs[1])

    rng = np.random.default_rng(4)
    xa, xb = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    model = Pair()
    model.compile(optimizer="sgd", loss="mse")
    model.fit([xa, xb], xa[:, :1] - xb[:, :1], epochs=1, verbose=0)
    assert model.built and model.count_params() == 4 + 3
    ka, ba, kb, bb = model.get_weights()
    hand = xa @ ka + ba + xb @ kb + bb
    assert_close(model.predict([xa, xb], verbose=0), hand.astype("float32"), atol=1e-5)


# -- saving -------------------------------------------------------------------------------------------


def test_compile_config_keeps_per_output_losses_weights_and_metrics(two_output_data):
    """The compile config a .kt file holds: a model compiled from it logs the same values."""
    x, level, direction = two_output_data
    model = two_output_model(kerastorch)
    model.compile(
        optimizer="adam",
        loss={"level": "mse", "direction": kerastorch.losses.SparseCategoricalCrossentropy()},
        loss_weights={"level": 1.0, "direction": 0.3},
        metrics=[["mae"], ["accuracy", kerastorch.metrics.SparseCategoricalAccuracy()]],
    )
    config = json.loads(json.dumps(serialization.serialize_compile_config(model.compiled)))
    restored = two_output_model(kerastorch)
    restored.set_weights(model.get_weights())
    serialization.deserialize_compile_config(restored, config, None)
    assert restored.compiled.loss_weights == {"level": 1.0, "direction": 0.3}
    y = {"level": level, "direction": direction}
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    actual = restored.evaluate(x, y, verbose=0, return_dict=True)
    assert list(actual) == list(expected)
    assert actual == pytest.approx(expected, abs=1e-6)
    assert_close(actual["loss"], expected["level_loss"] + 0.3 * expected["direction_loss"])


# -- the data structures themselves ----------------------------------------------------------------


def test_structured_data_splits_every_array_at_the_same_sample():
    data = StructuredData(
        [np.arange(10.0)[:, None], [np.ones((k % 3 + 1, 2)) * k for k in range(10)]],
        {"o": np.arange(10)},
        None,
        Signature(("a", "b"), ("o",), True),
    )
    train, val = data.split(0.3)
    assert (len(train), len(val)) == (7, 3)
    batch = val.batch(slice(0, 3))
    assert batch.x[0][:, 0].tolist() == [7.0, 8.0, 9.0]
    assert batch.x[1][:, 0, 0].tolist() == [7.0, 8.0, 9.0]
    assert batch.mask[1].sum(1).tolist() == [2, 3, 1] and batch.mask[0] is None
    assert batch.y.tolist() == [7, 8, 9]  # one output given as {name: array}


def test_predict_on_batch_with_a_dict_of_inputs_is_one_batch(keras, two_input_data):
    x, _ = two_input_data
    keras_model = two_input_model(keras)
    model = twin(keras_model, two_input_model(kerastorch))
    assert_close(model.predict_on_batch(x), keras_model.predict_on_batch(x), atol=1e-5)


# -- streams of structured batches -----------------------------------------------------------------


def two_in_two_out_model(lib):
    prices = lib.Input((None, 4), name="prices")
    sector = lib.Input((3,), name="sector")
    merged = lib.layers.Concatenate()([lib.layers.LSTM(5)(prices), sector])
    return lib.Model(
        [prices, sector],
        [lib.layers.Dense(1, name="level")(merged), lib.layers.Dense(1, name="risk")(merged)],
    )


def structured_batches(two_input_data, as_lists=False):
    """Batches of 8 of a dict of inputs and a dict of targets (or lists in model order), with
    per-output sample weights."""
    x, y = two_input_data
    risk = (x["sector"][:, 1:2] * 0.5).astype("float32")
    weight = np.linspace(0.5, 1.5, len(y)).astype("float32")
    batches = []
    for i in range(0, len(y), 8):
        rows = slice(i, i + 8)
        inputs = {name: values[rows] for name, values in x.items()}
        targets = {"level": y[rows], "risk": risk[rows]}
        weights = [weight[rows], np.ones(len(weight[rows]), "float32")]  # Keras: a list only
        if as_lists:
            inputs, targets = [inputs["prices"], inputs["sector"]], list(targets.values())
        batches.append((inputs, targets, weights))
    return batches


@pytest.mark.parametrize("source", ["generator", "PyDataset", "Pipeline", "lists"])
def test_streams_of_dict_batches_train_evaluate_and_predict_as_keras(keras, two_input_data, source):
    """Generators, PyDatasets and Pipelines that yield dicts (or lists) per input and output."""
    keras_model = two_in_two_out_model(keras)
    model = twin(keras_model, two_in_two_out_model(kerastorch))
    compile_both(keras_model, model, keras, loss=["mse", "mae"], metrics=[["mae"], []])
    batches = structured_batches(two_input_data, as_lists=source == "lists")

    def feed(lib):  # Keras is always fed by a generator: the same batches in the same order
        if source == "PyDataset" and lib is kerastorch:

            class Batches(kerastorch.utils.PyDataset):
                def __len__(self):
                    return len(batches)

                def __getitem__(self, index):
                    return batches[index]

            return Batches()
        if source == "Pipeline" and lib is kerastorch:
            return kerastorch.utils.Pipeline.of_batches(len(batches), batches.__getitem__)
        return (batch for _ in range(3) for batch in batches)

    steps = {"steps_per_epoch": len(batches)} if source in ("generator", "lists") else {}
    expected = keras_model.fit(
        feed(keras), steps_per_epoch=len(batches), epochs=3, shuffle=False, verbose=0
    )
    actual = model.fit(feed(kerastorch), epochs=3, shuffle=False, verbose=0, **steps)
    assert_same_history(actual.history, expected.history)
    assert_same_weights(model, keras_model)
    steps = {"steps": len(batches)}
    assert_same_history(
        model.evaluate(feed(kerastorch), verbose=0, return_dict=True, **steps),
        keras_model.evaluate(feed(keras), verbose=0, return_dict=True, **steps),
        atol=1e-5,
    )
    inputs_only = [(batch[0],) for batch in batches]
    predicted = model.predict((b for b in inputs_only), verbose=0, **steps)
    expected = keras_model.predict((b for b in inputs_only), verbose=0, **steps)
    assert_close(predicted, expected, atol=1e-5)


def test_a_torch_dataset_of_dict_samples_is_collated_per_input(keras, two_input_data):
    x, y = two_input_data

    class Samples(torch.utils.data.Dataset):
        def __len__(self):
            return len(y)

        def __getitem__(self, i):
            return {"sector": x["sector"][i], "prices": x["prices"][i]}, y[i]

    keras_model = two_input_model(keras)
    model = twin(keras_model, two_input_model(kerastorch))
    compile_both(keras_model, model, keras, loss="mse")
    expected = keras_model.fit(x, y, **FIT).history
    assert_same_history(model.fit(Samples(), **FIT).history, expected)
    assert_same_weights(model, keras_model)


def test_structured_stream_errors_name_the_model_and_the_keys(two_input_data):
    x, y = two_input_data
    model = two_input_model(kerastorch)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(
        ValueError, match=r"Model '.*' has inputs \['prices', 'sector'\]; x has no \['sector'\]"
    ):
        model.fit(iter([({"prices": x["prices"]}, y)]), verbose=0)
    with pytest.raises(
        ValueError, match=r"has 2 inputs \['prices', 'sector'\], received one ndarray"
    ):
        model.fit(iter([(x["prices"], y)]), verbose=0)
    with pytest.raises(ValueError, match=r"x has 32 samples .* y has shape \(31, 1\)"):
        model.fit(iter([(x, y[:31])]), verbose=0)
    sequential = kerastorch.Sequential([kerastorch.Input((3,)), kerastorch.layers.Dense(1)])
    sequential.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=r"dict \(keys \['sector'\]\).*takes one input"):
        sequential.fit(iter([({"sector": x["sector"]}, y)]), verbose=0)
