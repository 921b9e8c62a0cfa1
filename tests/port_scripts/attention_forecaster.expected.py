"""Forecast the next value of a series with self-attention over LSTM states.

Functional API, a tf.data pipeline and a backend-written metric: the parts a port must do by
hand (its TensorBoard callback carries over).
"""
import numpy as np
import tensorflow as tf
import kerastorch as keras
from kerastorch import layers
from kerastorch import backend as K

tf.random.set_seed(0)

series = np.sin(np.arange(2000) / 20).astype("float32")
window = 48
x = np.stack([series[i:i + window] for i in range(len(series) - window)])[..., None]
y = series[window:]

dataset = (
    tf.data.Dataset.from_tensor_slices((x, y))
    .shuffle(512)
    .batch(64)
    .prefetch(tf.data.AUTOTUNE)
)

inputs = keras.Input(shape=(window, 1))
h = layers.LSTM(32, return_sequences=True)(inputs)
attention = layers.MultiHeadAttention(num_heads=2, key_dim=16)(h, h)
h = layers.LayerNormalization()(h + attention)
h = layers.GlobalAveragePooling1D()(h)
outputs = layers.Dense(1)(h)
model = keras.Model(inputs, outputs)


def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true)))


model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=[rmse])
model.fit(dataset, epochs=3, callbacks=[keras.callbacks.TensorBoard(log_dir="logs")])
K.clear_session()
