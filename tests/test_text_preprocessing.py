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


# -- adapt sources, config, state ------------------------------------------------------------------

TEXTS = ["Good movie!", "bad movie", "a GREAT film", "an awful film", "good, good", "bad. bad"]
LABELS = np.array([1, 0, 1, 0, 1, 0], dtype="float32")


def test_adapt_on_a_list_an_array_a_generator_and_a_loader_gives_one_vocabulary():
    expected = layers.TextVectorization()
    expected.adapt(TEXTS)
    for data in (
        np.array(TEXTS),
        np.array(TEXTS)[:, None],
        (np.array(TEXTS[i : i + 2]) for i in range(0, 6, 2)),  # batches
        torch.utils.data.DataLoader(list(zip(TEXTS, LABELS, strict=True)), batch_size=4),
    ):
        layer = layers.TextVectorization()
        layer.adapt(data)
        assert layer.get_vocabulary() == expected.get_vocabulary()
    assert expected.get_vocabulary()[:4] == ["", "[UNK]", "good", "bad"]


def test_set_vocabulary_and_get_config_make_a_twin():
    layer = layers.TextVectorization(max_tokens=10, ngrams=2, output_sequence_length=6)
    layer.adapt(TEXTS)
    twin = layers.TextVectorization.from_config(layer.get_config())
    twin.set_vocabulary(layer.get_vocabulary())
    assert twin.get_vocabulary() == layer.get_vocabulary()
    assert torch.equal(twin(TEXTS), layer(TEXTS))
    assert layer.get_config()["vocabulary_size"] == 10


def test_vocabulary_travels_in_the_state_dict():
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["a", "b"], ["b", "c"]]))
    twin = layers.StringLookup.from_config(layer.get_config())
    twin.load_state_dict(layer.state_dict())
    assert twin.get_vocabulary() == ["[UNK]", "b", "c", "a"]
    queries = np.array([["a", "q"], ["b", "b"]])
    assert torch.equal(twin(queries), layer(queries))


def test_errors_name_the_layer_and_the_fix():
    with pytest.raises(ValueError, match=r"TextVectorization .*output_sequence_length.*'int'"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="expected output_mode to be one of"):
        layers.StringLookup(output_mode="ints")
    with pytest.raises(TypeError, match="expects strings.*IntegerLookup"):
        layers.StringLookup(vocabulary=["a"])(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="num_oov_indices=1"):
        layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=0)(torch.tensor([3]))
    with pytest.raises(RuntimeError, match="adapt"):
        layers.StringLookup(output_mode="multi_hot")(np.array([["a"]]))
    with pytest.raises(TypeError, match=r"one string.*adapt\(\[text\]\)"):
        layers.TextVectorization().adapt("just one text")


# -- a string model: raw text in, trained like the same model on token ids --------------------------


def _string_models(kind: str):
    """The same network twice, with the same weights: one reading raw strings, one token ids."""
    import kerastorch
    from kerastorch import Input, Model, Sequential

    vectorize = layers.TextVectorization(max_tokens=12, output_sequence_length=4)
    vectorize.adapt(TEXTS)

    def body():
        return [layers.Embedding(12, 6), layers.LSTM(5), layers.Dense(1, activation="sigmoid")]

    if kind == "sequential":
        text_model = Sequential([Input(shape=(1,), dtype="string"), vectorize, *body()])
    else:
        inputs = Input(shape=(1,), dtype="string")
        x = vectorize(inputs)
        for layer in body():
            x = layer(x)
        text_model = Model(inputs, x)
    ids_model = Sequential([Input(shape=(4,), dtype="int64"), *body()])
    ids_model.set_weights(text_model.get_weights())
    for model in (text_model, ids_model):
        model.compile(kerastorch.optimizers.Adam(0.05), "binary_crossentropy", metrics=["acc"])
    return vectorize, text_model, ids_model


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_a_string_model_trains_and_predicts_on_raw_strings(kind):
    vectorize, text_model, ids_model = _string_models(kind)
    texts = np.array(TEXTS * 4)[:, None]
    labels = np.tile(LABELS, 4)
    ids = vectorize(texts)
    torch.manual_seed(1)
    history = text_model.fit(texts, labels, epochs=3, batch_size=8, shuffle=True, verbose=0)
    torch.manual_seed(1)
    expected = ids_model.fit(ids, labels, epochs=3, batch_size=8, shuffle=True, verbose=0)
    for key in ("loss", "acc"):
        np.testing.assert_allclose(history.history[key], expected.history[key], atol=1e-6)
    queries = ["a good film", "a bad film"]
    assert_close_tensors(
        text_model.predict(queries, verbose=0), ids_model.predict(vectorize(queries), verbose=0)
    )
    assert_close_tensors(
        text_model.predict(np.array(queries)[:, None], verbose=0),
        ids_model.predict(vectorize(queries), verbose=0),
    )


def test_a_string_model_saved_to_kt_keeps_its_vocabulary(tmp_path):
    import kerastorch

    vectorize, text_model, _ = _string_models("sequential")
    queries = np.array([["good film"], ["awful movie"], ["unseen words"]])
    before = text_model.predict(queries, verbose=0)
    text_model.save(tmp_path / "text.kt")
    loaded = kerastorch.models.load_model(tmp_path / "text.kt")
    assert loaded.layers[0].get_vocabulary() == vectorize.get_vocabulary()
    assert_close_tensors(loaded.predict(queries, verbose=0), before)


def assert_close_tensors(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), atol=1e-6, rtol=0)


def test_a_string_model_trains_on_a_loader_and_a_generator_of_raw_strings():
    vectorize, text_model, ids_model = _string_models("sequential")
    texts, labels = np.array(TEXTS * 2), np.tile(LABELS, 2)
    loader = torch.utils.data.DataLoader(list(zip(texts, labels, strict=True)), batch_size=4)
    history = text_model.fit(loader, epochs=2, verbose=0)
    expected = ids_model.fit(
        vectorize(texts), labels, batch_size=4, epochs=2, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], atol=1e-6)

    def batches():
        for start in range(0, len(texts), 4):
            yield texts[start : start + 4], labels[start : start + 4]

    assert_close_tensors(
        text_model.predict(batches(), verbose=0), ids_model.predict(vectorize(texts), verbose=0)
    )
