"""kerastorch.losses against keras.losses (Keras 3 on the torch backend)."""

import math

import numpy as np
import pytest
import torch

from kerastorch import losses
from tests.helpers import assert_close

ATOL = 1e-6
N, T, C = 6, 5, 4


def _t(x):
    return torch.as_tensor(np.asarray(x, np.float32))


def _data(kind, shape):
    """(y_true, y_pred) of the kind a loss expects, as float32 tensors."""
    rng = np.random.default_rng(abs(hash((kind, shape))) % 2**32)
    if kind == "regression":
        return _t(rng.normal(size=shape)), _t(rng.normal(size=shape))
    if kind == "positive":
        return _t(rng.uniform(0, 3, size=shape)), _t(rng.uniform(0.01, 3, size=shape))
    if kind == "binary":  # probabilities, a few saturated, against 0/1 labels
        p = rng.uniform(0, 1, size=shape)
        p.flat[0], p.flat[1] = 0.0, 1.0
        return _t(rng.integers(0, 2, size=shape)), _t(p)
    if kind == "logits":
        return _t(rng.integers(0, 2, size=shape)), _t(rng.normal(scale=4, size=shape))
    if kind == "pm1":  # hinge labels in {-1, 1}
        return _t(rng.choice([-1.0, 1.0], size=shape)), _t(rng.normal(size=shape))
    if kind == "onehot":  # unnormalized positive scores: exercises the renormalization
        labels = rng.integers(0, shape[-1], size=shape[:-1])
        return _t(np.eye(shape[-1])[labels]), _t(rng.uniform(0.0, 2.0, size=shape))
    if kind == "onehot_logits":
        labels = rng.integers(0, shape[-1], size=shape[:-1])
        return _t(np.eye(shape[-1])[labels]), _t(rng.normal(scale=3, size=shape))
    if kind == "distribution":
        y, p = rng.uniform(0, 1, size=shape), rng.uniform(0, 1, size=shape)
        return _t(y / y.sum(-1, keepdims=True)), _t(p / p.sum(-1, keepdims=True))
    raise AssertionError(kind)


# (our class, Keras class name, data kind, constructor kwargs)
CASES = [
    (losses.MeanSquaredError, "MeanSquaredError", "regression", {}),
    (losses.MeanAbsoluteError, "MeanAbsoluteError", "regression", {}),
    (losses.MeanAbsolutePercentageError, "MeanAbsolutePercentageError", "regression", {}),
    (losses.MeanSquaredLogarithmicError, "MeanSquaredLogarithmicError", "positive", {}),
    (losses.Huber, "Huber", "regression", {}),
    (losses.Huber, "Huber", "regression", {"delta": 0.3}),
    (losses.LogCosh, "LogCosh", "regression", {}),
    (losses.KLDivergence, "KLDivergence", "distribution", {}),
    (losses.Poisson, "Poisson", "positive", {}),
    (losses.Hinge, "Hinge", "binary", {}),
    (losses.Hinge, "Hinge", "pm1", {}),
    (losses.SquaredHinge, "SquaredHinge", "binary", {}),
    (losses.SquaredHinge, "SquaredHinge", "pm1", {}),
    (losses.CategoricalHinge, "CategoricalHinge", "onehot", {}),
    (losses.CosineSimilarity, "CosineSimilarity", "regression", {}),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", "binary", {}),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", "binary", {"label_smoothing": 0.2}),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", "logits", {"from_logits": True}),
    (
        losses.BinaryCrossentropy,
        "BinaryCrossentropy",
        "logits",
        {"from_logits": True, "label_smoothing": 0.1},
    ),
    (losses.BinaryFocalCrossentropy, "BinaryFocalCrossentropy", "binary", {}),
    (
        losses.BinaryFocalCrossentropy,
        "BinaryFocalCrossentropy",
        "logits",
        {"from_logits": True, "apply_class_balancing": True, "gamma": 1.5},
    ),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy", "onehot", {}),
    (
        losses.CategoricalCrossentropy,
        "CategoricalCrossentropy",
        "onehot",
        {"label_smoothing": 0.1},
    ),
    (
        losses.CategoricalCrossentropy,
        "CategoricalCrossentropy",
        "onehot_logits",
        {"from_logits": True},
    ),
    (
        losses.CategoricalCrossentropy,
        "CategoricalCrossentropy",
        "onehot_logits",
        {"from_logits": True, "label_smoothing": 0.2},
    ),
    (losses.CategoricalFocalCrossentropy, "CategoricalFocalCrossentropy", "onehot", {}),
    (
        losses.CategoricalFocalCrossentropy,
        "CategoricalFocalCrossentropy",
        "onehot_logits",
        {"from_logits": True, "alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.1},
    ),
]
CASE_IDS = [f"{c[1]}-{c[2]}-{'-'.join(f'{k}={v}' for k, v in c[3].items())}" for c in CASES]


def _weights(shape):
    """Sample-weight variants Keras accepts for per-sample losses of ``shape[:-1]``."""
    rng = np.random.default_rng(1)
    variants = {"none": None, "(N,1)": _t(rng.uniform(0, 2, size=(shape[0], 1)))}
    if len(shape) == 2:
        variants["(N,)"] = _t(rng.uniform(0, 2, size=shape[0]))
    else:
        variants["(N,T)"] = _t(rng.uniform(0, 2, size=shape[:-1]))
    return variants


@pytest.mark.parametrize(("ours", "theirs", "kind", "kwargs"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("shape", [(N, C), (3, T, C)], ids=["2d", "3d"])
def test_loss_class_matches_keras(keras, ours, theirs, kind, kwargs, shape):
    y, p = _data(kind, shape)
    for reduction in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
        ours_loss = ours(reduction=reduction, **kwargs)
        keras_loss = getattr(keras.losses, theirs)(reduction=reduction, **kwargs)
        for sw in _weights(shape).values():
            expected = keras_loss(y, p, sample_weight=sw)
            actual = ours_loss(y, p, sample_weight=sw)
            assert_close(actual, expected, atol=ATOL, rtol=1e-6)


# (our function, Keras function name, data kind)
FUNCTIONS = [
    (losses.mean_squared_error, "mean_squared_error", "regression"),
    (losses.mse, "mean_squared_error", "regression"),
    (losses.mean_absolute_error, "mean_absolute_error", "regression"),
    (losses.mae, "mean_absolute_error", "regression"),
    (losses.mape, "mean_absolute_percentage_error", "regression"),
    (losses.msle, "mean_squared_logarithmic_error", "positive"),
    (losses.huber, "huber", "regression"),
    (losses.log_cosh, "log_cosh", "regression"),
    (losses.logcosh, "log_cosh", "regression"),
    (losses.kl_divergence, "kl_divergence", "distribution"),
    (losses.kld, "kl_divergence", "distribution"),
    (losses.kullback_leibler_divergence, "kl_divergence", "distribution"),
    (losses.poisson, "poisson", "positive"),
    (losses.hinge, "hinge", "binary"),
    (losses.squared_hinge, "squared_hinge", "pm1"),
    (losses.categorical_hinge, "categorical_hinge", "onehot"),
    (losses.cosine_similarity, "cosine_similarity", "regression"),
    (losses.binary_crossentropy, "binary_crossentropy", "binary"),
    (losses.binary_focal_crossentropy, "binary_focal_crossentropy", "binary"),
    (losses.categorical_crossentropy, "categorical_crossentropy", "onehot"),
    (losses.categorical_focal_crossentropy, "categorical_focal_crossentropy", "onehot"),
]


@pytest.mark.parametrize(("ours", "theirs", "kind"), FUNCTIONS, ids=[f[1] for f in FUNCTIONS])
def test_per_sample_function_matches_keras(keras, ours, theirs, kind):
    for shape in [(N, C), (3, T, C)]:
        y, p = _data(kind, shape)
        expected = getattr(keras.losses, theirs)(y, p)
        actual = ours(y, p)
        assert actual.shape == shape[:-1]
        assert_close(actual, expected, atol=ATOL, rtol=1e-6)


SPARSE_CASES = [
    ("(N,) int", (N,), "int64", {}),
    ("(N,1) int", (N, 1), "int64", {}),
    ("(N,) float", (N,), "float32", {}),
    ("(N,) logits", (N,), "int64", {"from_logits": True}),
    ("(N,T) int", (3, T), "int32", {}),
    ("(N,T) logits", (3, T), "int64", {"from_logits": True}),
    ("(N,T,1) float", (3, T, 1), "float32", {}),
    ("(N,) ignore", (N,), "int64", {"ignore_class": 1}),
    ("(N,T) ignore logits", (3, T), "int64", {"ignore_class": 0, "from_logits": True}),
]


@pytest.mark.parametrize(
    ("label_shape", "dtype", "kwargs"),
    [c[1:] for c in SPARSE_CASES],
    ids=[c[0] for c in SPARSE_CASES],
)
def test_sparse_categorical_crossentropy_matches_keras(keras, label_shape, dtype, kwargs):
    rng = np.random.default_rng(3)
    batch_shape = label_shape[:-1] if label_shape[-1] == 1 else label_shape
    y = torch.as_tensor(rng.integers(0, C, size=label_shape).astype(dtype))
    if kwargs.get("from_logits"):
        p = _t(rng.normal(scale=3, size=(*batch_shape, C)))
    else:
        p = _t(rng.uniform(0, 2, size=(*batch_shape, C)))
    sw_variants = [None, _t(rng.uniform(0, 2, size=batch_shape))]
    if "ignore_class" not in kwargs:  # Keras fails on (N, 1) weights with a (N, T) mask
        sw_variants.append(_t(rng.uniform(0, 2, size=batch_shape[:1]))[:, None])
    for reduction in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
        ours = losses.SparseCategoricalCrossentropy(reduction=reduction, **kwargs)
        theirs = keras.losses.SparseCategoricalCrossentropy(reduction=reduction, **kwargs)
        for sw in sw_variants:
            assert_close(ours(y, p, sample_weight=sw), theirs(y, p, sample_weight=sw), atol=ATOL)
    function_kwargs = {k: v for k, v in kwargs.items() if k != "ignore_class"}
    assert_close(
        losses.sparse_categorical_crossentropy(y, p, **function_kwargs),
        keras.losses.sparse_categorical_crossentropy(y, p, **function_kwargs),
        atol=ATOL,
    )


def test_sparse_ignore_class_with_per_sample_weights_for_sequences(keras):
    rng = np.random.default_rng(5)
    y = torch.as_tensor(rng.integers(0, C, size=(3, T)))
    p = _t(rng.uniform(0.1, 1, size=(3, T, C)))
    sw = _t([0.5, 1.0, 2.0])
    for reduction in ("sum_over_batch_size", "sum"):
        ours = losses.SparseCategoricalCrossentropy(ignore_class=2, reduction=reduction)
        theirs = keras.losses.SparseCategoricalCrossentropy(ignore_class=2, reduction=reduction)
        expected = theirs(y, p, sample_weight=sw[:, None].repeat(1, T))  # Keras needs (N, T)
        assert_close(ours(y, p, sample_weight=sw), expected, atol=ATOL)


def test_sparse_ignore_class_averages_over_kept_entries():
    y = torch.tensor([0, 1, 1])
    p = torch.tensor([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    loss = losses.SparseCategoricalCrossentropy(ignore_class=1)
    assert_close(loss(y, p), math.log(2), atol=ATOL)  # only the first entry counts
    grad_p = p.clone().requires_grad_()
    loss(y, grad_p).backward()
    assert torch.isfinite(grad_p.grad).all()


def test_n_vs_n1_is_elementwise_not_broadcast(keras):
    y = torch.tensor([1.0, 2.0, 3.0, 4.0])
    p = torch.tensor([[2.0], [3.0], [4.0], [5.0]])
    assert_close(losses.MeanSquaredError()(y, p), 1.0, atol=0)  # torch broadcasting gives 3.5
    assert_close(losses.get("mse")(p, y), 1.0, atol=0)
    assert_close(losses.mean_squared_error(y, p), [1.0] * 4, atol=0)
    assert_close(torch.mean((p - y) ** 2), 3.5)  # the trap itself: (N, 1) - (N,) is (N, N)
    assert_close(losses.MeanSquaredError()(y, p), keras.losses.MeanSquaredError()(y, p))
    # And the same through the classification losses, with (N,) labels and (N, 1) outputs.
    labels, probs = torch.tensor([1.0, 0.0]), torch.tensor([[0.8], [0.3]])
    expected = keras.losses.BinaryCrossentropy()(labels, probs)
    assert_close(losses.BinaryCrossentropy()(labels, probs), expected, atol=ATOL)


def test_crossentropy_renormalizes_probabilities():
    y, p = torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[2.0, 1.0, 1.0]])
    assert_close(losses.CategoricalCrossentropy()(y, p), -math.log(0.5), atol=ATOL)
    sparse = losses.SparseCategoricalCrossentropy()(torch.tensor([0]), p)
    assert_close(sparse, -math.log(0.5), atol=ATOL)


def test_worst_case_is_clipped_at_16_118(keras):
    worst = -math.log(1e-7)  # 16.118, where torch's BCE gives 100
    assert_close(losses.BinaryCrossentropy()(torch.ones(2, 1), torch.zeros(2, 1)), worst, atol=1e-4)
    one_hot, wrong = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert_close(losses.CategoricalCrossentropy()(one_hot, wrong), worst, atol=1e-4)
    assert_close(losses.SparseCategoricalCrossentropy()(torch.tensor([0]), wrong), worst, 1e-4)
    expected = keras.losses.BinaryCrossentropy()(torch.ones(2, 1), torch.zeros(2, 1))
    assert_close(losses.BinaryCrossentropy()(torch.ones(2, 1), torch.zeros(2, 1)), expected, ATOL)


def test_from_logits_is_stable_and_differentiable():
    logits = torch.tensor([[-200.0], [200.0]], requires_grad=True)
    loss = losses.BinaryCrossentropy(from_logits=True)(torch.tensor([1.0, 0.0]), logits)
    assert_close(loss, 200.0, atol=1e-3)
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    logits = torch.tensor([[500.0, -500.0]], requires_grad=True)
    cce = losses.CategoricalCrossentropy(from_logits=True)(torch.tensor([[0.0, 1.0]]), logits)
    assert_close(cce, 1000.0, atol=1e-3)
    cce.backward()
    assert torch.isfinite(logits.grad).all()


def test_sample_weight_per_sample_for_sequences(keras):
    """(N,) weights for (N, T) per-sample losses weight whole samples (Keras itself fails)."""
    y, p = _data("regression", (3, T, C))
    sw = torch.tensor([0.5, 1.0, 2.0])
    for reduction in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
        expected = keras.losses.MeanSquaredError(reduction=reduction)(y, p, sw[:, None])
        actual = losses.MeanSquaredError(reduction=reduction)(y, p, sw)
        assert_close(actual, expected, atol=ATOL)


def test_y_true_is_cast_to_y_pred_dtype():
    y = torch.tensor([[1], [0]])
    p = torch.tensor([[0.5], [0.5]], dtype=torch.float64)
    loss = losses.BinaryCrossentropy()(y, p)
    assert loss.dtype == torch.float64
    assert_close(loss, math.log(2), atol=1e-12)


def test_half_precision_predictions_are_computed_in_float32():
    y, p = torch.zeros(3, 1), torch.ones(3, 1, dtype=torch.float16)
    loss = losses.BinaryCrossentropy()(y, p)  # in float16, 1 - 1e-7 rounds to 1: log(0)
    assert loss.dtype == torch.float32
    assert_close(loss, losses.BinaryCrossentropy()(y, p.float()), atol=0)
    assert_close(loss, 15.9424, atol=1e-4)  # -ln(1 - float32(1 - 1e-7))


def test_loss_function_wrapper_with_user_function(keras):
    def cubic(y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred) ** 3, dim=-1)

    y, p = torch.tensor([1.0, 2.0]), torch.tensor([[1.5], [0.0]])
    wrapper = losses.LossFunctionWrapper(cubic)
    assert wrapper.name == "cubic"
    assert_close(wrapper(y, p), (0.125 + 8.0) / 2, atol=ATOL)  # shapes reconciled first
    from keras.src.losses.losses import LossFunctionWrapper

    keras_wrapper = LossFunctionWrapper(
        lambda a, b: keras.ops.mean(keras.ops.abs(a - b) ** 3, axis=-1)
    )
    assert_close(wrapper(y, p, sample_weight=[1.0, 3.0]), keras_wrapper(y, p, [1.0, 3.0]), ATOL)


@pytest.mark.parametrize(
    "name",
    [
        "mse", "MSE", "mae", "mape", "msle", "mean_squared_error", "mean_absolute_error",
        "huber", "log_cosh", "binary_crossentropy", "bce", "categorical_crossentropy", "kld",
        "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge",
        "cosine_similarity", "binary_focal_crossentropy", "MeanSquaredError", "Huber",
        "categorical_focal_crossentropy",
    ],
)  # fmt: skip
def test_get_by_name_matches_keras_compile(keras, name):
    from keras.src.trainers.compile_utils import get_loss

    kind = {
        "binary_crossentropy": "binary", "bce": "binary", "categorical_crossentropy": "onehot",
        "kld": "distribution", "kl_divergence": "distribution", "poisson": "positive",
        "msle": "positive", "hinge": "binary", "squared_hinge": "binary",
        "categorical_hinge": "onehot", "binary_focal_crossentropy": "binary",
        "categorical_focal_crossentropy": "onehot",
    }.get(name, "regression")  # fmt: skip
    y, p = _data(kind, (N, C))
    loss = losses.get(name)
    assert isinstance(loss, losses.Loss)
    assert loss.name == name
    expected = get_loss(name, y, p)(y, p, sample_weight=torch.arange(N, dtype=torch.float32))
    assert_close(loss(y, p, sample_weight=torch.arange(N)), expected, atol=ATOL, rtol=1e-6)


@pytest.mark.parametrize(
    ("y_shape", "p_shape"), [((N, 1), (N, 1)), ((N,), (N, C)), ((N, 1), (N, C)), ((N, C), (N, C))]
)
def test_crossentropy_string_resolves_like_keras(keras, y_shape, p_shape):
    from keras.src.trainers.compile_utils import get_loss

    rng = np.random.default_rng(0)
    if p_shape[-1] == 1:  # binary labels
        y = _t(rng.integers(0, 2, size=y_shape))
    elif y_shape == p_shape:  # one-hot labels
        y = _t(np.eye(C)[rng.integers(0, C, size=N)])
    else:  # integer labels
        y = _t(rng.integers(0, C, size=y_shape))
    p = _t(rng.uniform(0.05, 1, size=p_shape))
    for name in ("crossentropy", "ce"):
        expected = get_loss(name, y, p)(y, p)
        assert_close(losses.get(name)(y, p), expected, atol=ATOL)


def test_logcosh_alias_is_accepted_although_keras_rejects_it(keras):
    with pytest.raises(ValueError):
        keras.losses.get("logcosh")
    assert isinstance(losses.get("logcosh"), losses.LogCosh)


def test_get_objects_classes_and_callables():
    mse = losses.MeanSquaredError()
    assert losses.get(mse) is mse
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    wrapped = losses.get(losses.poisson)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "poisson"
    assert losses.get(None) is None
    assert losses.get("binary_crossentropy").name == "binary_crossentropy"
    assert losses.get("bce").name == "bce"


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match=r'Unknown loss: "msee". Did you mean "mse"\?'):
        losses.get("msee")
    with pytest.raises(ValueError, match="Received: loss=3"):
        losses.get(3)


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match="Received: reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match=r"y_true.shape=\(2, 3\), y_pred.shape=\(2, 4\)"):
        losses.categorical_crossentropy(torch.zeros(2, 3), torch.ones(2, 4))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy expected integer"):
        losses.sparse_categorical_crossentropy(torch.zeros(2, 3), torch.ones(2, 4))


def test_config_round_trip():
    for loss in (
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum"),
        losses.SparseCategoricalCrossentropy(ignore_class=0, name="scce"),
        losses.Huber(delta=2.0),
        losses.CosineSimilarity(axis=1),
        losses.LossFunctionWrapper(losses.hinge),
    ):
        config = loss.get_config()
        rebuilt = type(loss).from_config(config)
        assert rebuilt.get_config() == config


def test_custom_loss_subclass():
    class Cubic(losses.Loss):
        def call(self, y_true, y_pred):
            return torch.mean(torch.abs(y_true - y_pred) ** 3, dim=-1)

    loss = Cubic(reduction="sum")
    assert loss.name == "cubic"
    assert_close(loss(torch.zeros(2, 1), torch.full((2, 1), 2.0)), 16.0, atol=0)
