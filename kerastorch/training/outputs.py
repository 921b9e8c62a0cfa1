"""The losses, loss weights and metrics of each output of a model, from ``compile``'s arguments,
with Keras's rules (``CompileLoss`` / ``CompileMetrics`` in Keras 3).

For a model of several outputs, ``loss`` is one loss for every output, a list (one per output,
in the order of ``model.outputs``) or a dict keyed by output name; ``loss_weights`` a list or a
dict; ``metrics`` a list with one entry (a metric or a list of them) per output, or a dict keyed
by output name. The logged keys are Keras's: ``loss`` (the weighted sum plus the regularization
losses), ``<output>_loss`` (each output's unweighted loss, when there are several losses) and
``<output>_<metric>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from kerastorch import losses as losses_module
from kerastorch import metrics as metrics_module


class OutputHead:
    """One output of a model: its loss, loss weight, metrics and their log keys.

    Attributes:
        key: How dicts of targets, sample weights, losses and metrics name this output (the
            output layer's name, or the key of a dict of outputs); None when unknown.
        name: The prefix of its log keys (the output layer's name); None for a model of one
            output, whose keys have no prefix.
        loss: A :class:`~kerastorch.losses.Loss`, or None (the output is not trained).
        weight: Its loss weight, or None (1).
        loss_tracker: The mean of its unweighted loss (``<name>_loss``), kept when the model has
            several losses.
    """

    def __init__(self, key: str | None, name: str | None, loss: Any, weight: Any) -> None:
        self.key = key
        self.name = name
        self.loss = loss
        self.weight = None if weight is None else float(weight)
        self.metric_specs: list[Any] = []
        self.weighted_metric_specs: list[Any] = []
        self.metrics: list[Any] = []
        self.weighted_metrics: list[Any] = []
        self.loss_tracker: Any = None
        self.loss_rank = 0  # where its loss comes in Keras's list of losses


def resolve_heads(
    loss: Any,
    loss_weights: Any,
    metrics: Any,
    weighted_metrics: Any,
    keys: Sequence[str | None],
    names: Sequence[str | None],
    model: str,
) -> list[OutputHead]:
    """One :class:`OutputHead` per output, ``keys`` / ``names`` in the order of the outputs.

    Example:
        >>> heads = resolve_heads(
        ...     {"level": "mse", "direction": "mae"}, {"level": 1.0, "direction": 0.5},
        ...     {"level": ["mae"]}, None, ["level", "direction"], ["level", "direction"], "m")
        >>> [(h.name, h.loss.name, h.weight, h.metric_specs) for h in heads]
        [('level', 'mse', 1.0, ['mae']), ('direction', 'mae', 0.5, [])]
    """
    count = len(keys)
    losses = _per_output(loss, keys, "loss", model, partial_list=True)
    weights = _loss_weights(loss_weights, keys, model)
    resolved = [None if spec is None else losses_module.get(spec) for spec in losses]
    if all(item is None for item in resolved):
        raise ValueError(
            f"Model '{model}': compile() needs a loss to train or evaluate, e.g. "
            'model.compile(optimizer="adam", loss="mse").'
        )
    heads = []
    for key, name, item, weight in zip(keys, names, resolved, weights, strict=True):
        if count > 1 and name is None:  # outputs without names: Keras names them by their loss
            name = key if key is not None else getattr(item, "name", None)
        heads.append(OutputHead(key, name if count > 1 else None, item, weight))
    per_head = zip(
        _metric_specs(metrics, keys, "metrics", model),
        _metric_specs(weighted_metrics, keys, "weighted_metrics", model),
        strict=True,
    )
    for head, (specs, weighted_specs) in zip(heads, per_head, strict=True):
        head.metric_specs, head.weighted_metric_specs = specs, weighted_specs
        for spec in specs + weighted_specs:  # a typo fails in compile, not at the first batch
            metrics_module.get(spec, loss=head.loss, output_shape=None)
    if sum(head.loss is not None for head in heads) > 1:
        for position, head in enumerate(heads):
            if head.loss is not None:
                head.loss_tracker = metrics_module.Mean(name=f"{head.name}_loss")
            # Keras lists the losses in the order of a loss dict, else of the outputs.
            head.loss_rank = list(loss).index(head.key) if isinstance(loss, dict) else position
    return heads


def loss_trackers(heads: Sequence[OutputHead]) -> list[Any]:
    """The per-output loss means, in Keras's order."""
    ordered = sorted(heads, key=lambda head: head.loss_rank)
    return [head.loss_tracker for head in ordered if head.loss_tracker is not None]


def _described(keys: Sequence[str | None]) -> str:
    return str(list(keys)) if all(k is not None for k in keys) else f"{len(keys)} outputs"


def _per_output(
    value: Any, keys: Sequence[str | None], arg: str, model: str, partial_list: bool = False
) -> list[Any]:
    """``value`` (one for all, a list or a dict by output name) as one entry per output."""
    count = len(keys)
    if isinstance(value, dict):
        unknown = [key for key in value if key not in keys]
        if unknown:
            raise ValueError(
                f"Model '{model}': compile({arg}=...) names output(s) {unknown} that the model "
                f"does not have; its outputs are {_described(keys)}. Key {arg} by output name "
                "(the output layers' names, or the keys of a dict of outputs)."
            )
        if count > 1 and arg == "loss":
            missing = [key for key in keys if key not in value]
            if missing:  # Keras: every output named, None for one without a loss
                raise ValueError(
                    f"Model '{model}': compile(loss={{...}}) has no loss for output(s) {missing}; "
                    f"give one for each of {_described(keys)} (None for an output that is not "
                    "trained)."
                )
        return [value.get(key) for key in keys]
    if isinstance(value, (list, tuple)):
        if count == 1 and len(value) == 1:
            return list(value)
        if count > 1 and (len(value) == count or (partial_list and len(value) < count)):
            # Keras pairs a shorter list with the first outputs.
            return [*value, *([None] * (count - len(value)))]
        if count > 1 or len(value) != 1:
            raise ValueError(
                f"Model '{model}': compile({arg}=...) has {len(value)} entries but the model has "
                f"{count} output(s) {_described(keys)}; give one per output, in order, or a dict "
                "keyed by output name."
            )
    return [value] * count


def _loss_weights(loss_weights: Any, keys: Sequence[str | None], model: str) -> list[Any]:
    if loss_weights is None:
        return [None] * len(keys)
    if isinstance(loss_weights, bool) or not isinstance(
        loss_weights, (list, tuple, dict, float, int)
    ):
        raise ValueError(
            "Expected `loss_weights` argument to be a float (single output case) or a list, "
            "tuple, or dict (multiple output case). Received instead: "
            f"loss_weights={loss_weights!r} of type {type(loss_weights)}"
        )
    if isinstance(loss_weights, (float, int)) and len(keys) > 1:
        raise ValueError(
            f"Model '{model}': compile(loss_weights={loss_weights!r}) is one number, but the "
            f"model has {len(keys)} outputs {_described(keys)}; give a list (one weight per "
            "output) or a dict keyed by output name."
        )
    return _per_output(loss_weights, keys, "loss_weights", model)


def _metric_list(entry: Any) -> list[Any]:
    if entry is None:
        return []
    if isinstance(entry, dict):
        return [m for value in entry.values() for m in _metric_list(value)]
    if isinstance(entry, (list, tuple)):
        return [m for item in entry for m in _metric_list(item)]
    return [entry]


def _metric_specs(
    metrics: Any, keys: Sequence[str | None], arg: str, model: str
) -> list[list[Any]]:
    """The metrics of each output (Keras's rules: see the module docstring)."""
    count = len(keys)
    if not metrics:
        return [[] for _ in keys]
    if count == 1:
        return [_metric_list(metrics)]
    if isinstance(metrics, (list, tuple)) and len(metrics) == count:
        return [_metric_list(entry) for entry in metrics]
    if isinstance(metrics, dict) and all(key in keys for key in metrics):
        return [_metric_list(metrics.get(key)) for key in keys]
    if not isinstance(metrics, (list, tuple, dict)):
        raise ValueError(
            f"Expected `{arg}` argument to be a list, tuple, or dict. Received instead: "
            f"{arg}={metrics!r} of type {type(metrics)}"
        )
    if isinstance(metrics, dict):
        unknown = [key for key in metrics if key not in keys]
        problem = f"names output(s) {unknown} that the model does not have"
    else:
        problem = f"has {len(metrics)} entries for {count} outputs"
    raise ValueError(
        f"Model '{model}': compile({arg}={metrics!r}) {problem}. For a model of several outputs "
        f"{_described(keys)}, give a list with one entry (a metric or a list of metrics) per "
        f"output, in order, or a dict keyed by output name, e.g. {arg}={{"
        f"{keys[0]!r}: ['mae']}}."
    )


def build_head_metrics(head: OutputHead, y_pred: torch.Tensor, y_true: Any) -> None:
    """The metric objects of ``head``, from its output's shape (``"accuracy"`` depends on it)."""
    shape = tuple(y_pred.shape)
    true_shape = tuple(y_true.shape) if torch.is_tensor(y_true) else None
    head.metrics = [
        metrics_module.get(spec, loss=head.loss, output_shape=shape, y_true_shape=true_shape)
        for spec in head.metric_specs
    ]
    head.weighted_metrics = [
        metrics_module.get(spec, loss=head.loss, output_shape=shape, y_true_shape=true_shape)
        for spec in head.weighted_metric_specs
    ]


def metric_keys(heads: Sequence[OutputHead]) -> list[tuple[str, Any, OutputHead, bool]]:
    """``(log key, metric, head, weighted)`` of every metric, named as Keras names them:
    ``<output>_<metric>``, a repeated name numbered (``mae_1``), a metric given in both lists
    ``weighted_<metric>`` the second time."""
    entries: list[tuple[str, Any, OutputHead, bool]] = []
    counters: dict[str, int] = {}

    def prefixed(head: OutputHead, name: str) -> str:
        return f"{head.name}_{name}" if head.name else name

    for head in heads:
        for metric in head.metrics:
            key = prefixed(head, metric.name)
            if key in counters:
                counters[key] += 1
                key = f"{key}_{counters[key] - 1}"
            else:
                counters[key] = 1
            entries.append((key, metric, head, False))
    for head in heads:
        for metric in head.weighted_metrics:
            key = prefixed(head, metric.name)
            if key in counters:
                key = prefixed(head, f"weighted_{metric.name}")
                if key in counters:
                    counters[key] += 1
                    key = f"{key}_{counters[key] - 1}"
                else:
                    counters[key] = 1
            else:
                counters[key] = 1
            entries.append((key, metric, head, True))
    return entries


def per_output(value: Any, heads: Sequence[OutputHead], what: str, shared: bool = False) -> list:
    """``value`` (targets, predictions, masks or sample weights of a model of several outputs)
    as one entry per head: a dict by the heads' keys, a list in order; with ``shared``, one
    tensor (or None) serves every output."""
    count = len(heads)
    if value is None or (shared and not isinstance(value, (list, tuple, dict))):
        return [value] * count
    if isinstance(value, dict):
        missing = [head.key for head in heads if head.key not in value]
        if missing:
            raise ValueError(
                f"{what} is a dict with keys {sorted(map(str, value))} but has no {missing}; the "
                f"model's outputs are {[head.key for head in heads]}."
            )
        return [value[head.key] for head in heads]
    if isinstance(value, (list, tuple)) and len(value) == count:
        return list(value)
    got = f"{len(value)} entries" if isinstance(value, (list, tuple)) else type(value).__name__
    raise ValueError(
        f"{what} must have one entry per output {[head.key for head in heads]} (a list in order "
        f"or a dict keyed by output name), received {got}."
    )
