"""Learning-rate schedules as optimizer arguments: Keras's values, and Keras's training."""

import numpy as np
import pytest

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.optimizers import schedules
from tests.helpers import assert_close

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}),
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": True},
    ),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.7}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "alpha": 0.1}),
    (
        "CosineDecay",
        {"initial_learning_rate": 0.0, "decay_steps": 6, "warmup_target": 0.2, "warmup_steps": 4},
    ),
    ("PiecewiseConstantDecay", {"boundaries": [2, 5], "values": [0.1, 0.05, 0.01]}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)]
)
def test_schedule_values_match_keras(keras, name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in range(14):
        assert_close(ours(step), float(theirs(step)), atol=1e-7)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_fit_with_a_schedule_matches_keras(keras, optimizer):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = x @ rng.normal(size=(4, 1)).astype("float32")
    keras_model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(1)]
    )
    model = Sequential(
        [Input((4,)), kerastorch.layers.Dense(3, activation="tanh"), kerastorch.layers.Dense(1)]
    )
    model.set_weights(keras_model.get_weights())
    kwargs = {"initial_learning_rate": 0.05, "decay_steps": 3, "decay_rate": 0.5}
    keras_model.compile(
        optimizer=getattr(keras.optimizers, optimizer)(
            learning_rate=keras.optimizers.schedules.ExponentialDecay(**kwargs)
        ),
        loss="mse",
    )
    model.compile(
        optimizer=getattr(kerastorch.optimizers, optimizer)(
            learning_rate=schedules.ExponentialDecay(**kwargs)
        ),
        loss="mse",
    )
    args = {"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0}
    assert_close(
        model.fit(x, y, **args).history["loss"],
        keras_model.fit(x, y, **args).history["loss"],
        atol=1e-5,
    )
    for a, e in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(a, e, atol=1e-5)
    assert_close(
        model.optimizer.learning_rate, 0.05 * 0.5 ** (14 / 3), atol=1e-7
    )  # rate of step 14


def test_schedule_survives_save_and_load(tmp_path):
    model = Sequential([Input((2,)), kerastorch.layers.Dense(1)])
    model.compile(
        optimizer=kerastorch.optimizers.Adam(schedules.CosineDecay(0.01, 100)), loss="mse"
    )
    model.fit(np.ones((8, 2)), np.ones((8, 1)), verbose=0)
    model.save(tmp_path / "m.kt")
    loaded = kerastorch.models.load_model(tmp_path / "m.kt")
    assert isinstance(loaded.optimizer.schedule, schedules.CosineDecay)
    assert loaded.optimizer.schedule.decay_steps == 100


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="expected decay_steps > 0, received decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="one more value than boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1])
