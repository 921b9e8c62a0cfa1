"""GRU, SimpleRNN, Bidirectional and stateful recurrent layers: equal to Keras 3 with copied weights."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import GRU, LSTM, Bidirectional, Dense, SimpleRNN
from tests.helpers import RECURRENT_MASKS, assert_close

CLASSES = {"GRU": GRU, "SimpleRNN": SimpleRNN, "LSTM": LSTM}
MASKS = RECURRENT_MASKS
GRU_CONFIGS = [
    {},
    {"return_sequences": True, "return_state": True},
    {"reset_after": False, "return_sequences": True},
    {"reset_after": False, "use_bias": False, "return_state": True},
    {"use_bias": False, "return_sequences": True},
    {"activation": "relu", "recurrent_activation": "hard_sigmoid", "return_sequences": True},
    {"go_backwards": True, "return_sequences": True, "return_state": True},
    {"go_backwards": True, "reset_after": False, "return_state": True},
]
SIMPLE_RNN_CONFIGS = [
    {},
    {"return_sequences": True, "return_state": True},
    {"activation": "relu", "return_sequences": True},
    {"activation": "softsign", "return_sequences": True, "return_state": True},
    {"activation": None, "use_bias": False, "go_backwards": True},
    {"go_backwards": True, "return_sequences": True, "return_state": True},
]


def ids(config):
    return ",".join(f"{k}={v}" for k, v in config.items()) or "default"


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def noisy(weights, scale=0.3):
    """Keras's initial biases are zeros; perturb every weight so the bias mapping is tested."""
    rng = np.random.default_rng(1)
    return [w + scale * rng.standard_normal(w.shape).astype("float32") for w in weights]


def twin(keras_layer, layer, features=3, batch=None):
    keras_layer.build((batch, None, features))
    layer.build_from_shape((batch, None, features))
    weights = noisy(keras_layer.get_weights())
    keras_layer.set_weights(weights)
    layer.set_weights(weights)
    return layer, keras_layer


def twin_rnn(keras, cls, units=5, features=3, **kwargs):
    return twin(
        getattr(keras.layers, cls)(units, **kwargs), CLASSES[cls](units, **kwargs), features
    )


def compare(layer, keras_layer, x, mask=None, **call):
    keras_call = dict(call)
    torch_call = {k: [torch.from_numpy(s) for s in v] for k, v in call.items()}
    if mask is not None:
        keras_call["mask"] = mask
        torch_call["mask"] = torch.from_numpy(mask)
    expected = as_list(keras_layer(x, **keras_call))
    actual = as_list(layer(torch.from_numpy(x), **torch_call))
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert_close(a, e.detach())
    return actual


def shapes(shape):
    """One shape or several, as a list of tuples."""
    if shape and isinstance(shape[0], (tuple, list)):
        return [tuple(s) for s in shape]
    return [tuple(shape)]


def data(batch=4, timesteps=6, features=3):
    return np.random.randn(batch, timesteps, features).astype("float32")


def mask_array(name):
    return None if MASKS[name] is None else np.array(MASKS[name], bool)


# -- GRU and SimpleRNN ---------------------------------------------------------------------------


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("config", GRU_CONFIGS, ids=ids)
def test_gru_matches_keras(keras, config, mask_name):
    layer, keras_layer = twin_rnn(keras, "GRU", **config)
    compare(layer, keras_layer, data(), mask_array(mask_name))


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("config", SIMPLE_RNN_CONFIGS, ids=ids)
def test_simple_rnn_matches_keras(keras, config, mask_name):
    layer, keras_layer = twin_rnn(keras, "SimpleRNN", **config)
    compare(layer, keras_layer, data(), mask_array(mask_name))


@pytest.mark.parametrize("mask_name", ["no-mask", "pre-padding", "empty-sequence"])
@pytest.mark.parametrize("config", [{"return_sequences": True}, {"return_state": True}], ids=ids)
@pytest.mark.parametrize("cls", ["GRU", "SimpleRNN"])
def test_initial_state_matches_keras(keras, cls, config, mask_name):
    """Keras carries the initial state over leading masked steps, yet outputs zeros there."""
    layer, keras_layer = twin_rnn(keras, cls, **config)
    h0 = np.random.randn(4, 5).astype("float32")
    compare(layer, keras_layer, data(), mask_array(mask_name), initial_state=[h0])


def test_default_gru_runs_fused_and_the_step_path_agrees():
    """NOTE [recurrent execution paths]: nn.GRU and the step loop compute the same, dropout too."""
    fused = GRU(5, return_sequences=True, return_state=True, dropout=0.3)
    fused.build_from_shape((None, None, 3))
    stepped = GRU(5, return_sequences=True, return_state=True, dropout=0.3)
    stepped.build_from_shape((None, None, 3))
    stepped.set_weights(fused.get_weights())
    stepped.fused = False
    assert fused.fused and not GRU(5, reset_after=False).fused
    assert not GRU(5, recurrent_dropout=0.1).fused and not GRU(5, activation="relu").fused
    assert SimpleRNN(2, activation="relu").fused and not SimpleRNN(2, activation="elu").fused
    x = torch.randn(3, 8, 3)
    for training in (False, True):
        torch.manual_seed(1)
        expected = fused(x, training=training)
        torch.manual_seed(1)
        for a, b in zip(stepped(x, training=training), expected, strict=True):
            assert_close(a, b)


@pytest.mark.parametrize("config", [{}, {"reset_after": False}], ids=["fused", "steps"])
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_gru_padded_batch_equals_each_sequence_alone(config, padding):
    """Same outputs and the same gradients as running every sequence unpadded, one by one."""
    lengths = [5, 2, 7, 1]
    sequences = [torch.randn(n, 3) for n in lengths]
    gru = GRU(4, **config)
    gru.build_from_shape((None, None, 3))
    gru.set_weights(noisy(gru.get_weights()))

    alone = torch.cat([gru(s[None]) for s in sequences])
    alone.square().sum().backward()
    grads_alone = [p.grad.clone() for p in gru.parameters()]
    gru.zero_grad()

    padded = torch.zeros(4, 7, 3)
    mask = torch.zeros(4, 7, dtype=torch.bool)
    for i, s in enumerate(sequences):
        steps = slice(0, len(s)) if padding == "post" else slice(7 - len(s), 7)
        padded[i, steps], mask[i, steps] = s, True
    batched = gru(padded, mask=mask)
    batched.square().sum().backward()
    assert_close(batched, alone, atol=1e-6)
    for g_batch, g_alone in zip((p.grad for p in gru.parameters()), grads_alone, strict=True):
        assert_close(g_batch, g_alone, atol=1e-5)


@pytest.mark.parametrize(
    ("cls", "config"),
    [
        ("GRU", {}),
        ("GRU", {"reset_after": False}),
        ("GRU", {"use_bias": False}),
        ("SimpleRNN", {}),
        ("SimpleRNN", {"use_bias": False}),
    ],
)
def test_weights_parameters_and_counts_equal_keras(keras, cls, config):
    layer, keras_layer = twin_rnn(keras, cls, units=4, features=3, **config)
    assert layer.count_params() == keras_layer.count_params()
    assert sum(p.numel() for p in layer.parameters()) == keras_layer.count_params()
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in keras_layer.get_weights()]
    for ours, theirs in zip(layer.get_weights(), keras_layer.get_weights(), strict=True):
        assert_close(ours, theirs, atol=0.0)
    # A twin built from the config and loaded from get_weights computes the same.
    clone = type(layer).from_config(layer.get_config())
    clone.build_from_shape((None, None, 3))
    clone.set_weights(layer.get_weights())
    x = torch.randn(2, 5, 3)
    assert_close(clone(x), layer(x), atol=0.0)


def test_gru_torch_layout():
    """NOTE [GRU gate order] and NOTE [one bias per gate]: what the torch module holds."""
    gru = GRU(2)
    gru.build_from_shape((None, None, 3))
    kernel, recurrent, bias = (
        np.arange(w.size, dtype="float32").reshape(w.shape) for w in gru.get_weights()
    )
    gru.set_weights([kernel, recurrent, bias])
    z, r, h = np.split(kernel, 3, axis=1)
    assert_close(gru.gru.weight_ih_l0, np.concatenate([r, z, h], axis=1).T, atol=0.0)
    assert_close(gru.gru.bias_hh_l0, np.concatenate([*np.split(bias[1], 3)[1::-1], bias[1, 4:]]))
    assert [n for n, _ in gru.named_parameters()] == [
        "gru.weight_ih_l0",
        "gru.weight_hh_l0",
        "gru.bias_ih_l0",
        "gru.bias_hh_l0",
    ]
    old = GRU(2, reset_after=False)
    old.build_from_shape((None, None, 3))
    assert "gru.bias_hh_l0" not in dict(old.named_parameters())
    assert torch.count_nonzero(old.state_dict()["gru.bias_hh_l0"]) == 0
    rnn = SimpleRNN(2)
    rnn.build_from_shape((None, None, 3))
    assert [n for n, _ in rnn.named_parameters()] == [
        "rnn.weight_ih_l0",
        "rnn.weight_hh_l0",
        "rnn.bias_ih_l0",
    ]


def test_gru_initializers_follow_keras():
    gru = GRU(4, bias_initializer="ones")
    gru.build_from_shape((None, None, 3))
    kernel, recurrent, bias = gru.get_weights()
    assert kernel.shape == (3, 12) and bias.shape == (2, 12) and (bias == 1).all()
    limit = np.sqrt(6 / (3 + 12))
    assert np.abs(kernel).max() <= limit
    # orthogonal (units, 3 * units): orthonormal rows, whatever the gate reordering.
    assert_close(recurrent @ recurrent.T, np.eye(4), atol=1e-5)


# -- Bidirectional -------------------------------------------------------------------------------

BIDIRECTIONAL_CASES = [
    ({}, "no-mask"),
    ({"return_sequences": True}, "holes"),
    ({"return_state": True}, "post-padding"),
    ({"return_sequences": True, "return_state": True}, "pre-padding"),
]


def twin_bidirectional(keras, cls, units=4, merge_mode="concat", **kwargs):
    keras_layer = keras.layers.Bidirectional(
        getattr(keras.layers, cls)(units, **kwargs), merge_mode=merge_mode
    )
    return twin(keras_layer, Bidirectional(CLASSES[cls](units, **kwargs), merge_mode=merge_mode))


@pytest.mark.parametrize(
    ("config", "mask_name"), BIDIRECTIONAL_CASES, ids=lambda c: ids(c) if isinstance(c, dict) else c
)
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_lstm_merge_modes_match_keras(keras, merge_mode, config, mask_name):
    layer, keras_layer = twin_bidirectional(keras, "LSTM", merge_mode=merge_mode, **config)
    compare(layer, keras_layer, data(), mask_array(mask_name))
    expected_shape = keras_layer.compute_output_shape((None, 6, 3))
    assert shapes(layer.compute_output_shape((None, 6, 3))) == shapes(expected_shape)


@pytest.mark.parametrize("mask_name", ["no-mask", "post-padding", "pre-padding"])
@pytest.mark.parametrize("config", [{"return_sequences": True}, {"return_state": True}], ids=ids)
@pytest.mark.parametrize("cls", ["GRU", "SimpleRNN"])
def test_bidirectional_gru_and_simple_rnn_match_keras(keras, cls, config, mask_name):
    layer, keras_layer = twin_bidirectional(keras, cls, **config)
    compare(layer, keras_layer, data(), mask_array(mask_name))
    assert layer.count_params() == keras_layer.count_params()


def test_bidirectional_initial_state_and_backward_layer_match_keras(keras):
    keras_layer = keras.layers.Bidirectional(
        keras.layers.LSTM(4, return_sequences=True),
        backward_layer=keras.layers.LSTM(
            4, activation="relu", go_backwards=True, return_sequences=True
        ),
        merge_mode="sum",
    )
    layer = Bidirectional(
        LSTM(4, return_sequences=True),
        backward_layer=LSTM(4, activation="relu", go_backwards=True, return_sequences=True),
        merge_mode="sum",
    )
    layer, keras_layer = twin(keras_layer, layer)
    states = [np.random.randn(4, 4).astype("float32") for _ in range(4)]
    compare(layer, keras_layer, data(), mask_array("pre-padding"), initial_state=states)


def test_bidirectional_in_sequential_names_keys_summary_and_weights(keras):
    model = Sequential([Input((None, 3)), Bidirectional(LSTM(4)), Dense(2)])
    keras_model = keras.Sequential(
        [
            keras.Input((None, 3)),
            keras.layers.Bidirectional(keras.layers.LSTM(4)),
            keras.layers.Dense(2),
        ]
    )
    assert [layer.name for layer in model.layers] == ["bidirectional", "dense"]
    bidirectional = model.layers[0]
    assert bidirectional.forward_layer.name == "forward_lstm"
    assert bidirectional.backward_layer.name == "backward_lstm"
    assert bidirectional.backward_layer.go_backwards
    keys = list(model.state_dict())
    assert keys[:2] == [
        "bidirectional.forward_layer.lstm.weight_ih_l0",
        "bidirectional.forward_layer.lstm.weight_hh_l0",
    ]
    assert "bidirectional.backward_layer.lstm.bias_ih_l0" in keys
    assert model.count_params() == keras_model.count_params() == 2 * 4 * 4 * (3 + 4 + 1) + 18
    lines = []
    model.summary(print_fn=lines.append)
    assert "bidirectional (Bidirectional)   │ (None, 8)" in lines[0]
    # get_weights order: forward layer's, then backward layer's, then Dense's (Keras's order).
    weights = noisy(keras_model.get_weights())
    model.set_weights(weights)
    assert_close(bidirectional.forward_layer.get_weights()[0], weights[0], atol=0.0)
    assert_close(bidirectional.backward_layer.get_weights()[2], weights[5], atol=0.0)
    keras_model.set_weights(weights)
    x = data()
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0))


def test_bidirectional_weights_argument_and_config_round_trip():
    """``weights=`` is applied at build (Keras 3 ignores it; Keras 2 applied it)."""
    source = Bidirectional(GRU(3, return_sequences=True), merge_mode="ave")
    source.build_from_shape((None, None, 2))
    weights = noisy(source.get_weights())
    layer = Bidirectional(GRU(3, return_sequences=True), merge_mode="ave", weights=weights)
    layer.build_from_shape((None, None, 2))
    for ours, given in zip(layer.get_weights(), weights, strict=True):
        assert_close(ours, given, atol=0.0)
    clone = Bidirectional.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone.build_from_shape((None, None, 2))
    clone.set_weights(weights)
    x = torch.randn(2, 5, 2)
    assert_close(clone(x), layer(x), atol=0.0)


# -- stateful layers -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "SimpleRNN"])
def test_stateful_layer_matches_keras_over_batches_and_after_reset(keras, cls):
    """Each batch starts from the previous batch's final states, masked steps included."""
    batch = 4
    keras_layer = getattr(keras.layers, cls)(5, stateful=True, return_sequences=True)
    layer, keras_layer = twin(
        keras_layer, CLASSES[cls](5, stateful=True, return_sequences=True), batch=batch
    )
    x1, x2, x3 = data(), data(), data()
    mask = mask_array("holes")
    fresh = layer.__class__(5, return_sequences=True)
    fresh.build_from_shape((None, None, 3))
    fresh.set_weights(layer.get_weights())

    first = compare(layer, keras_layer, x1)
    assert_close(first[0], fresh(torch.from_numpy(x1)))
    compare(layer, keras_layer, x2, mask)  # final states at each sequence's own last valid step
    third = compare(layer, keras_layer, x3)
    assert (third[0] - fresh(torch.from_numpy(x3))).abs().max() > 1e-3  # the state was carried
    for ours, theirs in zip(layer.states, keras_layer.states, strict=True):
        assert_close(ours, theirs.value.detach())

    keras_layer.reset_states()
    layer.reset_states()
    assert all(float(s.abs().sum()) == 0.0 for s in layer.states)
    after_reset = compare(layer, keras_layer, x3)
    assert_close(after_reset[0], fresh(torch.from_numpy(x3)))


def test_stateful_bidirectional_matches_keras(keras):
    keras_layer = keras.layers.Bidirectional(keras.layers.GRU(3, stateful=True))
    layer, keras_layer = twin(keras_layer, Bidirectional(GRU(3, stateful=True)), batch=4)
    for x in (data(), data()):
        compare(layer, keras_layer, x)
    layer.reset_states()
    keras_layer.reset_states()
    compare(layer, keras_layer, data())
    assert len(layer.states) == 2


def test_stateful_simple_rnn_fit_matches_keras_across_batches_and_epochs(keras):
    x = np.random.randn(12, 5, 2).astype("float32")
    y = np.random.randn(12, 1).astype("float32")
    keras_model = keras.Sequential(
        [
            keras.Input(batch_shape=(4, 5, 2)),
            keras.layers.SimpleRNN(3, stateful=True),
            keras.layers.Dense(1),
        ]
    )
    model = Sequential([SimpleRNN(3, stateful=True, batch_input_shape=(4, 5, 2)), Dense(1)])
    model.set_weights(noisy(keras_model.get_weights()))
    keras_model.set_weights(model.get_weights())
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse")
    expected = keras_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_close(history.history["loss"], expected.history["loss"], atol=1e-5)
    assert_close(model.layers[0].states[0], keras_model.layers[0].states[0].value.detach())
    model.reset_states()
    keras_model.layers[0].reset_states()
    assert_close(
        model.predict(x, batch_size=4, verbose=0), keras_model.predict(x, batch_size=4, verbose=0)
    )


def test_stateful_lstm_fit_matches_hand_written_torch():
    """Keras 3.15's torch backend cannot fit a stateful LSTM or GRU (keras-team/keras#20875,
    #23462: it writes the state in place while autograd still needs it), so the oracle is a
    hand-written torch loop carrying (h, c) from batch to batch, detached."""
    x = torch.randn(12, 5, 2)
    y = torch.randn(12, 1)
    model = Sequential([LSTM(3, stateful=True, batch_input_shape=(4, 5, 2)), Dense(1)])
    model.set_weights(noisy(model.get_weights()))
    kernel, recurrent, bias, dense_kernel, dense_bias = (
        torch.from_numpy(w) for w in model.get_weights()
    )
    lstm = torch.nn.LSTM(2, 3, batch_first=True)
    linear = torch.nn.Linear(3, 1)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(kernel.T)
        lstm.weight_hh_l0.copy_(recurrent.T)
        lstm.bias_ih_l0.copy_(bias)
        lstm.bias_hh_l0.zero_()
        lstm.bias_hh_l0.requires_grad_(False)
        linear.weight.copy_(dense_kernel.T)
        linear.bias.copy_(dense_bias)
    params = [p for p in [*lstm.parameters(), *linear.parameters()] if p.requires_grad]
    state = (torch.zeros(1, 4, 3), torch.zeros(1, 4, 3))
    expected = []
    for _ in range(2):
        losses = []
        for start in range(0, 12, 4):
            outputs, (h, c) = lstm(x[start : start + 4], state)
            loss = (linear(outputs[:, -1]) - y[start : start + 4]).square().mean()
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= 0.1 * p.grad
                    p.grad = None
            state = (h.detach(), c.detach())
            losses.append(loss.item())
        expected.append(np.mean(losses))

    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_close(history.history["loss"], expected, atol=1e-6)
    assert_close(model.layers[0].states[0], state[0][0])
    assert_close(model.layers[0].states[1], state[1][0])


def test_stateful_states_are_detached_non_persistent_buffers():
    model = Sequential([Input(batch_shape=(2, 4, 3)), GRU(3, stateful=True), Dense(1)])
    model.train()
    model(torch.randn(2, 4, 3)).sum().backward()
    model(torch.randn(2, 4, 3)).sum().backward()  # no "backward through the graph a second time"
    gru = model.layers[0]
    assert not gru.states[0].requires_grad
    assert "gru.state_h" not in model.state_dict()
    assert dict(model.named_buffers())["gru.state_h"] is gru.states[0]
    model.to(torch.float64)
    assert gru.states[0].dtype == torch.float64
    model.reset_states()
    assert float(gru.states[0].abs().sum()) == 0.0


def test_stateful_layer_called_directly_takes_the_batch_size_and_survives_inference_mode():
    lstm = LSTM(3, stateful=True)
    lstm(torch.randn(5, 4, 2))
    assert lstm.states[0].shape == (5, 3)
    with torch.inference_mode():  # as in predict()
        lstm(torch.randn(5, 4, 2))
    lstm.train()
    lstm(torch.randn(5, 4, 2)).sum().backward()
    assert not lstm.states[0].is_inference()


# -- errors --------------------------------------------------------------------------------------


def test_stateful_errors_name_the_layer_and_the_fix():
    with pytest.raises(
        ValueError,
        match=r"GRU 'memory' has stateful=True, which needs a fixed batch size .* Start the model "
        r"with Input\(batch_shape=\(batch_size, None, 3\)\), or give the first layer "
        r"batch_input_shape=\(batch_size, None, 3\)\.",
    ):
        Sequential([Input((None, 3)), GRU(2, stateful=True, name="memory")])
    model = Sequential([Input(batch_shape=(4, None, 3)), LSTM(2, stateful=True, name="memory")])
    with pytest.raises(
        ValueError,
        match=r"LSTM 'memory' is stateful and was built for batches of 4 samples .* received a "
        r"batch of 3 samples \(input shape \(3, 6, 3\)\)\. Feed batches of exactly 4 samples",
    ):
        model(torch.zeros(3, 6, 3))
    with pytest.raises(AttributeError, match=r"Bidirectional 'bidirectional' is not stateful"):
        Bidirectional(LSTM(2)).reset_states()


def test_bad_arguments_are_clear_errors():
    with pytest.raises(
        ValueError,
        match=r"Bidirectional 'bidirectional': expected merge_mode to be one of 'concat', 'sum', "
        r"'mul', 'ave' or None, received merge_mode='cat'\. Did you mean \"concat\"\?",
    ):
        Bidirectional(LSTM(2), merge_mode="cat")
    for value in (-0.1, 1.0):
        with pytest.raises(
            ValueError, match=rf"GRU 'gru': expected 0 <= dropout < 1, received dropout={value}"
        ):
            GRU(2, dropout=value)
        with pytest.raises(
            ValueError,
            match=rf"expected 0 <= recurrent_dropout < 1, received recurrent_dropout={value}",
        ):
            SimpleRNN(2, recurrent_dropout=value)
    with pytest.raises(ValueError, match=r"expected a positive integer, received units=0"):
        GRU(0)
    with pytest.raises(ValueError, match=r"must process the sequence in opposite directions"):
        Bidirectional(LSTM(2, go_backwards=True))
    with pytest.raises(ValueError, match=r"must have the same return_sequences"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(
        TypeError, match=r"expected layer to be a recurrent layer .* received Dense"
    ):
        Bidirectional(Dense(2))
    gru = GRU(2, name="enc")
    with pytest.raises(
        ValueError,
        match=r"GRU 'enc' expects initial_state to be 1 tensor\(s\) \[h\] of shape \(batch, units\) "
        r"= \(3, 2\), received \[\(3, 5\)\]",
    ):
        gru(torch.zeros(3, 4, 1), initial_state=[torch.zeros(3, 5)])


# -- a realistic model ---------------------------------------------------------------------------


def test_bidirectional_lstm_gru_classifier_fits_like_keras(keras):
    """Input((None, 8)) -> Bidirectional(LSTM) -> GRU -> Dense(softmax), SGD, 2 epochs."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6, 8)).astype("float32")
    y = rng.integers(0, 3, size=32)
    keras_model = keras.Sequential(
        [
            keras.Input((None, 8)),
            keras.layers.Bidirectional(keras.layers.LSTM(16, return_sequences=True)),
            keras.layers.GRU(8),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model = Sequential(
        [
            Input((None, 8)),
            Bidirectional(LSTM(16, return_sequences=True)),
            GRU(8),
            Dense(3, activation="softmax"),
        ]
    )
    weights = noisy(keras_model.get_weights(), scale=0.1)
    keras_model.set_weights(weights)
    model.set_weights(weights)
    assert model.count_params() == keras_model.count_params()
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    expected = keras_model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert_close(history.history["loss"], expected.history["loss"], atol=1e-4)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0), atol=1e-4)
