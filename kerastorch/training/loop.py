"""The fit / evaluate / predict loops: batches -> step -> callbacks, nothing else.

Data comes from ``data.as_data`` and ``data.adapt`` (one dispatcher each), each batch goes
through one function of ``step.py``, everything else (history, progress, early stopping) is a
callback, and what several processes must share goes through a run (``run.py``).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kerastorch.callbacks import Callback, CallbackList, History, ProgbarLogger
from kerastorch.callbacks.base import as_callbacks
from kerastorch.symbolic import flatten, pack_as
from kerastorch.training import data as data_module
from kerastorch.training.compiled_step import prefetch_to_device
from kerastorch.training.data import Batch, DataAdapter
from kerastorch.training.interrupt import DeferredInterrupt, check_interrupt
from kerastorch.training.padding import padding_rule
from kerastorch.training.placement import Placement, placement_of, to_device
from kerastorch.training.run import Run, current_run
from kerastorch.training.step import predict_step, test_step, train_step
from kerastorch.utils.modes import eval_mode, train_mode


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
    callbacks = as_callbacks(callbacks)  # None, one callback or a list, as Keras
    if x is None:
        raise ValueError("fit() needs training data: fit(x, y, ...).")
    steps_per_epoch = data_module.check_steps(steps_per_epoch, "steps_per_epoch")
    validation_steps = data_module.check_steps(validation_steps, "validation_steps")
    class_weight = data_module.check_class_weight(class_weight)
    _check_counts(epochs=epochs, initial_epoch=initial_epoch, validation_freq=validation_freq)

    # 1. Data: convert, split off the last fraction for validation (before any shuffling), then
    # one adapter for each part, with its batch size, shuffling and order.
    signature = data_module.signature_of(model)
    train_input = _with_padding(
        model, data_module.as_data(x, y, sample_weight, signature=signature)
    )
    if not train_input.has_targets:
        raise ValueError("fit(x, y): y is missing; the model needs targets to compute the loss.")
    if validation_split and validation_data is None:
        train_input, val_input = train_input.split(validation_split)
    elif validation_split:
        raise ValueError("Pass either validation_split or validation_data, not both.")
    else:
        val_input = (
            None
            if validation_data is None
            else _with_padding(
                model,
                data_module.as_data(validation_data, arg="validation_data", signature=signature),
            )
        )
    batch_size = data_module.batch_size_for_steps(train_input, batch_size, steps_per_epoch)
    train_data = data_module.adapt(
        train_input,
        batch_size=batch_size,
        shuffle=shuffle,
        keep_order=not shuffle,  # shuffled sequences (ragged or masked) are bucketed by length
        class_weight=class_weight,
    )
    val_data = None
    if val_input is not None:
        val_batch_size = data_module.check_batch_size(
            validation_batch_size or batch_size, "validation_batch_size"
        )
        # keep_order: see evaluate(); exact for masked sequence losses.
        val_data = data_module.adapt(val_input, batch_size=val_batch_size, keep_order=True)
        _check_validation_passes(val_data, validation_steps, initial_epoch, epochs, validation_freq)

    # 2. Build from the data's shape, then bind the optimizer to the parameters; then this
    # process's share of the data (all of it in one process).
    run = current_run()
    placement = run.place(model, _prepare(model, train_data))
    if placement.device.type == "cuda":
        train_data.pin_memory()  # batches then copy to the GPU asynchronously
    _check_labels(model, compiled, train_input)
    compiled.bind_optimizer(model)
    train_data = run.shard(train_data, training=True, source="fit(x)")
    if val_data is not None:  # before the model is wrapped: a refused input leaves no wrapper
        val_data = run.shard(val_data, training=False, source="fit(validation_data)")
    run.start_training(model, compiled, train_data)

    # 3. Callbacks: the user's, then History and the progress bar.
    train_epochs = data_module.EpochIterator(train_data, steps_per_epoch)
    verbose = _verbose(verbose)
    history = History()
    callback_list = CallbackList(
        [*(callbacks or []), history, *([ProgbarLogger(verbose)] if verbose else [])],
        model,
        {"epochs": epochs, "steps": train_epochs.num_batches, "verbose": verbose},
    )

    # 4. Epochs.
    model.stop_training = False
    val_epochs = None
    if val_data is not None:
        # Each validation is a fresh pass (cut at validation_steps), a generator's continues.
        val_epochs = data_module.EpochIterator(val_data, validation_steps, continue_passes=False)
    epoch_logs: dict[str, float] = {}
    model._initial_epoch = None  # BackupAndRestore sets it in on_train_begin, as in Keras
    callback_list.on_train_begin()
    initial_epoch = model._initial_epoch or initial_epoch
    # A stop set by a batch hook must stop every process at the same step.
    sync_stop = run.syncs_batch_stops(callbacks or [])
    run.check_initial_epoch(initial_epoch)
    epoch = initial_epoch
    compiled.jit.start_fit(train_epochs.num_batches, epochs - initial_epoch)
    interrupt = DeferredInterrupt.install(compiled.optimizer)  # NOTE [Ctrl-C during fit]
    try:
        for epoch in range(initial_epoch, epochs):
            run.start_epoch(train_data, epoch)
            batches = train_epochs.next_epoch()
            if batches is None:  # a generator has run out (NOTE [steps per epoch])
                break
            compiled.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            model.train()
            for step, batch in enumerate(prefetch_to_device(placement, batches)):
                interrupt.check("training")
                _require_targets(batch, train_data, "fit", step)
                callback_list.on_batch_begin("train", step)
                train_step(model, compiled, batch)
                interrupt.update_finished()
                callback_list.on_batch_end("train", step, compiled.results)
                if interrupt.requested:
                    raise KeyboardInterrupt  # deferred to the end of the step
                if sync_stop:
                    model.stop_training = run.any(model.stop_training)
                if model.stop_training:
                    break
            run.reduce_metrics(compiled)  # the logs of all processes
            epoch_logs = compiled.results()
            if val_epochs is not None and (epoch + 1) % validation_freq == 0:
                if val_data.epoch_hooks:  # restarted before each validation, as in Keras
                    val_data.on_epoch_end()
                val_logs = _run_evaluation(
                    model, compiled, val_epochs, placement, callback_list, run
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            model.stop_training = run.any(model.stop_training)
            if model.stop_training:
                break
    except KeyboardInterrupt:
        # Ctrl-C: keep the model as trained so far and return the history of finished epochs.
        warnings.warn(interrupt.message(epoch, len(history.epoch), callbacks), stacklevel=3)
    finally:
        interrupt.uninstall()
        model.eval()
        run.end_training(compiled)
    callback_list.on_train_end(epoch_logs)
    run.finish()  # process 0's checkpoints are written when fit returns anywhere
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
    callbacks = as_callbacks(callbacks)
    steps = data_module.check_steps(steps, "steps")
    eval_input = _with_padding(
        model, data_module.as_data(x, y, sample_weight, signature=data_module.signature_of(model))
    )
    if not eval_input.has_targets:
        raise ValueError("evaluate(x, y): y is missing; the loss needs targets.")
    batch_size = data_module.batch_size_for_steps(eval_input, batch_size, steps)
    # Input order, as Keras: a masked sequence loss is averaged per batch over its valid steps,
    # so length-bucketed batches would give another (if similar) value.
    eval_data = data_module.adapt(eval_input, batch_size=batch_size, keep_order=True)
    run = current_run()
    placement = run.place(model, _prepare(model, eval_data))
    run.start_evaluation(model, compiled, eval_data)
    eval_data = run.shard(eval_data, training=False, source="evaluate(x)")
    eval_epochs = data_module.EpochIterator(eval_data, steps)
    verbose = _verbose(verbose)
    callback_list = CallbackList(
        [*(callbacks or []), *([ProgbarLogger(verbose)] if verbose else [])],
        model,
        {"steps": eval_epochs.num_batches, "verbose": verbose},
    )
    logs = _run_evaluation(model, compiled, eval_epochs, placement, callback_list, run)
    return _returned_logs(logs, compiled, return_dict)


def train_on_batch(
    model: Any,
    x: Any,
    y: Any,
    *,
    sample_weight: Any,
    class_weight: dict[int, float] | None,
    return_dict: bool,
):
    """One optimizer step on all of ``x``; the loss and metrics of that batch (computed before
    the step), as Keras 3's ``train_on_batch``, which resets the metrics first."""
    compiled = _require_compiled(model, "train_on_batch")
    data, placement = _one_batch_data(model, x, y, sample_weight, "train_on_batch")
    class_weight = data_module.check_class_weight(class_weight)
    if class_weight is not None:
        data = data.with_class_weight(class_weight)
    compiled.bind_optimizer(model)
    compiled.reset_metrics()
    with train_mode(model):
        train_step(model, compiled, to_device(placement, data.batch(slice(0, len(data)))))
    return _returned_logs(compiled.results(), compiled, return_dict)


def test_on_batch(model: Any, x: Any, y: Any, *, sample_weight: Any, return_dict: bool):
    """The loss and metrics of all of ``x`` in one batch, as Keras 3's ``test_on_batch``."""
    compiled = _require_compiled(model, "test_on_batch")
    data, placement = _one_batch_data(model, x, y, sample_weight, "test_on_batch")
    compiled.reset_metrics()
    with eval_mode(model):
        test_step(model, compiled, to_device(placement, data.batch(slice(0, len(data)))))
    return _returned_logs(compiled.results(), compiled, return_dict)


def _one_batch_data(
    model: Any, x: Any, y: Any, sample_weight: Any, caller: str
) -> tuple[data_module.IndexedData, Placement]:
    if current_run().distributed:
        raise NotImplementedError(
            f"{caller} runs in one process; in a torch.distributed run use fit / evaluate."
        )
    data = data_module.as_data(x, y, sample_weight, signature=data_module.signature_of(model))
    if not isinstance(
        data, (data_module.ArrayData, data_module.RaggedData, data_module.StructuredData)
    ):
        raise TypeError(
            f"{caller} takes one batch of arrays, tensors or sequences, received "
            f"{data.description}."
        )
    if not data.has_targets:
        raise ValueError(f"{caller}(x, y): y is missing; the loss needs targets.")
    return data, _prepare(model, data_module.adapt(data, batch_size=len(data)))


def _returned_logs(logs: dict[str, Any], compiled: Any, return_dict: bool):
    """What evaluate / *_on_batch return: the dict, or the loss alone, or [loss, *metrics]."""
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
    _refuse_custom_steps(model, "predict")
    callbacks = as_callbacks(callbacks)
    steps = data_module.check_steps(steps, "steps")
    predict_input = _with_padding(
        model, data_module.as_data(x, signature=data_module.signature_of(model))
    )
    batch_size = data_module.batch_size_for_steps(predict_input, batch_size, steps)
    # With steps, the first batches in input order (sequences are otherwise sorted by length).
    predict_data = data_module.adapt(
        predict_input, batch_size=batch_size, keep_order=steps is not None
    )
    data_module.require_end(predict_data, steps)
    run = current_run()
    placement = run.place(model, _prepare(model, predict_data, predicting=True))
    predict_data = run.shard(predict_data, training=False, source="predict(x)")
    verbose = _verbose(verbose)
    callback_list = CallbackList(
        [*(callbacks or []), *([ProgbarLogger(verbose)] if verbose else [])],
        model,
        {"steps": steps or predict_data.num_batches(), "verbose": verbose},
    )
    results: list[tuple[Any, list[torch.Tensor], list[torch.Tensor | None]]] = []
    structure: Any = None  # of the outputs: a tensor, or a list or dict of them
    indexed_batches = predict_data.indexed_batches()
    if steps is not None:
        indexed_batches = itertools.islice(indexed_batches, steps)
    callback_list.on_predict_begin()
    with eval_mode(model):
        for step, (index, batch) in enumerate(indexed_batches):
            check_interrupt("prediction")
            callback_list.on_batch_begin("predict", step)
            outputs, masks = predict_step(model, to_device(placement, batch))
            structure = outputs
            # Per-sequence trimming is for ragged inputs only (the adapter padded them, so the
            # batch has a mask); a padded array the user gave comes back whole, as in Keras.
            ragged = batch.mask is not None
            flat_masks = [None] * len(flatten(outputs)) if masks is None else flatten(masks)
            results.append(
                (
                    index,
                    [_compact(out.cpu()) for out in flatten(outputs)],
                    [m.cpu() if ragged and m is not None else None for m in flat_masks],
                )
            )
            callback_list.on_batch_end(
                "predict",
                step,
                lambda outputs=outputs, cpu=results[-1][1]: {
                    "outputs": pack_as(outputs, [out.numpy() for out in cpu])
                },
            )
    callback_list.on_predict_end()
    if steps is not None and len(results) < steps:
        warnings.warn(data_module.OUT_OF_DATA, stacklevel=3)
    # The batches cover samples 0..count-1 (all of them, or the first `steps` batches' worth).
    outputs = []
    for i in range(len(results[0][1]) if results else 1):
        # Each output's predictions of every process, on every process.
        part = run.gather_predictions(
            [(index, outs[i], masks[i]) for index, outs, masks in results], predict_data
        )
        count = sum(len(out) for _, out, _ in part)
        outputs.append(_assemble_predictions(part, count, pad_value))
    if structure is None or not isinstance(structure, (list, tuple, dict)):
        return outputs[0]
    if isinstance(structure, dict):  # Keras returns the keys sorted
        return dict(zip(sorted(structure), outputs, strict=True))
    return pack_as(structure, outputs)


def _compact(outputs: torch.Tensor) -> torch.Tensor:
    """The outputs kept until predict returns, without what they may be a view of: the last step
    of an LSTM is a view of its whole ``(batch, timesteps, units)`` output, which would
    otherwise stay alive for every batch until the end (``timesteps`` times the result)."""
    if outputs.untyped_storage().nbytes() > outputs.nelement() * outputs.element_size():
        return outputs.clone()
    return outputs


def _assemble_predictions(results, count: int, pad_value: float | None):
    """Predictions in input order. Per-timestep outputs of ragged sequences (their mask is set)
    become one array per sequence, or one padded array with ``pad_value``."""
    if all(mask is None for _, _, mask in results):
        shapes = sorted({tuple(out.shape[1:]) for _, out, _ in results})
        if len(shapes) > 1:
            raise ValueError(
                "predict: the batches gave outputs of different shapes "
                f"{[(None, *shape) for shape in shapes]}, which cannot be stacked (batches of "
                "padded sequences of different lengths?). Yield each batch's x as a list of "
                "sequences, or as (x_padded, mask), to get one output per sequence; or predict "
                "batch by batch."
            )
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
    model: Any,
    compiled: Any,
    epochs: data_module.EpochIterator,
    placement: Placement,
    callback_list: CallbackList,
    run: Run,
) -> dict[str, float]:
    """One evaluation epoch of ``epochs`` in inference mode; returns the loss and metrics
    (nothing when a one-shot validation stream has run out), of all processes of ``run``."""
    batches = epochs.next_epoch()
    if batches is None:
        return {}
    compiled.reset_metrics()
    callback_list.on_test_begin()
    with eval_mode(model):
        for step, batch in enumerate(batches):
            check_interrupt("validation")
            _require_targets(batch, epochs.data, "evaluate", step)
            callback_list.on_batch_begin("test", step)
            test_step(model, compiled, to_device(placement, batch))
            callback_list.on_batch_end("test", step, compiled.results)
    run.reduce_metrics(compiled)
    logs = compiled.results()
    callback_list.on_test_end(logs)
    return logs


def _with_padding(model: Any, data: data_module.InputData) -> data_module.InputData:
    """Padded arrays that the model masks from their values: with each row's valid steps, so
    that batches are bucketed by length and cut to their valid steps (NOTE [trimming rule] in
    ``padding.py``)."""
    if not isinstance(data, data_module.ArrayData):
        return data
    return data.with_padding(padding_rule(model))


def _require_targets(batch: Batch, data: DataAdapter, action: str, step: int) -> None:
    if batch.y is None:
        raise ValueError(
            f"{action}: batch {step} from {data.description} has no targets; the loss needs "
            "them. Yield (x, y) or (x, y, sample_weight) batches (samples, for a Dataset)."
        )


def _check_labels(model: Any, compiled: Any, data: data_module.InputData) -> None:
    """Class labels given as an array are checked once per ``fit`` against the model's number
    of outputs (a loss with ``check_labels``): out of range, they would fail inside the loss
    with torch's "Target 5 is out of bounds." (a device-side assert on a GPU)."""
    check = getattr(compiled.loss, "check_labels", None)
    y = getattr(data, "y", None)
    shape = getattr(model, "output_shape", None)
    if check is None or not torch.is_tensor(y) or len(y) == 0:
        return
    if not (isinstance(shape, tuple) and shape and isinstance(shape[-1], int)):
        return
    check(y, shape[-1])


def _check_counts(**counts: Any) -> None:
    """``epochs``, ``initial_epoch`` (integers >= 0) and ``validation_freq`` (>= 1)."""
    for arg, value in counts.items():
        smallest = 1 if arg == "validation_freq" else 0
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < smallest:
            raise ValueError(
                f"fit: expected {arg} to be an integer >= {smallest}, received {arg}={value!r}."
            )


def _check_validation_passes(
    val_data: DataAdapter,
    validation_steps: int | None,
    initial_epoch: int,
    epochs: int,
    validation_freq: int,
) -> None:
    """A one-shot validation stream is used up by the first validation: reject more of them."""
    if not val_data.one_shot or validation_steps is not None:
        return
    passes = sum(1 for epoch in range(initial_epoch, epochs) if (epoch + 1) % validation_freq == 0)
    if passes > 1:
        raise ValueError(
            f"validation_data is {val_data.description}, which can be read only once, but fit "
            f"would validate {passes} times: every validation after the first would find it "
            "empty. Pass validation_steps (batches per validation) with a generator that "
            "loops forever, or a re-iterable validation set (arrays, a torch Dataset or "
            "DataLoader)."
        )


# The step methods of Keras's "customizing what happens in fit()" that each loop would run.
_KERAS_STEPS = {
    "fit": ("train_step", "test_step"),
    "train_on_batch": ("train_step",),
    "evaluate": ("test_step",),
    "test_on_batch": ("test_step",),
    "predict": ("predict_step",),
}


def _refuse_custom_steps(model: Any, action: str) -> None:
    """Keras calls a model's own ``train_step`` / ``test_step`` / ``predict_step`` when a subclass
    overrides them; kerastorch's loops do not, so running one would silently skip the user's
    step. Refuse instead (kerastorch's ``Model`` defines none of these names)."""
    for name in _KERAS_STEPS[action]:
        if callable(getattr(type(model), name, None)):
            raise NotImplementedError(
                f"{type(model).__name__} defines {name}(), which kerastorch's {action}() does "
                f"not call: overriding Keras's steps (Keras's guide 'customizing what happens "
                f"in fit()') is not supported yet, and {action}() would silently run its own "
                "step instead. Move the logic into call(), a loss, metrics or a callback, or "
                "train the model (a torch.nn.Module) in your own torch loop."
            )


def _require_compiled(model: Any, action: str):
    _refuse_custom_steps(model, action)
    if model.compiled is None:
        raise RuntimeError(
            f"Model '{model.name}' must be compiled before {action}(): call "
            'model.compile(optimizer="adam", loss="mse") (with your optimizer and loss) first.'
        )
    return model.compiled


def _prepare(model: Any, data: DataAdapter, *, predicting: bool = False) -> Placement:
    """Build the model from the data's first batch if needed; return where its weights live.

    The first batch is read even for a built model, so that empty inputs fail here; streams keep
    it for their first epoch. An input with epoch hooks (a ``PyDataset``, which knows its length)
    is read as Keras reads it (NOTE [PyDataset epochs] in ``data/py_datasets.py``).
    """
    if data.epoch_hooks:
        first = _first_pass(model, data, predicting)
        if first is None:
            return _placement(model)
    else:
        first = data.first_batch()
    if first.mask is not None:
        _check_ragged_input(model, data)
    if not model.built:
        with torch.no_grad():
            if model.input_batch_shape is None and torch.is_tensor(first.x):
                # Ragged batches, and streams whose batches may differ in length: any length.
                any_length = first.mask is not None or (
                    data.varying_shapes
                    and (
                        first.x.dim() >= 3
                        or (first.x.dim() == 2 and not first.x.is_floating_point())
                    )
                )
                model.build(
                    (None, None, *first.x.shape[2:]) if any_length else (None, *first.x.shape[1:])
                )
            if not model.built:  # a layer needs data to build (e.g. Dense after Flatten)
                with eval_mode(model):
                    model(first.x, mask=first.mask)
                reset_states = getattr(model, "reset_states", None)
                if callable(reset_states):  # that forward must not advance stateful layers
                    reset_states()
    return _placement(model)


def _placement(model: Any) -> Placement:
    if model.compiled is not None:
        model.compiled.place(model)
    return placement_of(model)


def _first_pass(model: Any, data: DataAdapter, predicting: bool) -> Batch | None:
    """Keras's reading of a PyDataset before a pass: ``fit`` and ``evaluate`` read a batch in a
    pass of its own while the model or its compiled metrics are unbuilt, and otherwise only
    restart it (``on_epoch_end``); ``predict`` reads ahead only to build an unbuilt model."""
    compiled = model.compiled
    if model.built and (predicting or compiled is None or compiled.metric_entries is not None):
        if not predicting:
            data.on_epoch_end()
        return None
    return data.first_batch()


def _check_ragged_input(model: Any, data: DataAdapter) -> None:
    """A list of rows of different lengths is taken as sequences only by a model whose input has
    a time axis: into ``Input((4,))`` it is rows with missing values (Keras refuses them too)."""
    shape = model.input_batch_shape
    lengths = getattr(getattr(data, "data", None), "lengths", None)
    if shape is None or len(shape) != 2 or not isinstance(shape[1], int) or lengths is None:
        return
    wrong = torch.nonzero(lengths != shape[1]).flatten()
    row = int(wrong[0])
    raise ValueError(
        f"x[{row}] has {int(lengths[row])} values, but model '{model.name}' takes rows of "
        f"{shape[1]} (input shape {shape}); {len(wrong)} of the {len(lengths)} rows have another "
        "length. A list of items of different lengths is taken as sequences only by a model "
        "whose input has a time axis (e.g. Input((None, features))). Complete or drop the rows "
        "of another length."
    )


def _verbose(verbose: int | str) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f'Expected verbose to be "auto", 0, 1 or 2, received verbose={verbose!r}.')
    return int(verbose)


__all__ = ["evaluate", "fit", "predict"]
