"""The benchmark workloads W1..W5 of ``run_all.py``, each written once as Keras code.

Every Keras-family contender runs the same functions below with its own ``keras`` module bound:
``import kerastorch as keras``, or ``import keras`` under ``KERAS_BACKEND=torch`` or ``jax``
(see ``worker.py``). The scripts are written the ordinary way: ``Sequential``, ``compile`` with a
string optimizer and loss, ``fit(x, y, batch_size=..., epochs=..., shuffle=True)`` and
``predict(x, batch_size=...)`` on numpy arrays; only ``verbose=0``, so that no progress bar is
timed.

This module imports numpy only: the JAX virtual environment has no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Data:
    x: np.ndarray
    y: np.ndarray | None = None
    lengths: np.ndarray | None = None  # valid timesteps of each row of a zero-padded x (W4)


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    task: str  # "fit" (one epoch per timed call) or "predict" (one pass over x)
    batch_size: int
    samples: int
    quick_samples: int
    make_data: Callable[[int, bool, int], Data]  # (samples, quick, seed)
    build: Callable[[Any, tuple[int, ...]], Any]  # (keras module, input shape) -> model

    def label(self) -> str:
        return f"{self.name} {self.title}, batch {self.batch_size}: {self.task}"

    def data(self, quick: bool, seed: int = 0) -> Data:
        return self.make_data(self.quick_samples if quick else self.samples, quick, seed)


# -- data (numpy, the same in every process for a given seed) -----------------------------------


def stock_windows(samples: int, quick: bool, seed: int) -> Data:
    """Windows of 7 steps x 5 features of a standardized random walk; the target is the next
    step's first feature (as ``bench_stock.py``)."""
    rng = np.random.default_rng(seed)
    series = rng.standard_normal((samples + 7, 5)).cumsum(axis=0)
    series = (series - series.mean(axis=0)) / series.std(axis=0)
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], 7, axis=0)
    x = np.ascontiguousarray(windows.transpose(0, 2, 1), dtype=np.float32)
    return Data(x, np.ascontiguousarray(series[7:, :1], dtype=np.float32))


def three_classes(samples: int, quick: bool, seed: int) -> Data:
    """50 x 8 standard-normal sequences; the integer label (0, 1, 2) says whether the first
    feature's mean is low, middle or high."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, 50, 8), dtype=np.float32)
    mean = x[:, :, 0].mean(axis=1)
    y = np.digitize(mean, np.quantile(mean, [1 / 3, 2 / 3])).astype(np.int32)
    return Data(x, y)


def long_sequences(samples: int, quick: bool, seed: int) -> Data:
    """100 x 16 standard-normal sequences; the target is a noisy mean of the first feature over
    the last 10 steps."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, 100, 16), dtype=np.float32)
    y = x[:, -10:, :1].mean(axis=1) + 0.1 * rng.standard_normal((samples, 1), dtype=np.float32)
    return Data(x, y.astype(np.float32))


def padded_sequences(samples: int, quick: bool, seed: int) -> Data:
    """Sequences of 16 features with valid lengths uniform in 10..400 (10..100 when quick),
    zero-padded after their end into one array, as ``pad_sequences(padding="post")`` makes it.
    No valid step is all zeros, so ``Masking(0.0)`` masks only the padding."""
    rng = np.random.default_rng(seed)
    longest = 100 if quick else 400
    lengths = rng.integers(10, longest + 1, size=samples)
    x = np.zeros((samples, longest, 16), dtype=np.float32)
    y = np.empty((samples, 1), dtype=np.float32)
    for i, length in enumerate(lengths):
        x[i, :length] = rng.standard_normal((length, 16), dtype=np.float32)
        y[i, 0] = x[i, length - 10 : length, 0].mean() + 0.1 * rng.standard_normal()
    return Data(x, y, lengths)


# -- the Keras scripts ---------------------------------------------------------------------------


def one_lstm(keras, shape):
    model = keras.Sequential([keras.Input(shape), keras.layers.LSTM(50), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def lstm_flatten_softmax(keras, shape):
    model = keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.LSTM(64, return_sequences=True),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def two_lstms(keras, shape):
    model = keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.LSTM(128, return_sequences=True),
            keras.layers.LSTM(64),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def masked_lstm(keras, shape):
    model = keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.Masking(0.0),
            keras.layers.LSTM(64),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def run_keras(model, workload: Workload, data: Data, epochs: int = 1) -> None:
    """The timed call: ``epochs`` epochs of ``fit``, or one ``predict`` pass."""
    if workload.task == "fit":
        model.fit(
            data.x, data.y, batch_size=workload.batch_size, epochs=epochs, shuffle=True, verbose=0
        )
    else:
        model.predict(data.x, batch_size=workload.batch_size, verbose=0)


WORKLOADS = {
    w.name: w
    for w in [
        Workload(
            "W1",
            "`LSTM(50) -> Dense(1)`, 20,000 x 7 x 5",
            task="fit",
            batch_size=20,
            samples=20_000,
            quick_samples=1_000,
            make_data=stock_windows,
            build=one_lstm,
        ),
        Workload(
            "W2",
            "`LSTM(64, return_sequences) -> Flatten -> Dense(3, softmax)`, 8,000 x 50 x 8",
            task="fit",
            batch_size=64,
            samples=8_000,
            quick_samples=320,
            make_data=three_classes,
            build=lstm_flatten_softmax,
        ),
        Workload(
            "W3",
            "`LSTM(128, return_sequences) -> LSTM(64) -> Dense(1)`, 4,000 x 100 x 16",
            task="fit",
            batch_size=64,
            samples=4_000,
            quick_samples=192,
            make_data=long_sequences,
            build=two_lstms,
        ),
        Workload(
            "W4",
            "`Masking(0.0) -> LSTM(64) -> Dense(1)` on zero-padded 1,500 x 400 x 16 "
            "(lengths 10..400)",
            task="fit",
            batch_size=32,
            samples=1_500,
            quick_samples=96,
            make_data=padded_sequences,
            build=masked_lstm,
        ),
        Workload(
            "W5",
            "W3's model, 20,000 x 100 x 16",
            task="predict",
            batch_size=512,
            samples=20_000,
            quick_samples=1_024,
            make_data=long_sequences,
            build=two_lstms,
        ),
    ]
}
