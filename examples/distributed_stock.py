"""The stock-price LSTM trained on several processes: the same script, started by torchrun.

One process, as any script:

    python examples/distributed_stock.py

Two processes on this machine (gloo on the CPU; nccl with one GPU per process on CUDA):

    torchrun --nproc_per_node=2 examples/distributed_stock.py

Nothing in the model code changes: kerastorch finds the process group that torchrun describes,
gives each process half of every global batch of 64 windows, averages the gradients at every
step, and logs the same loss on every process. Process 0 alone prints the progress and writes
the checkpoint and the CSV log.
"""

import os
import tempfile

import numpy as np

from kerastorch import Input, Sequential, distribute
from kerastorch.callbacks import CSVLogger, ModelCheckpoint
from kerastorch.layers import LSTM, Dense
from kerastorch.utils import set_random_seed

SEQ_LENGTH, NUM_FEATURES = 7, 5
OUTPUT = os.path.join(tempfile.gettempdir(), "kerastorch_distributed_stock")


def make_windows(days: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scaled windows of 7 days x 5 features from a synthetic series, and the next day's price.

    The seed is the same on every process, so all of them hold the same data (each then trains
    on its own share of every batch).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    price = 100 + np.cumsum(rng.normal(0, 1, days)) + 5 * np.sin(2 * np.pi * t / 30)
    features = np.stack(
        [
            price + np.abs(rng.normal(1, 0.3, days)),  # high
            price - np.abs(rng.normal(1, 0.3, days)),  # low
            1000 + 50 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 10, days),  # volume
            2 + 0.5 * np.sin(2 * np.pi * t / 365) + rng.normal(0, 0.1, days),  # GDP
            1.5 + 0.2 * np.sin(2 * np.pi * t / 180) + rng.normal(0, 0.05, days),  # CPI
        ],
        axis=1,
    )
    features = (features - features.mean(0)) / features.std(0)
    price = (price - price.mean()) / price.std()
    windows = np.lib.stride_tricks.sliding_window_view(features, SEQ_LENGTH, axis=0)
    x = windows.transpose(0, 2, 1)[:-1]  # (samples, timesteps, features)
    return x.astype("float32"), price[SEQ_LENGTH:, None].astype("float32")


def main() -> None:
    set_random_seed(0)  # weights start from process 0's anyway
    x, y = make_windows(2000)
    os.makedirs(OUTPUT, exist_ok=True)  # CSVLogger does not create folders
    model = Sequential([Input(shape=(SEQ_LENGTH, NUM_FEATURES)), LSTM(32), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])

    history = model.fit(
        x,
        y,
        epochs=5,
        batch_size=64,  # the global batch: 32 windows per process with 2 processes
        validation_split=0.2,
        verbose=2,  # printed by process 0 only
        callbacks=[
            ModelCheckpoint(
                os.path.join(OUTPUT, "best.weights.pt"), save_best_only=True, save_weights_only=True
            ),
            CSVLogger(os.path.join(OUTPUT, "log.csv")),
        ],
    )
    # Every process holds the same History and the same weights.
    predictions = model.predict(x[-3:], verbose=0)  # all of them, on every process
    if distribute.is_main_process():
        losses = history.history["val_loss"]
        print(
            f"{distribute.world_size()} process(es): val_loss {losses[0]:.4f} -> {losses[-1]:.4f}"
        )
        print("last 3 days, predicted vs actual:", np.round(predictions[:, 0], 3), y[-3:, 0])
        print(f"checkpoint and log in {OUTPUT}")


if __name__ == "__main__":
    main()
