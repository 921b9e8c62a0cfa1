"""kerastorch.backend (clear_session, epsilon, floatx) and the top-level namespaces a Keras script
reaches through ``import kerastorch as keras``."""

import subprocess
import sys

import torch

import kerastorch
from kerastorch import Sequential, backend, mixed_precision
from kerastorch.layers import Dense
from tests.helpers import SUBPROCESS_TIMEOUT


def test_clear_session_restarts_names_and_the_dtype_policy_like_keras(keras):
    Sequential([Dense(1)])
    mixed_precision.set_global_policy("mixed_bfloat16")
    backend.clear_session()
    keras.backend.clear_session()
    assert Sequential().name == keras.Sequential().name == "sequential"
    assert Sequential().name == keras.Sequential().name == "sequential_1"
    assert mixed_precision.global_policy().name == "float32"


def test_constants_match_keras(keras):
    assert backend.epsilon() == keras.backend.epsilon() == 1e-7
    assert backend.floatx() == keras.backend.floatx() == "float32"
    assert backend.backend() == keras.backend.backend() == "torch"


def test_keras_namespaces_are_attributes_of_a_fresh_import():
    # In a fresh interpreter: nothing else has imported the submodules yet.
    code = (
        "import kerastorch as keras\n"
        "print(keras.regularizers.l2(0.01).l2, keras.constraints.MaxNorm(2).max_value,\n"
        "      keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)(10),\n"
        "      keras.backend.epsilon(), keras.utils.to_categorical([1]).tolist())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0.01", "2", "0.05", "1e-07", "[[0.0,", "1.0]]"]


def test_epsilon_is_what_kerastorch_losses_clip_with():
    # Keras clips probabilities to [epsilon, 1 - epsilon] in crossentropy.
    loss = kerastorch.losses.binary_crossentropy(torch.ones(1, 1), torch.zeros(1, 1))
    expected = -torch.log(torch.tensor(backend.epsilon(), dtype=torch.float32))
    torch.testing.assert_close(loss, expected.reshape(1), atol=1e-4, rtol=1e-4)


# Keras names that sequence-model scripts use most; each must exist in kerastorch under the same
# path (a regression guard for the namespaces, checked through the port tool's resolver).
COMMON_KERAS_NAMES = [
    "keras.Sequential",
    "keras.Input",
    "keras.layers.LSTM",
    "keras.layers.GRU",
    "keras.layers.Bidirectional",
    "keras.layers.Dense",
    "keras.layers.Dropout",
    "keras.layers.Embedding",
    "keras.layers.Conv1D",
    "keras.layers.GlobalAveragePooling1D",
    "keras.layers.GlobalAvgPool1D",
    "keras.layers.BatchNormalization",
    "keras.layers.Normalization",
    "keras.layers.TimeDistributed",
    "keras.layers.RepeatVector",
    "keras.layers.Masking",
    "keras.layers.ZeroPadding1D",
    "keras.models.load_model",
    "keras.models.clone_model",
    "keras.optimizers.Adam",
    "keras.optimizers.schedules.ExponentialDecay",
    "keras.losses.MeanSquaredError",
    "keras.losses.Huber",
    "keras.metrics.RootMeanSquaredError",
    "keras.metrics.R2Score",
    "keras.metrics.mean_absolute_error",
    "keras.callbacks.EarlyStopping",
    "keras.callbacks.ModelCheckpoint",
    "keras.callbacks.ReduceLROnPlateau",
    "keras.callbacks.TensorBoard",
    "keras.regularizers.l2",
    "keras.regularizers.L1L2",
    "keras.constraints.MaxNorm",
    "keras.initializers.GlorotUniform",
    "keras.utils.to_categorical",
    "keras.utils.pad_sequences",
    "keras.utils.set_random_seed",
    "keras.utils.timeseries_dataset_from_array",
    "keras.utils.register_keras_serializable",
    "keras.saving.register_keras_serializable",
    "keras.backend.clear_session",
    "keras.mixed_precision.set_global_policy",
]


def test_common_keras_names_exist_in_kerastorch():
    from kerastorch.port import kerastorch_path

    missing = [name for name in COMMON_KERAS_NAMES if kerastorch_path(name) is None]
    assert missing == []
    assert kerastorch_path("keras.utils.register_keras_serializable") == (
        "kerastorch.utils.register_keras_serializable"
    )
    assert kerastorch.utils.register_keras_serializable is (
        kerastorch.saving.register_keras_serializable
    )
