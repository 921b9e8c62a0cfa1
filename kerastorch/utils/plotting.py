"""Learning curves from a ``fit`` History, with matplotlib (an optional dependency)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kerastorch.errors import did_you_mean

__all__ = ["plot_history"]


def _import_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            "plot_history needs matplotlib, which is not installed: pip install matplotlib "
            "(or pip install 'kerastorch-lib[plot]')."
        ) from error
    return matplotlib


def _history_dict(history: Any) -> tuple[dict[str, list[Any]], list[int] | None]:
    """``(values by key, epoch indices or None)`` from a History or its ``.history`` dict."""
    if isinstance(history, Mapping):
        return {str(k): list(v) for k, v in history.items()}, None
    values = getattr(history, "history", None)
    if not isinstance(values, Mapping):
        raise TypeError(
            "plot_history expects the History returned by fit() or its .history dict "
            f"({{'loss': [...], ...}}), received {type(history).__name__}."
        )
    epochs = getattr(history, "epoch", None)
    return {str(k): list(v) for k, v in values.items()}, list(epochs) if epochs else None


def _validation_epochs(count: int, train_epochs: list[int], validation_freq: int | None):
    """The epochs (1-based) of a series with fewer values than epochs: validation ran every
    ``validation_freq`` epochs (inferred as ``epochs // count`` when not given)."""
    first = train_epochs[0] - 1
    freq = validation_freq or max(1, len(train_epochs) // count)
    return [first + freq * (i + 1) for i in range(count)]


def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    path: str | os.PathLike[str] | None = None,
    show: bool = False,
    validation_freq: int | None = None,
) -> Any:
    """Plot the loss and metric curves of a training run, one subplot per metric.

    Each subplot shows a metric per epoch for the training data and, when ``fit`` had validation
    data, its ``val_`` counterpart on the same axes. Keras has no such function (its users write
    these few lines of matplotlib by hand); kerastorch adds it.

    Args:
        history: The :class:`~kerastorch.callbacks.History` returned by ``fit``, or its
            ``.history`` dict (``{"loss": [...], "val_loss": [...], ...}``).
        metrics: The metrics to plot, by their training name (``["loss", "accuracy"]``); each
            brings its ``val_`` curve along. Default: every key of the history.
        path: Save the figure there as a PNG (any format matplotlib knows, from the suffix).
        show: Also show the figure in a window (or notebook) with ``matplotlib.pyplot.show``.
        validation_freq: The ``validation_freq`` given to ``fit``, to place validation values
            recorded every few epochs; inferred from the counts when not given.

    Returns:
        The ``matplotlib.figure.Figure``; its lines carry the history key as their label.

    Raises:
        ImportError: matplotlib is not installed (``pip install matplotlib``).
        ValueError: a requested metric is not in the history, or the history is empty.

    Example:
        >>> history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]}
        >>> figure = plot_history(history)  # doctest: +SKIP
        >>> [line.get_label() for line in figure.axes[0].get_lines()]  # doctest: +SKIP
        ['loss', 'val_loss']
    """
    values, epoch_indices = _history_dict(history)
    if not values or not any(len(v) for v in values.values()):
        raise ValueError("plot_history: the history is empty; nothing to plot (did fit run?).")
    # 1. Which subplots: each training key, and validation keys without a training twin.
    available = [k for k in values if not k.startswith("val_") or k[4:] not in values]
    available.sort(key=lambda k: k not in ("loss", "val_loss"))  # the loss first, as Keras logs
    if metrics is None:
        names = available
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        for name in names:
            if name not in values:
                raise ValueError(
                    f"plot_history: no {name!r} in the history.{did_you_mean(name, available)} "
                    f"Available: {', '.join(available)}."
                )
    matplotlib = _import_matplotlib()
    if show:
        import matplotlib.pyplot as plt

        figure_class = plt.figure
    else:  # not through pyplot: no global figure kept alive, works on any backend
        from matplotlib.figure import Figure

        figure_class = Figure

    # 2. The x axis: 1-based epochs (fit(initial_epoch=...) shifts them).
    longest = max(len(values[name]) for name in names)
    if epoch_indices is not None and len(epoch_indices) == longest:
        train_epochs = [e + 1 for e in epoch_indices]
    else:
        train_epochs = list(range(1, longest + 1))

    ncols = min(2, len(names))
    nrows = math.ceil(len(names) / ncols)
    figure = figure_class(figsize=(6.0 * ncols, 3.6 * nrows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False)).reshape(-1)
    for ax, name in zip(axes, names, strict=False):
        keys = [name] + ([f"val_{name}"] if f"val_{name}" in values else [])
        for key, style in zip(keys, ("-", "--"), strict=False):
            series = np.asarray(values[key], dtype=np.float64)
            if len(series) == len(train_epochs):
                x = train_epochs
            else:
                x = _validation_epochs(len(series), train_epochs, validation_freq)
            marker = "o" if len(series) <= 30 else None
            if series.ndim == 1:
                ax.plot(x, series, style, marker=marker, markersize=3, label=key)
            else:  # one value per class (e.g. F1Score(average=None)): one line each
                for i, column in enumerate(series.reshape(len(series), -1).T):
                    ax.plot(x, column, style, marker=marker, markersize=3, label=f"{key}[{i}]")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
        if len(train_epochs) <= 20:
            ax.set_xticks(train_epochs)
    for ax in axes[len(names) :]:
        ax.set_visible(False)

    if path is not None:
        folder = os.path.dirname(os.fspath(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        figure.savefig(path, dpi=100)
    if show:
        matplotlib.pyplot.show()
    return figure
