"""``kerastorch.config``: Keras 3's ``keras.config`` settings, compared with Keras's."""

import numpy as np
import pytest

import kerastorch
from kerastorch import Sequential, config, layers, mixed_precision
from kerastorch.models import load_model
from kerastorch.saving import SavingError, object_registration


@pytest.fixture
def float32_policies(keras):
    yield
    config.set_dtype_policy("float32")
    keras.config.set_dtype_policy("float32")


def test_every_name_is_keras_and_the_readings_equal_keras(keras):
    assert set(config.__all__) <= set(dir(keras.config))
    assert kerastorch.config is config
    for name in ("backend", "floatx", "epsilon", "image_data_format"):
        assert getattr(config, name)() == getattr(keras.config, name)(), name
    # Deliberately different: Keras trims its own frames from tracebacks; kerastorch never does.
    assert keras.config.is_traceback_filtering_enabled() is True
    assert config.is_traceback_filtering_enabled() is False


def test_the_setters_take_keras_defaults(keras):
    config.set_floatx("float32")
    config.set_image_data_format("channels_last")
    keras.config.set_floatx("float32")
    assert config.floatx() == keras.config.floatx() == "float32"
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False


@pytest.mark.parametrize(
    ("setter", "value", "message"),
    [
        ("set_floatx", "float64", r"set_floatx\('float64'\): kerastorch computes in float32"),
        ("set_floatx", "float16", r'set_dtype_policy\("mixed_bfloat16"\)'),
        ("set_image_data_format", "channels_first", r"data_format=\"channels_first\" to a layer"),
    ],
)
def test_settings_kerastorch_cannot_take_are_refused_with_the_fix(setter, value, message):
    with pytest.raises(ValueError, match=message):
        getattr(config, setter)(value)
    assert config.floatx() == "float32" and config.image_data_format() == "channels_last"


def test_set_dtype_policy_is_the_mixed_precision_policy_of_later_compiles(keras, float32_policies):
    config.set_dtype_policy("mixed_bfloat16")
    keras.config.set_dtype_policy("mixed_bfloat16")
    assert config.dtype_policy().name == keras.config.dtype_policy().name == "mixed_bfloat16"
    assert mixed_precision.global_policy() is config.dtype_policy()
    model = Sequential([layers.Input((4,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.compiled.policy.name == "mixed_bfloat16"
    config.set_dtype_policy(mixed_precision.DTypePolicy("float32"))
    assert config.dtype_policy().name == "float32"


def test_enable_unsafe_deserialization_makes_every_later_load_unsafe(tmp_path, monkeypatch):
    class CodeLayer(layers.Layer):
        unsafe_to_deserialize = True  # as Keras's Lambda: its config carries code

        def call(self, inputs):
            return inputs * 2.0

    monkeypatch.setattr(object_registration, "_UNSAFE_EVERYWHERE", False)
    model = Sequential([layers.Input((2,)), CodeLayer()])
    model.save(tmp_path / "code.kt")
    with pytest.raises(SavingError, match="refused in safe mode"):
        load_model(tmp_path / "code.kt", custom_objects={"CodeLayer": CodeLayer})
    config.enable_unsafe_deserialization()
    # As Keras's switch, it overrides the load's own safe_mode=True (the default).
    loaded = load_model(tmp_path / "code.kt", custom_objects={"CodeLayer": CodeLayer})
    x = np.array([[1.0, -3.0]], dtype="float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), [[2.0, -6.0]])
