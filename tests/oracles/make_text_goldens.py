"""Compute Keras's outputs for the text and lookup layers, which need TensorFlow, into
``text_goldens.json`` (tests/test_text_preprocessing.py compares kerastorch with it, so the
test suite never needs TensorFlow).

Regenerate (in an interpreter of its own, not the project's venv):

    python3 -m venv /work/venv-tf
    /work/venv-tf/bin/pip install tensorflow-cpu==2.21.0 keras==3.15.1
    /work/venv-tf/bin/python tests/oracles/make_text_goldens.py

Each case is (layer class, constructor arguments, adapt data or None, inputs); the file records
them with the vocabulary (or bin boundaries) Keras learned and its output, so a test re-makes
the same layer in kerastorch from the same case.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

OUT = Path(__file__).with_name("text_goldens.json")

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "THE DOG barks; the fox runs!",
    "Éclair and naïve café, the CAFÉ (again)",
    "tabs\tand\nnewlines  and\u00a0no-break spaces",
    "it's a dog's life: e-mail me@example.com #tags 100% [yes] {no} ~tilde_",
    "fox fox dog dog cat cat bird",
    "",
]
QUERIES = np.array(
    [
        ["the fox and the cat"],
        ["A brown bird, a brown DOG!"],
        ["unknown words only"],
        [""],
        ["Éclair café NAÏVE"],
    ]
)
RNG = np.random.RandomState(0)
NUMBERS = np.round(RNG.normal(size=(40, 1)) * 3, 3).astype("float32")
INTS = np.array([[3, 7, 7, 12], [7, 1, 3, 3], [12, 12, 12, 5], [0, 5, 42, 7]])
INT_QUERIES = np.array([[3, 7, 99, 0], [12, 5, -4, 1000], [42, 1, 2, 6]])
WORDS = np.array([["a", "b", "b"], ["c", "b", "a"], ["d", "d", "d"], ["b", "c", "e"]])
WORD_QUERIES = np.array([["a", "z", "b"], ["e", "", "q"], ["c", "d", "unseen"]])


def tv(**kwargs):
    return ("TextVectorization", kwargs, CORPUS, QUERIES)


CASES = [
    tv(),
    tv(max_tokens=8, output_sequence_length=5),
    tv(ngrams=2, output_sequence_length=12),
    tv(ngrams=(1, 3), max_tokens=30, output_sequence_length=10),
    tv(standardize="lower", output_sequence_length=8),
    tv(standardize="strip_punctuation", output_sequence_length=8),
    tv(standardize=None, output_sequence_length=8),
    tv(split="character", output_sequence_length=20),
    tv(split=None, max_tokens=5),
    tv(output_mode="multi_hot"),
    tv(output_mode="count", max_tokens=10),
    tv(output_mode="count", max_tokens=12, pad_to_max_tokens=True),
    tv(output_mode="tf_idf"),
    tv(output_mode="tf_idf", max_tokens=10, pad_to_max_tokens=True, ngrams=2),
    (
        "TextVectorization",
        {"vocabulary": ["fox", "dog", "the"], "output_sequence_length": 6},
        None,
        QUERIES,
    ),
    (
        "TextVectorization",
        {
            "vocabulary": ["fox", "dog", "the"],
            "idf_weights": [0.5, 1.0, 2.0],
            "output_mode": "tf_idf",
        },
        None,
        QUERIES,
    ),
    ("StringLookup", {}, WORDS, WORD_QUERIES),
    ("StringLookup", {"num_oov_indices": 3}, WORDS, WORD_QUERIES),
    ("StringLookup", {"num_oov_indices": 3, "salt": [7, 11]}, WORDS, WORD_QUERIES),
    ("StringLookup", {"mask_token": "", "max_tokens": 4}, WORDS, WORD_QUERIES),
    ("StringLookup", {"output_mode": "multi_hot", "mask_token": ""}, WORDS, WORD_QUERIES),
    ("StringLookup", {"output_mode": "count", "num_oov_indices": 2}, WORDS, WORD_QUERIES),
    ("StringLookup", {"output_mode": "one_hot"}, WORDS, WORD_QUERIES[:, :1]),
    ("StringLookup", {"output_mode": "tf_idf"}, WORDS, WORD_QUERIES),
    (
        "StringLookup",
        {"vocabulary": ["a", "b", "c"], "invert": True},
        None,
        np.array([[1, 0, 3], [2, 2, 7]]),
    ),
    (
        "StringLookup",
        {"vocabulary": ["a", "b", "c"], "mask_token": "[MASK]", "invert": True},
        None,
        np.array([[1, 0, 3], [2, 4, 2]]),
    ),
    ("IntegerLookup", {}, INTS, INT_QUERIES),
    ("IntegerLookup", {"num_oov_indices": 2}, INTS, INT_QUERIES),
    ("IntegerLookup", {"num_oov_indices": 3, "oov_method": "farmhash"}, INTS, INT_QUERIES),
    ("IntegerLookup", {"mask_token": 0, "max_tokens": 5}, INTS, INT_QUERIES),
    ("IntegerLookup", {"output_mode": "multi_hot"}, INTS, INT_QUERIES),
    ("IntegerLookup", {"output_mode": "count", "mask_token": 0}, INTS, INT_QUERIES),
    ("IntegerLookup", {"output_mode": "tf_idf"}, INTS, INT_QUERIES),
    (
        "IntegerLookup",
        {"vocabulary": [12, 36, 1138, 42], "invert": True},
        None,
        np.array([[1, 0, 4], [3, 3, 9]]),
    ),
    ("Hashing", {"num_bins": 3}, None, np.array([["A"], ["B"], ["C"], ["D"], ["E"]])),
    ("Hashing", {"num_bins": 1000}, None, np.array([CORPUS[:3], ["x" * 17, "y" * 40, "z" * 65]])),
    (
        "Hashing",
        {"num_bins": 1000, "mask_value": ""},
        None,
        np.array([["", "a", "b"], ["c", "", "long" * 40]]),
    ),
    ("Hashing", {"num_bins": 50}, None, INT_QUERIES),
    ("Hashing", {"num_bins": 50, "mask_value": 0}, None, INT_QUERIES),
    ("Hashing", {"num_bins": 50}, None, np.array([[1.7, -2.2, 0.0]], dtype="float32")),
    ("Hashing", {"num_bins": 11, "salt": 133}, None, np.array([["A", "B"], ["C", "D"]])),
    ("Hashing", {"num_bins": 11, "salt": [1, 2]}, None, INT_QUERIES),
    (
        "Hashing",
        {"num_bins": 7, "output_mode": "multi_hot"},
        None,
        np.array([["a", "b", "c"], ["d", "a", "a"]]),
    ),
    (
        "Hashing",
        {"num_bins": 7, "output_mode": "count"},
        None,
        np.array([["a", "b", "c"], ["d", "a", "a"]]),
    ),
    ("Hashing", {"num_bins": 7, "output_mode": "one_hot"}, None, np.array([["a"], ["b"], ["c"]])),
    ("Discretization", {"num_bins": 4}, NUMBERS, NUMBERS[:10]),
    ("Discretization", {"num_bins": 5, "epsilon": 0.1}, NUMBERS, NUMBERS[:10]),
    ("Discretization", {"num_bins": 3, "output_mode": "one_hot"}, NUMBERS, NUMBERS[:6]),
    ("Discretization", {"num_bins": 4}, np.arange(8.0), np.arange(8.0)),
]

# Strings of every length branch of FarmHash (0-16, 17-32, 33-64, >64 in 64-byte chunks).
HASH_STRINGS = (
    ["", "a", "ab", "abc", "abcd", "abcdefg", "abcdefgh"]
    + [
        "".join(chr(97 + (i * 7 + j) % 26) for j in range(n))
        for i, n in enumerate(
            [9, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128, 129, 200, 1000]
        )
    ]
    + ["naïve café ☕", "-1", "0", "123456789"]
)
HASH_BUCKETS = 2**63 - 1  # the most TensorFlow allows: the bucket is the hash, almost exactly


def jsonable(value):
    if isinstance(value, (tf.Tensor, np.ndarray)):
        value = np.asarray(value)
        if value.dtype.kind in "SO":
            return [jsonable(v) for v in value.tolist()] if value.ndim else jsonable(value.item())
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


def main() -> None:
    cases = []
    for name, kwargs, adapt, inputs in CASES:
        layer = getattr(keras.layers, name)(**kwargs)
        if adapt is not None:
            layer.adapt(adapt if name != "TextVectorization" else np.array(adapt))
        output = layer(inputs)
        case = {
            "layer": name,
            "config": kwargs,
            "adapt": jsonable(adapt),
            "inputs": jsonable(inputs),
            "input_dtype": str(np.asarray(inputs).dtype.kind),
            "output": jsonable(output),
        }
        if hasattr(layer, "get_vocabulary"):
            case["vocabulary"] = jsonable(layer.get_vocabulary())
        if name == "Discretization":
            case["bin_boundaries"] = [float(b) for b in layer.bin_boundaries]
        cases.append(case)
    fast = tf.strings.to_hash_bucket_fast(HASH_STRINGS, HASH_BUCKETS).numpy().tolist()
    strong = (
        tf.strings.to_hash_bucket_strong(HASH_STRINGS, HASH_BUCKETS, key=[7, 11]).numpy().tolist()
    )
    golden = {
        "generated_by": f"keras {keras.__version__}, tensorflow {tf.__version__}",
        "hash_strings": HASH_STRINGS,
        "hash_buckets": HASH_BUCKETS,
        "to_hash_bucket_fast": fast,
        "to_hash_bucket_strong_key_7_11": strong,
        "cases": cases,
    }
    OUT.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
