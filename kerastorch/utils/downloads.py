"""``keras.utils.get_file``: download a file once into a cache, verify it, extract archives.

NOTE [downloads]
    The cache, the file names and the extraction folders are Keras's, so a dataset Keras already
    downloaded (``~/.keras/datasets``, or ``$KERAS_HOME``) is found, not fetched again, and a
    script's later ``open(path)`` sees the same layout. A download goes through kerastorch's
    atomic writes (NOTE [atomic saves]) and one that fails its ``file_hash`` is deleted, so an
    interrupted, failed or corrupted download never leaves a file that a later call would take
    for the cached one. Archive members that would land outside the extraction folder
    (``../x``, absolute paths, links pointing out) are skipped with a warning, as Keras does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import Any

from kerastorch.saving.atomic import atomic_write

__all__ = ["get_file"]

_CHUNK = 1 << 16


def get_file(
    fname: str | os.PathLike[str] | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | list[str] | None = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = False,
) -> str:
    """Download ``origin`` into the cache unless it is there already, as ``keras.utils.get_file``
    (NOTE [downloads]).

    Args:
        fname: The file's name in the cache; ``None`` takes the last part of ``origin``'s path.
            With ``extract=True``, a name without an extension names the extraction folder.
        origin: The URL to download (``https://``, ``http://``, ``ftp://`` or ``file://``).
        untar: Keras's older spelling of ``extract=True`` for tar archives.
        md5_hash: Keras's older spelling of ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: The expected sha256 (64 hex digits) or md5 hash of the file: a cached file
            that does not match is downloaded again, a download that does not match is
            deleted and refused.
        cache_subdir: The folder under ``cache_dir`` (an absolute path is used as it is).
        hash_algorithm: ``"sha256"``, ``"md5"``, or ``"auto"`` (sha256 for a 64-digit hash).
        extract: Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``) or zip archive and return
            the folder it was extracted to.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of them, or
            ``None`` (no extraction).
        cache_dir: The cache folder; ``None`` is ``$KERAS_HOME``, else ``~/.keras`` (the
            same cache as Keras's), else ``/tmp/.keras`` when that is not writable.
        force_download: Download again even when the file is cached.

    Returns:
        The path of the downloaded file, or of the extraction folder with ``extract=True``.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> (folder / "prices.csv").write_text("day,price\\n1,9.5\\n")
        16
        >>> path = get_file(origin=(folder / "prices.csv").as_uri(), cache_dir=folder / "cache")
        Downloading data from file://...
        >>> pathlib.Path(path).relative_to(folder).as_posix()
        'cache/datasets/prices.csv'
    """
    if origin is None:
        raise ValueError('get_file: pass origin="<the URL of the file to download>".')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got {hash_algorithm!r}."
        )
    folder = _cache_folder(cache_dir, cache_subdir)
    given_name = os.fspath(fname) if fname is not None else ""
    name = given_name or os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(
            f"get_file: no file name in origin={origin!r}; pass fname= to name the file."
        )
    if os.sep in name:
        raise ValueError(
            f"get_file: fname={name!r} is a path; pass the folder as cache_dir= and the file "
            "name as fname=."
        )
    extracting = extract or untar
    target, extraction_folder = _cache_paths(folder, name, bool(given_name), extracting)

    download = force_download or not target.exists()
    if not download and file_hash is not None and not _matches(target, file_hash, hash_algorithm):
        print(
            f"A local file was found, but its {_algorithm(hash_algorithm, file_hash)} hash does "
            f"not match {file_hash}: downloading it again."
        )
        download = True
    if download:
        _download(origin, target)
        if file_hash is not None and not _matches(target, file_hash, hash_algorithm):
            target.unlink()
            raise ValueError(
                f"get_file: the file downloaded from {origin} is incomplete or corrupted: its "
                f"{_algorithm(hash_algorithm, file_hash)} hash does not match file_hash="
                f"{file_hash!r}."
            )

    if not extracting:
        return str(target)
    formats = "tar" if untar else archive_format
    if not _extract(target, extraction_folder, formats):
        warnings.warn(
            f"get_file: {target} is not a {formats} archive; nothing was extracted.", stacklevel=2
        )
    return str(extraction_folder)


def _cache_folder(cache_dir: Any, cache_subdir: str) -> Path:
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    base = Path(os.path.expanduser(os.fspath(cache_dir)))
    base.mkdir(parents=True, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = Path(tempfile.gettempdir()) / ".keras"
    folder = base / cache_subdir
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cache_paths(folder: Path, name: str, named: bool, extracting: bool) -> tuple[Path, Path]:
    """Keras's layout: ``(download target, extraction folder)``."""
    if not extracting:
        return folder / name, folder / name
    if named and "." in name:  # "data.tar.gz": the archive keeps its name
        return folder / name, folder / f"{name[: name.index('.')]}_extracted"
    return folder / f"{name}_archive", folder / name


def _download(origin: str, target: Path) -> None:
    """Fetch ``origin`` into ``target`` through an atomic write (NOTE [atomic saves]): a failed
    or killed download leaves no partial file, and a later call removes a killed one's leftover."""
    print(f"Downloading data from {origin}")
    with atomic_write(target) as out:
        try:
            with urllib.request.urlopen(origin) as response:
                shutil.copyfileobj(response, out, _CHUNK)
        except urllib.error.HTTPError as error:
            failure = f"{error.code} -- {error.msg}"
            raise OSError(f"URL fetch failure on {origin}: {failure}") from None
        except urllib.error.URLError as error:
            raise OSError(f"URL fetch failure on {origin}: {error.reason}") from None


def _algorithm(hash_algorithm: str, file_hash: str) -> str:
    if hash_algorithm == "auto":
        return "sha256" if len(file_hash) == 64 else "md5"
    return hash_algorithm


def _matches(path: Path, file_hash: str, hash_algorithm: str) -> bool:
    digest = hashlib.new(_algorithm(hash_algorithm, file_hash))
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest() == str(file_hash)


def _extract(archive: Path, folder: Path, formats: str | list[str] | None) -> bool:
    """Extract a tar or zip ``archive`` into ``folder``; ``False`` when it is neither."""
    if formats is None:
        return False
    if formats == "auto":
        formats = ["tar", "zip"]
    kinds = [formats] if isinstance(formats, str) else formats
    for kind in kinds:
        if kind not in ("tar", "zip"):
            raise ValueError(
                f"get_file: archive_format must be 'auto', 'tar', 'zip' or None, got {kind!r}."
            )
        if kind == "tar" and tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                members = [m for m in tar.getmembers() if _stays_inside(folder, m)]
                tar.extractall(folder, members=members, **_TAR_DATA_FILTER)
            return True
        if kind == "zip" and zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zip_file:
                members = [m for m in zip_file.infolist() if _stays_inside(folder, m)]
                zip_file.extractall(folder, members=members)
            return True
    return False


# Python 3.12's safe tar extraction (back-ported to 3.10.12 / 3.11.4): regular files and folders
# only, no device files or permission bits beyond the user's.
_TAR_DATA_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def _inside(folder: Path, relative: str) -> bool:
    root = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(root, relative))
    return os.path.commonpath([root, path]) == root


def _stays_inside(folder: Path, member: tarfile.TarInfo | zipfile.ZipInfo) -> bool:
    name = member.filename if isinstance(member, zipfile.ZipInfo) else member.name
    inside = _inside(folder, name)
    if inside and isinstance(member, tarfile.TarInfo) and (member.issym() or member.islnk()):
        # A hard link names a path from the archive's root, a symlink one from its own folder.
        base = "" if member.islnk() else os.path.dirname(name)
        inside = _inside(folder, os.path.join(base, member.linkname))
    if not inside:
        warnings.warn(
            f"get_file: skipped the archive member {name!r}, which would be written outside "
            f"{folder}.",
            stacklevel=4,
        )
    return inside
