"""Subclassed models against Keras 3: layers made in __init__, call() computes, built on the first
call or batch; compile / fit / evaluate / predict / summary / weights as Keras's."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import layers, ops
from tests.helpers import assert_close


def classifier_class(lib):
    class Classifier(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.lstm = lib.layers.LSTM(6, return_sequences=True)
            self.head = lib.layers.Dense(3, activation="softmax")

        def call(self, x, training=False):
            return self.head(lib.ops.mean(self.lstm(x), axis=1))

    return Classifier


def masked_class(lib):
    class MaskedEncoder(lib.Model):
        def __init__(self):
            super().__init__()
            self.embed = lib.layers.Embedding(12, 4, mask_zero=True)
            self.lstm = lib.layers.LSTM(5)
            self.out = lib.layers.Dense(1)

        def call(self, tokens):
            return self.out(self.lstm(self.embed(tokens)))

    return MaskedEncoder


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 7, 4)).astype("float32")
    y = rng.integers(0, 3, size=(24,))
    return x, y


def twins(keras, x):
    theirs = classifier_class(keras)()
    ours = classifier_class(kerastorch)()
    theirs(x[:2])
    ours(torch.as_tensor(x[:2]))  # built on the first call
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def test_built_on_first_call_with_keras_weights(keras, data):
    x, _ = data
    theirs, ours = twins(keras, x)
    assert ours.built
    assert [layer.name for layer in ours.layers] == ["lstm", "dense"]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params()
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert next(iter(ours.state_dict())) == "lstm.lstm.weight_ih_l0"


def test_fit_evaluate_predict_match_keras(keras, data):
    x, y = data
    theirs, ours = twins(keras, x)
    for model in (theirs, ours):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    args = {"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0}
    expected = theirs.fit(x, y, validation_split=0.25, **args).history
    actual = ours.fit(x, y, validation_split=0.25, **args).history
    assert sorted(actual) == sorted(expected)
    for key in expected:
        assert_close(actual[key], expected[key], atol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        assert_close(a, b, atol=1e-4)
    assert_close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), atol=1e-5)


def test_fit_builds_an_unbuilt_subclassed_model(data):
    x, y = data
    model = classifier_class(kerastorch)()
    assert not model.built
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, verbose=0)
    assert model.built and len(history.history["loss"]) == 2
    assert history.history["loss"][1] < history.history["loss"][0]


def test_build_with_a_shape_creates_the_weights_without_changing_anything():
    model = classifier_class(kerastorch)()
    model.build((None, None, 4))
    assert model.built and model.count_params() == 4 * 6 * (4 + 6 + 1) + 7 * 3
    assert not model.training


def test_masks_flow_between_layers_in_call_as_in_keras(keras):
    theirs, ours = masked_class(keras)(), masked_class(kerastorch)()
    tokens = np.array([[3, 4, 5, 0, 0], [7, 0, 0, 0, 0], [1, 2, 3, 4, 5]], "int32")
    theirs(tokens)
    ours(torch.as_tensor(tokens))
    ours.set_weights(theirs.get_weights())
    assert_close(ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0))


def test_summary_lists_the_layers_like_keras(keras, data):
    x, _ = data
    theirs, ours = twins(keras, x)
    lines = []
    ours.summary(print_fn=lines.append)
    text = lines[0]
    assert "lstm (LSTM)" in text and "dense (Dense)" in text
    assert f"Total params: {theirs.count_params():,}" in text


def test_save_and_load_weights(tmp_path, data):
    x, _ = data
    model = classifier_class(kerastorch)()
    model(torch.as_tensor(x[:2]))
    model.save_weights(tmp_path / "clf.weights.pt")
    other = classifier_class(kerastorch)()
    other(torch.as_tensor(x[:2]))
    other.load_weights(tmp_path / "clf.weights.pt")
    assert_close(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_subclass_passing_inputs_to_super_gets_a_clear_error():
    class Wrong(kerastorch.Model):
        def __init__(self):
            x = kerastorch.Input((3,))
            super().__init__(x, layers.Dense(1)(x))

    with pytest.raises(TypeError, match="makes its layers in __init__"):
        Wrong()


def test_ops_in_call_run_eagerly():
    model = classifier_class(kerastorch)()
    out = model(torch.zeros(2, 5, 4))
    assert out.shape == (2, 3)
    assert_close(out.sum(dim=-1), torch.ones(2))
    assert callable(ops.mean)


class _Regressor(kerastorch.Model):
    def __init__(self):
        super().__init__()
        self.head = layers.Dense(1)

    def call(self, x):
        return self.head(x)


@pytest.mark.parametrize(
    ("step", "action"),
    [
        ("train_step", "fit"),
        ("test_step", "fit"),
        ("test_step", "evaluate"),
        ("train_step", "train_on_batch"),
        ("predict_step", "predict"),
        ("predict_step", "predict_on_batch"),
    ],
)
def test_an_overridden_keras_step_is_refused_not_silently_skipped(step, action):
    # Keras would run the subclass's own step; kerastorch's loops do not call it, so they refuse
    # rather than train or predict with a step the user replaced.
    custom = type("CustomStep", (_Regressor,), {step: lambda self, data: {}})
    model = custom()
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), dtype="float32"), np.zeros((4, 1), dtype="float32")
    model(torch.ones(1, 2))  # builds the weights (a direct call runs no step)
    before = [w.copy() for w in model.get_weights()]
    run = {
        "fit": lambda: model.fit(x, y, epochs=1, verbose=0),
        "evaluate": lambda: model.evaluate(x, y, verbose=0),
        "train_on_batch": lambda: model.train_on_batch(x, y),
        "predict": lambda: model.predict(x, verbose=0),
        "predict_on_batch": lambda: model.predict_on_batch(x),
    }[action]
    with pytest.raises(NotImplementedError, match=rf"CustomStep defines {step}\(\), which"):
        run()
    for after, was in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(after, was)  # nothing ran


def test_steps_the_action_does_not_use_do_not_stop_it():
    model = type("OnlyPredictStep", (_Regressor,), {"predict_step": lambda self, data: data})()
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), dtype="float32"), np.full((4, 1), 3.0, dtype="float32")
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0).history["loss"]
    assert history[1] < history[0]  # fit trained with its own step
    expected = x @ model.get_weights()[0] + model.get_weights()[1]
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), ((expected - 3.0) ** 2).mean())
