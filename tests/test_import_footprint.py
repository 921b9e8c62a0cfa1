"""``import kerastorch`` stays light: what only some features need is imported when they are
used (h5py for Keras files, ONNX, TensorBoard, torch.compile's machinery), never at import."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import SUBPROCESS_TIMEOUT

ROOT = Path(__file__).resolve().parents[1]

# Modules that `import torch` does not import and `import kerastorch` must not either.
HEAVY = [
    "torch._dynamo",
    "torch._inductor",
    "torch.onnx",
    "torch.utils.tensorboard",
    "sympy",
    "scipy",
    "h5py",
    "onnx",
    "tensorboard",
    "matplotlib",
    "pandas",
    "keras",
    "tensorflow",
    "jax",
]


def test_import_kerastorch_imports_no_heavy_module():
    script = (
        "import json, sys\n"
        "import torch\n"
        "before = set(sys.modules)\n"
        "import kerastorch\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps({'torch': [m for m in heavy if m in before],\n"
        "                  'kerastorch': [m for m in heavy if m in sys.modules]}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KERAS_BACKEND", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=SUBPROCESS_TIMEOUT,
        check=True,
    )
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported["kerastorch"] == imported["torch"]  # nothing beyond what torch imports


def test_import_restores_the_garbage_collectors_state():
    """The import runs with the collector paused (NOTE in ``kerastorch/__init__.py``) and leaves
    it as it found it, on or off."""
    script = (
        "import gc, json, sys\n"
        "import torch\n"
        "if sys.argv[1] == 'off':\n"
        "    gc.disable()\n"
        "import kerastorch\n"
        "print(json.dumps(gc.isenabled()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    states = {}
    for state in ("on", "off"):
        result = subprocess.run(
            [sys.executable, "-c", script, state],
            capture_output=True,
            text=True,
            env=env,
            timeout=SUBPROCESS_TIMEOUT,
            check=True,
        )
        states[state] = json.loads(result.stdout.strip().splitlines()[-1])
    assert states == {"on": True, "off": False}
