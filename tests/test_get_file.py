"""``utils.get_file`` against Keras's ``keras.utils.get_file`` (pure Python, so it runs on the
torch backend), downloading ``file://`` URLs: the same cache layout, hashes and extraction."""

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from kerastorch.utils import get_file


def tree(folder):
    """``{relative path: bytes}`` of every file below ``folder``."""
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def both(keras, tmp_path, capsys):
    """Call Keras's get_file and kerastorch's with the same arguments, each with a cache of its
    own; returns both results relative to their cache folders."""

    def call(**kwargs):
        results = []
        for name, function in (("keras", keras.utils.get_file), ("kt", get_file)):
            cache = tmp_path / f"cache-{name}"
            # Keras ignores a cache_dir that does not exist yet (it downloads to /tmp/.keras);
            # kerastorch creates it. Both are given an existing folder here.
            cache.mkdir(exist_ok=True)
            path = function(cache_dir=str(cache), **kwargs)
            results.append((cache, Path(path).relative_to(cache).as_posix()))
        capsys.readouterr()  # the "Downloading data from" lines
        return results

    return call


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "server"
    folder.mkdir()
    return folder


def test_a_file_is_cached_under_keras_layout_and_downloaded_once(both, source):
    (source / "prices.csv").write_text("day,price\n1,9.5\n")
    url = (source / "prices.csv").as_uri()
    (keras_cache, keras_path), (kt_cache, kt_path) = both(origin=url)
    assert kt_path == keras_path == "datasets/prices.csv"
    assert (kt_cache / kt_path).read_text() == "day,price\n1,9.5\n"
    (source / "prices.csv").write_text("changed\n")
    both(origin=url)  # cached: not fetched again
    assert (kt_cache / kt_path).read_text() == (keras_cache / keras_path).read_text()
    assert (kt_cache / kt_path).read_text() == "day,price\n1,9.5\n"
    both(origin=url, force_download=True)
    assert (kt_cache / kt_path).read_text() == (keras_cache / keras_path).read_text() == "changed\n"
    (_, keras_named), (_, kt_named) = both(origin=url, fname="p.csv", cache_subdir="mine")
    assert kt_named == keras_named == "mine/p.csv"


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_hashes_are_checked_as_keras_checks_them(both, source, keras, tmp_path, algorithm):
    data = b"0123456789" * 100
    (source / "blob.bin").write_bytes(data)
    url = (source / "blob.bin").as_uri()
    good = hashlib.new(algorithm, data).hexdigest()
    (_, keras_path), (kt_cache, kt_path) = both(origin=url, file_hash=good)
    assert kt_path == keras_path and (kt_cache / kt_path).read_bytes() == data
    bad = "0" * len(good)
    for function in (keras.utils.get_file, get_file):
        cache = tmp_path / f"bad-{function.__module__}"
        cache.mkdir()
        with pytest.raises(ValueError, match="(?i)hash"):
            function(origin=url, file_hash=bad, cache_dir=str(cache), fname="b.bin")
        # Keras leaves the refused download in its cache, where a later call without file_hash
        # would take it; kerastorch deletes it (documented).
        kept = (cache / "datasets" / "b.bin").exists()
        assert kept == (function is keras.utils.get_file)
    # A cached file whose hash differs is downloaded again (Keras's md5_hash spelling too).
    (kt_cache / kt_path).write_bytes(b"stale")
    kwargs = {"md5_hash": good} if algorithm == "md5" else {"file_hash": good}
    get_file(origin=url, cache_dir=str(kt_cache), **kwargs)
    assert (kt_cache / kt_path).read_bytes() == data


def test_a_stale_cached_file_downloaded_again_is_checked_too(source, tmp_path, capsys):
    (source / "blob.bin").write_bytes(b"served")
    cache = tmp_path / "c"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "blob.bin").write_bytes(b"stale")
    with pytest.raises(ValueError, match="incomplete or corrupted"):
        get_file(origin=(source / "blob.bin").as_uri(), file_hash="0" * 64, cache_dir=cache)
    assert "downloading it again" in capsys.readouterr().out
    assert os.listdir(cache / "datasets") == []  # neither the stale nor the bad file is kept


def _tar_gz(path, files, extra=None):
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        if extra is not None:
            tar.addfile(extra)


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)


FILES = {"corpus/pos/a.txt": b"good film", "corpus/neg/b.txt": b"bad film", "README": b"hi"}


@pytest.mark.parametrize(
    ("archive", "write", "fname"),
    [
        ("data.tar.gz", _tar_gz, "data.tar.gz"),  # a name with an extension: "data_extracted"
        ("data.tar.gz", _tar_gz, "texts"),  # a name without: the folder is named by it
        ("data.zip", _zip, None),  # no name: the URL's, archive kept as "<name>_archive"
    ],
)
def test_archives_extract_to_the_folders_keras_uses(both, source, archive, write, fname):
    write(source / archive, FILES)
    (keras_cache, keras_path), (kt_cache, kt_path) = both(
        origin=(source / archive).as_uri(), fname=fname, extract=True
    )
    assert kt_path == keras_path
    assert tree(kt_cache / kt_path) == tree(keras_cache / keras_path) == FILES
    assert sorted(os.listdir(kt_cache / "datasets")) == sorted(os.listdir(keras_cache / "datasets"))


def test_members_that_would_escape_the_folder_are_skipped(source, tmp_path):
    link = tarfile.TarInfo("corpus/escape")
    link.type, link.linkname = tarfile.SYMTYPE, "../../../outside.txt"
    _tar_gz(source / "evil.tar.gz", {"../evil.txt": b"x", "ok.txt": b"fine"}, extra=link)
    with pytest.warns(UserWarning, match="outside"):
        path = get_file(
            origin=(source / "evil.tar.gz").as_uri(), extract=True, cache_dir=str(tmp_path / "c")
        )
    assert tree(path) == {"ok.txt": b"fine"}
    assert not (tmp_path / "c" / "datasets" / "evil.txt").exists()


def test_bad_arguments_and_failed_downloads_say_what_went_wrong(tmp_path):
    with pytest.raises(ValueError, match='pass origin="<the URL'):
        get_file("a.csv")
    with pytest.raises(ValueError, match="is a path; pass the folder as cache_dir="):
        get_file(os.path.join("sub", "a.csv"), origin="file:///x/a.csv", cache_dir=str(tmp_path))
    missing = (tmp_path / "nowhere.csv").as_uri()
    with pytest.raises(OSError, match=f"URL fetch failure on {missing}"):
        get_file(origin=missing, cache_dir=str(tmp_path / "c"))
    assert os.listdir(tmp_path / "c" / "datasets") == []  # no partial file left


def test_a_cache_dir_that_does_not_exist_yet_is_created(tmp_path, capsys):
    # Keras would silently download to /tmp/.keras instead (its writable check fails on a
    # missing folder); kerastorch creates the folder it was given (documented).
    (tmp_path / "f.txt").write_text("x")
    path = get_file(origin=(tmp_path / "f.txt").as_uri(), cache_dir=str(tmp_path / "new" / "c"))
    assert Path(path) == tmp_path / "new" / "c" / "datasets" / "f.txt"


def test_the_default_cache_is_keras_home(tmp_path, monkeypatch, capsys):
    (tmp_path / "f.txt").write_text("x")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = get_file(origin=(tmp_path / "f.txt").as_uri())
    assert Path(path) == tmp_path / "home" / "datasets" / "f.txt"
    assert capsys.readouterr().out == f"Downloading data from {(tmp_path / 'f.txt').as_uri()}\n"
