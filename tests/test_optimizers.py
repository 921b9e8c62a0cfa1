"""kerastorch.optimizers against Keras 3 (torch backend): same start, same gradients, same steps."""

import copy
import pickle

import numpy as np
import pytest
import torch

from kerastorch import optimizers as kt
from tests.helpers import assert_close

SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 5

# (Keras class name, constructor arguments): defaults first, then the non-default paths.
CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.3}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("Adam", {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("Adam", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.1, "global_clipnorm": 1.0}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("RMSprop", {"rho": 0.5, "epsilon": 1e-3, "global_clipnorm": 0.5}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "clipnorm": 1.0}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9, "weight_decay": 0.05}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.05, "beta_1": 0.8, "clipvalue": 0.5}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.05, "beta_2": 0.99, "weight_decay": 0.02}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 1.0, "clipnorm": 0.5}),
]
NAMES = ["SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "AdamW", "Lion"]


def make_problem(seed=1, steps=STEPS):
    """Initial values and a sequence of gradients (one all-zero gradient on the first step)."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(steps)]
    grads[0][2][...] = 0.0
    return init, grads


def run_keras(keras, name, kwargs, init, grads, new_lr=None):
    """Parameter values after each Keras step; ``new_lr`` = {step index: learning rate}."""
    opt = getattr(keras.optimizers, name)(**kwargs)
    variables = [keras.Variable(v) for v in init]
    history = []
    for i, step_grads in enumerate(grads):
        if new_lr and i in new_lr:
            opt.learning_rate = new_lr[i]
        opt.apply_gradients(zip([torch.tensor(g) for g in step_grads], variables, strict=True))
        history.append([np.array(v.numpy()) for v in variables])
    return history


def run_kerastorch(name, kwargs, init, grads, new_lr=None):
    params = [torch.nn.Parameter(torch.tensor(v)) for v in init]
    opt = getattr(kt, name)(**kwargs).build(params)
    history = []
    for i, step_grads in enumerate(grads):
        if new_lr and i in new_lr:
            opt.learning_rate = new_lr[i]
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g)
        opt.step()
        history.append([p.detach().clone() for p in params])
    return history, opt


def assert_histories_close(ours, theirs, atol=1e-6):
    for step, (ours_step, theirs_step) in enumerate(zip(ours, theirs, strict=True)):
        for i, (a, b) in enumerate(zip(ours_step, theirs_step, strict=True)):
            try:
                assert_close(a, b, atol=atol)
            except AssertionError as error:
                raise AssertionError(f"step {step + 1}, variable {i}: {error}") from None


# -- update rules against Keras ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=lambda c: str(c))
def test_steps_match_keras(keras, name, kwargs):
    init, grads = make_problem()
    ours, opt = run_kerastorch(name, kwargs, init, grads)
    assert_histories_close(ours, run_keras(keras, name, kwargs, init, grads))
    assert opt.iterations == STEPS


def test_clipping_is_active_in_the_cases():
    # The clip cases above would pass vacuously if the gradients were already small.
    _, grads = make_problem()
    norms = [np.linalg.norm(g) for g in grads[1]]
    assert max(norms) > 1.0 and np.sqrt(sum(n**2 for n in norms)) > 1.0
    assert max(np.abs(g).max() for g in grads[1]) > 0.5


def test_keras_adam_first_step_is_0_0969(keras):
    # KERAS-FACTS C: epsilon is added to sqrt(v), not to the bias-corrected sqrt(v_hat).
    init, grads = [np.zeros(1, np.float32)], [[np.full(1, 1e-4, np.float32)]]
    ours, _ = run_kerastorch("Adam", {"learning_rate": 0.1}, init, grads)
    theirs = run_keras(keras, "Adam", {"learning_rate": 0.1}, init, grads)
    assert -ours[0][0].item() == pytest.approx(0.0969, abs=5e-5)
    assert_histories_close(ours, theirs)
    # torch's rule gives 0.0999 with the same epsilon: the formulas really differ.
    w = torch.nn.Parameter(torch.zeros(1))
    w.grad = torch.full((1,), 1e-4)
    torch.optim.Adam([w], lr=0.1, eps=1e-7).step()
    assert -w.item() == pytest.approx(0.0999, abs=5e-5)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("SGD", {"learning_rate": 0.1, "momentum": 0.9}), ("Adam", {"learning_rate": 0.1})],
)
def test_learning_rate_change_mid_run_matches_keras(keras, name, kwargs):
    init, grads = make_problem(seed=2)
    new_lr = {2: 0.01, 4: 0.3}
    ours, opt = run_kerastorch(name, kwargs, init, grads, new_lr)
    assert_histories_close(ours, run_keras(keras, name, kwargs, init, grads, new_lr))
    assert opt.learning_rate == 0.3
    assert all(group["lr"] == 0.3 for group in opt.param_groups)


def test_sgd_momentum_with_changed_lr_differs_from_torch():
    # Keras's velocity holds lr * g from earlier steps; torch's holds g and uses the new lr.
    init, grads = make_problem(seed=2)
    ours, _ = run_kerastorch("SGD", {"learning_rate": 0.1, "momentum": 0.9}, init, grads, {2: 0.01})
    params = [torch.nn.Parameter(torch.tensor(v)) for v in init]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    for i, step_grads in enumerate(grads):
        if i == 2:
            opt.param_groups[0]["lr"] = 0.01
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g)
        opt.step()
    assert not torch.allclose(ours[-1][0], params[0].detach(), atol=1e-3)


# -- defaults and config -----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_defaults_equal_keras(keras, name):
    ours = getattr(kt, name)().get_config()
    theirs = getattr(keras.optimizers, name)().get_config()
    for key, value in ours.items():
        if key == "name":
            continue
        if isinstance(value, float):
            # Keras reports its float32 learning-rate variable: 0.0010000000474974513.
            assert theirs[key] == pytest.approx(value, rel=1e-6), key
        else:
            assert theirs[key] == value, key
    assert set(theirs) - set(ours) == set(kt._KERAS_ONLY_DEFAULTS)


@pytest.mark.parametrize("name", NAMES)
def test_from_config_accepts_keras_config(keras, name):
    theirs = getattr(keras.optimizers, name)(learning_rate=0.05).get_config()
    opt = getattr(kt, name).from_config(theirs)
    assert opt.learning_rate == pytest.approx(0.05)
    assert opt.name == theirs["name"]


def test_from_config_rejects_unsupported_keras_features(keras):
    config = keras.optimizers.Adam(use_ema=True).get_config()
    with pytest.raises(ValueError, match=r"Adam: use_ema=True is not supported by kerastorch"):
        kt.Adam.from_config(config)


def test_get_config_round_trip_and_repr():
    opt = kt.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True, clipnorm=1.0, name="rms")
    clone = kt.RMSprop.from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()
    assert repr(opt) == (
        "RMSprop(learning_rate=0.01, clipnorm=1.0, rho=0.8, momentum=0.5, centered=True, "
        "name='rms')"
    )
    assert kt.deserialize(kt.serialize(opt)).get_config() == opt.get_config()


def test_positional_learning_rate_and_keras_argument_order():
    assert kt.Adam(0.01).learning_rate == 0.01
    assert kt.SGD(0.1, 0.9, True).get_config()["nesterov"] is True
    assert kt.AdamW(0.01, 0.1).get_config()["weight_decay"] == 0.1


# -- torch machinery ---------------------------------------------------------------------------


def _run(opt, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g)
        opt.step()


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
        ("Nadam", {"learning_rate": 0.1}),
        ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
        ("RMSprop", {"momentum": 0.5, "centered": True}),
        ("Adagrad", {}),
        ("Adadelta", {}),
        ("Adamax", {}),
    ],
)
def test_state_dict_round_trip_gives_identical_steps(name, kwargs):
    init, grads = make_problem(seed=3, steps=6)
    params_a = [torch.nn.Parameter(torch.tensor(v)) for v in init]
    opt_a = getattr(kt, name)(**kwargs).build(params_a)
    _run(opt_a, params_a, grads[:3])
    saved = pickle.loads(pickle.dumps(opt_a.state_dict()))

    params_b = [torch.nn.Parameter(p.detach().clone()) for p in params_a]
    opt_b = getattr(kt, name)(**kwargs).build(params_b)
    opt_b.load_state_dict(saved)
    assert opt_b.iterations == 3
    _run(opt_a, params_a, grads[3:])
    _run(opt_b, params_b, grads[3:])
    for a, b in zip(params_a, params_b, strict=True):
        assert torch.equal(a, b)


def test_works_with_torch_lr_scheduler():
    w = torch.nn.Parameter(torch.ones(2))
    opt = kt.SGD(1.0, params=[w])
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(3):
        w.grad = torch.ones(2)
        opt.step()
        scheduler.step()
    assert opt.learning_rate == pytest.approx(0.1)
    assert w.detach().tolist() == pytest.approx([1 - 1 - 1 - 0.1] * 2)


def test_param_groups_override_hyper_parameters():
    a, b = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
    opt = kt.SGD(0.1).build([{"params": [a]}, {"params": [b], "lr": 0.5, "weight_decay": 0.1}])
    a.grad, b.grad = torch.ones(1), torch.ones(1)
    opt.step()
    assert a.item() == pytest.approx(0.9)
    assert b.item() == pytest.approx(1 - 0.1 * 0.5 - 0.5)
    assert opt.learning_rate == 0.1  # param group 0


def test_params_keyword_builds_at_once_and_zero_grad_works():
    model = torch.nn.Linear(3, 1)
    opt = kt.Adam(learning_rate=1e-3, params=model.parameters())
    assert opt.built and isinstance(opt, torch.optim.Optimizer)
    model(torch.ones(2, 3)).sum().backward()
    opt.step()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_iterations_counts_only_steps_with_gradients():
    w = torch.nn.Parameter(torch.ones(2))
    opt = kt.Adam(params=[w])
    opt.step()  # no gradient yet: nothing happens, as in torch
    assert opt.iterations == 0
    w.grad = torch.ones(2)
    opt.step()
    opt.step()
    assert opt.iterations == 2


def test_gradients_are_not_modified_by_clipping():
    w = torch.nn.Parameter(torch.zeros(3))
    opt = kt.SGD(1.0, clipnorm=1.0, params=[w])
    w.grad = torch.tensor([3.0, 4.0, 0.0])
    opt.step()
    assert w.grad.tolist() == [3.0, 4.0, 0.0]
    assert w.detach().tolist() == pytest.approx([-0.6, -0.8, 0.0])


def test_build_twice_and_copies():
    model = torch.nn.Linear(2, 1)
    opt = kt.Adam(0.01)
    assert not opt.built and opt.iterations == 0
    opt.build(model.parameters())
    opt.build(model.parameters())  # same parameters: nothing happens, as in Keras
    with pytest.raises(RuntimeError, match="Adam is already built on other parameters"):
        opt.build(torch.nn.Linear(2, 1).parameters())
    assert copy.deepcopy(kt.Adam(0.01, amsgrad=True)).get_config()["amsgrad"] is True
    assert copy.deepcopy(opt).learning_rate == 0.01


def test_hooks_registered_before_build_are_kept():
    calls = []
    w = torch.nn.Parameter(torch.ones(1))
    opt = kt.SGD(0.1)
    opt.register_step_pre_hook(lambda *args: calls.append("pre"))
    opt.build([w])
    w.grad = torch.ones(1)
    opt.step()
    assert calls == ["pre"]


# -- get and the registry ----------------------------------------------------------------------


def test_get_resolves_every_keras_name():
    for name in ["sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "adamw"]:
        opt = kt.get(name)
        assert isinstance(opt, kt.Optimizer) and not opt.built
        assert type(opt).__name__.lower() == name
    assert isinstance(kt.get("RMSprop"), kt.RMSprop)
    assert kt.get("Adam") is not kt.get("Adam")


def test_get_passes_objects_through():
    opt = kt.Adam()
    assert kt.get(opt) is opt
    torch_opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    assert kt.get(torch_opt) is torch_opt
    assert kt.get(torch.optim.AdamW) is torch.optim.AdamW
    assert isinstance(kt.get(kt.Nadam), kt.Nadam)
    assert kt.get({"class_name": "SGD", "config": {"learning_rate": 0.5}}).learning_rate == 0.5


def test_unknown_name_gets_did_you_mean():
    with pytest.raises(ValueError, match=r'Unknown optimizer: "rmsprp". Did you mean "rmsprop"\?'):
        kt.get("rmsprp")
    with pytest.raises(ValueError, match="received identifier=3"):
        kt.get(3)


# -- error messages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: kt.Adam(beta_1=1.5), "Adam: expected 0 <= beta_1 < 1, received beta_1=1.5."),
        (lambda: kt.Nadam(beta_2=1.0), "Nadam: expected 0 <= beta_2 < 1, received beta_2=1.0."),
        (
            lambda: kt.SGD(learning_rate=-0.1),
            "SGD: expected learning_rate >= 0, received learning_rate=-0.1.",
        ),
        (
            lambda: kt.RMSprop(epsilon=-1.0),
            "RMSprop: expected epsilon >= 0, received epsilon=-1.0.",
        ),
        (lambda: kt.SGD(momentum=1.2), "SGD: expected 0 <= momentum <= 1, received momentum=1.2."),
        (lambda: kt.Adam(amsgrad="yes"), "Adam: expected amsgrad to be True or False"),
        (lambda: kt.AdamW(weight_decay=None), "AdamW: expected weight_decay >= 0"),
        (
            lambda: kt.SGD(clipnorm=1.0, global_clipnorm=1.0),
            "SGD: expected at most one of clipnorm, clipvalue and global_clipnorm",
        ),
        (lambda: kt.Adam(lr=0.1), "Adam: unknown argument lr=0.1. kerastorch uses Keras's names"),
        (lambda: kt.Adam(learnin_rate=0.1), 'Did you mean "learning_rate"?'),
    ],
)
def test_error_messages(make, message):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    assert message in str(info.value)


def test_using_before_build_explains_how_to_build():
    opt = kt.Adam(0.01)
    expected = "Adam is not built: call optimizer.build(model.parameters()) or pass it to"
    for use in (opt.step, opt.zero_grad, opt.state_dict, lambda: opt.param_groups):
        with pytest.raises(RuntimeError) as info:
            use()
        assert expected in str(info.value)
    assert not hasattr(opt, "param_groups")


def test_torch_order_of_arguments_is_explained():
    with pytest.raises(TypeError, match=r"the first argument is learning_rate \(Keras's order\)"):
        kt.Adam(torch.nn.Linear(2, 1).parameters())


@pytest.mark.parametrize("name", NAMES)
def test_float64_parameters_keep_their_dtype(name):
    w = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = getattr(kt, name)(learning_rate=0.1, params=[w])
    for _ in range(2):
        w.grad = torch.full((3,), 0.5, dtype=torch.float64)
        opt.step()
    assert w.dtype == torch.float64 and bool((w < 1).all())
    assert all(buf.dtype == torch.float64 for buf in opt.state[w].values())


def test_lion_refuses_beta_1_zero_like_keras(keras):
    with pytest.raises(ValueError, match="beta_1"):
        keras.optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match=r"expected 0 < beta_1 <= 1 .* SignSGD"):
        kt.Lion(beta_1=0.0)
    assert type(kt.get("lion")) is kt.Lion
