"""The examples run as a user runs them (``python examples/NAME.py``) and print what they claim.

Each runs in a fresh process from a temporary folder, against the kerastorch under test; the checks
read the values the example prints.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kerastorch
from tests.helpers import SUBPROCESS_TIMEOUT

SOURCE_ROOT = Path(kerastorch.__file__).resolve().parents[1]
EXAMPLES = SOURCE_ROOT / "examples"

pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="the examples are not installed")


def run_example(name: str, cwd: Path, *args: str) -> str:
    pythonpath = os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": pythonpath},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def numbers(line: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line)])


def line_after(output: str, label: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(label))[len(label) :]


def test_stock_price(tmp_path):
    out = run_example("stock_price.py", tmp_path)
    first, last = numbers(line_after(out, "training loss fell from"))
    assert last < first / 5
    assert "x: (1993, 7, 5) (samples, timesteps, features)" in out
    assert "Total params: 11,251" in out  # LSTM(50) on 5 features + Dense(1), Keras's count
    pairs = out.split("predicted vs actual")[1].strip().splitlines()
    predicted, actual = np.array([numbers(pair) for pair in pairs]).T
    assert len(predicted) == 5
    assert np.abs(predicted - actual).mean() < 5.0  # price units; prices here are 40 to 120


def test_any_length(tmp_path):
    out = run_example("any_length.py", tmp_path)
    # A pre-padded masked batch and the same sequences as a ragged list give the same predictions.
    np.testing.assert_allclose(
        numbers(line_after(out, "padded (pre) :")), numbers(line_after(out, "ragged list  :"))
    )
    targets = numbers(line_after(out, "targets      :"))
    predictions = numbers(line_after(out, "predictions  :"))
    assert len(targets) == len(predictions) == 3
    assert np.abs(predictions - targets).max() < 0.1
    assert len(numbers(line_after(out, "length 200   :"))) == 1


def test_lstm_representations(tmp_path):
    out = run_example("lstm_representations.py", tmp_path)
    assert "Output shape: (32, 1)" in out
    assert "Representation shape: (32, 64)" in out
    assert "last output equals h: True | cell state: (32, 64)" in out
    assert "Length 25 -> (4, 1)" in out
    assert "Total params: 49,985" in out


def test_portfolio_softmax(tmp_path):
    out = run_example("portfolio_softmax.py", tmp_path)
    weight_lines = [line for line in out.splitlines() if "weights [" in line]
    assert len(weight_lines) == 2  # the Flatten model and the last-step model
    for line in weight_lines:
        values = numbers(line.split("(sum")[0])
        assert len(values) == 8 and (values >= 0).all()
        assert abs(values.sum() - 1.0) < 0.01  # softmax weights, rounded to 3 decimals
    losses = [numbers(line.split("loss")[1])[0] for line in out.splitlines() if ", loss " in line]
    assert len(losses) == 2 and all(loss < 0 for loss in losses)  # the loss is minus the return


def test_training(tmp_path):
    out = run_example("training.py", tmp_path, str(tmp_path / "run"))
    results = dict(re.findall(r"(\w+) (\d\.\d+)", line_after(out, "test:")))
    assert float(results["accuracy"]) > 0.9
    assert float(results["auc"]) > 0.95
    assert (tmp_path / "run" / "history.png").stat().st_size > 0


def test_distributed_stock_in_one_process(tmp_path):
    out = run_example("distributed_stock.py", tmp_path)
    before, after = numbers(line_after(out, "1 process(es): val_loss"))
    assert after < before / 2


def test_text_classifier(tmp_path):
    out = run_example("text_classifier.py", tmp_path)
    loss, accuracy = numbers(line_after(out, "held-out reviews:"))
    assert accuracy > 0.9 and loss < 0.3
    scores = [numbers(line)[0] for line in out.splitlines()[-2:]]
    assert scores[0] > 0.5 > scores[1]  # the positive review, then the negative one
    assert "x: (1200, 16)" in out


def test_two_input_forecaster(tmp_path):
    out = run_example("two_input_forecaster.py", tmp_path)
    first, last = numbers(line_after(out, "val_loss fell from"))
    baseline = numbers(line_after(out, "predicting zero would give"))[0]
    assert last < first / 2 and last < baseline / 3
    assert "Total params: 1,793" in out  # LSTM(16) + Dense(8) + Dense(16) + Dense(1), as Keras
    assert "concatenate (Concatenate)" in out and "lstm[0][0], dense[0][0]" in out
    pairs = out.split("predicted vs actual")[1].strip().splitlines()
    predicted, actual = np.array([numbers(pair) for pair in pairs]).T
    assert len(predicted) == 3 and np.abs(predicted - actual).max() < 0.5


def test_seq2seq(tmp_path):
    out = run_example("seq2seq.py", tmp_path)
    assert numbers(line_after(out, "val_accuracy (teacher forcing):"))[0] > 0.95
    assert numbers(line_after(out, "sequences reversed exactly (greedy decoding):"))[0] >= 0.9
    shown = re.findall(r"^  ([\d ]+) -> ([\d ]+)$", out, flags=re.MULTILINE)
    assert len(shown) == 3 and all(a.split()[::-1] == b.split() for a, b in shown)


def test_text_folder_classifier(tmp_path):
    out = run_example("text_folder_classifier.py", tmp_path, str(tmp_path))
    assert "Found 600 files belonging to 2 classes." in out
    assert "classes: ['neg', 'pos']" in out
    loss, accuracy = numbers(line_after(out, "held-out reviews:"))
    assert accuracy > 0.85 and loss < 0.4
    scores = [numbers(line)[0] for line in out.splitlines()[-2:]]
    assert scores[0] > 0.5 > scores[1]  # the reloaded model: the positive review, the negative
    assert (tmp_path / "reviews.kt").is_file()
