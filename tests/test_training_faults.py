"""Training that does not go to plan: Ctrl-C, a NaN loss, a crashing callback; and runs that must
repeat exactly (set_random_seed)."""

import signal
import threading

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import Callback, LambdaCallback, TerminateOnNaN
from kerastorch.layers import LSTM, Dense, Dropout
from tests.helpers import assert_close

STOP_EPOCH, STOP_BATCH = 1, 2  # the interrupt comes in the second epoch, after its third batch


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def _model(seed=0):
    kerastorch.utils.set_random_seed(seed)
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


class Recorder(Callback):
    """Records the hooks that ran (epoch and batch ends, train end)."""

    def __init__(self):
        super().__init__()
        self.batches, self.train_end = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append((self.epoch, batch))

    def on_train_end(self, logs=None):
        self.train_end.append(dict(logs))


class InterruptAt(Callback):
    """Simulates Ctrl-C arriving while the loop runs on_train_batch_end."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (STOP_EPOCH, STOP_BATCH):
            raise KeyboardInterrupt


class StopAt(InterruptAt):
    """The reference: the same batch, stopped the polite way (model.stop_training)."""

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (STOP_EPOCH, STOP_BATCH):
            self.model.stop_training = True


def _fit(model, callbacks, **kwargs):
    x, y = _data()
    kwargs = {"batch_size": 4, "epochs": 5, "shuffle": False, "validation_split": 0.2, **kwargs}
    return model.fit(x, y, verbose=0, callbacks=callbacks, **kwargs)


def test_ctrl_c_keeps_the_finished_steps_and_returns_the_finished_epochs():
    reference = _model()
    stopped = _fit(reference, [StopAt()])
    model, recorder = _model(), Recorder()
    with pytest.warns(UserWarning, match=r"interrupted during epoch 2.*1 finished epoch"):
        history = _fit(model, [recorder, InterruptAt()])
    # 1. The History holds the finished epoch only, with its validation.
    assert history.epoch == [0]
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    for key, values in history.history.items():
        assert values == stopped.history[key][:1]
    # 2. The weights are those after the interrupted batch, as with stop_training there.
    assert recorder.batches[-1] == (STOP_EPOCH, STOP_BATCH)
    for ours, expected in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, expected)
    # 3. on_train_end ran (once), with the last finished epoch's logs.
    assert recorder.train_end == [{k: v[0] for k, v in history.history.items()}]
    # 4. The model is usable: inference mode, predict, and training resumes where it was
    #    (the optimizer state matches the reference's too).
    assert not model.training
    x, _ = _data()
    expected = model(torch.as_tensor(x)).detach().numpy()
    assert_close(model.predict(x, verbose=0), expected, atol=0)
    _fit(model, [], epochs=1)
    _fit(reference, [], epochs=1)
    for ours, expected in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, expected)


class SigintDuringForward:
    """Sends a real SIGINT to the process in the middle of a training step's forward pass."""

    def __init__(self, model):
        self.armed = True
        self.calls = 0
        model.layers[0].register_forward_hook(self.hook)

    def hook(self, module, args, output):
        if module.training:
            self.calls += 1
            # The third batch of the second epoch (8 batches of 4 per epoch).
            if self.armed and self.calls == 8 + STOP_BATCH + 1:
                self.armed = False
                signal.raise_signal(signal.SIGINT)


@pytest.fixture
def interactive_sigint():
    """Python's own Ctrl-C handler, as in an interactive process. A process started in the
    background by a shell without job control (CI runners, `cmd &` in a script) inherits SIGINT
    ignored, and fit rightly leaves an ignored SIGINT alone."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main thread"
)
@pytest.mark.usefixtures("interactive_sigint")
def test_real_sigint_mid_step_finishes_the_batch_then_stops():
    reference = _model()
    _fit(reference, [StopAt()])
    model = _model()
    SigintDuringForward(model)
    try:
        with pytest.warns(UserWarning, match="interrupted"):
            history = _fit(model, [])
    except KeyboardInterrupt:  # never let a stray interrupt end the test session
        pytest.fail("fit() let the KeyboardInterrupt escape")
    assert history.epoch == [0]
    for ours, expected in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, expected)


def test_fit_leaves_a_sigint_handler_it_did_not_expect_alone():
    seen = []
    spy = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(signal.getsignal(signal.SIGINT))
    )
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _fit(_model(), [spy], epochs=1)
        assert seen == [signal.SIG_IGN]  # ignored stays ignored during fit ...
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # ... and after it
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _fit(_model(), [spy], epochs=1)
        assert seen[1] not in (signal.SIG_IGN, signal.default_int_handler)  # deferred Ctrl-C
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, previous)


def test_nan_loss_with_terminate_on_nan_stops_like_keras(keras, capsys):
    # A learning rate of 1e20 makes the weights explode after the first batch: the loss of the
    # second batch (batch 1) overflows float32, and the running epoch loss is no longer finite.
    x, y = _data(24)
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model = Sequential([Input((3,)), Dense(1)])
    model.set_weights(keras_model.get_weights())
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e20), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=1e20), loss="mse")
    recorder = Recorder()
    kwargs = {"batch_size": 4, "epochs": 3, "shuffle": False, "verbose": 0}
    history = model.fit(x, y, callbacks=[TerminateOnNaN(), recorder], **kwargs)
    ours = capsys.readouterr().out
    theirs_history = keras_model.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()], **kwargs)
    theirs = capsys.readouterr().out
    assert "Batch 1: Invalid loss, terminating training" in ours
    assert ours.strip() == theirs.strip()
    # Stopped after the bad batch; the epoch ended and on_train_end ran, as in Keras.
    assert recorder.batches == [(0, 0), (0, 1)]
    assert history.epoch == [0] and not np.isfinite(history.history["loss"][0])
    assert list(theirs_history.history) == ["loss"]
    assert not np.isfinite(theirs_history.history["loss"][0])
    assert len(recorder.train_end) == 1


class Exploding(Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise ValueError("my callback failed")


def test_an_exception_in_a_user_callback_names_the_callback():
    model, recorder = _model(), Recorder()
    with pytest.raises(ValueError, match="my callback failed") as info:
        _fit(model, [recorder, Exploding()])
    assert info.value.__notes__ == ["(raised in callback Exploding.on_epoch_end)"]
    assert recorder.train_end == []  # as in Keras: the error ends fit at once
    assert not model.training  # but the model is back in inference mode
    # A batch hook of a LambdaCallback: the note names the class and the hook.
    boom = LambdaCallback(on_train_batch_end=lambda batch, logs: 1 / 0)
    with pytest.raises(ZeroDivisionError) as info:
        _fit(_model(), [boom])
    assert info.value.__notes__ == ["(raised in callback LambdaCallback.on_train_batch_end)"]


# -- reproducibility -----------------------------------------------------------------------------


def _seeded_run(seed):
    """Everything random at once: initial weights, Dropout, shuffling (of ragged sequences,
    bucketed by length), and a validation split."""
    kerastorch.utils.set_random_seed(seed)
    rng = np.random.default_rng(5)  # the data itself is fixed
    sequences = [rng.normal(size=(int(n), 3)).astype("float32") for n in rng.integers(2, 12, 30)]
    y = np.array([[s[:, 0].sum()] for s in sequences], "float32")
    model = Sequential([LSTM(6), Dropout(0.4), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(
        sequences, y, batch_size=6, epochs=3, shuffle=True, validation_split=0.2, verbose=0
    )
    return history.history, model.get_weights()


def test_set_random_seed_makes_fit_repeat_exactly():
    (h1, w1), (h2, w2), (h3, w3) = _seeded_run(7), _seeded_run(7), _seeded_run(8)
    assert h1 == h2
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    # Another seed gives another run: the seed really drives the randomness.
    assert h1["loss"] != h3["loss"]
    assert not all(np.array_equal(a, b) for a, b in zip(w1, w3, strict=True))


def test_set_random_seed_rejects_non_integers():
    with pytest.raises(ValueError, match=r"Expected an integer seed, received seed=1.5"):
        kerastorch.utils.set_random_seed(1.5)
