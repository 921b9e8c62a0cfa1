"""A forecaster with two inputs, written with the functional API and run on PyTorch.

Each sample is a price history of any length (4 features a day) and three static features of the
company's sector. An LSTM reads the history, a Dense layer the sector, and the two are
concatenated to predict the next day's return. The data goes to `fit` as a dict keyed by the
inputs' names, as in Keras:

    python examples/two_input_forecaster.py
"""

import numpy as np

import kerastorch as keras
from kerastorch import layers
from kerastorch.utils import set_random_seed

DAYS, FEATURES, SECTOR_FEATURES = 10, 4, 3


def make_data(samples: int, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Synthetic data: the next return follows the last day's momentum, scaled by the sector's
    sensitivity (its first feature) plus a sector-wide drift (its second)."""
    prices = rng.normal(size=(samples, DAYS, FEATURES)).astype("float32")
    sector = rng.normal(size=(samples, SECTOR_FEATURES)).astype("float32")
    momentum = prices[:, -3:, 0].mean(axis=1)
    target = momentum * (1.0 + 0.5 * sector[:, 0]) + 0.5 * sector[:, 1]
    return {"prices": prices, "sector": sector}, target[:, None].astype("float32")


def build_model() -> keras.Model:
    # Input names are the keys of the data dict.
    prices = keras.Input(shape=(None, FEATURES), name="prices")  # any number of days
    sector = keras.Input(shape=(SECTOR_FEATURES,), name="sector")
    history = layers.LSTM(16)(prices)
    profile = layers.Dense(8, activation="relu")(sector)
    merged = layers.Concatenate()([history, profile])
    hidden = layers.Dense(16, activation="relu")(merged)
    return keras.Model(inputs=[prices, sector], outputs=layers.Dense(1)(hidden))


def main() -> None:
    set_random_seed(0)
    x, y = make_data(800, np.random.default_rng(0))
    model = build_model()
    model.compile(optimizer="adam", loss="mse")
    model.summary()

    # validation_split takes the last 20% of every input (and of y) alike.
    history = model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2, verbose=0)
    val_losses = history.history["val_loss"]
    print(f"val_loss fell from {val_losses[0]:.4f} to {val_losses[-1]:.4f}")
    print(f"predicting zero would give {float(np.mean(y[-160:] ** 2)):.4f}")

    # A list in the order of model.inputs works too; histories may be of another length.
    x_new, y_new = make_data(3, np.random.default_rng(1))
    predictions = model.predict([x_new["prices"][:, -6:], x_new["sector"]], verbose=0)
    print("next return (last 6 days only): predicted vs actual")
    for predicted, actual in zip(predictions[:, 0], y_new[:, 0], strict=True):
        print(f"  {predicted:7.3f}  {actual:7.3f}")


if __name__ == "__main__":
    main()
