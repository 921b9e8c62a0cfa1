"""Saving functional and subclassed models, both ways with Keras 3 (issue 13, item 9).

Every graph is written once as a function of the library (``build(keras)`` or
``build(kerastorch)``), so Keras and kerastorch build the same model from the same code; weights
are copied with ``set_weights`` and outputs compared to 1e-5.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

import kerastorch as kt
from kerastorch.models import clone_model
from kerastorch.saving import SavingError
from tests.helpers import assert_close

h5py = pytest.importorskip("h5py")


# -- the graphs, written once for both libraries ---------------------------------------------------


def multi_io(K):
    """Two inputs, two outputs (a dict), ops between layers: x[:, -1, :], +, *, ops.mean."""
    L = K.layers
    prices, sector = K.Input((None, 4), name="prices"), K.Input((3,), name="sector")
    seq = L.LSTM(5, return_sequences=True, name="lstm")(prices)
    mixed = (seq[:, -1, :] + L.Dense(5, name="sector_dense")(sector)) * 2
    merged = L.Concatenate(name="merged")([mixed, K.ops.mean(seq, axis=1)])
    outputs = {
        "level": L.Dense(1, name="level")(merged),
        "direction": L.Dense(2, activation="softmax", name="direction")(merged),
    }
    return K.Model([prices, sector], outputs, name="forecaster")


def shared(K):
    """One layer called on two inputs (shared weights), a list of two outputs."""
    L = K.layers
    a, b = K.Input((4,), name="a"), K.Input((4,), name="b")
    encode = L.Dense(3, activation="tanh", name="shared")
    total = L.Add(name="sum")([encode(a), encode(b)])
    return K.Model([a, b], [total, L.Dense(1, name="score")(encode(b))], name="siamese")


def nested(K):
    """A functional model used as a layer of another."""
    L = K.layers
    inner_input = K.Input((5,), name="inner_input")
    inner = K.Model(inner_input, L.Dense(3, name="inner_dense")(inner_input), name="inner")
    x = K.Input((5,), name="x")
    return K.Model(x, L.Dense(1, name="post")(inner(L.Dense(5, name="pre")(x))), name="outer")


def seq2seq(K):
    """An encoder-decoder: the encoder's states are the decoder's initial_state in the graph."""
    L = K.layers
    encoder_inputs = K.Input((None, 3), name="encoder_inputs")
    decoder_inputs = K.Input((None, 4), name="decoder_inputs")
    _, state_h, state_c = L.LSTM(6, return_state=True, name="encoder")(encoder_inputs)
    decoder = L.LSTM(6, return_sequences=True, return_state=True, name="decoder")
    out, _, _ = decoder(decoder_inputs, initial_state=[state_h, state_c])
    head = L.Dense(4, activation="softmax", name="head")
    return K.Model([encoder_inputs, decoder_inputs], head(out), name="seq2seq")


def attention(K):
    """Merge and attention layers between two sequence inputs."""
    L = K.layers
    query, value = K.Input((5, 4), name="query"), K.Input((6, 4), name="value")
    attended = L.MultiHeadAttention(2, 3, name="mha")(query, value)
    scored = L.Attention(use_scale=True, name="attention")([query, value])
    mixed = L.Multiply(name="mix")([attended, scored])
    return K.Model([query, value], L.Dense(2, name="head")(mixed), name="attender")


GRAPHS = {"multi_io": multi_io, "shared": shared, "nested": nested, "seq2seq": seq2seq}
GRAPHS["attention"] = attention


def data_for(model, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [
        rng.normal(size=(3, *(6 if d is None else d for d in x.shape[1:]))).astype("float32")
        for x in model.inputs
    ]
    return arrays[0] if len(arrays) == 1 else arrays


def flat(outputs):
    """Outputs (tensor, list or dict) as a list of numpy arrays, dicts in key order."""
    if isinstance(outputs, dict):
        outputs = [outputs[key] for key in sorted(outputs)]
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [o.detach().cpu().numpy() if torch.is_tensor(o) else np.asarray(o) for o in outputs]


def assert_same_outputs(ours, theirs, x):
    for actual, expected in zip(flat(ours(x)), flat(theirs(x)), strict=True):
        assert_close(actual, expected)


@pytest.fixture
def pair(request, keras):
    """The same graph built by Keras and by kerastorch, with Keras's weights copied over."""
    build = GRAPHS[request.param]
    keras.utils.set_random_seed(0)
    reference = build(keras)
    ours = build(kt)
    ours.set_weights(reference.get_weights())
    return ours, reference


# -- get_config in Keras 3's functional format -----------------------------------------------------


def _skeleton(config):
    """What must agree between two functional configs: entries in order (class, layer name;
    ops by class and arguments), each call's inputs, the input and output references."""
    op_class = {}
    for entry in config["layers"]:
        if str(entry.get("module", "")).startswith("keras.src.ops"):
            op_class[entry["name"]] = entry["class_name"]

    def refs(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, node, index = value["config"]["keras_history"]
            return [op_class.get(name, name), node, index]
        if isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str):
            return [op_class.get(value[0], value[0]), value[1], value[2]]
        if isinstance(value, dict):
            return {k: refs(v) for k, v in value.items() if k not in ("training", "mask")}
        if isinstance(value, (list, tuple)):
            return [refs(v) for v in value]
        return value

    entries = []
    for entry in config["layers"]:
        is_op = entry["name"] in op_class
        entries.append(
            (
                entry["class_name"],
                None if is_op else entry["name"],
                {k: v for k, v in entry["config"].items() if k != "name"} if is_op else None,
                refs(json.loads(json.dumps(entry["inbound_nodes"]))),
            )
        )
    return entries, refs(config["input_layers"]), refs(config["output_layers"])


@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_get_config_is_keras_functional_config(pair):
    ours, reference = pair
    assert _skeleton(ours.get_config()) == _skeleton(reference.get_config())


def test_ops_are_keras_operation_entries(keras):
    config = multi_io(kt).get_config()
    ops = {e["class_name"]: e for e in config["layers"] if "module" in e}
    assert sorted(ops) == ["Add", "GetItem", "Mean", "Multiply"]
    assert ops["Mean"]["module"] == "keras.src.ops.numpy"
    assert ops["Mean"]["config"] == {"name": "mean", "axis": 1, "keepdims": False}
    key = ops["GetItem"]["inbound_nodes"][0]["args"][1]
    full = {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}}
    assert key == [full, -1, full]  # x[:, -1, :], as Keras writes it
    assert ops["Multiply"]["inbound_nodes"][0]["args"][1] == 2


@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_from_config_of_either_config(pair):
    ours, reference = pair
    x = data_for(ours)
    for config in (ours.get_config(), reference.get_config()):
        twin = kt.Model.from_config(config)
        assert [layer.name for layer in twin.layers] == [layer.name for layer in ours.layers]
        twin.set_weights(reference.get_weights())
        assert_same_outputs(twin, reference, x)


@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_to_json_model_from_json_both_ways(pair):
    ours, reference = pair
    x = data_for(ours)
    for text in (ours.to_json(), reference.to_json()):
        twin = kt.models.model_from_json(text)
        twin.set_weights(reference.get_weights())
        assert_same_outputs(twin, reference, x)


# -- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_kt_file_round_trip(pair, tmp_path):
    ours, _ = pair
    ours.save(tmp_path / "model.kt")
    loaded = kt.saving.load_model(tmp_path / "model.kt")
    assert type(loaded).__name__ == "Functional" and loaded.name == ours.name
    x = data_for(ours)
    assert_same_outputs(loaded, ours, x)
    assert list(loaded.state_dict()) == list(ours.state_dict())


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_keras_saved_file_loads_in_kerastorch(pair, suffix, tmp_path):
    ours, reference = pair
    reference.save(tmp_path / f"model{suffix}")
    loaded = kt.saving.load_model(tmp_path / f"model{suffix}")
    assert_same_outputs(loaded, reference, data_for(ours))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_kerastorch_saved_file_loads_in_keras(pair, suffix, tmp_path, keras):
    ours, _ = pair
    torch.manual_seed(1)
    ours.set_weights([np.random.default_rng(2).normal(size=w.shape) for w in ours.get_weights()])
    if suffix == ".h5" and any(not isinstance(op, kt.layers.Layer) for op in ours.operations):
        # Keras 3 writes ops into .h5 files but cannot read them back: kerastorch says so.
        with pytest.warns(UserWarning, match="Keras 3 cannot load them back from .h5"):
            ours.save(tmp_path / f"model{suffix}")
        assert_same_outputs(kt.saving.load_model(tmp_path / "model.h5"), ours, data_for(ours))
        return
    ours.save(tmp_path / f"model{suffix}")
    if suffix == ".h5" and ours.name == "attender":
        # Keras 3.15 cannot load Attention from its own .h5 (score_mode comes back a function).
        assert_same_outputs(kt.saving.load_model(tmp_path / "model.h5"), ours, data_for(ours))
        return
    loaded = keras.models.load_model(tmp_path / f"model{suffix}")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in ours.layers]
    assert_same_outputs(ours, loaded, data_for(ours))


@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_weights_h5_both_ways(pair, tmp_path, keras):
    ours, reference = pair
    x = data_for(ours)
    keras.utils.set_random_seed(3)
    other = GRAPHS_BY_NAME[reference.name](keras)  # fresh Keras weights
    other.save_weights(tmp_path / "keras.weights.h5")
    ours.load_weights(tmp_path / "keras.weights.h5")
    assert_same_outputs(ours, other, x)
    ours.set_weights([w * 0.5 for w in ours.get_weights()])
    ours.save_weights(tmp_path / "ours.weights.h5")
    reference.load_weights(tmp_path / "ours.weights.h5")
    assert_same_outputs(ours, reference, x)


GRAPHS_BY_NAME = {build(kt).name: build for build in GRAPHS.values()}


def test_nested_model_weights_layout_is_keras(tmp_path, keras):
    nested(kt).save_weights(tmp_path / "ours.weights.h5")
    keras.utils.set_random_seed(0)
    nested(keras).save_weights(tmp_path / "keras.weights.h5")

    def datasets(path):
        found = []
        with h5py.File(path) as h5:
            h5.visititems(lambda n, o: found.append(n) if isinstance(o, h5py.Dataset) else None)
        return sorted(found)

    assert datasets(tmp_path / "ours.weights.h5") == datasets(tmp_path / "keras.weights.h5")
    assert "layers/functional/layers/dense/vars/0" in datasets(tmp_path / "ours.weights.h5")


def test_op_keras_has_no_class_for_is_refused_in_keras_files(tmp_path):
    x = kt.Input((3, 4), name="x")
    model = kt.Model(x, kt.ops.einsum("btf,btf->bt", x, x))
    with pytest.raises(SavingError, match=r"ops\.einsum, which Keras has no operation class"):
        model.save(tmp_path / "model.keras")
    model.save(tmp_path / "model.kt")  # kerastorch's own file holds it
    data = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    assert_close(flat(kt.saving.load_model(tmp_path / "model.kt")(data))[0], (data * data).sum(-1))


def test_fit_resumes_exactly_after_kt_reload(tmp_path):
    def build():
        torch.manual_seed(0)
        L = kt.layers
        prices = kt.Input((6, 4), name="prices")
        seq = L.Dense(5, activation="tanh")(prices)
        merged = L.Concatenate()([seq[:, -1, :] * 2, kt.ops.mean(seq, axis=1)])
        model = kt.Model(prices, L.Dense(1)(merged))
        model.compile(optimizer=kt.optimizers.Adam(0.01), loss="mse")
        return model

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 6, 4)), rng.normal(size=(20, 1))
    run = dict(batch_size=8, shuffle=False, verbose=0)
    whole = build().fit(x, y, epochs=4, **run).history["loss"]
    first = build()
    assert first.fit(x, y, epochs=2, **run).history["loss"] == pytest.approx(whole[:2], abs=0)
    first.save(tmp_path / "model.kt")
    resumed = kt.saving.load_model(tmp_path / "model.kt")
    rest = resumed.fit(x, y, epochs=4, initial_epoch=2, **run).history["loss"]
    assert rest == pytest.approx(whole[2:], rel=1e-6)


def test_a_two_input_two_output_model_resumes_exactly_after_kt_reload(tmp_path):
    # Per-output losses, loss weights and metrics travel in the .kt compile config.
    def build():
        torch.manual_seed(0)
        L = kt.layers
        prices = kt.Input((None, 3), name="prices")
        sector = kt.Input((2,), name="sector")
        joined = L.Concatenate()([L.LSTM(4)(prices), sector])
        level = L.Dense(1, name="level")(joined)
        direction = L.Dense(2, activation="softmax", name="direction")(joined)
        model = kt.Model([prices, sector], [level, direction])
        model.compile(
            optimizer=kt.optimizers.Adam(0.01),
            loss={"level": "mse", "direction": "sparse_categorical_crossentropy"},
            loss_weights={"level": 1.0, "direction": 0.5},
            metrics={"direction": ["accuracy"]},
        )
        return model

    rng = np.random.default_rng(1)
    x = {"prices": rng.normal(size=(20, 5, 3)), "sector": rng.normal(size=(20, 2))}
    y = {"level": rng.normal(size=(20, 1)), "direction": rng.integers(0, 2, size=20)}
    run = dict(batch_size=8, shuffle=False, verbose=0)
    whole = build().fit(x, y, epochs=4, **run).history
    first = build()
    first.fit(x, y, epochs=2, **run)
    first.save(tmp_path / "model.kt")
    resumed = kt.saving.load_model(tmp_path / "model.kt")
    rest = resumed.fit(x, y, epochs=4, initial_epoch=2, **run).history
    assert set(rest) == set(whole) >= {"loss", "level_loss", "direction_loss", "direction_accuracy"}
    for key in whole:
        assert rest[key] == pytest.approx(whole[key][2:], rel=1e-5), key


# -- subclassed models -----------------------------------------------------------------------------


def classifier_class(K, register=None):
    class Classifier(K.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.lstm = K.layers.LSTM(4, return_sequences=True)
            self.head = K.layers.Dense(units)
            self.extra = [K.layers.Dense(2), K.layers.Dense(units)]

        def call(self, x):
            hidden = self.head(K.ops.mean(self.lstm(x), axis=1))
            return hidden + self.extra[1](self.extra[0](hidden))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return register(Classifier) if register else Classifier


def test_subclassed_weights_h5_both_ways_in_keras_layout(tmp_path, keras):
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    keras.utils.set_random_seed(0)
    reference = classifier_class(keras)()
    reference(x)
    ours = classifier_class(kt)()
    ours(x)
    reference.save_weights(tmp_path / "keras.weights.h5")
    ours.load_weights(tmp_path / "keras.weights.h5")
    assert_same_outputs(ours, reference, x)
    ours.set_weights([w * 0.5 for w in ours.get_weights()])
    ours.save_weights(tmp_path / "ours.weights.h5")
    reference.load_weights(tmp_path / "ours.weights.h5")
    assert_same_outputs(ours, reference, x)
    with h5py.File(tmp_path / "ours.weights.h5") as h5:
        # Keras's walk: attributes in alphabetical order, each layer at the first path found.
        assert sorted(h5["extra"]) == ["dense", "dense_1"] and "vars/0" in h5["head"]
        assert "cell/vars/2" in h5["layers/lstm"]


def test_subclassed_weights_kt_formats(tmp_path):
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    cls = classifier_class(kt)
    ours, twin = cls(), cls()
    ours(x)
    twin(x)
    ours.save_weights(tmp_path / "model.weights.pt")
    twin.load_weights(tmp_path / "model.weights.pt")
    assert_same_outputs(twin, ours, x)


def test_subclassed_whole_model_with_registered_class_or_custom_objects(tmp_path):
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    register = kt.saving.register_keras_serializable(package="fsaving_test")
    registered = classifier_class(kt, register)(units=4)
    registered(x)
    registered.compile(optimizer="adam", loss="mse")
    registered.fit(x, np.zeros((2, 4)), epochs=1, verbose=0)
    registered.save(tmp_path / "registered.kt")
    loaded = kt.saving.load_model(tmp_path / "registered.kt")
    assert type(loaded) is type(registered) and loaded.units == 4
    assert_same_outputs(loaded, registered, x)
    saved, restored = registered.optimizer.state_dict(), loaded.optimizer.state_dict()
    assert restored["param_groups"][0]["step"] == saved["param_groups"][0]["step"] == 1
    assert_close(restored["state"][0]["momentum"], saved["state"][0]["momentum"], atol=0)

    plain_cls = type("Ranker", (classifier_class(kt),), {})  # not registered
    plain = plain_cls(units=2)
    plain(x)
    plain.save(tmp_path / "plain.kt")
    with pytest.raises(SavingError, match="Cannot load a model of class 'Ranker'.*custom_objects"):
        kt.saving.load_model(tmp_path / "plain.kt")
    loaded = kt.saving.load_model(tmp_path / "plain.kt", custom_objects={"Ranker": plain_cls})
    assert_same_outputs(loaded, plain, x)


def test_subclassed_model_without_get_config_names_the_class(tmp_path):
    class Scorer(kt.Model):
        def __init__(self, units):
            super().__init__()
            self.dense = kt.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    model = Scorer(2)
    model(np.ones((1, 3), "float32"))
    with pytest.raises(SavingError, match=r"Scorer whole.*\['units'\].*Define get_config\(\)"):
        model.save(tmp_path / "model.kt")
    with pytest.raises(TypeError, match="Cannot create Scorer from its config"):
        Scorer.from_config({"name": "scorer"})
    with pytest.raises(SavingError, match="subclassed model \\(Scorer\\)"):
        model.save(tmp_path / "model.keras")


# -- clone_model ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", sorted(GRAPHS), indirect=True)
def test_clone_model_like_keras(pair, keras):
    ours, reference = pair
    twin = clone_model(ours)
    keras_twin = keras.models.clone_model(reference)
    assert [type(layer).__name__ for layer in twin.layers] == [
        type(layer).__name__.replace("InputLayer", "InputLayer") for layer in keras_twin.layers
    ]
    assert [layer.name for layer in twin.layers] == [layer.name for layer in ours.layers]
    assert twin.count_params() == keras_twin.count_params() == ours.count_params()
    assert not any(a is b for a, b in zip(twin.layers, ours.layers, strict=True))
    x = data_for(ours)
    twin.set_weights(reference.get_weights())
    assert_same_outputs(twin, reference, x)


def test_clone_model_keeps_shared_layers_shared_and_takes_input_tensors():
    model = shared(kt)
    twin = clone_model(model)
    assert len(twin.get_layer("shared")._inbound_nodes) >= 3  # one layer, three calls
    a, b = kt.Input((4,), name="left"), kt.Input((4,), name="right")
    on_new_inputs = clone_model(model, input_tensors=[a, b])
    assert on_new_inputs.input_names == ["left", "right"]
    with pytest.raises(ValueError, match="input_tensors must be 2 symbolic tensor"):
        clone_model(model, input_tensors=[a])
    same_layers = clone_model(model, clone_function=lambda layer: layer)
    assert same_layers.get_layer("shared") is model.get_layer("shared")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = data_for(model)
        same_layers_out = flat(same_layers(x))
    for actual, expected in zip(same_layers_out, flat(model(x)), strict=True):
        assert_close(actual, expected, atol=0)
