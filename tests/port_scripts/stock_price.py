"""Predict tomorrow's closing price from the last 20 days with a stacked LSTM.

Written the way most stock-price LSTM tutorials write it (Keras 2 habits: Sequential.add,
input_shape on the first layer, EarlyStopping from keras.callbacks).
"""
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import LSTM, Dense, Dropout

WINDOW = 20   # timesteps fed to the LSTM
EPOCHS = 6

# Synthetic daily prices (stands in for pd.read_csv("AAPL.csv")["Close"]): trend + cycle + noise
rng = np.random.default_rng(42)
days = np.arange(250)
prices = 100 + 0.05 * days + 5 * np.sin(days / 15) + rng.normal(0, 0.5, days.size)

# Min-max scaling to [0, 1]
low, high = prices.min(), prices.max()
scaled = (prices - low) / (high - low)

X, y = [], []
for i in range(WINDOW, len(scaled)):
    X.append(scaled[i - WINDOW:i])
    y.append(scaled[i])
X = np.array(X).reshape(-1, WINDOW, 1)   # (samples, timesteps, features)
y = np.array(y)

split = int(len(X) * 0.8)
X_train, X_test = X[:split], X[split:]
y_train, y_test = y[:split], y[split:]

model = Sequential()
model.add(LSTM(units=16, return_sequences=True, input_shape=(WINDOW, 1)))
model.add(Dropout(0.2))
model.add(LSTM(units=8))
model.add(Dropout(0.2))
model.add(Dense(units=1))

model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss='mean_squared_error')
model.summary()

early_stop = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5,
                                           restore_best_weights=True)
history = model.fit(X_train, y_train,
                    epochs=EPOCHS,
                    batch_size=32,
                    validation_split=0.1,
                    callbacks=[early_stop],
                    verbose=2)

predicted = model.predict(X_test)
predicted_prices = predicted * (high - low) + low   # back to prices
actual_prices = y_test * (high - low) + low
rmse = np.sqrt(np.mean((predicted_prices[:, 0] - actual_prices) ** 2))
print(f"Test RMSE: {rmse:.3f}")
