"""Opening the files saving reads: which kind a file is, zip members and their ``config.json``,
with errors that say what the file looks like instead of what failed inside ``zipfile``.

Shared by kerastorch's own format (``native.py``) and Keras's (``keras_files.py``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from kerastorch.saving.serialization import SavingError

__all__ = [
    "CONFIG_MEMBER",
    "allocation_limit",
    "check_member_size",
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


# A member that would inflate to more than this, and to more than MAX_EXPANSION times the bytes
# it takes in the file, is refused before it is read (a "zip bomb"). kerastorch and Keras store
# their members uncompressed (ratio 1), and real weights deflate little.
BOMB_FLOOR_BYTES = 1 << 26  # 64 MiB
MAX_EXPANSION = 100


def check_member_size(info: zipfile.ZipInfo, path: str) -> None:
    """Refuse a member whose declared size is implausible for what the file holds, before any
    byte of it is decompressed (zipfile never inflates more than the declared size).

    Example:
        >>> info = zipfile.ZipInfo("model.weights.pt")
        >>> info.file_size, info.compress_size = 2**31, 2**21
        >>> check_member_size(info, "m.kt")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        kerastorch.saving.serialization.SavingError: 'm.kt': the member 'model.weights.pt' ...
    """
    expansion = info.file_size // max(1, info.compress_size)
    if info.file_size > BOMB_FLOOR_BYTES and expansion > MAX_EXPANSION:
        raise SavingError(
            f"{path!r}: the member {info.filename!r} takes {info.compress_size} bytes in the file "
            f"but would inflate to {info.file_size} bytes ({expansion} times more): a "
            "decompression bomb, not a saved model (kerastorch and Keras store members "
            "uncompressed). Nothing was read."
        )


def read_member(zf: zipfile.ZipFile, name: str, path: str) -> bytes:
    try:
        check_member_size(zf.getinfo(name), path)
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


# The torch functions that allocate a new tensor of a given size (``torch.empty(3, 4)``,
# ``torch.zeros((3, 4))``, ``torch.full((3, 4), 0.5)``): nn.Module layers create their weights
# with them.
_FACTORIES = frozenset(
    (torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn, torch.empty_strided)
)
# Allocations up to this many values are always allowed (buffers of a model without weights).
_ALWAYS_ALLOWED = 1 << 24


def _requested_numel(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int | None:
    size = kwargs.get("size", args[0] if args else None)
    if isinstance(size, (int, torch.SymInt)):
        size = [a for a in args if isinstance(a, int)]  # torch.empty(3, 4)
    if not isinstance(size, (tuple, list, torch.Size)):
        return None
    try:
        return math.prod(int(d) for d in size)
    except (TypeError, ValueError):
        return None


class _AllocationLimit(TorchFunctionMode):
    def __init__(self, total: int, path: str) -> None:
        super().__init__()
        self.total, self.path = total, path
        self.limit = max(total, _ALWAYS_ALLOWED)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FACTORIES:
            numel = _requested_numel(args, kwargs)
            if numel is not None and numel > self.limit:
                size = kwargs.get("size", args[0] if len(args) == 1 else args)
                raise SavingError(
                    f"{self.path!r}: the architecture in config.json would create a tensor of "
                    f"size {tuple(size) if isinstance(size, (list, tuple)) else size} "
                    f"({numel} values), more than all the weights in the file hold together "
                    f"({self.total} values): the architecture does not match its "
                    "weights (a damaged or hostile file). Nothing was allocated."
                )
        return func(*args, **kwargs)


@contextlib.contextmanager
def allocation_limit(weights: Any, path: str) -> Iterator[None]:
    """While a model is built from a file's config: refuse to allocate any tensor bigger than
    all the file's weights together, which could only come from an architecture that does not
    match them (``LSTM(units=200000)`` would allocate 640 GB before its shapes are compared).

    Example:
        >>> with allocation_limit({"w": torch.zeros(2, 2)}, "m.kt"):  # doctest: +ELLIPSIS
        ...     torch.empty(100_000, 100_000)
        Traceback (most recent call last):
        ...
        kerastorch.saving.serialization.SavingError: 'm.kt': the architecture in config.json ...
    """
    values = weights.values() if isinstance(weights, Mapping) else []
    total = sum(value.numel() for value in values if torch.is_tensor(value))
    with _AllocationLimit(total, path):
        yield
