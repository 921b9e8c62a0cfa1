"""The notes' softmax portfolio model: LSTM over 50 days of 8 asset features, then portfolio
weights that sum to 1 -- once with Flatten (every day's output), once with the last day only.

The notes' torch versions needed `nn.Linear(sequence_length * hidden_size, ...)`, a reshape that
broke with `batch_first=False`, and `lstm_out[:, -1, :]`. In Keras style:

    python examples/portfolio_softmax.py
"""

import numpy as np

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense, Flatten
from kerastorch.utils import set_random_seed

DAYS, ASSETS = 50, 8


def negative_sharpe(returns):
    """A loss on portfolio weights: minus the (batch) Sharpe ratio of the portfolio's returns."""

    def loss(y_true, y_pred):
        # y_true holds the next-day asset returns; the portfolio return is weights . returns.
        portfolio = (y_true * y_pred).sum(dim=-1)
        return -portfolio.mean() / (portfolio.std() + 1e-6) + 0 * portfolio

    return loss


def main() -> None:
    set_random_seed(0)
    rng = np.random.default_rng(0)
    returns = rng.normal(0.0005, 0.01, size=(1200, ASSETS)).astype("float32")
    returns[:, 0] += 0.002  # one asset is better on average: a good model should favour it
    windows = np.lib.stride_tricks.sliding_window_view(returns, DAYS, axis=0)
    x = windows.transpose(0, 2, 1)[:-1].copy()  # (samples, 50 days, 8 features)
    y = returns[DAYS:]  # next-day returns

    # Flatten keeps every day's LSTM output: Dense sees 50 * 64 inputs, so the length is fixed.
    flat = Sequential(
        [
            Input((DAYS, ASSETS)),
            LSTM(64, return_sequences=True),
            Flatten(),
            Dense(ASSETS, activation="softmax"),
        ]
    )
    # The last day's output summarizes the sequence and works for any length.
    last = Sequential([Input((None, ASSETS)), LSTM(64), Dense(ASSETS, activation="softmax")])

    for name, model in (("Flatten", flat), ("last step", last)):
        model.compile(optimizer="adam", loss=negative_sharpe(returns))
        history = model.fit(x, y, epochs=3, batch_size=64, shuffle=False, verbose=0)
        weights = model.predict(x[-1:], verbose=0)[0]
        print(
            f"{name:9s}: params {model.count_params():,}, loss {history.history['loss'][-1]:+.3f}"
        )
        print(f"           weights {np.round(weights, 3)} (sum {weights.sum():.3f})")


if __name__ == "__main__":
    main()
