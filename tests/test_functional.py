"""The functional API against Keras 3: symbolic tensors, Model(inputs, outputs), shared layers,
states through the graph, masks, operators, nested models, layers called on arrays."""

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Model, Sequential, layers, ops
from kerastorch.symbolic import KerasTensor
from tests.helpers import assert_close


def twin(keras_model, model):
    """Copy Keras's weights into ours: the same layers and weight order must line up (names
    differ where Keras numbers automatic names across the whole process)."""
    assert [type(x).__name__ for x in model.layers] == [
        type(x).__name__ for x in keras_model.layers
    ]
    assert [w.shape for w in model.get_weights()] == [w.shape for w in keras_model.get_weights()]
    model.set_weights(keras_model.get_weights())
    return model


def _tensors(x):
    if isinstance(x, dict):
        return {k: torch.as_tensor(v) for k, v in x.items()}
    if isinstance(x, list):
        return [torch.as_tensor(v) for v in x]
    return torch.as_tensor(x)


def _numpy(y):
    if isinstance(y, dict):
        return {k: v.detach().numpy() for k, v in y.items()}
    if isinstance(y, (list, tuple)):
        return [v.detach().numpy() for v in y]
    return y.detach().numpy()


def assert_same_predictions(keras_model, model, x, atol=1e-5):
    expected = keras_model.predict(x, verbose=0)
    with torch.no_grad():
        actual = _numpy(model(_tensors(x)))
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected)
        for key in expected:
            assert_close(actual[key], expected[key], atol=atol)
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_close(a, e, atol=atol)
    else:
        assert_close(actual, expected, atol=atol)


def two_input_forecaster(lib):
    prices = lib.Input(shape=(None, 4), name="prices")
    sector = lib.Input(shape=(3,), name="sector")
    h = lib.layers.LSTM(16)(prices)
    merged = lib.layers.Concatenate()([h, lib.layers.Dense(8, activation="relu")(sector)])
    return lib.Model(inputs=[prices, sector], outputs=lib.layers.Dense(1)(merged))


@pytest.fixture
def forecast_data():
    rng = np.random.default_rng(0)
    return [
        rng.normal(size=(12, 7, 4)).astype("float32"),
        rng.normal(size=(12, 3)).astype("float32"),
    ]


# -- symbolic tensors ------------------------------------------------------------------------------


def test_input_is_a_symbolic_tensor_with_keras_shape_dtype_and_name(keras):
    ours, theirs = (
        Input(shape=(None, 4), name="prices"),
        keras.Input(shape=(None, 4), name="prices"),
    )
    assert isinstance(ours, KerasTensor)
    assert (ours.shape, ours.dtype, ours.name) == (theirs.shape, theirs.dtype, theirs.name)
    ids = Input(shape=(10,), dtype="int32", batch_size=8)
    assert (ids.shape, ids.dtype) == ((8, 10), "int32")


def test_layers_on_symbolic_tensors_give_keras_shapes(keras):
    for lib in (kerastorch, keras):
        x = lib.Input((None, 5))
        seq, h, c = lib.layers.LSTM(6, return_sequences=True, return_state=True)(x)
        last = seq[:, -1, :]
        mean = lib.ops.mean(seq, axis=1)
        both = lib.layers.Concatenate()([last * 2, mean + h, c - 1.0])
        shapes = [t.shape for t in (seq, h, c, last, mean, both)]
        if lib is kerastorch:
            ours = shapes
        else:
            assert ours == shapes


def test_symbolic_tensors_have_no_values():
    x = Input((3,))
    with pytest.raises(TypeError, match="is symbolic"):
        np.asarray(x)
    with pytest.raises(TypeError, match="is symbolic"):
        bool(x)


def test_calling_a_layer_builds_it_from_the_symbolic_shape():
    dense = layers.Dense(4)
    y = dense(Input((3,)))
    assert dense.built and y.shape == (None, 4)
    assert [tuple(w.shape) for w in dense.get_weights()] == [(3, 4), (4,)]


# -- Model(inputs, outputs) ------------------------------------------------------------------------


def test_two_input_model_matches_keras(keras, forecast_data):
    keras_model = two_input_forecaster(keras)
    model = twin(keras_model, two_input_forecaster(kerastorch))
    assert_same_predictions(keras_model, model, forecast_data)
    # a dict keyed by input name, as Keras takes it
    by_name = {"prices": forecast_data[0], "sector": forecast_data[1]}
    assert_same_predictions(keras_model, model, by_name)
    # the model is an nn.Module: a forward on tensors
    out = model([torch.as_tensor(forecast_data[0]), torch.as_tensor(forecast_data[1])])
    assert_close(out, keras_model.predict(forecast_data, verbose=0))


def test_model_layers_inputs_outputs_and_counts_are_keras(keras):
    keras_model, model = two_input_forecaster(keras), two_input_forecaster(kerastorch)
    assert [type(layer).__name__ for layer in model.layers] == [
        type(layer).__name__ for layer in keras_model.layers
    ]
    assert [t.shape for t in model.inputs] == [t.shape for t in keras_model.inputs]
    assert [t.shape for t in model.outputs] == [t.shape for t in keras_model.outputs]
    assert model.count_params() == keras_model.count_params()
    assert model.get_layer("prices").name == "prices"
    assert model.output_shape == keras_model.output_shape


def test_two_output_model_returns_keras_structures(keras, forecast_data):
    def build(lib, as_dict):
        x = lib.Input((None, 4), name="x")
        h = lib.layers.LSTM(5)(x)
        level = lib.layers.Dense(1, name="level")(h)
        direction = lib.layers.Dense(1, activation="sigmoid", name="direction")(h)
        outputs = {"level": level, "direction": direction} if as_dict else [level, direction]
        return lib.Model(x, outputs)

    for as_dict in (False, True):
        keras_model = build(keras, as_dict)
        model = twin(keras_model, build(kerastorch, as_dict))
        assert model.output_names == keras_model.output_names
        assert_same_predictions(keras_model, model, forecast_data[0])


def test_encoder_decoder_with_states_and_inference_models(keras):
    """Keras's seq2seq example: states pass from encoder to decoder, and inference models reuse
    the trained layers (including `layer.output` of a layer used in the graph)."""

    def build(lib):
        encoder_inputs = lib.Input(shape=(None, 6), name="encoder_inputs")
        _, state_h, state_c = lib.layers.LSTM(8, return_state=True, name="encoder")(encoder_inputs)
        decoder_inputs = lib.Input(shape=(None, 5), name="decoder_inputs")
        decoder_lstm = lib.layers.LSTM(8, return_sequences=True, return_state=True, name="decoder")
        out, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
        decoder_dense = lib.layers.Dense(5, activation="softmax", name="head")
        model = lib.Model([encoder_inputs, decoder_inputs], decoder_dense(out))
        # Inference models, as the Keras example builds them from the trained model's layers.
        encoder_model = lib.Model(encoder_inputs, [state_h, state_c])
        h_in, c_in = lib.Input(shape=(8,)), lib.Input(shape=(8,))
        step_out, h, c = decoder_lstm(decoder_inputs, initial_state=[h_in, c_in])
        decoder_model = lib.Model([decoder_inputs, h_in, c_in], [decoder_dense(step_out), h, c])
        return model, encoder_model, decoder_model

    keras_models, models = build(keras), build(kerastorch)
    twin(keras_models[0], models[0])
    rng = np.random.default_rng(1)
    enc = rng.normal(size=(3, 7, 6)).astype("float32")
    dec = rng.normal(size=(3, 4, 5)).astype("float32")
    assert_same_predictions(keras_models[0], models[0], [enc, dec])
    assert_same_predictions(keras_models[1], models[1], enc)
    states = keras_models[1].predict(enc, verbose=0)
    one_step = [dec[:, :1], *states]
    assert_same_predictions(keras_models[2], models[2], one_step)


def test_feature_extractor_of_an_intermediate_tensor_shares_weights(keras, forecast_data):
    model = two_input_forecaster(kerastorch)
    keras_model = two_input_forecaster(keras)
    twin(keras_model, model)
    # Keras's idiom: a model from the trained model's inputs to an inner layer's output.
    features = Model(model.inputs, model.get_layer("concatenate").output)
    keras_features = keras.Model(keras_model.inputs, keras_model.layers[4].output)
    assert_same_predictions(keras_features, features, forecast_data)
    assert features.get_layer("lstm") is model.get_layer("lstm")  # shared, not copied


def test_a_model_nested_in_another_matches_keras(keras):
    def build(lib):
        inner_in = lib.Input((None, 3))
        encoder = lib.Model(inner_in, lib.layers.LSTM(4)(inner_in), name="encoder")
        a, b = lib.Input((None, 3), name="a"), lib.Input((None, 3), name="b")
        merged = lib.layers.Subtract()([encoder(a), encoder(b)])  # one encoder, used twice
        return lib.Model([a, b], lib.layers.Dense(1)(merged))

    keras_model, model = build(keras), build(kerastorch)
    twin(keras_model, model)
    rng = np.random.default_rng(2)
    x = [rng.normal(size=(4, 5, 3)).astype("float32") for _ in range(2)]
    assert_same_predictions(keras_model, model, x)
    nested = Sequential([Input((None, 3)), model.get_layer("encoder"), layers.Dense(2)])
    assert nested(torch.zeros(2, 5, 3)).shape == (2, 2)


def test_masks_flow_through_the_graph_as_in_keras(keras):
    def build(lib):
        tokens = lib.Input((None,), dtype="int32")
        emb = lib.layers.Embedding(10, 4, mask_zero=True)(tokens)
        seq = lib.layers.LSTM(5, return_sequences=True)(emb)
        return lib.Model(tokens, lib.layers.LSTM(3)(seq))

    keras_model, model = build(keras), build(kerastorch)
    twin(keras_model, model)
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0], [0, 0, 6, 7, 8]], "int32")
    assert_same_predictions(keras_model, model, x)


def test_operators_and_ops_in_the_graph_match_keras(keras):
    def build(lib):
        x = lib.Input((None, 4))
        seq = lib.layers.LSTM(6, return_sequences=True)(x)
        last = seq[:, -1, :]
        pooled = lib.ops.mean(seq, axis=1)
        mixed = lib.ops.concatenate([last * 2.0 - pooled, lib.ops.tanh(pooled) + 1.0], axis=-1)
        return lib.Model(x, lib.layers.Dense(2)(mixed))

    keras_model, model = build(keras), build(kerastorch)
    model.set_weights(keras_model.get_weights())
    x = np.random.default_rng(3).normal(size=(5, 6, 4)).astype("float32")
    assert_same_predictions(keras_model, model, x)


def test_shared_layer_has_one_set_of_weights(keras):
    shared = layers.Dense(3)
    a, b = Input((4,)), Input((4,))
    model = Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert model.count_params() == 15
    assert [layer.name for layer in model.layers].count(shared.name) == 1


def test_state_dict_keys_are_stable_and_readable():
    first, second = two_input_forecaster(kerastorch), two_input_forecaster(kerastorch)
    assert list(first.state_dict()) == list(second.state_dict())
    assert "lstm.lstm.weight_ih_l0" in first.state_dict()


# -- layers on arrays and eager masks ----------------------------------------------------------------


def test_a_layer_called_on_a_numpy_array_returns_a_tensor(keras):
    x = np.random.default_rng(4).random((2, 4, 3))
    out = layers.LSTM(5)(x)
    assert torch.is_tensor(out) and out.shape == (2, 5) and out.dtype == torch.float32
    seq, h, c = layers.LSTM(5, return_state=True)(x.tolist())
    assert isinstance(seq, torch.Tensor) and h.shape == c.shape == (2, 5)
    merged = layers.Concatenate()([np.ones((2, 3)), np.zeros((2, 1))])
    assert merged.shape == (2, 4)


def test_eager_outputs_carry_keras_mask():
    x = torch.tensor([[[1.0], [2.0], [0.0]]])
    out = layers.Masking(0.0)(x)
    assert out._keras_mask.tolist() == [[True, True, False]]


# -- errors that name what is wrong ------------------------------------------------------------------


def test_wrong_number_of_inputs_names_the_inputs(forecast_data):
    model = two_input_forecaster(kerastorch)
    with pytest.raises(ValueError, match=r"expects 2 inputs \['prices', 'sector'\], received 1"):
        model(torch.as_tensor(forecast_data[0]))


def test_a_dict_missing_an_input_name_says_which(forecast_data):
    model = two_input_forecaster(kerastorch)
    with pytest.raises(ValueError, match="'sector'"):
        model({"prices": torch.as_tensor(forecast_data[0]), "sectr": forecast_data[1]})


def test_incompatible_shapes_name_the_layer():
    a, b = Input((3,)), Input((4,))
    with pytest.raises(ValueError, match="Add"):
        layers.Add()([a, b])


def test_graph_disconnected_names_the_tensor_and_the_fix():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match=r"Graph disconnected.*'b'|Graph disconnected"):
        Model(a, out)


def test_inputs_must_be_symbolic():
    with pytest.raises(TypeError, match="KerasTensor"):
        Model(np.zeros((2, 3)), Input((3,)))


def test_layer_input_and_output_attributes(keras):
    x = Input((None, 3))
    lstm = layers.LSTM(4)
    y = lstm(x)
    assert lstm.input is x and lstm.output is y
    assert lstm.output.shape == (None, 4)
    assert not hasattr(layers.Dense(1), "output")  # never called on symbolic tensors


def test_functional_model_summary_has_connected_to_column(keras):
    keras.backend.clear_session()  # Keras numbers layer names across the process
    keras_model, model = two_input_forecaster(keras), two_input_forecaster(kerastorch)
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    keras_lines = []
    keras_model.summary(print_fn=lambda line, **kwargs: keras_lines.append(line))
    keras_text = "\n".join(keras_lines)

    def rows(text):
        """The table's rows, a cell wrapped over several lines (Keras's rich table) joined."""
        rows, current = [], None
        for line in text.splitlines():
            if line.startswith("│"):
                cells = [cell.strip() for cell in line.strip("│").split("│")]
                if current is None:
                    current = cells
                else:
                    current = [f"{a} {b}".strip() for a, b in zip(current, cells, strict=True)]
            elif current is not None:
                rows.append(current)
                current = None
        return rows

    assert rows(text) == rows(keras_text)
    assert "Connected to" in text
    assert "Total params: 1,401" in text


def test_ops_functions_record_nodes_and_run_eagerly():
    x = Input((None, 4))
    y = ops.sum(x, axis=-1)
    assert isinstance(y, KerasTensor) and y.shape == (None, None)
    assert torch.equal(ops.sum(torch.ones(2, 3, 4), axis=-1), torch.full((2, 3), 4.0))


@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated")
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_a_functional_model_exports_compiles_and_traces(forecast_data):
    import warnings

    model = two_input_forecaster(kerastorch)
    x = [torch.as_tensor(v) for v in forecast_data]
    with torch.no_grad():
        expected = model(x)
    with warnings.catch_warnings():  # nn.LSTM's own export noise (see kerastorch.export)
        warnings.filterwarnings("ignore", message="The tensor attributes")
        program = torch.export.export(model, (x,))
    assert_close(program.module()(x), expected)
    assert_close(torch.compile(model)(x), expected)
    with torch.no_grad():
        assert_close(torch.jit.trace(model, (x,))(x), expected)


def test_layer_output_shape_of_a_layer_in_a_graph():
    x = Input((None, 3))
    lstm = layers.LSTM(4, return_sequences=True)
    lstm(x)
    assert lstm.output_shape == (None, None, 4)
