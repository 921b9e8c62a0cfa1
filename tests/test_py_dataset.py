"""PyDataset equals Keras 3's (torch backend) on the same class: the batches read, the epoch hooks,
the history; and its workers really read in parallel (threads, DataLoader worker processes)."""

import os
import threading
import warnings

import numpy as np
import pytest

import kerastorch as kt


def dataset_class(base):
    """One PyDataset class, written once, on Keras's base or kerastorch's."""

    class Windows(base):
        def __init__(self, log, count=5, batch=4, weights=False, as_list=False, **kwargs):
            super().__init__(**kwargs)
            rng = np.random.default_rng(0)
            self.x = rng.normal(size=(count * batch, 3)).astype("float32")
            self.y = (self.x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
            self.w = rng.uniform(0.5, 2.0, size=count * batch).astype("float32")
            self.log, self.count, self.batch = log, count, batch
            self.weights, self.as_list = weights, as_list

        def __len__(self):
            return self.count

        def __getitem__(self, index):
            self.log.append(("get", index))
            rows = slice(index * self.batch, (index + 1) * self.batch)
            batch = (self.x[rows], self.y[rows]) + ((self.w[rows],) if self.weights else ())
            return list(batch) if self.as_list else batch

        def on_epoch_begin(self):
            self.log.append(("begin",))

        def on_epoch_end(self):
            self.log.append(("end",))

    return Windows


def models(keras):
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    reference.compile(optimizer="sgd", loss="mse")
    model = kt.Sequential([kt.layers.Input((3,)), kt.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.set_weights(reference.get_weights())
    return reference, model


@pytest.mark.parametrize("variant", ["tuples", "lists", "sample_weights"])
def test_fit_reads_the_same_batches_calls_the_same_hooks_and_gives_the_same_history(keras, variant):
    reference, model = models(keras)
    kwargs = {"as_list": variant == "lists", "weights": variant == "sample_weights"}
    keras_log, log = [], []
    keras_class, our_class = dataset_class(keras.utils.PyDataset), dataset_class(kt.utils.PyDataset)
    expected = reference.fit(
        keras_class(keras_log, **kwargs),
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=keras_class(keras_log, count=2, **kwargs),
    )
    actual = model.fit(
        our_class(log, **kwargs),
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=our_class(log, count=2, **kwargs),
    )
    # Batch 0 in a pass of its own (to build), then per epoch: the 5 batches, then a restart
    # (a lone on_epoch_end) and the 2 validation batches, each pass between the hooks.
    assert log == keras_log
    assert log[:3] == [("begin",), ("get", 0), ("end",)]
    assert log[9:11] == [("end",), ("end",)]
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(actual.history[key], expected.history[key], rtol=1e-5)
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    # evaluate after fit: a restart, then one pass in order; predict: one pass.
    keras_log.clear(), log.clear()
    np.testing.assert_allclose(
        model.evaluate(our_class(log, **kwargs), verbose=0),
        reference.evaluate(keras_class(keras_log, **kwargs), verbose=0),
        rtol=1e-5,
    )
    assert log == keras_log == [("end",), ("begin",), *[("get", i) for i in range(5)], ("end",)]
    keras_log.clear(), log.clear()
    np.testing.assert_allclose(
        model.predict(our_class(log, **kwargs), verbose=0),
        reference.predict(keras_class(keras_log, **kwargs), verbose=0),
        atol=1e-5,
    )
    assert log == keras_log == [("begin",), *[("get", i) for i in range(5)], ("end",)]


def test_reads_and_hooks_follow_keras_across_compile_fit_evaluate_and_predict(keras):
    """A batch is read ahead only while the model or its compiled metrics are unbuilt (after
    each compile), as Keras's symbolic build reads it; otherwise a lone on_epoch_end restarts
    the dataset before fit and evaluate, and predict reads nothing ahead."""
    logs = {}
    for name, library in (("keras", keras), ("ours", kt)):
        log = logs[name] = []
        windows = dataset_class(library.utils.PyDataset)
        model = library.Sequential([library.Input((3,)), library.layers.Dense(1)])
        for action in ("compile", "evaluate", "fit", "fit", "compile", "fit", "predict"):
            log.append(action)
            if action == "compile":
                model.compile(optimizer="sgd", loss="mse")
            elif action == "fit":
                model.fit(windows(log, count=2), shuffle=False, verbose=0)
            else:
                getattr(model, action)(windows(log, count=2), verbose=0)
    assert logs["ours"] == logs["keras"]
    read = [("begin",), ("get", 0), ("end",)]
    passes = [("begin",), ("get", 0), ("get", 1), ("end",)]
    assert logs["ours"] == [
        *["compile", "evaluate", *read, *passes],
        *["fit", ("end",), *passes, "fit", ("end",), *passes],
        *["compile", "fit", *read, *passes, "predict", *passes],
    ]


def test_shuffle_orders_the_batches_anew_every_epoch_as_keras(keras):
    reference, model = models(keras)
    keras_log, log = [], []
    reference.fit(dataset_class(keras.utils.PyDataset)(keras_log, count=8), epochs=3, verbose=0)
    model.fit(dataset_class(kt.utils.PyDataset)(log, count=8), epochs=3, verbose=0)

    def epochs(entries):
        passes, current = [], None
        for entry in entries:
            if entry == ("begin",):
                current = []
            elif entry == ("end",):
                passes.append(current)
            else:
                current.append(entry[1])
        return passes

    # The build pass (one batch), then 3 epochs of all 8 batches, each in a new order.
    for passes in (epochs(keras_log), epochs(log)):
        assert len(passes) == 4 and len(passes[0]) == 1
        assert all(sorted(p) == list(range(8)) for p in passes[1:])
    ours = epochs(log)[1:]
    assert ours[0] != ours[1] or ours[1] != ours[2]
    # The order comes from torch's global generator: set_random_seed repeats it.
    again = []
    for _ in range(2):
        kt.utils.set_random_seed(5)
        orders = []
        model.fit(dataset_class(kt.utils.PyDataset)(orders, count=8), epochs=2, verbose=0)
        again.append(epochs(orders))
    assert again[0] == again[1]


def test_steps_per_epoch_continue_through_the_batches_as_keras(keras):
    reference, model = models(keras)
    keras_log, log = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reference.fit(
            dataset_class(keras.utils.PyDataset)(keras_log, count=3),
            epochs=3,
            steps_per_epoch=2,
            shuffle=False,
            verbose=0,
        )
    assert any("ran out of data" in str(w.message) for w in caught)
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(
            dataset_class(kt.utils.PyDataset)(log, count=3),
            epochs=3,
            steps_per_epoch=2,
            shuffle=False,
            verbose=0,
        )
    # After the build's batch 0, epochs of batches (0, 1), (2), (0, 1), as Keras.
    assert log == keras_log
    assert [i for _, *i in log if i] == [[0], [0], [1], [2], [0], [1]]


class Threaded(kt.utils.PyDataset):
    """Records which thread / process read each batch; on_epoch_end moves the targets."""

    def __init__(self, record, **kwargs):
        super().__init__(**kwargs)
        self.record, self.offset = record, 0.0
        self.x = np.arange(24, dtype="float32").reshape(12, 2)

    def __len__(self):
        return 6

    def __getitem__(self, index):
        with open(self.record, "a") as file:
            file.write(f"{os.getpid()} {threading.get_ident()} {index}\n")
        x = self.x[2 * index : 2 * index + 2]
        return x, x[:, :1] * 0 + self.offset

    def on_epoch_end(self):
        self.offset += 1.0


def reads(record):
    with open(record) as file:
        return [tuple(int(v) for v in line.split()) for line in file]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"workers": 3},
        {"workers": 2, "use_multiprocessing": True, "max_queue_size": 3},
        {"workers": 1, "use_multiprocessing": True},
    ],
    ids=["threads", "processes", "one_process"],
)
def test_workers_read_in_parallel_and_give_the_same_training(tmp_path, kwargs):
    def trained(record, **options):
        kt.utils.set_random_seed(0)
        model = kt.Sequential([kt.layers.Input((2,)), kt.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(Threaded(record, **options), epochs=2, shuffle=False, verbose=0)
        return history.history["loss"], model.get_weights()

    expected_loss, expected_weights = trained(tmp_path / "serial.txt")
    loss, weights = trained(tmp_path / "parallel.txt", **kwargs)
    # The same batches in the same order (targets moved by on_epoch_end between epochs, seen
    # by the next epoch's workers): the same training.
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)
    for ours, theirs in zip(weights, expected_weights, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    serial, parallel = reads(tmp_path / "serial.txt"), reads(tmp_path / "parallel.txt")
    assert sorted(i for *_, i in parallel) == sorted(i for *_, i in serial)
    readers = {(pid, thread) for pid, thread, _ in parallel[1:]}  # after the build's batch 0
    if kwargs.get("use_multiprocessing"):
        assert all(pid != os.getpid() for pid, _ in readers)  # worker processes
        assert len({pid for pid, _ in readers}) >= kwargs["workers"]  # new ones every epoch
    else:
        assert all(pid == os.getpid() for pid, _ in readers)
        assert threading.get_ident() not in {thread for _, thread in readers}


def test_errors_and_the_super_init_warning():
    class NoLength(kt.utils.PyDataset):
        def __getitem__(self, index):
            return np.zeros((2, 3)), np.zeros(2)

    with pytest.raises(NotImplementedError, match="must implement __len__"):
        list(NoLength())

    class Empty(NoLength):
        def __len__(self):
            return 0

    model = kt.Sequential([kt.layers.Input((3,)), kt.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="the PyDataset Empty has no batches"):
        model.fit(Empty(), verbose=0)

    class Forgetful(NoLength):
        def __init__(self):  # no super().__init__()
            pass

        def __len__(self):
            return 1

    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__\(\*\*kwargs\)`"):
        model.fit(Forgetful(), verbose=0)
    with pytest.raises(ValueError, match="When providing `x` as a PyDataset, `y` should not"):
        model.fit(Forgetful(), np.zeros(2), verbose=0)
    with pytest.raises(ValueError, match="validation_split` is only supported for tensors"):
        model.fit(Forgetful(), validation_split=0.5, verbose=0)

    class Endless(NoLength):
        @property
        def num_batches(self):
            return None

    with pytest.raises(ValueError, match="is infinite"):
        model.fit(Endless(), verbose=0)
    assert len(model.fit(Endless(), steps_per_epoch=3, epochs=2, verbose=0).history["loss"]) == 2
    assert model.predict(Endless(), steps=2, verbose=0).shape == (4, 1)


def test_class_weight_and_inputs_only_batches(keras):
    class Labels(kt.utils.PyDataset):
        def __init__(self, with_targets=True, **kwargs):
            super().__init__(**kwargs)
            rng = np.random.default_rng(1)
            self.x = rng.normal(size=(12, 3)).astype("float32")
            self.y = (np.arange(12) % 2).astype("float32")[:, None]
            self.with_targets = with_targets

        def __len__(self):
            return 3

        def __getitem__(self, index):
            rows = slice(4 * index, 4 * index + 4)
            return (self.x[rows], self.y[rows]) if self.with_targets else self.x[rows]

    reference, model = models(keras)
    data = Labels()
    weights = {0: 1.0, 1: 3.0}
    expected = reference.fit(
        data.x, data.y, batch_size=4, epochs=2, shuffle=False, verbose=0, class_weight=weights
    )
    actual = model.fit(data, epochs=2, shuffle=False, verbose=0, class_weight=weights)
    np.testing.assert_allclose(actual.history["loss"], expected.history["loss"], rtol=1e-5)
    # A dataset of inputs only: predict takes it.
    np.testing.assert_allclose(
        model.predict(Labels(with_targets=False), verbose=0),
        reference.predict(data.x, verbose=0),
        atol=1e-5,
    )
