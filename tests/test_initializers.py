"""kerastorch.initializers: Keras's definitions, checked statistically and against Keras itself."""

import math

import numpy as np
import pytest
import torch

from kerastorch import initializers as ki

TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated to (-2, 2)

CLASSES = [
    "Zeros",
    "Ones",
    "Constant",
    "Identity",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "GlorotUniform",
    "GlorotNormal",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "Orthogonal",
]
NAMES = [
    "zeros",
    "ones",
    "constant",
    "identity",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
]


# -- fans --------------------------------------------------------------------------------------


def test_compute_fans_like_keras():
    assert ki.compute_fans((400, 800)) == (400, 800)
    assert ki.compute_fans((3, 16, 32)) == (48, 96)  # Conv1D kernel (k, in, out)
    assert ki.compute_fans((7,)) == (7, 7)
    assert ki.compute_fans(()) == (1, 1)
    assert ki.compute_fans((2, 3, 4), input_axes=[0, 1], output_axes=[2]) == (6, 4)


# -- distributions -----------------------------------------------------------------------------


def test_glorot_uniform_bounds_and_variance():
    w = ki.GlorotUniform()((400, 800))
    limit = math.sqrt(6 / 1200)
    assert w.abs().max() <= limit
    assert w.abs().max() > 0.99 * limit
    assert w.var().item() == pytest.approx(limit**2 / 3, rel=0.03)
    assert abs(w.mean().item()) < 0.01 * limit


def test_lstm_kernel_shapes_use_keras_fans():
    # KERAS-FACTS A: an LSTM kernel (in, 4u) has limit sqrt(6 / (in + 4u)).
    w = ki.GlorotUniform()((3, 4 * 64))
    assert w.abs().max() <= math.sqrt(6 / (3 + 256))
    assert w.abs().max() > 0.95 * math.sqrt(6 / (3 + 256))


@pytest.mark.parametrize(
    ("init", "shape", "variance"),
    [
        (ki.GlorotNormal(), (300, 500), 2 / 800),
        (ki.HeNormal(), (300, 500), 2 / 300),
        (ki.LecunNormal(), (300, 500), 1 / 300),
        (ki.VarianceScaling(3.0, "fan_out"), (300, 500), 3 / 500),
        (ki.VarianceScaling(2.0, "fan_in"), (5, 60, 500), 2 / 300),  # conv: fan_in = 5 * 60
    ],
    ids=repr,
)
def test_truncated_normal_families(init, shape, variance):
    w = init(shape)
    std = math.sqrt(variance)
    assert w.std().item() == pytest.approx(std, rel=0.03)  # std after truncation
    assert w.abs().max() <= 2 * std / TRUNCATED_STD + 1e-6


@pytest.mark.parametrize(
    ("init", "limit"),
    [
        (ki.HeUniform(), math.sqrt(6 / 300)),
        (ki.LecunUniform(), math.sqrt(3 / 300)),
        (ki.VarianceScaling(2.0, "fan_avg", "uniform"), math.sqrt(6 / 400)),
    ],
    ids=repr,
)
def test_uniform_families(init, limit):
    w = init((300, 500))
    assert w.abs().max() <= limit
    assert w.var().item() == pytest.approx(limit**2 / 3, rel=0.03)


def test_untruncated_normal():
    w = ki.VarianceScaling(distribution="untruncated_normal")((300, 500))
    assert w.std().item() == pytest.approx(math.sqrt(1 / 300), rel=0.03)
    assert w.abs().max() > 3 * math.sqrt(1 / 300)  # really not truncated


def test_truncated_normal_never_beyond_two_stddev():
    w = ki.TruncatedNormal(mean=1.0, stddev=0.5)((1000, 1000))
    assert (w - 1.0).abs().max() <= 1.0
    assert w.mean().item() == pytest.approx(1.0, abs=1e-3)
    assert w.std().item() == pytest.approx(0.5 * TRUNCATED_STD, rel=0.01)


def test_random_normal_and_uniform_keras_defaults():
    w = ki.RandomNormal()((500, 500))
    assert w.std().item() == pytest.approx(0.05, rel=0.02)
    u = ki.RandomUniform()((500, 500))
    assert u.min() >= -0.05 and u.max() < 0.05
    assert u.var().item() == pytest.approx(0.05**2 / 3, rel=0.02)


@pytest.mark.parametrize("units", [8, 50])
def test_orthogonal_recurrent_kernel_has_orthonormal_rows(units):
    w = ki.Orthogonal()((units, 4 * units))
    assert w.shape == (units, 4 * units)
    torch.testing.assert_close(w @ w.T, torch.eye(units), atol=1e-5, rtol=0)


def test_orthogonal_tall_square_conv_and_gain():
    tall = ki.Orthogonal()((40, 10))
    torch.testing.assert_close(tall.T @ tall, torch.eye(10), atol=1e-5, rtol=0)
    square = ki.Orthogonal(gain=2.0)((16, 16))
    torch.testing.assert_close(square @ square.T, 4 * torch.eye(16), atol=1e-4, rtol=0)
    conv = ki.Orthogonal()((3, 4, 5)).reshape(12, 5)
    torch.testing.assert_close(conv.T @ conv, torch.eye(5), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"Orthogonal: expected a shape of rank 2 or more"):
        ki.Orthogonal()((5,))


def test_orthogonal_is_the_sign_corrected_q_of_keras():
    # Same normal matrix -> Keras's formula (QR, Q * sign(diag R), transpose when wide).
    w = ki.Orthogonal(seed=7)((3, 6))
    gen = torch.Generator().manual_seed(7)
    q, r = torch.linalg.qr(torch.randn(6, 3, generator=gen))
    torch.testing.assert_close(w, (q * torch.sign(torch.diagonal(r))).T)


def test_identity_and_constants():
    assert torch.equal(ki.Identity()((3, 3)), torch.eye(3))
    assert torch.equal(ki.Identity(gain=0.5)((2, 3)), 0.5 * torch.eye(2, 3))
    with pytest.raises(
        ValueError, match=r"Identity: expected a 2-D shape, received shape=\(2, 2, 2\)"
    ):
        ki.Identity()((2, 2, 2))
    assert torch.equal(ki.Zeros()((2, 3)), torch.zeros(2, 3))
    assert torch.equal(ki.Ones()(4), torch.ones(4))
    assert torch.equal(ki.Constant(2.5)((2,)), torch.full((2,), 2.5))
    assert ki.Zeros()((2,), dtype=torch.int64).dtype == torch.int64


def test_dtypes():
    assert ki.GlorotUniform()((3, 4), dtype=torch.float64).dtype == torch.float64
    assert ki.Orthogonal()((3, 4), dtype="float64").dtype == torch.float64
    assert ki.HeNormal()((3, 4), dtype=torch.bfloat16).dtype == torch.bfloat16
    assert ki.Ones()((2,), dtype=None).dtype == torch.float32
    with pytest.raises(ValueError, match="RandomNormal: expected a floating-point dtype"):
        ki.RandomNormal()((2,), dtype=torch.int32)


# -- seeds -------------------------------------------------------------------------------------


def test_seed_makes_results_reproducible():
    a = ki.GlorotUniform(seed=3)((20, 30))
    assert torch.equal(a, ki.GlorotUniform(seed=3)((20, 30)))
    init = ki.Orthogonal(seed=3)
    assert torch.equal(init((5, 20)), init((5, 20)))  # like Keras: same values every call
    assert not torch.equal(a, ki.GlorotUniform(seed=4)((20, 30)))


def test_no_seed_follows_torch_global_generator():
    init = ki.RandomNormal()
    torch.manual_seed(11)
    a = init((50,))
    b = init((50,))
    torch.manual_seed(11)
    assert torch.equal(a, init((50,)))
    assert not torch.equal(a, b)


def test_bad_seed_is_rejected():
    with pytest.raises(ValueError, match=r"GlorotUniform: expected seed to be an int or None"):
        ki.GlorotUniform(seed="1")


# -- against Keras -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("glorot_uniform", (200, 300)),
        ("glorot_normal", (200, 300)),
        ("he_uniform", (200, 300)),
        ("he_normal", (200, 300)),
        ("lecun_uniform", (3, 60, 100)),
        ("lecun_normal", (3, 60, 100)),
        ("random_normal", (200, 300)),
        ("random_uniform", (200, 300)),
        ("truncated_normal", (200, 300)),
        ("orthogonal", (30, 120)),
    ],
)
def test_same_statistics_as_keras(keras, name, shape):
    ours = ki.get(name)(shape).numpy().astype(np.float64)
    theirs = np.asarray(keras.initializers.get(name)(shape)).astype(np.float64)
    assert ours.shape == theirs.shape
    assert ours.std() == pytest.approx(theirs.std(), rel=0.04)
    assert abs(ours.mean() - theirs.mean()) < 0.05 * theirs.std()
    if "uniform" in name:
        assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=0.01)


def test_constants_equal_keras(keras):
    for name, shape in [("zeros", (2, 3)), ("ones", (4,)), ("identity", (3, 5))]:
        expected = np.asarray(keras.initializers.get(name)(shape))
        np.testing.assert_array_equal(ki.get(name)(shape).numpy(), expected)


@pytest.mark.parametrize("name", CLASSES)
def test_get_config_defaults_equal_keras(keras, name):
    ours = getattr(ki, name)().get_config()
    theirs = getattr(keras.initializers, name)().get_config()
    if name == "Identity":
        # Keras 3.15's Identity.get_config() returns {} and so loses `gain`; kerastorch keeps it.
        assert theirs == {} and ours == {"gain": 1.0}
    else:
        assert ours == theirs


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Orthogonal(gain=2.0, seed=5),
        lambda m: m.VarianceScaling(2.0, "fan_out", "uniform"),
        lambda m: m.Constant(3.0),
        lambda m: m.TruncatedNormal(mean=1.0, stddev=0.2),
    ],
)
def test_reads_keras_serialized_form(keras, make):
    theirs = keras.initializers.serialize(make(keras.initializers))
    ours = ki.deserialize(theirs)
    assert ours.get_config() == make(ki).get_config()
    assert ki.serialize(ours) == {"class_name": theirs["class_name"], "config": theirs["config"]}


# -- get, registry, serialize ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_name_resolves_to_a_new_working_instance(name):
    init = ki.get(name)
    assert isinstance(init, ki.Initializer)
    assert init is not ki.get(name)
    assert init((4, 4)).shape == (4, 4)
    assert name in ki.INITIALIZERS


def test_get_accepts_keras_identifiers():
    assert isinstance(ki.get("GlorotUniform"), ki.GlorotUniform)
    assert isinstance(ki.get("OrthogonalInitializer"), ki.Orthogonal)
    assert isinstance(ki.get("uniform"), ki.RandomUniform)
    assert isinstance(ki.get(ki.HeNormal), ki.HeNormal)
    init = ki.Orthogonal(gain=3.0)
    assert ki.get(init) is init
    fn = lambda shape, dtype=None: torch.zeros(shape)  # noqa: E731
    assert ki.get(fn) is fn
    assert ki.get(None) is None
    config = {"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0}}
    assert ki.get(config).get_config() == {"seed": None, "minval": 0.0, "maxval": 1.0}


def test_typo_gets_did_you_mean():
    with pytest.raises(
        ValueError, match=r'Unknown initializer: "glorot_unifrom". Did you mean "glorot_uniform"\?'
    ):
        ki.get("glorot_unifrom")
    with pytest.raises(ValueError, match="received identifier=3"):
        ki.get(3)


def test_serialize_round_trip_and_repr():
    for init in [ki.GlorotUniform(seed=1), ki.Constant(0.5), ki.VarianceScaling(2.0, "fan_avg")]:
        config = ki.serialize(init)
        assert set(config) == {"class_name", "config"}
        assert ki.get(config).get_config() == init.get_config()
    assert repr(ki.VarianceScaling(2.0, "fan_avg")) == "VarianceScaling(scale=2.0, mode='fan_avg')"
    assert repr(ki.GlorotUniform()) == "GlorotUniform()"
    assert ki.serialize("zeros") == "zeros"


def test_argument_validation():
    with pytest.raises(ValueError, match=r"VarianceScaling: expected scale > 0, received scale=0"):
        ki.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="expected mode to be one of fan_in, fan_out, fan_avg"):
        ki.VarianceScaling(mode="fan")
    assert ki.VarianceScaling(distribution="normal").distribution == "truncated_normal"
