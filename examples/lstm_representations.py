"""The 2-layer LSTM from the notes: stacked LSTMs, then a Dense on the last step's representation.

The notes' torch version needs `num_layers=2`, hand-made h0/c0 and `out[:, -1, :]`; in Keras
style the first LSTM returns every step (`return_sequences=True`) for the second to read, and the
second returns its last step, which is the sequence's representation:

    python examples/lstm_representations.py
"""

import torch

from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense
from kerastorch.utils import set_random_seed

INPUT_SIZE, HIDDEN_SIZE, OUTPUT_SIZE = 1, 64, 1
SEQUENCE_LENGTH, BATCH_SIZE = 10, 32


def main() -> None:
    set_random_seed(0)
    model = Sequential(
        [
            Input(shape=(None, INPUT_SIZE)),  # None: any sequence length
            LSTM(HIDDEN_SIZE, return_sequences=True),  # layer 1 feeds every step to layer 2
            LSTM(HIDDEN_SIZE),  # layer 2: its last step is the representation
            Dense(OUTPUT_SIZE),
        ]
    )
    model.summary()

    x = torch.randn(BATCH_SIZE, SEQUENCE_LENGTH, INPUT_SIZE)
    print("Input shape:", tuple(x.shape))
    print("Output shape:", tuple(model(x).shape))

    # The representation itself: the model without its head.
    encoder = Sequential(model.layers[:-1])
    representation = encoder(x)
    print("Representation shape:", tuple(representation.shape))

    # With return_state the last layer also returns its final h and c; for a single-direction
    # LSTM, h equals the last step's output -- the notes' `hn[-1]` and `output[:, -1, :]`.
    output, h, c = LSTM(HIDDEN_SIZE, return_state=True)(x)
    print("last output equals h:", bool(torch.equal(output, h)), "| cell state:", tuple(c.shape))

    # Sequences of another length need no change.
    print("Length 25 ->", tuple(model(torch.randn(4, 25, INPUT_SIZE)).shape))


if __name__ == "__main__":
    main()
