"""The hand-written eager torch contender of ``run_all.py``: the baseline of every ratio.

Written as a careful PyTorch user would: the data turned into tensors once
(``torch.from_numpy``, zero-copy), batches sliced by index from a fresh ``torch.randperm`` per
epoch (no DataLoader), fused ``nn.LSTM`` (``batch_first=True``) and ``nn.Linear``,
``torch.optim.Adam(lr=1e-3, foreach=True)``, and no per-step synchronisation (no ``.item()``;
W2 counts correct predictions in a tensor and reads it once per epoch, as Keras's accuracy
does). W4 runs densely on length-bucketed batches, each cut to its longest sequence, and reads
every sequence's last valid step with ``gather``: it knows every length. Predict (W5) slices
batches under ``torch.inference_mode()`` and returns one numpy array, as ``predict`` does.

The weights start as Keras's do (Glorot-uniform kernels, orthogonal recurrent kernels, forget
gate bias 1, zero biases): with torch's default LSTM initialization, long backward passes run
into subnormal floats and get several times slower (see ``RAGGED.md``), which would measure the
initialization, not the loop.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from bench_ragged import bucketed_batches
from torch import nn
from workloads import Data, Workload


class Recurrent(nn.Module):
    """Stacked ``nn.LSTM`` layers, then ``nn.Linear`` on the last step, on each sequence's last
    valid step (``lengths``), or on all steps flattened (``flatten_steps``)."""

    def __init__(self, features: int, units: list[int], outputs: int, flatten_steps: int = 0):
        super().__init__()
        sizes = [features, *units]
        self.lstms = nn.ModuleList(
            nn.LSTM(i, u, batch_first=True) for i, u in zip(sizes, units, strict=False)
        )
        self.flatten = flatten_steps > 0
        self.linear = nn.Linear(units[-1] * max(flatten_steps, 1), outputs)
        keras_initialization(self)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        for lstm in self.lstms:
            x, _ = lstm(x)
        if self.flatten:
            return self.linear(x.flatten(1))
        if lengths is None:
            return self.linear(x[:, -1])
        index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, x.shape[-1])
        return self.linear(x.gather(1, index).squeeze(1))


def keras_initialization(model: nn.Module) -> None:
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.LSTM):
                nn.init.xavier_uniform_(module.weight_ih_l0)
                nn.init.orthogonal_(module.weight_hh_l0)
                module.bias_ih_l0.zero_()
                module.bias_ih_l0[module.hidden_size : 2 * module.hidden_size] = 1.0
                module.bias_hh_l0.zero_()
            elif isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                module.bias.zero_()


def model_for(workload: Workload) -> Recurrent:
    return {
        "W1": lambda: Recurrent(5, [50], 1),
        "W2": lambda: Recurrent(8, [64], 3, flatten_steps=50),
        "W3": lambda: Recurrent(16, [128, 64], 1),
        "W4": lambda: Recurrent(16, [64], 1),
        "W5": lambda: Recurrent(16, [128, 64], 1),
    }[workload.name]()


def contender(workload: Workload, data: Data) -> Callable[[int], object]:
    """A function ``run(epochs)`` doing what the Keras script's timed call does."""
    model = model_for(workload)
    x = torch.from_numpy(data.x)
    n, batch_size = len(x), workload.batch_size

    if workload.task == "predict":

        def predict(epochs: int = 1):
            model.eval()
            with torch.inference_mode():
                out = [model(x[i : i + batch_size]) for i in range(0, n, batch_size)]
                return torch.cat(out).numpy()

        return predict

    y = torch.from_numpy(data.y)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    if workload.name == "W2":
        y = y.long()
        correct = torch.zeros((), dtype=torch.long)

        def step(idx: torch.Tensor) -> None:
            logits = model(x[idx])
            loss = F.cross_entropy(logits, y[idx])
            correct.add_((logits.argmax(1) == y[idx]).sum())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    elif workload.name == "W4":
        lengths = torch.from_numpy(data.lengths)

        def step(idx: torch.Tensor) -> None:
            batch_lengths = lengths[idx]
            longest = int(batch_lengths.max())  # a CPU tensor: no device sync
            loss = F.mse_loss(model(x[idx, :longest], batch_lengths), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    else:

        def step(idx: torch.Tensor) -> None:
            loss = F.mse_loss(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    accuracies: list[float] = []

    def fit(epochs: int = 1):
        model.train()
        for _ in range(epochs):
            if workload.name == "W4":
                batches = bucketed_batches(lengths, batch_size, pool_batches=50)
            else:
                batches = torch.randperm(n).split(batch_size)
            for idx in batches:
                step(idx)
            if workload.name == "W2":
                accuracies.append(int(correct) / n)  # once per epoch, as Keras's logs
                correct.zero_()
        return accuracies

    return fit
