"""Callbacks are called in Keras's order, with Keras's arguments, through fit/evaluate/predict.

A recording callback runs through the same ``fit`` (with validation), ``evaluate`` and
``predict`` in Keras 3 and in kerastorch; the lists of (hook, index, log keys) must be equal.
"""

import csv
import inspect

import numpy as np
import pytest

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import Callback, CallbackList, LambdaCallback
from kerastorch.layers import Dense
from tests.helpers import assert_close

BEGIN_END = ["train", "test", "predict"]
INDEXED = ["epoch", "train_batch", "test_batch", "predict_batch"]


def recorder_class(base, hooks=None):
    """A ``base`` subclass overriding ``hooks`` (default: every on_* hook but the deprecated
    on_batch_* aliases) to record ``(hook, index, log keys)``."""
    names = hooks or [
        *(f"on_{what}_{when}" for what in BEGIN_END for when in ("begin", "end")),
        *(f"on_{what}_{when}" for what in INDEXED for when in ("begin", "end")),
    ]

    class Recorder(base):
        def __init__(self):
            super().__init__()
            self.calls = []
            self.log_types = set()

    for name in names:
        if any(name.startswith(f"on_{what}_") for what in BEGIN_END) and name.count("_") == 2:

            def hook(self, logs=None, _name=name):
                self.calls.append((_name, None, list(logs or {})))
                self.log_types.add(type(logs).__name__)

        else:

            def hook(self, index, logs=None, _name=name):
                self.calls.append((_name, index, list(logs or {})))
                self.log_types.add(type(logs).__name__)

        setattr(Recorder, name, hook)
    return Recorder


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype("float32")
    y = rng.normal(size=(10, 1)).astype("float32")
    return x, y


def twin_models(keras):
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model = Sequential([Input((3,)), Dense(1)])
    model.set_weights(keras_model.get_weights())
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return keras_model, model


def run_both(keras, make_callbacks, fit_kwargs=None, evaluate=False, predict=False):
    """Run the same fit (and evaluate / predict) in both libraries with the callbacks that
    ``make_callbacks(module)`` returns; return each library's callbacks."""
    x, y = data()
    results = []
    for module, model in zip((keras, kerastorch), twin_models(keras), strict=True):
        callbacks = make_callbacks(module)
        kwargs = {"batch_size": 4, "epochs": 2, "validation_data": (x[:6], y[:6]), "verbose": 0}
        model.fit(x, y, callbacks=callbacks, shuffle=False, **{**kwargs, **(fit_kwargs or {})})
        if evaluate:
            model.evaluate(x, y, batch_size=4, verbose=0, callbacks=callbacks)
        if predict:
            model.predict(x, batch_size=4, verbose=0, callbacks=callbacks)
        results.append(callbacks)
    return results


def test_fit_and_evaluate_call_order_matches_keras(keras):
    (theirs,), (ours,) = run_both(
        keras, lambda module: [recorder_class(module.callbacks.Callback)()], evaluate=True
    )
    assert ours.calls == theirs.calls
    assert ours.calls[:4] == [
        ("on_train_begin", None, []),
        ("on_epoch_begin", 0, []),
        ("on_train_batch_begin", 0, []),
        ("on_train_batch_end", 0, ["loss", "mae"]),
    ]
    assert ("on_epoch_end", 1, ["loss", "mae", "val_loss", "val_mae"]) in ours.calls


def test_predict_call_order_matches_keras(keras):
    def names(module):
        hooks = ["on_predict_begin", "on_predict_end", "on_predict_batch_begin"]
        return [recorder_class(module.callbacks.Callback, hooks)()]

    (theirs,), (ours,) = run_both(keras, names, fit_kwargs={"epochs": 0}, predict=True)
    assert ours.calls == theirs.calls
    assert [name for name, _, _ in ours.calls].count("on_predict_batch_begin") == 3


def _loop_passes_predict_outputs():
    from kerastorch.training import loop

    return '"outputs"' in inspect.getsource(loop.predict)


@pytest.mark.xfail(
    not _loop_passes_predict_outputs(),
    reason="needs loop change: on_predict_batch_end logs {'outputs': batch outputs}",
    strict=True,
)
def test_predict_batch_end_receives_the_outputs(keras):
    class Outputs(Callback):
        def __init__(self):
            super().__init__()
            self.outputs = []

        def on_predict_batch_end(self, batch, logs=None):
            self.outputs.append(np.asarray(logs["outputs"]))

    x, _ = data()
    model = Sequential([Input((3,)), Dense(2)])
    callback = Outputs()
    predictions = model.predict(x, batch_size=4, verbose=0, callbacks=[callback])
    assert [len(o) for o in callback.outputs] == [4, 4, 2]
    assert_close(np.concatenate(callback.outputs), predictions, atol=0)


def test_deprecated_batch_aliases_see_training_batches_only(keras):
    def aliases(module):
        return [recorder_class(module.callbacks.Callback, ["on_batch_begin", "on_batch_end"])()]

    (theirs,), (ours,) = run_both(keras, aliases, evaluate=True)
    assert ours.calls == theirs.calls
    assert ours.calls[:2] == [("on_batch_begin", 0, []), ("on_batch_end", 0, ["loss", "mae"])]
    assert len(ours.calls) == 2 * 3 * 2  # 2 hooks, 3 training batches, 2 epochs


def test_stop_training_from_a_batch_hook_matches_keras(keras):
    def stopper(module):
        class Stop(recorder_class(module.callbacks.Callback)):
            def on_train_batch_end(self, batch, logs=None):
                super().on_train_batch_end(batch, logs)
                if batch == 1:
                    self.model.stop_training = True

        return [Stop()]

    (theirs,), (ours,) = run_both(keras, stopper, fit_kwargs={"epochs": 3})
    assert ours.calls == theirs.calls
    # The epoch ends after batch 1, still validates, and no other epoch starts.
    names = [name for name, _, _ in ours.calls]
    assert names.count("on_epoch_begin") == 1 and names.count("on_test_begin") == 1


def test_lambda_callback_matches_keras(keras):
    def lambdas(module):
        calls = []
        callback = module.callbacks.LambdaCallback(
            on_train_begin=lambda logs: calls.append(("train_begin", list(logs or {}))),
            on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
            on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, list(logs))),
            on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
            on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, list(logs))),
            on_test_batch_end=lambda batch, logs: calls.append(("test_batch_end", batch)),
            on_train_end=lambda logs: calls.append(("train_end", list(logs or {}))),
        )
        callback.calls = calls
        return [callback]

    (theirs,), (ours,) = run_both(keras, lambdas)
    assert ours.calls == theirs.calls
    assert len(ours.calls) == 1 + 2 * (1 + 3 * 2 + 2 + 1) + 1


def _hooks_receive_dicts():
    """Whether CallbackList gives every hook a dict, as Keras's does (never None)."""
    seen = []
    probe = LambdaCallback(
        on_train_begin=seen.append, on_epoch_begin=lambda e, logs: seen.append(logs)
    )
    callbacks = CallbackList([probe], model=None, params={})
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    return all(isinstance(logs, dict) for logs in seen)


@pytest.mark.xfail(
    not _hooks_receive_dicts(),
    reason="needs CallbackList change: pass {} instead of None, as Keras's pythonify_logs does",
    strict=True,
)
def test_every_hook_receives_a_dict(keras):
    (theirs,), (ours,) = run_both(
        keras, lambda module: [recorder_class(module.callbacks.Callback)()], evaluate=True
    )
    assert theirs.log_types == {"dict"}
    assert ours.log_types == theirs.log_types


def test_an_error_in_a_callback_names_the_callback():
    class Exploding(Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise ValueError(f"bad epoch {epoch}")

    x, y = data()
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    ended = []
    with pytest.raises(ValueError, match="bad epoch 0") as info:
        model.fit(
            x,
            y,
            epochs=2,
            verbose=0,
            callbacks=[Exploding(), LambdaCallback(on_train_end=ended.append)],
        )
    assert info.value.__notes__ == ["(raised in callback Exploding.on_epoch_end)"]
    assert ended == []  # as in Keras, an error skips on_train_end


def test_ctrl_c_still_ends_training():
    class CtrlC(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if self.epoch == 2 and batch == 1:
                raise KeyboardInterrupt

    record = recorder_class(Callback, ["on_epoch_end", "on_train_end"])()
    x, y = data()
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match=r"fit\(\) interrupted during epoch 3"):
        history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[CtrlC(), record])
    assert history.epoch == [0, 1]
    assert record.calls == [
        ("on_epoch_end", 0, ["loss"]),
        ("on_epoch_end", 1, ["loss"]),
        ("on_train_end", None, ["loss"]),  # the last finished epoch's logs
    ]


def test_csv_logger_file_matches_keras_through_fit(keras, tmp_path):
    paths = {}

    def loggers(module):
        paths[module.__name__] = tmp_path / f"{module.__name__}.csv"
        return [module.callbacks.CSVLogger(paths[module.__name__])]

    run_both(keras, loggers, fit_kwargs={"epochs": 3})
    tables = {}
    for name, path in paths.items():
        with open(path, newline="") as handle:
            tables[name] = list(csv.reader(handle))
    theirs, ours = tables["keras"], tables["kerastorch"]
    assert ours[0] == theirs[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [row[0] for row in ours] == [row[0] for row in theirs]
    assert_close(
        np.array([row[1:] for row in ours[1:]], float),
        np.array([row[1:] for row in theirs[1:]], float),
    )
