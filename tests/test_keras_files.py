"""Keras's files both ways: .keras, legacy .h5 and .weights.h5, made by Keras 3 at test time."""

import json
import sys
import zipfile

import numpy as np
import pytest
import torch

from kerastorch import Sequential, layers, optimizers
from kerastorch.models import load_model, model_from_json
from kerastorch.saving import SavingError, keras_files
from tests.helpers import assert_close

h5py = pytest.importorskip("h5py")


def _sequences(n=6, steps=5, features=3, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, steps, features)).astype("float32")
    x[0, 3:] = 0.0  # padding, masked by Masking(0.0)
    x[1, :2] = 0.0
    return x


def _tokens(n=6, steps=5, seed=0):
    tokens = np.random.default_rng(seed).integers(1, 20, size=(n, steps))
    tokens[0, 3:] = 0  # padding, masked by Embedding(mask_zero=True)
    return tokens.astype("int64")


@pytest.fixture(scope="module")
def keras_files_dir(tmp_path_factory, keras):
    """Models made and saved by Keras 3 itself (.keras, legacy .h5, .weights.h5)."""
    folder = tmp_path_factory.mktemp("keras_made")
    keras.utils.set_random_seed(0)
    L = keras.layers
    sequence = keras.Sequential(
        [
            keras.Input((None, 3)),
            L.Masking(0.0),
            L.LSTM(4, return_sequences=True),
            L.GlobalAveragePooling1D(),
            L.Dense(3, activation="relu"),
            L.Dropout(0.2),
            L.Dense(2),
            L.Activation("softmax"),
        ]
    )
    sequence.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    y = np.random.default_rng(1).random((6, 2)).astype("float32")
    sequence.fit(_sequences(), y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    sequence.save(folder / "sequence.keras")
    sequence.save_weights(folder / "sequence.weights.h5")
    tokens = keras.Sequential(
        [
            keras.Input((5,)),
            L.Embedding(20, 4, mask_zero=True),
            L.LSTM(5, return_sequences=True, recurrent_activation="hard_sigmoid"),
            L.GlobalAveragePooling1D(),
            L.Dense(1),
        ]
    )
    tokens.save(folder / "tokens.keras")
    tokens.save(folder / "tokens.h5")  # Keras 3's legacy HDF5 writer
    fixed = keras.Sequential(
        [
            keras.Input((6, 3)),
            L.LSTM(4, return_sequences=True),
            L.GlobalMaxPooling1D(keepdims=True),
            L.Flatten(),
            L.Dense(2),
        ]
    )
    fixed.save(folder / "fixed.h5")
    return folder


# -- Keras -> kerastorch -----------------------------------------------------------------------


def test_keras_archive_loads_with_keras_predictions(keras, keras_files_dir):
    path = keras_files_dir / "sequence.keras"
    reference = keras.models.load_model(path)
    model = load_model(path)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Masking",
        "LSTM",
        "GlobalAveragePooling1D",
        "Dense",
        "Dropout",
        "Dense",
        "Activation",
    ]
    assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
    x = _sequences(seed=5)
    assert_close(model.predict(x, verbose=0), reference.predict(x, verbose=0))
    assert model.count_params() == reference.count_params()


def test_keras_compile_state_and_optimizer_state_carry_over(keras, keras_files_dir):
    path = keras_files_dir / "sequence.keras"
    reference = keras.models.load_model(path)
    model = load_model(path)
    assert isinstance(model.optimizer, optimizers.Adam)
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    assert model.optimizer.iterations == int(reference.optimizer.iterations) == 2
    assert model.loss.name == "mse"
    assert model.compiled.metric_specs == ["mae"]


def test_keras_optimizer_state_resumes_exactly(keras, tmp_path):
    keras.utils.set_random_seed(3)
    reference = keras.Sequential(
        [keras.Input((None, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)]
    )
    reference.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = _sequences(seed=3)
    y = np.random.default_rng(3).random((6, 1)).astype("float32")
    reference.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    reference.save(tmp_path / "trained.keras")
    model = load_model(tmp_path / "trained.keras")
    assert model.optimizer.iterations == 2
    keras_history = reference.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    history = model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    assert_close(history.history["loss"], keras_history.history["loss"], atol=1e-5)
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)


def test_keras_weights_file_loads_into_a_matching_model(keras, keras_files_dir):
    reference = keras.models.load_model(keras_files_dir / "sequence.keras")
    model = Sequential(
        [
            layers.Input((None, 3)),
            layers.Masking(0.0),
            layers.LSTM(4, return_sequences=True),
            layers.GlobalAveragePooling1D(),
            layers.Dense(3, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(2),
            layers.Activation("softmax"),
        ]
    )
    model.load_weights(keras_files_dir / "sequence.weights.h5")
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert_close(ours, theirs, atol=0.0)
    x = _sequences(seed=6)
    assert_close(model.predict(x, verbose=0), reference.predict(x, verbose=0))


def test_keras_weights_that_do_not_fit_are_refused(keras_files_dir):
    model = Sequential(
        [
            layers.Input((None, 3)),
            layers.Masking(0.0),
            layers.LSTM(7, return_sequences=True),
            layers.GlobalAveragePooling1D(),
            layers.Dense(3, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(2),
            layers.Activation("softmax"),
        ]
    )
    before = model.get_weights()
    with pytest.raises(SavingError) as info:
        model.load_weights(keras_files_dir / "sequence.weights.h5")
    assert "LSTM 'lstm' expects weights of shapes [(3, 28), (7, 28), (28,)]" in str(info.value)
    assert "the file has [(3, 16), (4, 16), (16,)]" in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before, strict=True))
    short = Sequential([layers.Input((None, 3)), layers.Masking(0.0), layers.LSTM(4)])
    with pytest.raises(SavingError, match=r"layers the model does not have: \['layers/dense'"):
        short.load_weights(keras_files_dir / "sequence.weights.h5")


def test_legacy_h5_with_hard_sigmoid_matches_keras_3(keras, keras_files_dir):
    path = keras_files_dir / "tokens.h5"
    with h5py.File(path) as f:
        assert "model_config" in f.attrs and "model_weights" in f  # Keras's legacy layout
    reference = keras.models.load_model(path, compile=False)
    model = load_model(path)
    assert model.layers[1].get_config()["recurrent_activation"] == "hard_sigmoid"
    tokens = _tokens(seed=4)
    assert_close(model.predict(tokens, verbose=0), reference.predict(tokens, verbose=0))
    # The same model from the .keras archive gives the same predictions.
    archived = load_model(keras_files_dir / "tokens.keras")
    assert_close(archived.predict(tokens, verbose=0), model.predict(tokens, verbose=0), atol=0.0)


def test_legacy_h5_from_keras_2_with_hard_sigmoid_warns(keras_files_dir, tmp_path):
    # The file is Keras 3's; only its version attribute is changed, to what Keras 2 writes.
    path = tmp_path / "old.h5"
    path.write_bytes((keras_files_dir / "tokens.h5").read_bytes())
    with h5py.File(path, "r+") as f:
        f.attrs["keras_version"] = "2.11.0"
    with pytest.warns(UserWarning, match=r"Keras 2\.11\.0 and uses hard_sigmoid.*x/6 \+ 0\.5"):
        model = load_model(path)
    reference = load_model(keras_files_dir / "tokens.h5")
    tokens = _tokens(seed=1)
    assert_close(model.predict(tokens, verbose=0), reference.predict(tokens, verbose=0), atol=0)


def test_legacy_h5_fixed_length_with_pooling_and_flatten(keras, keras_files_dir):
    path = keras_files_dir / "fixed.h5"
    reference = keras.models.load_model(path, compile=False)
    model = load_model(path)
    assert model.input_shape == (None, 6, 3)
    x = np.random.default_rng(8).normal(size=(4, 6, 3)).astype("float32")
    assert_close(model.predict(x, verbose=0), reference.predict(x, verbose=0))


def test_keras_configs_and_json(keras):
    reference = keras.Sequential(
        [keras.Input((None, 2)), keras.layers.LSTM(3, go_backwards=True), keras.layers.Dense(1)]
    )
    for model in (
        Sequential.from_config(reference.get_config()),
        model_from_json(reference.to_json()),
    ):
        assert model.input_shape == (None, None, 2)
        assert model.layers[0].go_backwards
        assert [w.shape for w in model.get_weights()] == [w.shape for w in reference.weights]
    regularized = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer="l2")]
    )
    with pytest.raises(SavingError, match=r"Keras layer Dense 'dense.*' uses kernel_regularizer="):
        Sequential.from_config(regularized.get_config())


def test_unsupported_keras_layers_are_named(keras, tmp_path):
    keras.utils.set_random_seed(0)
    reference = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, name="first"),
            keras.layers.AlphaDropout(0.1, name="noise"),
            keras.layers.Dense(1, name="last"),
        ]
    )
    reference.save(tmp_path / "unsupported.keras")
    with pytest.raises(SavingError) as info:
        load_model(tmp_path / "unsupported.keras")
    message = str(info.value)
    assert "'noise' (AlphaDropout)" in message
    assert "Layers in the file: first (Dense), noise (AlphaDropout), last (Dense)" in message
    assert "Supported Keras layers: " in message and "LSTM" in message


def test_other_table_layers_load_and_save_both_ways(keras, tmp_path):
    keras.utils.set_random_seed(0)
    L = keras.layers
    reference = keras.Sequential(
        [
            keras.Input((8, 3)),
            L.Conv1D(4, 3, padding="causal", activation="relu"),
            L.BatchNormalization(),
            L.GaussianNoise(0.1),
            L.MaxPooling1D(2),
            L.Bidirectional(L.GRU(3, return_sequences=True)),
            L.LayerNormalization(),
            L.SpatialDropout1D(0.1),
            L.SimpleRNN(2, return_sequences=True),
            L.AveragePooling1D(2, padding="same"),
            L.Flatten(),
            L.PReLU(),
            L.LeakyReLU(0.1),
            L.GaussianDropout(0.1),
            L.Dense(3),
            L.ELU(),
            L.ReLU(),
            L.Softmax(),
        ]
    )
    rng = np.random.default_rng(0)
    # Move every weight (and BatchNormalization's statistics) away from its initial value.
    reference.set_weights(
        [w + rng.uniform(0.1, 0.5, size=w.shape).astype("float32") for w in reference.get_weights()]
    )
    x = rng.normal(size=(4, 8, 3)).astype("float32")
    expected = reference.predict(x, verbose=0)
    reference.save(tmp_path / "many.keras")
    reference.save(tmp_path / "many.h5")
    for name in ("many.keras", "many.h5"):
        model = load_model(tmp_path / name)
        assert_close(model.predict(x, verbose=0), expected)
    model.save(tmp_path / "back.keras")
    assert_close(keras.models.load_model(tmp_path / "back.keras").predict(x, verbose=0), expected)


def test_keras_custom_activation_needs_custom_objects(keras, tmp_path):
    def halve(x):
        return x * 0.5

    keras.utils.set_random_seed(0)
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation=halve)])
    reference.save(tmp_path / "custom.keras")
    with pytest.raises(SavingError, match=r"Unknown activation: \"halve\".*custom_objects="):
        load_model(tmp_path / "custom.keras")
    model = load_model(tmp_path / "custom.keras", custom_objects={"halve": halve})
    assert model.layers[0].activation is halve
    x = np.ones((2, 3), dtype="float32")
    assert_close(model.predict(x, verbose=0), reference.predict(x, verbose=0))


# -- kerastorch -> Keras -----------------------------------------------------------------------


def _kerastorch_model(seed=0):
    torch.manual_seed(seed)
    return Sequential(
        [
            layers.Input((None, 3)),
            layers.Masking(0.0),
            layers.LSTM(4, return_sequences=True, recurrent_activation="hard_sigmoid"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(3, activation="tanh"),
            layers.Dropout(0.1),
            layers.Dense(2),
        ]
    )


def test_keras_loads_kerastorch_archives_with_the_same_predictions(keras, tmp_path):
    model = _kerastorch_model()
    x = _sequences(seed=9)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "ours.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        assert json.loads(zf.read("config.json"))["class_name"] == "Sequential"
    reference = keras.models.load_model(tmp_path / "ours.keras")
    assert_close(reference.predict(x, verbose=0), expected)
    # kerastorch reads its own .keras back, and the legacy .h5 writer too.
    assert_close(load_model(tmp_path / "ours.keras").predict(x, verbose=0), expected, atol=0)
    model.save(tmp_path / "ours.h5")
    legacy = keras.models.load_model(tmp_path / "ours.h5", compile=False)
    assert_close(legacy.predict(x, verbose=0), expected)
    # Keras reads the .weights.h5 kerastorch writes into its own model.
    model.save_weights(tmp_path / "ours.weights.h5")
    keras.utils.set_random_seed(5)
    fresh = keras.models.clone_model(reference)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    assert_close(fresh.predict(x, verbose=0), expected)


def test_keras_resumes_training_from_a_kerastorch_archive(keras, tmp_path):
    torch.manual_seed(2)
    model = Sequential([layers.Input((None, 3)), layers.LSTM(4), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x = _sequences(seed=2)
    y = np.random.default_rng(2).random((6, 1)).astype("float32")
    model.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    model.save(tmp_path / "trained.keras")
    reference = keras.models.load_model(tmp_path / "trained.keras")
    assert int(reference.optimizer.iterations) == 2
    history = model.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    keras_history = reference.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    assert_close(history.history["loss"], keras_history.history["loss"], atol=1e-5)
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)


def test_layers_without_keras_equivalent_cannot_be_written(tmp_path):
    class Twice(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    model = Sequential([layers.Input((3,)), Twice(), layers.Dense(1)])
    with pytest.raises(
        SavingError, match=r"Twice .twice. is not in kerastorch.s Keras layer table.*model\.kt"
    ):
        model.save(tmp_path / "custom.keras")
    assert not (tmp_path / "custom.keras").exists()


def test_layer_table_is_extensible():
    spec = keras_files.KERAS_LAYERS["LSTM"]
    assert spec.weight_paths == ("cell",)
    assert spec.target == "LSTM"
    assert {"Dense", "Dropout", "Activation", "Flatten", "Masking", "Embedding"} <= set(
        keras_files.KERAS_LAYERS
    )


def test_missing_h5py_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"pip install h5py"):
        keras_files.require_h5py()


def test_wrapper_and_reshaping_layers_cross_keras_files_both_ways(keras, tmp_path):
    """Encoder-decoder with RepeatVector / TimeDistributed / Reshape / Permute: a Keras .keras
    file loads in kerastorch and a kerastorch .keras file loads in Keras, same predictions."""
    import kerastorch

    keras_model = keras.Sequential(
        [
            keras.Input((6, 3)),
            keras.layers.LSTM(5),
            keras.layers.RepeatVector(4),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(2)),
            keras.layers.Permute((2, 1)),
            keras.layers.Reshape((8,)),
        ]
    )
    x = np.random.default_rng(0).normal(size=(3, 6, 3)).astype("float32")
    keras_path = tmp_path / "from_keras.keras"
    keras_model.save(keras_path)
    model = kerastorch.models.load_model(keras_path)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    ours = tmp_path / "from_kerastorch.keras"
    model.save(ours)
    back = keras.models.load_model(ours)
    assert_close(back.predict(x, verbose=0), keras_model.predict(x, verbose=0))
