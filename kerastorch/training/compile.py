"""What ``model.compile`` resolves: the optimizer, the loss and the metrics of a model."""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch

from kerastorch import losses as losses_module
from kerastorch import metrics as metrics_module
from kerastorch import mixed_precision, symbolic
from kerastorch import optimizers as optimizers_module
from kerastorch.layers.base import Layer
from kerastorch.training.compiled_step import JitTraining, has_recurrent_layer
from kerastorch.training.outputs import (
    OutputHead,
    build_head_metrics,
    loss_trackers,
    metric_keys,
    per_output,
    resolve_heads,
)


class CompiledModel:
    """The training configuration of one model, resolved from ``compile``'s arguments.

    Names are resolved at once (so a typo fails in ``compile``); the optimizer is bound to the
    parameters once the model is built (``bind_optimizer``), and metrics whose meaning depends on
    the output shape (``"accuracy"``) are resolved at the first batch (``build_metrics``).

    It also holds how steps run: ``jit`` decides which training steps run as one compiled
    graph (``compiled_step.py``: with ``jit_compile=True``, or where it pays off under
    ``"auto"``; never with ``run_eagerly=True``); ``forward`` is the model, or
    ``torch.compile(model)`` with ``jit_compile=True`` and no recurrent layer, for evaluation;
    ``autocast`` and ``loss_scaler`` implement the mixed-precision policy that was global at
    compile time (``kerastorch.mixed_precision``), the loss scaler only with
    ``auto_scale_loss=True``.
    ``steps_per_execution`` other than 1 has no effect (steps run one per batch): a warning
    says so.

    A model of several outputs has one loss (with its weight) and its own metrics per output
    (``heads``, resolved with Keras's rules in ``outputs.py``); its logs add ``<output>_loss``
    and ``<output>_<metric>`` keys.

    Attributes:
        loss: The resolved loss, or a list or dict of them as ``compile`` received it.
        loss_weights, metric_specs, weighted_metric_specs: The ``loss_weights``, ``metrics``
            and ``weighted_metrics`` given to ``compile`` (names, metric objects or functions;
            lists or dicts per output), as saving records them.
        heads: One :class:`~kerastorch.training.outputs.OutputHead` per output (for a
            subclassed model, known from its first outputs).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: Any,
        loss: Any,
        metrics: Sequence[Any] | None,
        weighted_metrics: Sequence[Any] | None,
        loss_weights: Any,
        jit_compile: Any = "auto",
        device: Any = "auto",
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        auto_scale_loss: bool = True,
    ) -> None:
        if loss is None:
            raise ValueError(
                f"Model '{model.name}': compile() needs a loss to train or evaluate, e.g. "
                'model.compile(optimizer="adam", loss="mse").'
            )
        self.model = model
        self._penalty_layers: tuple[list[Any], list[Any]] | None = None
        self.optimizer = optimizers_module.get(optimizer)
        self.loss_weights = loss_weights
        self.metric_specs = _as_specs(metrics)
        self.weighted_metric_specs = _as_specs(weighted_metrics)
        self.loss = (
            symbolic.map_structure(losses_module.get, loss)
            if isinstance(loss, (list, tuple, dict))
            else losses_module.get(loss)
        )
        names = model.data_names()
        self.heads: list[OutputHead] | None = None  # per output; at the first batch if unknown
        if names is None or names[1] is not None:
            keys = [None] if names is None else names[1]
            self.heads = self._resolve_heads(keys, getattr(model, "output_names", keys))
        else:  # a subclassed model: its outputs are known at the first batch; check names now
            for spec in symbolic.flatten(metrics) + symbolic.flatten(weighted_metrics):
                if spec is not None:
                    metrics_module.get(spec, output_shape=None)
        self.output_loss_values: list[torch.Tensor | None] = []
        if jit_compile not in (True, False, "auto"):
            raise ValueError(
                'Expected jit_compile to be True, False or "auto", received '
                f"jit_compile={jit_compile!r}."
            )
        _check_steps_per_execution(steps_per_execution)
        if jit_compile is True and run_eagerly:
            warnings.warn(  # Keras's warning
                "If `run_eagerly` is True, then `jit_compile` cannot also be True. Disabling "
                "`jit_compile`.",
                stacklevel=3,
            )
        self.jit_compile = jit_compile is True and not run_eagerly
        # Which training steps run compiled (NOTE [jit_compile="auto"] in compiled_step.py).
        self.jit = JitTraining(False if run_eagerly else jit_compile)
        self.auto_scale_loss = bool(auto_scale_loss)
        # The fused recurrent kernels are opaque to torch.compile, and compiling the rest of a
        # recurrent model around them measured slower than eager (W2 of benchmarks/: 0.71x the
        # hand-written loop against 0.92x): such a model's forward stays eager, while its whole
        # training step still compiles where that wins (NOTE [compiled training step]).
        compile_forward = self.jit_compile and not has_recurrent_layer(model)
        self.forward = torch.compile(model) if compile_forward else model
        # What train_step runs: the forward, or its DistributedDataParallel wrapper when
        # training on several processes (DistributedRun in run.py sets it).
        self.train_forward = self.forward
        self.requested_auto = device == "auto"
        self.device = resolve_device(device)
        self.policy = mixed_precision.global_policy()
        self.loss_scaler: torch.amp.GradScaler | None = None
        self.loss_tracker = metrics_module.Mean(name="loss")
        # (log key, metric, head, weighted) of every metric: built at the first batch.
        self.metric_entries: list[tuple[str, Any, OutputHead, bool]] | None = None
        self.optimizer_bound = False

    def _resolve_heads(
        self, keys: Sequence[str | None], names: Sequence[str | None] | None
    ) -> list[OutputHead]:
        return resolve_heads(
            self.loss,
            self.loss_weights,
            self.metric_specs,
            self.weighted_metric_specs,
            keys,
            names or keys,
            self.model.name,
        )

    def heads_for(self, y_pred: Any) -> list[OutputHead]:
        """The outputs' heads; for a subclassed model, resolved from its first outputs."""
        if self.heads is None:
            if isinstance(y_pred, dict):
                keys = sorted(y_pred)
                self.heads = self._resolve_heads(keys, keys)
            elif isinstance(y_pred, (list, tuple)):
                self.heads = self._resolve_heads([None] * len(y_pred), None)
            else:
                self.heads = self._resolve_heads([None], None)
        return self.heads

    @property
    def metrics(self) -> list[Any] | None:
        """The metric objects, in log order (None before the first batch)."""
        if self.metric_entries is None:
            return None
        return [metric for _, metric, _, _ in self.metric_entries]

    def place(self, model: torch.nn.Module) -> None:
        """Move the built model to the compile-time device choice (see ``resolve_device``)."""
        if self.device is None:
            return
        param = next(model.parameters(), None)
        if param is not None and param.device != self.device:
            if self.requested_auto and param.device.type != "cpu":
                return  # "auto" never moves a model the user placed on an accelerator
            model.to(self.device)

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        """The mixed-precision context of a forward pass (a no-op under "float32")."""
        dtype = self.policy.autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=dtype)

    def bind_optimizer(self, model: torch.nn.Module) -> None:
        """Attach the optimizer to the (built) model's parameters, once."""
        if self.optimizer_bound:
            return
        if self.policy.autocast_dtype == torch.float16:
            device = next(model.parameters()).device
            if device.type == "cpu":
                raise ValueError(
                    'The "mixed_float16" policy needs a CUDA device: torch has no float16 LSTM '
                    'on the CPU. Use "mixed_bfloat16" there, or move the model to CUDA.'
                )
            if self.auto_scale_loss:  # Keras wraps the optimizer in a LossScaleOptimizer
                self.loss_scaler = torch.amp.GradScaler(device.type)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = self.optimizer
        if isinstance(optimizer, optimizers_module.Optimizer):
            if not optimizer.built:
                optimizer.build(params)
        elif isinstance(optimizer, torch.optim.Optimizer):
            pass  # created by the user on the built model's parameters
        elif inspect.isclass(optimizer) or callable(optimizer):
            self.optimizer = optimizer(params)
        else:
            raise TypeError(
                "compile(optimizer=...) expects a name, a kerastorch optimizer, or a "
                f"torch.optim.Optimizer class or instance, received {optimizer!r}."
            )
        self.optimizer_bound = True

    def build_metrics(self, y_pred: Any, y: Any = None) -> None:
        if self.metric_entries is not None:
            return
        heads = self.heads_for(y_pred)
        predictions = self._per_head(y_pred, "the model's outputs")
        targets = self._per_head(y, "y") if y is not None else [None] * len(heads)
        for head, pred, target in zip(heads, predictions, targets, strict=True):
            build_head_metrics(head, pred, target)
        self.metric_entries = metric_keys(heads)

    def _per_head(self, value: Any, what: str, shared: bool = False) -> list[Any]:
        heads = self.heads
        assert heads is not None
        if len(heads) == 1:
            return [value]
        return per_output(value, heads, what, shared)

    def compute_loss(
        self,
        y: Any,
        y_pred: Any,
        sample_weight: Any,
        mask: Any = None,
    ) -> torch.Tensor:
        """The loss: each output's loss times its loss weight, summed, plus the layers'
        regularization penalties as Keras adds them; masked timesteps of a sequence output do
        not count (Keras's rule: valid steps weigh ``total / valid``, so the mean is over valid
        steps only). Each output's unweighted loss is kept in ``output_loss_values``."""
        total, self.output_loss_values = self.loss_and_output_losses(y, y_pred, sample_weight, mask)
        return total

    def loss_and_output_losses(
        self, y: Any, y_pred: Any, sample_weight: Any, mask: Any = None
    ) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
        """:meth:`compute_loss` without its record: the loss and each output's unweighted loss
        (None for an output without a loss). A compiled step calls this (a graph must not store
        its tensors on an object)."""
        heads = self.heads_for(y_pred)
        parts = zip(
            heads,
            self._per_head(y, "y"),
            self._per_head(y_pred, "the model's outputs"),
            self._per_head(sample_weight, "sample_weight", shared=True),
            self._per_head(mask, "the outputs' masks", shared=True),
            strict=True,
        )
        total: torch.Tensor | None = None
        values: list[torch.Tensor | None] = []
        for head, target, pred, weight, output_mask in parts:
            if head.loss is None:
                values.append(None)
                continue
            value = _output_loss(head.loss, target, pred, weight, output_mask)
            values.append(value)
            if head.weight is not None:
                value = value * head.weight
            total = value if total is None else total + value
        assert total is not None  # resolve_heads requires a loss
        penalized, _ = self.penalty_layers()
        if penalized:  # Keras adds the layers' regularization losses to the loss it reports
            total = total + sum(p for layer in penalized for p in layer.regularization_losses())
        return total, values

    def penalty_layers(self) -> tuple[list[Any], list[Any]]:
        """The model's layers with regularizers, and those with constraints (found once)."""
        if self._penalty_layers is None:
            layers = [m for m in self.model.modules() if isinstance(m, Layer)]
            self._penalty_layers = (
                [layer for layer in layers if layer.has_penalties()],
                [layer for layer in layers if layer.weight_constraints],
            )
        return self._penalty_layers

    def apply_constraints(self) -> None:
        """Keras projects constrained weights after every optimizer step."""
        for layer in self.penalty_layers()[1]:
            layer.apply_constraints()

    def update_metrics(self, batch: Any, y_pred: Any, mask: Any, loss: torch.Tensor) -> None:
        """Update the running loss and metrics (no host sync: the values stay tensors)."""
        self.build_metrics(y_pred, batch.y)
        heads = self.heads
        assert heads is not None and self.metric_entries is not None
        size = batch.num_samples
        self.loss_tracker.update_state(loss, sample_weight=size)
        for head, value in zip(heads, self.output_loss_values, strict=False):
            if head.loss_tracker is not None and value is not None:
                head.loss_tracker.update_state(value.detach(), sample_weight=size)
        by_head = {
            id(head): (target, pred, None if m is None else m.to(pred.dtype), weight)
            for head, target, pred, m, weight in zip(
                heads,
                self._per_head(batch.y, "y"),
                self._per_head(y_pred, "the model's outputs"),
                self._per_head(mask, "the outputs' masks", shared=True),
                self._per_head(batch.sample_weight, "sample_weight", shared=True),
                strict=True,
            )
        }
        for _, metric, head, weighted in self.metric_entries:
            target, pred, mask_weight, sample_weight = by_head[id(head)]
            weight = mask_weight
            if weighted and sample_weight is not None:
                weight = (
                    sample_weight
                    if mask_weight is None
                    else _combine_weights(mask_weight, sample_weight)
                )
            metric.update_state(target, pred, sample_weight=weight)

    def all_metrics(self) -> list[Any]:
        return [self.loss_tracker, *loss_trackers(self.heads or []), *(self.metrics or [])]

    def metrics_names(self) -> list[str]:
        """The log keys in Keras's order for ``evaluate``'s list: the loss, each output's
        loss, then the metrics (those of several outputs in alphabetical order, as Keras)."""
        trackers = [tracker.name for tracker in loss_trackers(self.heads or [])]
        keys = [key for key, _, _, _ in self.metric_entries or []]
        if trackers:
            keys = sorted(keys)
        return ["loss", *trackers, *keys]

    def results(self) -> dict[str, Any]:
        """Current values of the loss and metrics (one host sync), with keys in alphabetical
        order as Keras's logs (and so its History) have them: floats, or numpy arrays for
        per-class metrics such as ``F1Score()``, as Keras keeps them."""
        metrics = self.all_metrics()
        values = [m.result().detach().float() for m in metrics]
        flat = torch.cat([v.reshape(-1) for v in values]).cpu().numpy()
        out: dict[str, Any] = {}
        start = 0
        for name, value in zip(self.metrics_names_unsorted(), values, strict=True):
            count = value.numel()
            chunk = flat[start : start + count]
            out[name] = float(chunk[0]) if value.dim() == 0 else chunk.reshape(value.shape).copy()
            start += count
        return dict(sorted(out.items()))

    def metrics_names_unsorted(self) -> list[str]:
        """The log key of each of :meth:`all_metrics`, in that order."""
        trackers = [tracker.name for tracker in loss_trackers(self.heads or [])]
        return ["loss", *trackers, *(key for key, _, _, _ in self.metric_entries or [])]

    def reset_metrics(self) -> None:
        for metric in self.all_metrics():
            metric.reset_state()

    def reduce_metric_states(self, reduce: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Replace the loss and metric states by ``reduce`` of them, e.g. their sum over the
        processes of a distributed run (``DistributedRun`` in ``run.py``).

        All states (totals, counts, confusion-matrix counts) go through ``reduce`` as one flat
        float64 tensor, and come back in their own dtype and device. Every state of a
        kerastorch metric is a sum over samples, so summing it over disjoint shards of the data
        gives the state of the whole data.
        """
        slots = [(m, name) for m in self.all_metrics() for name in m.state_names]
        if not slots:
            return
        values = [getattr(metric, name) for metric, name in slots]
        flat = torch.cat([v.detach().reshape(-1).to("cpu", torch.float64) for v in values])
        reduced = reduce(flat).to("cpu")
        for (metric, name), value, part in zip(
            slots, values, reduced.split([v.numel() for v in values]), strict=True
        ):
            setattr(metric, name, part.view(value.shape).to(value.device, value.dtype))


def resolve_device(device: Any) -> torch.device | None:
    """``"auto"``: CUDA, then MPS, else None (the model stays where it is, normally the CPU);
    ``None``: never move; anything else: ``torch.device(device)``.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if device is None:
        return None
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return None
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            'Expected device to be "auto", None or a torch device such as "cpu" or "cuda:0", '
            f"received device={device!r}."
        ) from None
    _check_available(resolved, device)
    return resolved


def _check_available(device: torch.device, requested: Any) -> None:
    """A device this torch cannot use fails at compile, not at the first step of fit."""
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(
                f"compile(device={requested!r}): this torch has no CUDA device (torch "
                f"{torch.__version__}, CUDA build: {torch.version.cuda or 'none'}). Use "
                'device="auto" (a GPU when there is one, else the CPU) or "cpu", or install a '
                "CUDA build of torch."
            )
        if device.index is not None and device.index >= count:
            raise ValueError(
                f"compile(device={requested!r}): there are {count} CUDA device(s), numbered "
                f"0 to {count - 1}."
            )
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(
                f"compile(device={requested!r}): MPS (Apple GPUs) is not available here. Use "
                'device="auto" or "cpu".'
            )


def _check_steps_per_execution(steps_per_execution: Any) -> None:
    """Keras runs ``steps_per_execution`` steps per compiled call; eager torch steps run one per
    batch whatever the value, so anything but 1 is accepted with a warning that it does
    nothing."""
    if (
        isinstance(steps_per_execution, bool)
        or not isinstance(steps_per_execution, int)
        or steps_per_execution < 1
    ):
        raise ValueError(
            "Expected steps_per_execution to be a positive integer, received "
            f"steps_per_execution={steps_per_execution!r}."
        )
    if steps_per_execution != 1:
        warnings.warn(
            f"compile(steps_per_execution={steps_per_execution}) has no effect in kerastorch: "
            "steps run one per batch (Keras's PyTorch backend accepts only 1).",
            stacklevel=4,
        )


def _combine_weights(mask_weight: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
    """Per-step mask weights times per-sample (or per-step) sample weights."""
    if sample_weight is None:
        return mask_weight
    while sample_weight.dim() < mask_weight.dim():
        sample_weight = sample_weight[..., None]
    return mask_weight * sample_weight


def _as_specs(value: Any) -> Any:
    """``metrics`` / ``weighted_metrics`` as given: a list (one metric becomes a list of it), or
    a dict (per output)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _output_loss(
    loss: Any,
    y: torch.Tensor,
    y_pred: torch.Tensor,
    sample_weight: torch.Tensor | None,
    mask: torch.Tensor | None,
) -> torch.Tensor:
    """One output's loss; a masked sequence output's mean is over its valid steps."""
    if mask is not None:
        reduction = getattr(loss, "reduction", "sum_over_batch_size")
        if reduction in ("mean", "sum_over_batch_size"):
            weight = mask * (mask.numel() / mask.sum().clamp(min=1))
        else:
            weight = mask
        sample_weight = _combine_weights(weight.to(y_pred.dtype), sample_weight)
    return loss(y, y_pred, sample_weight=sample_weight)
