"""The stock-price LSTM from the notes, written the Keras way and run on PyTorch.

Windows of 7 days x 5 features (high, low, volume, GDP, CPI) from a synthetic series predict the
next day's price. In the notes this took a Dataset, a DataLoader with drop_last, batch_first=True
and `hn[-1]`; here it is Keras code with kerastorch imports:

    python examples/stock_price.py
"""

import numpy as np

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense
from kerastorch.utils import set_random_seed

SEQ_LENGTH, NUM_FEATURES = 7, 5


def make_series(days: int, rng: np.random.Generator) -> np.ndarray:
    """A synthetic daily series: a price random walk and four features that lead it."""
    t = np.arange(days)
    price = 100 + np.cumsum(rng.normal(0, 1, days)) + 5 * np.sin(2 * np.pi * t / 30)
    high = price + np.abs(rng.normal(1, 0.3, days))
    low = price - np.abs(rng.normal(1, 0.3, days))
    volume = 1000 + 50 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 10, days)
    gdp = 2 + 0.5 * np.sin(2 * np.pi * t / 365) + rng.normal(0, 0.1, days)
    cpi = 1.5 + 0.2 * np.sin(2 * np.pi * t / 180) + rng.normal(0, 0.05, days)
    return np.stack([high, low, volume, gdp, cpi], axis=1), price


def make_windows(features: np.ndarray, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x[i] = days i..i+6 (7 timesteps x 5 features), y[i] = the price on day i+7."""
    windows = np.lib.stride_tricks.sliding_window_view(features, SEQ_LENGTH, axis=0)
    x = windows.transpose(0, 2, 1)[:-1]  # (samples, timesteps, features)
    y = price[SEQ_LENGTH:, None]
    return x.astype("float32"), y.astype("float32")


def main() -> None:
    set_random_seed(0)
    rng = np.random.default_rng(0)
    features, price = make_series(2000, rng)
    # Scale with training statistics only (the first 80%), as one would in practice.
    split = int(0.8 * len(features))
    mean, std = features[:split].mean(0), features[:split].std(0)
    p_mean, p_std = price[:split].mean(), price[:split].std()
    x, y = make_windows((features - mean) / std, (price - p_mean) / p_std)
    print("x:", x.shape, "(samples, timesteps, features) -- what torch calls batch_first")
    print("y:", y.shape)

    model = Sequential([Input(shape=(SEQ_LENGTH, NUM_FEATURES)), LSTM(50), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.summary()

    history = model.fit(x, y, epochs=10, batch_size=20, validation_split=0.2, verbose=2)
    losses = history.history["loss"]
    print(f"training loss fell from {losses[0]:.4f} to {losses[-1]:.4f}")

    x_test, y_test = x[-5:], y[-5:]
    predictions = model.predict(x_test, verbose=0)
    print("\nprice on the next day: predicted vs actual")
    for predicted, actual in zip(predictions[:, 0], y_test[:, 0], strict=True):
        print(f"  {predicted * p_std + p_mean:8.2f}  {actual * p_std + p_mean:8.2f}")


if __name__ == "__main__":
    main()
