"""Datasets from a folder tree with one subfolder per class, as Keras's
``*_dataset_from_directory`` utilities: ``text_dataset_from_directory``.

NOTE [directory order]
    As Keras's ``index_directory``: class names are the subfolder names in sorted order (or the
    given ``class_names``, in their order); the files of each class come class by class, each
    class's files in sorted order of their paths (``os.walk``, folders and files sorted). With
    ``shuffle``, the list is then permuted once with ``np.random.RandomState(seed).shuffle``
    (the same permutation as Keras, so ``validation_split`` puts the same files in each subset:
    the last ``int(validation_split * n)`` files are the validation ones), and every pass over
    the training files draws them through a shuffle buffer of ``8 * batch_size`` files, as
    Keras's ``tf.data`` shuffle (whose draws are TensorFlow's: the files of a pass are the
    same, their order within the buffer's reach differs).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.utils.dataset import Pipeline

__all__ = ["index_directory", "text_dataset_from_directory"]

LABEL_MODES = ("int", "categorical", "binary", None)


def index_directory(
    directory: str | os.PathLike,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """The files of ``directory`` with one of ``formats``, their labels and the class names, in
    Keras's order (NOTE [directory order]).

    Args:
        directory: The root folder.
        labels: ``"inferred"`` (from the subfolders), a list of integer labels (one per file,
            in sorted path order), or None.
        formats: File endings to keep (lower case), e.g. ``(".txt",)``.
        class_names: With inferred labels, the subfolders to use, in this order.
        shuffle: Permute the files with ``np.random.RandomState(seed)``.
        seed: The permutation's seed (None: drawn from numpy's global generator).
        follow_links: Follow symbolic links to folders.
        verbose: Print Keras's "Found N files belonging to K classes.".

    Returns:
        ``(file_paths, labels, class_names)``; ``labels`` an ``int32`` array (None without
        labels), ``class_names`` None without labels.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {directory!r}: it does not exist.")
    if labels == "inferred":
        subdirs = [
            name
            for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={list(class_names)}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
    class_indices = {name: index for index, name in enumerate(subdirs)}
    paths: list[str] = []
    inferred: list[int] = []
    for subdir in subdirs:
        folder = os.path.join(directory, subdir)
        walk = sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0])
        for root, _, files in walk:
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(root, name))
                    inferred.append(class_indices[subdir])

    label_array: np.ndarray | None
    if labels == "inferred":
        label_array = np.asarray(inferred, dtype="int32")
        names: list[str] | None = subdirs
    elif labels is None:
        label_array, names = None, None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(paths)} files in "
                f"directory {directory}."
            )
        label_array = np.asarray(labels, dtype="int32")
        names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if label_array is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(names or [])} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, names


def _split(
    paths: list[str], labels: np.ndarray | None, validation_split: float | None, subset: str
) -> tuple[list[str], np.ndarray | None]:
    """Keras's split: the last ``int(validation_split * n)`` files are the validation ones."""
    if not validation_split:
        return paths, labels
    count = int(validation_split * len(paths))
    if subset == "training":
        print(f"Using {len(paths) - count} files for training.")
        keep = slice(0, len(paths) - count)
    else:
        print(f"Using {count} files for validation.")
        keep = slice(len(paths) - count, len(paths))
    return paths[keep], None if labels is None else labels[keep]


def _check_arguments(
    labels: Any,
    label_mode: str | None,
    class_names: Any,
    validation_split: float | None,
    subset: str | None,
    shuffle: bool,
    seed: int | None,
) -> None:
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                "as the number of text files in the target directory. If you wish to infer the "
                'labels from the subdirectory names in the target directory, pass `labels="'
                'inferred"`. If you wish to get a dataset that only contains text samples (no '
                f"labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if bool(validation_split) != bool(subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def _label_tensor(labels: np.ndarray, label_mode: str, num_classes: int) -> torch.Tensor:
    """Keras's label encodings: int32 ids, float32 ``(n, 1)`` for binary, float32 one-hot."""
    ids = torch.from_numpy(np.asarray(labels, dtype="int32"))
    if label_mode == "binary":
        return ids.float()[:, None]
    if label_mode == "categorical":
        return torch.nn.functional.one_hot(ids.long(), num_classes).float()
    return ids


def _read_text(path: str, max_length: int | None) -> str:
    with open(path, encoding="utf-8") as file:
        text = file.read()
    return text if max_length is None else text[:max_length]


def _text_pipeline(
    paths: list[str],
    labels: torch.Tensor | None,
    batch_size: int | None,
    max_length: int | None,
    shuffle: bool,
    seed: int | None,
    class_names: list[str] | None,
) -> Pipeline:
    source = np.asarray(paths, dtype=object)
    files = Pipeline.from_tensor_slices(source if labels is None else (source, labels))
    if shuffle:
        files = files.shuffle(1024 if batch_size is None else 8 * batch_size, seed=seed)
    if labels is None:
        texts = files.map(lambda path: _read_text(path, max_length))
    else:
        texts = files.map(lambda path, label: (_read_text(path, max_length), label))
    if batch_size is not None:
        texts = texts.batch(batch_size)
    texts.description = f"text_dataset_from_directory ({len(paths)} files)"
    texts.class_names = class_names
    return texts


def text_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> Pipeline | list[Pipeline]:
    """Batches of ``(texts, labels)`` from ``.txt`` files in one subfolder per class, as
    ``keras.utils.text_dataset_from_directory``.

    Files are listed and split in Keras's order (NOTE [directory order]); a file is read when
    its batch is. ``texts`` is a numpy array of Python ``str`` (dtype object: what a model with
    ``Input(shape=(1,), dtype="string")`` and ``TextVectorization`` takes); ``labels`` an int32
    tensor ``(batch,)`` (``label_mode="int"``), a float32 ``(batch, 1)`` (``"binary"``) or a
    float32 one-hot ``(batch, num_classes)`` (``"categorical"``). The result is a
    :class:`~kerastorch.utils.dataset.Pipeline` with ``class_names``, which ``fit`` takes as it
    is.

    Args:
        directory: Root folder; with ``labels="inferred"`` it holds one subfolder per class.
        labels: ``"inferred"``, a list of integer labels (one per file, in sorted path order),
            or None (texts only).
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` (exactly 2 classes) or None
            (texts only).
        class_names: With inferred labels, the subfolders to use, in this order.
        batch_size: Texts per batch; None for single texts.
        max_length: Keep at most this many characters of each text.
        shuffle: Shuffle the files (default True; else class by class, in sorted order).
        seed: Seed for shuffling (required with ``validation_split`` and ``shuffle``).
        validation_split: Fraction of the files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a list of the two datasets).
        follow_links: Follow symbolic links to folders.
        verbose: Print how many files and classes were found.

    Returns:
        A :class:`~kerastorch.utils.dataset.Pipeline`, or ``[train, validation]`` for
        ``subset="both"``.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for name, text in [("neg/a.txt", "bad"), ("pos/b.txt", "good"), ("pos/c.txt", "fine")]:
        ...     (root / name).parent.mkdir(exist_ok=True)
        ...     _ = (root / name).write_text(text)
        >>> data = text_dataset_from_directory(root, batch_size=2, shuffle=False)
        Found 3 files belonging to 2 classes.
        >>> data.class_names, [(t.tolist(), y.tolist()) for t, y in data]
        (['neg', 'pos'], [(['bad', 'good'], [0, 1]), (['fine'], [1])])
    """
    _check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    if batch_size is not None and (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size <= 0
    ):
        raise ValueError(
            "text_dataset_from_directory: expected batch_size to be a positive integer or "
            f"None, received batch_size={batch_size!r}."
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if seed is None:
        seed = np.random.randint(1e6)
    paths, label_ids, names = index_directory(
        directory,
        labels,
        formats=(".txt",),
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
    )
    if label_mode == "binary" and len(names or []) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={names}"
        )

    def dataset(subset_name: str | None, shuffled: bool) -> Pipeline:
        files, ids = _split(paths, label_ids, validation_split, subset_name or "training")
        if not files:
            which = f"{subset_name} " if subset == "both" else ""
            raise ValueError(
                f"No {which}text files found in directory {directory}. Allowed format: .txt"
            )
        label_values = None
        if ids is not None and label_mode is not None:
            label_values = _label_tensor(ids, label_mode, len(names or []))
        return _text_pipeline(files, label_values, batch_size, max_length, shuffled, seed, names)

    if subset == "both":
        return [dataset("training", shuffle), dataset("validation", False)]
    return dataset(subset, shuffle)
