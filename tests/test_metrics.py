"""kerastorch.metrics against keras.metrics (Keras 3 on the torch backend)."""

import numpy as np
import pytest
import torch

from kerastorch import losses, metrics
from tests.helpers import assert_close

ATOL = 1e-6
BATCH_SIZES = (5, 3, 7)  # three batches of different sizes, the last one the largest
C = 4


def _t(x):
    return torch.as_tensor(np.asarray(x, np.float32))


def _batch(kind, n, rng, seq=False):
    """(y_true, y_pred) for one batch of ``n`` samples (``(n, 3, ...)`` with ``seq``)."""
    lead = (n, 3) if seq else (n,)
    if kind == "regression":
        return _t(rng.normal(size=(*lead, 2))), _t(rng.normal(size=(*lead, 2)))
    if kind == "positive":
        return _t(rng.uniform(0, 3, size=(*lead, 2))), _t(rng.uniform(0.01, 3, size=(*lead, 2)))
    if kind == "binary":  # (n,) labels against (n, 1) probabilities
        return _t(rng.integers(0, 2, size=lead)), _t(rng.uniform(size=(*lead, 1)))
    if kind == "binary_2d":  # (n, 1) labels against (n, 1) probabilities
        return _t(rng.integers(0, 2, size=(*lead, 1))), _t(rng.uniform(size=(*lead, 1)))
    if kind == "multilabel":
        return _t(rng.integers(0, 2, size=(*lead, C))), _t(rng.uniform(size=(*lead, C)))
    if kind == "logits":
        return _t(rng.integers(0, 2, size=(*lead, C))), _t(rng.normal(scale=3, size=(*lead, C)))
    if kind == "onehot":
        y = np.eye(C)[rng.integers(0, C, size=lead)]
        return _t(y), _t(rng.uniform(size=(*lead, C)))
    if kind == "sparse":
        return torch.as_tensor(rng.integers(0, C, size=lead)), _t(rng.uniform(size=(*lead, C)))
    if kind == "sparse_col":  # (n, 1) integer labels
        labels = rng.integers(0, C, size=(*lead, 1))
        return torch.as_tensor(labels), _t(rng.uniform(size=(*lead, C)))
    if kind == "distribution":
        y, p = rng.uniform(size=(*lead, C)), rng.uniform(size=(*lead, C))
        return _t(y / y.sum(-1, keepdims=True)), _t(p / p.sum(-1, keepdims=True))
    if kind == "exact":  # small integers, so that exact equality happens
        return _t(rng.integers(0, 3, size=(*lead, 1))), _t(rng.integers(0, 3, size=(*lead, 1)))
    raise AssertionError(kind)


def _compare_streams(ours, theirs, kind, weighting, seq=False):
    """Feed both metrics the same three batches; compare result() after each, then reset."""
    rng = np.random.default_rng(7)
    for _ in range(2):  # the second pass checks reset_state
        for n in BATCH_SIZES:
            y, p = _batch(kind, n, rng, seq)
            if weighting == "none":
                sw = None
            elif weighting == "(N,)":
                sw = _t(rng.uniform(0, 2, size=n))
            else:  # per time step
                sw = _t(rng.uniform(0, 2, size=(n, 3)))
            theirs.update_state(y, p, sample_weight=sw)
            ours.update_state(y, p, sample_weight=sw)
            assert_close(ours.result(), theirs.result(), atol=ATOL, rtol=1e-6)
        ours.reset_state()
        theirs.reset_state()
        assert_close(ours.result(), 0.0, atol=0)


# (our class, Keras class name, data kind, kwargs)
CASES = [
    (metrics.MeanSquaredError, "MeanSquaredError", "regression", {}),
    (metrics.MeanAbsoluteError, "MeanAbsoluteError", "regression", {}),
    (metrics.RootMeanSquaredError, "RootMeanSquaredError", "regression", {}),
    (metrics.MeanAbsolutePercentageError, "MeanAbsolutePercentageError", "regression", {}),
    (metrics.MeanSquaredLogarithmicError, "MeanSquaredLogarithmicError", "positive", {}),
    (metrics.CosineSimilarity, "CosineSimilarity", "regression", {}),
    (metrics.LogCoshError, "LogCoshError", "regression", {}),
    (metrics.Accuracy, "Accuracy", "exact", {}),
    (metrics.BinaryAccuracy, "BinaryAccuracy", "binary", {}),
    (metrics.BinaryAccuracy, "BinaryAccuracy", "binary_2d", {"threshold": 0.7}),
    (metrics.BinaryAccuracy, "BinaryAccuracy", "multilabel", {}),
    (metrics.CategoricalAccuracy, "CategoricalAccuracy", "onehot", {}),
    (metrics.SparseCategoricalAccuracy, "SparseCategoricalAccuracy", "sparse", {}),
    (metrics.SparseCategoricalAccuracy, "SparseCategoricalAccuracy", "sparse_col", {}),
    (metrics.TopKCategoricalAccuracy, "TopKCategoricalAccuracy", "onehot", {"k": 2}),
    (metrics.SparseTopKCategoricalAccuracy, "SparseTopKCategoricalAccuracy", "sparse", {"k": 2}),
    (metrics.BinaryCrossentropy, "BinaryCrossentropy", "multilabel", {}),
    (metrics.BinaryCrossentropy, "BinaryCrossentropy", "logits", {"from_logits": True}),
    (metrics.CategoricalCrossentropy, "CategoricalCrossentropy", "onehot", {}),
    (metrics.SparseCategoricalCrossentropy, "SparseCategoricalCrossentropy", "sparse", {}),
    (metrics.KLDivergence, "KLDivergence", "distribution", {}),
    (metrics.Poisson, "Poisson", "positive", {}),
    (metrics.Hinge, "Hinge", "multilabel", {}),
    (metrics.SquaredHinge, "SquaredHinge", "multilabel", {}),
    (metrics.CategoricalHinge, "CategoricalHinge", "onehot", {}),
]
IDS = [f"{c[1]}-{c[2]}{'-' + str(c[3]) if c[3] else ''}" for c in CASES]
SEQUENCE_CASES = {"MeanSquaredError", "RootMeanSquaredError", "SparseCategoricalAccuracy",
                  "CategoricalAccuracy", "SparseTopKCategoricalAccuracy",
                  "SparseCategoricalCrossentropy", "BinaryAccuracy"}  # fmt: skip


@pytest.mark.parametrize(("ours", "theirs", "kind", "kwargs"), CASES, ids=IDS)
@pytest.mark.parametrize("weighting", ["none", "(N,)"])
def test_metric_stream_matches_keras(keras, ours, theirs, kind, kwargs, weighting):
    _compare_streams(ours(**kwargs), getattr(keras.metrics, theirs)(**kwargs), kind, weighting)


@pytest.mark.parametrize(
    ("ours", "theirs", "kind", "kwargs"),
    [c for c in CASES if c[1] in SEQUENCE_CASES and c[2] != "binary_2d"],
)
@pytest.mark.parametrize("weighting", ["none", "(N,)", "(N,T)"])
def test_metric_stream_on_sequences_matches_keras(keras, ours, theirs, kind, kwargs, weighting):
    theirs = getattr(keras.metrics, theirs)(**kwargs)
    _compare_streams(ours(**kwargs), theirs, kind, weighting, seq=True)


def test_mean_weighted_by_batch_size_matches_keras(keras):
    """fit's epoch loss: each batch's mean loss weighted by its size."""
    ours, theirs = metrics.Mean(), keras.metrics.Mean()
    for loss, size in [(0.5, 32), (2.0, 32), (7.0, 4)]:
        ours.update_state(torch.tensor(loss), sample_weight=size)
        theirs.update_state(torch.tensor(loss), sample_weight=size)
        assert_close(ours.result(), theirs.result(), atol=ATOL)
    assert_close(ours.result(), (0.5 * 32 + 2.0 * 32 + 7.0 * 4) / 68, atol=ATOL)


@pytest.mark.parametrize("cls", ["Mean", "Sum"])
def test_mean_and_sum_of_values_match_keras(keras, cls):
    ours, theirs = getattr(metrics, cls)(), getattr(keras.metrics, cls)()
    rng = np.random.default_rng(0)
    for values, sw in [
        (_t(rng.normal(size=5)), None),
        (_t(rng.normal(size=(3, 4))), _t(rng.uniform(size=3))),
        (_t(rng.normal(size=(2, 4))), _t(rng.uniform(size=(2, 4)))),
        (_t(rng.normal(size=4)), 0.5),  # a scalar weight counts the batch once, with weight 0.5
        (torch.tensor(3.0), None),
    ]:
        ours.update_state(values, sample_weight=sw)
        theirs.update_state(values, sample_weight=sw)
        assert_close(ours.result(), theirs.result(), atol=ATOL)


def test_rmse_is_over_all_batches_not_a_mean_of_batch_rmses():
    m = metrics.RootMeanSquaredError()
    m.update_state(torch.zeros(1), torch.ones(1))
    m.update_state(torch.zeros(3), torch.full((3,), 3.0))
    assert_close(m.result(), np.sqrt((1 + 9 + 9 + 9) / 4), atol=ATOL)  # not (1 + 3) / 2


def test_mean_metric_wrapper_of_a_user_function_matches_keras(keras):
    def abs_cubed(y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred) ** 3, dim=-1)

    def keras_abs_cubed(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred) ** 3, axis=-1)

    ours = metrics.get(abs_cubed)
    assert isinstance(ours, metrics.MeanMetricWrapper) and ours.name == "abs_cubed"
    theirs = keras.metrics.MeanMetricWrapper(keras_abs_cubed)
    _compare_streams(ours, theirs, "regression", "(N,)")


# --- "accuracy" resolution -----------------------------------------------------------------

SHAPES = [  # (y_true shape, y_pred shape): every branch of Keras 3's rule
    ((8,), (8, 1)),
    ((8, 1), (8, 1)),
    ((8,), (8, 3)),
    ((8, 1), (8, 3)),
    ((8, 3), (8, 3)),
    ((8, 5), (8, 5, 3)),
    ((8, 5, 1), (8, 5, 3)),
    ((8, 5, 3), (8, 5, 3)),
]


@pytest.mark.parametrize(("y_shape", "p_shape"), SHAPES)
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_resolution_matches_keras_compile(keras, y_shape, p_shape, name):
    from keras.src.trainers.compile_utils import get_metric

    y, p = torch.zeros(y_shape), torch.rand(p_shape)
    expected = get_metric(name, y, p)
    # With both shapes known, the class is chosen at once.
    resolved = metrics.get(name, output_shape=(None, *p_shape[1:]), y_true_shape=y_shape)
    assert type(resolved).__name__ == type(expected).__name__
    assert resolved.name == expected.name == name
    # Without shapes, the metric decides at its first batch, and computes the same values.
    lazy = metrics.get(name)
    assert lazy.name == name
    rng = np.random.default_rng(0)
    for _ in range(2):
        y = torch.as_tensor(rng.integers(0, 2, size=y_shape), dtype=torch.float32)
        p = torch.as_tensor(rng.uniform(size=p_shape), dtype=torch.float32)
        expected.update_state(y, p)
        lazy.update_state(y, p)
        resolved.update_state(y, p)
        assert_close(lazy.result(), expected.result(), atol=ATOL)
        assert_close(resolved.result(), expected.result(), atol=ATOL)


@pytest.mark.parametrize(
    ("loss", "units", "y_shape", "expected"),
    [
        ("binary_crossentropy", 1, (16,), "BinaryAccuracy"),
        ("binary_crossentropy", 3, (16, 3), "CategoricalAccuracy"),  # Keras 3: shapes only
        ("sparse_categorical_crossentropy", 3, (16,), "SparseCategoricalAccuracy"),
        ("categorical_crossentropy", 3, (16, 3), "CategoricalAccuracy"),
        ("mse", 1, (16, 1), "BinaryAccuracy"),
    ],
)
def test_accuracy_resolution_matches_a_compiled_keras_model(keras, loss, units, y_shape, expected):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation="sigmoid")])
    model.compile("sgd", loss=loss, metrics=["acc"])
    x = np.random.rand(16, 4).astype("float32")
    y = np.random.randint(0, max(units, 2) if len(y_shape) == 1 else 2, size=y_shape)
    history = model.fit(x, y.astype("float32"), verbose=0)
    keras_metric = model._compile_metrics._flat_metrics[0].metrics[0]
    assert type(keras_metric).__name__ == expected and "acc" in history.history
    # kerastorch: from the loss and output shape alone where that settles it, else from data.
    ours = metrics.get("acc", loss=loss, output_shape=(None, units))
    ours.update_state(torch.as_tensor(y, dtype=torch.float32), torch.rand(16, units))
    assert _accuracy_class(ours) == expected


def _accuracy_class(metric):
    """The class name of an accuracy metric, or of what a lazily resolved one chose."""
    if getattr(metric, "resolved", None) is not None:
        return metrics._ACCURACY_CLASSES[metric.resolved].__name__
    return type(metric).__name__


@pytest.mark.parametrize(
    ("loss", "output_shape", "expected"),
    [
        ("binary_crossentropy", (None, 1), metrics.BinaryAccuracy),
        ("mse", (None, 1), metrics.BinaryAccuracy),
        ("sparse_categorical_crossentropy", (None, 10), metrics.SparseCategoricalAccuracy),
        (losses.SparseCategoricalCrossentropy(True), None, metrics.SparseCategoricalAccuracy),
        (losses.sparse_categorical_crossentropy, (None, 5), metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", (None, 10), metrics.CategoricalAccuracy),
        (losses.CategoricalCrossentropy, (None, 10), metrics.CategoricalAccuracy),
    ],
)  # fmt: skip
def test_accuracy_resolution_from_loss_and_output_shape(loss, output_shape, expected):
    assert type(metrics.get("accuracy", loss=loss, output_shape=output_shape)) is expected


def test_accuracy_undecided_without_shapes_decides_at_first_batch():
    m = metrics.get("acc", loss="binary_crossentropy", output_shape=(None, 3))
    assert m.name == "acc" and m.resolved is None
    m.update_state(torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.2, 0.9, 0.7]]))
    assert m.resolved == "categorical"  # as Keras 3 (Keras 2 chose binary accuracy here)
    assert_close(m.result(), 1.0, atol=0)


# --- names and registry --------------------------------------------------------------------

KERAS_METRIC_STRINGS = [
    "mean_squared_error", "mse", "mean_absolute_error", "mae", "mape", "msle",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "root_mean_squared_error",
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "binary_crossentropy",
    "bce", "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
    "poisson", "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity",
    "log_cosh_error", "MeanSquaredError", "BinaryAccuracy",
]  # fmt: skip


@pytest.mark.parametrize("name", KERAS_METRIC_STRINGS)
def test_string_metrics_resolve_like_keras_and_keep_the_string_as_name(keras, name):
    from keras.src.trainers.compile_utils import get_metric

    y, p = torch.zeros(4, 3), torch.rand(4, 3)
    expected = get_metric(name, y, p)
    ours = metrics.get(name)
    assert ours.name == expected.name == name
    assert type(ours).__name__ == type(expected).__name__


def test_kerastorch_extra_names():
    assert isinstance(metrics.get("rmse"), metrics.RootMeanSquaredError)
    assert metrics.get("rmse").name == "rmse"
    assert metrics.get("MAE").name == "MAE"


def test_get_objects_classes_and_callables():
    m = metrics.MeanAbsoluteError(name="my_mae")
    assert metrics.get(m) is m
    assert type(metrics.get(metrics.BinaryAccuracy)) is metrics.BinaryAccuracy
    wrapped = metrics.get(losses.mean_squared_error)
    assert isinstance(wrapped, metrics.MeanMetricWrapper)
    assert wrapped.name == "mean_squared_error" and wrapped.direction == "down"
    assert metrics.get(losses.Huber()).name == "huber_loss"


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match=r'Unknown metric: "accuarcy_binary"\.'):
        metrics.get("accuarcy_binary")
    with pytest.raises(ValueError, match=r'Did you mean "mae"\?'):
        metrics.get("maee")
    with pytest.raises(ValueError, match="Received: metric=None"):
        metrics.get(None)


def test_directions():
    assert metrics.get("acc").direction == "up"
    assert metrics.get("mae").direction == "down"
    assert metrics.BinaryCrossentropy().direction == "down"


def test_config_round_trip():
    for m in (
        metrics.BinaryAccuracy(threshold=0.7, name="ba"),
        metrics.TopKCategoricalAccuracy(k=3),
        metrics.BinaryCrossentropy(from_logits=True),
        metrics.Mean(name="loss"),
    ):
        assert type(m).from_config(m.get_config()).get_config() == m.get_config()


# --- no host synchronization, state on the data's device ------------------------------------


@pytest.mark.parametrize(
    "name", ["acc", "mae", "rmse", "sparse_categorical_accuracy", "binary_crossentropy", "hinge"]
)
def test_update_state_never_reads_values_on_the_host(name):
    """On the meta device there are no values to read: any .item(), float() or `if tensor` in
    update_state would raise. The state must also follow the data there."""
    m = metrics.get(name)
    sparse = name.startswith("sparse")
    for n in BATCH_SIZES:
        y = torch.randint(0, 3, (n,)) if sparse else torch.randint(0, 2, (n, 3)).float()
        p = torch.rand(n, 3)
        m.update_state(y.to("meta"), p.to("meta"), sample_weight=torch.rand(n, device="meta"))
    assert m.result().device.type == "meta"
    assert all(getattr(m, s).device.type == "meta" for s in m._state_names)


def test_update_state_calls_no_synchronizing_tensor_method(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("host synchronization in update_state")

    ms = [metrics.get(n) for n in ("acc", "mse", "rmse", "top_k_categorical_accuracy")]
    mean = metrics.Mean()
    for attr in ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, attr, forbidden)
    for n in BATCH_SIZES:
        y = torch.nn.functional.one_hot(torch.arange(n) % 3, 3).float()
        for m in ms:
            m.update_state(y, torch.rand(n, 3), sample_weight=torch.rand(n))
        mean.update_state(torch.tensor(1.5), sample_weight=n)
    monkeypatch.undo()
    assert all(torch.isfinite(m.result()) for m in ms)
    assert_close(mean.result(), 1.5, atol=ATOL)


def test_state_keeps_no_autograd_graph():
    p = torch.rand(4, 2, requires_grad=True)
    m = metrics.MeanSquaredError()
    m.update_state(torch.zeros(4, 2), p * 2)
    assert not m.total.requires_grad and m.total.grad_fn is None
    assert not m.result().requires_grad


def test_reset_state_and_empty_result():
    m = metrics.MeanAbsoluteError()
    assert_close(m.result(), 0.0, atol=0)
    m.update_state(torch.zeros(2), torch.ones(2))
    assert_close(m.result(), 1.0, atol=0)
    m.reset_state()
    assert_close(m.result(), 0.0, atol=0)
    m.update_state(torch.zeros(1), torch.full((1,), 3.0))
    assert_close(m.result(), 3.0, atol=0)
