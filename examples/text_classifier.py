"""Sentiment of short reviews, the classic Keras 2 way: Tokenizer -> pad_sequences -> Embedding
(mask_zero) -> LSTM -> sigmoid. Keras 3 dropped the Tokenizer; kerastorch keeps it, with the same
word ids, so the script carries over by changing its imports:

    python examples/text_classifier.py
"""

import numpy as np

from kerastorch import Sequential
from kerastorch.callbacks import EarlyStopping
from kerastorch.layers import LSTM, Dense, Embedding
from kerastorch.utils import Tokenizer, pad_sequences, set_random_seed

POSITIVE = ["wonderful", "great", "loved", "brilliant", "beautiful", "clever", "moving", "fun"]
NEGATIVE = ["terrible", "boring", "awful", "waste", "worst", "dull", "slow", "silly"]
FILLER = ["the", "film", "plot", "acting", "was", "a", "story", "and", "it", "cast", "really"]


def make_reviews(count: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Reviews of 4 to 14 words; the label is whether positive words outnumber negative ones."""
    reviews, labels = [], []
    for _ in range(count):
        positive = int(rng.integers(0, 4))
        negative = int(rng.integers(0, 4))
        while negative == positive:
            negative = int(rng.integers(0, 4))
        words = list(rng.choice(POSITIVE, positive)) + list(rng.choice(NEGATIVE, negative))
        words += list(rng.choice(FILLER, int(rng.integers(4, 8))))
        rng.shuffle(words)
        reviews.append(" ".join(words).capitalize() + "!")
        labels.append(float(positive > negative))
    return reviews, np.array(labels, "float32")[:, None]


def main() -> None:
    set_random_seed(0)
    rng = np.random.default_rng(0)
    reviews, labels = make_reviews(1200, rng)

    tokenizer = Tokenizer(num_words=100, oov_token="<OOV>")
    tokenizer.fit_on_texts(reviews[:1000])  # the training texts only
    x = pad_sequences(tokenizer.texts_to_sequences(reviews), maxlen=16, padding="post")
    print("vocabulary:", len(tokenizer.word_index), "words; x:", x.shape)
    print("first review:", reviews[0], "->", x[0].tolist())

    model = Sequential(
        [
            Embedding(input_dim=100, output_dim=16, mask_zero=True),  # 0 is padding
            LSTM(32),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(
        x[:1000],
        labels[:1000],
        epochs=15,
        batch_size=32,
        validation_split=0.2,
        callbacks=[EarlyStopping(patience=3, restore_best_weights=True)],
        verbose=2,
    )
    loss, accuracy = model.evaluate(x[1000:], labels[1000:], verbose=0)
    print(f"held-out reviews: loss {loss:.3f}, accuracy {accuracy:.3f}")

    new = ["A wonderful and moving story!", "Boring, dull and a waste of time."]
    x_new = pad_sequences(tokenizer.texts_to_sequences(new), maxlen=16, padding="post")
    scores = model.predict(x_new, verbose=0)
    for text, score in zip(new, scores[:, 0], strict=True):
        print(f"  {score:.2f}  {text}")


if __name__ == "__main__":
    main()
