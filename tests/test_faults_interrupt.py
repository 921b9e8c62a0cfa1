"""Issue 14, item 9 (Ctrl-C): where a real SIGINT stops ``fit`` (NOTE [Ctrl-C during fit]).

- during a long validation pass: at the next validation batch (it used to wait for the whole
  pass and one more training step);
- during a predict() that a callback runs: at the next prediction batch;
- between two epochs: before the next epoch's first step;
- a second Ctrl-C inside ``optimizer.step``: the step is finished first (it used to be left half
  applied while the warning said that the last finished step was kept); a third one breaks
  the step, and the warning says so.

Every signal is raised by the process itself at a chosen point (a forward hook, a callback, the
optimizer's step), so nothing depends on timing.
"""

from __future__ import annotations

import signal
import threading

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import Callback, EarlyStopping, LambdaCallback
from kerastorch.layers import Dense

pytestmark = [
    pytest.mark.skipif(
        threading.current_thread() is not threading.main_thread(),
        reason="signals need the main thread",
    ),
    pytest.mark.usefixtures("interactive_sigint"),
]

BATCHES = 8  # training batches per epoch: 32 samples, batch_size 4


@pytest.fixture
def interactive_sigint():
    """Python's own Ctrl-C handler, as in an interactive process (a process started in the
    background inherits SIGINT ignored, which fit rightly leaves alone)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def _model(optimizer):
    """The same initial weights every time; ``optimizer(params)`` makes its optimizer."""
    kerastorch.utils.set_random_seed(0)
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1)])
    model.compile(optimizer=optimizer(model.parameters()), loss="mse", metrics=["mae"])
    return model


def _sgd(params):
    return torch.optim.SGD(params, lr=0.05)


class Forwards:
    """Counts the first layer's forward passes, in training and in inference mode, and can
    raise a real SIGINT in the n-th one of a mode."""

    def __init__(self, model, mode=None, at=None):
        self.counts = {"train": 0, "infer": 0}
        self.mode, self.at = mode, at
        model.layers[0].register_forward_hook(self.hook)

    def hook(self, module, args, output):
        mode = "train" if module.training else "infer"
        self.counts[mode] += 1
        if (mode, self.counts[mode]) == (self.mode, self.at):
            signal.raise_signal(signal.SIGINT)


class StopAfter(Callback):
    """The reference: stop_training after training step ``step`` (1-based, over epochs)."""

    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            self.model.stop_training = True


def _fit(model, callbacks=(), **kwargs):
    x, y = _data()
    kwargs = {"batch_size": 4, "epochs": 3, "shuffle": False, "verbose": 0, **kwargs}
    try:
        return model.fit(x, y, callbacks=list(callbacks), **kwargs)
    except KeyboardInterrupt:  # never let a stray interrupt end the test session
        pytest.fail("fit() let the KeyboardInterrupt escape")


def _params(model):
    return [p.detach().clone() for p in model.parameters()]


def _assert_same(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_ctrl_c_during_validation_stops_at_the_next_validation_batch():
    x, y = _data(40)
    validation = (x, y)  # 10 validation batches of 4
    model = _model(_sgd)
    forwards = Forwards(model, "infer", at=2)  # Ctrl-C during the 2nd validation batch
    with pytest.warns(
        UserWarning,
        match=r"interrupted during epoch 1 \(during validation\); the model keeps the weights of "
        r"the last finished step and the History holds 0 finished epoch\(s\)",
    ):
        history = _fit(model, validation_data=validation)
    # The batch in progress finished, no other: no more validation, no training step of epoch 2.
    assert forwards.counts == {"train": BATCHES, "infer": 2}
    assert history.epoch == []
    reference = _model(_sgd)
    _fit(reference, epochs=1)
    _assert_same(_params(model), _params(reference))


def test_ctrl_c_during_a_predict_run_by_a_callback_stops_at_the_next_prediction_batch():
    x, _ = _data(40)
    model = _model(_sgd)
    predicted = LambdaCallback(
        on_epoch_end=lambda epoch, logs: model.predict(x, batch_size=4, verbose=0)
    )
    forwards = Forwards(model, "infer", at=3)
    with pytest.warns(UserWarning, match=r"during a predict\(\) that a callback ran"):
        _fit(model, [predicted])
    assert forwards.counts == {"train": BATCHES, "infer": 3}


def test_ctrl_c_between_epochs_stops_before_the_next_step():
    model = _model(_sgd)
    forwards = Forwards(model)
    ctrl_c = LambdaCallback(
        on_epoch_end=lambda epoch, logs: epoch == 0 and signal.raise_signal(signal.SIGINT)
    )
    with pytest.warns(UserWarning, match=r"interrupted during epoch 2; .* 1 finished epoch"):
        history = _fit(model, [ctrl_c])
    assert history.epoch == [0]
    assert forwards.counts["train"] == BATCHES  # not one step of epoch 2
    reference = _model(_sgd)
    _fit(reference, epochs=1)
    _assert_same(_params(model), _params(reference))


class SignallingSGD(torch.optim.SGD):
    """Plain SGD that updates one parameter at a time and, in step ``at_step``, raises
    ``presses`` real SIGINTs right after updating the first parameter (a Ctrl-C inside
    ``optimizer.step``)."""

    def __init__(self, params, at_step, presses):
        super().__init__(params, lr=0.05)
        self.at_step, self.presses, self.steps = at_step, presses, 0

    @torch.no_grad()
    def step(self, closure=None):
        self.steps += 1
        for group in self.param_groups:
            for i, param in enumerate(group["params"]):
                param.add_(param.grad, alpha=-group["lr"])
                if i == 0 and self.steps == self.at_step:
                    for _ in range(self.presses):
                        signal.raise_signal(signal.SIGINT)


STEP = BATCHES + 3  # the 3rd step of the 2nd epoch


def test_a_second_ctrl_c_inside_the_optimizer_step_finishes_the_step():
    model = _model(lambda params: SignallingSGD(params, STEP, presses=1))
    Forwards(model, "train", at=STEP)  # the first Ctrl-C, during that step's forward pass
    with pytest.warns(UserWarning, match="keeps the weights of the last finished step"):
        history = _fit(model)
    assert history.epoch == [0]
    # The weights are those after step STEP, all of it (not only its first parameter).
    reference = _model(_sgd)
    _fit(reference, [StopAfter(STEP)])
    _assert_same(_params(model), _params(reference))


def test_a_third_ctrl_c_inside_the_optimizer_step_says_the_step_is_half_applied():
    model = _model(lambda params: SignallingSGD(params, STEP, presses=2))
    Forwards(model, "train", at=STEP)
    with pytest.warns(
        UserWarning,
        match=r"interrupted during epoch 2 by a third Ctrl-C inside an optimizer update: that "
        r"update is half applied, so the weights are partly updated by the last step",
    ):
        _fit(model)
    before, after = _model(_sgd), _model(_sgd)
    _fit(before, [StopAfter(STEP - 1)])
    _fit(after, [StopAfter(STEP)])
    ours = _params(model)
    # What the warning says: the first parameter has the step, the others do not.
    _assert_same(ours[:1], _params(after)[:1])
    _assert_same(ours[1:], _params(before)[1:])
    assert not torch.equal(ours[1], _params(after)[1])


def test_the_warning_tells_when_early_stopping_restores_the_best_weights():
    # fit calls on_train_end after a Ctrl-C, so EarlyStopping(restore_best_weights=True) then
    # replaces the weights: the warning says so instead of "keeps the last finished step".
    model = _model(_sgd)
    Forwards(model, "train", at=2 * BATCHES + 3)  # the 3rd step of the 3rd epoch
    early = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    with pytest.warns(UserWarning) as warned:
        history = _fit(model, [early], epochs=5)
    assert history.epoch == [0, 1]
    best = int(np.argmin(history.history["loss"]))
    (warning,) = [str(w.message) for w in warned]
    assert warning == (
        f"fit() interrupted during epoch 3; the model gets the weights of epoch {best + 1}, the "
        "best, from EarlyStopping(restore_best_weights=True) and the History holds 2 finished "
        "epoch(s)."
    )
    reference = _model(_sgd)
    _fit(reference, epochs=best + 1)
    _assert_same(_params(model), _params(reference))
