"""TimeDistributed, RepeatVector / Reshape / Permute, Lambda and Keras-style custom layers,
compared with Keras 3 (weights copied), with hand computation and with plain torch."""

import re

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import (
    LSTM,
    Dense,
    Lambda,
    Layer,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    TimeDistributed,
)
from kerastorch.layers.base import ShapeInferenceError
from kerastorch.saving import SavingError, load_model
from tests.helpers import assert_close


def randn(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def twins(keras, make):
    """The same stack in Keras and kerastorch; Keras's initial weights copied over."""
    keras_model = keras.Sequential(make(keras.layers, keras.Input))
    model = Sequential(make(kerastorch.layers, Input))
    model.set_weights(keras_model.get_weights())
    return model, keras_model


def run(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x)).numpy()


# -- TimeDistributed ----------------------------------------------------------------------------


def test_time_distributed_dense_matches_keras(keras):
    def make(layers, input_):
        return [input_((4, 3)), layers.TimeDistributed(layers.Dense(2, activation="tanh"))]

    model, keras_model = twins(keras, make)
    x = randn(5, 4, 3)
    assert_close(run(model, x), keras_model.predict(x, verbose=0))
    layer, keras_layer = model.layers[0], keras_model.layers[0]
    assert model.output_shape == keras_model.output_shape == (None, 4, 2)
    for shape in [(None, None, 3), (7, 4, 3)]:
        assert layer.compute_output_shape(shape) == keras_layer.compute_output_shape(shape)
    assert layer.count_params() == keras_layer.count_params() == 8
    assert [w.shape for w in layer.get_weights()] == [(3, 2), (2,)]
    assert list(model.state_dict()) == [
        "time_distributed.layer.linear.weight",
        "time_distributed.layer.linear.bias",
    ]
    # By hand: the same Dense at every timestep.
    kernel, bias = keras_layer.get_weights()
    assert_close(run(model, x), np.tanh(x @ kernel + bias))


def test_masked_sequence_model_matches_keras(keras):
    def make(layers, input_):
        return [
            input_((None,)),
            layers.Embedding(20, 5, mask_zero=True),
            layers.LSTM(6, return_sequences=True),
            layers.TimeDistributed(layers.Dense(2)),
        ]

    model, keras_model = twins(keras, make)
    ids = np.array([[4, 9, 2, 0, 0], [0, 0, 3, 3, 1], [7, 0, 5, 0, 8]], "int64")
    with torch.no_grad():
        outputs, mask = model(torch.as_tensor(ids), return_mask=True)
    assert_close(outputs, keras_model(ids).detach().cpu())
    # TimeDistributed passes the mask on, so the per-step loss skips the padding as in Keras.
    assert torch.equal(mask, torch.as_tensor(ids != 0))
    y = randn(3, 5, 2, seed=1)
    keras_model.compile(optimizer="sgd", loss="mse")
    model.compile(optimizer="sgd", loss="mse")
    assert_close(model.evaluate(ids, y, verbose=0), keras_model.evaluate(ids, y, verbose=0))


def test_time_distributed_builds_from_the_first_batch_and_folds_time_into_batch():
    layer = TimeDistributed(Dense(3))
    model = Sequential([layer])
    assert not model.built
    x = torch.randn(2, 6, 4)
    y = model(x)
    assert model.built and layer.layer.build_input_shape == (None, 4)
    assert layer.count_params() == 15 and model.count_params() == 15
    dense = layer.layer
    expected = torch.stack([dense(x[:, t]) for t in range(6)], dim=1)  # one step at a time
    assert_close(y, expected, atol=1e-6)
    # Rank-4 input: each timestep is a (4, 5) matrix, the Dense acts on its last axis.
    layer4 = TimeDistributed(Dense(2))
    assert layer4(torch.randn(3, 2, 4, 5)).shape == (3, 2, 4, 2)
    assert layer4.compute_output_shape((None, None, 4, 5)) == (None, None, 4, 2)
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["layer"]["config"]["units"] == 3
    twin = TimeDistributed.from_config(config)
    assert isinstance(twin.layer, Dense) and twin.layer.units == 3 and not twin.built


def test_time_distributed_errors():
    with pytest.raises(TypeError, match=r"TimeDistributed 'time_distributed': expected layer to"):
        TimeDistributed("dense")
    with pytest.raises(TypeError, match=r"Pass an instance: TimeDistributed\(Dense\(\.\.\.\)\)"):
        TimeDistributed(Dense)
    with pytest.raises(TypeError, match=r"Wrap a plain torch module in a kerastorch Layer"):
        TimeDistributed(torch.nn.Linear(3, 2))
    with pytest.raises(
        ValueError,
        match=r"TimeDistributed 'td' expects inputs of shape \(batch, timesteps, \.\.\.\) with "
        r"at least 3 axes, received input shape \(None, 4\)\. For \(batch, features\) inputs, "
        r"use Dense directly\.",
    ):
        Sequential([Input((4,)), TimeDistributed(Dense(2), name="td")])
    layer = TimeDistributed(Dense(2), name="td")
    with pytest.raises(ValueError, match=r"the mask must start with the \(batch, timesteps\)"):
        layer(torch.randn(2, 3, 4), mask=torch.ones(2, 5, dtype=torch.bool))


# -- RepeatVector, Reshape, Permute -------------------------------------------------------------

RESHAPING_CASES = [
    ("RepeatVector", (3,), (2, 4), [(None, 4), (5, 4)]),
    ("Reshape", ((3, 4),), (2, 12), [(None, 12), (None, 3, 4)]),
    ("Reshape", ((-1, 2),), (2, 3, 4), [(None, 3, 4), (None, 6), (None, None, 4)]),
    ("Permute", ((2, 1),), (2, 5, 3), [(None, 5, 3), (None, None, 3)]),
    ("Permute", ((3, 1, 2),), (2, 2, 3, 4), [(None, 2, 3, 4)]),
]


@pytest.mark.parametrize(
    ("name", "args", "x_shape", "shapes"),
    RESHAPING_CASES,
    ids=[f"{c[0]}{c[1]}" for c in RESHAPING_CASES],
)
def test_reshaping_layers_match_keras(keras, name, args, x_shape, shapes):
    layer = getattr(kerastorch.layers, name)(*args)
    keras_layer = getattr(keras.layers, name)(*args)
    x = randn(*x_shape)
    assert_close(layer(torch.as_tensor(x)), keras.ops.convert_to_numpy(keras_layer(x)), atol=0.0)
    for shape in shapes:
        assert layer.compute_output_shape(shape) == keras_layer.compute_output_shape(shape)
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_repeat_vector_by_hand_and_permute_counts_from_one():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert torch.equal(RepeatVector(2)(x), torch.tensor([[[1.0, 2.0]] * 2, [[3.0, 4.0]] * 2]))
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    assert torch.equal(Permute((3, 1, 2))(x), x.permute(0, 3, 1, 2))


def test_reshaping_errors():
    for n in (0, -2, 1.5, True):
        with pytest.raises(
            ValueError,
            match=rf"RepeatVector 'repeat_vector': expected a positive integer, received n={n!r}",
        ):
            RepeatVector(n)
    with pytest.raises(
        ValueError,
        match=r"RepeatVector 'rv' expects inputs of shape \(batch, features\), received input "
        r"shape \(None, 7, 4\)\. After a recurrent layer, use return_sequences=False",
    ):
        Sequential([Input((7, 4)), RepeatVector(3, name="rv")])
    with pytest.raises(
        ValueError,
        match=r"Reshape 'reshape' cannot reshape inputs of shape \(None, 12\) \(12 values per "
        r"sample\) to target_shape=\(5, 2\), which needs 10 values per sample\.",
    ):
        Sequential([Input((12,)), Reshape((5, 2))])
    layer = Reshape((-1, 5), name="r")
    with pytest.raises(
        ValueError,
        match=r"Reshape 'r' cannot reshape inputs of shape \(2, 3, 4\) \(12 values per sample\) "
        r"to target_shape=\(-1, 5\), which needs a multiple of 5 values per sample\.",
    ):
        layer(torch.ones(2, 3, 4))
    for target in [(-1, -1), (0, 3), (-2, 3), "ab", (2.5,)]:
        with pytest.raises(ValueError, match=r"expected target_shape to be a tuple of positive"):
            Reshape(target)
    for dims in [(1, 3), (0, 1), (2, 2), (2,), 5]:
        with pytest.raises(
            ValueError,
            match=r"Permute 'permute': expected dims to be a permutation of 1\.\.n counting "
            rf"from 1 .*received dims={re.escape(repr(dims))}\.",
        ):
            Permute(dims)
    with pytest.raises(
        ValueError,
        match=r"Permute 'p' with dims=\(2, 1\) expects inputs with 2 axes after the batch axis, "
        r"received input shape \(2, 3, 4, 5\)\.",
    ):
        Permute((2, 1), name="p")(torch.ones(2, 3, 4, 5))


# -- encoder-decoder forecaster -----------------------------------------------------------------


def test_encoder_decoder_forecaster_matches_keras_and_fits_alike(keras):
    def make(layers, input_):
        return [
            input_((None, 3)),
            layers.LSTM(16),
            layers.RepeatVector(5),
            layers.LSTM(16, return_sequences=True),
            layers.TimeDistributed(layers.Dense(1)),
        ]

    model, keras_model = twins(keras, make)
    assert model.output_shape == keras_model.output_shape == (None, 5, 1)
    assert model.count_params() == keras_model.count_params()
    x, y = randn(24, 7, 3), randn(24, 5, 1, seed=1)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.1), loss="mse")
    fit = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0}
    keras_history = keras_model.fit(x, y, **fit).history
    history = model.fit(x, y, **fit).history
    assert_close(history["loss"], keras_history["loss"], atol=1e-4)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-4)


# -- Lambda -------------------------------------------------------------------------------------


def last_step(x):
    return x[:, -1, :]


def scaled(x, factor=1.0):
    return x * factor


def test_lambda_matches_keras(keras):
    def make(layers, input_):
        return [
            input_((None, 3)),
            layers.LSTM(4, return_sequences=True),
            layers.Lambda(last_step),
            layers.Lambda(scaled, arguments={"factor": 3.0}),
            layers.Dense(2),
        ]

    model, keras_model = twins(keras, make)
    assert model.output_shapes() == [(None, None, 4), (None, 4), (None, 4), (None, 2)]
    assert model.output_shape == keras_model.output_shape
    x = randn(4, 6, 3)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    for function, output_shape in [
        (lambda x: x.sum(-1), None),
        (lambda x: torch.cat([x, x], -1), (None, 8)),
        (lambda x: x.reshape(x.shape[0], -1, 2), lambda s: (s[0], None, 2)),
    ]:
        ours = Lambda(function, output_shape=output_shape)
        theirs = keras.layers.Lambda(function, output_shape=output_shape)  # torch ops run there
        for shape in [(None, None, 4), (2, 5, 4)]:
            assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)
        assert_close(ours(torch.ones(2, 5, 4)), theirs(torch.ones(2, 5, 4)).cpu(), atol=0.0)


def test_lambda_mask_training_and_config():
    seen = {}

    def record(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    layer = Lambda(record, mask=lambda inputs, mask: inputs[..., 0] > 0)
    x = torch.tensor([[[1.0], [0.0]]])
    incoming = torch.tensor([[True, True]])
    layer(x, mask=incoming, training=True)
    assert seen["mask"] is incoming and seen["training"] is True
    assert torch.equal(layer.compute_mask(x, incoming), torch.tensor([[True, False]]))
    config = Lambda(scaled, output_shape=(None, 4), arguments={"factor": 2.0}).get_config()
    assert config["function"] == {
        "class_name": "function",
        "module": __name__,
        "name": "scaled",
    }
    assert config["output_shape"] == (None, 4) and config["arguments"] == {"factor": 2.0}
    assert Lambda.unsafe_to_deserialize
    with kerastorch.saving.custom_object_scope({"scaled": scaled}):
        twin = Lambda.from_config(config)
    assert twin.function is scaled and twin.arguments == {"factor": 2.0}


def test_lambda_saving_is_refused_unless_safe_mode_is_off(tmp_path):
    model = Sequential([Input((3,)), Lambda(scaled, arguments={"factor": 2.0}), Dense(1)])
    path = tmp_path / "lambda.kt"
    model.save(path)
    with pytest.raises(SavingError, match=r"load it with safe_mode=False"):
        load_model(path)
    loaded = load_model(path, safe_mode=False)  # imports tests.test_wrappers_custom.scaled
    assert loaded.layers[0].function is scaled
    x = randn(2, 3)
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=0.0)
    anonymous = Sequential([Input((3,)), Lambda(lambda x: x * 2)])
    anonymous.save(tmp_path / "anonymous.kt")
    with pytest.raises(SavingError, match=r"its function was '.*<lambda>'.*Rebuild the model"):
        load_model(tmp_path / "anonymous.kt", safe_mode=False)


def test_lambda_errors():
    with pytest.raises(TypeError, match=r"Lambda 'lambda': expected function to be callable"):
        Lambda("x ** 2")
    with pytest.raises(ValueError, match=r"expected output_shape to be the output shape without"):
        Lambda(last_step, output_shape=5)
    needs_length_5 = Lambda(lambda x: x.reshape(x.shape[0], 15), name="flat15")
    with pytest.raises(
        ShapeInferenceError,
        match=r"Lambda 'flat15' could not infer its output shape for input shape \(None, None, "
        r"3\): running it on zeros of shape \(2, 2, 3\) failed with RuntimeError: .*Pass "
        r"output_shape=\(\.\.\.\) without the batch axis",
    ):
        Sequential([Input((None, 3)), needs_length_5])


# -- custom layers ------------------------------------------------------------------------------


class Linear(Layer):
    """The Keras guide's custom layer, plus a non-trainable per-unit scale made first."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(self.units,), initializer="ones", trainable=False, name="scale"
        )
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
            name="w",
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.built = True  # Keras code often sets it; harmless

    def call(self, inputs):
        return (inputs @ self.w + self.b) * self.scale

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def keras_linear_class(keras):
    class KerasLinear(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.scale = self.add_weight(
                shape=(self.units,), initializer="ones", trainable=False, name="scale"
            )
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="random_normal", name="w"
            )
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, inputs):
            return (keras.ops.matmul(inputs, self.w) + self.b) * self.scale

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], self.units)

    return KerasLinear


def test_custom_layer_matches_keras_in_sequential_and_fit(keras):
    keras_model = keras.Sequential(
        [keras.Input((3,)), keras_linear_class(keras)(4), keras.layers.Dense(1)]
    )
    model = Sequential([Input((3,)), Linear(4), Dense(1)])
    # Keras order: trainable weights first (w, b), then the non-trainable scale.
    assert [w.shape for w in model.get_weights()] == [
        tuple(w.shape) for w in keras_model.get_weights()
    ]
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4,), (4, 1), (1,)]
    weights = keras_model.get_weights()
    weights[2] = np.array([1.0, 0.5, 2.0, -1.0], "float32")  # scale, to see it used
    keras_model.set_weights(weights)
    model.set_weights(weights)
    layer, keras_layer = model.layers[0], keras_model.layers[0]
    assert model.count_params() == keras_model.count_params() == 25
    frozen = sum(int(np.prod(w.shape)) for w in keras_layer.non_trainable_weights)
    assert layer.count_non_trainable_params() == frozen == 4
    assert list(model.state_dict()) == [
        "linear.w",
        "linear.b",
        "linear.scale",
        "dense.linear.weight",
        "dense.linear.bias",
    ]
    x, y = randn(16, 3), randn(16, 1, seed=1)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.1), loss="mse")
    fit = {"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0}
    keras_history = keras_model.fit(x, y, **fit).history
    history = model.fit(x, y, **fit).history
    assert_close(history["loss"], keras_history["loss"], atol=1e-5)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)
    assert_close(layer.scale, weights[2], atol=0.0)  # the non-trainable weight did not move


def test_custom_layer_builds_lazily_and_trains_in_a_plain_torch_loop():
    model = Sequential([Linear(2)])
    assert not model.built
    x = torch.randn(8, 3)
    y = torch.randn(8, 2)
    model(x)  # the first batch builds it
    layer = model.layers[0]
    assert layer.build_input_shape == (None, 3) and layer.w.shape == (3, 2)
    assert [name for name, _ in model.named_parameters()] == ["linear.w", "linear.b"]
    assert [name for name, _ in model.named_buffers()] == ["linear.scale"]
    w, b = layer.w.detach().clone(), layer.b.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    loss = torch.nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    # By hand: d mean((xw + b - y)^2) / dw = 2 x^T (xw + b - y) / (8 * 2).
    error = x @ w + b - y
    assert_close(layer.w, w - 0.1 * 2 * x.T @ error / 16, atol=1e-6)
    assert_close(layer.b, b - 0.1 * 2 * error.sum(0) / 16, atol=1e-6)
    assert_close(layer.scale, torch.ones(2), atol=0.0)


class Doubler(Layer):
    """No build, no compute_output_shape, a torch-style forward."""

    def forward(self, x):
        return torch.cat([x, 2 * x], dim=-1)


class NeedsFixedLength(Layer):
    """Forgets compute_output_shape although only a length-5 sequence can run through it."""

    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], 5 * inputs.shape[2])


class Counter(Layer):
    """Counts its calls in a non-trainable weight; has no compute_output_shape."""

    def build(self, input_shape):
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, inputs):
        self.calls.add_(1)
        return inputs[..., :1]


class Recorder(Layer):
    supports_masking = True

    def call(self, inputs, training=None, mask=None):
        self.seen = (training, mask)
        return inputs


def test_custom_layer_output_shape_is_inferred_or_asked_for():
    model = Sequential([Input((None, 3)), Doubler(), Dense(2)])
    assert model.output_shapes() == [(None, None, 6), (None, None, 2)]
    assert model.layers[1].build_input_shape == (None, None, 6)
    assert model(torch.randn(2, 4, 3)).shape == (2, 4, 2)  # mask=/training= not passed on
    text = []
    model.summary(print_fn=text.append)
    assert "(None, None, 6)" in text[0]
    with pytest.raises(
        ShapeInferenceError,
        match=r"NeedsFixedLength 'needs_fixed_length' does not define compute_output_shape, and "
        r"learning its output shape for input shape \(None, None, 3\) by running it on zeros of "
        r"shape \(2, 2, 3\) failed with RuntimeError: .*Define "
        r"compute_output_shape\(self, input_shape\) in NeedsFixedLength",
    ):
        Sequential([Input((None, 3)), NeedsFixedLength(), Dense(1)])
    # With a known length it runs, and the shape is learnt.
    assert Sequential([Input((5, 3)), NeedsFixedLength()]).output_shape == (None, 15)
    # Learning the shape leaves no trace in the layer's state.
    counter = Sequential([Input((None, 3)), Counter()])
    assert counter.output_shape == (None, None, 1)
    assert counter.layers[0].calls.item() == 0
    counter(torch.ones(2, 4, 3))
    assert counter.layers[0].calls.item() == 1


def test_call_receives_training_and_mask_as_in_keras():
    recorder = Recorder()
    model = Sequential([Input((None, 2)), Masking(0.0), recorder, LSTM(3)])
    x = np.array([[[1.0, 1.0], [0.0, 0.0]]], "float32")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((1, 3), "float32"), epochs=1, verbose=0)
    training, mask = recorder.seen
    assert training is True and mask.tolist() == [[True, False]]
    model.predict(x, verbose=0)
    assert recorder.seen[0] is False


def test_add_weight_signatures_and_errors():
    layer = Layer(name="custom")
    kernel = layer.add_weight((3, 2), "zeros")  # Keras 3 positional: shape, initializer
    legacy = layer.add_weight("legacy", (2,), initializer="ones")  # Keras 2 / kerastorch
    counter = layer.add_weight(shape=(), dtype="int64", trainable=False)
    assert torch.equal(kernel, torch.zeros(3, 2)) and torch.equal(legacy, torch.ones(2))
    assert counter.dtype == torch.int64 and counter.shape == ()
    assert layer._keras_weight_names == ["variable", "legacy", "variable_1"]
    assert layer.variable is kernel and layer.legacy is legacy
    penalized = layer.add_weight(shape=(2,), regularizer="l2", constraint="non_neg", name="pen")
    assert layer.weight_regularizers["pen"].l2 == 0.01 and penalized.shape == (2,)
    assert type(layer.weight_constraints["pen"]).__name__ == "NonNeg"
    with pytest.raises(ValueError, match=r"already has an attribute named 'name'"):
        layer.add_weight(shape=(2,), name="name")
    with pytest.raises(TypeError, match=r"shape was passed both positionally and by keyword"):
        layer.add_weight((2,), shape=(2,))

    class Unknown(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), name="w")

        def call(self, inputs):
            return inputs @ self.w

    with pytest.raises(
        ValueError,
        match=r"Unknown 'unknown': add_weight\(name='w'\): every size of a weight must be known, "
        r"received shape=\(None, 2\)\. It is being built for input shape \(None, 4, None\)",
    ):
        Sequential([Input((4, None)), Unknown()])


def test_build_called_by_hand_is_not_repeated_and_trainable_flags_follow_keras():
    layer = Linear(2)
    layer.build((None, 3))  # as Keras code does; build() set self.built itself
    w = layer.w
    layer(torch.ones(1, 3))
    assert layer.w is w

    class NoBuiltFlag(Linear):
        def build(self, input_shape):
            super().build(input_shape)
            self.built = False  # as if the user never set it

    layer = NoBuiltFlag(2)
    layer.build((None, 3))
    w = layer.w
    layer(torch.ones(1, 3))
    assert layer.w is w and layer.build_input_shape == (None, 3)
    assert layer.count_params() == 10 and layer.count_non_trainable_params() == 2
    layer.trainable = False
    assert not layer.w.requires_grad and layer.count_non_trainable_params() == 10
    layer.trainable = True
    assert layer.w.requires_grad and not layer.scale.requires_grad
    assert layer.count_non_trainable_params() == 2


class Block(Layer):
    """A Keras-style composite layer: its own weight plus two Dense sublayers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(4, activation="relu")
        self.out = Dense(2)

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(2,), initializer="ones", name="gain")

    def call(self, inputs):
        return self.out(self.hidden(inputs)) * self.gain


def test_composite_custom_layer_matches_keras(keras):
    class KerasBlock(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = keras.layers.Dense(4, activation="relu")
            self.out = keras.layers.Dense(2)

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(2,), initializer="ones", name="gain")

        def call(self, inputs):
            return self.out(self.hidden(inputs)) * self.gain

    keras_model = keras.Sequential([keras.Input((3,)), KerasBlock()])
    keras_model.predict(np.zeros((1, 3), "float32"), verbose=0)
    model = Sequential([Input((3,)), Block()])
    # The sublayers are built from the Input, before any data, as Keras builds them.
    assert model.count_params() == keras_model.count_params() == 2 + 16 + 10
    assert [w.shape for w in model.get_weights()] == [
        tuple(w.shape) for w in keras_model.get_weights()
    ]
    weights = [w + 0.5 for w in keras_model.get_weights()]  # gain != 1
    keras_model.set_weights(weights)
    model.set_weights(weights)
    x = randn(5, 3)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    model.layers[0].trainable = False
    assert not any(p.requires_grad for p in model.parameters())
    assert model.layers[0].count_non_trainable_params() == 28


def test_custom_layers_inside_time_distributed_save_and_load(tmp_path):
    model = Sequential([Input((5, 3)), TimeDistributed(Linear(4)), Block()])
    with torch.no_grad():
        model.layers[0].layer.scale.copy_(torch.tensor([0.5, 1.0, 2.0, -1.0]))
    assert list(model.state_dict())[:3] == [
        "time_distributed.layer.w",
        "time_distributed.layer.b",
        "time_distributed.layer.scale",
    ]
    model.save(tmp_path / "custom.kt")
    with kerastorch.saving.custom_object_scope({"Linear": Linear, "Block": Block}):
        loaded = load_model(tmp_path / "custom.kt")
    x = randn(2, 5, 3)
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=0.0)
    assert_close(loaded.layers[0].layer.scale, [0.5, 1.0, 2.0, -1.0], atol=0.0)


def test_add_weight_regularizer_and_constraint_train_like_keras(keras):
    class Scaled(Layer):
        def build(self, input_shape):
            # No name: the weight is named by the attribute, and its penalty follows it.
            self.kernel = self.add_weight(
                shape=(input_shape[-1], 3),
                initializer="glorot_uniform",
                regularizer=kerastorch.regularizers.L2(0.05),
                constraint=kerastorch.constraints.NonNeg(),
            )

        def call(self, inputs):
            return inputs @ self.kernel

    class KerasScaled(keras.layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], 3),
                initializer="glorot_uniform",
                regularizer=keras.regularizers.L2(0.05),
                constraint=keras.constraints.NonNeg(),
            )

        def call(self, inputs):
            return keras.ops.matmul(inputs, self.kernel)

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], 3)

    keras_model = keras.Sequential([keras.Input((4,)), KerasScaled(), keras.layers.Dense(1)])
    model = Sequential([Input((4,)), Scaled(), Dense(1)])
    model.set_weights(keras_model.get_weights())
    assert list(model.layers[0].weight_regularizers) == ["kernel"]
    x, y = randn(16, 4), randn(16, 1, seed=2)
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(learning_rate=0.1), loss="mse")
    fit = {"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0}
    expected = keras_model.fit(x, y, **fit).history["loss"]
    assert_close(model.fit(x, y, **fit).history["loss"], expected, atol=1e-5)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)
    assert (model.layers[0].kernel >= 0).all()  # the constraint held
