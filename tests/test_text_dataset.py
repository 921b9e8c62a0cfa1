"""text_dataset_from_directory equals Keras 3's on a folder tree made by the test: the files, their
order, the labels in every label mode, the validation split.

Keras's default format="tf" needs TensorFlow (not installed). Its format="grain" path runs the
same argument checks and the same file indexing (``index_directory``: sorted classes, sorted
files, ``np.random.RandomState(seed)`` permutation, split), and hands the file list to Grain: a
stub for Grain gives Keras's own texts and labels, in Keras's order before its shuffle buffer.
"""

import types

import numpy as np
import pytest
import torch

import kerastorch as kt


class _Grain:
    """Just enough of grain's MapDataset for Keras's text path with batch_size=None."""

    def __init__(self, items):
        self.items = list(items)

    def map(self, fn):
        return _Grain(fn(item) for item in self.items)

    def shuffle(self, seed):  # Keras's RandomState permutation came before; grain's left out
        return self

    def to_iter_dataset(self):
        return self

    def __iter__(self):
        return iter(self.items)


@pytest.fixture
def keras_texts(keras, monkeypatch):
    from keras.src.utils import dataset_utils, text_dataset_utils

    grain = types.SimpleNamespace(
        MapDataset=types.SimpleNamespace(source=_Grain),
        experimental=types.SimpleNamespace(
            ZipMapDataset=lambda parts: _Grain(zip(*(p.items for p in parts), strict=True))
        ),
    )
    monkeypatch.setattr(text_dataset_utils, "grain", grain)
    monkeypatch.setattr(dataset_utils, "grain", grain)

    def texts(directory, **kwargs):
        """Keras's (texts, labels) of every file, in its order; a list of two for 'both'."""
        result = keras.utils.text_dataset_from_directory(
            str(directory), batch_size=None, format="grain", verbose=False, **kwargs
        )

        def unpack(dataset):
            items = list(dataset)
            if kwargs.get("label_mode", "int") is None or kwargs.get("labels", 1) is None:
                return items, None
            return [t for t, _ in items], np.array([np.asarray(y) for _, y in items])

        if isinstance(result, list):
            return [unpack(part) for part in result]
        return unpack(result)

    return texts


@pytest.fixture
def tree(tmp_path):
    """Three classes of different sizes, with a nested folder, a non-.txt file and a hidden
    folder (skipped), names whose sorted order is not their creation order."""
    files = {
        "b_neutral/10.txt": "ten",
        "b_neutral/9.txt": "nine",
        "b_neutral/sub/1.txt": "nested one",
        "a_negative/z.txt": "zzz bad",
        "a_negative/a.TXT": "upper case ending",
        "a_negative/x.md": "not text",
        "c_positive/p1.txt": "good one",
        "c_positive/p2.txt": "good two is longer",
        "c_positive/p3.txt": "great",
        "c_positive/p4.txt": "fine",
        ".hidden/h.txt": "hidden",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def ours(directory, **kwargs):
    return kt.utils.text_dataset_from_directory(directory, verbose=False, **kwargs)


def flatten(dataset):
    texts, labels = [], []
    for element in dataset:
        if isinstance(element, tuple):
            texts.extend(element[0].tolist())
            labels.append(element[1].numpy())
        else:
            texts.extend(element.tolist())
    return texts, (np.concatenate(labels) if labels else None)


@pytest.mark.parametrize("label_mode", ["int", "categorical", None])
def test_files_order_and_labels_match_keras(tree, keras_texts, label_mode):
    expected_texts, expected_labels = keras_texts(tree, label_mode=label_mode, shuffle=False)
    dataset = ours(tree, label_mode=label_mode, shuffle=False, batch_size=3)
    texts, labels = flatten(dataset)
    assert texts == expected_texts
    if label_mode is None:  # no classes: every .txt file under the root, hidden folders too
        assert dataset.class_names is None and len(texts) == 10 and len(dataset) == 4
        return
    assert dataset.class_names == ["a_negative", "b_neutral", "c_positive"]
    # Class by class, files in sorted path order: '10.txt' < '9.txt' < 'sub/1.txt'.
    assert texts[:5] == ["upper case ending", "zzz bad", "ten", "nine", "nested one"]
    np.testing.assert_array_equal(labels, expected_labels.reshape(labels.shape))
    first = next(iter(dataset))
    strings = first[0]
    assert isinstance(strings, np.ndarray) and strings.dtype == object and len(strings) == 3
    assert len(dataset) == 3  # 9 files in batches of 3
    if label_mode == "int":
        assert first[1].dtype == torch.int32 and first[1].tolist() == [0, 0, 1]
    if label_mode == "categorical":
        assert first[1].dtype == torch.float32 and first[1].shape == (3, 3)


def test_binary_labels_class_names_and_max_length_match_keras(tree, keras_texts):
    kwargs = {"class_names": ["c_positive", "a_negative"], "label_mode": "binary"}
    expected_texts, expected_labels = keras_texts(tree, shuffle=False, max_length=4, **kwargs)
    dataset = ours(tree, shuffle=False, max_length=4, batch_size=4, **kwargs)
    texts, labels = flatten(dataset)
    assert texts == expected_texts == ["good", "good", "grea", "fine", "uppe", "zzz "]
    assert dataset.class_names == ["c_positive", "a_negative"]
    assert labels.shape == (6, 1) and labels.dtype == np.float32
    np.testing.assert_array_equal(labels, expected_labels.reshape(6, 1))
    with pytest.raises(ValueError, match="there must be exactly 2 class_names"):
        ours(tree, label_mode="binary")


def test_explicit_labels_match_keras(tree, keras_texts):
    labels = [1, 0, 1, 0, 2, 2, 0, 1, 0, 1]  # 10 files: the hidden folder's too
    expected_texts, expected_labels = keras_texts(tree, labels=labels, shuffle=False)
    dataset = ours(tree, labels=labels, shuffle=False, batch_size=4)
    texts, got = flatten(dataset)
    assert texts == expected_texts and got.tolist() == expected_labels.tolist() == labels
    assert dataset.class_names == ["0", "1", "2"]


@pytest.mark.parametrize("subset", ["training", "validation", "both"])
def test_shuffle_and_validation_split_put_the_same_files_in_each_subset(tree, keras_texts, subset):
    kwargs = {"validation_split": 0.34, "subset": subset, "seed": 7}
    expected = keras_texts(tree, **kwargs)
    result = ours(tree, batch_size=2, **kwargs)
    parts = list(zip(expected, result, strict=True)) if subset == "both" else [(expected, result)]
    for (expected_texts, expected_labels), dataset in parts:
        for _ in range(2):  # every pass: the same files, in the buffer's order
            texts, labels = flatten(dataset)
            assert sorted(zip(texts, labels.tolist(), strict=True)) == sorted(
                zip(expected_texts, expected_labels.tolist(), strict=True)
            )
    # int(0.34 * 9) = 3 validation files: the last 3 of Keras's permutation.
    sizes = [len(flatten(d)[0]) for d in (result if subset == "both" else [result])]
    assert sizes == {"training": [6], "validation": [3], "both": [6, 3]}[subset]
    if subset == "both":  # the validation files come in Keras's order (never shuffled)
        assert flatten(result[1])[0] == expected[1][0]


def test_shuffle_draws_through_a_buffer_of_eight_batches(tmp_path, keras_texts):
    for i in range(40):
        (tmp_path / f"c{i % 2}").mkdir(exist_ok=True)
        (tmp_path / f"c{i % 2}" / f"{i:02d}.txt").write_text(str(i))
    keras_order, _ = keras_texts(tmp_path, seed=3)
    dataset = ours(tmp_path, seed=3, batch_size=2)  # a buffer of 16 files
    passes = [flatten(dataset)[0] for _ in range(2)]
    place = {text: q for q, text in enumerate(keras_order)}
    for texts in passes:
        assert sorted(texts) == sorted(keras_order)
        assert all(place[text] <= p + 15 for p, text in enumerate(texts))
    assert passes[0] != passes[1]


def test_argument_errors_match_keras(tree, keras):
    cases = [
        ({"label_mode": "sparse"}, "`label_mode` argument must be one of"),
        ({"labels": "folders"}, "`labels` argument should be a list/tuple of integer labels"),
        ({"validation_split": 0.2}, "If `subset` is set, `validation_split` must be set"),
        ({"validation_split": 1.5, "subset": "training"}, "must be between 0 and 1"),
        ({"validation_split": 0.2, "subset": "train", "seed": 1}, "`subset` must be either"),
        ({"validation_split": 0.2, "subset": "training"}, "you must provide a `seed`"),
        ({"class_names": ["nope"]}, "The `class_names` passed did not match"),
        ({"labels": [0, 1]}, "Expected the lengths of `labels` to match"),
    ]
    for kwargs, message in cases:
        if "did not match" not in message and "lengths of" not in message:
            # (Keras leaves a thread pool open when it raises those two: not run here.)
            with pytest.raises(ValueError, match=message):
                keras.utils.text_dataset_from_directory(
                    str(tree), format="grain", verbose=False, **kwargs
                )
        with pytest.raises(ValueError, match=message):
            ours(tree, **kwargs)
    (tree / "empty").mkdir()
    with pytest.raises(ValueError, match="No text files found in directory"):
        ours(tree / "empty", labels=None)


def test_keras_messages_are_printed(tree, capsys):
    ours_verbose = kt.utils.text_dataset_from_directory
    ours_verbose(tree, validation_split=0.34, subset="training", seed=1)
    assert capsys.readouterr().out.splitlines() == [
        "Found 9 files belonging to 3 classes.",
        "Using 6 files for training.",
    ]


def test_a_folder_of_texts_trains_an_lstm_through_a_mapped_pipeline(tmp_path, keras):
    """keras-io's "text classification from scratch" flow: text_dataset_from_directory, then
    ``dataset.map(vectorize)`` to token ids, then fit; equal to Keras trained on the same ids."""
    reviews = {
        "neg": ["bad movie", "awful plot and bad acting", "boring", "not good at all", "bad"],
        "pos": ["great movie", "good plot", "loved the acting", "good good good", "great fun"],
    }
    for label, texts in reviews.items():
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text)
    words = sorted({w for texts in reviews.values() for t in texts for w in t.split()})
    vocabulary = {word: index + 1 for index, word in enumerate(words)}

    def vectorize(texts, labels):
        ids = np.zeros((len(texts), 5), "int64")
        for row, text in enumerate(texts):
            tokens = [vocabulary[w] for w in text.split()][:5]
            ids[row, : len(tokens)] = tokens
        return torch.from_numpy(ids), labels.float()[:, None]

    dataset = kt.utils.text_dataset_from_directory(
        tmp_path, batch_size=4, shuffle=False, verbose=False
    ).map(vectorize)
    x = torch.cat([ids for ids, _ in dataset]).numpy()
    y = torch.cat([labels for _, labels in dataset]).numpy()
    assert x.shape == (10, 5) and y[:, 0].tolist() == [0.0] * 5 + [1.0] * 5

    reference = keras.Sequential(
        [
            keras.Input((5,), dtype="int64"),
            keras.layers.Embedding(len(words) + 1, 8),
            keras.layers.LSTM(4),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    reference.compile(optimizer="adam", loss="binary_crossentropy")
    model = kt.Sequential(
        [
            kt.layers.Input((5,), dtype="int64"),
            kt.layers.Embedding(len(words) + 1, 8),
            kt.layers.LSTM(4),
            kt.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.set_weights(reference.get_weights())
    expected = reference.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    actual = model.fit(dataset, epochs=3, verbose=0, validation_data=dataset.take(1))
    np.testing.assert_allclose(actual.history["loss"], expected.history["loss"], atol=1e-5)
    np.testing.assert_allclose(
        model.predict(dataset, verbose=0), reference.predict(x, verbose=0), atol=1e-5
    )
