"""PyTorch exits: torch.export, TorchScript, ONNX (kerastorch.export), stable state_dict keys, and
docs/guides/export.md's "drop kerastorch entirely" snippets, run exactly as the page shows them.

Reference outputs come from ``model.predict``; the plain-torch snippets run in a subprocess in which
kerastorch cannot be imported.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import kerastorch as kt
from kerastorch.export import ExportCheckError, example_input, export_program, to_onnx
from kerastorch.layers import (
    GRU,
    LSTM,
    BatchNormalization,
    Bidirectional,
    Conv1D,
    Dense,
    Embedding,
    LayerNormalization,
    Masking,
    SimpleRNN,
)
from tests.helpers import SUBPROCESS_TIMEOUT, assert_close

DOCS = Path(__file__).resolve().parents[1] / "docs" / "guides" / "export.md"
# torch's own nn.LSTM warns under torch.export (its _flat_weights list); harmless, not ours.
LSTM_EXPORT_NOISE = "ignore:The tensor attributes .*_flat_weights:UserWarning"
TORCHSCRIPT_ONNX_DEPRECATED = (
    "ignore:You are using the legacy TorchScript-based ONNX export:DeprecationWarning"
)
TORCHSCRIPT_ONNX_INTERNALS = "ignore:The feature will be removed:DeprecationWarning"
HAS_ONNX = all(importlib.util.find_spec(m) for m in ("onnx", "onnxscript"))
HAS_ORT = importlib.util.find_spec("onnxruntime") is not None
needs_onnx = pytest.mark.skipif(
    not (HAS_ONNX and HAS_ORT),
    reason="the onnx extra is not installed (pip install 'kerastorch-lib[onnx]': onnx, "
    "onnxscript, onnxruntime)",
)


def docs_block(name: str) -> str:
    """The ```python block that follows ``<!-- test: name -->`` in docs/guides/export.md."""
    match = re.search(
        rf"<!-- test: {re.escape(name)} -->\n```python\n(.*?)```", DOCS.read_text(), re.S
    )
    assert match, f"docs/guides/export.md has no block marked <!-- test: {name} -->"
    return match.group(1)


def lstm_model(timesteps, seed=1):
    """Input((timesteps, 5)) -> LSTM(16) -> Dense(1), with non-trivial biases."""
    torch.manual_seed(seed)
    model = kt.Sequential([kt.Input((timesteps, 5)), LSTM(16), Dense(1)])
    model.set_weights(
        [
            w + 0.1 * np.random.default_rng(seed).standard_normal(w.shape)
            for w in model.get_weights()
        ]
    )
    return model


def data(batch, timesteps, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, timesteps, 5)).astype(np.float32)


@pytest.fixture(scope="module")
def masked_model():
    """Input((None, 5)) -> Masking -> LSTM(16) -> Dense(1)."""
    source = lstm_model(None)
    masked = kt.Sequential([kt.Input((None, 5)), Masking(), LSTM(16), Dense(1)])
    masked.set_weights(source.get_weights())
    return masked


@pytest.fixture(scope="module")
def dynamic_model(masked_model):
    """The masked model's twin without Masking, sharing its weights (docs/guides/export.md)."""
    return kt.Sequential([kt.Input((None, 5)), *masked_model.layers[1:]])


@pytest.fixture(scope="module")
def exported(dynamic_model, tmp_path_factory):
    """The dynamic-length model as a .pt2 program and (with the onnx extra) an ONNX file."""
    folder = tmp_path_factory.mktemp("exported")
    program = export_program(dynamic_model)
    torch.export.save(program, folder / "model.pt2")
    onnx_path = to_onnx(dynamic_model, folder / "model.onnx") if HAS_ONNX and HAS_ORT else None
    return {"folder": folder, "program": program, "onnx": onnx_path}


# -- state_dict --------------------------------------------------------------------------------


def test_state_dict_keys_are_stable_and_readable():
    first, second = lstm_model(None, seed=1), lstm_model(None, seed=2)
    expected = [
        "lstm.lstm.weight_ih_l0",
        "lstm.lstm.weight_hh_l0",
        "lstm.lstm.bias_ih_l0",
        "lstm.lstm.bias_hh_l0",
        "dense.linear.weight",
        "dense.linear.bias",
    ]
    assert list(first.state_dict()) == expected
    assert list(second.state_dict()) == expected
    # A second LSTM in one model is numbered within the model, whatever exists elsewhere.
    stacked = kt.Sequential([kt.Input((None, 5)), LSTM(4, return_sequences=True), LSTM(3)])
    assert [k for k in stacked.state_dict() if k.endswith("weight_ih_l0")] == [
        "lstm.lstm.weight_ih_l0",
        "lstm_1.lstm.weight_ih_l0",
    ]


def _load(module, state, prefix, rename=lambda key: key):
    module.load_state_dict(
        {rename(k[len(prefix) :]): v for k, v in state.items() if k.startswith(prefix)}
    )
    return module.eval()


def test_docs_mapping_table_rows():
    """Each row of docs/guides/export.md's table: the plain torch module loads the prefix strictly and
    computes what the kerastorch layer computes."""
    x = torch.randn(3, 6, 4)
    checks = []

    model = kt.Sequential([kt.Input((None, 4)), GRU(5)])
    gru = _load(nn.GRU(4, 5, batch_first=True), model.state_dict(), "gru.gru.")
    checks.append((gru(x)[0][:, -1], model(x)))

    model = kt.Sequential([kt.Input((None, 4)), SimpleRNN(5)])
    rnn = _load(nn.RNN(4, 5, batch_first=True), model.state_dict(), "simple_rnn.rnn.")
    checks.append((rnn(x)[0][:, -1], model(x)))

    model = kt.Sequential([kt.Input((None, 4)), Conv1D(5, 3)])
    conv = _load(nn.Conv1d(4, 5, 3), model.state_dict(), "conv1d.conv.")
    checks.append((conv(x.transpose(1, 2)).transpose(1, 2), model(x)))

    model = kt.Sequential([kt.Input((None, 4)), BatchNormalization()])
    model.set_weights([np.random.rand(4) + 0.5 for _ in range(4)])
    names = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean"}
    names["moving_variance"] = "running_var"
    norm = nn.BatchNorm1d(4, eps=1e-3)
    norm.load_state_dict(
        {**norm.state_dict(), **{names[k.split(".")[-1]]: v for k, v in model.state_dict().items()}}
    )
    checks.append((norm.eval()(x.transpose(1, 2)).transpose(1, 2), model(x)))

    model = kt.Sequential([kt.Input((None, 4)), LayerNormalization()])
    model.set_weights([np.random.rand(4), np.random.rand(4)])
    layer_norm = _load(
        nn.LayerNorm(4, eps=1e-3),
        model.state_dict(),
        "layer_normalization.",
        {"gamma": "weight", "beta": "bias"}.get,
    )
    checks.append((layer_norm(x), model(x)))

    def bidirectional_key(key):
        direction, _, name = key.partition(".lstm.")
        return name + ("_reverse" if direction == "backward_layer" else "")

    for return_sequences in (True, False):
        model = kt.Sequential(
            [kt.Input((None, 4)), Bidirectional(LSTM(5, return_sequences=return_sequences))]
        )
        lstm = _load(
            nn.LSTM(4, 5, batch_first=True, bidirectional=True),
            model.state_dict(),
            "bidirectional.",
            bidirectional_key,
        )
        out = lstm(x)[0]
        last = torch.cat([out[:, -1, :5], out[:, 0, 5:]], -1)
        checks.append((out if return_sequences else last, model(x)))

    ids = torch.randint(0, 10, (3, 6))
    model = kt.Sequential([kt.Input((None,), dtype="int64"), Embedding(10, 4)])
    embedding = _load(nn.Embedding(10, 4), model.state_dict(), "embedding.embedding.")
    checks.append((embedding(ids), model(ids)))

    for actual, expected in checks:
        assert_close(actual, expected)


# -- PyTorch's own exits, called directly ----------------------------------------------------------


@pytest.mark.filterwarnings(LSTM_EXPORT_NOISE)
def test_torch_export_export_on_a_fixed_length_model():
    model = lstm_model(7)
    x = data(4, 7)
    program = torch.export.export(model, (torch.from_numpy(x),))
    assert_close(program.module()(torch.from_numpy(x)), model.predict(x, verbose=0))


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_jit_trace_made_at_one_length_runs_at_others(dynamic_model):
    traced = torch.jit.trace(dynamic_model, (torch.from_numpy(data(2, 7)),))
    for batch, timesteps in ((4, 3), (2, 40)):
        x = data(batch, timesteps)
        assert_close(traced(torch.from_numpy(x)), dynamic_model.predict(x, verbose=0))


# -- kerastorch.export ---------------------------------------------------------------------------


def test_example_input_follows_the_declared_shape():
    assert example_input(lstm_model(7)).shape == (2, 7, 5)
    assert example_input(lstm_model(None), batch_size=3, length=11).shape == (3, 11, 5)
    ids = example_input(kt.Sequential([kt.Input((None,)), Embedding(10, 4), LSTM(3)]))
    assert ids.dtype == torch.int64 and ids.shape == (2, 8)
    assert int(ids.min()) >= 1 and int(ids.max()) < 10


def test_export_program_keeps_batch_and_time_dynamic(dynamic_model, masked_model, exported):
    loaded = torch.export.load(exported["folder"] / "model.pt2").module()
    for batch, timesteps in ((4, 3), (2, 40)):
        x = data(batch, timesteps)
        expected = dynamic_model.predict(x, verbose=0)
        assert_close(exported["program"].module()(torch.from_numpy(x)), expected)
        assert_close(loaded(torch.from_numpy(x)), expected)
    # Each sequence at its own length gives what the mask gives on the padded batch.
    padded = data(2, 8)
    padded[0, 3:] = 0.0
    padded[1, 6:] = 0.0
    own_lengths = np.concatenate(
        [loaded(torch.from_numpy(padded[i : i + 1, :n])).detach() for i, n in ((0, 3), (1, 6))]
    )
    assert_close(own_lengths, masked_model.predict(padded, verbose=0))


def test_export_program_exports_inference_mode_and_restores_the_mode():
    torch.manual_seed(0)
    model = kt.Sequential([kt.Input((7, 5)), LSTM(8, dropout=0.5), kt.layers.Dropout(0.5)])
    model.train()
    program = export_program(model, dynamic_batch=False)
    assert model.training
    model.eval()
    x = torch.from_numpy(data(2, 7))
    assert_close(program.module()(x), model(x))


@needs_onnx
def test_to_onnx_fixed_length_equals_predict(tmp_path):
    import onnx
    import onnxruntime

    model = lstm_model(7)
    path = to_onnx(model, tmp_path / "fixed.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fixed.onnx"]  # weights inside
    dims = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 7, 5]
    session = onnxruntime.InferenceSession(str(path))
    x = data(4, 7)
    assert_close(session.run(None, {"inputs": x})[0], model.predict(x, verbose=0))


@needs_onnx
def test_to_onnx_dynamic_length_equals_predict_at_3_and_40(dynamic_model, exported):
    import onnx
    import onnxruntime

    dims = onnx.load(str(exported["onnx"])).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", "time", 5]
    session = onnxruntime.InferenceSession(str(exported["onnx"]))
    for batch, timesteps in ((4, 3), (2, 40)):
        x = data(batch, timesteps)
        assert_close(session.run(None, {"inputs": x})[0], dynamic_model.predict(x, verbose=0))


@needs_onnx
@pytest.mark.filterwarnings(TORCHSCRIPT_ONNX_DEPRECATED)
@pytest.mark.filterwarnings(TORCHSCRIPT_ONNX_INTERNALS)
def test_torchscript_exporter_is_checked_at_another_length(tmp_path):
    """The TorchScript exporter unrolls kerastorch's step loop at the example's length without a
    word; to_onnx's check turns that into an error naming the layer."""
    import onnxruntime

    model = kt.Sequential([kt.Input((None, 5)), LSTM(4, activation="relu"), Dense(1)])
    with pytest.raises(ExportCheckError) as caught:
        to_onnx(model, tmp_path / "relu.onnx", exporter="torchscript")
    message = str(caught.value)
    assert "the ONNX file disagrees with the model on an input of shape (3, 13, 5)" in message
    assert "LSTM 'lstm' runs step by step" in message
    assert "dynamic_length=False" in message
    # At a fixed length the same model exports and matches.
    path = to_onnx(
        model,
        tmp_path / "fixed.onnx",
        example=data(2, 6),
        dynamic_length=False,
        exporter="torchscript",
    )
    x = data(3, 6)
    session = onnxruntime.InferenceSession(str(path))
    assert_close(session.run(None, {"inputs": x})[0], model.predict(x, verbose=0))


@pytest.mark.filterwarnings(LSTM_EXPORT_NOISE)
def test_export_program_names_the_layer_that_cannot_stay_dynamic():
    model = kt.Sequential([kt.Input((None, 5)), SimpleRNN(4), Dense(1)])
    with pytest.raises(
        ExportCheckError,
        match=(
            r"could not be exported with dynamic axes \{0: 'batch', 1: 'time'\}: torch.export "
            r"specialized an axis to the example's size. SimpleRNN 'simple_rnn' runs on nn.RNN"
        ),
    ):
        export_program(model)


class SignFlip(kt.layers.Layer):
    """Decides in Python on a value of the data: torch.export cannot record that."""

    def call(self, inputs):
        return inputs if float(inputs.sum()) > 0 else -inputs


@pytest.mark.filterwarnings(LSTM_EXPORT_NOISE)
def test_a_decision_on_the_data_is_explained():
    model = kt.Sequential([kt.Input((7, 5)), SignFlip(), LSTM(4)])
    with pytest.raises(
        ExportCheckError,
        match=(
            r"could not be exported: torch.export cannot follow a Python decision on a value "
            r"computed from the data. to_onnx\(..., exporter='torchscript'\) records such a check"
        ),
    ):
        export_program(model)


@needs_onnx
@pytest.mark.filterwarnings(TORCHSCRIPT_ONNX_DEPRECATED)
@pytest.mark.filterwarnings(TORCHSCRIPT_ONNX_INTERNALS)
def test_an_embedding_model_exports_with_the_torchscript_exporter(tmp_path):
    import onnxruntime

    model = kt.Sequential([kt.Input((None,)), Embedding(20, 4), LSTM(6), Dense(2)])
    path = to_onnx(model, tmp_path / "text.onnx", exporter="torchscript")
    session = onnxruntime.InferenceSession(str(path))
    for batch, timesteps in ((3, 4), (2, 30)):
        ids = np.random.default_rng(timesteps).integers(0, 20, (batch, timesteps))
        assert_close(session.run(None, {"inputs": ids})[0], model.predict(ids, verbose=0))


def test_models_an_export_cannot_represent_are_refused_before_torch_fails():
    masked = kt.Sequential([kt.Input((None, 5)), Masking(), LSTM(4)])
    with pytest.raises(
        ValueError,
        match=(
            r"Masking 'masking' derives a mask from the data, but masks are not part of an exported "
            r"forward \(it takes the inputs only\)"
        ),
    ):
        export_program(masked)
    embedded = kt.Sequential([kt.Input((None,)), Embedding(10, 4, mask_zero=True), LSTM(3)])
    with pytest.raises(ValueError, match=r"Embedding 'embedding' derives a mask from the data"):
        to_onnx(embedded, "unused.onnx")
    stateful = kt.Sequential([kt.Input(batch_shape=(2, 5, 3)), LSTM(4, stateful=True)])
    with pytest.raises(ValueError, match=r"LSTM 'lstm' is stateful: it carries its states"):
        export_program(stateful)
    with pytest.raises(ValueError, match=r"Sequential '.*' has no input shape, so an example "):
        export_program(kt.Sequential([LSTM(4)]))
    with pytest.raises(ValueError, match=r"The example's time axis \(axis 1\) has size 1"):
        export_program(lstm_model(None), example=torch.zeros(2, 1, 5))
    with pytest.raises(ValueError, match=r"expected exporter='dynamo' or 'torchscript'"):
        to_onnx(lstm_model(7), "unused.onnx", exporter="jit")


# -- dropping kerastorch entirely ----------------------------------------------------------------

CLEAN_PROCESS = """
import sys
sys.modules["kerastorch"] = None  # from here on, "import kerastorch" raises ImportError
import numpy as np
import torch

namespace = {}
exec(open("plain_module.py").read(), namespace)  # docs/guides/export.md, <!-- test: plain-module -->
exec(open("lengths.py").read(), namespace)  # docs/guides/export.md, <!-- test: lengths -->
net = namespace["net"]
with torch.no_grad():
    for name in ("x3", "x40"):
        np.save(f"net_{name}.npy", net(torch.from_numpy(np.load(f"{name}.npy"))).numpy())
np.save("lengths_x.npy", namespace["x_padded"].numpy())
np.save("lengths_y.npy", namespace["y"].numpy())

program = torch.export.load(sys.argv[1]).module()
for name in ("x3", "x40"):
    np.save(f"pt2_{name}.npy", program(torch.from_numpy(np.load(f"{name}.npy"))).detach().numpy())
if sys.argv[2] != "-":
    import onnxruntime

    session = onnxruntime.InferenceSession(sys.argv[2])
    for name in ("x3", "x40"):
        np.save(f"onnx_{name}.npy", session.run(None, {"inputs": np.load(f"{name}.npy")})[0])
print("kerastorch" in sys.modules and sys.modules["kerastorch"] is None)
"""


def test_exports_and_the_docs_snippets_run_without_kerastorch(
    dynamic_model, exported, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(docs_block("save-weights"), namespace)  # writes model.weights.pt
    weights_model = namespace["model"]
    plain, lengths = docs_block("plain-module"), docs_block("lengths")
    assert "kerastorch" not in plain and "kerastorch" not in lengths
    (tmp_path / "plain_module.py").write_text(plain)
    (tmp_path / "lengths.py").write_text(lengths)
    (tmp_path / "clean.py").write_text(textwrap.dedent(CLEAN_PROCESS))
    inputs = {"x3": data(4, 3, seed=3), "x40": data(2, 40, seed=4)}
    for name, x in inputs.items():
        np.save(tmp_path / f"{name}.npy", x)

    onnx_arg = str(exported["onnx"]) if exported["onnx"] is not None else "-"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "clean.py", str(exported["folder"] / "model.pt2"), onnx_arg],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().lower()) is True  # kerastorch stayed blocked

    for name, x in inputs.items():
        assert_close(np.load(f"net_{name}.npy"), weights_model.predict(x, verbose=0))
        assert_close(np.load(f"pt2_{name}.npy"), dynamic_model.predict(x, verbose=0))
        if exported["onnx"] is not None:
            assert_close(np.load(f"onnx_{name}.npy"), dynamic_model.predict(x, verbose=0))
    # The lengths snippet gives what Keras's mask gives: the kerastorch model with Masking.
    masked = kt.Sequential([kt.Input((None, 5)), Masking(), LSTM(16), Dense(1)])
    masked.set_weights(weights_model.get_weights())
    assert_close(np.load("lengths_y.npy"), masked.predict(np.load("lengths_x.npy"), verbose=0))


def test_an_embedding_model_exports_with_torch_export():
    """The id range check is eager-only, so torch.export follows an Embedding model."""
    model = kt.Sequential([kt.Input((None,)), Embedding(20, 4), LSTM(6), Dense(2)])
    program = export_program(model)
    ids = torch.from_numpy(np.random.default_rng(1).integers(0, 20, (3, 9)))
    assert_close(program.module()(ids), model(ids))
    with pytest.raises(ValueError, match="expected ids in \\[0, 20\\), received id 25"):
        model(torch.tensor([[1, 25]]))  # eager mode still checks


def _two_input_model():
    torch.manual_seed(0)
    prices, sector = kt.Input((None, 4), name="prices"), kt.Input((3,), name="sector")
    sequence = kt.layers.LSTM(5, return_sequences=True)(prices)
    mixed = sequence[:, -1, :] * 2 + kt.layers.Dense(5)(sector)
    merged = kt.layers.Concatenate()([mixed, kt.ops.mean(sequence, axis=1)])
    return kt.Model(
        [prices, sector], [kt.layers.Dense(1, name="level")(merged), kt.layers.Dense(2)(merged)]
    )


def test_export_program_of_a_functional_model_with_two_inputs():
    model = _two_input_model()
    example = example_input(model)
    assert [tuple(x.shape) for x in example] == [(2, 8, 4), (2, 3)]
    program = export_program(model)  # batch shared, each input's time axis its own
    rng = np.random.default_rng(0)
    for steps, batch in ((3, 4), (17, 1)):
        data = [
            torch.from_numpy(rng.normal(size=(batch, steps, 4)).astype("float32")),
            torch.from_numpy(rng.normal(size=(batch, 3)).astype("float32")),
        ]
        for actual, expected in zip(program.module()(data), model(data), strict=True):
            assert_close(actual.detach(), expected.detach())
    with pytest.raises(ValueError, match="takes 2 inputs, but the example has 1"):
        export_program(model, example=example[0])


def test_to_onnx_of_a_functional_model_with_two_inputs(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = _two_input_model()
    path = to_onnx(model, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [x.name for x in session.get_inputs()] == ["prices", "sector"]
    assert [x.name for x in session.get_outputs()] == model.output_names
    rng = np.random.default_rng(1)
    data = [
        rng.normal(size=(3, 11, 4)).astype("float32"),
        rng.normal(size=(3, 3)).astype("float32"),
    ]
    outputs = session.run(None, {"prices": data[0], "sector": data[1]})
    for actual, expected in zip(outputs, model(data), strict=True):
        assert_close(actual, expected.detach().numpy())
