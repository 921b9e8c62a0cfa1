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
