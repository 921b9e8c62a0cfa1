"""Recurrent cells and RNN(cell): LSTMCell, GRUCell, SimpleRNNCell, StackedRNNCells and a user's
cell, equal to Keras 3 with copied weights, and RNN(LSTMCell) equal to LSTM on the same code."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.layers import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Dense,
    GRUCell,
    Layer,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from tests.helpers import RECURRENT_MASKS, assert_close

CELLS = {"LSTMCell": LSTMCell, "GRUCell": GRUCell, "SimpleRNNCell": SimpleRNNCell}
LAYER_OF = {"LSTMCell": LSTM, "GRUCell": GRU, "SimpleRNNCell": SimpleRNN}
CELL_CONFIGS = {
    "LSTMCell": [
        {},
        {"use_bias": False},
        {"unit_forget_bias": False, "activation": "relu", "recurrent_activation": "hard_sigmoid"},
    ],
    "GRUCell": [{}, {"reset_after": False}, {"use_bias": False}, {"activation": "softsign"}],
    "SimpleRNNCell": [{}, {"use_bias": False}, {"activation": "relu"}, {"activation": None}],
}
CELL_CASES = [(name, config) for name, configs in CELL_CONFIGS.items() for config in configs]
MASKS = RECURRENT_MASKS
SEQUENCE_CONFIGS = [
    {},
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True, "return_sequences": True},
    {"go_backwards": True, "return_state": True},
]


def ids(config):
    return ",".join(f"{k}={v}" for k, v in config.items()) or "default"


def case_id(case):
    name, config = case
    return f"{name}({ids(config)})"


def noisy(weights, scale=0.3, seed=1):
    """Keras's initial biases are zeros; perturb every weight so the bias mapping is tested."""
    rng = np.random.default_rng(seed)
    return [w + scale * rng.standard_normal(w.shape).astype("float32") for w in weights]


def data(batch=4, timesteps=6, features=3, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, timesteps, features), "float32")


def mask_array(name):
    return None if MASKS[name] is None else np.array(MASKS[name], bool)


def flat(value):
    """Outputs and states, nested or not, as one flat list."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in flat(item)]
    return [value]


def structure(value):
    """The nesting of a result: ``"t"`` for a tensor, lists as lists."""
    if isinstance(value, (list, tuple)):
        return [structure(v) for v in value]
    return "t"


def to_torch(nested):
    if isinstance(nested, list):
        return [to_torch(item) for item in nested]
    return torch.from_numpy(nested)


def twin(keras_layer, layer, features=3, batch=None):
    """Build both for ``(batch, None, features)`` inputs; the same (perturbed) weights in both."""
    keras_layer.build((batch, None, features))
    layer.build_from_shape((batch, None, features))
    weights = noisy(keras_layer.get_weights())
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights]
    keras_layer.set_weights(weights)
    layer.set_weights(weights)
    return layer, keras_layer


def compare(layer, keras_layer, x, mask=None, initial_state=None):
    """Call both; the same structure and values (<= 1e-5). Returns kerastorch's result."""
    keras_call, torch_call = {}, {}
    if mask is not None:
        keras_call["mask"], torch_call["mask"] = mask, torch.from_numpy(mask)
    if initial_state is not None:
        keras_call["initial_state"] = initial_state
        torch_call["initial_state"] = to_torch(initial_state)
    expected = keras_layer(x, **keras_call)
    actual = layer(torch.from_numpy(x), **torch_call)
    assert structure(actual) == structure(expected)
    for a, e in zip(flat(actual), flat(expected), strict=True):
        assert_close(a, e.detach())
    return actual


# -- a cell on one timestep ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CELL_CASES, ids=case_id)
def test_cell_on_one_timestep_matches_keras(keras, case):
    name, config = case
    keras_cell = getattr(keras.layers, name)(5, **config)
    cell = CELLS[name](5, **config)
    keras_cell.build((None, 3))
    cell.build_from_shape((None, 3))
    weights = noisy(keras_cell.get_weights())
    keras_cell.set_weights(weights)
    cell.set_weights(weights)
    for ours, theirs in zip(cell.get_weights(), keras_cell.get_weights(), strict=True):
        assert ours.shape == theirs.shape
        assert_close(ours, theirs, atol=0.0)
    assert cell.count_params() == keras_cell.count_params()
    assert cell.state_size == keras_cell.state_size
    assert cell.output_size == keras_cell.output_size
    x = np.random.default_rng(2).standard_normal((4, 3), "float32")
    states = [np.random.default_rng(3 + i).standard_normal((4, 5), "float32") for i in range(2)]
    states = states[: len(flat(cell.state_size))]
    expected = keras_cell(x, states)
    for given in (
        (torch.from_numpy(x), [torch.from_numpy(s) for s in states]),  # tensors
        (x, states),  # numpy, as Keras accepts
    ):
        actual = cell(*given)
        assert structure(actual) == structure(expected) == ["t", ["t"] * len(states)]
        for a, e in zip(flat(actual), flat(expected), strict=True):
            assert_close(a, e.detach())
    initial = cell.get_initial_state(batch_size=4)
    assert [tuple(s.shape) for s in initial] == [tuple(s.shape) for s in states]
    assert all(float(s.abs().sum()) == 0.0 for s in initial)


@pytest.mark.parametrize("name", ["GRUCell", "SimpleRNNCell"])
def test_single_state_cells_take_and_return_a_bare_tensor(keras, name):
    """Keras's GRUCell and SimpleRNNCell return new states in the structure they were given."""
    keras_cell = getattr(keras.layers, name)(4)
    cell = CELLS[name](4)
    keras_cell.build((None, 3))
    cell.build_from_shape((None, 3))
    cell.set_weights(noisy(keras_cell.get_weights()))
    keras_cell.set_weights(cell.get_weights())
    x = np.random.default_rng(0).standard_normal((2, 3), "float32")
    h = np.random.default_rng(1).standard_normal((2, 4), "float32")
    output, state = cell(torch.from_numpy(x), torch.from_numpy(h))
    keras_output, keras_state = keras_cell(x, h)
    assert torch.is_tensor(state) and torch.equal(output, state)
    assert_close(state, keras_state.detach())
    assert_close(output, keras_output.detach())


# -- RNN(cell) against Keras and against the layer ------------------------------------------------


# Every mask with the default cells; two masks with the others.
RNN_CASES = [
    pytest.param(case, mask_name, id=f"{case_id(case)}-{mask_name}")
    for case in CELL_CASES
    for mask_name in (MASKS if not case[1] else ("no-mask", "holes"))
]


@pytest.mark.parametrize("sequence", SEQUENCE_CONFIGS, ids=ids)
@pytest.mark.parametrize(("case", "mask_name"), RNN_CASES)
def test_rnn_of_a_builtin_cell_matches_keras_and_the_layer(keras, case, mask_name, sequence):
    name, config = case
    layer, keras_layer = twin(
        keras.layers.RNN(getattr(keras.layers, name)(5, **config), **sequence),
        RNN(CELLS[name](5, **config), **sequence),
    )
    x, mask = data(), mask_array(mask_name)
    actual = compare(layer, keras_layer, x, mask)
    # The layer of the same family, with the same weights, runs the same code: equal bit for bit.
    same = LAYER_OF[name](5, **config, **sequence)
    same.build_from_shape((None, None, 3))
    same.set_weights(layer.get_weights())
    expected = same(torch.from_numpy(x), mask=None if mask is None else torch.from_numpy(mask))
    for a, e in zip(flat(actual), flat(expected), strict=True):
        assert torch.equal(a, e)


@pytest.mark.parametrize("mask_name", ["no-mask", "pre-padding", "empty-sequence"])
@pytest.mark.parametrize("name", list(CELLS))
def test_rnn_initial_state_matches_keras(keras, name, mask_name):
    layer, keras_layer = twin(
        keras.layers.RNN(getattr(keras.layers, name)(5), return_sequences=True, return_state=True),
        RNN(CELLS[name](5), return_sequences=True, return_state=True),
    )
    states = [np.random.default_rng(7 + i).standard_normal((4, 5), "float32") for i in range(2)]
    states = states[: layer.num_states]
    compare(layer, keras_layer, data(), mask_array(mask_name), initial_state=states)


def count_calls(monkeypatch, cell):
    """Count the cell's Python steps and its torch module's calls."""
    counts = {"steps": 0, "kernel": 0}
    step = cell.step

    def counted_step(*args):
        counts["steps"] += 1
        return step(*args)

    monkeypatch.setattr(cell, "step", counted_step)
    cell.module.register_forward_hook(lambda *_: counts.__setitem__("kernel", counts["kernel"] + 1))
    return counts


@pytest.mark.parametrize("mask_name", ["no-mask", "holes"])
@pytest.mark.parametrize("name", list(CELLS))
def test_rnn_of_a_builtin_cell_runs_the_fused_kernel_once(monkeypatch, name, mask_name):
    """NOTE [cells and layers share their math]: no Python loop over the 50 timesteps."""
    layer = RNN(CELLS[name](4), return_sequences=True, return_state=True)
    layer.build_from_shape((None, None, 3))
    counts = count_calls(monkeypatch, layer.cell)
    mask = torch.rand(2, 50) > 0.3
    layer(torch.randn(2, 50, 3), mask=None if mask_name == "no-mask" else mask)
    assert layer.fused and counts == {"steps": 0, "kernel": 1}
    # Options the kernel cannot express run the cell's own step loop, as the layer does.
    stepped = RNN(CELLS[name](4, recurrent_dropout=0.2))
    assert not stepped.fused


def test_stacked_builtin_cells_run_each_kernel_once(monkeypatch):
    layer = RNN([LSTMCell(4), GRUCell(3), SimpleRNNCell(2)], return_state=True)
    layer.build_from_shape((None, None, 3))
    counts = [count_calls(monkeypatch, cell) for cell in layer.cell.cells]
    layer(torch.randn(2, 40, 3), mask=torch.rand(2, 40) > 0.5)
    assert layer.fused and counts == [{"steps": 0, "kernel": 1}] * 3


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("rates", [{"dropout": 0.3}, {"dropout": 0.2, "recurrent_dropout": 0.3}])
def test_rnn_of_a_cell_with_dropout_is_the_layer(name, rates):
    """Training with dropout draws the same masks in the same order: equal to the layer."""
    layer = RNN(CELLS[name](4, **rates), return_sequences=True)
    same = LAYER_OF[name](4, return_sequences=True, **rates)
    layer.build_from_shape((None, None, 3))
    same.build_from_shape((None, None, 3))
    same.set_weights(layer.get_weights())
    x = torch.randn(3, 7, 3)
    torch.manual_seed(5)
    expected = same(x, training=True)
    torch.manual_seed(5)
    assert torch.equal(layer(x, training=True), expected)
    assert not torch.equal(layer(x, training=True), layer(x, training=False))


@pytest.mark.parametrize("name", list(CELLS))
def test_stateful_rnn_of_a_cell_matches_keras_over_batches(keras, name):
    batch = 4
    layer, keras_layer = twin(
        keras.layers.RNN(getattr(keras.layers, name)(5), stateful=True, return_sequences=True),
        RNN(CELLS[name](5), stateful=True, return_sequences=True),
        batch=batch,
    )
    compare(layer, keras_layer, data(seed=1))
    compare(layer, keras_layer, data(seed=2), mask_array("holes"))
    compare(layer, keras_layer, data(seed=3))
    for ours, theirs in zip(layer.states, flat(keras_layer.states), strict=True):
        assert_close(ours, theirs.value.detach())
    layer.reset_states()
    keras_layer.reset_states()
    compare(layer, keras_layer, data(seed=4))


@pytest.mark.parametrize("name", list(CELLS))
def test_bidirectional_rnn_of_a_cell_matches_keras(keras, name):
    layer, keras_layer = twin(
        keras.layers.Bidirectional(
            keras.layers.RNN(getattr(keras.layers, name)(4), return_sequences=True)
        ),
        Bidirectional(RNN(CELLS[name](4), return_sequences=True)),
    )
    compare(layer, keras_layer, data(), mask_array("holes"))


# -- stacked cells ---------------------------------------------------------------------------------


def stacked(layers, use_bias=False):
    return [
        layers.LSTMCell(4),
        layers.GRUCell(3, reset_after=False),
        layers.SimpleRNNCell(2, use_bias=use_bias),
    ]


@pytest.mark.parametrize("mask_name", ["no-mask", "holes", "empty-sequence"])
@pytest.mark.parametrize("sequence", SEQUENCE_CONFIGS, ids=ids)
def test_stacked_cells_match_keras(keras, sequence, mask_name):
    layer, keras_layer = twin(
        keras.layers.RNN(stacked(keras.layers), **sequence),
        RNN(stacked(kerastorch.layers), **sequence),
    )
    assert isinstance(layer.cell, StackedRNNCells)
    assert layer.cell.state_size == keras_layer.cell.state_size == [[4, 4], 3, 2]
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in keras_layer.get_weights()]
    compare(layer, keras_layer, data(), mask_array(mask_name))


def test_stacked_cells_initial_state_nested_as_keras_gives_it(keras):
    layer, keras_layer = twin(
        keras.layers.RNN(stacked(keras.layers), return_sequences=True, return_state=True),
        RNN(stacked(kerastorch.layers), return_sequences=True, return_state=True),
    )
    rng = np.random.default_rng(4)
    initial = [
        [rng.standard_normal((4, 4), "float32"), rng.standard_normal((4, 4), "float32")],
        [rng.standard_normal((4, 3), "float32")],
        [rng.standard_normal((4, 2), "float32")],
    ]
    result = compare(layer, keras_layer, data(), mask_array("pre-padding"), initial)
    assert structure(result) == ["t", ["t", "t"], ["t"], ["t"]]
    assert structure(layer.get_initial_state(2)) == structure(initial)
    # A flat list of the same tensors is accepted too.
    flat_result = layer(
        torch.from_numpy(data()),
        mask=torch.from_numpy(mask_array("pre-padding")),
        initial_state=[torch.from_numpy(s) for s in flat(initial)],
    )
    for a, b in zip(flat(flat_result), flat(result), strict=True):
        assert torch.equal(a, b)


def test_stacked_cells_called_on_one_step_match_keras(keras):
    keras_cell = keras.layers.StackedRNNCells(stacked(keras.layers, use_bias=True))
    cell = StackedRNNCells(stacked(kerastorch.layers, use_bias=True))
    keras_cell.build((None, 3))
    cell.build_from_shape((None, 3))
    cell.set_weights(noisy(keras_cell.get_weights()))
    keras_cell.set_weights(cell.get_weights())
    assert cell.output_size == keras_cell.output_size == 2
    x = np.random.default_rng(0).standard_normal((2, 3), "float32")
    states = [[np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")], [np.ones((2, 3), "f")]]
    states.append(np.full((2, 2), 0.5, "float32"))  # a bare tensor stays bare
    expected = keras_cell(x, states)
    actual = cell(torch.from_numpy(x), to_torch(states))
    assert structure(actual) == structure(expected) == ["t", [["t", "t"], ["t"], "t"]]
    for a, e in zip(flat(actual), flat(expected), strict=True):
        assert_close(a, e.detach())


# -- a user's cell ---------------------------------------------------------------------------------


@kerastorch.saving.register_keras_serializable(package="cells_test")
class MinimalRNNCell(Layer):
    """Keras's guide "Custom RNN cells", with kerastorch's imports."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
        )
        self.built = True

    def call(self, inputs, states):
        prev_output = states[0]
        h = kerastorch.ops.matmul(inputs, self.kernel)
        output = h + kerastorch.ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class ScaledOutputCell(Layer):
    """A cell whose output is not its state, with two states and a training argument."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = 2 * units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs, states, training=False):
        h, total = states
        h = torch.tanh(inputs @ self.kernel + h)
        return torch.cat([h, 2.0 * h], dim=-1), [h, total + h]


def keras_cells(keras):
    """The same two cells written for Keras."""

    class KerasMinimalRNNCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
            )
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
            )

        def call(self, inputs, states):
            output = keras.ops.matmul(inputs, self.kernel)
            output = output + keras.ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class KerasScaledOutputCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]
            self.output_size = 2 * units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

        def call(self, inputs, states, training=False):
            h, total = states
            h = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel) + h)
            return keras.ops.concatenate([h, 2.0 * h], axis=-1), [h, total + h]

    return KerasMinimalRNNCell, KerasScaledOutputCell


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize(
    "sequence",
    [*SEQUENCE_CONFIGS, {"return_sequences": True, "zero_output_for_mask": True}],
    ids=ids,
)
@pytest.mark.parametrize("which", [0, 1], ids=["minimal", "output-not-state"])
def test_rnn_of_a_user_cell_matches_keras(keras, which, sequence, mask_name):
    keras_cell = keras_cells(keras)[which](4)
    cell = (MinimalRNNCell, ScaledOutputCell)[which](4)
    layer, keras_layer = twin(keras.layers.RNN(keras_cell, **sequence), RNN(cell, **sequence))
    assert not layer.fused and layer.builtin_cells is None
    compare(layer, keras_layer, data(), mask_array(mask_name))


def test_rnn_of_a_user_cell_with_initial_state_and_a_stack_match_keras(keras):
    keras_minimal, keras_scaled = keras_cells(keras)
    layer, keras_layer = twin(
        keras.layers.RNN(
            [keras.layers.LSTMCell(3, dropout=0.5), keras_minimal(4), keras_scaled(2)],
            return_sequences=True,
            return_state=True,
        ),
        RNN(
            [LSTMCell(3, dropout=0.5), MinimalRNNCell(4), ScaledOutputCell(2)],
            return_sequences=True,
            return_state=True,
        ),
    )
    assert not layer.fused
    rng = np.random.default_rng(9)
    initial = [
        [rng.standard_normal((4, 3), "float32"), rng.standard_normal((4, 3), "float32")],
        rng.standard_normal((4, 4), "float32"),
        [rng.standard_normal((4, 2), "float32"), rng.standard_normal((4, 2), "float32")],
    ]
    result = compare(layer, keras_layer, data(), mask_array("holes"), initial)
    # Keras gives a cell with an int state_size and no get_initial_state a bare tensor.
    assert structure(result) == ["t", ["t", "t"], "t", ["t", "t"]]


def test_a_builtin_cell_in_the_step_loop_keeps_one_dropout_mask_per_sequence(monkeypatch):
    """Inside RNN's loop (a stack holding a user's cell) LSTMCell draws its masks once."""
    layer = RNN([LSTMCell(3, dropout=0.5, recurrent_dropout=0.5), MinimalRNNCell(2)])
    layer.build_from_shape((None, None, 3))
    drawn = []
    bernoulli = torch.Tensor.bernoulli_

    def counted(self, *args, **kwargs):
        drawn.append(tuple(self.shape))
        return bernoulli(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "bernoulli_", counted)
    layer(torch.randn(2, 9, 3), training=True)
    assert drawn == [(2, 3), (2, 3)]  # one input mask and one recurrent mask for 9 steps
    assert layer.cell.cells[0]._sequence_masks is None
    drawn.clear()
    cell = layer.cell.cells[0]
    cell(torch.randn(2, 3), cell.get_initial_state(2), training=True)
    cell(torch.randn(2, 3), cell.get_initial_state(2), training=True)
    assert len(drawn) == 4  # called on its own, a cell draws new masks at each call


def test_a_user_cell_fits_like_keras(keras):
    """The guide's MinimalRNNCell in a model, 2 epochs of fit (shuffle=False): Keras's losses."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 7, 3)).astype("float32")
    y = rng.standard_normal((32, 1)).astype("float32")
    keras_model = keras.Sequential(
        [keras.Input((7, 3)), keras.layers.RNN(keras_cells(keras)[0](8)), keras.layers.Dense(1)]
    )
    model = Sequential([Input((7, 3)), RNN(MinimalRNNCell(8)), Dense(1)])
    assert model.count_params() == keras_model.count_params()
    weights = noisy(keras_model.get_weights(), scale=0.1)
    keras_model.set_weights(weights)
    model.set_weights(weights)
    keras_model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.05), loss="mse")
    expected = keras_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_close(history.history["loss"], expected.history["loss"], atol=1e-5)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)


def test_builtin_cells_with_regularizers_fit_like_keras(keras):
    """Penalties and constraints of a cell inside RNN count as the layer's do."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 5, 3)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")

    def cells(layers):
        return [
            layers.LSTMCell(4, kernel_regularizer="l2", recurrent_constraint="non_neg"),
            layers.GRUCell(2, bias_regularizer="l1"),
        ]

    keras_model = keras.Sequential([keras.Input((5, 3)), keras.layers.RNN(cells(keras.layers))])
    model = Sequential([Input((5, 3)), RNN(cells(kerastorch.layers))])
    weights = noisy(keras_model.get_weights())
    keras_model.set_weights(weights)
    model.set_weights(weights)
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.compile(optimizer=kerastorch.optimizers.SGD(0.1), loss="mse")
    expected = keras_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_close(history.history["loss"], expected.history["loss"], atol=1e-5)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        assert_close(ours, theirs, atol=1e-5)


# -- configs, files, names -------------------------------------------------------------------------


def test_config_nests_the_cell_as_keras_does(keras):
    layer = RNN(LSTMCell(3, unit_forget_bias=False), return_sequences=True, name="seq")
    config = layer.get_config()
    assert config["cell"]["class_name"] == "LSTMCell"
    assert config["cell"]["config"]["unit_forget_bias"] is False
    keras_config = keras.layers.RNN(keras.layers.LSTMCell(3)).get_config()
    assert set(config) == set(keras_config) - {"dtype"}
    assert set(config["cell"]["config"]) >= set(keras_config["cell"]["config"]) - {"dtype"} - {
        f"{w}_{kind}"
        for w in ("kernel", "recurrent", "bias")
        for kind in ("regularizer", "constraint")
    }
    twin_layer = RNN.from_config(config)
    assert twin_layer.get_config() == config
    stack = RNN([GRUCell(2), MinimalRNNCell(3)]).get_config()
    assert [c["class_name"] for c in stack["cell"]["config"]["cells"]] == [
        "GRUCell",
        "MinimalRNNCell",
    ]
    assert RNN.from_config(stack).get_config() == stack


def model_with(cell, **kwargs):
    model = Sequential([Input((None, 3)), RNN(cell, **kwargs), Dense(2)])
    model.set_weights(noisy(model.get_weights()))
    return model


KT_CELLS = {
    "LSTMCell": lambda: LSTMCell(4),
    "stack": lambda: [GRUCell(3, reset_after=False), SimpleRNNCell(2, use_bias=False)],
    "registered user cell": lambda: MinimalRNNCell(4),
    "stack with a user cell": lambda: [LSTMCell(2), MinimalRNNCell(3)],
}


@pytest.mark.parametrize("which", list(KT_CELLS))
def test_kt_file_round_trip(which, tmp_path):
    model = model_with(KT_CELLS[which](), return_sequences=True)
    x = torch.from_numpy(data())
    model.save(tmp_path / "model.kt")
    loaded = kerastorch.models.load_model(tmp_path / "model.kt")
    assert loaded.layers[0].get_config() == model.layers[0].get_config()
    assert list(loaded.state_dict()) == list(model.state_dict())
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=0.0)


KERAS_FILE_CELLS = {
    "LSTMCell": lambda layers: layers.LSTMCell(4),
    "GRUCell": lambda layers: layers.GRUCell(3, reset_after=False),
    "stack": lambda layers: [
        layers.LSTMCell(2),
        layers.SimpleRNNCell(3, use_bias=False),
        layers.LSTMCell(2),
    ],
}


@pytest.mark.parametrize("which", list(KERAS_FILE_CELLS))
def test_keras_file_both_ways(keras, which, tmp_path):
    x = data()
    model = model_with(KERAS_FILE_CELLS[which](kerastorch.layers), return_sequences=True)
    expected = model.predict(torch.from_numpy(x), verbose=0)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    assert type(theirs.layers[0].cell).__name__ == type(model.layers[0].cell).__name__
    assert_close(theirs.predict(x, verbose=0), expected)

    keras_model = keras.Sequential(
        [
            keras.Input((None, 3)),
            keras.layers.RNN(KERAS_FILE_CELLS[which](keras.layers), go_backwards=True),
            keras.layers.Dense(2),
        ]
    )
    keras_model.set_weights(noisy(keras_model.get_weights(), seed=2))
    keras_model.save(tmp_path / "theirs.keras")
    loaded = kerastorch.models.load_model(tmp_path / "theirs.keras")
    assert loaded.layers[0].go_backwards
    assert_close(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    loaded.save(tmp_path / "again.keras")
    assert_close(
        keras.models.load_model(tmp_path / "again.keras").predict(x, verbose=0),
        keras_model.predict(x, verbose=0),
    )


def test_legacy_h5_and_weights_files_both_ways(keras, tmp_path):
    x = data()
    model = model_with([LSTMCell(4), GRUCell(2)])
    expected = model.predict(torch.from_numpy(x), verbose=0)
    model.save(tmp_path / "ours.h5")
    assert_close(keras.models.load_model(tmp_path / "ours.h5").predict(x, verbose=0), expected)
    keras_model = keras.Sequential(
        [
            keras.Input((None, 3)),
            keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(2)]),
            keras.layers.Dense(2),
        ]
    )
    keras_model.set_weights(noisy(keras_model.get_weights(), seed=4))
    expected = keras_model.predict(x, verbose=0)
    keras_model.save(tmp_path / "theirs.h5")
    assert_close(
        kerastorch.models.load_model(tmp_path / "theirs.h5").predict(x, verbose=0), expected
    )
    keras_model.save_weights(tmp_path / "theirs.weights.h5")
    model.load_weights(tmp_path / "theirs.weights.h5")
    assert_close(model.predict(x, verbose=0), expected)


def test_a_registered_user_cell_in_keras_files_both_ways(keras, tmp_path):
    """The user's cell class, of the same name on both sides, is found by its registered name;
    its weights live where Keras keeps a stacked cell's (cell/cells/minimal_rnn_cell)."""
    keras_minimal = keras_cells(keras)[0]
    keras_minimal.__name__ = "MinimalRNNCell"
    custom = {"cells_test>MinimalRNNCell": keras_minimal, "MinimalRNNCell": keras_minimal}
    x = data()
    model = model_with([LSTMCell(2), MinimalRNNCell(3)], return_sequences=True)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras", custom_objects=custom)
    assert_close(theirs.predict(x, verbose=0), model.predict(torch.from_numpy(x), verbose=0))

    keras_model = keras.Sequential(
        [keras.Input((None, 3)), keras.layers.RNN(keras_minimal(4)), keras.layers.Dense(2)]
    )
    keras_model.set_weights(noisy(keras_model.get_weights(), seed=3))
    keras_model.save(tmp_path / "theirs.keras")
    loaded = kerastorch.models.load_model(tmp_path / "theirs.keras")
    assert type(loaded.layers[0].cell) is MinimalRNNCell
    assert_close(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0))


def test_bidirectional_rnn_of_a_cell_in_files(keras, tmp_path):
    model = Sequential([Input((None, 3)), Bidirectional(RNN(GRUCell(3), return_sequences=True))])
    model.set_weights(noisy(model.get_weights()))
    x = data()
    expected = model.predict(torch.from_numpy(x), verbose=0)
    model.save(tmp_path / "model.kt")
    assert_close(
        kerastorch.models.load_model(tmp_path / "model.kt").predict(x, verbose=0), expected
    )
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    assert_close(theirs.predict(x, verbose=0), expected)
    theirs.save(tmp_path / "theirs.keras")
    back = kerastorch.models.load_model(tmp_path / "theirs.keras")
    assert_close(back.predict(x, verbose=0), expected)


def test_state_dict_keys_read_as_the_cells():
    model = Sequential(
        [
            Input((None, 3)),
            RNN([LSTMCell(4), MinimalRNNCell(2)], return_sequences=True),
            RNN(GRUCell(2)),
        ]
    )
    assert list(model.state_dict()) == [
        "rnn.cell.cells.0.lstm.weight_ih_l0",
        "rnn.cell.cells.0.lstm.weight_hh_l0",
        "rnn.cell.cells.0.lstm.bias_ih_l0",
        "rnn.cell.cells.0.lstm.bias_hh_l0",
        "rnn.cell.cells.1.kernel",
        "rnn.cell.cells.1.recurrent_kernel",
        "rnn_1.cell.gru.weight_ih_l0",
        "rnn_1.cell.gru.weight_hh_l0",
        "rnn_1.cell.gru.bias_ih_l0",
        "rnn_1.cell.gru.bias_hh_l0",
    ]
    # LSTM keeps its own keys: the layer holds its module, not a cell.
    keys = list(Sequential([Input((None, 3)), LSTM(2)]).state_dict())
    assert keys[:2] == ["lstm.lstm.weight_ih_l0", "lstm.lstm.weight_hh_l0"]


def test_compute_output_shape_nests_stacked_states():
    layer = RNN([LSTMCell(4), GRUCell(3)], return_sequences=True, return_state=True)
    assert layer.compute_output_shape((None, 7, 5)) == [
        (None, 7, 3),
        [(None, 4), (None, 4)],
        [(None, 3)],
    ]
    user = RNN(ScaledOutputCell(2), return_state=True)
    assert user.compute_output_shape((None, None, 5)) == [(None, 4), (None, 2), (None, 2)]


# -- errors ----------------------------------------------------------------------------------------


def test_bad_cells_and_inputs_are_clear_errors():
    with pytest.raises(
        TypeError,
        match=r"RNN 'rnn': expected cell to be a recurrent cell, received the layer LSTM, which "
        r"runs a whole sequence itself\. Give RNN the layer's cell \(LSTMCell\(32\) for LSTM",
    ):
        RNN(LSTM(3))
    with pytest.raises(TypeError, match=r"expected cell to be a recurrent cell .* received str"):
        RNN("lstm")

    class NoState(Layer):
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match=r"the cell NoState has no state_size attribute"):
        RNN(NoState())
    with pytest.raises(ValueError, match=r"StackedRNNCells 'stacked_rnn_cells': expected cells"):
        StackedRNNCells([])
    with pytest.raises(ValueError, match=r"the cell Dense has no state_size attribute"):
        StackedRNNCells([GRUCell(2), Dense(3)])
    cell = LSTMCell(3)
    with pytest.raises(
        ValueError,
        match=r"LSTMCell 'lstm_cell' computes one timestep and expects "
        r"inputs of shape \(batch, features\), received shape \(2, 5, 4\)\. For a "
        r"whole sequence use RNN\(LSTMCell\(\.\.\.\)\)",
    ):
        cell(torch.ones(2, 5, 4), [torch.zeros(2, 3)] * 2)
    with pytest.raises(
        ValueError,
        match=r"expects states to be 2 tensor\(s\) \[h, c\] of shape "
        r"\(batch, units\) = \(2, 3\), received \[\(2, 3\)\]",
    ):
        cell(torch.ones(2, 4), [torch.zeros(2, 3)])
    layer = RNN([LSTMCell(3), GRUCell(2)])
    with pytest.raises(
        ValueError,
        match=r"RNN 'rnn' expects initial_state to be 3 tensor\(s\) "
        r"\[0, 1, 2\] of shapes \(batch, size\) \[\(2, 3\), \(2, 3\), \(2, 2\)\]",
    ):
        layer(torch.ones(2, 5, 4), initial_state=[torch.zeros(2, 3)])

    class Liar(MinimalRNNCell):
        def call(self, inputs, states):
            output, _ = super().call(inputs, states)
            return output, [output, output]

    with pytest.raises(
        ValueError,
        match=r"the cell Liar returned 2 new state\(s\), but its "
        r"state_size 4 announces 1",
    ):
        RNN(Liar(4))(torch.ones(2, 5, 4))


def test_a_users_cell_called_directly_on_one_step():
    """As Keras's guide calls a cell: cell(inputs, states) -> (output, new_states)."""
    cell = MinimalRNNCell(3)
    x, h = torch.randn(2, 4), torch.randn(2, 3)
    output, states = cell(x, [h])
    expected = x @ cell.kernel + h @ cell.recurrent_kernel
    assert_close(output, expected)
    assert_close(states[0], expected)
    output, _ = cell(x.numpy(), [h.numpy()])  # arrays, as Keras takes them
    assert_close(output, expected)
