"""The compiled training step (compile(jit_compile=...)): the same training as eager steps.

The compiler backend is torch's "eager" one here (the same captured graph, no code
generation), so that each test traces in seconds; test_precision_and_jit.py compiles with
inductor.
"""

import contextlib
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from kerastorch import Input, Sequential, optimizers
from kerastorch.layers import GRU, LSTM, Dense, Masking, SimpleRNN
from kerastorch.training import compiled_step
from kerastorch.training.compiled_step import JitTraining, prefetch_to_device
from kerastorch.training.data import Batch
from kerastorch.training.placement import Placement
from kerastorch.utils import set_random_seed
from tests.helpers import assert_close

# Warnings torch's compiler raises about its own internals, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated"),
    pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf"),
]


@pytest.fixture(autouse=True)
def fast_backend(monkeypatch):
    monkeypatch.setattr(compiled_step, "BACKEND", "eager")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3, 2)).astype("float32")  # 50 = 2 batches of 20 and one of 10
    return x, x[:, :, 0].sum(axis=1, keepdims=True) + 0.1


def twins(layer, optimizer, jit_compile=True, shape=(3, 2)):
    """An eager model and a compiled one with the same weights and optimizer configuration."""
    models = []
    for jit in (False, jit_compile):
        set_random_seed(3)
        model = Sequential([Input(shape), layer(), Dense(1)])
        model.compile(optimizer=optimizer(), loss="mse", metrics=["mae"], jit_compile=jit)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


CASES = {
    "LSTM-Adam": (lambda: LSTM(4), lambda: optimizers.Adam(0.01)),
    "GRU-SGD-nesterov": (lambda: GRU(4), lambda: optimizers.SGD(0.05, 0.9, nesterov=True)),
    "SimpleRNN-RMSprop": (
        lambda: SimpleRNN(4),
        lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    ),
    "Dense-AdamW-clipnorm": (
        lambda: Dense(3, activation="tanh"),
        lambda: optimizers.AdamW(0.01, amsgrad=True, clipnorm=0.5),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_compiled_fit_equals_eager_fit(data, case):
    x, y = data
    layer, optimizer = CASES[case]
    eager, compiled = twins(layer, optimizer)
    args = {"batch_size": 20, "epochs": 2, "shuffle": False, "verbose": 0}
    expected = eager.fit(x, y, **args).history
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        actual = compiled.fit(x, y, **args).history
    assert [w.message for w in record if "jit_compile" in str(w.message)] == []
    step = compiled.compiled.jit.step
    assert step is not None and step.compilations == 1  # the batch of 10 ran eagerly
    assert_close(actual["loss"], expected["loss"], atol=1e-5)
    assert_close(actual["mae"], expected["mae"], atol=1e-5)
    for a, e in zip(compiled.get_weights(), eager.get_weights(), strict=True):
        assert_close(a, e, atol=1e-5)
    assert compiled.optimizer.iterations == eager.optimizer.iterations == 6


def test_graphs_are_reused_by_the_next_fit_and_follow_learning_rate_changes(data):
    x, y = data
    eager, compiled = twins(lambda: LSTM(4), lambda: optimizers.Adam(0.01))
    args = {"batch_size": 25, "epochs": 1, "shuffle": False, "verbose": 0}
    for model in (eager, compiled):
        model.fit(x, y, **args)
        model.optimizer.learning_rate = 0.003  # a factor, not a constant of the graph
        model.fit(x, y, **args)
    frames = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    compiled.fit(x, y, **args)
    eager.fit(x, y, **args)
    assert compiled.compiled.jit.step.compilations == 1
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == frames  # no recompile
    for a, e in zip(compiled.get_weights(), eager.get_weights(), strict=True):
        assert_close(a, e, atol=1e-5)


def test_masked_sequences_compile_and_equal_eager():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 4, 2)).astype("float32")
    lengths = rng.integers(1, 5, size=40)
    x[np.arange(4)[None, :] >= lengths[:, None]] = 0.0  # zero padding after each length
    y = x.sum(axis=(1, 2))[:, None]
    models = []
    for jit in (False, True):
        set_random_seed(5)
        model = Sequential([Input((4, 2)), Masking(0.0), LSTM(3), Dense(1)])
        model.compile(optimizer="adam", loss="mse", jit_compile=jit)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    args = {"batch_size": 20, "epochs": 2, "shuffle": False, "verbose": 0}
    expected = models[0].fit(x, y, **args).history["loss"]
    actual = models[1].fit(x, y, **args).history["loss"]
    assert models[1].compiled.jit.step.compilations == 1
    assert_close(actual, expected, atol=1e-5)
    for a, e in zip(models[1].get_weights(), models[0].get_weights(), strict=True):
        assert_close(a, e, atol=1e-5)


def test_ragged_sequences_share_one_padded_graph_and_equal_eager():
    rng = np.random.default_rng(2)
    xs = [rng.normal(size=(n, 2)).astype("float32") for n in rng.integers(2, 7, size=50)]
    y = np.array([[seq.sum()] for seq in xs], dtype="float32")
    models = []
    for jit in (False, True):
        set_random_seed(6)
        model = Sequential([Input((None, 2)), GRU(3), Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse", jit_compile=jit)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    args = {"batch_size": 20, "epochs": 2, "shuffle": False, "verbose": 0}
    expected = models[0].fit(xs, y, **args).history["loss"]
    actual = models[1].fit(xs, y, **args).history["loss"]
    assert models[1].compiled.jit.step.shapes == {  # every length padded to 8 steps
        (((20, 8, 2), torch.float32), ((20, 1), torch.float32), None, ((20, 8), torch.bool))
    }
    assert_close(actual, expected, atol=1e-5)
    for a, e in zip(models[1].get_weights(), models[0].get_weights(), strict=True):
        assert_close(a, e, atol=1e-5)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: LSTM(4, stateful=True), "a stateful layer"),
        (lambda: LSTM(4), "the optimizer is a Adam, not a kerastorch optimizer"),
    ],
    ids=["stateful", "torch-optimizer"],
)
def test_what_cannot_compile_runs_eagerly_with_one_warning(data, make, reason):
    x, y = data
    set_random_seed(3)
    layers = [Input(batch_shape=(10, 3, 2)), make(), Dense(1)]
    model = Sequential(layers)
    optimizer = torch.optim.Adam if "torch" in reason else "adam"
    model.compile(optimizer=optimizer, loss="mse", jit_compile=True)
    with pytest.warns(UserWarning, match=f"runs eagerly, because of {reason}") as record:
        model.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert len([w for w in record if "runs eagerly" in str(w.message)]) == 1
    assert model.compiled.jit.step is None
    assert model.optimizer is not None and np.isfinite(model.get_weights()[0]).all()


def test_sequences_longer_than_the_unroll_limit_run_eagerly_and_equal_eager():
    steps = compiled_step.MAX_TIMESTEPS + 1
    x = np.random.default_rng(4).normal(size=(20, steps, 2)).astype("float32")
    y = x[:, -3:, 0].sum(axis=1, keepdims=True)
    eager, compiled = twins(lambda: LSTM(4), lambda: optimizers.Adam(0.01), shape=(steps, 2))
    args = {"batch_size": 10, "epochs": 2, "shuffle": False, "verbose": 0}
    expected = eager.fit(x, y, **args).history["loss"]
    reason = f"a recurrent layer over {steps} timesteps"
    with pytest.warns(UserWarning, match=f"runs eagerly, because of {reason}"):
        actual = compiled.fit(x, y, **args).history["loss"]
    assert compiled.compiled.jit.step is None
    assert actual == expected  # the same eager step, bit for bit


def test_a_compiler_failure_falls_back_to_the_eager_step(data, monkeypatch):
    x, y = data
    eager, compiled = twins(lambda: LSTM(4), lambda: optimizers.Adam(0.01))

    def failing_compiler(fn, **options):
        def compiled_fn(*args):
            raise RuntimeError("no graph for you\n(details)")

        return compiled_fn

    monkeypatch.setattr(compiled_step.torch, "compile", failing_compiler)
    args = {"batch_size": 25, "epochs": 2, "shuffle": False, "verbose": 0}
    with pytest.warns(UserWarning, match="torch.compile failed: RuntimeError: no graph for you."):
        actual = compiled.fit(x, y, **args).history["loss"]
    expected = eager.fit(x, y, **args).history["loss"]
    assert_close(actual, expected, atol=1e-6)
    assert compiled.optimizer.iterations == 4  # the failed first call did not count a step


ALL_OPTIMIZERS = [
    lambda: optimizers.SGD(0.1),
    lambda: optimizers.SGD(0.1, momentum=0.9),
    lambda: optimizers.Adam(0.1, weight_decay=0.01),
    lambda: optimizers.Adam(0.1, amsgrad=True, global_clipnorm=0.3),
    lambda: optimizers.RMSprop(0.1),
    lambda: optimizers.RMSprop(0.1, momentum=0.9, centered=True, clipvalue=0.2),
    lambda: optimizers.Adagrad(0.1),
    lambda: optimizers.Adadelta(1.0),
    lambda: optimizers.Adamax(0.1),
    lambda: optimizers.Nadam(0.1),
    lambda: optimizers.Lion(0.1),
]


@pytest.mark.parametrize("make", ALL_OPTIMIZERS)
def test_apply_gradients_with_tensor_factors_equals_step(make):
    """The compiled step's form of every update rule (factors as 0-dim tensors) is step()'s."""
    torch.manual_seed(0)
    start = [torch.randn(3, 2), torch.randn(2)]
    eager = [torch.nn.Parameter(t.clone()) for t in start]
    functional = [torch.nn.Parameter(t.clone()) for t in start]
    opt_eager, opt_functional = make().build(eager), make().build(functional)
    for _ in range(3):
        grads = [torch.randn_like(t) for t in start]
        for p, g in zip(eager, grads, strict=True):
            p.grad = g.clone()
        opt_eager.step()
        plans = opt_functional.plan_step([functional])
        plans = [
            plan._replace(
                hyper={k: v for k, v in plan.hyper.items() if k not in ("lr", "step", "params")},
                factors={k: torch.tensor(v) for k, v in plan.factors.items()},
            )
            for plan in plans
        ]
        with torch.no_grad():
            opt_functional.apply_gradients(plans, [[g.clone() for g in grads]])
    for a, e in zip(functional, eager, strict=True):
        assert_close(a, e, atol=1e-6)
    assert opt_functional.iterations == opt_eager.iterations == 3


# -- jit_compile="auto" ---------------------------------------------------------------------------


class _FakeStep:
    def __init__(self, model, compiled):
        self.shapes = {"compiled"}

    def accepts(self, batch):
        return True


@pytest.fixture
def clock(monkeypatch):
    """A fake clock advanced by each eager step; the compiled step is a stand-in."""
    monkeypatch.setattr(compiled_step, "CompiledTrainStep", _FakeStep)
    monkeypatch.setattr(compiled_step, "unsupported_reason", lambda *args: None)
    now = SimpleNamespace(t=0.0)
    monkeypatch.setattr(compiled_step.time, "perf_counter", lambda: now.t)
    return now


def run_auto(clock, steps_per_epoch, epochs, step_seconds, timesteps=7):
    """Which steps of a fit run compiled under "auto"."""
    jit = JitTraining("auto")
    jit.start_fit(steps_per_epoch, epochs)
    batch = Batch(torch.zeros(20, timesteps, 5))
    compiled_steps = []
    for step in range(steps_per_epoch * epochs if steps_per_epoch else 100):
        clock.t += step_seconds
        if jit.step_for(None, None, batch) is not None:
            compiled_steps.append(step)
    return jit, compiled_steps


# 2 ms steps, 250,000 steps: eager would take 500 s; at the lowest measured speed-up (1.1x)
# compiling saves 45 s, more than a compile on a machine with an empty compiler cache (40 s).
LONG_FIT_OF_SHORT_STEPS = (25_000, 10, 0.002)


def test_auto_compiles_a_long_fit_of_short_steps_after_measuring(clock):
    _, compiled_steps = run_auto(clock, *LONG_FIT_OF_SHORT_STEPS)
    first = compiled_steps[0]
    assert first == compiled_step.AUTO_SKIP_STEPS + compiled_step.AUTO_MEASURED_STEPS
    assert compiled_steps == list(range(first, 250_000))


@pytest.mark.parametrize(
    ("steps_per_epoch", "epochs", "step_seconds", "timesteps"),
    [
        (1_000, 10, 0.001, 7),  # W1's 10 epochs: 10 s of eager steps, less than a compile
        (1_000, 100, 0.0015, 7),  # W1's 100 epochs: 14 s saved, less than a cold compile
        (10_000, 10, 0.02, 7),  # long steps: compute-bound, the fused kernels win
        (25_000, 10, 0.0035, 7),  # 3.5 ms steps (LSTM(64), batch 64): compiled was slower
        (25_000, 10, 0.002, 32),  # 32 steps: the unrolled loop measured slower than fused
        (10_000, 10, 0.001, 400),  # a long time axis: the unrolled loop would lose
        (None, 10, 0.001, 7),  # a generator of unknown length
    ],
    ids=[
        "short-fit",
        "W1-100-epochs",
        "long-steps",
        "3.5ms-steps",
        "32-steps",
        "long-sequences",
        "unknown-length",
    ],
)
def test_auto_stays_eager_where_compiling_would_not_pay_off(
    clock, steps_per_epoch, epochs, step_seconds, timesteps
):
    jit, compiled_steps = run_auto(clock, steps_per_epoch, epochs, step_seconds, timesteps)
    assert compiled_steps == [] and jit.use_compiled is not True


def test_auto_reuses_a_step_compiled_by_an_earlier_fit(clock):
    jit, _ = run_auto(clock, *LONG_FIT_OF_SHORT_STEPS)
    jit.start_fit(10, 1)  # a short fit: not worth compiling, but it is compiled already
    assert jit.step_for(None, None, Batch(torch.zeros(20, 7, 5))) is jit.step


def test_auto_is_the_default_and_a_short_fit_never_compiles(data):
    x, y = data
    model = Sequential([Input((3, 2)), LSTM(4), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=5, epochs=2, verbose=0)
    assert model.compiled.jit.request == "auto" and model.compiled.jit.step is None


# -- CUDA (mocked: the code path runs on any machine) -------------------------------------------


def test_on_cuda_the_step_compiles_with_cuda_graphs(monkeypatch):
    captured = {}

    def fake_compile(fn, **options):
        captured.update(options)
        return fn

    monkeypatch.setattr(compiled_step.torch, "compile", fake_compile)
    monkeypatch.setattr(
        compiled_step,
        "placement_of",
        lambda model: Placement(torch.device("cuda"), torch.float32),
    )
    monkeypatch.setattr(compiled_step, "BACKEND", "inductor")
    model = Sequential([Input((3, 2)), LSTM(2), Dense(1)])
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    model.compiled.bind_optimizer(model)
    marked = []
    monkeypatch.setattr(torch._dynamo, "mark_static_address", marked.append)
    step = compiled_step.CompiledTrainStep(model, model.compiled)
    assert captured == {
        "fullgraph": True,
        "dynamic": False,
        "backend": "inductor",
        "mode": "reduce-overhead",
    }
    step(Batch(torch.zeros(4, 3, 2), torch.zeros(4, 1)))  # runs uncompiled (fake_compile)
    params = list(model.parameters())
    # Parameters and the Adam slots (momentum, velocity) are at fixed addresses.
    assert len(marked) == 3 * len(params)
    assert all(any(m is p for m in marked) for p in params)


def test_batches_are_copied_to_cuda_one_step_ahead_on_a_side_stream(monkeypatch):
    events = []

    class FakeStream:
        def __init__(self, name="side", device=None):
            self.name = name

        def wait_stream(self, other):
            events.append(f"{self.name} waits for {other.name}")

    current = FakeStream("main")

    @contextlib.contextmanager
    def on_stream(stream):
        events.append(f"enter {stream.name}")
        yield
        events.append(f"exit {stream.name}")

    class FakeTensor:
        def __init__(self, name):
            self.name = name

        def record_stream(self, stream):
            events.append(f"{self.name} used on {stream.name}")

    fake_cuda = SimpleNamespace(
        Stream=FakeStream, stream=on_stream, current_stream=lambda device: current
    )
    monkeypatch.setattr(compiled_step.torch, "cuda", fake_cuda)
    monkeypatch.setattr(
        compiled_step,
        "to_device",
        lambda placement, batch: (events.append(f"copy {batch.x}"), Batch(FakeTensor(batch.x)))[1],
    )
    placement = Placement(torch.device("cuda"), torch.float32)
    for batch in prefetch_to_device(placement, [Batch("b0"), Batch("b1"), Batch("b2")]):
        events.append(f"step {batch.x.name}")
    assert events == [
        "enter side", "copy b0", "exit side", "main waits for side", "b0 used on main",
        "enter side", "copy b1", "exit side", "step b0",  # b1 copies while b0's step runs
        "main waits for side", "b1 used on main",
        "enter side", "copy b2", "exit side", "step b1",
        "main waits for side", "b2 used on main",
        "step b2",
    ]  # fmt: skip
