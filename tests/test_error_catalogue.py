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


# -- data: x, y, sample_weight, class_weight --------------------------------------------------------


def _sequence_model() -> Sequential:
    from kerastorch.layers import LSTM

    kerastorch.utils.set_random_seed(0)
    model = Sequential([Input((None, 2)), LSTM(3, return_sequences=True), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _classifier(classes: int = 3) -> Sequential:
    kerastorch.utils.set_random_seed(0)
    model = Sequential([Input((3,)), Dense(classes, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def rows_of_different_lengths_into_dense(tmp_path):
    # Issue 14, item 1: taken as ragged sequences; predict padded the short row with 0 and
    # returned a list of per-row arrays, fit died in the loss with a broadcast error.
    rows = [[1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0, 3.0]]
    _model().predict(rows, verbose=0)


def per_step_targets_swapped(tmp_path):
    # Issue 14, item 2: the targets of the sequences of 3 and 5 steps swapped trained on.
    x = [np.ones((3, 2)), np.ones((5, 2)), np.ones((4, 2))]
    y = [np.ones((5, 1)), np.ones((3, 1)), np.ones((4, 1))]
    _sequence_model().fit(x, y, verbose=0)


def per_step_weights_shifted(tmp_path):
    # Issue 14, item 2: per-step weights one sequence off.
    x = [np.ones((3, 2)), np.ones((5, 2)), np.ones((4, 2))]
    y = [np.ones((3, 1)), np.ones((5, 1)), np.ones((4, 1))]
    weights = [np.ones(4), np.ones(3), np.ones(5)]
    _sequence_model().fit(x, y, sample_weight=weights, verbose=0)


def padded_targets_shorter_than_x(tmp_path):
    # Issue 14, item 2: worked or failed depending on which sequences shared a batch.
    x = [np.ones((3, 2)), np.ones((5, 2))]
    _sequence_model().fit(x, np.ones((2, 4, 1)), batch_size=1, verbose=0)


def nan_sample_weight(tmp_path):
    # Issue 14, item 3: trained on, and every weight became NaN.
    x, y = _data(8)
    weights = np.ones(8)
    weights[3] = np.nan
    _model().fit(x, y, sample_weight=weights, verbose=0)


def sample_weight_of_another_shape(tmp_path):
    # Found with issue 14: torch's broadcast error from inside the loss.
    x, y = _data(8)
    _model().fit(x, y, sample_weight=np.ones((8, 3)), verbose=0)


def class_weight_not_a_number(tmp_path):
    # Issue 14, item 3: was "could not convert string to float: 'heavy'".
    x, _ = _data(8)
    _classifier().fit(x, np.arange(8) % 3, class_weight={0: 1.0, 1: "heavy"}, verbose=0)


def class_weight_nan(tmp_path):
    x, _ = _data(8)
    _classifier().fit(x, np.arange(8) % 3, class_weight={2: float("nan")}, verbose=0)


def label_out_of_range(tmp_path):
    # Issue 14, item 11: was torch's "IndexError: Target 5 is out of bounds."
    x, _ = _data(8)
    _classifier(3).fit(x, np.array([0, 1, 2, 5, 0, 1, 2, 0]), verbose=0)


def label_out_of_range_from_a_generator(tmp_path):
    # Batches the model reads one by one: found by the loss (on its error path, at no cost).
    x, _ = _data(8)
    batches = iter([(x[:4], np.array([0, 1, 2, 0])), (x[4:], np.array([1, 7, 0, 0]))])
    _classifier(3).fit(batches, steps_per_epoch=2, verbose=0)


def none_in_a_list_of_sequences(tmp_path):
    # Issue 14, item 11: was "items have different shapes ... pad_sequences".
    x = [np.ones((3, 2)), None, np.ones((5, 2))]
    _sequence_model().fit(x, np.ones((3, 1)), verbose=0)


def zero_timesteps(tmp_path):
    # Issue 14, item 11: was torch's "Expected sequence length to be larger than 0 in RNN".
    from kerastorch.layers import LSTM

    model = Sequential([Input((None, 2)), LSTM(3)])
    model.predict(np.ones((4, 0, 2), "float32"), verbose=0)


# -- fit's and compile's arguments ------------------------------------------------------------------


def fractional_epochs(tmp_path):
    # Issue 14, item 11: was "'float' object cannot be interpreted as an integer".
    x, y = _data()
    _model().fit(x, y, epochs=2.5, verbose=0)


def zero_validation_freq(tmp_path):
    # Was ZeroDivisionError at the end of the first epoch.
    x, y = _data()
    _model().fit(x, y, epochs=2, validation_split=0.25, validation_freq=0, verbose=0)


def cuda_on_a_cpu_only_torch(tmp_path):
    # Issue 14, item 11: compile accepted it; fit failed at the first step.
    if torch.cuda.is_available():
        pytest.skip("this torch has a CUDA device")
    Sequential([Input((3,)), Dense(1)]).compile(optimizer="adam", loss="mse", device="cuda")


def optimizer_typo(tmp_path):
    # Issue 14, item 11: "adma" suggested "adamax".
    Sequential([Input((3,)), Dense(1)]).compile(optimizer="adma", loss="mse")


# -- saving and loading -----------------------------------------------------------------------------


def save_onto_a_folder(tmp_path):
    # Issue 14, item 11: the whole file was written, then IsADirectoryError named the temp file.
    (tmp_path / "model.kt").mkdir()
    _model().save(tmp_path / "model.kt")


def _saved_lstm(tmp_path) -> tuple[dict, bytes]:
    """The config and the weights member of a saved Sequential([Input, LSTM(4), Dense(1)])."""
    import json
    import zipfile

    from kerastorch.layers import LSTM

    model = Sequential([Input((None, 3)), LSTM(4), Dense(1)])
    model.save(tmp_path / "lstm.kt")
    with zipfile.ZipFile(tmp_path / "lstm.kt") as archive:
        return json.loads(archive.read("config.json")), archive.read("model.weights.pt")


def weights_member_deflates_hugely(tmp_path):
    # Issue 14, item 5: a 2 MiB file whose weights deflate to 2 GiB peaked at 4.4 GiB before it
    # was refused. Here 80 MiB of zeros in 80 KiB; refused before a byte is inflated.
    import json
    import zipfile

    config, _ = _saved_lstm(tmp_path)
    with zipfile.ZipFile(tmp_path / "bomb.kt", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(config))
        with archive.open("model.weights.pt", "w", force_zip64=True) as member:
            for _ in range(80):
                member.write(bytes(1 << 20))
    kerastorch.models.load_model(tmp_path / "bomb.kt")


def config_far_bigger_than_its_weights(tmp_path):
    # Issue 14, item 5: LSTM(units=200000) allocated 640 GB before any shape was compared.
    import json
    import zipfile

    config, weights = _saved_lstm(tmp_path)
    config["model"]["config"]["layers"][0]["config"]["units"] = 200_000
    with zipfile.ZipFile(tmp_path / "big.kt", "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.pt", weights)
    kerastorch.models.load_model(tmp_path / "big.kt")


class _RunsCode:
    def __reduce__(self):
        return (print, ("this would run",))


def weights_file_holding_code(tmp_path):
    # Issue 14, item 11: the message quoted torch's advice to re-run with weights_only=False.
    torch.save({"dense.linear.weight": _RunsCode()}, tmp_path / "hostile.weights.pt")
    _model().load_weights(tmp_path / "hostile.weights.pt")


def damaged_backup(tmp_path):
    # The same for a backup: torch's advice for a damaged file was quoted.
    _interrupted_backup(tmp_path / "backup")
    path = tmp_path / "backup" / "latest.backup.pt"
    path.write_bytes(path.read_bytes()[:-200])
    x, y = _data()
    _model().fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path / "backup")])


def keras_file_with_a_lambda(tmp_path):
    # Issue 14, item 11: a top-level Lambda was reported as unsupported, a nested one refused
    # for safe mode.
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2)])
    model.save(tmp_path / "lambda.keras")
    kerastorch.models.load_model(tmp_path / "lambda.keras")


def h5_with_a_corrupt_training_config(tmp_path):
    # Issue 14, item 11: was a bare JSONDecodeError, without the file's name.
    import h5py

    _model().save(tmp_path / "model.h5")
    with h5py.File(tmp_path / "model.h5", "a") as h5:
        h5.attrs["training_config"] = '{"optimizer_config": {'
    kerastorch.models.load_model(tmp_path / "model.h5")


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
    # -- data --
    Case(
        "rows-of-different-lengths-into-dense",
        rows_of_different_lengths_into_dense,
        ValueError,
        r"x\[1\] has 2 values, but model '\w+' takes rows of 3 \(input shape \(None, 3\)\); 1 "
        r"of the 3 rows have another length\. .*only by a model whose input has a time axis",
    ),
    Case(
        "per-step-targets-swapped",
        per_step_targets_swapped,
        ValueError,
        r"y\[0\] has 5 timesteps but x\[0\] has 3 \(2 of the 3 sequences differ\): per-step y "
        r"needs one value per step of its sequence of x, in the same order",
    ),
    Case(
        "per-step-weights-shifted",
        per_step_weights_shifted,
        ValueError,
        r"sample_weight\[0\] has 4 timesteps but x\[0\] has 3 \(3 of the 3 sequences differ\)",
    ),
    Case(
        "padded-targets-shorter-than-x",
        padded_targets_shorter_than_x,
        ValueError,
        r"y has 4 timesteps \(shape \(2, 4, 1\)\), but x\[1\] has 5: padded per-step y needs a "
        r"value for every step",
    ),
    Case(
        "nan-sample-weight",
        nan_sample_weight,
        ValueError,
        r"sample_weight contains NaN or infinite values, in 1 sample\(s\), first at index 3",
    ),
    Case(
        "sample-weight-of-another-shape",
        sample_weight_of_another_shape,
        ValueError,
        r"sample_weight has shape \(8, 3\), which cannot weigh y of shape \(8, 1\): expected "
        r"one weight per sample, shape \(8,\), or one per timestep",
    ),
    Case(
        "class-weight-not-a-number",
        class_weight_not_a_number,
        TypeError,
        r"class_weight\[1\] must be a number \(how much class 1 weighs\), received 'heavy' "
        r"\(str\)",
    ),
    Case(
        "class-weight-nan",
        class_weight_nan,
        ValueError,
        r"class_weight\[2\] must be a finite number >= 0, received nan",
    ),
    Case(
        "label-out-of-range",
        label_out_of_range,
        ValueError,
        r"y\[3\] is the label 5, but the model has 3 outputs \(classes 0 to 2\); 1 sample\(s\) "
        r"have labels out of range",
    ),
    Case(
        "label-out-of-range-in-a-batch",
        label_out_of_range_from_a_generator,
        ValueError,
        r"sparse_categorical_crossentropy: the label 7 \(at index 1 of the batch; 1 label\(s\) "
        r"out of range in it\) is not a class of the model's 3 outputs",
    ),
    Case(
        "none-in-a-list-of-sequences",
        none_in_a_list_of_sequences,
        ValueError,
        r"x\[1\] is None: every item must be an array or a list of numbers",
    ),
    Case(
        "zero-timesteps",
        zero_timesteps,
        ValueError,
        r"LSTM '\w+' received sequences of 0 timesteps \(input shape \(4, 0, 2\)\); a recurrent "
        r"layer needs at least one step",
    ),
    # -- arguments --
    Case(
        "fractional-epochs",
        fractional_epochs,
        ValueError,
        r"fit: expected epochs to be an integer >= 0, received epochs=2\.5",
    ),
    Case(
        "zero-validation-freq",
        zero_validation_freq,
        ValueError,
        r"fit: expected validation_freq to be an integer >= 1, received validation_freq=0",
    ),
    Case(
        "cuda-on-a-cpu-only-torch",
        cuda_on_a_cpu_only_torch,
        ValueError,
        r"compile\(device='cuda'\): this torch has no CUDA device .* Use device=\"auto\"",
    ),
    Case(
        "optimizer-typo",
        optimizer_typo,
        ValueError,
        r'Unknown optimizer: "adma"\. Did you mean "adam"\?',
    ),
    # -- saving and loading --
    Case(
        "save-onto-a-folder",
        save_onto_a_folder,
        IsADirectoryError,
        r"Cannot save to '.*model\.kt': it is a folder",
    ),
    Case(
        "weights-member-deflates-hugely",
        weights_member_deflates_hugely,
        kerastorch.saving.SavingError,
        r"bomb\.kt': the member 'model\.weights\.pt' takes \d+ bytes in the file but would "
        r"inflate to 83886080 bytes \(\d+ times more\): a decompression bomb",
    ),
    Case(
        "config-far-bigger-than-its-weights",
        config_far_bigger_than_its_weights,
        kerastorch.saving.SavingError,
        r"big\.kt': the architecture in config\.json would create a tensor of size \(800000, "
        r"200000\) \(160000000000 values\), more than all the weights in the file hold together "
        r"\(\d+ values\)",
    ),
    Case(
        "weights-file-holding-code",
        weights_file_holding_code,
        kerastorch.saving.SavingError,
        r"(?s)^(?!.*weights_only)Cannot read .*hostile\.weights\.pt'.*it holds Python objects "
        r"other than tensors, which are never loaded",
    ),
    Case(
        "damaged-backup",
        damaged_backup,
        OSError,
        r"(?s)^(?!.*weights_only)BackupAndRestore could not read the backup .*latest\.backup\.pt "
        r"\(RuntimeError: .*\)\. Delete it",
    ),
    Case(
        "keras-file-with-a-lambda",
        keras_file_with_a_lambda,
        kerastorch.saving.SavingError,
        r"Keras layer Lambda 'lambda\w*' carries Python code in its config, which is refused in "
        r"safe mode",
    ),
    Case(
        "h5-with-a-corrupt-training-config",
        h5_with_a_corrupt_training_config,
        kerastorch.saving.SavingError,
        r"model\.h5': its training_config \(the compile arguments\) is not valid JSON .* Load "
        r"it with compile=False",
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
