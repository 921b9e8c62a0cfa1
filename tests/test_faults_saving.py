"""Issue 14, item 9 (files): a save killed while writing leaves a full-size hidden temporary file;
the next save of the same target removes it, and never a file that a live process is writing.

A killed save is made real: a forked child process runs the save with ``os.replace`` blocked at
the moment the temporary file is complete (the worst case: a full-size leftover), says so
through a pipe, and is killed with SIGKILL. Everything waits on that pipe, never on time.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

import kerastorch
from kerastorch import Input, Sequential
from kerastorch.callbacks import BackupAndRestore, LambdaCallback, ModelCheckpoint
from kerastorch.layers import Dense
from kerastorch.saving import atomic

_FORK = multiprocessing.get_context("fork") if os.name == "posix" else None
_DEADLINE = 120.0  # seconds a child may take to reach its save (a bound, not a wait)
pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and process ids are POSIX")


def _child_save(conn, mode: str, target: str, model: Sequential) -> None:
    """The child's side: one save of ``target``, held once its temporary file is complete.
    The callbacks' hooks are called directly: the child computes nothing (no thread pools)."""
    torch.set_num_threads(1)
    replace = os.replace

    def blocking_replace(src, dst, *args, **kwargs):
        if os.path.basename(dst) == os.path.basename(target):
            conn.send(("WRITTEN", src))  # then wait: the parent kills us, or lets us finish
            conn.recv()
        return replace(src, dst, *args, **kwargs)

    atomic.os.replace = blocking_replace  # a forked child: only its own os module is patched
    if mode == "save":
        model.save(target)
    else:
        callback = (
            ModelCheckpoint(target)
            if mode == "checkpoint"
            else BackupAndRestore(os.path.dirname(target))
        )
        callback.set_model(model)
        callback.set_params({"epochs": 1, "steps": 1, "verbose": 0})
        callback.on_train_begin({})
        callback.on_epoch_begin(0, {})
        callback.on_epoch_end(0, {"loss": 1.0})
    conn.send(("DONE", None))


class Child:
    """A forked child process running one save of ``target`` (``mode``: save, checkpoint or
    backup), held just before its temporary file takes the final name."""

    def __init__(self, mode: str, target, seed: int = 1) -> None:
        model = _model(seed)  # made here: the forked child only serializes it
        model.compiled.bind_optimizer(model)
        self.conn, child_conn = _FORK.Pipe()
        self.process = _FORK.Process(
            target=_child_save, args=(child_conn, mode, str(target), model)
        )
        self.process.start()
        child_conn.close()  # the child's end: a child that dies closes the pipe
        if not self.conn.poll(_DEADLINE):
            self.kill()
            pytest.fail(f"the child did not reach its save in {_DEADLINE} s")
        what, self.temp_file = self.conn.recv()
        assert what == "WRITTEN"

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join()  # reaped: its process id no longer exists
        assert self.process.exitcode == -signal.SIGKILL

    def finish(self) -> None:
        self.conn.send("go")
        assert self.conn.poll(_DEADLINE) and self.conn.recv() == ("DONE", None)
        self.process.join(_DEADLINE)
        assert self.process.exitcode == 0


def _hidden(folder) -> dict[str, int]:
    return {name: os.path.getsize(folder / name) for name in os.listdir(folder) if name[0] == "."}


def _model(seed: int = 0) -> Sequential:
    kerastorch.utils.set_random_seed(seed)
    model = Sequential([Input((64,)), Dense(256), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _xy():
    return np.ones((8, 64), "float32"), np.ones((8, 1), "float32")


def test_the_next_save_removes_what_killed_saves_left(tmp_path):
    target = tmp_path / "model.kt"
    reference = _model()
    reference.compiled.bind_optimizer(reference)  # as the child's: with the optimizer's state
    reference.save(target)
    size = os.path.getsize(target)
    first = Child("save", target, seed=1)
    first.kill()
    # A full-size hidden leftover (it used to stay forever, one more at every kill) ...
    leftovers = _hidden(tmp_path)
    assert list(leftovers) == [os.path.basename(first.temp_file)]
    assert abs(leftovers[os.path.basename(first.temp_file)] - size) < 1024
    # ... which the next save of model.kt removes, even if that one is killed too.
    second = Child("save", target, seed=2)
    second.kill()
    assert list(_hidden(tmp_path)) == [os.path.basename(second.temp_file)]
    # The next save of model.kt removes them; the file is the new model's.
    model = _model(3)
    model.save(target)
    assert _hidden(tmp_path) == {}
    loaded = kerastorch.models.load_model(target)
    for ours, theirs in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_killed_checkpoint_is_removed_by_the_next_checkpoint(tmp_path):
    target = tmp_path / "best.kt"
    Child("checkpoint", target).kill()
    assert len(_hidden(tmp_path)) == 1
    x, y = _xy()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(target))])
    assert _hidden(tmp_path) == {}
    assert os.listdir(tmp_path) == ["best.kt"]


def test_a_killed_backup_is_removed_by_the_next_backup(tmp_path):
    backup_dir = tmp_path / "backup"
    Child("backup", backup_dir / "latest.backup.pt").kill()
    assert len(_hidden(backup_dir)) == 1
    seen = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(os.listdir(backup_dir)))
    x, y = _xy()
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(backup_dir), record])
    assert seen == [["latest.backup.pt"], ["latest.backup.pt"]]  # after each epoch's backup


def test_a_save_in_progress_in_another_process_is_left_alone(tmp_path):
    target = tmp_path / "model.kt"
    child = Child("save", target, seed=1)
    try:
        # Its temporary file is complete and it is alive: our save of the same target must not
        # remove it, and must not be disturbed by it.
        ours = _model(5)
        ours.save(target)
        assert list(_hidden(tmp_path)) == [os.path.basename(child.temp_file)]
        loaded = kerastorch.models.load_model(target)
        for a, b in zip(loaded.get_weights(), ours.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        child.finish()  # its save then completes: the last rename wins
    finally:
        if child.process.is_alive():
            child.kill()
    assert _hidden(tmp_path) == {}
    theirs = _model(1)
    loaded = kerastorch.models.load_model(target)
    for a, b in zip(loaded.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_only_our_pattern_of_dead_writers_on_this_host_is_removed(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    dead, alive, me = int(finished.stdout), os.getppid(), os.getpid()
    host = atomic._HOST
    other_host = "0" * 8 if host != "0" * 8 else "1" * 8
    names = {
        f".tmp-{dead}-{host}-0000000a-model.kt": "removed",  # its process is gone
        f".tmp-{alive}-{host}-0000000b-model.kt": "kept",  # its process is alive
        f".tmp-{me}-{host}-0000000c-model.kt": "removed",  # our id, but no save of ours
        f".tmp-{dead}-{other_host}-0000000d-model.kt": "kept",  # another host's
        f".tmp-{dead}-{host}-0000000e-other.kt": "kept",  # another target
        f".tmp-{dead}-{host}-0000000f-model.kt.bak": "kept",  # another target
        ".model.kt.ab12cd34.tmp": "kept",  # not our pattern
        "model.kt": "kept",
    }
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / f".tmp-{dead}-{host}-00000010-model.kt").mkdir()  # a folder some writer made
    names[f".tmp-{dead}-{host}-00000010-model.kt"] = "removed"
    removed = atomic.remove_stale_temp_files(tmp_path / "model.kt")
    assert sorted(os.path.basename(p) for p in removed) == sorted(
        name for name, fate in names.items() if fate == "removed"
    )
    assert sorted(os.listdir(tmp_path)) == sorted(
        name for name, fate in names.items() if fate == "kept"
    )


def test_a_save_of_this_process_in_progress_is_left_alone(tmp_path):
    # Another thread of this process saving the same target looks like this: a temporary file
    # with our process id that is being written. It must survive a cleanup.
    target = tmp_path / "model.kt"
    with atomic.atomic_write(target) as handle:
        handle.write(b"first")
        (live,) = _hidden(tmp_path)
        assert live.startswith(f".tmp-{os.getpid()}-{atomic._HOST}-")
        assert atomic.remove_stale_temp_files(target) == []
        atomic.atomic_write_bytes(target, b"second")  # a concurrent save finishes first
        assert list(_hidden(tmp_path)) == [live]
    assert target.read_bytes() == b"first"
    assert _hidden(tmp_path) == {}


def test_a_checkpoint_through_model_save_writes_one_temporary_file(tmp_path, monkeypatch):
    # ModelCheckpoint gives model.save a temporary path, and model.save is atomic itself: it
    # writes that path directly (a killed checkpoint used to leave a temporary file of the
    # temporary file, "..tmp-<random>-best.kt.<random>.tmp", of no pattern the next save knows).
    target = tmp_path / "best.kt"
    during_write, given = [], []
    writestr = zipfile.ZipFile.writestr

    def spying_writestr(self, *args, **kwargs):
        during_write.append(sorted(_hidden(tmp_path)))
        return writestr(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", spying_writestr)
    model = _model()
    save = model.save

    def spying_save(path, **kwargs):
        given.append(os.path.basename(path))
        save(path, **kwargs)

    model.save = spying_save
    x, y = _xy()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(target))])
    (path,) = given
    assert path.startswith(f".tmp-{os.getpid()}-{atomic._HOST}-") and path.endswith("-best.kt")
    assert during_write and all(hidden == [path] for hidden in during_write)
    assert os.listdir(tmp_path) == ["best.kt"]
