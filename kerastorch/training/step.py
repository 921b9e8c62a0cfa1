"""One step of training, evaluation or prediction: the only place that runs the model.

``train_step`` is forward -> loss -> backward -> optimizer step -> metric update; the loops in
``loop.py`` only iterate batches, fire callbacks and read the metrics.
"""

from __future__ import annotations

import torch

from kerastorch.training.compile import CompiledModel


def train_step(
    model: torch.nn.Module,
    compiled: CompiledModel,
    x: torch.Tensor,
    y: torch.Tensor,
    sample_weight: torch.Tensor | None,
) -> None:
    y_pred = model(x, training=True)
    loss = compiled.compute_loss(y, y_pred, sample_weight)
    optimizer = compiled.optimizer
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        compiled.update_metrics(y, y_pred.detach(), sample_weight, loss.detach(), len(x))


@torch.inference_mode()
def test_step(
    model: torch.nn.Module,
    compiled: CompiledModel,
    x: torch.Tensor,
    y: torch.Tensor,
    sample_weight: torch.Tensor | None,
) -> None:
    y_pred = model(x, training=False)
    loss = compiled.compute_loss(y, y_pred, sample_weight)
    compiled.update_metrics(y, y_pred, sample_weight, loss, len(x))


@torch.inference_mode()
def predict_step(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model(x, training=False)
