"""Portfolio allocation from the last 50 days of 4 assets' returns.

LSTM over the whole window -> Flatten (every timestep, as in the notes) -> Dense softmax weights.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

N_ASSETS = 4
LOOKBACK = 50

keras.utils.set_random_seed(7)
returns = np.random.normal(0.0005, 0.01, size=(600, N_ASSETS)).astype("float32")
windows = np.stack([returns[i - LOOKBACK:i] for i in range(LOOKBACK, len(returns))])
next_returns = returns[LOOKBACK:]
# Target: all the weight on tomorrow's best asset
target = (next_returns == next_returns.max(axis=1, keepdims=True)).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(LOOKBACK, N_ASSETS)),
        layers.LSTM(64, return_sequences=True),
        layers.Flatten(),
        layers.Dense(N_ASSETS, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss="categorical_crossentropy",
    metrics=[keras.metrics.CategoricalAccuracy()],
)
model.fit(windows, target, epochs=5, batch_size=64, validation_split=0.2, verbose=2)

allocation = model.predict(windows[-1:])[0]   # weights for tomorrow, summing to 1
print("allocation:", np.round(allocation, 3))
