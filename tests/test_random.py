"""kerastorch.random against Keras 3's keras.random (torch backend).

With an int seed or a seeded SeedGenerator, both libraries seed the same torch generator the same
way, so the draws are equal; distributions are also checked by their moments.
"""

import inspect

import pytest
import torch

from kerastorch import random
from kerastorch.utils import set_random_seed

FUNCTIONS = [
    "normal",
    "uniform",
    "randint",
    "truncated_normal",
    "categorical",
    "shuffle",
    "dropout",
    "gamma",
    "binomial",
    "beta",
]

LOGITS = torch.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, -1.0]])
DRAWS = {
    "normal": lambda r, seed: r.normal((3, 4), mean=1.0, stddev=2.0, seed=seed),
    "normal-f64": lambda r, seed: r.normal((5,), dtype="float64", seed=seed),
    "uniform": lambda r, seed: r.uniform((3, 4), minval=-1.0, maxval=3.0, seed=seed),
    "uniform-scalar": lambda r, seed: r.uniform((), seed=seed),
    "randint": lambda r, seed: r.randint((3, 4), 0, 10, seed=seed),
    "randint-int64": lambda r, seed: r.randint((6,), -5, 5, dtype="int64", seed=seed),
    "truncated_normal": lambda r, seed: r.truncated_normal((50,), 1.0, 0.5, seed=seed),
    "categorical": lambda r, seed: r.categorical(LOGITS, 7, seed=seed),
    "shuffle": lambda r, seed: r.shuffle(torch.arange(12).reshape(6, 2), seed=seed),
    "shuffle-axis1": lambda r, seed: r.shuffle(torch.arange(12).reshape(2, 6), axis=1, seed=seed),
    "dropout": lambda r, seed: r.dropout(torch.ones(4, 5), 0.5, seed=seed),
    "dropout-noise-shape": lambda r, seed: r.dropout(
        torch.ones(2, 3, 4), 0.3, noise_shape=(None, 1, 4), seed=seed
    ),
    "gamma": lambda r, seed: r.gamma((6,), alpha=2.0, seed=seed),
    "binomial": lambda r, seed: r.binomial((6,), counts=10, probabilities=0.3, seed=seed),
    "beta": lambda r, seed: r.beta((6,), alpha=2.0, beta=3.0, seed=seed),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_int_seed_draws_equal_keras(keras, name):
    ours, theirs = DRAWS[name](random, 1234), DRAWS[name](keras.random, 1234)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert torch.equal(ours, theirs)
    assert torch.equal(DRAWS[name](random, 1234), ours), "an int seed repeats its values"


@pytest.mark.parametrize("name", ["normal", "uniform", "randint", "categorical", "dropout"])
def test_seed_generator_sequence_equals_keras(keras, name):
    ours_gen, theirs_gen = random.SeedGenerator(42), keras.random.SeedGenerator(42)
    ours = [DRAWS[name](random, ours_gen) for _ in range(3)]
    theirs = [DRAWS[name](keras.random, theirs_gen) for _ in range(3)]
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(ours[0], ours[1]), "a SeedGenerator advances at every draw"


def test_seed_generator_state_and_config_as_keras(keras):
    ours, theirs = random.SeedGenerator(7), keras.random.SeedGenerator(7)
    assert ours.next().tolist() == theirs.next().tolist() == [7, 0]
    assert ours.state.tolist() == [7, 1]
    assert ours.get_config() == {"seed": 7, "name": ours.name}
    clone = random.SeedGenerator.from_config({"seed": 7, "name": "other"})
    assert clone.name == "other" and clone.next().tolist() == [7, 0]
    with pytest.raises(ValueError, match="expected an int seed"):
        random.SeedGenerator(seed=1.5)


def test_unseeded_draws_follow_torch_global_seed():
    set_random_seed(3)
    first = (random.normal((4,)), random.uniform((4,)), random.SeedGenerator().next())
    set_random_seed(3)
    second = (random.normal((4,)), random.uniform((4,)), random.SeedGenerator().next())
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(random.normal((4,)), random.normal((4,)))


def test_signatures_match_keras(keras):
    for name in FUNCTIONS:
        theirs = inspect.signature(getattr(keras.random, name)).parameters.values()
        ours = inspect.signature(getattr(random, name)).parameters.values()
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs], name
    assert set(random.__all__) == {*FUNCTIONS, "SeedGenerator"}
    assert {n for n in dir(keras.random) if not n.startswith("_")} == set(random.__all__)


def test_default_dtypes():
    assert random.normal((2,)).dtype == torch.float32
    assert random.uniform((2,)).dtype == torch.float32
    assert random.truncated_normal((2,)).dtype == torch.float32
    assert random.randint((2,), 0, 3).dtype == torch.int32
    assert random.categorical(LOGITS, 2).dtype == torch.int32
    assert random.gamma((2,), 1.0).dtype == torch.float32
    assert random.uniform((2,), dtype="float16").dtype == torch.float16


def test_moments():
    n = 200_000
    x = random.normal((n,), mean=2.0, stddev=3.0, seed=0)
    assert abs(x.mean().item() - 2.0) < 0.03 and abs(x.std().item() - 3.0) < 0.03
    u = random.uniform((n,), minval=-1.0, maxval=3.0, seed=0)
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean().item() - 1.0) < 0.02
    # Truncated at 2 stddev: the standard deviation shrinks to 0.8796 of the untruncated one.
    t = random.truncated_normal((n,), mean=1.0, stddev=2.0, seed=0)
    assert (t - 1.0).abs().max() <= 4.0
    assert abs(t.std().item() - 2.0 * 0.87962566) < 0.02
    r = random.randint((n,), 3, 7, seed=0)
    assert set(r.unique().tolist()) == {3, 4, 5, 6}
    g = random.gamma((n,), alpha=3.0, seed=0)
    assert abs(g.mean().item() - 3.0) < 0.05 and abs(g.var().item() - 3.0) < 0.1
    b = random.beta((n,), alpha=2.0, beta=6.0, seed=0)
    assert abs(b.mean().item() - 0.25) < 0.01
    k = random.binomial((n,), counts=20, probabilities=0.25, seed=0)
    assert abs(k.mean().item() - 5.0) < 0.05


def test_categorical_frequencies_follow_the_softmax():
    samples = random.categorical(torch.log(torch.tensor([[0.2, 0.5, 0.3]])), 100_000, seed=0)
    freqs = torch.bincount(samples[0], minlength=3).float() / 100_000
    torch.testing.assert_close(freqs, torch.tensor([0.2, 0.5, 0.3]), atol=0.01, rtol=0)


def test_shuffle_permutes_whole_slices():
    x = torch.arange(20).reshape(10, 2)
    out = random.shuffle(x, seed=5)
    assert sorted(out[:, 0].tolist()) == x[:, 0].tolist()
    assert torch.equal(out[:, 1], out[:, 0] + 1), "rows stay whole"


def test_dropout_rate_scale_and_noise_shape():
    x = torch.ones(200, 500)
    out = random.dropout(x, 0.3, seed=1)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.01
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 1 / 0.7))
    shared = random.dropout(torch.ones(4, 6, 8), 0.5, noise_shape=(None, 1, 8), seed=2)
    assert torch.equal(shared, shared[:, :1].expand_as(shared)), "one decision per (batch, feature)"
    assert torch.equal(random.dropout(x, 0.0), x)
    assert torch.equal(random.dropout(x, 1.0), torch.zeros_like(x))
    unseeded = random.dropout(x, 0.5)
    assert set(unseeded.unique().tolist()) == {0.0, 2.0}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="uniform requires a floating point dtype"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="randint requires an integer dtype"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="Expected seed to be an int"):
        random.normal((2,), seed="1")
    with pytest.raises(ValueError, match="2-D logits"):
        random.categorical(torch.zeros(3), 2)
    with pytest.raises(ValueError, match="rate in"):
        random.dropout(torch.ones(2), 1.5)
