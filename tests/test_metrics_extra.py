"""Precision, Recall, AUC, the confusion counts and F1 / F-beta against keras.metrics.

Each metric is fed the same three batches of different sizes (then reset and fed three more) and
``result()`` is compared with Keras's after every batch, with and without sample weights.
"""

import re

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential, metrics, optimizers
from kerastorch.layers import Dense
from tests.helpers import assert_close, assert_same_config

ATOL = 1e-6
BATCH_SIZES = (5, 3, 7)
C = 4
GRID = np.array([0.0, 0.25, 0.5, 0.75, 1.0], np.float32)  # exact threshold values


def _t(x):
    return torch.as_tensor(np.asarray(x, np.float32))


def _probabilities(rng, shape):
    """Uniform probabilities, a third of them exactly on a threshold of the 0.25 grid (and 0, 1),
    where ``>`` versus ``>=`` and the bucketing of the fast path matter."""
    p = rng.uniform(size=shape).astype(np.float32)
    on_grid = rng.uniform(size=shape) < 0.35
    return np.where(on_grid, rng.choice(GRID, size=shape), p)


def _batch(kind, n, rng):
    if kind == "binary":  # (n,) labels, (n, 1) probabilities
        return _t(rng.integers(0, 2, size=n)), _t(_probabilities(rng, (n, 1)))
    if kind == "multilabel":
        return _t(rng.integers(0, 2, size=(n, C))), _t(_probabilities(rng, (n, C)))
    if kind == "logits":
        return _t(rng.integers(0, 2, size=(n, C))), _t(rng.normal(scale=3, size=(n, C)))
    if kind == "onehot":
        return _t(np.eye(C)[rng.integers(0, C, size=n)]), _t(_probabilities(rng, (n, C)))
    raise AssertionError(kind)


def _compare_streams(ours, theirs, kind, weighted):
    rng = np.random.default_rng(11)
    for _ in range(2):  # the second pass checks reset_state
        for n in BATCH_SIZES:
            y, p = _batch(kind, n, rng)
            sw = _t(rng.uniform(0, 2, size=n)) if weighted else None
            theirs.update_state(y, p, sample_weight=sw)
            ours.update_state(y, p, sample_weight=sw)
            expected = np.asarray(theirs.result().detach().cpu(), np.float64)
            assert_close(ours.result(), expected, atol=ATOL, rtol=1e-6)
        ours.reset_state()
        theirs.reset_state()


# (class name in both libraries, data kind, kwargs)
CASES = [
    ("Precision", "binary", {}),
    ("Precision", "multilabel", {"thresholds": [0.3, 0.75]}),  # compared with each threshold
    ("Precision", "multilabel", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}),  # bucketing path
    ("Precision", "multilabel", {"top_k": 2}),
    ("Precision", "multilabel", {"class_id": 1}),
    ("Precision", "multilabel", {"top_k": 2, "class_id": 3, "thresholds": 0.25}),
    ("Recall", "binary", {}),
    ("Recall", "multilabel", {"thresholds": [0.3, 0.75]}),
    ("Recall", "multilabel", {"thresholds": [0.0, 0.5, 1.0]}),
    ("Recall", "multilabel", {"top_k": 1}),
    ("Recall", "onehot", {"class_id": 2}),
    ("TruePositives", "multilabel", {"thresholds": [0.25, 0.6]}),
    ("FalsePositives", "binary", {}),
    ("TrueNegatives", "multilabel", {"thresholds": [0.0, 0.5, 1.0]}),
    ("FalseNegatives", "multilabel", {}),
    ("AUC", "binary", {}),
    ("AUC", "multilabel", {}),
    ("AUC", "multilabel", {"curve": "PR"}),
    ("AUC", "multilabel", {"curve": "PR", "summation_method": "majoring"}),
    ("AUC", "multilabel", {"summation_method": "minoring"}),
    ("AUC", "multilabel", {"summation_method": "majoring"}),
    ("AUC", "multilabel", {"curve": "PRGAIN"}),
    ("AUC", "multilabel", {"num_thresholds": 5}),  # thresholds on the data's grid values
    ("AUC", "multilabel", {"num_thresholds": 7, "curve": "PR"}),
    ("AUC", "multilabel", {"thresholds": [0.2, 0.5, 0.9]}),  # not evenly spaced
    ("AUC", "multilabel", {"thresholds": [0.25, 0.5, 0.75], "curve": "PR"}),  # evenly spaced
    ("AUC", "multilabel", {"multi_label": True}),
    ("AUC", "multilabel", {"multi_label": True, "curve": "PR", "num_labels": C}),
    ("AUC", "multilabel", {"multi_label": True, "label_weights": [1.0, 0.0, 2.0, 0.5]}),
    ("AUC", "multilabel", {"multi_label": True, "thresholds": [0.1, 0.5, 0.8]}),
    ("AUC", "multilabel", {"label_weights": [1.0, 0.0, 2.0, 0.5]}),
    ("AUC", "logits", {"from_logits": True}),
    ("F1Score", "multilabel", {}),
    ("F1Score", "multilabel", {"average": "micro"}),
    ("F1Score", "multilabel", {"average": "macro", "threshold": 0.5}),
    ("F1Score", "onehot", {"average": "weighted"}),
    ("F1Score", "onehot", {"threshold": 0.75}),
    ("FBetaScore", "multilabel", {"beta": 2.0, "average": "macro"}),
    ("FBetaScore", "multilabel", {"beta": 0.5, "threshold": 0.25}),
]
IDS = [f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]


@pytest.mark.parametrize(("cls", "kind", "kwargs"), CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_confusion_metric_stream_matches_keras(keras, cls, kind, kwargs, weighted):
    ours = getattr(metrics, cls)(**kwargs)
    theirs = getattr(keras.metrics, cls)(**kwargs)
    _compare_streams(ours, theirs, kind, weighted)


def test_per_element_sample_weights_match_keras(keras):
    """A weight per label (the shape of y_true) reaches each cell, in both paths."""
    rng = np.random.default_rng(3)
    for kwargs in ({"thresholds": [0.3, 0.6]}, {"thresholds": [0.0, 0.5, 1.0]}):
        ours, theirs = metrics.Recall(**kwargs), keras.metrics.Recall(**kwargs)
        for n in BATCH_SIZES:
            y, p = _batch("multilabel", n, rng)
            sw = _t(rng.uniform(0, 2, size=(n, C)))
            ours.update_state(y, p, sample_weight=sw)
            theirs.update_state(y, p, sample_weight=sw)
            assert_close(ours.result(), theirs.result().cpu(), atol=ATOL, rtol=1e-6)


def test_hand_computed_values():
    y = torch.tensor([0.0, 0.0, 1.0, 1.0])
    p = torch.tensor([0.1, 0.5, 0.3, 0.9])
    # Threshold 0.5: 0.5 itself is negative (strictly above counts).
    precision, recall = metrics.Precision(), metrics.Recall()
    precision.update_state(y, p)
    recall.update_state(y, p)
    assert_close(precision.result(), 1.0)
    assert_close(recall.result(), 0.5)
    # ROC with 3 thresholds (-eps, 0.5, 1 + eps): points (1, 1), (0, 0.5), (0, 0) -> 0.75.
    auc = metrics.AUC(num_thresholds=3)
    auc.update_state(y, p)
    assert_close(auc.result(), 0.75)
    # Per-class F1 with the row maximum as positive: y one-hot, p's argmax right for 2 of 3.
    f1 = metrics.F1Score()
    f1.update_state(
        torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]),
        torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]),
    )
    # class 0: TP 1, FP 1, FN 0 -> P 0.5, R 1, F1 2/3; class 1: TP 1, FN 1 -> P 1, R 0.5.
    assert_close(f1.result(), [2 / 3, 2 / 3], atol=1e-6)
    # Nothing seen yet: zeros, not NaN.
    assert_close(metrics.Precision().result(), 0.0, atol=0)
    assert_close(metrics.AUC().result(), 0.0, atol=0)


def test_state_has_no_autograd_history_and_update_never_syncs():
    """update_state runs on the meta device, where any read back to the host (item, tolist,
    bool(tensor)) raises: so it issues no GPU synchronization on a real device."""
    for metric, (y, p) in [
        (
            metrics.Precision(thresholds=[0.2, 0.7]),
            _batch("multilabel", 4, np.random.default_rng(1)),
        ),
        (metrics.Recall(top_k=2), _batch("multilabel", 4, np.random.default_rng(1))),
        (metrics.AUC(), _batch("multilabel", 4, np.random.default_rng(1))),
        (
            metrics.AUC(multi_label=True, curve="PR"),
            _batch("multilabel", 4, np.random.default_rng(1)),
        ),
        (metrics.F1Score(average="weighted"), _batch("multilabel", 4, np.random.default_rng(1))),
    ]:
        metric.update_state(y.to("meta"), p.to("meta"), sample_weight=torch.ones(4, device="meta"))
        assert metric.device.type == "meta"
        assert metric.result().device.type == "meta"
    p = torch.rand(6, 1, requires_grad=True)
    auc = metrics.AUC()
    auc.update_state(torch.ones(6), p * 1.0)
    assert not auc.true_positives.requires_grad


def test_result_shapes_follow_keras():
    y, p = _batch("multilabel", 6, np.random.default_rng(0))
    many = metrics.Precision(thresholds=[0.2, 0.5, 0.8])
    many.update_state(y, p)
    assert many.result().shape == (3,)
    one = metrics.Recall(thresholds=[0.2])
    one.update_state(y, p)
    assert one.result().shape == ()
    per_class = metrics.F1Score()
    per_class.update_state(y, p)
    assert per_class.result().shape == (C,)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("auc", "AUC"),
        ("f1_score", "F1Score"),
        ("f_beta_score", "FBetaScore"),
        ("true_positives", "TruePositives"),
        ("Precision", "Precision"),
        ("AUC", "AUC"),
    ],
)
def test_registry_resolves_the_strings_keras_resolves(keras, name, cls):
    metric = metrics.get(name)
    assert type(metric).__name__ == cls
    assert type(keras.metrics.get(name)).__name__ == cls
    assert metric.name == name  # compile's History key is the string given
    assert metric.direction == ("down" if cls.startswith("False") else "up")


def test_defaults_and_config_match_keras(keras):
    for cls, kwargs in [
        ("Precision", {"thresholds": [0.3, 0.6], "class_id": 1}),
        ("Recall", {"top_k": 2}),
        ("AUC", {"num_thresholds": 50, "curve": "PR", "multi_label": True}),
        ("AUC", {"thresholds": [0.1, 0.4]}),
        ("F1Score", {"average": "macro", "threshold": 0.4}),
        ("FBetaScore", {"beta": 2.0}),
    ]:
        ours, theirs = getattr(metrics, cls)(**kwargs), getattr(keras.metrics, cls)(**kwargs)
        assert ours.name == re.sub(r"_\d+$", "", theirs.name)  # Keras numbers repeated names
        expected = {k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype")}
        config = {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype")}
        assert_same_config(config, expected)
        rebuilt = type(ours).from_config(ours.get_config())
        assert rebuilt.get_config() == ours.get_config()
    assert metrics.AUC(num_thresholds=4).thresholds == pytest.approx(
        keras.metrics.AUC(num_thresholds=4).thresholds
    )


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: metrics.AUC(curve="ROCC"), r"curve=.*'ROCC'.*Did you mean \"ROC\""),
        (lambda: metrics.AUC(summation_method="trapezoid"), "summation_method="),
        (lambda: metrics.AUC(num_thresholds=1), "num_thresholds to be an integer > 1"),
        (lambda: metrics.AUC(num_labels=3), "num_labels is only used with multi_label=True"),
        (lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"thresholds in \[0, 1\]"),
        (lambda: metrics.Recall(top_k=0), "top_k to be a positive integer"),
        (lambda: metrics.F1Score(average="mean"), "average to be None, 'micro'"),
        (lambda: metrics.FBetaScore(beta=0.0), "beta to be a number > 0"),
        (lambda: metrics.F1Score(threshold=1.5), "0 < threshold <= 1"),
    ],
)
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_input_errors():
    with pytest.raises(ValueError, match="expects 2-D inputs"):
        metrics.F1Score().update_state(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match="multi_label=True expects y_pred of rank 2"):
        metrics.AUC(multi_label=True).update_state(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match="class_id is given, y_pred must be 2-D"):
        metrics.Precision(class_id=0).update_state(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match=r'Unknown metric: "precison". Did you mean "precision"'):
        metrics.get("precison")


def test_fit_history_with_metric_strings_matches_keras(keras):
    """compile(metrics=["precision", "recall", "auc"]): the same History as Keras's."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, :1] + 0.5 * rng.normal(size=(40, 1)) > 0).astype("float32")
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, "sigmoid")])
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    model.set_weights(keras_model.get_weights())
    names = ["precision", "recall", "auc", metrics.F1Score(threshold=0.5, average="micro")]
    keras_names = [*names[:3], keras.metrics.F1Score(threshold=0.5, average="micro")]
    keras_model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=keras_names)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=names)
    ours = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    theirs = keras_model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert_close(ours[key], np.asarray(theirs[key], np.float64), atol=1e-5)


# -- R2Score ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"class_aggregation": "variance_weighted_average"},
        {"class_aggregation": None},
        {"num_regressors": 2},
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_score_streams_like_keras(keras, kwargs, weighted):
    ours, theirs = metrics.R2Score(**kwargs), keras.metrics.R2Score(**kwargs)
    rng = np.random.default_rng(3)
    for _ in range(2):  # the second pass checks reset_state
        for n in BATCH_SIZES:
            y = _t(rng.normal(size=(n, 3)))
            p = y + _t(rng.normal(scale=0.5, size=(n, 3)))
            sw = _t(rng.uniform(0, 2, size=n)) if weighted else None
            theirs.update_state(y, p, sample_weight=sw)
            ours.update_state(y, p, sample_weight=sw)
            expected = np.asarray(theirs.result().detach().cpu(), np.float64)
            assert_close(ours.result(), expected, atol=1e-5, rtol=1e-5)
        ours.reset_state()
        theirs.reset_state()


def test_r2_score_and_metric_functions_in_fit_match_keras(keras):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype("float32")
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model = Sequential([Input((3,)), Dense(1)])
    model.set_weights(reference.get_weights())
    args = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0}
    # keras.metrics re-exports the loss functions: a function metric logs under its name.
    for m, opt, module in (
        (reference, keras.optimizers.SGD(0.05), keras.metrics),
        (model, optimizers.SGD(0.05), metrics),
    ):
        m.compile(optimizer=opt, loss="mse", metrics=["r2_score", module.mean_absolute_error])
    expected = reference.fit(x, y, validation_split=0.25, **args).history
    actual = model.fit(x, y, validation_split=0.25, **args).history
    assert sorted(actual) == sorted(expected)
    for key in expected:
        assert_close(actual[key], expected[key], atol=1e-5)


def test_r2_score_arguments_are_checked():
    with pytest.raises(ValueError, match="class_aggregation to be one of"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="num_regressors to be an integer >= 0"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match=r"expects 2-D inputs .* y_true of shape \(2, 1, 1\)"):
        metrics.R2Score().update_state(torch.zeros(2, 1, 1), torch.zeros(2, 1, 1))


@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
@pytest.mark.parametrize("weighted", [False, True])
def test_correlation_metrics_stream_like_keras(keras, name, weighted):
    ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
    rng = np.random.default_rng(6)
    for n in BATCH_SIZES:
        y = _t(rng.normal(size=(n, 4)))
        p = 0.7 * y + _t(rng.normal(scale=0.6, size=(n, 4))) + 0.2
        sw = _t(rng.uniform(0, 2, size=n)) if weighted else None
        theirs.update_state(y, p, sample_weight=sw)
        ours.update_state(y, p, sample_weight=sw)
        expected = np.asarray(theirs.result().detach().cpu(), np.float64)
        assert_close(ours.result(), expected, atol=1e-5, rtol=1e-5)
    snake = {"PearsonCorrelation": "pearson_correlation"}.get(name, "concordance_correlation")
    assert type(metrics.get(snake)).__name__ == name
    y, p = _t(rng.normal(size=(3, 5))), _t(rng.normal(size=(3, 5)))
    expected = np.asarray(getattr(keras.metrics, snake)(y, p).detach().cpu())
    assert_close(getattr(metrics, snake)(y, p), expected, atol=1e-5)
