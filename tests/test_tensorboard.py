"""TensorBoard callback: Keras's folders and tags, with the values fit logged.

Keras 3 cannot be the oracle here (its TensorBoard callback needs TensorFlow), so the expected
layout is Keras's source's: ``train/`` and ``validation/`` writers, ``epoch_<name>`` at step
``epoch``, ``batch_<name>`` every ``update_freq`` batches, ``evaluation_<name>_vs_iterations`` at
the optimizer's step count. The values are compared with History and with the batch logs.
"""

import numpy as np
import pytest

from kerastorch import Input, Sequential
from kerastorch.callbacks import LambdaCallback, TensorBoard
from kerastorch.layers import LSTM, Dense
from tests.helpers import assert_close

EventAccumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator"
).EventAccumulator


def events(folder):
    accumulator = EventAccumulator(str(folder), size_guidance={"histograms": 0, "scalars": 0})
    accumulator.Reload()
    return accumulator


def scalars(accumulator, tag):
    return [(e.step, e.value) for e in accumulator.Scalars(tag)]


def small_model():
    model = Sequential([Input((5, 3)), LSTM(4), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 5, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def test_epoch_batch_and_evaluation_scalars_are_the_logged_values(tmp_path):
    x, y = data()
    model = small_model()
    batch_losses = []
    record = LambdaCallback(
        on_train_batch_end=lambda batch, logs: batch_losses.append(logs["loss"])
    )
    board = TensorBoard(tmp_path, update_freq=2, histogram_freq=1)
    history = model.fit(
        x, y, epochs=3, batch_size=8, validation_split=0.2, verbose=0, callbacks=[record, board]
    ).history

    train, validation = events(tmp_path / "train"), events(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {
        "epoch_loss",
        "epoch_mae",
        "epoch_learning_rate",
        "batch_loss",
        "batch_mae",
    }
    for name in ("loss", "mae"):
        steps, values = zip(*scalars(train, f"epoch_{name}"), strict=True)
        assert steps == (0, 1, 2)
        assert_close(values, history[name], atol=1e-6)
        steps, values = zip(*scalars(validation, f"epoch_{name}"), strict=True)
        assert steps == (0, 1, 2)
        assert_close(values, history[f"val_{name}"], atol=1e-6)
    assert_close([v for _, v in scalars(train, "epoch_learning_rate")], [1e-3] * 3, atol=1e-9)

    # 32 training samples in batches of 8: 4 steps per epoch, batch scalars on even steps.
    steps, values = zip(*scalars(train, "batch_loss"), strict=True)
    assert steps == (2, 4, 6, 8, 10, 12)
    assert_close(values, batch_losses[1::2], atol=1e-6)
    steps, values = zip(*scalars(validation, "evaluation_loss_vs_iterations"), strict=True)
    assert steps == (4, 8, 12)
    assert_close(values, history["val_loss"], atol=1e-6)

    # Histograms of every weight, Keras's names; after the last epoch they describe the weights.
    tags = set(train.Tags()["histograms"])
    layers = {"lstm": ("kernel", "recurrent_kernel", "bias"), "dense": ("kernel", "bias")}
    expected = {f"{model.name}/{layer}/{w}/histogram" for layer, ws in layers.items() for w in ws}
    assert tags == expected
    kernel = model.layers[0].get_weights()[0]
    last = train.Histograms(f"{model.name}/lstm/kernel/histogram")[-1]
    assert last.step == 2 and last.histogram_value.num == kernel.size
    assert_close(last.histogram_value.sum, kernel.sum(), atol=1e-5)
    assert_close(last.histogram_value.max, kernel.max(), atol=1e-6)
    assert "keras" in {tag.split("/")[0] for tag in train.Tags()["tensors"]}  # the summary text


def test_epoch_updates_read_no_batch_logs(tmp_path):
    board = TensorBoard(tmp_path)
    assert not board.wants_batch_logs()  # fit does no per-batch host sync for it
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[board])
    train = events(tmp_path / "train")
    assert "batch_loss" not in train.Tags()["scalars"]
    assert [step for step, _ in scalars(train, "epoch_loss")] == [0, 1]
    assert not (tmp_path / "validation").exists()


def test_evaluate_writes_the_evaluation_at_the_optimizer_step(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=1, batch_size=10, verbose=0)  # 4 steps
    loss, mae = model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(tmp_path)])
    validation = events(tmp_path / "validation")
    assert scalars(validation, "evaluation_loss_vs_iterations") == [(4, pytest.approx(loss))]
    assert scalars(validation, "evaluation_mae_vs_iterations") == [(4, pytest.approx(mae))]


def test_only_process_0_writes(tmp_path, monkeypatch):
    monkeypatch.setattr("kerastorch.callbacks.tensorboard.is_main_process", lambda: False)
    x, y = data()
    small_model().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "logs")])
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"update_freq": 0}, ValueError, "update_freq to be 'epoch', 'batch' or a positive"),
        ({"update_freq": "step"}, ValueError, "received update_freq='step'"),
        ({"histogram_freq": -1}, ValueError, "histogram_freq to be an integer >= 0"),
        ({"profile_batch": 5}, ValueError, "profiling is not available .* Use torch.profiler"),
        ({"write_images": True}, NotImplementedError, "write_images=True is not supported"),
        ({"embeddings_freq": 1}, NotImplementedError, "embedding projector"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        TensorBoard(**kwargs)
