"""Sentiment of short reviews with tf.keras: word ids -> Embedding -> LSTM -> sigmoid."""
import numpy as np
import kerastorch
from kerastorch.preprocessing.sequence import pad_sequences

MAXLEN = 12

reviews = [
    "a wonderful film with great acting",
    "terrible plot and boring characters",
    "i loved every minute of it",
    "a waste of time do not watch",
    "great story and a great cast",
    "the worst movie i have seen",
    "beautiful and moving from start to end",
    "boring slow and far too long",
    "brilliant acting and a clever plot",
    "awful dialogue and terrible acting",
    "a delight from start to finish",
    "i want those two hours back",
] * 4
labels = np.array([1, 0] * 24)

# Word -> id (0 is padding, 1 is out-of-vocabulary), as a Tokenizer would build it
vocab = {"<pad>": 0, "<oov>": 1}
for review in reviews:
    for word in review.split():
        vocab.setdefault(word, len(vocab))
sequences = [[vocab.get(word, 1) for word in review.split()] for review in reviews]
x = pad_sequences(sequences, maxlen=MAXLEN, padding="post")

model = kerastorch.Sequential([
    kerastorch.layers.Embedding(input_dim=len(vocab), output_dim=16, mask_zero=True),
    kerastorch.layers.LSTM(32),
    kerastorch.layers.Dropout(0.3),
    kerastorch.layers.Dense(1, activation="sigmoid"),
])
model.compile(
    optimizer=kerastorch.optimizers.Adam(learning_rate=1e-2),
    loss=kerastorch.losses.BinaryCrossentropy(),
    metrics=["accuracy"],
)
history = model.fit(
    x, labels,
    epochs=10,
    batch_size=8,
    validation_split=0.2,
    callbacks=[kerastorch.callbacks.EarlyStopping(monitor="val_loss", patience=3)],
)

new = pad_sequences([[vocab.get(w, 1) for w in "great acting".split()]], maxlen=MAXLEN, padding="post")
print("positive" if model.predict(new)[0, 0] > 0.5 else "negative")
