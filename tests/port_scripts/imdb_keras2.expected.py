'''Trains an LSTM on the IMDB sentiment task, Keras 2 style.

Keras 2 module paths (keras.layers.recurrent, keras.layers.embeddings), the keras.preprocessing
module and the IMDB loader from keras.datasets.
'''
from __future__ import print_function

from kerastorch.preprocessing import sequence
from kerastorch.models import Sequential
from kerastorch.layers import Dense, Dropout
from kerastorch.layers import Embedding
from kerastorch.layers import LSTM
from kerastorch.optimizers import RMSprop
from keras.datasets import imdb  # kerastorch.port: imdb not in kerastorch, still imports real Keras

max_features = 20000
maxlen = 80  # cut texts after this number of words
batch_size = 32

print('Loading data...')
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
print(len(x_train), 'train sequences')

print('Pad sequences (samples x time)')
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)

print('Build model...')
model = Sequential()
model.add(Embedding(max_features, 128))
model.add(LSTM(128, dropout=0.2, recurrent_dropout=0.2))
model.add(Dropout(0.5))
model.add(Dense(1, activation='sigmoid'))

model.compile(loss='binary_crossentropy',
              optimizer=RMSprop(learning_rate=1e-3),
              metrics=['accuracy'])

model.fit(x_train, y_train,
          batch_size=batch_size,
          epochs=15,
          validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size)
print('Test score:', score)
print('Test accuracy:', acc)
