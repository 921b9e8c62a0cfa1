"""BackupAndRestore: resume an interrupted ``fit`` from its last backup."""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any

import torch

from kerastorch.callbacks.base import Callback, Logs
from kerastorch.distribute import is_main_process
from kerastorch.errors import torch_load_failure
from kerastorch.saving.atomic import atomic_path, remove_stale_temp_files

__all__ = ["BackupAndRestore"]

BACKUP_NAME = "latest.backup.pt"


class BackupAndRestore(Callback):
    """Back up the training state, and restore it when ``fit`` starts again after an
    interruption, as Keras's ``BackupAndRestore``.

    At the end of every epoch (or every ``save_freq`` batches) the weights, the optimizer's
    state (moments, step count, learning rate) and the number of finished epochs are written to
    ``backup_dir``. When a later ``fit`` starts with a backup present, the model and optimizer
    are restored and training continues from the first unfinished epoch, so (with
    ``shuffle=False`` and no dropout) the resumed run ends with the weights of an uninterrupted
    one. The backup is deleted when ``fit`` completes. A backup is refused (with a clear error,
    before anything is restored) when the model is now compiled with another optimizer class
    than the one that made it.

    In multi-process training (``kerastorch.distribute``) process 0 writes and deletes the
    backup and every process restores from it: ``backup_dir`` must be on storage that all of
    them see (``fit`` fails with a clear error if they would resume from different epochs).

    Args:
        backup_dir: Folder of the backup. It may hold other files too (``run/`` beside a
            ``ModelCheckpoint("run/best.kt")`` and a ``CSVLogger("run/log.csv")``): the
            callback only ever deletes its own files.
        save_freq: ``"epoch"``, or a positive integer N to back up every N training batches.
            A backup made within an epoch restores that epoch's weights but restarts the epoch
            from its first batch, as in Keras.
        double_checkpoint: Also keep the previous backup; if the latest cannot be read, the
            previous one is restored.
        delete_checkpoint: Delete the backup when training completes.

    Differences from Keras, on purpose:

    * The backup is one file, ``backup_dir/latest.backup.pt`` (weights, optimizer state and
      epoch together, written atomically: a crash while writing leaves the previous backup
      intact), instead of Keras's ``latest.weights.h5`` + ``training_metadata.json``.
    * Training interrupted with Ctrl-C keeps the backup: kerastorch's ``fit`` catches
      ``KeyboardInterrupt`` and still calls ``on_train_end``, so the backup is only deleted when
      training completed (all epochs ran, or a callback stopped it).
    * Backups within an epoch record the epoch in progress (Keras records 0 until the first
      epoch of the run has ended).
    * When training completes, only the callback's own files are deleted (the backup, its
      previous copy, and temporary files of killed backups), then ``backup_dir`` itself if it is
      empty. Keras deletes the whole ``backup_dir``, with whatever else was in it.

    Example:
        >>> backup = BackupAndRestore(backup_dir="/tmp/backup")
        >>> # model.fit(x, y, epochs=10, callbacks=[backup])  # interrupted at epoch 4 ...
        >>> # model.fit(x, y, epochs=10, callbacks=[backup])  # ... runs epochs 5 to 10
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                "Invalid value for argument `save_freq`. "
                f"Received: save_freq={save_freq!r}. Expected either 'epoch' or an integer value."
            )
        if save_freq != "epoch" and save_freq < 1:
            raise ValueError(
                f"BackupAndRestore: expected save_freq to be 'epoch' or a positive number of "
                f"batches, received save_freq={save_freq}. (Keras backs up after every batch for "
                "any value below 1; ask for that with save_freq=1.)"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._backup_path = os.path.join(self.backup_dir, BACKUP_NAME)
        self._prev_backup_path = f"{self._backup_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._epochs = 0

    # -- restoring -------------------------------------------------------------------------------

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._epochs = int(self.params.get("epochs") or 0)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        if not getattr(self.model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call "
                f"fit(). Model '{getattr(self.model, 'name', self.model)}' is unbuilt. Give it an "
                "input shape or call it on a batch of data."
            )
        if os.path.exists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise ValueError(
                f"BackupAndRestore: backup_dir={self.backup_dir!r} is a file; it must be a "
                "folder (created if missing). Pass another path, or remove that file."
            )
        try:
            state = self._read(self._backup_path)
        except Exception as error:
            if not os.path.exists(self._prev_backup_path):
                raise
            try:
                state = self._read(self._prev_backup_path)
            except Exception:
                raise error from None
        if state is None:
            return
        self._check_optimizer(state)
        try:
            self._restore(state)
        except (RuntimeError, ValueError, KeyError) as error:
            raise ValueError(
                f"BackupAndRestore: the backup in {self.backup_dir} does not fit model "
                f"'{self._model_name()}' ({error}). It was made by another model or another "
                f"compile(); delete {self._backup_path} to start training from scratch."
            ) from error

    def _model_name(self) -> str:
        return str(getattr(self.model, "name", type(self.model).__name__))

    def _check_optimizer(self, state: dict[str, Any]) -> None:
        """Refuse the optimizer state of another optimizer class, before restoring anything.

        torch's ``load_state_dict`` would take it silently, param-group keys and all, and the
        first step would then fail deep in the optimizer (an Adam backup into SGD:
        ``KeyError: 'momentum'``)."""
        saved = state.get("optimizer")
        if saved is None or getattr(self.model, "optimizer", None) is None:
            return
        compiled = getattr(self.model, "compiled", None)
        if compiled is not None:
            compiled.bind_optimizer(self.model)  # fit() has done it; a direct call may not
        optimizer = self.model.optimizer
        current_class = _class_path(optimizer)
        current_name = current_class.rpartition(".")[2]
        saved_class = state.get("optimizer_class")
        if saved_class is not None:
            if saved_class == current_class:
                return
            saved_name = saved_class.rpartition(".")[2]
            made_with, resume = f"the optimizer {saved_name}", saved_name
        else:  # a backup written before the class was recorded: compare the hyper-parameters
            saved_keys = set((saved.get("param_groups") or [{}])[0]) - {"params"}
            current_groups = getattr(optimizer, "param_groups", None)
            if not current_groups or saved_keys == set(current_groups[0]) - {"params"}:
                return
            made_with = f"another optimizer (hyper-parameters {', '.join(sorted(saved_keys))})"
            resume = "the optimizer that made it"
        raise ValueError(
            f"BackupAndRestore: the backup {self._backup_path} was made with {made_with}, but "
            f"model '{self._model_name()}' is now compiled with {current_name}: the state of "
            "one (moments, step count) cannot resume the other. "
            f"Compile with {resume} to resume this training, or delete {self._backup_path} to "
            "start from scratch."
        )

    def _read(self, path: str) -> dict[str, Any] | None:
        if not os.path.exists(path):
            return None
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise OSError(
                f"BackupAndRestore could not read the backup {path} ({torch_load_failure(error)})."
                " Delete it to start training from scratch."
            ) from None  # torch's message advises weights_only=False: never for such a file

    def _restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        if (
            state.get("optimizer") is not None
            and getattr(self.model, "optimizer", None) is not None
        ):
            compiled = getattr(self.model, "compiled", None)
            if compiled is not None:
                compiled.bind_optimizer(self.model)  # fit() has done it; a direct call may not
            self.model.optimizer.load_state_dict(state["optimizer"])
        self._current_epoch = int(state["epoch"])
        # Read by fit() right after on_train_begin, as Keras's trainer reads it.
        self.model._initial_epoch = self._current_epoch

    # -- backing up ------------------------------------------------------------------------------

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(batch)

    def wants_batch_logs(self) -> bool:
        return self.save_freq != "epoch"

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        # After a new epoch starts, batch <= the last one seen; batches are 0-based.
        new_epoch = batch <= self._last_batch_seen
        add_batches = batch + 1 if new_epoch else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, batch: int | None = None) -> None:
        if not is_main_process():
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._backup_path):
            with atomic_path(self._prev_backup_path) as tmp:
                shutil.copyfile(self._backup_path, tmp)
        optimizer = getattr(self.model, "optimizer", None)
        state = {
            "model": self.model.state_dict(),
            "optimizer": None if optimizer is None else optimizer.state_dict(),
            "optimizer_class": None if optimizer is None else _class_path(optimizer),
            "epoch": self._current_epoch,
            "batch": -1 if batch is None else batch,
        }
        with atomic_path(self._backup_path) as tmp:
            torch.save(state, tmp)

    # -- the end ---------------------------------------------------------------------------------

    def on_train_end(self, logs: Logs | None = None) -> None:
        completed = self._current_epoch >= self._epochs or getattr(
            self.model, "stop_training", False
        )
        if completed and self.delete_checkpoint and is_main_process():
            self._delete_backup()

    def _delete_backup(self) -> None:
        """Delete this callback's files, then ``backup_dir`` if nothing else is left in it."""
        for path in (self._backup_path, self._prev_backup_path):
            remove_stale_temp_files(path)
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):  # not empty (other files), or already gone
            os.rmdir(self.backup_dir)


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"
