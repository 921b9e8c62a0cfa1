"""Sequences of any length: ragged lists, padding with masks, and predicting on new lengths.

The notes' questions -- "is it possible for timesteps not to be fixed?", pack_padded_sequence,
enforce_sorted, which output is the "last" one -- disappear: give kerastorch the sequences.

    python examples/any_length.py
"""

import numpy as np

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense, Masking
from kerastorch.utils import pad_sequences, set_random_seed


def make_data(count: int, rng: np.random.Generator):
    """Each sequence's target is the mean of its first feature: the model must see every step."""
    lengths = rng.integers(5, 60, size=count)
    sequences = [rng.normal(size=(n, 2)).astype("float32") for n in lengths]
    targets = np.array([[s[:, 0].mean()] for s in sequences], "float32")
    return sequences, targets


def main() -> None:
    set_random_seed(0)
    rng = np.random.default_rng(0)
    sequences, targets = make_data(2000, rng)
    print("lengths from", min(map(len, sequences)), "to", max(map(len, sequences)))

    # 1. Ragged lists straight into fit: kerastorch pads each batch, builds its mask and groups
    #    sequences of similar length, running the LSTM on torch's fused kernel.
    model = Sequential([Input((None, 2)), LSTM(32), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(sequences, targets, epochs=5, batch_size=32, validation_split=0.1, verbose=2)

    # 2. Or pad yourself, Keras style, and let Masking tell the LSTM where the padding is:
    #    pre-padding (pad_sequences' default) and post-padding give the same result.
    padded = pad_sequences(sequences[:4], dtype="float32", padding="pre")
    masked = Sequential([Input((None, 2)), Masking(0.0), *model.layers])
    print("padded (pre) :", masked.predict(padded, verbose=0)[:, 0].round(4))
    print("ragged list  :", model.predict(sequences[:4], verbose=0)[:, 0].round(4))

    # 3. New lengths, never seen in training, with no rebuild.
    test, test_targets = make_data(3, rng)
    long = [rng.normal(size=(200, 2)).astype("float32")]
    print("targets      :", test_targets[:, 0].round(4))
    print("predictions  :", model.predict(test, verbose=0)[:, 0].round(4))
    print("length 200   :", model.predict(long, verbose=0)[:, 0].round(4))


if __name__ == "__main__":
    main()
