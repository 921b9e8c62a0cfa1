"""Atomic file writes: a save either completes or leaves the previous file untouched.

NOTE [atomic saves]
    Every file kerastorch writes (models, weights, JSON, checkpoints, backups) goes through
    :func:`atomic_write` or :func:`atomic_path`:

    1. the bytes go to a temporary file in the *same folder*, so the final rename never crosses
       a file system;
    2. the temporary file is flushed and ``fsync``-ed, so its bytes are on disk before it takes
       the final name;
    3. ``os.replace`` renames it over the target in one step (atomic on POSIX and Windows);
    4. the folder is ``fsync``-ed (POSIX), so the rename itself survives a power cut.

    A process killed at any point before step 3 leaves the old file intact. An exception during
    the write removes the temporary file and re-raises.

NOTE [stale temporary files]
    A process killed while writing (SIGKILL, a power cut, an out-of-memory kill) cannot remove
    its temporary file, which is as large as the file being saved. The next save of the *same
    target* removes such leftovers before writing. To never remove a file that another live
    process is writing right now, the temporary file's name says who writes it:

        ``.tmp-<pid>-<host>-<random>-<name>``  (e.g. ``.tmp-4242-3f9a0c1e-9b1d7e2a-best.kt``)

    where ``<name>`` is the target's file name (so the temporary file keeps its ending, which
    some writers read to pick a format), ``<pid>`` the writing process's id and ``<host>`` a
    short hash of its host name. A file of that exact pattern for the same target is removed
    only if it was written on this host and

    * its process no longer exists (``os.kill(pid, 0)`` finds no such process), or
    * its process is this one (a process that died earlier with the same id, as happens to a
      restarted container's first process) and no save of this process is writing it now.

    Why the process id and not the file's age: a save of a large model to slow storage can take
    minutes while a crash loop (``torchrun --max-restarts``) can restart within seconds, so no
    age separates live writers from dead ones; whether the writer is alive does. What is never
    removed: files of another host (a shared folder, whose processes this host cannot see),
    files whose process id belongs to a live process (a reused id keeps a leftover until that
    process ends: a leak, never a loss), any other name, and, outside POSIX, files of other
    processes (there is no harmless way there to ask whether a process exists).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import socket
import threading
from collections.abc import Iterator
from typing import IO

__all__ = [
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "refuse_folder",
    "remove_stale_temp_files",
]

_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]

# The temporary files this process is writing now (absolute paths): NOTE [stale temporary files].
_live: set[str] = set()
_live_lock = threading.Lock()


def _temp_name(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".tmp-{os.getpid()}-{_HOST}-{secrets.token_hex(4)}-{name}")


def _register(tmp: str) -> None:
    with _live_lock:
        _live.add(tmp)


def _unregister(tmp: str) -> None:
    with _live_lock:
        _live.discard(tmp)


def _is_live(path: str) -> bool:
    with _live_lock:
        return os.path.abspath(path) in _live


def _process_exists(pid: int) -> bool:
    """Whether process ``pid`` exists on this host; True whenever that cannot be told safely."""
    if pid <= 0 or os.name != "posix":  # os.kill on Windows would terminate the process
        return True
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def remove_stale_temp_files(path: str | os.PathLike[str]) -> list[str]:
    """Remove the temporary files that killed saves of ``path`` left behind (see NOTE [stale
    temporary files]); return the paths removed. Saves call it before writing.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> stale = os.path.join(folder, f".tmp-999999999-{_HOST}-0badc0de-model.kt")
        >>> open(stale, "wb").close()  # no process has id 999999999: its writer is gone
        >>> remove_stale_temp_files(os.path.join(folder, "model.kt")) == [stale]
        True
    """
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = re.compile(rf"\.tmp-(\d+)-{_HOST}-[0-9a-f]{{8}}-{re.escape(name)}")
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet, or not readable: nothing of ours there
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid():
            if _is_live(entry.path):  # a save of this process is writing it
                continue
        elif _process_exists(pid):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.remove(entry.path)
        except OSError:  # removed meanwhile by another save of the same target
            continue
        removed.append(entry.path)
    return removed


def _open_temp(path: str) -> tuple[IO[bytes], str]:
    """Create and open the temporary file next to ``path`` (a seam the tests slow down)."""
    while True:
        tmp = _temp_name(path)
        _register(tmp)
        try:
            # 0o666: the file gets the usual permissions (the umask applies).
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:  # the same 32 random bits twice: draw again
            _unregister(tmp)
            continue
        except BaseException:
            _unregister(tmp)
            raise
        return os.fdopen(fd, "wb"), tmp


def _fsync_folder(folder: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse to fsync a folder; the rename still happened
        pass
    finally:
        os.close(fd)


def refuse_folder(path: str | os.PathLike[str]) -> None:
    """A save onto an existing folder fails before anything is written (it would fail only at
    the final rename, after the whole file was written, naming the temporary file).

    Example:
        >>> import tempfile
        >>> refuse_folder(tempfile.mkdtemp())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        IsADirectoryError: Cannot save to '...': it is a folder. ...
    """
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"Cannot save to {os.fspath(path)!r}: it is a folder. Give the path of a file (one "
            "inside that folder, for example)."
        )


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], overwrite: bool = True) -> Iterator[IO[bytes]]:
    """Open a binary file object whose content replaces ``path`` only when the block succeeds.

    See NOTE [atomic saves]. Temporary files that killed saves of ``path`` left behind are
    removed first (NOTE [stale temporary files]).

    Args:
        path: The file to write.
        overwrite: If False and ``path`` exists, raise ``FileExistsError`` before writing.

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> with atomic_write(target) as f:
        ...     _ = f.write(b"hello")
        >>> with open(target, "rb") as f:
        ...     f.read()
        b'hello'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save to {path!r}: the folder {folder!r} does not exist. Create it first."
        )
    refuse_folder(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists; pass overwrite=True to replace it.")
    if _is_live(path):
        # ``path`` is the temporary file of an enclosing atomic_path (ModelCheckpoint saving
        # through model.save): that one renames it when done, so write it directly.
        with open(path, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        return
    remove_stale_temp_files(path)
    file, tmp = _open_temp(path)
    try:
        with file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    finally:
        _unregister(tmp)
    _fsync_folder(folder)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`).

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "x.bin")
        >>> atomic_write_bytes(target, b"\\x00\\x01")
        >>> os.path.getsize(target)
        2
    """
    with atomic_write(path, overwrite=overwrite) as f:
        f.write(data)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path next to ``path`` (same folder, same file ending); once the body has
    written it, move it onto ``path`` with ``os.replace``, so ``path`` is always either the old
    complete file or the new complete one. On an error the temporary file is removed, and
    temporary files that killed saves of ``path`` left behind are removed first (NOTE [stale
    temporary files]).

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "run", "state.bin")
        >>> with atomic_path(target) as tmp:
        ...     with open(tmp, "wb") as f:
        ...         _ = f.write(b"ok")
        >>> os.listdir(os.path.dirname(target))
        ['state.bin']
    """
    path = os.fspath(path)
    refuse_folder(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temp_files(path)
    tmp = _temp_name(path)
    _register(tmp)
    try:
        yield tmp
        if os.path.isfile(tmp):
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        try:
            if os.path.isdir(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
            elif os.path.exists(tmp):
                os.remove(tmp)
        finally:
            _unregister(tmp)
    _fsync_folder(folder)
