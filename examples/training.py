"""Training the Keras way: validation, early stopping, checkpoints, a CSV log and learning curves.

A binary sequence classifier (is the sequence drifting upwards?) trained with the callbacks a
Keras user reaches for, and the metrics of an imbalanced problem: precision, recall, AUC.

    pip install matplotlib   # for the learning curves
    python examples/training.py [output folder, default ./training_run]

Writes ``best.kt`` (the best model by validation AUC), ``log.csv`` (one row per epoch) and
``history.png`` (loss and metric curves) to the output folder.
"""

import os
import sys

import numpy as np

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint
from kerastorch.layers import LSTM, Dense, Dropout
from kerastorch.utils import plot_history, set_random_seed


def make_data(count: int, rng: np.random.Generator, timesteps: int = 20):
    """Noisy random walks; the label says whether the walk has a positive drift (~30% do)."""
    drift = np.where(rng.uniform(size=count) < 0.3, 0.1, -0.03).astype("float32")
    steps = rng.normal(scale=0.5, size=(count, timesteps, 1)).astype("float32")
    walks = np.cumsum(steps + drift[:, None, None], axis=1)
    features = np.concatenate([walks, steps], axis=-1)  # position and step
    return features, (drift > 0).astype("float32")[:, None]


def main(out: str) -> None:
    set_random_seed(0)  # weights, dropout and shuffling: the same run every time
    rng = np.random.default_rng(0)
    x, y = make_data(800, rng)
    x_test, y_test = make_data(300, rng)
    os.makedirs(out, exist_ok=True)

    model = Sequential([Input((None, 2)), LSTM(16), Dropout(0.2), Dense(1, activation="sigmoid")])
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=["accuracy", "precision", "recall", "auc"],
    )
    model.summary()

    callbacks = [
        # Stop when the validation AUC has not improved for 3 epochs ("auc" is maximized:
        # mode="auto" knows it), and put back the best epoch's weights.
        EarlyStopping(monitor="val_auc", patience=3, restore_best_weights=True, verbose=1),
        # Keep the best model on disk; written atomically, so a crash never leaves half a file.
        ModelCheckpoint(os.path.join(out, "best.kt"), monitor="val_auc", save_best_only=True),
        CSVLogger(os.path.join(out, "log.csv")),
    ]
    history = model.fit(
        x, y, epochs=20, batch_size=32, validation_split=0.2, callbacks=callbacks, verbose=2
    )

    # The best checkpoint reloads as a complete, compiled model.
    best = kerastorch.saving.load_model(os.path.join(out, "best.kt"))
    results = best.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print("test:", ", ".join(f"{name} {value:.4f}" for name, value in results.items()))

    try:
        plot_history(history, path=os.path.join(out, "history.png"))
        print("learning curves:", os.path.join(out, "history.png"))
    except ImportError as error:  # matplotlib is optional
        print(error)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "training_run")
