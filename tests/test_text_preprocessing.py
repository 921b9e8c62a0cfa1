"""TextVectorization, StringLookup, IntegerLookup, Hashing and Discretization's adapt against
Keras's own outputs.

Those Keras layers need TensorFlow even on the torch backend, so their outputs were computed once
with Keras 3.15.1 on TensorFlow 2.21 by tests/oracles/make_text_goldens.py into
tests/oracles/text_goldens.json (the script says how to regenerate it); these tests re-make each
case in kerastorch and compare vocabularies, boundaries and outputs exactly (float outputs to
1e-5). Keras returns its "multi_hot" / "count" vectors as int64 here and float32 elsewhere;
kerastorch's are float32 always (what a Dense takes). CategoryEncoding and Discretization's calls run on Keras's torch backend: compared live in
tests/test_categorical_preprocessing.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from kerastorch import layers
from kerastorch.utils.hashing import hash_bucket

GOLDENS = json.loads(
    (Path(__file__).parent / "oracles" / "text_goldens.json").read_text(encoding="utf-8")
)


def _case_id(case: dict) -> str:
    config = ",".join(f"{k}={v}" for k, v in case["config"].items() if k != "idf_weights")
    return f"{case['layer']}({config})"


def _inputs(case: dict) -> np.ndarray:
    values = case["inputs"]
    if case["input_dtype"] in "US":
        return np.array(values, dtype=str)
    if case["input_dtype"] == "f":
        return np.array(values, dtype=np.float32)
    return np.array(values, dtype=np.int64)


def _adapt_data(case: dict) -> np.ndarray:
    data = np.array(case["adapt"])
    return data.astype(np.float32) if data.dtype.kind == "f" else data


@pytest.mark.parametrize("case", GOLDENS["cases"], ids=_case_id)
def test_layer_matches_keras(case):
    layer = getattr(layers, case["layer"])(**case["config"])
    if case["adapt"] is not None:
        layer.adapt(_adapt_data(case))
    if "vocabulary" in case:
        assert layer.get_vocabulary() == case["vocabulary"]
    if "bin_boundaries" in case:
        np.testing.assert_allclose(layer.bin_boundaries, case["bin_boundaries"], rtol=0, atol=1e-6)
    output = layer(_inputs(case))
    expected = case["output"]
    if isinstance(output, np.ndarray):  # StringLookup(invert=True): strings
        assert output.tolist() == expected
        return
    expected = np.array(expected)
    assert tuple(output.shape) == expected.shape
    if case["config"].get("output_mode", "int") == "int":
        assert output.dtype == torch.int64
        np.testing.assert_array_equal(output.numpy(), expected)
    else:
        np.testing.assert_allclose(output.numpy(), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("salted", [False, True], ids=["farmhash64", "siphash"])
def test_hash_buckets_match_tensorflow(salted):
    key = [7, 11] if salted else None
    name = "to_hash_bucket_strong_key_7_11" if salted else "to_hash_bucket_fast"
    buckets = GOLDENS["hash_buckets"]
    ours = [hash_bucket(s, buckets, key) for s in GOLDENS["hash_strings"]]
    assert ours == GOLDENS[name]
