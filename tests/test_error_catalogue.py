"""The error catalogue: each row is one wrong thing a user may do, and what kerastorch says.

Nothing may go silently wrong: a bad input, a bad argument or a bad combination must stop at
once with a message that names what is wrong, what was expected and how to fix it. This file is
the list of those messages, readable as documentation.

How to read a row::

    Case(
        "backup-of-another-optimizer",   # id: what pytest prints, e.g. test_error[backup-...]
        resume_adam_backup_with_sgd,     # provoke(tmp_path): does the wrong thing, as a user would
        ValueError,                      # the exception type expected (or a Warning subclass)
        r"made with the optimizer Adam, but model '\\w+' is now compiled with SGD",
    )                                    # a regular expression searched in the message

``provoke`` takes pytest's ``tmp_path`` (a fresh folder) and needs no return value. The test
runs it and checks the type and the message; a Warning type is checked with ``pytest.warns``
(warnings are errors in this suite, so a row of a warning proves that it is raised).

To add a row: write a small ``provoke`` function next to the others of its topic (use the
helpers below for a model and data), then append a ``Case`` to ``CATALOGUE`` in that topic's
section. Keep the regex to the part of the message a user needs (names and values), so that
rewording the rest does not break the row. Faults whose outcome is not an error (files kept,
temporary files removed, where Ctrl-C stops) are tested by value in ``tests/test_faults_*.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import BackupAndRestore, Callback, ModelCheckpoint
from kerastorch.layers import Dense


@dataclass(frozen=True)
class Case:
    """One row: ``provoke(tmp_path)`` must raise ``error`` with a message matching ``message``."""

    id: str
    provoke: Callable[..., object]
    error: type[BaseException] | type[Warning]
    message: str


# -- helpers shared by the rows -------------------------------------------------------------------


def _data(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, x[:, :1] * 2.0


def _model(optimizer: object = "adam") -> Sequential:
    kerastorch.utils.set_random_seed(0)
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


class _CrashAtEpoch(Callback):
    """Ends fit with an error at the start of an epoch (a crash after some backups)."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("crash")


def _interrupted_backup(backup_dir, optimizer: object = "adam") -> None:
    """A fit that backs up one epoch into ``backup_dir`` and then crashes."""
    x, y = _data()
    callbacks = [BackupAndRestore(backup_dir), _CrashAtEpoch(1)]
    with pytest.raises(RuntimeError, match="crash"):
        _model(optimizer).fit(x, y, epochs=3, verbose=0, callbacks=callbacks)


# -- callbacks: BackupAndRestore, ModelCheckpoint, the callbacks argument -------------------------


def resume_adam_backup_with_sgd(tmp_path):
    # Issue 14, item 7: restored silently, then KeyError: 'momentum' inside the first step.
    _interrupted_backup(tmp_path / "backup", "adam")
    x, y = _data()
    _model("sgd").fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path / "backup")])


def resume_old_backup_with_another_optimizer(tmp_path):
    # A backup written before the optimizer's class was recorded: told apart by its
    # hyper-parameters.
    _interrupted_backup(tmp_path / "backup", "adam")
    path = tmp_path / "backup" / "latest.backup.pt"
    state = torch.load(path, weights_only=True)
    del state["optimizer_class"]
    torch.save(state, path)
    x, y = _data()
    _model("sgd").fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path / "backup")])


def backup_dir_is_a_file(tmp_path):
    # Was: FileExistsError from os.makedirs, after the whole first epoch.
    (tmp_path / "run").write_text("not a folder")
    x, y = _data()
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "run")])


def backup_every_zero_batches(tmp_path):
    # Was accepted, and backed up after every batch.
    BackupAndRestore(tmp_path / "backup", save_freq=0)


def checkpoint_every_negative_batches(tmp_path):
    # Was accepted, and saved after every batch.
    ModelCheckpoint(str(tmp_path / "best.kt"), save_freq=-5)


def keras_callback_in_fit(tmp_path):
    import keras

    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.EarlyStopping()])


def callbacks_not_a_list(tmp_path):
    # Was: "TypeError: Value after * must be an iterable, not int".
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=3)


def csv_log_appended_with_other_columns(tmp_path):
    # Was: rows written under the old header, each value in another metric's column.
    from kerastorch.callbacks import CSVLogger

    x, y = _data()
    log = str(tmp_path / "log.csv")
    model = _model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(log)])
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(log, append=True)])


# -- several processes (torchrun) ------------------------------------------------------------------


def processes_hold_different_data(tmp_path):
    # Issue 14, item 8: what every process of a 2-process fit raises when process 0 holds 64
    # samples and process 1 holds 48 (the sizes gathered at the start of fit); the processes
    # used to hang until the collective timeout (30 minutes by default). The real 2-process run
    # is in tests/test_faults_distributed.py.
    from kerastorch.training.run import check_same_data_size

    check_same_data_size([(64, 4, 16), (48, 3, 16)], "fit(x)")


# -- several inputs and outputs --


def _two_io_model(compile_args: dict | None = None) -> kerastorch.Model:
    prices, sector = Input((None, 4), name="prices"), Input((3,), name="sector")
    merged = kerastorch.layers.Concatenate()([kerastorch.layers.LSTM(4)(prices), sector])
    level = Dense(1, name="level")(merged)
    direction = Dense(2, activation="softmax", name="direction")(merged)
    model = kerastorch.Model([prices, sector], [level, direction])
    if compile_args is not None:
        model.compile(optimizer="adam", **compile_args)
    return model


def _two_io_data(n: int = 8) -> tuple[dict, list]:
    rng = np.random.default_rng(0)
    x = {"prices": rng.normal(size=(n, 5, 4)), "sector": rng.normal(size=(n, 3))}
    return x, [rng.normal(size=(n, 1)), rng.integers(0, 2, n)]


_LOSSES = {"loss": ["mse", "sparse_categorical_crossentropy"]}


def fit_with_too_many_inputs(tmp_path):
    x, y = _two_io_data()
    _two_io_model(_LOSSES).fit([x["prices"], x["sector"], x["sector"]], y, verbose=0)


def fit_with_one_array_for_two_inputs(tmp_path):
    x, y = _two_io_data()
    _two_io_model(_LOSSES).fit(x["prices"], y, verbose=0)


def fit_with_a_dict_missing_an_input(tmp_path):
    x, y = _two_io_data()
    _two_io_model(_LOSSES).fit({"prices": x["prices"], "sectr": x["sector"]}, y, verbose=0)


def fit_with_y_of_three_outputs(tmp_path):
    x, y = _two_io_data()
    _two_io_model(_LOSSES).fit(x, [*y, y[0]], verbose=0)


def fit_with_y_dict_missing_an_output(tmp_path):
    x, y = _two_io_data()
    _two_io_model(_LOSSES).fit(x, {"level": y[0], "directoin": y[1]}, verbose=0)


def compile_loss_dict_with_unknown_output(tmp_path):
    _two_io_model({"loss": {"level": "mse", "dirction": "mse"}})


def compile_loss_dict_missing_an_output(tmp_path):
    _two_io_model({"loss": {"level": "mse"}})


def compile_metrics_list_of_wrong_length(tmp_path):
    _two_io_model({**_LOSSES, "metrics": ["mae"]})


def compile_one_loss_weight_for_two_outputs(tmp_path):
    _two_io_model({**_LOSSES, "loss_weights": 0.5})


def class_weight_with_two_outputs(tmp_path):
    x, y = _two_io_data()
    _two_io_model(_LOSSES).fit(x, y, class_weight={0: 1.0, 1: 2.0}, verbose=0)


CATALOGUE = [
    # -- callbacks --
    Case(
        "backup-of-another-optimizer",
        resume_adam_backup_with_sgd,
        ValueError,
        r"the backup .*latest\.backup\.pt was made with the optimizer Adam, but model '\w+' is "
        r"now compiled with SGD: .* Compile with Adam to resume this training, or delete "
        r".*latest\.backup\.pt to start from scratch\.",
    ),
    Case(
        "old-backup-of-another-optimizer",
        resume_old_backup_with_another_optimizer,
        ValueError,
        r"was made with another optimizer \(hyper-parameters amsgrad, beta_1, beta_2, .*\), but "
        r"model '\w+' is now compiled with SGD: .* Compile with the optimizer that made it",
    ),
    Case(
        "backup-dir-is-a-file",
        backup_dir_is_a_file,
        ValueError,
        r"BackupAndRestore: backup_dir='.*run' is a file; it must be a folder",
    ),
    Case(
        "backup-save-freq-zero",
        backup_every_zero_batches,
        ValueError,
        r"BackupAndRestore: expected save_freq to be 'epoch' or a positive number of batches, "
        r"received save_freq=0",
    ),
    Case(
        "checkpoint-save-freq-negative",
        checkpoint_every_negative_batches,
        ValueError,
        r"ModelCheckpoint: expected save_freq to be 'epoch' or a positive number of batches, "
        r"received save_freq=-5",
    ),
    Case(
        "keras-callback",
        keras_callback_in_fit,
        TypeError,
        r"received keras\.src\.callbacks\.early_stopping\.EarlyStopping\. Use "
        r"kerastorch\.callbacks\.EarlyStopping instead",
    ),
    Case(
        "callbacks-not-a-list",
        callbacks_not_a_list,
        TypeError,
        r"callbacks must be a list of kerastorch\.callbacks\.Callback instances, received int\.",
    ),
    Case(
        "csv-log-appended-with-other-columns",
        csv_log_appended_with_other_columns,
        ValueError,
        r"CSVLogger\(append=True\): .*log\.csv has the columns \['epoch', 'loss', 'mae', "
        r"'val_loss', 'val_mae'\], but this fit logs \['epoch', 'loss', 'val_loss'\]",
    ),
    # -- several processes --
    Case(
        "processes-hold-different-data",
        processes_hold_different_data,
        ValueError,
        r"fit\(x\): the processes hold different amounts of data: samples \[64, 48\], batches "
        r"\[4, 3\] \(by rank\)\. .*auto_shard_dataset=False",
    ),
    # -- several inputs and outputs --
    Case(
        "fit-too-many-inputs",
        fit_with_too_many_inputs,
        ValueError,
        r"Model '\w+' has 2 inputs \['prices', 'sector'\], received x with 3 arrays",
    ),
    Case(
        "fit-one-array-for-two-inputs",
        fit_with_one_array_for_two_inputs,
        ValueError,
        r"Model '\w+' has 2 inputs \['prices', 'sector'\], received one ndarray\. Pass a list",
    ),
    Case(
        "fit-dict-missing-an-input",
        fit_with_a_dict_missing_an_input,
        ValueError,
        r"has inputs \['prices', 'sector'\]; x has no \['sector'\] \(it has \['sectr'\] "
        r"instead\)",
    ),
    Case(
        "fit-y-of-three-outputs",
        fit_with_y_of_three_outputs,
        ValueError,
        r"has 2 outputs \['level', 'direction'\], received y with 3 arrays",
    ),
    Case(
        "fit-y-dict-missing-an-output",
        fit_with_y_dict_missing_an_output,
        ValueError,
        r"has outputs \['level', 'direction'\]; y has no \['direction'\] \(it has "
        r"\['directoin'\] instead\)",
    ),
    Case(
        "loss-dict-unknown-output",
        compile_loss_dict_with_unknown_output,
        ValueError,
        r"compile\(loss=\.\.\.\) names output\(s\) \['dirction'\] that the model does not have; "
        r"its outputs are \['level', 'direction'\]",
    ),
    Case(
        "loss-dict-missing-an-output",
        compile_loss_dict_missing_an_output,
        ValueError,
        r"has no loss for output\(s\) \['direction'\]; .*None for an output that is not trained",
    ),
    Case(
        "metrics-list-of-wrong-length",
        compile_metrics_list_of_wrong_length,
        ValueError,
        r"compile\(metrics=\['mae'\]\) has 1 entries for 2 outputs",
    ),
    Case(
        "one-loss-weight-for-two-outputs",
        compile_one_loss_weight_for_two_outputs,
        ValueError,
        r"compile\(loss_weights=0\.5\) is one number, but the model has 2 outputs",
    ),
    Case(
        "class-weight-with-two-outputs",
        class_weight_with_two_outputs,
        ValueError,
        r"`class_weight` is only supported for Models with a single output",
    ),
]


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.id for case in CATALOGUE])
def test_error(case: Case, tmp_path) -> None:
    if issubclass(case.error, Warning):
        with pytest.warns(case.error, match=case.message):
            case.provoke(tmp_path)
    else:
        with pytest.raises(case.error, match=case.message):  # type: ignore[arg-type]
            case.provoke(tmp_path)


def test_the_catalogue_ids_are_unique() -> None:
    ids = [case.id for case in CATALOGUE]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
