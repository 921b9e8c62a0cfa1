"""kerastorch's own files: model.save / load_model (.kt), weights, JSON, custom objects, safety."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Sequential, layers, optimizers, saving
from kerastorch.models import load_model, model_from_json
from kerastorch.saving import SavingError
from tests.helpers import assert_close


def _data(n=24, steps=6, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, features)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    return x, y


def _lstm_model(optimizer="adam", seed=1):
    torch.manual_seed(seed)
    model = Sequential([layers.Input((None, 3)), layers.LSTM(5), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _max_diff(a, b):
    return max(float(np.abs(p - q).max()) for p, q in zip(a, b, strict=True))


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_optimizer", [lambda: "adam", lambda: optimizers.SGD(0.05, momentum=0.9)]
)
def test_fit_save_load_fit_equals_uninterrupted_fit(tmp_path, make_optimizer):
    x, y = _data()
    straight = _lstm_model(make_optimizer())
    h4 = straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)

    first = _lstm_model(make_optimizer())
    h2 = first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    path = tmp_path / "model.kt"
    first.save(path)
    resumed = load_model(path)
    h2b = resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)

    assert _max_diff(straight.get_weights(), resumed.get_weights()) <= 1e-6
    for key in ("loss", "mae"):
        assert_close(h2.history[key] + h2b.history[key], h4.history[key], atol=1e-6)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 12
    assert type(resumed.optimizer) is type(straight.optimizer)


def test_round_trip_keeps_architecture_names_and_predictions(tmp_path):
    torch.manual_seed(0)
    model = Sequential(
        [
            layers.Input((None, 4)),
            layers.Masking(0.0),
            layers.LSTM(6, return_sequences=True, recurrent_activation="hard_sigmoid"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(3, activation="relu", name="hidden"),
            layers.Dropout(0.25),
            layers.Dense(2),
            layers.Activation("softmax"),
        ],
        name="classifier",
    )
    x = np.random.default_rng(1).normal(size=(5, 7, 4)).astype("float32")
    x[0, 4:] = 0.0  # padded steps, masked
    path = tmp_path / "classifier.kt"
    model.save(path)
    loaded = load_model(path)
    assert loaded.name == "classifier"
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.get_config() == model.get_config()
    assert loaded.compiled is None  # never compiled, so nothing to restore
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=0.0)
    assert list(loaded.state_dict()) == list(model.state_dict())


def test_archive_layout(tmp_path):
    x, y = _data()
    model = _lstm_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "model.kt"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "model.weights.pt", "optimizer.pt"]
        config = json.loads(zf.read("config.json"))
    assert config["format"] == "kerastorch"
    assert config["format_version"] == 1
    assert config["kerastorch_version"] == kerastorch.__version__
    assert config["model"]["input_batch_shape"] == [None, None, 3]
    entries = config["model"]["config"]["layers"]
    assert [(e["class_name"], e["config"]["name"]) for e in entries] == [
        ("LSTM", "lstm"),
        ("Dense", "dense"),
    ]
    assert entries[0]["config"]["units"] == 5
    assert entries[1]["build_input_shape"] == [None, 5]
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert compile_config["loss"]["config"]["name"] == "mse"
    assert compile_config["metrics"] == ["mae"]


def test_compile_false_and_include_optimizer_false(tmp_path):
    x, y = _data()
    model = _lstm_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "a.kt")
    assert load_model(tmp_path / "a.kt", compile=False).compiled is None
    model.save(tmp_path / "b.kt", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "b.kt") as zf:
        assert "optimizer.pt" not in zf.namelist()
    loaded = load_model(tmp_path / "b.kt")
    assert loaded.compiled is None
    assert _max_diff(loaded.get_weights(), model.get_weights()) == 0.0


def test_compiled_but_untrained_model_restores_compile_state(tmp_path):
    model = _lstm_model(optimizers.RMSprop(0.01, rho=0.8))
    model.save(tmp_path / "m.kt")
    loaded = load_model(tmp_path / "m.kt")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.built  # bound to the loaded model's parameters
    x, y = _data()
    h_loaded = loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    h_model = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert h_loaded.history["loss"] == pytest.approx(h_model.history["loss"], abs=1e-6)


def test_torch_optimizer_state_round_trips(tmp_path):
    x, y = _data()

    def make():
        torch.manual_seed(3)
        model = Sequential([layers.Input((None, 3)), layers.LSTM(4), layers.Dense(1)])
        model.compile(optimizer=torch.optim.Adam(model.parameters(), lr=0.01), loss="mse")
        return model

    straight = make()
    straight.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first = make()
    first.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    first.save(tmp_path / "t.kt")
    resumed = load_model(tmp_path / "t.kt")
    assert isinstance(resumed.optimizer, torch.optim.Adam)
    resumed.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert _max_diff(straight.get_weights(), resumed.get_weights()) <= 1e-6


# -- weights -----------------------------------------------------------------------------------


def test_save_and_load_weights(tmp_path):
    source = _lstm_model(seed=1)
    target = _lstm_model(seed=2)
    assert _max_diff(source.get_weights(), target.get_weights()) > 0.01
    source.save_weights(tmp_path / "w.weights.pt")
    target.load_weights(tmp_path / "w.weights.pt")
    assert _max_diff(source.get_weights(), target.get_weights()) == 0.0
    # A plain torch.save(state_dict) is accepted too, and so is a .kt model file.
    other = _lstm_model(seed=3)
    torch.save(source.state_dict(), tmp_path / "plain.pt")
    other.load_weights(tmp_path / "plain.pt")
    assert _max_diff(source.get_weights(), other.get_weights()) == 0.0
    source.save(tmp_path / "whole.kt")
    third = _lstm_model(seed=4)
    third.load_weights(tmp_path / "whole.kt")
    assert _max_diff(source.get_weights(), third.get_weights()) == 0.0


def test_mismatched_weights_name_the_layer_and_load_nothing(tmp_path):
    torch.manual_seed(0)
    saved = Sequential([layers.Input((None, 3)), layers.LSTM(5), layers.Dense(2)])
    saved.save_weights(tmp_path / "w.weights.pt")
    torch.manual_seed(1)
    model = Sequential([layers.Input((None, 3)), layers.LSTM(5), layers.Dense(1)])
    before = model.get_weights()
    with pytest.raises(SavingError) as info:
        model.load_weights(tmp_path / "w.weights.pt")
    message = str(info.value)
    assert "Dense 'dense'" in message
    assert "dense.linear.weight has shape (2, 5) in the file but (1, 5) in the model" in message
    assert "Nothing was loaded" in message
    # The LSTM's weights fit, but were not copied either: no half-loaded model.
    assert _max_diff(model.get_weights(), before) == 0.0
    with pytest.warns(UserWarning, match=r"skipped layers \['dense'\]"):
        model.load_weights(tmp_path / "w.weights.pt", skip_mismatch=True)
    assert_close(model.layers[0].get_weights()[0], saved.layers[0].get_weights()[0], atol=0.0)


def test_weights_file_names_missing_layers(tmp_path):
    small = Sequential([layers.Input((3,)), layers.Dense(2)])
    small.save_weights(tmp_path / "small.weights.pt")
    big = Sequential([layers.Input((3,)), layers.Dense(2), layers.Dense(1, name="head")])
    with pytest.raises(SavingError, match=r"missing from the file: head\.linear\.weight"):
        big.load_weights(tmp_path / "small.weights.pt")


def test_weight_file_names_are_checked():
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(SavingError, match=r"must end in '\.weights\.pt'"):
        model.save_weights("weights.bin")
    with pytest.raises(SavingError, match=r"use model\.save_weights"):
        model.save("x.weights.pt")
    with pytest.raises(SavingError, match=r"Cannot tell the format"):
        model.save("model.bin")


# -- JSON and configs --------------------------------------------------------------------------


def test_to_json_and_from_config():
    torch.manual_seed(0)
    model = Sequential(
        [layers.Input((None, 2)), layers.LSTM(3, return_sequences=True), layers.Dense(4)],
        name="tagger",
    )
    text = model.to_json()
    data = json.loads(text)
    assert data["class_name"] == "Sequential"
    assert data["input_batch_shape"] == [None, None, 2]
    rebuilt = model_from_json(text)
    assert rebuilt.name == "tagger"
    assert rebuilt.get_config() == model.get_config()
    assert rebuilt.built
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    twin = Sequential.from_config(model.get_config())
    assert twin.get_config() == model.get_config()
    assert twin.output_shape == (None, None, 4)


# -- custom objects and safety ------------------------------------------------------------------


class Scale(layers.Layer):
    """A custom layer with a weight and a constructor argument."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.add_weight("scale", (input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.scale * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _scale_model():
    model = Sequential([layers.Input((3,)), Scale(3.0), layers.Dense(1)])
    with torch.no_grad():
        model.layers[0].scale.copy_(torch.tensor([1.0, 2.0, 3.0]))
    return model


def test_unknown_custom_layer_is_refused_with_the_fix(tmp_path):
    model = _scale_model()
    model.save(tmp_path / "custom.kt")
    with pytest.raises(SavingError) as info:
        load_model(tmp_path / "custom.kt")
    message = str(info.value)
    assert "class 'Scale'" in message
    assert "custom_objects={'Scale': Scale}" in message
    assert "register_keras_serializable" in message
    assert "Layers in the file: scale (Scale), dense (Dense)" in message
    loaded = load_model(tmp_path / "custom.kt", custom_objects={"Scale": Scale})
    x = np.ones((2, 3), dtype="float32")
    assert loaded.layers[0].factor == 3.0
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=0.0)
    with saving.custom_object_scope({"Scale": Scale}):
        assert load_model(tmp_path / "custom.kt").layers[0].factor == 3.0


def test_registered_layer_and_activation_round_trip(tmp_path):
    @saving.register_keras_serializable(package="tests")
    class Shift(layers.Layer):
        def __init__(self, offset=1.0, **kwargs):
            super().__init__(**kwargs)
            self.offset = offset

        def call(self, inputs):
            return inputs + self.offset

        def get_config(self):
            return {**super().get_config(), "offset": self.offset}

    @saving.register_custom_object(package="tests")
    def cube(x):
        return x**3

    assert saving.get_registered_name(Shift) == "tests>Shift"
    torch.manual_seed(0)
    model = Sequential([layers.Input((2,)), Shift(0.5), layers.Dense(2, activation=cube)])
    model.save(tmp_path / "registered.kt")
    with zipfile.ZipFile(tmp_path / "registered.kt") as zf:
        config = json.loads(zf.read("config.json"))
    entries = config["model"]["config"]["layers"]
    assert entries[0]["registered_name"] == "tests>Shift"
    assert entries[1]["config"]["activation"] == {"__kerastorch_object__": "tests>cube"}
    loaded = load_model(tmp_path / "registered.kt")
    assert loaded.layers[1].activation is cube
    x = np.array([[1.0, -2.0]], dtype="float32")
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=0.0)


def test_unregistered_callable_cannot_be_saved(tmp_path):
    model = Sequential([layers.Input((2,)), layers.Dense(2, activation=lambda t: t * 2)])
    with pytest.raises(SavingError, match=r"activation='<lambda>' cannot be written"):
        model.save(tmp_path / "lambda.kt")
    assert not (tmp_path / "lambda.kt").exists()
    assert os.listdir(tmp_path) == []  # no temporary file left behind


def test_layers_carrying_code_are_refused_in_safe_mode(tmp_path):
    class CodeLayer(layers.Layer):
        unsafe_to_deserialize = True

        def call(self, inputs):
            return inputs

    model = Sequential([layers.Input((2,)), CodeLayer()])
    model.save(tmp_path / "code.kt")
    with pytest.raises(SavingError, match=r"refused in safe mode.*safe_mode=False"):
        load_model(tmp_path / "code.kt", custom_objects={"CodeLayer": CodeLayer})
    loaded = load_model(
        tmp_path / "code.kt", custom_objects={"CodeLayer": CodeLayer}, safe_mode=False
    )
    assert type(loaded.layers[0]) is CodeLayer


def test_custom_loss_function_needs_custom_objects(tmp_path):
    def doubled_mse(y_true, y_pred):
        return 2 * torch.mean((y_true - y_pred) ** 2, dim=-1)

    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=doubled_mse)
    model.save(tmp_path / "loss.kt")
    with pytest.raises(SavingError, match=r"custom loss function 'doubled_mse'.*compile=False"):
        load_model(tmp_path / "loss.kt")
    loaded = load_model(tmp_path / "loss.kt", custom_objects={"doubled_mse": doubled_mse})
    assert loaded.loss.fn is doubled_mse
    assert load_model(tmp_path / "loss.kt", compile=False).compiled is None


# -- damaged and foreign files ------------------------------------------------------------------


def test_foreign_and_damaged_files_get_clear_errors(tmp_path):
    text = tmp_path / "notes.kt"
    text.write_text("hello, this is not a model\n")
    with pytest.raises(SavingError, match=r"looks like a text file"):
        load_model(text)
    empty = tmp_path / "empty.kt"
    empty.write_bytes(b"")
    with pytest.raises(SavingError, match=r"it is empty"):
        load_model(empty)
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(SavingError, match=r"zip archive but not a kerastorch or Keras model"):
        load_model(tmp_path / "other.zip")
    torch.save({"a": torch.ones(1)}, tmp_path / "state.pt")
    with pytest.raises(SavingError, match=r"torch\.save\(\) file.*load_weights"):
        load_model(tmp_path / "state.pt")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.kt")


def test_truncated_archive_is_refused(tmp_path):
    model = _lstm_model()
    model.save(tmp_path / "m.kt")
    data = (tmp_path / "m.kt").read_bytes()
    (tmp_path / "cut.kt").write_bytes(data[: len(data) // 2])
    with pytest.raises(SavingError, match=r"truncated or corrupt"):
        load_model(tmp_path / "cut.kt")
    # Flip bytes inside the weights member: the zip's CRC check catches it.
    with zipfile.ZipFile(tmp_path / "m.kt") as zf:
        info = zf.getinfo("model.weights.pt")
        offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    damaged = bytearray(data)
    damaged[offset : offset + 8] = b"\xff" * 8
    (tmp_path / "bad.kt").write_bytes(bytes(damaged))
    with pytest.raises(SavingError, match=r"corrupt or truncated"):
        load_model(tmp_path / "bad.kt")


def _rewrite_config(source, target, edit):
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            zout.writestr(name, data)


def test_newer_format_version_is_refused(tmp_path):
    model = _lstm_model()
    model.save(tmp_path / "m.kt")
    _rewrite_config(tmp_path / "m.kt", tmp_path / "new.kt", lambda c: c.update(format_version=99))
    with pytest.raises(SavingError, match=r"format version 99; this kerastorch .* reads versions"):
        load_model(tmp_path / "new.kt")


def test_weights_not_fitting_the_saved_architecture(tmp_path):
    model = _lstm_model()
    model.save(tmp_path / "m.kt")

    def widen(config):
        config["model"]["config"]["layers"][1]["config"]["units"] = 2

    _rewrite_config(tmp_path / "m.kt", tmp_path / "edited.kt", widen)
    with pytest.raises(SavingError, match=r"Dense 'dense': dense\.linear\.weight has shape"):
        load_model(tmp_path / "edited.kt")


# -- atomic saves ------------------------------------------------------------------------------

_SLOW_SAVE = textwrap.dedent(
    """
    import sys, time, torch
    import kerastorch
    from kerastorch import Sequential, layers
    from kerastorch.saving import atomic

    original = atomic._open_temp

    class Slow:
        def __init__(self, f):
            self.f = f
            self.announced = False
        def write(self, data):
            if not self.announced:
                print("WRITING", flush=True)
                self.announced = True
            for i in range(0, len(data), 4096):
                self.f.write(data[i : i + 4096])
                time.sleep(0.002)
            return len(data)
        def __getattr__(self, name):
            return getattr(self.f, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

    def slow_open(path):
        f, tmp = original(path)
        return Slow(f), tmp

    atomic._open_temp = slow_open
    torch.manual_seed(1)
    model = Sequential([layers.Input((None, 64)), layers.LSTM(256), layers.Dense(8)])
    model.save(sys.argv[1])
    print("DONE", flush=True)
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_killed_save_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "model.kt"
    old = Sequential([layers.Input((None, 64)), layers.LSTM(4), layers.Dense(8)])
    old.save(path)
    before = path.read_bytes()
    script = tmp_path / "slow_save.py"
    script.write_text(_SLOW_SAVE)
    with subprocess.Popen(
        [sys.executable, str(script), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            line = child.stdout.readline()
            assert line.strip() == "WRITING", child.stderr.read()
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    loaded = load_model(path)
    assert loaded.layers[0].units == 4
    assert _max_diff(loaded.get_weights(), old.get_weights()) == 0.0


def test_failed_save_removes_its_temporary_file(tmp_path, monkeypatch):
    model = _lstm_model()
    model.save(tmp_path / "m.kt")
    before = (tmp_path / "m.kt").read_bytes()

    original = zipfile.ZipFile.writestr
    calls = []

    def failing_writestr(self, name, data, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:  # after config.json went into the temporary file
            raise OSError("disk full")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "m.kt")
    assert os.listdir(tmp_path) == ["m.kt"]
    assert (tmp_path / "m.kt").read_bytes() == before
