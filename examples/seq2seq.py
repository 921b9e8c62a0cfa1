"""A sequence-to-sequence LSTM (encoder-decoder), as in Keras's lstm_seq2seq example.

The toy task: read a short sequence of digits and write it reversed ("3 1 4" -> "4 1 3"). The
encoder LSTM reads the digits and hands its final states to the decoder LSTM, which is trained
with teacher forcing (it reads the target shifted by one step, after a start token). For
inference, the trained layers are reused in two new models, taken from the trained graph with
`model.layers[i].output` and `model.get_layer(name)` as Keras's example does, and the answer is
decoded one digit at a time:

    python examples/seq2seq.py
"""

import numpy as np

import kerastorch as keras
from kerastorch import layers
from kerastorch.utils import set_random_seed

DIGITS, LENGTH, LATENT = 10, 4, 64
START = DIGITS  # the decoder's start token: one more symbol than the digits


def one_hot(ids: np.ndarray, depth: int) -> np.ndarray:
    return np.eye(depth, dtype="float32")[ids]


def make_data(samples: int, rng: np.random.Generator):
    """Encoder input, decoder input (start token + target[:-1]) and target, one-hot."""
    digits = rng.integers(0, DIGITS, size=(samples, LENGTH))
    target = digits[:, ::-1]
    decoder_ids = np.concatenate([np.full((samples, 1), START), target[:, :-1]], axis=1)
    return (
        one_hot(digits, DIGITS),
        one_hot(decoder_ids, DIGITS + 1),
        one_hot(target, DIGITS),
        target,
    )


def build_training_model() -> keras.Model:
    encoder_inputs = keras.Input(shape=(None, DIGITS), name="encoder_inputs")
    # return_state: the encoder's outputs are (output, state_h, state_c); only the states go on.
    _, state_h, state_c = layers.LSTM(LATENT, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = keras.Input(shape=(None, DIGITS + 1), name="decoder_inputs")
    decoder_lstm = layers.LSTM(LATENT, return_sequences=True, return_state=True, name="decoder")
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    outputs = layers.Dense(DIGITS, activation="softmax", name="digit")(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], outputs)


def inference_models(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """Keras's recipe: new models around the trained layers (their weights are shared)."""
    encoder_inputs, decoder_inputs = model.input
    _, state_h, state_c = model.layers[2].output  # the encoder LSTM's outputs in the graph
    encoder_model = keras.Model(encoder_inputs, [state_h, state_c])

    state_inputs = [keras.Input(shape=(LATENT,)), keras.Input(shape=(LATENT,))]
    decoder_lstm = model.get_layer("decoder")
    outputs, state_h, state_c = decoder_lstm(decoder_inputs, initial_state=state_inputs)
    outputs = model.get_layer("digit")(outputs)
    decoder_model = keras.Model([decoder_inputs, *state_inputs], [outputs, state_h, state_c])
    return encoder_model, decoder_model


def decode(encoder_model: keras.Model, decoder_model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Greedy decoding of a batch: feed back the most likely digit, one step at a time."""
    states = encoder_model.predict(x, verbose=0)
    token = one_hot(np.full((len(x), 1), START), DIGITS + 1)
    answer = []
    for _ in range(LENGTH):
        probabilities, h, c = decoder_model.predict([token, *states], verbose=0)
        digit = probabilities[:, -1].argmax(axis=-1)
        answer.append(digit)
        token, states = one_hot(digit[:, None], DIGITS + 1), [h, c]
    return np.stack(answer, axis=1)


def main() -> None:
    set_random_seed(0)
    rng = np.random.default_rng(0)
    encoder_x, decoder_x, y, _ = make_data(3000, rng)
    model = build_training_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        [encoder_x, decoder_x], y, batch_size=64, epochs=12, validation_split=0.1, verbose=0
    )
    print(f"val_accuracy (teacher forcing): {history.history['val_accuracy'][-1]:.3f}")

    encoder_model, decoder_model = inference_models(model)
    test_x, _, _, test_target = make_data(200, np.random.default_rng(1))
    decoded = decode(encoder_model, decoder_model, test_x)
    for digits, answer in zip(test_x[:3].argmax(-1), decoded[:3], strict=True):
        print(f"  {' '.join(map(str, digits))} -> {' '.join(map(str, answer))}")
    exact = float((decoded == test_target).all(axis=1).mean())
    print(f"sequences reversed exactly (greedy decoding): {exact:.3f}")


if __name__ == "__main__":
    main()
