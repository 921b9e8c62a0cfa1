"""Keras's optimizers, with Keras's defaults and update rules, as real ``torch.optim`` optimizers.

Keras code creates its optimizer before the model's parameters exist (``Adam(learning_rate=0.01)``
or ``Adam(0.01)``), so these classes take ``learning_rate`` first and only store their
configuration. ``optimizer.build(params)`` (done by ``model.compile``/``fit``) then runs
``torch.optim.Optimizer.__init__``: from there on the object *is* a torch optimizer (``step``,
``zero_grad``, ``param_groups``, ``state_dict``/``load_state_dict``, ``torch.optim.lr_scheduler``).
People writing their own torch loop can build at once with ``params=``::

    opt = Adam(learning_rate=1e-3, params=model.parameters())

NOTE [Keras update rules]: the rules are Keras 3's (its torch backend), not torch's, and they
differ in more than defaults. Adam applies ``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)``
and ``theta -= alpha * m / (sqrt(v) + epsilon)`` (torch adds epsilon to the bias-corrected
``sqrt(v_hat)``); RMSprop and Adagrad put epsilon inside the square root; SGD keeps
``v = momentum * v - lr * g`` (torch keeps ``v = momentum * v + g`` and multiplies by the *current*
``lr``, which differs when the learning rate changes); weight decay is decoupled,
``theta -= theta * weight_decay * lr``, applied after gradient clipping and before the update, to
every optimizer (Keras's ``AdamW`` is ``Adam`` with ``weight_decay=0.004``). ``t`` is the number
of steps already taken plus one; it counts every ``step()`` in which some parameter had a
gradient.

NOTE [scalar precision]: the scalar factors of a step (bias corrections, Nadam's momentum
schedule) are computed in the parameters' precision (float32 unless they are float64), as Keras
does, with numpy scalars: no tensor is created and nothing syncs with the device. Computing them
in Python's float64 would move Adam's first steps away from Keras's by about 1e-5 relative.
"""

from __future__ import annotations

import inspect
import numbers
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np
import torch

from kerastorch import schedules
from kerastorch.errors import did_you_mean
from kerastorch.registry import Registry

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Nadam",
    "NotBuiltError",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",  # kerastorch.optimizers.schedules.ExponentialDecay, as Keras spells it
    "serialize",
]

ParamsLike = Iterable[torch.Tensor] | Iterable[dict[str, Any]]

# Keras optimizer arguments kerastorch does not implement; accepted only at their defaults (so a
# Keras `get_config()` can be passed to `from_config`).
_KERAS_ONLY_DEFAULTS: dict[str, Any] = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
# torch's names for the same arguments, to point torch users at Keras's.
_TORCH_ARG_NAMES = {
    "lr": "learning_rate",
    "eps": "epsilon",
    "betas": "beta_1 and beta_2",
    "alpha": "rho",
}
# The hook tables torch.optim.Optimizer.__init__ creates; made at construction so hooks can be
# registered (and torch's step wrapper runs) before build.
_HOOK_TABLES = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)
# Attributes that exist only once torch.optim.Optimizer.__init__ has run.
_BUILT_ATTRIBUTES = frozenset({"param_groups", "state", "defaults"})


class NotBuiltError(RuntimeError, AttributeError):
    """An optimizer was used before :meth:`Optimizer.build`.

    Also an ``AttributeError``, so ``hasattr(optimizer, "param_groups")`` is False before build.

    Example:
        >>> try:
        ...     Adam().step()
        ... except NotBuiltError as error:
        ...     print(str(error)[:17])
        Adam is not built
    """


class Optimizer(torch.optim.Optimizer):
    """Base class of kerastorch's optimizers: Keras's configuration, torch's machinery.

    The contract: ``__init__`` validates and stores the configuration (Keras's argument names
    and defaults); :meth:`build` takes the parameters and makes the object a working
    ``torch.optim.Optimizer``; :meth:`step` applies clipping, weight decay and the subclass's
    ``_update`` to each param group with ``torch._foreach_*`` ops; :meth:`get_config` returns the
    constructor arguments. Every hyper-parameter (``lr``, ``weight_decay``, ``beta_1``...) is
    also a param-group key, so groups can override them as in torch; clipping is global.

    Args:
        learning_rate: The learning rate, a float >= 0. Change it later through
            :attr:`learning_rate`, a callback or a ``torch.optim.lr_scheduler``.
        weight_decay: Decoupled weight decay: each step first does
            ``param -= param * weight_decay * lr``. ``None`` (the default) for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm. At most one of the
            three clipping arguments may be set; ``None`` or ``0`` disables clipping.
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once; see :meth:`build`.
        hyper: For subclasses: their validated hyper-parameters, which become param-group keys
            (list the ones to report in ``_hyper_names``) and are read in ``_update``.
        unknown: For subclasses: the ``**kwargs`` they received; Keras-only arguments at their
            defaults are ignored, anything else is an error naming the valid arguments.

    Example:
        >>> model = torch.nn.Linear(3, 1)
        >>> opt = Adam(learning_rate=0.01)  # no parameters yet, as in Keras
        >>> opt = opt.build(model.parameters())
        >>> model(torch.ones(2, 3)).sum().backward()
        >>> opt.step()
        >>> opt.iterations
        1
    """

    # Per-group hyper-parameters besides lr and weight_decay, in Keras's get_config order.
    _hyper_names: tuple[str, ...] = ()

    # torch wraps these two in torch._disable_dynamo, whose first call imports torch._dynamo:
    # ~1.5 s on a first fit that never compiles. They never run inside a compiled graph here
    # (a compiled step calls apply_gradients), so take torch's functions unwrapped.
    add_param_group = torch.optim.Optimizer.add_param_group.__wrapped__
    zero_grad = torch.optim.Optimizer.zero_grad.__wrapped__

    def __init__(
        self,
        learning_rate: float,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        hyper: dict[str, Any] | None = None,
        unknown: dict[str, Any] | None = None,
    ) -> None:
        cls_name = type(self).__name__
        if unknown:
            self._reject_unknown(unknown)
        if _looks_like_params(learning_rate):
            raise TypeError(
                f"{cls_name}: the first argument is learning_rate (Keras's order), received "
                "parameters. Write "
                f"{cls_name}(learning_rate=..., params=model.parameters()), or create "
                f"{cls_name}(...) and pass it to model.compile."
            )
        self.name = name if name is not None else cls_name.lower()
        self.clipnorm = self._check_number("clipnorm", clipnorm, 0.0, optional=True)
        self.clipvalue = self._check_number("clipvalue", clipvalue, 0.0, optional=True)
        self.global_clipnorm = self._check_number(
            "global_clipnorm", global_clipnorm, 0.0, optional=True
        )
        clip_args = {
            "clipnorm": clipnorm,
            "clipvalue": clipvalue,
            "global_clipnorm": global_clipnorm,
        }
        if sum(value is not None for value in clip_args.values()) > 1:
            received = ", ".join(f"{k}={v!r}" for k, v in clip_args.items())
            raise ValueError(
                f"{cls_name}: expected at most one of clipnorm, clipvalue and global_clipnorm, "
                f"received {received}."
            )
        self._weight_decay = self._check_number("weight_decay", weight_decay, 0.0, optional=True)
        # The per-group defaults given to torch.optim.Optimizer at build; "step" is the number of
        # steps taken (Keras's `iterations`), kept per group so that state_dict saves it.
        self._defaults: dict[str, Any] = {
            "lr": self._check_learning_rate(learning_rate),
            "weight_decay": self._weight_decay or 0.0,
            **(hyper or {}),
            "step": 0,
        }
        for table in _HOOK_TABLES:
            setattr(self, table, OrderedDict())
        if params is not None:
            self.build(params)

    # -- building ----------------------------------------------------------------------------

    @property
    def built(self) -> bool:
        """Whether :meth:`build` has run (the object is then a working torch optimizer)."""
        return "param_groups" in self.__dict__

    def build(self, params: ParamsLike) -> Optimizer:
        """Attach the parameters: afterwards this is a working ``torch.optim.Optimizer``.

        Building again on the same parameters does nothing (as in Keras); on other parameters it
        is an error (use ``add_param_group`` to add some).

        Args:
            params: An iterable of tensors (``model.parameters()``) or of param-group dicts
                (``[{"params": ..., "lr": 1e-4}, ...]``), as torch optimizers take.

        Returns:
            The optimizer itself.

        Example:
            >>> opt = SGD(0.1).build(torch.nn.Linear(2, 2).parameters())
            >>> opt.param_groups[0]["lr"]
            0.1
        """
        cls_name = type(self).__name__
        if isinstance(params, torch.Tensor):
            params = [params]
        groups = list(params)
        if self.built:
            if _param_ids(groups) == _param_ids(self.param_groups):
                return self
            raise RuntimeError(
                f"{cls_name} is already built on other parameters. Create a new optimizer for "
                "another model, or add parameters with optimizer.add_param_group({'params': ...})."
            )
        if not groups:
            raise ValueError(
                f"{cls_name}.build: expected at least one parameter, received none. Build the "
                "model (or call it on data) before building its optimizer."
            )
        hooks = {table: self.__dict__[table] for table in _HOOK_TABLES}
        torch.optim.Optimizer.__init__(self, groups, dict(self._defaults))
        self.__dict__.update(hooks)  # keep hooks registered before build
        return self

    def _not_built_error(self) -> NotBuiltError:
        name = type(self).__name__
        return NotBuiltError(
            f"{name} is not built: call optimizer.build(model.parameters()) or pass it to "
            f"model.compile (or create it with {name}(..., params=model.parameters()))."
        )

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails, i.e. before build for torch's attributes.
        if name in _BUILT_ATTRIBUTES:
            raise self._not_built_error()
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __getstate__(self) -> dict[str, Any]:
        # torch's __getstate__ keeps only defaults/state/param_groups; keep the config too.
        return {k: v for k, v in self.__dict__.items() if k not in _HOOK_TABLES}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "param_groups" in state or self.built:
            super().__setstate__(state)  # restores torch's hook tables and step wrapper
        else:
            self.__dict__.update(state)
            for table in _HOOK_TABLES:
                self.__dict__.setdefault(table, OrderedDict())

    # -- Keras-style attributes --------------------------------------------------------------

    @property
    def learning_rate(self) -> float:
        """The learning rate: the configured one before build, param group 0's ``lr`` after.

        Setting it sets every param group's ``lr``.

        Example:
            >>> opt = SGD(0.1)
            >>> opt.learning_rate = 0.05
            >>> opt.get_config()["learning_rate"]
            0.05
        """
        if self.built:
            return float(self.param_groups[0]["lr"])
        return self._defaults["lr"]

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        value = self._check_learning_rate(value)
        self._defaults["lr"] = value
        if self.built:
            for group in self.param_groups:
                group["lr"] = value

    @property
    def iterations(self) -> int:
        """The number of steps taken (Keras's ``optimizer.iterations``), 0 before build."""
        if not self.built:
            return 0
        return max(int(group["step"]) for group in self.param_groups)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments under Keras's names (the current learning rate).

        Example:
            >>> Adam(0.01).get_config()["beta_1"]
            0.9
        """
        config = {
            "name": self.name,
            "learning_rate": (
                self.learning_rate if self.schedule is None else schedules.serialize(self.schedule)
            ),
            "weight_decay": self._weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }
        config.update({key: self._defaults[key] for key in self._hyper_names})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """Create an (unbuilt) optimizer from :meth:`get_config`'s output or Keras's.

        Keras-only entries (``use_ema``, ``loss_scale_factor``...) are accepted at their
        default values and rejected otherwise.

        Example:
            >>> Adam.from_config(Adam(0.01, amsgrad=True).get_config())
            Adam(learning_rate=0.01, amsgrad=True)
        """
        return cls(**dict(config))

    def __repr__(self) -> str:
        defaults = _init_defaults(type(self))
        parts = [
            f"{key}={value!r}"
            for key, value in self.get_config().items()
            if key == "learning_rate" or (key != "name" and defaults.get(key, value) != value)
        ]
        if self.name != type(self).__name__.lower():
            parts.append(f"name={self.name!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- the step ----------------------------------------------------------------------------

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient.

        Args:
            closure: Optional callable that re-evaluates the model and returns the loss (as in
                torch); it runs with gradients enabled before the update.

        Returns:
            The closure's loss, or ``None``.
        """
        if not self.built:
            raise self._not_built_error()
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            self._apply_step()
        return loss

    def _apply_step(self) -> None:
        if self.schedule is not None:  # Keras: the rate at step `iterations`, before the update
            rate = float(self.schedule(self.iterations))
            for group in self.param_groups:
                group["lr"] = rate
        # 1. The parameters with a gradient, per group.
        work = []
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            work.append((group, params, [p.grad for p in params]))
        if not any(params for _, params, _ in work):
            return
        # 2. Clipping, over all groups (global_clipnorm uses the norm of every gradient).
        if self.clipnorm or self.clipvalue or self.global_clipnorm:
            clipped = iter(self._clip_gradients([g for _, _, grads in work for g in grads]))
            work = [
                (group, params, [next(clipped) for _ in grads]) for group, params, grads in work
            ]
        if any(g.is_sparse for _, _, grads in work for g in grads):
            raise RuntimeError(
                f"{type(self).__name__} does not support sparse gradients; "
                "use dense gradients (e.g. Embedding(sparse=False))."
            )
        plans = self.plan_step([params for _, params, _ in work])
        self.apply_gradients(plans, [grads for _, _, grads in work])

    def plan_step(self, params_per_group: list[list[torch.Tensor]]) -> list[StepPlan]:
        """Start a step (eagerly, outside any compiled graph): count it, and gather what each
        param group's update needs besides the gradients. ``params_per_group``: the parameters
        updated in each group (those with a gradient)."""
        plans = []
        for group, params in zip(self.param_groups, params_per_group, strict=True):
            # Keras's t = iterations + 1, the same in every group (see NOTE [Keras update rules]).
            t = group["step"] + 1
            if params:
                slots = self._slots(params, self._slot_names(group), self._slot_fill(group))
                factors = self._step_factors(group, t, _scalar_type(params))
                plans.append(StepPlan(group, params, slots, factors))
            else:
                plans.append(StepPlan(group, [], [], {}))
            group["step"] = t
        return plans

    def apply_gradients(self, plans: list[StepPlan], grads: list[list[torch.Tensor]]) -> None:
        """Update the parameters of :meth:`plan_step`'s ``plans`` from their gradients: the
        functional core of :meth:`step`, which a compiled training step runs inside its graph
        (kerastorch.training.compiled_step) with the factors as 0-dim tensors."""
        # Clipping, over all groups (global_clipnorm uses the norm of every gradient).
        if self.clipnorm or self.clipvalue or self.global_clipnorm:
            clipped = iter(self._clip_gradients([g for group_grads in grads for g in group_grads]))
            grads = [[next(clipped) for _ in group_grads] for group_grads in grads]
        for plan, group_grads in zip(plans, grads, strict=True):
            if not plan.params:
                continue
            # Decoupled weight decay, before the update as in Keras.
            if plan.hyper["weight_decay"]:
                decay = 1.0 - plan.hyper["weight_decay"] * plan.factors["lr"]
                torch._foreach_mul_(plan.params, decay)
            # The optimizer's own rule.
            self._update(plan.hyper, plan.params, group_grads, plan.slots, plan.factors)

    # -- the optimizer's rule (each subclass's) ------------------------------------------------

    def _slot_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        """The per-parameter state tensors the rule keeps (``("momentum", "velocity")``)."""
        return ()

    def _slot_fill(self, group: dict[str, Any]) -> float:
        """The initial value of the state tensors."""
        return 0.0

    def _step_factors(self, group: dict[str, Any], t: int, f: type[np.floating]) -> dict[str, Any]:
        """The scalars of step ``t`` that change between steps: the learning rate, and those
        that depend on ``t`` (computed with ``f``, NOTE [scalar precision]). A compiled step
        passes them to its graph as tensors, so that a new value never recompiles it."""
        return {"lr": group["lr"]}

    def _update(
        self,
        group: dict[str, Any],
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: list[list[torch.Tensor]],
        factors: dict[str, Any],
    ) -> None:
        """The rule: update ``params`` in place. ``group`` gives the fixed hyper-parameters
        (``_hyper_names``; never ``lr``, which is ``factors["lr"]``), ``slots`` the state tensors
        in ``_slot_names`` order; a factor is a number, or a 0-dim tensor in a compiled step
        (``_add_scaled_`` takes both)."""
        raise NotImplementedError

    def _clip_gradients(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        """Keras's clipping, on new tensors (``.grad`` is left as the backward pass made it)."""
        if self.clipnorm:
            # g * c / max(||g||, c), per gradient.
            norms = torch._foreach_norm(grads)
            torch._foreach_clamp_min_(norms, self.clipnorm)
            clipped = torch._foreach_mul(grads, self.clipnorm)
            torch._foreach_div_(clipped, norms)
            return clipped
        if self.global_clipnorm:
            c = self.global_clipnorm
            total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            # `+ (total - total)` makes the scale NaN for a non-finite norm, as in Keras.
            scale = c / torch.clamp_min(total, c) + (total - total)
            return torch._foreach_mul(grads, scale)
        v = self.clipvalue
        clipped = torch._foreach_clamp_max(grads, v)
        torch._foreach_clamp_min_(clipped, -v)
        return clipped

    def _slots(
        self, params: list[torch.Tensor], names: tuple[str, ...], fill: float = 0.0
    ) -> list[list[torch.Tensor]]:
        """Per-parameter state tensors ``names`` (created on first use, filled with ``fill``)."""
        lists: list[list[torch.Tensor]] = [[] for _ in names]
        state = self.state
        for p in params:
            slots = state[p]
            for name, out in zip(names, lists, strict=True):
                buf = slots.get(name)
                if buf is None:
                    if p.is_complex():
                        raise RuntimeError(
                            f"{type(self).__name__} does not support complex parameters."
                        )
                    buf = slots[name] = torch.full_like(
                        p, fill, memory_format=torch.preserve_format
                    )
                out.append(buf)
        return lists

    # -- validation --------------------------------------------------------------------------

    def _check_number(
        self,
        arg: str,
        value: Any,
        low: float,
        high: float | None = None,
        *,
        high_open: bool = False,
        optional: bool = False,
    ) -> Any:
        """Return ``value`` as a float if ``low <= value <= high`` (``<`` if ``high_open``)."""
        if value is None and optional:
            return None
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if ok:
            value = float(value)
            ok = low <= value and (
                high is None or value < high or (not high_open and value == high)
            )
        if not ok:
            if high is None:
                expected = f"{arg} >= {low:g}"
            else:
                expected = f"{low:g} <= {arg} {'<' if high_open else '<='} {high:g}"
            if optional:
                expected += " or None"
            raise ValueError(
                f"{type(self).__name__}: expected {expected}, received {arg}={value!r}."
            )
        return value

    def _check_learning_rate(self, value: Any) -> float:
        """A float >= 0; a ``LearningRateSchedule`` (or a dict describing one) is stored in
        ``self.schedule`` and gives the rate of each step (its value at step 0 first)."""
        if isinstance(value, dict) and "class_name" in value:
            value = schedules.deserialize(value)
        if isinstance(value, schedules.LearningRateSchedule):
            self.schedule = value
            return float(value(0))
        if callable(value) and not isinstance(value, numbers.Real):
            raise ValueError(
                f"{type(self).__name__}: expected learning_rate to be a float >= 0 or a "
                "kerastorch.optimizers.schedules.LearningRateSchedule, received "
                f"learning_rate={value!r}."
            )
        self.schedule = None
        return self._check_number("learning_rate", value, 0.0)

    def _check_flag(self, arg: str, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(
                f"{type(self).__name__}: expected {arg} to be True or False, "
                f"received {arg}={value!r}."
            )
        return bool(value)

    def _reject_unknown(self, unknown: dict[str, Any]) -> None:
        cls_name = type(self).__name__
        for key, value in unknown.items():
            if key in _KERAS_ONLY_DEFAULTS:
                if value == _KERAS_ONLY_DEFAULTS[key]:
                    continue
                raise ValueError(
                    f"{cls_name}: {key}={value!r} is not supported by kerastorch; expected "
                    f"{key}={_KERAS_ONLY_DEFAULTS[key]!r}."
                )
            valid = [p for p in _init_defaults(type(self)) if p != "params"]
            if key in _TORCH_ARG_NAMES:
                hint = f" kerastorch uses Keras's names: {_TORCH_ARG_NAMES[key]}."
            else:
                hint = did_you_mean(key, valid)
            others = ", ".join(v for v in valid if v != "learning_rate")
            raise TypeError(
                f"{cls_name}: unknown argument {key}={value!r}.{hint} "
                f"Valid arguments: learning_rate, {others}."
            )


class StepPlan(NamedTuple):
    """What one param group's update needs besides the gradients (``Optimizer.plan_step``).

    Attributes:
        hyper: The group's fixed hyper-parameters (the param group itself in an eager step).
        params: The parameters to update.
        slots: Their state tensors, one list per name of ``_slot_names``.
        factors: The scalars of this step (``lr``...), numbers or 0-dim tensors.
    """

    hyper: dict[str, Any]
    params: list[torch.Tensor]
    slots: list[list[torch.Tensor]]
    factors: dict[str, Any]


def _add_scaled_(
    targets: list[torch.Tensor],
    tensors: list[torch.Tensor],
    factor: Any,
    divisors: list[torch.Tensor] | None = None,
) -> None:
    """``targets += factor * tensors`` (``/ divisors``), for a number ``factor`` (eager: one
    fused foreach op) or a 0-dim tensor (a compiled step's factors)."""
    if not isinstance(factor, torch.Tensor):
        if divisors is None:
            torch._foreach_add_(targets, tensors, alpha=float(factor))
        else:
            torch._foreach_addcdiv_(targets, tensors, divisors, value=float(factor))
        return
    scaled = torch._foreach_mul(tensors, factor)
    if divisors is not None:
        torch._foreach_div_(scaled, divisors)
    torch._foreach_add_(targets, scaled)


def _scalar_type(params: list[torch.Tensor]) -> type[np.floating]:
    """The precision of a step's scalar factors; see NOTE [scalar precision]."""
    return np.float64 if params[0].dtype == torch.float64 else np.float32


# -- the optimizers ----------------------------------------------------------------------------


class SGD(Optimizer):
    """Stochastic gradient descent, with Keras's momentum and Nesterov rules.

    With ``momentum = 0``: ``param -= lr * g``. Otherwise Keras keeps the velocity
    ``v = momentum * v - lr * g`` and does ``param += v`` (``param += momentum * v - lr * g``
    with ``nesterov=True``). For a constant learning rate this equals ``torch.optim.SGD``; when
    the learning rate changes the velocity keeps the old rate's steps, unlike torch's.

    Args:
        learning_rate: Learning rate; Keras's default is 0.01 (torch's 1e-3).
        momentum: Momentum in ``[0, 1]``.
        nesterov: Whether to use Nesterov momentum.
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = SGD(learning_rate=0.1, params=[w])
        >>> w.grad = torch.tensor([2.0])
        >>> opt.step()
        >>> round(w.item(), 6)
        0.8
    """

    _hyper_names = ("momentum", "nesterov")

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        hyper = {
            "momentum": self._check_number("momentum", momentum, 0.0, 1.0),
            "nesterov": self._check_flag("nesterov", nesterov),
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        return ("momentum",) if group["momentum"] else ()

    def _update(self, group, params, grads, slots, factors):
        lr, momentum = factors["lr"], group["momentum"]
        if momentum == 0:
            _add_scaled_(params, grads, -lr)
            return
        (velocities,) = slots
        torch._foreach_mul_(velocities, momentum)
        _add_scaled_(velocities, grads, -lr)
        if group["nesterov"]:
            _add_scaled_(params, grads, -lr)
            torch._foreach_add_(params, velocities, alpha=momentum)
        else:
            torch._foreach_add_(params, velocities)


class Adam(Optimizer):
    """Adam, with Keras's defaults (``epsilon=1e-7``) and Keras's formula.

    ``m = beta_1 * m + (1 - beta_1) * g``, ``v = beta_2 * v + (1 - beta_2) * g²``,
    ``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)``,
    ``param -= alpha * m / (sqrt(v) + epsilon)`` (with ``amsgrad``, ``v`` is replaced by its
    running maximum). torch's Adam adds epsilon to the bias-corrected ``sqrt(v_hat)`` instead:
    with ``lr=0.1`` and a gradient of ``1e-4`` Keras's first step is 0.0969, torch's 0.0999.

    Args:
        learning_rate: Learning rate (default 1e-3).
        beta_1: Decay of the first moment, in ``[0, 1)``.
        beta_2: Decay of the second moment, in ``[0, 1)``.
        epsilon: Small constant >= 0 (Keras's 1e-7; torch's default is 1e-8).
        amsgrad: Whether to use the AMSGrad variant.
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = Adam(learning_rate=0.1, params=[w])
        >>> w.grad = torch.tensor([1e-4])
        >>> opt.step()
        >>> round(1.0 - w.item(), 4)
        0.0969
    """

    _hyper_names = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        hyper = {
            "beta_1": self._check_number("beta_1", beta_1, 0.0, 1.0, high_open=True),
            "beta_2": self._check_number("beta_2", beta_2, 0.0, 1.0, high_open=True),
            "epsilon": self._check_number("epsilon", epsilon, 0.0),
            "amsgrad": self._check_flag("amsgrad", amsgrad),
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        if group["amsgrad"]:
            return ("momentum", "velocity", "velocity_hat")
        return ("momentum", "velocity")

    def _step_factors(self, group, t, f):
        beta_1, beta_2 = group["beta_1"], group["beta_2"]
        alpha = f(group["lr"]) * np.sqrt(f(1) - f(beta_2) ** f(t)) / (f(1) - f(beta_1) ** f(t))
        return {"lr": group["lr"], "alpha": float(alpha)}

    def _update(self, group, params, grads, slots, factors):
        beta_1, beta_2 = group["beta_1"], group["beta_2"]
        m, v, *v_hat = slots
        torch._foreach_lerp_(m, grads, 1.0 - beta_1)
        torch._foreach_mul_(v, beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - beta_2)
        if v_hat:
            torch._foreach_maximum_(v_hat[0], v)
            v = v_hat[0]
        denominators = torch._foreach_sqrt(v)
        torch._foreach_add_(denominators, group["epsilon"])
        _add_scaled_(params, m, -factors["alpha"], denominators)


class AdamW(Adam):
    """Adam with decoupled weight decay; Keras's default ``weight_decay`` is 0.004 (torch's 0.01).

    The decay is Keras's: ``param -= param * weight_decay * lr`` before each Adam update (see
    :class:`Adam` for the rest and the other arguments).

    Args:
        learning_rate: Learning rate (default 1e-3).
        weight_decay: Decay factor >= 0 (default 0.004); ``None`` is not allowed.
        beta_1: Decay of the first moment, in ``[0, 1)``.
        beta_2: Decay of the second moment, in ``[0, 1)``.
        epsilon: Small constant >= 0.
        amsgrad: Whether to use the AMSGrad variant.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> AdamW().get_config()["weight_decay"]
        0.004
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError("AdamW: expected weight_decay >= 0, received weight_decay=None.")
        super().__init__(
            learning_rate,
            beta_1,
            beta_2,
            epsilon,
            amsgrad,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            **kwargs,
        )


class RMSprop(Optimizer):
    """RMSprop with Keras's defaults (``rho=0.9``, ``epsilon=1e-7``) and epsilon inside the root.

    ``s = rho * s + (1 - rho) * g²``; the step is ``lr * g / sqrt(s + epsilon)`` (with
    ``centered=True``, ``sqrt(s - a² + epsilon)`` where ``a`` averages ``g`` the same way). With
    ``momentum > 0``, ``mom = momentum * mom + step`` and ``param -= mom``; otherwise
    ``param -= step``.

    Args:
        learning_rate: Learning rate (default 1e-3; torch's is 1e-2).
        rho: Discount of the squared-gradient average, in ``[0, 1)`` (torch calls it alpha).
        momentum: Momentum in ``[0, 1]``.
        epsilon: Small constant >= 0 (torch's default is 1e-8, outside the root).
        centered: Whether to normalize by the estimated gradient variance.
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> RMSprop(momentum=0.9, centered=True)
        RMSprop(learning_rate=0.001, momentum=0.9, centered=True)
    """

    _hyper_names = ("rho", "momentum", "epsilon", "centered")

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        hyper = {
            "rho": self._check_number("rho", rho, 0.0, 1.0, high_open=True),
            "momentum": self._check_number("momentum", momentum, 0.0, 1.0),
            "epsilon": self._check_number("epsilon", epsilon, 0.0),
            "centered": self._check_flag("centered", centered),
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        names = ("velocity",)
        if group["centered"]:
            names += ("average_gradient",)
        if group["momentum"] > 0:
            names += ("momentum",)
        return names

    def _update(self, group, params, grads, slots, factors):
        lr, rho, momentum = factors["lr"], group["rho"], group["momentum"]
        velocities, *others = slots
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1.0 - rho)
        denominators = torch._foreach_add(velocities, group["epsilon"])
        if group["centered"]:
            averages = others.pop(0)
            torch._foreach_lerp_(averages, grads, 1.0 - rho)
            torch._foreach_addcmul_(denominators, averages, averages, value=-1.0)
        torch._foreach_sqrt_(denominators)
        if momentum > 0:
            (moments,) = others
            torch._foreach_mul_(moments, momentum)
            _add_scaled_(moments, grads, lr, denominators)
            torch._foreach_sub_(params, moments)
        else:
            _add_scaled_(params, grads, -lr, denominators)


class Adagrad(Optimizer):
    """Adagrad with Keras's defaults and epsilon inside the square root.

    ``acc += g²`` (``acc`` starts at ``initial_accumulator_value``), then
    ``param -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: Learning rate (default 1e-3; torch's is 1e-2).
        initial_accumulator_value: Starting value >= 0 of the accumulators (torch's is 0).
        epsilon: Small constant >= 0 (torch's default is 1e-10, outside the root).
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> Adagrad().get_config()["initial_accumulator_value"]
        0.1
    """

    _hyper_names = ("initial_accumulator_value", "epsilon")

    def __init__(
        self,
        learning_rate: float = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        hyper = {
            "initial_accumulator_value": self._check_number(
                "initial_accumulator_value", initial_accumulator_value, 0.0
            ),
            "epsilon": self._check_number("epsilon", epsilon, 0.0),
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        return ("accumulator",)

    def _slot_fill(self, group):
        return group["initial_accumulator_value"]

    def _update(self, group, params, grads, slots, factors):
        (accumulators,) = slots
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, group["epsilon"])
        torch._foreach_sqrt_(denominators)
        _add_scaled_(params, grads, -factors["lr"], denominators)


class Adadelta(Optimizer):
    """Adadelta with Keras's defaults (``learning_rate=1e-3``, ``rho=0.95``, ``epsilon=1e-7``).

    ``E[g²] = rho * E[g²] + (1 - rho) * g²``,
    ``delta = -sqrt(E[dx²] + eps) / sqrt(E[g²] + eps) * g``,
    ``E[dx²] = rho * E[dx²] + (1 - rho) * delta²``, ``param += lr * delta``. Keras's default
    learning rate is 1e-3 where torch's is 1.0: Keras's Adadelta moves very slowly by default.

    Args:
        learning_rate: Learning rate (default 1e-3).
        rho: Decay rate in ``[0, 1)``.
        epsilon: Small constant >= 0.
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> Adadelta().get_config()["rho"]
        0.95
    """

    _hyper_names = ("rho", "epsilon")

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        hyper = {
            "rho": self._check_number("rho", rho, 0.0, 1.0, high_open=True),
            "epsilon": self._check_number("epsilon", epsilon, 0.0),
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        return ("accumulated_grad", "accumulated_delta_var")

    def _update(self, group, params, grads, slots, factors):
        rho, eps = group["rho"], group["epsilon"]
        grad_avgs, delta_avgs = slots
        torch._foreach_mul_(grad_avgs, rho)
        torch._foreach_addcmul_(grad_avgs, grads, grads, value=1.0 - rho)
        # steps = -delta = sqrt(E[dx²] + eps) * g / sqrt(E[g²] + eps)
        steps = torch._foreach_add(delta_avgs, eps)
        torch._foreach_sqrt_(steps)
        torch._foreach_mul_(steps, grads)
        denominators = torch._foreach_add(grad_avgs, eps)
        torch._foreach_sqrt_(denominators)
        torch._foreach_div_(steps, denominators)
        torch._foreach_mul_(delta_avgs, rho)
        torch._foreach_addcmul_(delta_avgs, steps, steps, value=1.0 - rho)
        _add_scaled_(params, steps, -factors["lr"])


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), as Keras computes it.

    ``m = beta_1 * m + (1 - beta_1) * g``, ``u = max(beta_2 * u, |g|)``,
    ``param -= lr * m / ((1 - beta_1^t) * (u + epsilon))``.

    Args:
        learning_rate: Learning rate (default 1e-3; torch's is 2e-3).
        beta_1: Decay of the first moment, in ``[0, 1)``.
        beta_2: Decay of the infinity norm, in ``[0, 1)``.
        epsilon: Small constant >= 0.
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> Adamax(0.002)
        Adamax(learning_rate=0.002)
    """

    _hyper_names = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        hyper = {
            "beta_1": self._check_number("beta_1", beta_1, 0.0, 1.0, high_open=True),
            "beta_2": self._check_number("beta_2", beta_2, 0.0, 1.0, high_open=True),
            "epsilon": self._check_number("epsilon", epsilon, 0.0),
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        return ("momentum", "norm")

    def _step_factors(self, group, t, f):
        step_size = f(group["lr"]) / (f(1) - f(group["beta_1"]) ** f(t))
        return {"lr": group["lr"], "step_size": float(step_size)}

    def _update(self, group, params, grads, slots, factors):
        m, u = slots
        torch._foreach_lerp_(m, grads, 1.0 - group["beta_1"])
        torch._foreach_mul_(u, group["beta_2"])
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominators = torch._foreach_add(u, group["epsilon"])
        _add_scaled_(params, m, -factors["step_size"], denominators)


class Nadam(Optimizer):
    """Nadam (Adam with Nesterov momentum) with Keras's momentum schedule.

    ``u_t = beta_1 * (1 - 0.5 * 0.96^t)``; with ``P_t = u_1 * ... * u_t``:
    ``m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)``,
    ``v_hat = v / (1 - beta_2^t)``, ``param -= lr * m_hat / (sqrt(v_hat) + epsilon)``. The
    product ``P_t`` is kept in each param group as ``"u_product"`` (saved by ``state_dict``).

    Args:
        learning_rate: Learning rate (default 1e-3).
        beta_1: Decay of the first moment, in ``[0, 1)``.
        beta_2: Decay of the second moment, in ``[0, 1)``.
        epsilon: Small constant >= 0.
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> Nadam(beta_2=0.99)
        Nadam(learning_rate=0.001, beta_2=0.99)
    """

    _hyper_names = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        hyper = {
            "beta_1": self._check_number("beta_1", beta_1, 0.0, 1.0, high_open=True),
            "beta_2": self._check_number("beta_2", beta_2, 0.0, 1.0, high_open=True),
            "epsilon": self._check_number("epsilon", epsilon, 0.0),
            "u_product": 1.0,
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        return ("momentum", "velocity")

    def _step_factors(self, group, t, f):
        decay, b1 = f(0.96), f(group["beta_1"])
        u_t = b1 * (f(1) - f(0.5) * decay ** f(t))
        u_next = b1 * (f(1) - f(0.5) * decay ** f(t + 1))
        u_product = f(group["u_product"]) * u_t
        group["u_product"] = float(u_product)
        return {
            "lr": group["lr"],
            "m_coef": float(u_next / (f(1) - u_product * u_next)),
            "g_coef": float((f(1) - u_t) / (f(1) - u_product)),
            "v_correction": float(f(1) - f(group["beta_2"]) ** f(t)),
        }

    def _update(self, group, params, grads, slots, factors):
        beta_1, beta_2 = group["beta_1"], group["beta_2"]
        m, v = slots
        torch._foreach_lerp_(m, grads, 1.0 - beta_1)
        torch._foreach_mul_(v, beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - beta_2)
        m_hat = torch._foreach_mul(m, factors["m_coef"])
        _add_scaled_(m_hat, grads, factors["g_coef"])
        denominators = torch._foreach_div(v, factors["v_correction"])
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, group["epsilon"])
        _add_scaled_(params, m_hat, -factors["lr"], denominators)


class Lion(Optimizer):
    """Lion (sign momentum), as Keras computes it.

    ``param -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``. Every step moves each weight by exactly ``lr``, so
    Lion wants a learning rate 3-10x smaller than Adam's.

    Args:
        learning_rate: Learning rate (default 1e-3).
        beta_1: Weight of the momentum in the update direction, in ``(0, 1]``.
        beta_2: Decay of the momentum, in ``[0, 1)``.
        weight_decay: Decoupled weight decay (``param -= param * weight_decay * lr`` each step);
            ``None`` for none.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm (at most one of the
            three clipping arguments).
        name: A name for the optimizer; defaults to the lowercased class name.
        params: Parameters (or param-group dicts) to build on at once, as a
            ``torch.optim.Optimizer``; otherwise ``compile`` / ``fit`` builds on the model's.
        **kwargs: Keras-only arguments at their defaults (ignored); anything else is an error.

    Example:
        >>> Lion(1e-4)
        Lion(learning_rate=0.0001)
    """

    _hyper_names = ("beta_1", "beta_2")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        params: ParamsLike | None = None,
        **kwargs: Any,
    ) -> None:
        beta_1 = self._check_number("beta_1", beta_1, 0.0, 1.0)
        if beta_1 == 0.0:
            raise ValueError(
                "Lion: expected 0 < beta_1 <= 1 (with beta_1=0 it degenerates to SignSGD), "
                "received beta_1=0."
            )
        hyper = {
            "beta_1": beta_1,
            "beta_2": self._check_number("beta_2", beta_2, 0.0, 1.0, high_open=True),
        }
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            params=params,
            hyper=hyper,
            unknown=kwargs,
        )

    def _slot_names(self, group):
        return ("momentum",)

    def _update(self, group, params, grads, slots, factors):
        beta_1, beta_2 = group["beta_1"], group["beta_2"]
        (m,) = slots
        direction = torch._foreach_mul(m, beta_1)
        torch._foreach_add_(direction, torch._foreach_mul(grads, 1.0 - beta_1))
        _add_scaled_(params, torch._foreach_sign(direction), -factors["lr"])
        torch._foreach_mul_(m, beta_2)
        torch._foreach_add_(m, torch._foreach_mul(grads, 1.0 - beta_2))


# -- registry, get, serialize ------------------------------------------------------------------

OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer")
"""Keras's optimizer names ("adam", "sgd", ...; case-insensitive) -> optimizer classes."""

for _cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion):
    OPTIMIZERS.add(_cls.__name__.lower(), _cls)

OptimizerArg = str | dict[str, Any] | Optimizer | torch.optim.Optimizer | type


def get(identifier: OptimizerArg) -> Any:
    """Resolve ``model.compile``'s ``optimizer`` argument.

    Args:
        identifier: A name (``"adam"``, ``"RMSprop"``; a new instance with Keras's defaults), a
            kerastorch :class:`Optimizer` instance (returned as is) or class (instantiated with
            its defaults), a ``{"class_name": ..., "config": ...}`` dict, or any
            ``torch.optim.Optimizer`` instance or class (returned unchanged: compile handles
            them).

    Returns:
        The optimizer (or the torch optimizer / class given).

    Raises:
        ValueError: for an unknown name (with a "did you mean") or an unusable identifier.

    Example:
        >>> get("adam")
        Adam(learning_rate=0.001)
        >>> get(torch.optim.SGD) is torch.optim.SGD
        True
    """
    if isinstance(identifier, torch.optim.Optimizer):
        return identifier
    if isinstance(identifier, str):
        return OPTIMIZERS.get(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, torch.optim.Optimizer):
        return identifier() if issubclass(identifier, Optimizer) else identifier
    raise ValueError(
        'Expected an optimizer name (e.g. "adam"), a kerastorch optimizer or a '
        f"torch.optim.Optimizer, received identifier={identifier!r}."
    )


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return Keras's serialized form ``{"class_name": ..., "config": ...}``.

    Example:
        >>> serialize(SGD(0.1))["class_name"]
        'SGD'
    """
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict[str, Any]) -> Optimizer:
    """Create an optimizer from :func:`serialize`'s output (or Keras's; extra keys ignored).

    Example:
        >>> deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}})
        Adam(learning_rate=0.01)
    """
    if "class_name" not in config:
        raise ValueError(
            f"Expected a dict with keys 'class_name' and 'config', received keys {sorted(config)}."
        )
    return OPTIMIZERS.get(config["class_name"]).from_config(config.get("config") or {})


# -- helpers -----------------------------------------------------------------------------------


def _looks_like_params(value: Any) -> bool:
    if isinstance(value, torch.Tensor) and value.dim() > 0:
        return True
    if isinstance(value, (list, tuple)) and value:
        return isinstance(value[0], (torch.Tensor, dict))
    return inspect.isgenerator(value)


def _param_ids(groups: list[Any]) -> set[int]:
    ids = set()
    for group in groups:
        if isinstance(group, dict):
            params = group["params"]
            params = [params] if isinstance(params, torch.Tensor) else params
        else:
            params = [group]
        ids.update(id(p[1] if isinstance(p, tuple) else p) for p in params)
    return ids


def _init_defaults(cls: type) -> dict[str, Any]:
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


# Keras's path: kerastorch.optimizers.schedules.ExponentialDecay, importable as a module too.
sys.modules[f"{__name__}.schedules"] = schedules
