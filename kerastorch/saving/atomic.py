"""Atomic file writes: a save either completes or leaves the previous file untouched.

NOTE [atomic saves]
    Every file kerastorch writes (models, weights, JSON) goes through :func:`atomic_write`:

    1. the bytes go to a temporary file in the *same folder* (``.name.<random>.tmp``), so the
       final rename never crosses a file system;
    2. the temporary file is flushed and ``fsync``-ed, so its bytes are on disk before it takes
       the final name;
    3. ``os.replace`` renames it over the target in one step (atomic on POSIX and Windows);
    4. the folder is ``fsync``-ed (POSIX), so the rename itself survives a power cut.

    A process killed at any point before step 3 leaves the old file intact (and, at worst, a
    stale ``.name.*.tmp`` file, which the next save does not need and which may be deleted). An
    exception during the write removes the temporary file and re-raises.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from typing import IO

__all__ = ["atomic_path", "atomic_write", "atomic_write_bytes"]


def _open_temp(path: str) -> tuple[IO[bytes], str]:
    """Create and open the temporary file next to ``path`` (a seam the tests slow down)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
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


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], overwrite: bool = True) -> Iterator[IO[bytes]]:
    """Open a binary file object whose content replaces ``path`` only when the block succeeds.

    See NOTE [atomic saves].

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
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists; pass overwrite=True to replace it.")
    file, tmp = _open_temp(path)
    try:
        with file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates files readable by the owner only; give the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
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
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path next to ``path`` (same folder, same file ending); once the body has
    written it, move it onto ``path`` with ``os.replace``, so ``path`` is always either the old
    complete file or the new complete one. On an error the temporary file is removed."""
    folder, name = os.path.split(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{uuid.uuid4().hex[:8]}-{name}")
    try:
        yield tmp
        if os.path.isfile(tmp):
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.exists(tmp):
            os.remove(tmp)
