"""Callback faults of issue 14 whose outcome is a value, not an error (the errors are rows of
tests/test_error_catalogue.py): what BackupAndRestore deletes (item 6), what it restores before
refusing another optimizer (item 7), and callbacks given as one object (as Keras takes them)."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    History,
    LambdaCallback,
    ModelCheckpoint,
)
from kerastorch.layers import Dense


def _data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def _model(optimizer="adam"):
    kerastorch.utils.set_random_seed(0)
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


class Crash(Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


def test_backup_in_the_readme_run_folder_keeps_the_checkpoint_and_the_log(tmp_path):
    # Item 6: the README's layout, with the backup in the same folder. Keras (and kerastorch
    # before) deleted the whole folder when fit completed: best.kt and log.csv with it.
    run = tmp_path / "run"
    run.mkdir()
    x, y = _data()
    model = _model()
    callbacks = [
        ModelCheckpoint(str(run / "best.kt"), monitor="val_loss", save_best_only=True),
        CSVLogger(str(run / "log.csv")),
        BackupAndRestore(run, save_freq=2, double_checkpoint=True),
    ]
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=callbacks)  # fmt: skip
    # Only the backup (and its previous copy) are gone; the others are whole.
    assert sorted(os.listdir(run)) == ["best.kt", "log.csv"]
    with open(run / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
    np.testing.assert_allclose(
        [float(row["val_loss"]) for row in rows], history.history["val_loss"], rtol=1e-6
    )
    best_epoch = int(np.argmin(history.history["val_loss"]))
    best = kerastorch.models.load_model(run / "best.kt")
    assert best.evaluate(x[24:], y[24:], verbose=0) == pytest.approx(
        history.history["val_loss"][best_epoch], rel=1e-5
    )


def test_backup_folder_of_its_own_is_removed_when_empty(tmp_path):
    backup_dir = tmp_path / "backup"
    x, y = _data()
    model = _model()
    with pytest.raises(RuntimeError, match="simulated crash"):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[BackupAndRestore(backup_dir), Crash(2)])
    assert os.listdir(backup_dir) == ["latest.backup.pt"]
    # A file of the user's appears in the folder meanwhile: it stays, and so does the folder.
    (backup_dir / "notes.txt").write_text("mine")
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    assert history.epoch == [2, 3]  # resumed from the backup
    assert os.listdir(backup_dir) == ["notes.txt"]
    assert (backup_dir / "notes.txt").read_text() == "mine"
    # Without it, the emptied folder goes too.
    (backup_dir / "notes.txt").unlink()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    assert not backup_dir.exists()


def test_another_optimizer_is_refused_before_anything_is_restored(tmp_path):
    # Item 7: the error is a catalogue row; here, the model keeps its own fresh weights and
    # optimizer (nothing was half restored), and compiling with the backup's optimizer resumes.
    backup_dir = tmp_path / "backup"
    x, y = _data()
    with pytest.raises(RuntimeError, match="simulated crash"):
        _model("adam").fit(
            x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(backup_dir), Crash(1)]
        )
    fresh = _model("sgd")
    before = [w.copy() for w in fresh.get_weights()]
    with pytest.raises(ValueError, match="made with the optimizer Adam"):
        fresh.fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    for now, then in zip(fresh.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)
    assert fresh.optimizer.iterations == 0
    resumed = _model("adam")
    history = resumed.fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    assert history.epoch == [1, 2]
    assert resumed.optimizer.iterations == 3  # 1 batch per epoch: the backup's 1, then 2 more


def test_a_backup_of_a_torch_optimizer_resumes_with_the_same_class(tmp_path):
    # The optimizer's class is recorded for torch optimizers too.
    backup_dir = tmp_path / "backup"
    x, y = _data()

    def make():
        model = _model("sgd")
        model.compile(optimizer=torch.optim.Adam(model.parameters(), lr=0.01), loss="mse")
        return model

    with pytest.raises(RuntimeError, match="simulated crash"):
        make().fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(backup_dir), Crash(2)])
    state = torch.load(backup_dir / "latest.backup.pt", weights_only=True)
    assert state["optimizer_class"] == "torch.optim.adam.Adam"
    history = make().fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    assert history.epoch == [2]


def test_one_callback_may_be_given_without_a_list_as_in_keras(keras):
    x, y = _data()
    seen = []
    one = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=one)
    model.evaluate(x, y, verbose=0, callbacks=one)
    model.predict(x, verbose=0, callbacks=History())
    assert seen == [0, 1]
    # Keras takes it too.
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    theirs.compile(optimizer="adam", loss="mse")
    keras_seen = []
    keras_one = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: keras_seen.append(epoch)
    )
    theirs.fit(x, y, epochs=2, verbose=0, callbacks=keras_one)
    assert keras_seen == seen


def test_csv_logger_creates_its_folder(tmp_path):
    # The README's CSVLogger("run/log.csv") in a fresh folder (Keras's fails to open the file).
    x, y = _data()
    history = _model().fit(
        x, y, epochs=2, verbose=0, callbacks=[CSVLogger(str(tmp_path / "run" / "log.csv"))]
    )
    with open(tmp_path / "run" / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    np.testing.assert_allclose([float(r["loss"]) for r in rows], history.history["loss"], rtol=1e-6)
