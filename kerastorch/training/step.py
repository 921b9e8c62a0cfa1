"""One step of training, evaluation or prediction: the only place that runs the model.

``train_step`` is forward -> loss -> backward -> optimizer step -> metric update; the loops in
``loop.py`` only iterate batches, fire callbacks and read the metrics.
"""

from __future__ import annotations

from typing import Any

import torch

from kerastorch.training.compile import CompiledModel
from kerastorch.training.data import Batch
from kerastorch.training.data.base import first_leaf


def train_step(model: torch.nn.Module, compiled: CompiledModel, batch: Batch) -> None:
    step = compiled.jit.step_for(model, compiled, batch)
    outputs = None
    if step is not None:  # NOTE [compiled training step] in compiled_step.py
        try:
            outputs = step(batch)
        except Exception as error:
            if step.is_compiled_for(batch):
                raise  # the compiled step ran before: the error is the step's, not the compiler's
            compiled.jit.failed(error)  # then the eager step runs (and raises a model's error)
    if outputs is None:
        outputs = _eager_update(compiled, batch)
    loss, y_pred, mask = outputs
    if compiled.penalty_layers()[1]:
        compiled.apply_constraints()
    with torch.no_grad():
        compiled.update_metrics(batch, y_pred, mask, loss)


def _eager_update(compiled: CompiledModel, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, Any]:
    """Forward, loss, backward and optimizer step, eagerly; the loss, outputs and their mask."""
    with compiled.autocast(first_leaf(batch.x).device):
        # train_forward: the model, or its DistributedDataParallel wrapper (several processes).
        y_pred, mask = compiled.train_forward(
            batch.x, mask=batch.mask, training=True, return_mask=True
        )
        loss = compiled.compute_loss(batch.y, y_pred, batch.sample_weight, mask)
    optimizer = compiled.optimizer
    optimizer.zero_grad(set_to_none=True)
    scaler = compiled.loss_scaler
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:  # mixed_float16: scale the loss so small gradients survive float16
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    # y_pred may be a list or dict (several outputs); update_metrics reads it under no_grad.
    return loss.detach(), y_pred, mask


@torch.inference_mode()
def test_step(model: torch.nn.Module, compiled: CompiledModel, batch: Batch) -> None:
    with compiled.autocast(first_leaf(batch.x).device):
        y_pred, mask = compiled.forward(batch.x, mask=batch.mask, training=False, return_mask=True)
        loss = compiled.compute_loss(batch.y, y_pred, batch.sample_weight, mask)
    compiled.update_metrics(batch, y_pred, mask, loss)


@torch.inference_mode()
def predict_step(model: torch.nn.Module, batch: Batch) -> tuple[Any, Any]:
    """The outputs, and their mask when they are per-timestep outputs of masked inputs (lists or
    dicts of them for a model of several outputs)."""
    return model(batch.x, mask=batch.mask, training=False, return_mask=True)
