"""Pipeline: the tf.data.Dataset methods Keras scripts call on the datasets of Keras's utilities,
checked against values computed by hand (TensorFlow is not installed), and fit / evaluate /
predict on such a dataset, lazily."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import kerastorch as kt
from kerastorch.utils import Pipeline, timeseries_dataset_from_array
from kerastorch.utils.dataset import INFINITE, UNKNOWN


def numbers(n=10):
    return Pipeline.from_tensor_slices((torch.arange(n, dtype=torch.float32), torch.arange(n)))


def ys(dataset):
    return [y.tolist() for _, y in dataset]


def test_take_skip_map_and_cardinality():
    data = numbers()
    assert len(data) == 10 and int(data.cardinality()) == 10
    assert ys(data.take(3)) == [0, 1, 2]
    assert ys(data.skip(7)) == [7, 8, 9]
    assert ys(data.skip(8).take(5)) == [8, 9]
    assert ys(data.take(-1)) == list(range(10)) and ys(data.skip(-1)) == []
    assert len(data.skip(12)) == 0 and len(data.take(12)) == 10
    doubled = data.map(lambda x, y: (x * 2, y + 100))  # a tuple is passed as arguments
    assert [(float(x), int(y)) for x, y in doubled.skip(2).take(2)] == [(4.0, 102), (6.0, 103)]
    assert len(doubled) == 10
    evens = data.filter(lambda x, y: y % 2 == 0)
    assert ys(evens) == [0, 2, 4, 6, 8] and int(evens.cardinality()) == UNKNOWN
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(evens)
    # Every iteration starts afresh.
    assert ys(data.take(2)) == ys(data.take(2)) == [0, 1]


def test_batch_unbatch_and_as_numpy_iterator():
    data = numbers()
    batches = data.batch(4)
    assert len(batches) == 3 and [y.tolist() for _, y in batches] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    assert len(data.batch(4, drop_remainder=True)) == 2
    assert [y.tolist() for _, y in data.batch(4, drop_remainder=True)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
    ]
    # unbatch is the inverse of batch, and its length is unknown (as tf.data's).
    assert ys(batches.unbatch()) == list(range(10))
    assert int(batches.unbatch().cardinality()) == UNKNOWN
    x, y = next(batches.as_numpy_iterator())
    assert isinstance(x, np.ndarray) and x.tolist() == [0.0, 1.0, 2.0, 3.0] and y.dtype == np.int64
    # Dicts and strings keep their structure.
    texts = Pipeline.from_tensor_slices(
        {"text": np.array(["a", "b", "c"], dtype=object), "n": [1, 2, 3]}
    )
    first = next(iter(texts.batch(2)))
    assert first["text"].tolist() == ["a", "b"] and first["n"].tolist() == [1, 2]
    assert [row["text"] for row in texts.batch(2).unbatch()] == ["a", "b", "c"]


def test_shuffle_repeat_and_cache():
    data = numbers(20)
    # A buffer as large as the data: a uniform permutation, a new one every iteration;
    # reproducible from the seed for a pipeline made again.
    first, second = ys(data.shuffle(20, seed=3)), ys(data.shuffle(20, seed=3))
    assert first == second and sorted(first) == list(range(20)) and first != list(range(20))
    shuffled = data.shuffle(20, seed=3)
    assert ys(shuffled) == first and ys(shuffled) != first
    fixed = data.shuffle(20, seed=3, reshuffle_each_iteration=False)
    assert ys(fixed) == ys(fixed)
    # A small buffer only reorders locally: item i comes out at position >= i - (buffer - 1).
    local = ys(data.shuffle(3, seed=0))
    assert sorted(local) == list(range(20))
    assert all(position >= item - 2 for position, item in enumerate(local))
    # repeat: counts and cardinalities.
    assert ys(numbers(3).repeat(2)) == [0, 1, 2, 0, 1, 2] and len(numbers(3).repeat(2)) == 6
    forever = numbers(3).repeat()
    assert int(forever.cardinality()) == INFINITE and ys(forever.take(7)) == [0, 1, 2, 0, 1, 2, 0]
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(forever)
    assert ys(numbers(3).take(0).repeat()) == []  # nothing repeated forever is nothing
    # cache replays the first complete pass (a shuffled one too); prefetch changes nothing.
    cached = data.shuffle(20, seed=1).cache().prefetch(2)
    assert ys(cached) == ys(cached)
    with pytest.raises(
        ValueError, match=r"expected batch_size to be a positive integer, received batch_size=0"
    ):
        data.batch(0)


def test_timeseries_dataset_as_keras_scripts_use_it():
    """The keras-io weather example: for inputs, targets in dataset.take(1)."""
    series = np.random.default_rng(0).normal(size=(1000, 7)).astype("float32")
    dataset = timeseries_dataset_from_array(
        series, series[120:, 1], sequence_length=120, batch_size=256
    )
    for inputs, targets in dataset.take(1):
        assert tuple(inputs.shape) == (256, 120, 7) and tuple(targets.shape) == (256,)
        np.testing.assert_array_equal(inputs[3].numpy(), series[3:123])
        assert float(targets[3]) == series[123, 1]
    # 1000 - 120 + 1 = 881 starts, but only 880 have a target: 4 batches, the last of 112.
    assert len(dataset) == 4 and [len(y) for _, y in dataset] == [256, 256, 256, 112]
    assert [len(x) for x, _ in dataset.unbatch().batch(300)] == [300, 300, 280]
    windows_only = timeseries_dataset_from_array(series, None, sequence_length=120, batch_size=None)
    assert len(windows_only) == 881 and tuple(next(iter(windows_only)).shape) == (120, 7)


def _model():
    kt.utils.set_random_seed(0)
    model = kt.Sequential([kt.layers.Input((5, 2)), kt.layers.Flatten(), kt.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_fit_evaluate_predict_take_the_dataset_batches_as_they_are():
    series = np.random.default_rng(1).normal(size=(60, 2)).astype("float32")
    dataset = timeseries_dataset_from_array(
        series[:-1], series[5:, 0], sequence_length=5, batch_size=8
    )
    x, y = dataset.windows.arrays()
    expected_model, model = _model(), _model()
    expected = expected_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    actual = model.fit(dataset, epochs=2, verbose=0, validation_data=dataset.take(2))
    np.testing.assert_allclose(actual.history["loss"], expected.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(
        actual.history["val_loss"][-1],
        expected_model.evaluate(x[:16], y[:16], verbose=0),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        model.predict(dataset, verbose=0), expected_model.predict(x, verbose=0), atol=1e-6
    )
    # A map in the pipeline runs per batch (here: targets scaled by 2).
    scaled = dataset.map(lambda inputs, targets: (inputs, targets * 2))
    np.testing.assert_allclose(
        model.evaluate(scaled, verbose=0), model.evaluate(x, y * 2, verbose=0), rtol=1e-6
    )
    # Inputs only: predict takes them; fit says the targets are missing.
    alone = timeseries_dataset_from_array(series[:-1], None, sequence_length=5, batch_size=8)
    assert model.predict(alone, verbose=0).shape == (55, 1)
    with pytest.raises(ValueError, match="has no targets"):
        model.fit(alone, verbose=0)
    with pytest.raises(
        ValueError, match="When providing `x` as a dataset, `y` should not be passed"
    ):
        model.fit(dataset, y, verbose=0)


def test_an_infinite_dataset_needs_steps():
    series = np.arange(40, dtype="float32")[:, None] * np.ones((1, 2), "float32")
    dataset = timeseries_dataset_from_array(series, series[:, 0], sequence_length=5, batch_size=4)
    model = _model()
    with pytest.raises(
        ValueError, match=r"is infinite \(repeat\(\) without a count\?\): pass steps_per_epoch"
    ):
        model.fit(dataset.repeat(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="is infinite"):
        model.predict(dataset.repeat(), verbose=0)
    # 9 batches per pass; 4 steps per epoch continue through the repeated passes.
    history = model.fit(dataset.repeat(), epochs=3, steps_per_epoch=4, verbose=0)
    assert len(history.history["loss"]) == 3
    assert model.predict(dataset.repeat(), steps=3, verbose=0).shape == (12, 1)


MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import kerastorch as kt

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    series = np.random.default_rng(0).normal(size=(10_000_000, 1)).astype("float32")  # 40 MB
    model = kt.Sequential([kt.layers.Input((120, 1)), kt.layers.Flatten(), kt.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((64, 120, 1), "float32"), np.zeros(64, "float32"), verbose=0)  # warm up
    reports = {}
    for shuffle in (False, True):
        before = peak_mb()
        dataset = kt.utils.timeseries_dataset_from_array(
            series, series[120:, 0], sequence_length=120, batch_size=256, shuffle=shuffle, seed=1
        )
        count = sum(len(y) for _, y in dataset.take(500))  # 128,000 windows, a batch at a time
        if not shuffle:  # the last ones (read by position: skip reads nothing before them)
            count += sum(len(y) for _, y in dataset.skip(len(dataset) - 3))
        model.fit(dataset, epochs=1, steps_per_epoch=50, verbose=0)
        model.evaluate(dataset.take(20), verbose=0)
        reports[shuffle] = {
            "windows": count, "batches": len(dataset), "growth_mb": peak_mb() - before
        }
    print(json.dumps(reports))
    """
)


def test_ten_million_steps_are_never_materialized():
    """All windows at once would be 10M x 120 x 4 bytes = 4.8 GB; a batch is 123 KB. Peak memory
    grows by the window order at most (40 MB of int32 indices when shuffled, as Keras's)."""
    import kerastorch

    root = kerastorch.__file__.rsplit("/kerastorch/", 1)[0]
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, root],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    ordered, shuffled = json.loads(result.stdout.strip().splitlines()[-1]).values()
    windows = 10_000_000 - 120
    assert ordered["batches"] == shuffled["batches"] == -(-windows // 256)
    assert ordered["windows"] == 500 * 256 + windows - (ordered["batches"] - 3) * 256
    assert shuffled["windows"] == 500 * 256
    assert ordered["growth_mb"] < 150 and shuffled["growth_mb"] < 150, (ordered, shuffled)
