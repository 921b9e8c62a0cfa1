"""How one ``fit`` / ``evaluate`` / ``predict`` call runs: in this process alone (:class:`Run`),
or as one of several processes of a ``torch.distributed`` group (:class:`DistributedRun`, the
data-parallel training that ``kerastorch.distribute`` configures).

Both have one interface, which is all the loops know of distribution: place the model, shard
the data, wrap the model for training, reduce the logs over the processes, agree on stopping,
gather predictions, and wait for process 0's files at the end. A :class:`Run` does nothing in
each of them, and nothing at all per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from kerastorch import distribute
from kerastorch.training.data import (
    BatchStreamData,
    DataAdapter,
    IndexedAdapter,
    ShardedAdapter,
    StreamAdapter,
    check_global_batch_size,
)
from kerastorch.training.placement import Placement, placement_of, to_device
from kerastorch.utils.modes import eval_mode


def current_run() -> Run:
    """The run of a ``fit`` / ``evaluate`` / ``predict`` call starting now: distributed when this
    process is one of several (``kerastorch.distribute``), else a :class:`Run`.

    Example:
        >>> type(current_run()).__name__  # outside a torchrun launcher
        'Run'
    """
    strategy = distribute.active_distribution()
    return Run() if strategy is None else DistributedRun(strategy)


class Run:
    """A call in this process alone: every method leaves things as they are.

    Attributes:
        distributed: Whether other processes take part (steps, logs and stops are shared).
    """

    distributed = False

    def place(self, model: torch.nn.Module, placement: Placement) -> Placement:
        """Where the model runs (a distributed run may move it to this process's GPU)."""
        return placement

    def shard(self, data: DataAdapter, *, training: bool, source: str = "the input") -> DataAdapter:
        """This process's share of ``data`` (``source`` names it in errors: ``"fit(x)"``)."""
        return data

    def start_training(self, model: torch.nn.Module, compiled: Any, data: DataAdapter) -> None:
        """Before the first epoch of ``fit`` (the model is built and its optimizer bound)."""

    def start_evaluation(self, model: torch.nn.Module, compiled: Any, data: DataAdapter) -> None:
        """Before ``evaluate`` reads ``data`` (not yet sharded)."""

    def check_initial_epoch(self, epoch: int) -> None:
        """Every process must start from the same epoch."""

    def syncs_batch_stops(self, callbacks: Sequence[Any]) -> bool:
        """Whether ``model.stop_training`` must be agreed on after every step (a callback with
        batch hooks may set it on one process only)."""
        return False

    def start_epoch(self, data: DataAdapter, epoch: int) -> None:
        """At the start of every epoch of ``fit``."""

    def reduce_metrics(self, compiled: Any) -> None:
        """Make the loss and metrics those of the whole data (at the end of an epoch or of an
        evaluation)."""

    def any(self, flag: bool) -> bool:
        """``flag`` on this process or, in a distributed run, on any process."""
        return flag

    def end_training(self, compiled: Any) -> None:
        """When ``fit``'s epochs are over (also after an error)."""

    def gather_predictions(self, results: list[Any], data: DataAdapter) -> list[Any]:
        """The ``(index, outputs, mask)`` results of every process, when ``data`` is this
        process's share of the input (:meth:`shard`)."""
        return results

    def finish(self) -> None:
        """After ``fit``'s last callback: process 0's files are written when this returns."""


class DistributedRun(Run):
    """A call on one process of several: sharding, the DistributedDataParallel wrapper, and a few
    collectives (see ``kerastorch.distribute`` for the user's side).

    Collectives are made only outside the per-step loop (at the start and end of an epoch or
    of an evaluation), except the stop flag when a callback with batch hooks may set it.
    """

    distributed = True

    def __init__(self, strategy: distribute.DataParallel) -> None:
        self.strategy = strategy
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        self.backend = dist.get_backend()
        if self.backend == "nccl":
            self.device = torch.device("cuda", torch.cuda.current_device())
        else:
            self.device = torch.device("cpu")
        self._seed: int | None = strategy.seed

    # -- data --------------------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """The shuffling seed, the same on every process (drawn once per call)."""
        if self._seed is None:
            drawn = torch.randint(0, 2**31 - 1, (1,), dtype=torch.int64)
            self._seed = int(self._broadcast(drawn).item())
        return self._seed

    def shard(self, data: DataAdapter, *, training: bool, source: str = "the input") -> DataAdapter:
        """This process's share of ``data``: NOTE [sharding]. Every process must hold the same
        data; its size is compared first (one small all-gather)."""
        if not self.strategy.auto_shard_dataset or _distributed_sampler(data) is not None:
            if training:
                self._check_same_batch_count(data)
            return data
        check_same_data_size(self.all_gather_object(data_size(data)), source)
        indexed = isinstance(data, IndexedAdapter)
        if training and indexed:
            check_global_batch_size(data.batch_size, self.world_size)
            if len(data) < self.world_size:
                raise ValueError(
                    f"fit: {len(data)} training samples cannot be shared by {self.world_size} "
                    "processes; every process needs at least one."
                )
        seed = self.seed if training and indexed else 0
        return ShardedAdapter(data, self.rank, self.world_size, even=training, seed=seed)

    def _check_same_batch_count(self, data: DataAdapter) -> None:
        """Inputs sharded by the user: the processes must take the same number of steps."""
        counts = self.all_gather_object(data.num_batches())
        if None not in counts and len(set(counts)) > 1:
            raise ValueError(
                f"fit: the processes have different numbers of batches per epoch ({counts}, by "
                "rank); each training step needs all of them. Give every process the same "
                "number of batches (a DistributedSampler pads to it; drop_last=True drops the "
                "remainder), or let kerastorch shard the data (DataParallel("
                "auto_shard_dataset=True), the default)."
            )

    def start_epoch(self, data: DataAdapter, epoch: int) -> None:
        """Tell a user's ``DistributedSampler`` which epoch it is (its shuffling order)."""
        sampler = _distributed_sampler(data)
        if sampler is not None:
            sampler.set_epoch(epoch)

    # -- the model ---------------------------------------------------------------------------

    def place(self, model: torch.nn.Module, placement: Placement) -> Placement:
        """With nccl, move a model that is on the CPU to this process's GPU."""
        if self.device.type != "cuda":
            return placement
        param = next(model.parameters(), None)
        if param is not None and param.device.type == "cpu":
            model.to(self.device)
        return placement_of(model) if param is not None else placement

    def start_training(self, model: torch.nn.Module, compiled: Any, data: DataAdapter) -> None:
        """Wrap the (built, placed) model in DistributedDataParallel for ``train_step``, which
        starts every process from process 0's weights, and build the metrics everywhere.

        The wrapper lives for one ``fit`` (:meth:`end_training` drops it), so that the model can
        be copied or pickled afterwards and every ``fit`` starts from process 0's weights.
        """
        from torch.nn.parallel import DistributedDataParallel

        param = next(model.parameters())
        ddp = DistributedDataParallel(  # broadcasts process 0's parameters and buffers
            model,
            device_ids=[param.device.index] if param.device.type == "cuda" else None,
            find_unused_parameters=self.strategy.find_unused_parameters,
        )
        # Compiled exactly when the model's own forward is (CompiledModel.__init__).
        compiled.train_forward = torch.compile(ddp) if compiled.forward is not model else ddp
        self._build_metrics(model, compiled, data)

    def start_evaluation(self, model: torch.nn.Module, compiled: Any, data: DataAdapter) -> None:
        self._build_metrics(model, compiled, data)

    def end_training(self, compiled: Any) -> None:
        compiled.train_forward = compiled.forward

    def _build_metrics(self, model: torch.nn.Module, compiled: Any, data: DataAdapter) -> None:
        """Build the metrics on every process from the first global batch (they are built from
        the first batch's outputs, and a process may see no batch of an evaluation), so that
        their states line up."""
        if compiled.metrics is not None:
            return
        try:
            with eval_mode(model), torch.no_grad():
                batch = to_device(placement_of(model), data.first_batch())
                y_pred, mask = model(batch.x, mask=batch.mask, training=False, return_mask=True)
                if batch.y is not None:
                    loss = compiled.compute_loss(batch.y, y_pred, batch.sample_weight, mask)
                    compiled.update_metrics(batch, y_pred, mask, loss)
                else:
                    compiled.build_metrics(y_pred)
        finally:
            compiled.reset_metrics()
            reset_states = getattr(model, "reset_states", None)
            if callable(reset_states):
                reset_states()

    # -- collectives -------------------------------------------------------------------------

    def _broadcast(self, tensor: torch.Tensor) -> torch.Tensor:
        work = tensor if tensor.device == self.device else tensor.to(self.device)
        dist.broadcast(work, src=0)
        return work

    def check_initial_epoch(self, epoch: int) -> None:
        """Every process must resume from the same epoch (BackupAndRestore reads a backup that
        all of them must see)."""
        epochs = self.all_gather_object(int(epoch))
        if len(set(epochs)) > 1:
            raise RuntimeError(
                f"fit: the processes would start from different epochs ({epochs}, by rank): "
                "BackupAndRestore found a backup on some processes only. Put backup_dir on "
                "storage that every process sees (process 0 writes it, all of them read it)."
            )

    def syncs_batch_stops(self, callbacks: Sequence[Any]) -> bool:
        return any(callback.wants_batch_logs() for callback in callbacks)

    def reduce_metrics(self, compiled: Any) -> None:
        """Sum the loss and metric states over the processes (one all-reduce)."""

        def all_reduce(flat: torch.Tensor) -> torch.Tensor:
            flat = flat.to(self.device)
            dist.all_reduce(flat, op=dist.ReduceOp.SUM)
            return flat

        compiled.reduce_metric_states(all_reduce)

    def any(self, flag: bool) -> bool:
        """True on every process if ``flag`` is True on any (e.g. ``model.stop_training``)."""
        value = torch.tensor([1 if flag else 0], dtype=torch.int32, device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def all_gather_object(self, value: Any) -> list[Any]:
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def gather_predictions(self, results: list[Any], data: DataAdapter) -> list[Any]:
        """Every process's ``(index, outputs, mask)`` results, on every process; each process's
        own when the user sharded the input."""
        if not isinstance(data, ShardedAdapter):
            return results
        return [item for part in self.all_gather_object(results) for item in part]

    def finish(self) -> None:
        dist.barrier()


def data_size(data: DataAdapter) -> tuple[int | None, int | None, int | None]:
    """``(samples, batches, batch_size)`` of ``data``, None where unknown (a generator's)."""
    samples = len(data) if isinstance(data, IndexedAdapter) else None
    return samples, data.num_batches(), getattr(data, "batch_size", None)


def check_same_data_size(sizes: Sequence[tuple[int | None, ...]], source: str) -> None:
    """Refuse inputs of different sizes on the processes (``sizes``: :func:`data_size` by rank)
    when kerastorch shards them: each process would take a share of *its own* data, so the
    processes would compute on overlapping or missing samples, or take different numbers of
    steps and wait for each other until the collective timeout (30 minutes by default).

    Example:
        >>> check_same_data_size([(64, 4, 16), (64, 4, 16)], "fit(x)")  # the same everywhere
        >>> check_same_data_size([(64, 4, 16), (48, 3, 16)], "fit(x)")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: fit(x): the processes hold different amounts of data: samples [64, 48], ...
    """
    labels = ("samples", "batches", "batch_size")
    differences = [
        f"{label} {list(values)}"
        for label, values in zip(labels, zip(*sizes, strict=True), strict=True)
        if len(set(values)) > 1
    ]
    if not differences:
        return
    raise ValueError(
        f"{source}: the processes hold different amounts of data: {', '.join(differences)} (by "
        "rank). With auto_shard_dataset=True (the default) every process must load the same, "
        "whole data, and kerastorch gives each its share; otherwise the processes would "
        "train on different samples and wait for each other's steps until the collective "
        "timeout. Load the same data on every process, or give each process only its own "
        "share with kerastorch.distribute.set_distribution(DataParallel("
        "auto_shard_dataset=False))."
    )


def _distributed_sampler(data: DataAdapter) -> DistributedSampler | None:
    """The ``DistributedSampler`` of a user's ``DataLoader`` (the user shards the data)."""
    if not (isinstance(data, StreamAdapter) and isinstance(data.stream, BatchStreamData)):
        return None
    loader = data.stream.source
    if not isinstance(loader, DataLoader):
        return None
    for sampler in (loader.sampler, getattr(loader.batch_sampler, "sampler", None)):
        if isinstance(sampler, DistributedSampler):
            return sampler
    return None
