"""The fit / evaluate / predict loops: batches -> step -> callbacks, nothing else.

Data comes from ``data.adapt`` (one dispatcher), each batch goes through one function of
``step.py``, and everything else (history, progress, early stopping) is a callback.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.callbacks import Callback, CallbackList, History, ProgbarLogger
from kerastorch.training import data as data_module
from kerastorch.training.data import Batch
from kerastorch.training.step import predict_step, test_step, train_step


def fit(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int | None,
    epochs: int,
    verbose: int | str,
    callbacks: Sequence[Callback] | None,
    validation_split: float,
    validation_data: Any,
    shuffle: bool,
    class_weight: dict[int, float] | None,
    sample_weight: Any,
    initial_epoch: int,
    steps_per_epoch: int | None,
    validation_steps: int | None,
    validation_batch_size: int | None,
    validation_freq: int,
):
    compiled = _require_compiled(model, "fit")
    if x is None:
        raise ValueError("fit() needs training data: fit(x, y, ...).")
    if y is None:
        raise ValueError("fit(x, y): y is missing; the model needs targets to compute the loss.")
    batch_size = data_module.check_batch_size(batch_size)
    if steps_per_epoch is not None or validation_steps is not None:
        raise NotImplementedError(
            "steps_per_epoch / validation_steps apply to generators, which are not supported yet."
        )

    # 1. Data: adapt, then split off the last fraction for validation (before any shuffling).
    train_data = data_module.adapt(x, y, sample_weight)
    if validation_split and validation_data is None:
        train_data, val_data = train_data.split(validation_split)
    elif validation_split:
        raise ValueError("Pass either validation_split or validation_data, not both.")
    else:
        val_data = (
            None
            if validation_data is None
            else data_module.adapt(validation_data, arg="validation_data")
        )
    if class_weight is not None:
        weights = data_module.class_weights_to_sample_weights(train_data.y, class_weight)
        if train_data.sample_weight is not None:
            weights = weights * train_data.sample_weight
        train_data.sample_weight = weights

    # 2. Build from the data's shape, then bind the optimizer to the parameters.
    device = _prepare(model, train_data, batch_size)
    compiled.bind_optimizer(model)

    # 3. Callbacks: the user's, then History and the progress bar.
    steps = train_data.num_batches(batch_size)
    verbose = _verbose(verbose)
    history = History()
    callback_list = CallbackList(
        [*(callbacks or []), history, *([ProgbarLogger(verbose)] if verbose else [])],
        model,
        {"epochs": epochs, "steps": steps, "verbose": verbose},
    )

    # 4. Epochs.
    model.stop_training = False
    val_batch_size = data_module.check_batch_size(
        validation_batch_size or batch_size, "validation_batch_size"
    )
    epoch_logs: dict[str, float] = {}
    epoch = initial_epoch
    callback_list.on_train_begin()
    try:
        for epoch in range(initial_epoch, epochs):
            compiled.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            model.train()
            batches = train_data.batches(batch_size, shuffle, keep_order=not shuffle)
            for step, batch in enumerate(batches):
                callback_list.on_batch_begin("train", step)
                train_step(model, compiled, _to_device(device, batch))
                callback_list.on_batch_end("train", step, compiled.results)
                if model.stop_training:
                    break
            epoch_logs = compiled.results()
            if val_data is not None and (epoch + 1) % validation_freq == 0:
                val_logs = _run_evaluation(
                    model, compiled, val_data, val_batch_size, device, callback_list
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if model.stop_training:
                break
    except KeyboardInterrupt:
        # Ctrl-C: keep the model as trained so far and return the history of finished epochs.
        warnings.warn(
            f"fit() interrupted during epoch {epoch + 1}; the model keeps the weights of the "
            f"last finished step and the History holds {len(history.epoch)} finished epoch(s).",
            stacklevel=3,
        )
    finally:
        model.eval()
    callback_list.on_train_end(epoch_logs)
    return history


def evaluate(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int | None,
    verbose: int | str,
    sample_weight: Any,
    steps: int | None,
    callbacks: Sequence[Callback] | None,
    return_dict: bool,
):
    compiled = _require_compiled(model, "evaluate")
    if y is None:
        raise ValueError("evaluate(x, y): y is missing; the loss needs targets.")
    batch_size = data_module.check_batch_size(batch_size)
    eval_data = data_module.adapt(x, y, sample_weight)
    device = _prepare(model, eval_data, batch_size)
    verbose = _verbose(verbose)
    callback_list = CallbackList(
        [*(callbacks or []), *([ProgbarLogger(verbose)] if verbose else [])],
        model,
        {"steps": eval_data.num_batches(batch_size), "verbose": verbose},
    )
    logs = _run_evaluation(model, compiled, eval_data, batch_size, device, callback_list)
    if return_dict:
        return logs
    values = [logs[name] for name in compiled.metrics_names()]  # Keras's order: loss first
    return values[0] if len(values) == 1 else values


def predict(
    model: Any,
    x: Any,
    *,
    batch_size: int | None,
    verbose: int | str,
    steps: int | None,
    callbacks: Sequence[Callback] | None,
    pad_value: float | None = None,
) -> np.ndarray | list[np.ndarray]:
    batch_size = data_module.check_batch_size(batch_size)
    predict_data = data_module.adapt(x)
    device = _prepare(model, predict_data, batch_size)
    verbose = _verbose(verbose)
    callback_list = CallbackList(
        [*(callbacks or []), *([ProgbarLogger(verbose)] if verbose else [])],
        model,
        {"steps": predict_data.num_batches(batch_size), "verbose": verbose},
    )
    was_training = model.training
    model.eval()
    results: list[tuple[Any, torch.Tensor, torch.Tensor | None]] = []
    callback_list.on_predict_begin()
    try:
        for step, (index, batch) in enumerate(predict_data.indexed_batches(batch_size)):
            callback_list.on_batch_begin("predict", step)
            outputs, mask = predict_step(model, _to_device(device, batch))
            results.append((index, outputs.cpu(), None if mask is None else mask.cpu()))
            callback_list.on_batch_end("predict", step, dict)
    finally:
        model.train(was_training)
    callback_list.on_predict_end()
    return _assemble_predictions(results, len(predict_data), pad_value)


def _assemble_predictions(results, count: int, pad_value: float | None):
    """Predictions in input order. Per-timestep outputs of ragged sequences (their mask is set)
    become one array per sequence, or one padded array with ``pad_value``."""
    if all(mask is None for _, _, mask in results):
        if all(isinstance(index, slice) for index, _, _ in results):
            return torch.cat([out for _, out, _ in results]).numpy()
        first = results[0][1]
        ordered = first.new_empty((count, *first.shape[1:]))
        for index, out, _ in results:
            ordered[index] = out
        return ordered.numpy()
    sequences: list[Any] = [None] * count
    for index, out, mask in results:
        positions = (
            range(index.start, index.start + len(out))
            if isinstance(index, slice)
            else index.tolist()
        )
        for row, position in enumerate(positions):
            sequences[position] = out[row, : int(mask[row].sum())].numpy()
    if pad_value is None:
        return sequences
    longest = max(len(seq) for seq in sequences)
    padded = np.full((count, longest, *sequences[0].shape[1:]), pad_value, dtype=sequences[0].dtype)
    for i, seq in enumerate(sequences):
        padded[i, : len(seq)] = seq
    return padded


def _run_evaluation(
    model, compiled, eval_data, batch_size, device, callback_list
) -> dict[str, float]:
    """One pass over ``eval_data`` in inference mode; returns the loss and metrics."""
    was_training = model.training
    model.eval()
    compiled.reset_metrics()
    callback_list.on_test_begin()
    try:
        for step, batch in enumerate(eval_data.batches(batch_size, shuffle=False)):
            callback_list.on_batch_begin("test", step)
            test_step(model, compiled, _to_device(device, batch))
            callback_list.on_batch_end("test", step, compiled.results)
    finally:
        model.train(was_training)
    logs = compiled.results()
    callback_list.on_test_end(logs)
    return logs


def _require_compiled(model: Any, action: str):
    if model.compiled is None:
        raise RuntimeError(
            f"Model '{model.name}' must be compiled before {action}(): call "
            'model.compile(optimizer="adam", loss="mse") (with your optimizer and loss) first.'
        )
    return model.compiled


def _prepare(model: Any, data: data_module.Adapter, batch_size: int) -> torch.device:
    """Build the model from the data's shape if needed; return the device of its weights."""
    if not model.built:
        first = next(data.batches(batch_size, shuffle=False))
        with torch.no_grad():
            if model.input_batch_shape is None:
                ragged = first.mask is not None  # any length: the time axis stays unknown
                model.build(
                    (None, None, *first.x.shape[2:]) if ragged else (None, *first.x.shape[1:])
                )
            if not model.built:  # a layer needs data to build (e.g. Dense after Flatten)
                was_training = model.training
                model.eval()
                model(first.x, mask=first.mask)
                model.train(was_training)
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _to_device(device: torch.device, batch: Batch) -> Batch:
    if device.type == "cpu":
        return batch
    return Batch(*(None if t is None else t.to(device, non_blocking=True) for t in batch))


def _verbose(verbose: int | str) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f'Expected verbose to be "auto", 0, 1 or 2, received verbose={verbose!r}.')
    return int(verbose)


__all__ = ["evaluate", "fit", "predict"]
