"""The stock model written three ways in kerastorch: does the functional API or subclassing cost
anything over ``Sequential``?

Contenders (same data, weights, thread count): ``Sequential([Input((7, 5)), LSTM(50), Dense(1)])``;
the same graph as ``Model(inputs, outputs)``; and a subclassed ``Model`` whose ``call`` runs
``Dense(LSTM(x))``. Each does ``fit(x, y, epochs=1, batch_size=20, shuffle=True, verbose=0)`` and
``predict(x, batch_size=P)``, interleaved over ``--repeats`` rounds as in ``bench_stock.py``
(whose data and timing helpers this reuses); the ratios are of medians, against Sequential.

    python benchmarks/bench_functional.py --repeats 7
"""

from __future__ import annotations

import argparse
import platform

import torch
from bench_stock import NUM_FEATURES, SEQ_LENGTH, UNITS, Contender, make_data, timed

# Issue 13: a functional model adds no cost over the same Sequential.
TARGET = 0.97


def contender(style: str, x, y, batch_size: int, predict_batch_size: int) -> Contender:
    import kerastorch as keras
    from kerastorch import layers

    keras.utils.set_random_seed(0)
    if style == "Sequential":
        model = keras.Sequential(
            [keras.Input((SEQ_LENGTH, NUM_FEATURES)), layers.LSTM(UNITS), layers.Dense(1)]
        )
    elif style == "functional":
        inputs = keras.Input((SEQ_LENGTH, NUM_FEATURES))
        model = keras.Model(inputs, layers.Dense(1)(layers.LSTM(UNITS)(inputs)))
    else:

        class Stock(keras.Model):
            def __init__(self):
                super().__init__()
                self.lstm = layers.LSTM(UNITS)
                self.dense = layers.Dense(1)

            def call(self, inputs):
                return self.dense(self.lstm(inputs))

        model = Stock()
    model.compile(optimizer="adam", loss="mse")

    def fit():
        return model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0, shuffle=True)

    def predict():
        return model.predict(x, batch_size=predict_batch_size, verbose=0)

    return Contender(style, fit, predict, len(x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--predict-batch-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = make_data(args.samples, seed=0)
    contenders = [
        contender(style, x, y, args.batch_size, args.predict_batch_size)
        for style in ("Sequential", "functional", "subclassed")
    ]
    for c in contenders:  # warm-up: builds, optimizer state, allocator
        c.fit()
        c.predict()
    for _ in range(args.repeats):
        for c in contenders:
            c.fit_times.append(timed(c.fit))
        for c in contenders:
            c.predict_times.append(timed(c.predict))
    base = contenders[0]
    print(
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{args.threads} threads, {args.repeats} repeats (medians)"
    )
    print("| style | fit samples/s | vs Sequential | predict samples/s | vs Sequential |")
    print("|---|---:|---:|---:|---:|")
    for c in contenders:
        fit_ratio = c.fit_rate() / base.fit_rate()
        predict_ratio = c.predict_rate() / base.predict_rate()
        print(
            f"| {c.name} | {c.fit_rate():,.0f} | {fit_ratio:.2f}x | {c.predict_rate():,.0f} "
            f"| {predict_ratio:.2f}x |"
        )
    print(f"target: >= {TARGET}x Sequential")


if __name__ == "__main__":
    main()
