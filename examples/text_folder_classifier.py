"""Sentiment of short reviews the Keras 3 way: a folder of text files ->
``text_dataset_from_directory`` -> a model that reads raw strings
(``Input(dtype="string")`` -> ``TextVectorization`` -> ``Embedding`` -> ``LSTM`` -> sigmoid),
saved with its vocabulary and reloaded:

    python examples/text_folder_classifier.py [folder]

The folder (a temporary one by default) gets ``reviews/pos/*.txt`` and ``reviews/neg/*.txt``.
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

import kerastorch as keras
from kerastorch import layers

POSITIVE = ["wonderful", "great", "loved", "brilliant", "beautiful", "clever", "moving", "fun"]
NEGATIVE = ["terrible", "boring", "awful", "waste", "worst", "dull", "slow", "silly"]
FILLER = ["the", "film", "plot", "acting", "was", "a", "story", "and", "it", "cast", "really"]


def write_reviews(root: Path, count: int, rng: np.random.Generator) -> None:
    """``count`` reviews as text files, one subfolder per class (the folder names are labels)."""
    for i in range(count):
        positive, negative = rng.choice(4, size=2, replace=False)
        words = list(rng.choice(POSITIVE, positive)) + list(rng.choice(NEGATIVE, negative))
        words += list(rng.choice(FILLER, int(rng.integers(4, 8))))
        rng.shuffle(words)
        folder = root / ("pos" if positive > negative else "neg")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"review_{i:04d}.txt").write_text(" ".join(words).capitalize() + "!\n")


def main(folder: Path) -> None:
    keras.utils.set_random_seed(0)
    write_reviews(folder / "reviews", 600, np.random.default_rng(0))
    train, val = keras.utils.text_dataset_from_directory(
        folder / "reviews",
        label_mode="binary",
        batch_size=32,
        validation_split=0.2,
        subset="both",
        seed=1337,
    )
    print("classes:", train.class_names)

    # The vocabulary is learned from the training texts only (the labels are dropped).
    vectorize = layers.TextVectorization(max_tokens=100, output_sequence_length=16)
    vectorize.adapt(train.map(lambda text, label: text))
    print("vocabulary:", vectorize.vocabulary_size(), "tokens:", vectorize.get_vocabulary()[:6])

    model = keras.Sequential(
        [
            keras.Input(shape=(1,), dtype="string"),
            vectorize,
            layers.Embedding(input_dim=100, output_dim=16, mask_zero=True),  # 0 is padding
            layers.LSTM(32),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(train, validation_data=val, epochs=10, verbose=2)
    loss, accuracy = model.evaluate(val, verbose=0)
    print(f"held-out reviews: loss {loss:.4f} accuracy {accuracy:.4f}")

    model.save(folder / "reviews.kt")  # the vocabulary travels with the weights
    loaded = keras.models.load_model(folder / "reviews.kt")
    for review in ["A wonderful, clever film!", "Boring and slow, a waste."]:
        print(f"{review!r}: {float(loaded.predict([review], verbose=0)[0, 0]):.4f}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
