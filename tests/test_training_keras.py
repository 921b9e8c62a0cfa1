"""fit / evaluate / predict behave as Keras 3's: the same losses per epoch, the same weights."""

import numpy as np
import pytest

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense, Dropout, Flatten
from tests.helpers import assert_close


def twin_models(keras, make_layers, input_shape):
    """The same architecture in Keras and kerastorch, with Keras's initial weights copied over."""
    keras_model = keras.Sequential([keras.Input(input_shape), *make_layers(keras.layers)])
    model = Sequential([Input(input_shape), *make_layers(__import__("kerastorch").layers)])
    model.set_weights(keras_model.get_weights())
    return model, keras_model


def regression_layers(layers):
    return [layers.LSTM(8, return_sequences=True), layers.LSTM(4), layers.Dense(1)]


def portfolio_layers(layers):
    return [
        layers.LSTM(6, return_sequences=True),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ]


def make_optimizer(module, name):
    return {
        "sgd": lambda: module.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        "adam": lambda: module.optimizers.Adam(learning_rate=0.01),
        "rmsprop": lambda: "rmsprop",
    }[name]()


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize(
    ("make_layers", "loss", "metrics"),
    [
        (regression_layers, "mse", ["mae"]),
        (portfolio_layers, "categorical_crossentropy", ["accuracy"]),
    ],
    ids=["regression-mse", "softmax-cce"],
)
def test_fit_matches_keras(keras, optimizer, make_layers, loss, metrics):
    import kerastorch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 6, 3)).astype("float32")
    if loss == "mse":
        y = rng.normal(size=(50, 1)).astype("float32")
    else:
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=50)]
    model, keras_model = twin_models(keras, make_layers, (6, 3))
    keras_model.compile(optimizer=make_optimizer(keras, optimizer), loss=loss, metrics=metrics)
    model.compile(optimizer=make_optimizer(kerastorch, optimizer), loss=loss, metrics=metrics)
    fit_args = {
        "epochs": 3,
        "batch_size": 16,
        "shuffle": False,
        "validation_split": 0.2,
        "verbose": 0,
    }
    expected = keras_model.fit(x, y, **fit_args).history
    actual = model.fit(x, y, **fit_args).history
    assert list(actual) == list(expected)  # the same keys, in the same order
    for key in expected:
        assert_close(actual[key], expected[key], atol=1e-4)
    for a, e in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(a, e, atol=1e-4)
    assert_close(model.evaluate(x, y, verbose=0), keras_model.evaluate(x, y, verbose=0), atol=1e-4)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0), atol=1e-4)


def test_issue_example_runs_like_keras(keras):
    """The script from the issue, with the same weights: every printed value matches Keras."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 7, 5)).astype("float32")
    y = rng.normal(size=(100, 1)).astype("float32")

    def layers(module):
        return [
            module.LSTM(50, return_sequences=True),
            module.Dropout(0.2),
            module.LSTM(20),
            module.Dense(1),
        ]

    model, keras_model = twin_models(keras, layers, (None, 5))
    for m in (model, keras_model):
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    # shuffle and dropout draw random numbers differently in the two libraries: compare what
    # does not depend on them (keys, evaluate/predict after copying the trained weights).
    history = model.fit(x, y, epochs=2, batch_size=20, validation_split=0.2, verbose=0)
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert len(history.history["val_loss"]) == 2
    keras_model.set_weights(model.get_weights())
    loss, mae = model.evaluate(x, y, verbose=0)
    k_loss, k_mae = keras_model.evaluate(x, y, verbose=0)
    assert_close([loss, mae], [k_loss, k_mae], atol=1e-5)
    assert model.predict(x[:3], verbose=0).shape == (3, 1)


def test_epoch_loss_is_the_batch_size_weighted_mean():
    """N=50, batch 32: two batches of 32 and 18; the logged loss weighs them by size."""
    model = Sequential([Input((2,)), Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer="sgd", loss="mse")
    model.optimizer.learning_rate = 0.0  # keep the weights fixed to compute the loss by hand
    x = np.random.rand(50, 2).astype("float32")
    y = np.random.rand(50, 1).astype("float32")
    history = model.fit(x, y, epochs=1, shuffle=False, verbose=0)
    assert_close(history.history["loss"][0], np.mean(y**2), atol=1e-6)


def test_validation_split_takes_the_last_fraction():
    model = Sequential([Input((1,)), Dense(1, kernel_initializer="zeros", use_bias=False)])
    model.compile(optimizer="sgd", loss="mae")
    model.optimizer.learning_rate = 0.0
    x = np.zeros((10, 1), "float32")
    y = np.arange(10, dtype="float32")[:, None]
    history = model.fit(x, y, validation_split=0.3, verbose=0)
    assert_close(history.history["val_loss"][0], np.mean([7, 8, 9]), atol=1e-6)
    assert_close(history.history["loss"][0], np.mean(np.arange(7)), atol=1e-6)


def test_evaluate_return_types(keras):
    model = Sequential([Input((2,)), Dense(1)])
    x, y = np.random.rand(8, 2).astype("float32"), np.random.rand(8, 1).astype("float32")
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    values = model.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 2
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae"]
    assert_close(logs["mae"], np.abs(model.predict(x, verbose=0) - y).mean(), atol=1e-6)


def test_y_of_shape_n_against_predictions_n_1():
    """Keras reconciles y (N,) with predictions (N, 1); torch's mse_loss would broadcast."""
    model = Sequential([Input((1,)), Dense(1, kernel_initializer="zeros", use_bias=False)])
    model.compile(optimizer="sgd", loss="mse")
    y = np.array([1.0, -1.0, 1.0, -1.0], "float32")
    assert_close(model.evaluate(np.zeros((4, 1), "float32"), y, verbose=0), 1.0, atol=1e-7)


def test_history_keys_follow_the_strings_given():
    model = Sequential([Input((3,)), Dense(2, activation="softmax")])
    x = np.random.rand(20, 3).astype("float32")
    y = np.random.randint(0, 2, size=20)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert list(history.history) == ["acc", "loss", "val_acc", "val_loss"]  # sorted, as Keras
    assert model.metrics_names == ["loss", "acc"]


def test_torch_optimizer_class_and_instance():
    """A torch optimizer class is instantiated on the built model's parameters; one full-batch
    epoch of SGD is then exactly w - lr * grad."""
    import torch

    x = torch.rand(16, 3)
    y = torch.rand(16, 1)
    model = Sequential([Dense(1)])  # no input shape: built by fit, then the optimizer is made
    model.compile(optimizer=torch.optim.SGD, loss="mse")
    model.build((None, 3))
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.mse_loss(model(x), y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert isinstance(model.optimizer, torch.optim.SGD)
    lr = model.optimizer.param_groups[0]["lr"]
    for b, g, p in zip(before, grads, model.parameters(), strict=True):
        assert_close(p, b - lr * g, atol=1e-7)

    model2 = Sequential([Input((3,)), Dense(1)])
    model2.compile(optimizer=torch.optim.Adam(model2.parameters(), lr=0.05), loss="mse")
    before = model2.evaluate(x, y, verbose=0)
    model2.fit(x, y, epochs=20, verbose=0)
    assert model2.evaluate(x, y, verbose=0) < before / 2


def test_frozen_layer_does_not_change_in_fit():
    model = Sequential([Input((None, 3)), LSTM(4), Dense(1)])
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.rand(8, 5, 3), np.random.rand(8, 1), epochs=2, verbose=0)
    for a, b in zip(model.layers[0].get_weights(), frozen, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_is_reproducible_with_set_random_seed():
    import kerastorch

    def run():
        kerastorch.utils.set_random_seed(3)
        model = Sequential(
            [Input((None, 3)), LSTM(4, return_sequences=True), Dropout(0.3), Flatten(), Dense(1)]
        )
        model.compile(optimizer="adam", loss="mse")
        x = np.random.rand(40, 5, 3).astype("float32")
        y = np.random.rand(40, 1).astype("float32")
        return model.fit(x, y, epochs=2, batch_size=8, verbose=0).history, model.get_weights()

    (h1, w1), (h2, w2) = run(), run()
    assert h1 == h2
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
