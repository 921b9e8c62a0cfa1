"""The porting helper (``python -m kerastorch.port``): rewrites of realistic Keras scripts compared
with expected files, reported names and lines, the command line, and one rewritten script trained
end to end under kerastorch with Keras and TensorFlow unimportable.

tests/port_scripts/<name>.py is a Keras script as people write it, <name>.expected.py its
rewrite, <name>.expected.txt what must be ported by hand ("line kind name", one per line).
"""

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kerastorch
from kerastorch import port
from kerastorch.port import Finding, kerastorch_path, main, port_file, port_source
from tests.helpers import SUBPROCESS_TIMEOUT

SCRIPTS = Path(__file__).resolve().parent / "port_scripts"
NAMES = ["stock_price", "text_classifier", "portfolio", "attention_forecaster", "imdb_keras2"]


def expected_findings(name):
    rows = (SCRIPTS / f"{name}.expected.txt").read_text().splitlines()
    return [(int(line), kind, what) for line, kind, what in (r.split(" ", 2) for r in rows)]


def findings(result):
    return [(f.line, f.kind, f.name) for f in result.findings]


# -- the fixture scripts ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_script_rewrite_and_findings_match_the_expected_files(name):
    result = port_file(SCRIPTS / f"{name}.py")
    assert result.text == (SCRIPTS / f"{name}.expected.py").read_text()
    assert findings(result) == expected_findings(name)
    assert result.exit_code == (1 if expected_findings(name) else 0)


@pytest.mark.parametrize("name", NAMES)
def test_a_ported_script_ports_to_itself(name):
    """Running the helper again on its output changes nothing (so --write twice keeps .bak)."""
    again = port_source((SCRIPTS / f"{name}.expected.py").read_text(), f"{name}.py")
    assert not again.changed
    assert again.rewrites == []
    assert findings(again) == expected_findings(name)


def test_the_report_lists_rewrites_and_what_to_port_by_hand_with_lines():
    report = port_file(SCRIPTS / "attention_forecaster.py").report()
    assert "line 8: from tensorflow import keras  ->  import kerastorch as keras" in report
    assert "  not in kerastorch, port by hand (3):" in report
    assert "line 10: tensorflow.keras  ->  kerastorch" in report  # its backend module, K
    assert "TensorBoard" not in report  # kerastorch.callbacks.TensorBoard exists
    assert "MultiHeadAttention" not in report  # kerastorch.layers.MultiHeadAttention exists
    assert "keras.Model" not in report  # the functional API (line 32) is kerastorch's now
    assert "  TensorFlow, not Keras: port by hand (3):" in report
    assert "    line 12: tf.random.set_seed  (kerastorch.utils.set_random_seed(seed))" in report
    assert report.endswith("  => 6 name(s) to port by hand (exit code 1)\n")
    clean = port_file(SCRIPTS / "stock_price.py").report()
    assert clean.endswith("  => every Keras name maps to kerastorch (exit code 0)\n")


# -- the import forms, one by one -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import keras\n", "import kerastorch as keras\n"),
        ("import keras as K\n", "import kerastorch as K\n"),
        ("from keras import layers\n", "from kerastorch import layers\n"),
        ("from keras.layers import LSTM, Dense\n", "from kerastorch.layers import LSTM, Dense\n"),
        (
            "from keras.models import Sequential, load_model\n",
            "from kerastorch.models import Sequential, load_model\n",
        ),
        (
            "from tensorflow.keras.layers import LSTM, Dense\n",
            "from kerastorch.layers import LSTM, Dense\n",
        ),
        ("from tensorflow import keras\n", "import kerastorch as keras\n"),
        ("import tensorflow.keras as keras\n", "import kerastorch as keras\n"),
        (
            "from keras.preprocessing.sequence import pad_sequences\n",
            "from kerastorch.preprocessing.sequence import pad_sequences\n",
        ),
        (
            "import keras\nx = keras.preprocessing.sequence.pad_sequences(s)\n",
            "import kerastorch as keras\nx = keras.preprocessing.sequence.pad_sequences(s)\n",
        ),
        (
            "import keras\nx = keras.utils.pad_sequences(s)\n",
            "import kerastorch as keras\nx = keras.utils.pad_sequences(s)\n",
        ),
        (
            "import tensorflow as tf\nx = tf.keras.preprocessing.sequence.pad_sequences(s)\n",
            "import kerastorch\nx = kerastorch.preprocessing.sequence.pad_sequences(s)\n",
        ),
        (
            "import keras\ncb = keras.callbacks.EarlyStopping(patience=3)\n"
            "opt = keras.optimizers.Adam(1e-3)\n",
            "import kerastorch as keras\ncb = keras.callbacks.EarlyStopping(patience=3)\n"
            "opt = keras.optimizers.Adam(1e-3)\n",
        ),
        (
            "from keras.optimizers.legacy import Adam\n",
            "from kerastorch.optimizers import Adam\n",
        ),
        (
            "from keras.layers.recurrent import LSTM\n",
            "from kerastorch.layers import LSTM\n",
        ),
        (  # tf.keras goes through a name bound to kerastorch when there is one
            "import tensorflow as tf\nfrom tensorflow import keras\nm = tf.keras.Sequential()\n",
            "import kerastorch as keras\nm = keras.Sequential()\n",
        ),
        (
            "import numpy as np, tensorflow as tf\nm = tf.keras.Sequential()\n",
            "import numpy as np\nimport kerastorch\nm = kerastorch.Sequential()\n",
        ),
        (
            "import keras\ninit = keras.initializers.glorot_uniform(seed=1)\n",
            "import kerastorch as keras\ninit = keras.initializers.GlorotUniform(seed=1)\n",
        ),
        ("from keras.layers import *\n", "from kerastorch.layers import *\n"),
        # Keras's data utilities and dataset classes (Sequence is Keras 3's alias of PyDataset).
        (
            "from keras.utils import Sequence\nclass Batches(Sequence): pass\n",
            "from kerastorch.utils import PyDataset as Sequence\nclass Batches(Sequence): pass\n",
        ),
        (
            "from keras.utils.data_utils import Sequence\n",
            "from kerastorch.utils import PyDataset as Sequence\n",
        ),
        (
            "import tensorflow as tf\nclass Batches(tf.keras.utils.PyDataset): pass\n",
            "import kerastorch\nclass Batches(kerastorch.utils.PyDataset): pass\n",
        ),
        (
            "import keras\nclass B(keras.utils.Sequence): pass\n"
            "d = keras.utils.timeseries_dataset_from_array(a, b, 10)\n"
            't = keras.utils.text_dataset_from_directory("texts")\n',
            "import kerastorch as keras\nclass B(keras.utils.PyDataset): pass\n"
            "d = keras.utils.timeseries_dataset_from_array(a, b, 10)\n"
            't = keras.utils.text_dataset_from_directory("texts")\n',
        ),
        (
            "from tensorflow.keras.preprocessing import text_dataset_from_directory\n",
            "from kerastorch.preprocessing import text_dataset_from_directory\n",
        ),
        (
            "from keras.utils import PyDataset, text_dataset_from_directory\n",
            "from kerastorch.utils import PyDataset, text_dataset_from_directory\n",
        ),
    ],
)
def test_import_forms(source, expected):
    result = port_source(source)
    assert result.text == expected
    assert result.findings == []


def test_formatting_and_comments_stay_as_written():
    source = textwrap.dedent(
        """\
        from keras.layers import (  # layers we need
            LSTM,    # recurrent
            Dense,   # head
        )

        def build():
            from tensorflow import keras  # lazy import
            return keras.Sequential([
                keras.layers.LSTM(8),   # aligned comment
            ])
        """
    )
    result = port_source(source)
    assert result.text == source.replace("from keras.layers", "from kerastorch.layers").replace(
        "from tensorflow import keras", "import kerastorch as keras"
    )


def test_unsupported_names_keep_their_import_next_to_kerastorchs():
    source = textwrap.dedent(
        """\
        from keras.layers import LSTM, RandomFlip, Dense
        from keras.ops import stft

        att = RandomFlip("horizontal")
        y = stft(x, 8, 4, 8)
        """
    )
    result = port_source(source, "model.py")
    assert result.text.splitlines()[:3] == [
        "from kerastorch.layers import LSTM, Dense",
        "from keras.layers import RandomFlip  # kerastorch.port: RandomFlip not in kerastorch, "
        "still imports real Keras",
        "from keras.ops import stft  # kerastorch.port: stft not in kerastorch, "
        "still imports real Keras",
    ]
    assert result.findings == [
        Finding(1, "keras.layers.RandomFlip", "unsupported"),
        Finding(2, "keras.ops.stft", "unsupported", port._HINTS["keras.ops"]),
        Finding(4, "keras.layers.RandomFlip", "unsupported"),
        Finding(5, "keras.ops.stft", "unsupported", port._HINTS["keras.ops"]),
    ]


PREPROCESSING_NAMES = [
    "TextVectorization",
    "StringLookup",
    "IntegerLookup",
    "CategoryEncoding",
    "Hashing",
    "Discretization",
    "Conv1DTranspose",
    "Convolution1DTranspose",
]


@pytest.mark.parametrize("name", PREPROCESSING_NAMES)
@pytest.mark.parametrize(
    "keras_module",
    [
        "keras.layers",
        "tensorflow.keras.layers",
        "tensorflow.keras.layers.experimental.preprocessing",
    ],
)
def test_text_and_preprocessing_layers_map_to_kerastorch(name, keras_module):
    if keras_module.endswith("experimental.preprocessing") and name.startswith("Conv"):
        pytest.skip("the convolutions never lived in experimental.preprocessing")
    assert kerastorch_path(f"{keras_module}.{name}") == f"kerastorch.layers.{name}"
    result = port_source(f"from {keras_module} import {name}\nlayer = {name}\n")
    assert result.text == f"from kerastorch.layers import {name}\nlayer = {name}\n"
    assert result.exit_code == 0


@pytest.mark.parametrize(
    "keras_path",
    ["keras.utils.plot_model", "keras.utils.model_to_dot", "keras.utils.vis_utils.plot_model"],
)
def test_plot_model_maps_to_kerastorch(keras_path):
    name = keras_path.rsplit(".", 1)[1]
    assert kerastorch_path(keras_path) == f"kerastorch.utils.{name}"


def test_a_text_classifier_script_ports_cleanly():
    source = textwrap.dedent(
        """\
        import tensorflow as tf
        from tensorflow.keras import layers

        vectorize = layers.TextVectorization(max_tokens=20000, output_sequence_length=200)
        vectorize.adapt(texts)
        inputs = tf.keras.Input(shape=(1,), dtype="string")
        x = vectorize(inputs)
        x = layers.Embedding(20000, 64)(x)
        x = layers.LSTM(32)(x)
        model = tf.keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
        try:
            tf.keras.utils.plot_model(model, show_shapes=True)
        except ImportError:
            pass
        """
    )
    result = port_source(source)
    assert result.exit_code == 0, result.report()
    assert "import tensorflow" not in result.text
    assert "kerastorch.utils.plot_model(model, show_shapes=True)" in result.text


def test_support_is_read_from_kerastorch_at_run_time(monkeypatch):
    """A layer added to kerastorch.layers.__all__ is supported at once; one removed is not."""
    source = "from keras.layers import LSTM, Dense\n"
    assert port_source(source).exit_code == 0
    monkeypatch.setattr(
        kerastorch.layers, "__all__", [n for n in kerastorch.layers.__all__ if n != "LSTM"]
    )
    result = port_source(source)
    assert findings(result) == [(1, "unsupported", "keras.layers.LSTM")]
    assert result.text == (
        "from keras.layers import LSTM  # kerastorch.port: LSTM not in kerastorch, still imports "
        "real Keras\nfrom kerastorch.layers import Dense\n"
    )
    monkeypatch.setattr(kerastorch.layers, "RandomFlip", object, raising=False)
    monkeypatch.setattr(kerastorch.layers, "__all__", [*kerastorch.layers.__all__, "RandomFlip"])
    assert port_source("from keras.layers import RandomFlip\n").exit_code == 0


def test_scripts_that_import_kerastorch_already_are_read_as_keras():
    """A partly ported script: kerastorch imports stay, and are checked like Keras ones."""
    source = textwrap.dedent(
        """\
        import tensorflow as tf
        import kerastorch as keras
        from kerastorch.layers.recurrent import RecurrentLayer

        model = keras.Sequential([tf.keras.layers.LSTM(4)])
        att = keras.layers.RandomFlip("horizontal")
        x = keras.preprocessing.sequence.pad_sequences(s)
        """
    )
    result = port_source(source)
    assert result.text == source.replace("import tensorflow as tf\n", "").replace(
        "tf.keras.layers", "keras.layers"
    )
    assert findings(result) == [(6, "unsupported", "keras.layers.RandomFlip")]


def test_kerastorch_path():
    assert kerastorch_path("keras.layers.LSTM") == "kerastorch.layers.LSTM"
    assert kerastorch_path("tensorflow.keras.callbacks.EarlyStopping") == (
        "kerastorch.callbacks.EarlyStopping"
    )
    assert kerastorch_path("keras.preprocessing.sequence.pad_sequences") == (
        "kerastorch.preprocessing.sequence.pad_sequences"
    )
    assert kerastorch_path("keras.models.load_model") == "kerastorch.models.load_model"
    assert kerastorch_path("keras.ops.mean") == "kerastorch.ops.mean"
    assert kerastorch_path("keras.ops.stft") is None
    assert (
        kerastorch_path("keras.layers.MultiHeadAttention") == "kerastorch.layers.MultiHeadAttention"
    )
    assert kerastorch_path("keras.layers.RandomFlip") is None
    assert (
        kerastorch_path("keras.layers.TextVectorization") == "kerastorch.layers.TextVectorization"
    )
    assert kerastorch_path("keras.utils.plot_model") == "kerastorch.utils.plot_model"
    assert kerastorch_path("keras.utils.Sequence") == "kerastorch.utils.PyDataset"
    assert kerastorch_path("keras.preprocessing.text_dataset_from_directory") == (
        "kerastorch.preprocessing.text_dataset_from_directory"
    )


def test_tensorflow_still_used_stays_and_kerastorch_comes_next_to_it():
    source = "import tensorflow as tf  # TF\nm = tf.keras.Sequential()\nc = tf.constant(1)\n"
    result = port_source(source)
    assert result.text == (
        "import tensorflow as tf  # TF\nimport kerastorch\nm = kerastorch.Sequential()\n"
        "c = tf.constant(1)\n"
    )
    assert findings(result) == [(3, "tensorflow", "tf.constant")]
    assert result.exit_code == 1


def test_tensorflow_uses_are_reported_as_written():
    source = textwrap.dedent(
        """\
        import tensorflow as tf
        from tensorflow.data import Dataset

        print(tf.__version__)
        ds = Dataset.from_tensor_slices(x).batch(32)
        gpus = tf.config.list_physical_devices("GPU")
        """
    )
    result = port_source(source)
    assert result.text == source
    assert findings(result) == [
        (4, "tensorflow", "tf.__version__"),
        (5, "tensorflow", "Dataset.from_tensor_slices"),
        (6, "tensorflow", "tf.config.list_physical_devices"),
    ]
    assert result.findings[2].hint == port._HINTS["tensorflow.config"]


# -- the command line ------------------------------------------------------------------------------


def test_main_report_diff_write_and_exit_codes(tmp_path, capsys):
    script = tmp_path / "train.py"
    original = "import keras  # the model\r\nfrom keras.layers import LSTM\r\n"
    script.write_bytes(original.encode())
    out = io.StringIO()
    assert main([str(script)], stdout=out) == 0
    assert "line 1: import keras  ->  import kerastorch as keras" in out.getvalue()
    assert script.read_bytes() == original.encode()  # a report does not write

    out = io.StringIO()
    assert main(["--diff", str(script)], stdout=out) == 0
    assert "\n-import keras  # the model\r\n" in out.getvalue()
    assert "\n+import kerastorch as keras  # the model\r\n" in out.getvalue()
    assert "every Keras name maps to kerastorch" in capsys.readouterr().err  # report on stderr

    out = io.StringIO()
    assert main(["--write", str(script)], stdout=out) == 0
    assert f"wrote {script} (original in {script}.bak)" in out.getvalue()
    assert script.read_bytes() == (
        b"import kerastorch as keras  # the model\r\nfrom kerastorch.layers import LSTM\r\n"
    )  # Windows newlines kept
    assert Path(f"{script}.bak").read_bytes() == original.encode()
    out = io.StringIO()
    assert main(["--write", str(script)], stdout=out) == 0  # nothing left to change
    assert f"{script} unchanged" in out.getvalue()
    assert Path(f"{script}.bak").read_bytes() == original.encode()

    other = tmp_path / "other.py"
    other.write_text("import keras\nkeras.layers.RandomFlip('horizontal')\n")
    assert main(["--write", "--no-backup", str(other)], stdout=io.StringIO()) == 1
    assert other.read_text().startswith("import kerastorch as keras\n")
    assert not Path(f"{other}.bak").exists()

    broken = tmp_path / "broken.py"
    broken.write_text("import keras\nmodel = (\n")
    assert main([str(broken), str(script)], stdout=io.StringIO()) == 2
    assert "broken.py: cannot port it: SyntaxError" in capsys.readouterr().err


def test_python_m_kerastorch_port_runs(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import keras\nx = keras.ops.stft(y)\n")
    result = subprocess.run(
        [sys.executable, "-m", "kerastorch.port", str(script)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 1, result.stderr
    assert "    line 2: keras.ops.stft  (not in kerastorch.ops yet: use torch's" in result.stdout


# -- end to end --------------------------------------------------------------------------------------

RUN_SCRIPT = """
import json, runpy, sys
sys.modules["keras"] = None  # the rewritten script must not need Keras
sys.modules["tensorflow"] = None
import torch
torch.manual_seed(0)
namespace = runpy.run_path(sys.argv[1], run_name="__main__")
print(json.dumps(namespace["history"].history["loss"]))
"""


def test_the_rewritten_stock_price_script_trains_under_kerastorch(tmp_path):
    script = tmp_path / "stock_price.py"
    script.write_text((SCRIPTS / "stock_price.py").read_text())
    assert main(["--write", "--no-backup", str(script)], stdout=io.StringIO()) == 0
    assert script.read_text() == (SCRIPTS / "stock_price.expected.py").read_text()
    (tmp_path / "run.py").write_text(RUN_SCRIPT)
    # The script runs from tmp_path: point it at the kerastorch under test, installed or not.
    source_root = str(Path(kerastorch.__file__).resolve().parents[1])
    pythonpath = os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": pythonpath}
    result = subprocess.run(
        [sys.executable, "run.py", str(script)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Test RMSE:" in result.stdout
    losses = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(losses) >= 2
    assert losses[-1] < 0.5 * losses[0], losses


def test_the_functional_api_subclassed_models_and_keras_ops_port_cleanly():
    source = (
        "import keras\n"
        "from keras import layers, ops\n"
        "inputs = keras.Input((None, 4))\n"
        "model = keras.Model(inputs=inputs, outputs=layers.Dense(1)(ops.mean(inputs, axis=1)))\n"
        "class Head(keras.Model):\n"
        "    def call(self, x):\n"
        "        return keras.ops.sum(x, axis=-1)\n"
    )
    result = port_source(source)
    assert result.findings == [] and result.exit_code == 0
    assert result.text.splitlines()[:2] == [
        "import kerastorch as keras",
        "from kerastorch import layers, ops",
    ]


def test_a_kept_real_keras_import_is_marked_in_the_ported_script():
    result = port_source("from keras.ops import mean, stft\nfrom keras.datasets import imdb\n")
    assert result.text == (
        "from kerastorch.ops import mean\n"
        "from keras.ops import stft  # kerastorch.port: stft not in kerastorch, still imports "
        "real Keras\n"
        "from keras.datasets import imdb  # kerastorch.port: imdb not in kerastorch, still "
        "imports real Keras\n"
    )
    assert [f.name for f in result.findings] == ["keras.ops.stft", "keras.datasets.imdb"]
    assert result.exit_code == 1
    assert not port_source(result.text).changed  # the mark is written once
