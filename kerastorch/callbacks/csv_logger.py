"""CSVLogger: stream the epoch logs to a CSV file."""

from __future__ import annotations

import collections
import csv
import os
from collections.abc import Iterable
from typing import Any, TextIO

import numpy as np

from kerastorch.callbacks.base import Callback, Logs
from kerastorch.distribute import is_main_process

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Write one CSV row per epoch, as Keras's ``CSVLogger`` writes it.

    The columns are ``epoch`` (0-based) and the logged keys in alphabetical order, fixed at the
    first epoch; when that epoch has no ``val_`` key, ``val_`` columns are added for every key
    (filled with ``NA`` until validation runs, e.g. with ``validation_freq``). Rows end with
    ``\\r\\n`` (the csv module's ``excel`` dialect, as Keras's file) and the file is flushed after
    every epoch. In multi-process training only process 0 writes it (``kerastorch.distribute``).

    Args:
        filename: Path of the CSV file, e.g. ``"run/log.csv"`` (the folder is created if
            missing; Keras's fails then).
        separator: The field separator.
        append: Append to an existing file (the header is written only if the file is empty),
            e.g. to continue a log after resuming training; otherwise overwrite it. A file
            whose columns are not this fit's is refused at the first epoch's end (Keras writes
            the rows under the wrong columns).

    Example:
        >>> csv_logger = CSVLogger("training.log")
        >>> # model.fit(x, y, callbacks=[csv_logger])
    """

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter[str] | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: TextIO | None = None
        self._writes = True  # False on the processes other than 0 of a distributed run
        self._existing_columns: list[str] | None = None  # the header of a file appended to

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._writes = is_main_process()
        if not self._writes:
            return
        self._existing_columns = None
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as handle:
                    header = handle.readline()
                self.append_header = not bool(len(header))
                if header.strip():
                    self._existing_columns = next(csv.reader([header], delimiter=self.sep))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        folder = os.path.dirname(self.filename)
        if folder:  # "run/log.csv" in a fresh run folder, as ModelCheckpoint creates its own
            os.makedirs(folder, exist_ok=True)
        # newline="": the csv module writes its own "\r\n" on every platform.
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115 (closed at the end)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if not self._writes:
            return
        if self.csv_file is None:
            raise RuntimeError("CSVLogger.on_epoch_end was called before on_train_begin.")
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            separator = self.sep

            class CustomDialect(csv.excel):
                delimiter = separator

            columns = ["epoch", *self.keys]
            if self._existing_columns is not None and self._existing_columns != columns:
                self.csv_file.close()  # fit ends here, without on_train_end
                raise ValueError(
                    f"CSVLogger(append=True): {self.filename} has the columns "
                    f"{self._existing_columns}, but this fit logs {columns}; its rows would be "
                    "written under the wrong columns. Log to a new file, or compile with the "
                    "same loss and metrics as the run that wrote it."
                )
            self.writer = csv.DictWriter(self.csv_file, fieldnames=columns, dialect=CustomDialect)
            if self.append_header:
                self.writer.writeheader()
        row: dict[str, Any] = collections.OrderedDict({"epoch": epoch})
        row.update((key, _handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _handle_value(value: Any) -> Any:
    """Strings and numbers as they are; 1-D iterables as ``"[a, b]"`` (Keras's format)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value
