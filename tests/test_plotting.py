"""What users look at after training: plot_history's figure and PNG, and summary()'s table."""

import re
import sys

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import History
from kerastorch.layers import Dense, Layer
from kerastorch.models.summary import format_summary
from kerastorch.utils import plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VALUES = {
    "loss": [1.0, 0.6, 0.45, 0.4],
    "val_loss": [1.2, 0.9, 0.8, 0.85],
    "mae": [0.9, 0.7, 0.5, 0.45],
    "val_mae": [1.0, 0.8, 0.75, 0.7],
    "learning_rate": [0.01, 0.01, 0.005, 0.005],
}


def _lines(axes):
    return {
        line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
        for line in axes.get_lines()
    }


def _history(values, epochs):
    history = History()
    history.on_train_begin()
    for i, epoch in enumerate(epochs):
        history.on_epoch_end(epoch, {k: v[i] for k, v in values.items()})
    return history


def test_plot_history_draws_the_recorded_values_and_saves_a_png(tmp_path):
    path = tmp_path / "curves" / "history.png"
    figure = plot_history(_history(VALUES, range(4)), path=path)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["loss", "mae", "learning_rate"]
    epochs = [1, 2, 3, 4]
    assert _lines(visible[0]) == {
        "loss": (epochs, VALUES["loss"]),
        "val_loss": (epochs, VALUES["val_loss"]),
    }
    assert _lines(visible[1]) == {
        "mae": (epochs, VALUES["mae"]),
        "val_mae": (epochs, VALUES["val_mae"]),
    }
    assert _lines(visible[2]) == {"learning_rate": (epochs, VALUES["learning_rate"])}
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 720)  # 2 x 2 subplots of 6 x 3.6 inches at 100 dpi
    from matplotlib import image

    pixels = image.imread(path)
    assert pixels.shape[:2] == (720, 1200) and pixels.std() > 0.05  # drawn, not blank


def test_plot_history_selects_metrics_and_follows_initial_epoch():
    # A History of a run resumed with fit(initial_epoch=3): epochs 4..7 on the axis.
    history = _history({"loss": VALUES["loss"], "val_loss": VALUES["val_loss"]}, range(3, 7))
    figure = plot_history(history, metrics=["loss"])
    assert len(figure.axes) == 1
    assert _lines(figure.axes[0])["val_loss"] == ([4, 5, 6, 7], VALUES["val_loss"])
    # A plain dict works too, and validation every 2nd epoch lands on epochs 2 and 4.
    figure = plot_history({"loss": VALUES["loss"], "val_loss": [0.9, 0.8]}, validation_freq=2)
    assert _lines(figure.axes[0])["val_loss"] == ([2, 4], [0.9, 0.8])


def test_plot_history_of_a_real_fit():
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = np.random.rand(20, 3).astype("float32"), np.random.rand(20, 1).astype("float32")
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    figure = plot_history(history)
    loss = _lines(figure.axes[0])
    assert loss["loss"][1] == history.history["loss"]
    assert loss["val_loss"][1] == history.history["val_loss"]


def test_plot_history_errors(monkeypatch):
    with pytest.raises(ValueError, match=r"no 'los' in the history. Did you mean \"loss\"\?"):
        plot_history(VALUES, metrics=["los"])
    with pytest.raises(ValueError, match="the history is empty"):
        plot_history(History())
    with pytest.raises(TypeError, match="expects the History returned by fit"):
        plot_history([1.0, 2.0])
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(VALUES)


# -- summary ---------------------------------------------------------------------------------


def _keras_totals(keras_model):
    lines = []
    keras_model.summary(print_fn=lambda text, **kwargs: lines.append(text))
    text = "\n".join(lines)
    return tuple(
        int(re.search(rf" {label} params: ([\d,]+)", text).group(1).replace(",", ""))
        for label in ("Total", "Trainable", "Non-trainable")
    )


def _totals(text):
    return tuple(
        int(re.search(rf" {label} params: ([\d,]+)", text).group(1).replace(",", ""))
        for label in ("Total", "Trainable", "Non-trainable")
    )


def _stack(layers, scale_layer):
    return [
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.TimeDistributed(layers.Dense(2)),
        layers.BatchNormalization(),
        scale_layer(),
        layers.Flatten(),
        layers.Dense(1),
    ]


class Scale(Layer):
    """A trainable scale and a non-trainable running count, as a user writes them."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.seen = self.add_weight(shape=(3,), initializer="zeros", trainable=False, name="seen")

    def call(self, inputs):
        return inputs * self.scale


def test_summary_counts_trainable_weights_like_keras(keras):
    class KerasScale(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.seen = self.add_weight(shape=(3,), initializer="zeros", trainable=False)

        def call(self, inputs):
            return inputs * self.scale

    keras_model = keras.Sequential([keras.Input((5, 4)), *_stack(keras.layers, KerasScale)])
    model = Sequential([Input((5, 4)), *_stack(kerastorch.layers, Scale)])
    for frozen in (None, 1, 0):  # nothing frozen, then TimeDistributed, then Bidirectional too
        if frozen is not None:
            keras_model.layers[frozen].trainable = False
            model.layers[frozen].trainable = False
        lines = []
        model.summary(print_fn=lines.append)
        assert _totals(lines[0]) == _keras_totals(keras_model), f"frozen layer {frozen}"
    for ours, theirs in zip(model.layers, keras_model.layers, strict=True):
        assert ours.count_params() == theirs.count_params(), ours.name
    # A whole frozen model has only non-trainable weights (BatchNormalization's gamma too).
    model.trainable = False
    keras_model.trainable = False
    assert _totals(format_summary(model)) == _keras_totals(keras_model)


def test_summary_expand_nested_lists_wrapped_layers_under_their_wrapper():
    model = Sequential([Input((5, 4)), *_stack(kerastorch.layers, Scale)])
    model.layers[1].trainable = False
    text = format_summary(model, expand_nested=True, show_trainable=True)
    rows = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in text.splitlines()
        if line.startswith("│")
    ]
    assert rows == [
        ["bidirectional (Bidirectional)", "(None, 5, 6)", "192", "Y"],
        ["└ forward_lstm (LSTM)", "(None, 5, 3)", "96", "Y"],
        ["└ backward_lstm (LSTM)", "(None, 5, 3)", "96", "Y"],
        ["time_distributed (TimeDistributed)", "(None, 5, 2)", "14", "N"],
        ["└ dense (Dense)", "(None, 2)", "14", "N"],
        ["batch_normalization (BatchNormalization)", "(None, 5, 2)", "8", "Y"],
        ["scale (Scale)", "(None, 5, 2)", "5", "Y"],
        ["flatten (Flatten)", "(None, 10)", "0", "-"],
        ["dense (Dense)", "(None, 1)", "11", "Y"],
    ]
    # Keras's indentation: three spaces per level, then "└ ".
    assert "│    └ forward_lstm (LSTM)" in text
    # Without expand_nested, one row per layer of the model.
    assert len([line for line in format_summary(model).splitlines() if "└ " in line]) == 0
    # Non-trainable: the frozen TimeDistributed (14), the moving statistics (4), Scale.seen (3).
    assert _totals(text) == (230, 209, 21)


def test_summary_counts_follow_requires_grad_of_each_weight():
    """A weight frozen the torch way (requires_grad_(False)) counts as non-trainable."""
    model = Sequential([Input((3,)), Dense(2), Dense(1)])
    model.layers[0].linear.bias.requires_grad_(False)
    with torch.no_grad():  # counting does not depend on the grad mode
        assert _totals(format_summary(model)) == (11, 9, 2)
