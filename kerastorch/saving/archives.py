"""Opening the files saving reads: which kind a file is, zip members and their ``config.json``,
with errors that say what the file looks like instead of what failed inside ``zipfile``.

Shared by kerastorch's own format (``native.py``) and Keras's (``keras_files.py``).
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

from kerastorch.saving.serialization import SavingError

__all__ = [
    "CONFIG_MEMBER",
    "check_path",
    "foreign_file_error",
    "open_zip",
    "read_archive_config",
    "read_member",
    "sniff",
]

CONFIG_MEMBER = "config.json"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def check_path(filepath: Any) -> str:
    path = os.fspath(filepath)
    if os.path.isdir(path):
        raise SavingError(f"{path!r} is a folder; expected a model file.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file at {path!r}.")
    return path


def sniff(path: str) -> str:
    """What kind of file ``path`` is: ``"hdf5"``, ``"zip"`` or ``"other"``."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head == HDF5_SIGNATURE:
        return "hdf5"
    if zipfile.is_zipfile(path):
        return "zip"
    return "other"


def foreign_file_error(path: str, what: str = "a model file") -> SavingError:
    with open(path, "rb") as f:
        head = f.read(64)
    size = os.path.getsize(path)
    if not head:
        looks = "it is empty"
    elif head.startswith(b"PK"):
        looks = "it starts like a zip archive but is truncated or corrupt"
    elif all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        looks = f"it looks like a text file (starts with {head[:30].decode(errors='replace')!r})"
    else:
        looks = f"its first bytes are {head[:8]!r}"
    return SavingError(
        f"Cannot load {path!r} ({size} bytes) as {what}: {looks}. kerastorch reads its own "
        "'.kt' archives and '.weights.pt' files, Keras 3 '.keras' archives and '.weights.h5' "
        "files, and legacy Keras '.h5' models."
    )


def read_member(zf: zipfile.ZipFile, name: str, path: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError:
        raise SavingError(
            f"{path!r} has no member {name!r}: the archive is incomplete. Members found: "
            f"{sorted(zf.namelist())}."
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise SavingError(
            f"{path!r} is corrupt or truncated: reading {name!r} failed ({error})."
        ) from error


def open_zip(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise foreign_file_error(path) from error


def read_archive_config(zf: zipfile.ZipFile, path: str) -> dict[str, Any] | None:
    """The archive's ``config.json`` as a dict, or None if it has none."""
    if CONFIG_MEMBER not in zf.namelist():
        return None
    data = read_member(zf, CONFIG_MEMBER, path)
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SavingError(f"{path!r}: config.json is not valid JSON ({error}).") from error
    if not isinstance(config, dict):
        raise SavingError(f"{path!r}: config.json holds {type(config).__name__}, not an object.")
    return config
