"""Building models: Sequential, Input, lazy shapes, summary, nn.Module behaviour, import styles."""

import numpy as np
import pytest
import torch

import kerastorch
import kerastorch as keras_like
from kerastorch import Input, Sequential
from kerastorch.layers import LSTM, Dense, Dropout, Flatten
from tests.helpers import assert_close


def stock_model():
    return Sequential(
        [Input((None, 5)), LSTM(50, return_sequences=True), Dropout(0.2), LSTM(20), Dense(1)]
    )


def test_import_styles_name_the_same_objects():
    from kerastorch.layers import Input as LayersInput
    from kerastorch.models import Sequential as ModelsSequential

    assert keras_like.Sequential is ModelsSequential is Sequential
    assert keras_like.Input is LayersInput is Input
    assert keras_like.layers.LSTM is LSTM
    assert callable(kerastorch.utils.set_random_seed)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Sequential([Input((None, 5)), LSTM(8), Dense(1)]),
        lambda: Sequential([Input(shape=(None, 5)), LSTM(8), Dense(1)]),
        lambda: Sequential([LSTM(8, input_shape=(None, 5)), Dense(1)]),
    ],
    ids=["Input", "Input(shape=)", "input_shape="],
)
def test_input_shape_builds_at_construction(build):
    model = build()
    assert model.built
    assert model.output_shape == (None, 1)
    assert model.count_params() == 4 * 8 * (5 + 8 + 1) + 9


def test_add_and_pop():
    model = Sequential(name="stack")
    model.add(Input((7, 3)))
    model.add(LSTM(4, return_sequences=True))
    model.add(Flatten())
    model.add(Dense(2))
    assert model.output_shape == (None, 2)
    assert [type(layer).__name__ for layer in model.layers] == ["LSTM", "Flatten", "Dense"]
    popped = model.pop()
    assert isinstance(popped, Dense)
    assert model.output_shape == (None, 28)
    assert "dense" not in dict(model.named_children()) and popped.name not in dict(
        model.named_children()
    )
    assert model.name == "stack"


def test_no_input_shape_builds_from_first_batch():
    model = Sequential([LSTM(4), Dense(2)])
    assert not model.built
    with pytest.raises(ValueError, match="not built yet"):
        model.count_params()
    out = model(torch.randn(3, 5, 6))
    assert out.shape == (3, 2)
    assert model.built and model.count_params() == 4 * 4 * (6 + 4 + 1) + 10


def test_predict_builds_from_first_batch():
    model = Sequential([LSTM(4), Dense(2)])
    assert model.predict(np.zeros((3, 5, 6), "float32"), verbose=0).shape == (3, 2)


def test_summary_matches_keras_counts(keras):
    lines = []
    stock_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    keras_model = keras.Sequential(
        [
            keras.Input((None, 5)),
            keras.layers.LSTM(50, return_sequences=True),
            keras.layers.Dropout(0.2),
            keras.layers.LSTM(20),
            keras.layers.Dense(1),
        ]
    )
    keras_lines = []
    keras_model.summary(print_fn=lambda line, **kwargs: keras_lines.append(line))
    assert "Total params: 16,901 (66.02 KB)" in text
    assert "Trainable params: 16,901 (66.02 KB)" in text
    assert "Non-trainable params: 0 (0.00 B)" in text
    assert "(None, None, 50)" in text and "11,200" in text and "5,680" in text
    assert f"{keras_model.count_params():,}" in text


def test_summary_counts_frozen_layers_as_non_trainable():
    model = stock_model()
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 5,701" in lines[0]
    assert "Non-trainable params: 11,200" in lines[0]
    assert all(not p.requires_grad for p in model.layers[0].parameters())


def test_summary_before_build_is_a_clear_error():
    with pytest.raises(ValueError, match="not been built yet"):
        Sequential([LSTM(3)]).summary()


def test_model_is_a_plain_torch_module():
    model = stock_model()
    assert isinstance(model, torch.nn.Module)
    assert isinstance(model.layers[0].lstm, torch.nn.LSTM)
    assert isinstance(model.layers[-1].linear, torch.nn.Linear)
    keys = list(model.state_dict())
    assert keys[:2] == ["lstm.lstm.weight_ih_l0", "lstm.lstm.weight_hh_l0"]
    assert keys[-2:] == ["dense.linear.weight", "dense.linear.bias"]
    assert sum(p.numel() for p in model.parameters()) == model.count_params() == 16901
    # A twin loads the state dict strictly and computes the same thing.
    twin = stock_model()
    twin.load_state_dict(model.state_dict())
    x = torch.randn(2, 7, 5)
    assert_close(twin(x), model(x))


def test_plain_torch_training_loop_matches_hand_computation():
    """A hand-written torch loop over the model: the SGD update is exactly w -= lr * grad."""
    model = Sequential([Input((3,)), Dense(1)])
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    optimizer.step()
    for b, g, p in zip(before, grads, model.parameters(), strict=True):
        assert_close(p, b - 0.1 * g, atol=1e-7)


# Dynamo itself reads .grad of a non-leaf while tracing; that warning is torch's, not ours.
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_torch_compile_gives_the_same_outputs():
    model = stock_model()
    x = torch.randn(4, 7, 5)
    compiled = torch.compile(model, backend="eager")
    assert_close(compiled(x), model(x))


def test_training_argument_controls_dropout():
    model = Sequential([Input((100,)), Dropout(0.5)])
    x = torch.ones(4, 100)
    assert_close(model(x), x)  # eval mode by default, as Keras's inference mode
    assert (model(x, training=True) == 0).any()
    assert_close(model.predict(x.numpy(), verbose=0), x)
    model.train()
    assert_close(model.predict(x.numpy(), verbose=0), x)  # predict never drops
    assert model.training  # and restores the mode it found


def test_predict_and_evaluate_give_each_module_its_own_mode_back():
    # torch's model.train(was_training) would switch the frozen layer back to training mode.
    model = Sequential([Input((100,)), Dropout(0.5), Dropout(0.5)])
    model.compile(loss="mse")
    model.train()
    model.layers[1].eval()
    x = np.ones((4, 100), dtype="float32")
    assert_close(model.predict(x, verbose=0), x)
    assert model.evaluate(x, x, verbose=0) == 0.0
    assert [m.training for m in model.modules()] == [True, True, False]


def test_eval_mode_gives_modules_built_inside_it_their_parents_mode():
    from kerastorch.utils.modes import eval_mode

    net = torch.nn.Sequential(torch.nn.Linear(2, 2)).train()
    with eval_mode(net):
        assert not net[0].training
        net.append(torch.nn.Sequential(torch.nn.Dropout()).eval())  # a lazy build, say
    assert [m.training for m in net.modules()] == [True, True, True, True]


def test_set_random_seed_reproduces_initial_weights():
    kerastorch.utils.set_random_seed(7)
    a = stock_model().get_weights()
    kerastorch.utils.set_random_seed(7)
    b = stock_model().get_weights()
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_layer_names_are_numbered_within_the_model():
    def build():
        return Sequential([Input((None, 2)), LSTM(2, return_sequences=True), LSTM(2), Dense(1)])

    model = build()
    assert [layer.name for layer in model.layers] == ["lstm", "lstm_1", "dense"]
    # Identical models have identical, readable state_dict keys (unlike Keras 3's).
    assert list(build().state_dict()) == list(model.state_dict())
    assert list(model.state_dict())[3] == "lstm.lstm.bias_hh_l0"


def test_clone_model_like_keras(keras):
    from kerastorch.models import clone_model

    model = Sequential([Input((None, 3)), LSTM(4, return_sequences=True), Dropout(0.2), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    reference = keras.Sequential(
        [
            keras.Input((None, 3)),
            keras.layers.LSTM(4, return_sequences=True),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1),
        ]
    )
    twin, keras_twin = clone_model(model), keras.models.clone_model(reference)
    assert twin.name == model.name and keras_twin.name == reference.name
    assert twin.count_params() == keras_twin.count_params() == model.count_params()
    assert [type(layer).__name__ for layer in twin.layers] == [
        type(layer).__name__ for layer in keras_twin.layers
    ]
    assert twin.layers[1].rate == 0.2 and twin.compiled is None  # config kept, not compiled
    assert not np.allclose(twin.get_weights()[0], model.get_weights()[0])  # fresh weights
    twin.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    assert_close(twin.predict(x, verbose=0), model.predict(x, verbose=0), atol=0)
    shared = clone_model(model, clone_function=lambda layer: layer)
    assert shared.layers[0] is model.layers[0]
    with pytest.raises(ValueError, match="input_tensors and call_function apply to functional"):
        clone_model(model, input_tensors=[x])
