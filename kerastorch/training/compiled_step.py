"""The whole training step as one compiled program: ``compile(jit_compile=True)``.

NOTE [compiled training step]
    A :class:`CompiledTrainStep` runs forward, loss, backward and the optimizer update as one
    ``torch.compile(fullgraph=True)`` graph, the way Keras on JAX runs a step under XLA. Three
    choices make it one graph, where compiling the model alone leaves most of the step eager:

    1. Gradients come from ``torch.func.grad_and_value`` over ``functional_call(model, params)``,
       not ``loss.backward()`` (which ends a graph).
    2. Recurrent layers run their step loop (NOTE [recurrent execution paths]): the fused
       ``nn.LSTM`` is opaque to the compiler, a loop over a short, fixed time axis unrolls and
       fuses with the rest of the step.
    3. The update is the optimizer's own ``apply_gradients`` (the functional core of its
       ``step``, so eager and compiled steps apply the same rule), with the scalars that change
       between steps (learning rate, bias corrections) passed in as 0-dim tensors: a new
       learning rate or step count never recompiles. The optimizer's state (``state_dict``,
       ``iterations``) is the same objects as in eager steps, so both kinds of step can follow
       each other.

    The loss and metrics are updated eagerly right after the graph, from its outputs; weight
    constraints too; the optimizer's step hooks run around the graph. ``.grad`` is not set.
    Each batch shape is a graph of its own (``dynamic=False``; ragged batches are padded to a
    few lengths, :func:`bucketed`); a batch smaller than the first
    (the last of an epoch) and shapes beyond ``MAX_SHAPES`` run eagerly rather than compiling
    again. Compiled graphs live with the model's ``compile`` configuration: a second ``fit``
    reuses them.

    What cannot compile runs eagerly, with one warning naming why when ``jit_compile=True``
    asked for it (:func:`unsupported_reason`): other optimizers than kerastorch's, mixed
    precision, stateful layers, distributed training, recurrent layers over more
    than ``MAX_TIMESTEPS`` steps, or a model the compiler cannot trace (its error is quoted).

NOTE [jit_compile="auto"]
    Compiling costs seconds and pays back only over many steps whose time is mostly per-step
    overhead. Measured on a 2-core CPU (``benchmarks/README.md``): the stock model
    ``LSTM(50) -> Dense(1)`` over 7 steps compiles in 20-35 s on a machine whose compiler cache
    is empty (about 4 s once torch's disk cache holds it) and then steps 1.1-1.6x faster than
    eager; the same model over 32 steps, or ``LSTM(64)`` at batch 64 over 8 to 50 steps, steps
    slower compiled than eager (the fused kernel wins once a step does real work). ``"auto"``
    (Keras's default) therefore starts eagerly, measures the eager step over the first steps of
    a ``fit``, and compiles only if the rest of this ``fit`` would save more than the cold
    compile time (``AUTO_COMPILE_SECONDS``) at the lowest speed-up measured
    (``AUTO_SPEEDUP``), and only for steps shorter than ``AUTO_MAX_STEP_SECONDS``
    (overhead-bound) over at most ``MAX_TIMESTEPS`` timesteps. So a first ``fit`` is never
    expected to be slower than eager, even on a new machine; a step already compiled (an
    earlier ``fit``) is used at once.

NOTE [CUDA]
    On a CUDA device the step compiles with ``mode="reduce-overhead"`` (CUDA graphs: one launch
    per step for a fixed shape), the parameters and optimizer state marked as static addresses
    so that the graph may update them in place; ``fit`` copies the next batch (pinned memory)
    to the device on a side stream while the current step runs (:func:`prefetch_to_device`).
"""

from __future__ import annotations

import time
import types
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch.optim import optimizer as torch_optimizer

from kerastorch import optimizers as optimizers_module
from kerastorch.layers.rnn_cells import unrolled_recurrence
from kerastorch.training.data import Batch
from kerastorch.training.placement import Placement, placement_of, to_device

# The compiler backend and its options; tests use "aot_eager" (the same graph, no code
# generation) to stay fast.
BACKEND = "inductor"
# Longest time axis a recurrent layer unrolls in a compiled step: past 16 steps the unrolled
# loop measured slower than the fused eager kernel (NOTE [jit_compile="auto"]).
MAX_TIMESTEPS = 16
# Graphs per step (batch shapes) before further shapes run eagerly.
MAX_SHAPES = 4
# NOTE [jit_compile="auto"]: pessimistic by design, from the measurements there.
AUTO_COMPILE_SECONDS = 40.0
AUTO_SPEEDUP = 1.1
AUTO_MAX_STEP_SECONDS = 0.003
AUTO_SKIP_STEPS = 5  # the first eager steps warm up; not measured
AUTO_MEASURED_STEPS = 20


class CompiledTrainStep:
    """One model's training step as one compiled graph (NOTE [compiled training step]).

    Calling it on a batch runs one step (the parameters and the optimizer's state are updated in
    place) and returns ``(loss, y_pred, mask)``, detached, for the metrics.

    Attributes:
        compilations: How many graphs were compiled (one per batch shape).
    """

    def __init__(self, model: torch.nn.Module, compiled: Any) -> None:
        self.model = model
        self.compiled = compiled
        self.optimizer = compiled.optimizer
        self.shapes: set[tuple[Any, ...]] = set()
        self.full_batch: int | None = None
        self.compilations = 0
        self._names_key: tuple[int, ...] | None = None
        self._names_value: tuple[str, ...] = ()
        self.cuda = placement_of(model).device.type == "cuda"
        compiled.penalty_layers()  # found (and cached) before tracing, or the cache would recompile
        self.recurrent = has_recurrent_layer(model)
        # Made once: entering a patch is cheap, making one defines a class.
        self._allow_rnn = torch._dynamo.config.patch(allow_rnn=True)
        self._factors: list[dict[str, torch.Tensor]] = []
        self._fn = torch.compile(
            _own_code(self._step),
            fullgraph=True,
            dynamic=False,
            backend=BACKEND,
            mode="reduce-overhead" if self.cuda and BACKEND == "inductor" else None,
        )

    # -- which batches -------------------------------------------------------------------------

    @staticmethod
    def signature(batch: Batch) -> tuple[Any, ...]:
        return tuple(None if t is None else (tuple(t.shape), t.dtype) for t in batch)

    def is_compiled_for(self, batch: Batch) -> bool:
        return self.signature(bucketed(batch)) in self.shapes

    def accepts(self, batch: Batch) -> bool:
        """Whether ``batch`` runs compiled: a shape already compiled, or a new one within
        ``MAX_SHAPES`` that is not a smaller remainder batch."""
        batch = bucketed(batch)
        if self.signature(batch) in self.shapes:
            return True
        if self.recurrent and batch.x.dim() >= 3 and batch.x.shape[1] > MAX_TIMESTEPS:
            return False
        size = len(batch.x)
        if self.full_batch is not None and size < self.full_batch:
            return False
        return len(self.shapes) < MAX_SHAPES

    # -- running -------------------------------------------------------------------------------

    def __call__(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, Any]:
        batch = bucketed(batch)
        optimizer = self.optimizer
        groups = optimizer.param_groups
        params = [[p for p in group["params"] if p.requires_grad] for group in groups]
        signature = self.signature(batch)
        first = signature not in self.shapes
        saved = [{k: v for k, v in g.items() if k != "params"} for g in groups] if first else None
        plans = optimizer.plan_step(params)
        hyper = [
            {k: g[k] for k in ("weight_decay", *optimizer._hyper_names) if k in g} for g in groups
        ]
        slots = [plan.slots for plan in plans]
        factors = self._factor_tensors(plans)
        if first and self.cuda:
            _mark_static(params, slots)
        for hook in _step_hooks(optimizer, "pre"):  # as torch runs them around step()
            hook(optimizer, (), {})
        try:
            # allow_rnn: a recurrent layer's torch module is only read for its weights here.
            with self._allow_rnn, unrolled_recurrence():
                loss, y_pred, mask, output_loss = self._fn(
                    self._names(params), params, hyper, slots, factors, *batch
                )
        except Exception:
            if first:  # nothing ran: the step does not count
                for group, entries in zip(groups, saved, strict=True):
                    group.update(entries)
            raise
        if first:
            self.shapes.add(signature)
            self.compilations += 1
            self.full_batch = max(self.full_batch or 0, len(batch.x))
        for hook in _step_hooks(optimizer, "post"):
            hook(optimizer, (), {})
        self.compiled.output_loss_values = [output_loss]  # as compute_loss records it
        return loss, y_pred, mask

    def _step(self, names, params, hyper, slots, factors, x, y, sample_weight, mask):
        """The graph: gradients by ``grad_and_value``, then the optimizer's ``apply_gradients``.
        Everything that changes between steps is an argument (a read of the optimizer's param
        groups here would make their step count a guard, and every step a new graph)."""
        model, compiled = self.model, self.compiled
        flat = [p for group in params for p in group]

        def loss_of(weights):
            y_pred, out_mask = torch.func.functional_call(
                model,
                dict(zip(names, weights, strict=True)),
                (x,),
                {"mask": mask, "training": True, "return_mask": True},
            )
            # One output (unsupported_reason), so one output loss, never None.
            loss, (output_loss,) = compiled.loss_and_output_losses(
                y, y_pred, sample_weight, out_mask
            )
            aux = (output_loss, y_pred) if out_mask is None else (output_loss, y_pred, out_mask)
            return loss, aux  # no None in aux

        grads, (loss, outputs) = torch.func.grad_and_value(loss_of, has_aux=True)(flat)
        output_loss, y_pred, out_mask = outputs if len(outputs) == 3 else (*outputs, None)
        with torch.no_grad():
            grouped, start = [], 0
            for group in params:
                grouped.append(list(grads[start : start + len(group)]))
                start += len(group)
            plans = [
                optimizers_module.StepPlan(h, p, s, f)
                for h, p, s, f in zip(hyper, params, slots, factors, strict=True)
            ]
            self.optimizer.apply_gradients(plans, grouped)
        return loss.detach(), y_pred.detach(), out_mask, output_loss.detach()

    def _factor_tensors(self, plans: list[Any]) -> list[dict[str, torch.Tensor]]:
        """The plans' factors as 0-dim tensors, refilled in place every step (the graph reads
        them when it runs; new tensors per step would cost more than the fills)."""
        if len(self._factors) != len(plans) or not all(
            _holds(held, plan) for held, plan in zip(self._factors, plans, strict=True)
        ):
            self._factors = [_as_tensors(plan.factors, plan.params) for plan in plans]
            return self._factors
        for held, plan in zip(self._factors, plans, strict=True):
            for name, value in plan.factors.items():
                held[name].fill_(value)
        return self._factors

    def _names(self, params: list[list[torch.Tensor]]) -> tuple[str, ...]:
        """The model's names of ``params`` (in order), for ``functional_call``."""
        key = tuple(id(p) for group in params for p in group)
        if key != self._names_key:
            names = {id(p): name for name, p in self.model.named_parameters()}
            self._names_key, self._names_value = key, tuple(names[k] for k in key)
        return self._names_value


def bucketed(batch: Batch) -> Batch:
    """A batch of ragged sequences (its mask from the data) padded to the next power of two of
    its length (at least 8): a few graphs then serve every length, exactly, since the padded
    steps are masked. Not when targets or weights are per timestep (the outputs would keep the
    padded axis), nor past ``MAX_TIMESTEPS``.

    Example:
        >>> mask = torch.ones(2, 5, dtype=torch.bool)
        >>> padded = bucketed(Batch(torch.ones(2, 5, 3), torch.ones(2, 1), None, mask))
        >>> tuple(padded.x.shape), padded.mask.sum().item()
        ((2, 8, 3), 10)
    """
    x, y, sample_weight, mask = batch
    if mask is None or x.dim() != 3 or (y is not None and y.dim() >= 3):
        return batch
    if sample_weight is not None and sample_weight.dim() >= 2:
        return batch
    length = x.shape[1]
    bucket = max(8, 1 << (length - 1).bit_length())
    if bucket == length or bucket > MAX_TIMESTEPS:
        return batch
    pad = bucket - length
    return Batch(
        torch.nn.functional.pad(x, (0, 0, 0, pad)),
        y,
        sample_weight,
        torch.nn.functional.pad(mask, (0, pad), value=False),
    )


def _own_code(method: Any) -> Any:
    """``method`` with a code object of its own: torch's compiler keeps graphs, and counts them
    against its recompile limit, per code object, so each model's step needs its own."""
    fn = method.__func__
    copy = types.FunctionType(
        fn.__code__.replace(), fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__
    )
    return types.MethodType(copy, method.__self__)


def _as_tensors(factors: dict[str, Any], params: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """A step's scalar factors as 0-dim tensors on the parameters' device and dtype."""
    if not params:
        return {}
    like = params[0]
    return {k: torch.tensor(v, dtype=like.dtype, device=like.device) for k, v in factors.items()}


def _holds(held: dict[str, torch.Tensor], plan: Any) -> bool:
    """Whether ``held`` (from :func:`_as_tensors`) can take ``plan``'s factors in place."""
    if set(held) != set(plan.factors):
        return False
    like = plan.params[0] if plan.params else None
    return all(t.device == like.device and t.dtype == like.dtype for t in held.values())


def _mark_static(params: list[list[torch.Tensor]], slots: list[list[list[torch.Tensor]]]) -> None:
    """CUDA graphs may update in place only tensors at fixed addresses (NOTE [CUDA])."""
    for tensor in [p for group in params for p in group] + [
        t for group in slots for names in group for t in names
    ]:
        torch._dynamo.mark_static_address(tensor)


def unsupported_reason(model: torch.nn.Module, compiled: Any, batch: Batch) -> str | None:
    """Why ``model``'s training step cannot compile (None if it can), from its configuration
    and its first batch (NOTE [compiled training step])."""
    optimizer = compiled.optimizer
    if not isinstance(batch.x, torch.Tensor) or not isinstance(batch.y, torch.Tensor | None):
        return "several inputs or outputs (a compiled step takes one input and one target tensor)"
    if not isinstance(optimizer, optimizers_module.Optimizer):
        return (
            f"the optimizer is a {type(optimizer).__name__}, not a kerastorch optimizer (only "
            "kerastorch's optimizers have an update the compiled step can run)"
        )
    if compiled.policy.autocast_dtype is not None or compiled.loss_scaler is not None:
        return f'the mixed-precision policy "{compiled.policy.name}" (autocast)'
    if compiled.train_forward is not compiled.forward:
        return "distributed training (the DistributedDataParallel wrapper)"
    layers = list(model.modules())
    if any(getattr(layer, "stateful", False) for layer in layers):
        return "a stateful layer (its states are stored between batches)"
    known = {id(p) for p in model.parameters()}
    if any(id(p) not in known for g in optimizer.param_groups for p in g["params"]):
        return "the optimizer holds parameters that are not the model's"
    if has_recurrent_layer(model) and batch.x.dim() >= 3 and batch.x.shape[1] > MAX_TIMESTEPS:
        return (
            f"a recurrent layer over {batch.x.shape[1]} timesteps (a compiled step unrolls at "
            f"most {MAX_TIMESTEPS}; the fused eager kernel is faster there)"
        )
    return None


def has_recurrent_layer(model: torch.nn.Module) -> bool:
    """Whether ``model`` holds a recurrent layer (LSTM, GRU, SimpleRNN, RNN, ...)."""
    from kerastorch.layers.recurrent import RecurrentLayer

    return any(isinstance(module, RecurrentLayer) for module in model.modules())


def _step_hooks(optimizer: torch.optim.Optimizer, when: str) -> list[Any]:
    """The optimizer's step hooks (``"pre"`` or ``"post"``), global ones first, as torch runs
    them around ``step``."""
    table = getattr(torch_optimizer, f"_global_optimizer_{when}_hooks")
    return [*table.values(), *optimizer.__dict__.get(f"_optimizer_step_{when}_hooks", {}).values()]


class JitTraining:
    """Which training steps of a model run compiled: the policy of ``compile(jit_compile=...)``.

    ``True``: every step that can (NOTE [compiled training step]), with one warning naming why
    when a model cannot; ``False``: none; ``"auto"``: NOTE [jit_compile="auto"].

    Example:
        >>> JitTraining(False).step_for(None, None, None) is None
        True
    """

    def __init__(self, request: bool | str) -> None:
        self.request = request
        # True / False once decided; None while "auto" measures eager steps.
        self.use_compiled: bool | None = None if request == "auto" else bool(request)
        self.step: CompiledTrainStep | None = None
        self.reason: str | None = None  # why the model cannot compile, once known
        self._total_steps: int | None = None
        self._seen = 0
        self._last: float | None = None
        self._durations: list[float] = []

    def start_fit(self, steps_per_epoch: int | None, epochs: int) -> None:
        """A ``fit`` of ``epochs`` epochs of ``steps_per_epoch`` steps (None: unknown) starts;
        ``"auto"`` decides again, unless a step was compiled in an earlier ``fit``."""
        self._total_steps = None if steps_per_epoch is None else steps_per_epoch * epochs
        if self.request == "auto" and (self.step is None or not self.step.shapes):
            self.use_compiled = None
            self._seen, self._last, self._durations = 0, None, []

    def step_for(self, model: Any, compiled: Any, batch: Batch | None) -> CompiledTrainStep | None:
        """The compiled step to run ``batch`` with, or None to run it eagerly."""
        if self.use_compiled is False or self.reason is not None:
            return None
        if self.use_compiled is None and not self._measure_and_decide(batch):
            return None
        if self.step is None:
            reason = unsupported_reason(model, compiled, batch)
            if reason is not None:
                self._refuse(reason)
                return None
            self.step = CompiledTrainStep(model, compiled)
        return self.step if self.step.accepts(batch) else None

    def failed(self, error: Exception) -> None:
        """The compiler could not compile the step: run eagerly from now on."""
        lines = str(error).strip().splitlines()
        self._refuse(f"torch.compile failed: {type(error).__name__}: {lines[0] if lines else ''}")
        self.step = None

    def _refuse(self, reason: str) -> None:
        self.reason = reason
        if self.request is True:
            warnings.warn(
                f"compile(jit_compile=True): the training step runs eagerly, because of {reason}.",
                stacklevel=5,
            )

    def _measure_and_decide(self, batch: Batch) -> bool:
        """NOTE [jit_compile="auto"]: time eager steps, then decide once per ``fit``."""
        now = time.perf_counter()
        if self._last is not None and self._seen > AUTO_SKIP_STEPS:
            self._durations.append(now - self._last)
        self._last = now
        self._seen += 1
        if len(self._durations) < AUTO_MEASURED_STEPS:
            return False
        self.use_compiled = self._worth_compiling(batch)
        return self.use_compiled

    def _worth_compiling(self, batch: Batch) -> bool:
        if self._total_steps is None:
            return False
        durations = sorted(self._durations)
        step_seconds = durations[len(durations) // 2]
        if step_seconds > AUTO_MAX_STEP_SECONDS:
            return False
        if not isinstance(batch.x, torch.Tensor):  # several inputs: unsupported_reason says
            return False
        if batch.x.dim() >= 3 and batch.x.shape[1] > MAX_TIMESTEPS:
            return False
        steps_left = self._total_steps - self._seen
        saved = steps_left * step_seconds * (1.0 - 1.0 / AUTO_SPEEDUP)
        return saved > AUTO_COMPILE_SECONDS


def prefetch_to_device(placement: Placement, batches: Iterable[Batch]) -> Iterator[Batch]:
    """``batches`` on the model's device; on CUDA, each batch is copied on a side stream while
    the previous step runs (NOTE [CUDA]), elsewhere as ``to_device`` does.

    Example:
        >>> placement = Placement(torch.device("cpu"), torch.float32)
        >>> [b.x.tolist() for b in prefetch_to_device(placement, [Batch(torch.ones(1))])]
        [[1.0]]
    """
    if placement.device.type != "cuda":
        for batch in batches:
            yield to_device(placement, batch)
        return
    stream = torch.cuda.Stream(device=placement.device)
    current = torch.cuda.current_stream(placement.device)
    ready = None
    for batch in batches:
        with torch.cuda.stream(stream):
            moved = to_device(placement, batch)
        if ready is not None:
            yield ready
        current.wait_stream(stream)
        for tensor in moved:
            if tensor is not None:
                tensor.record_stream(current)
        ready = moved
    if ready is not None:
        yield ready
