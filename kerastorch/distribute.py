"""Data-parallel training over several processes with ``torch.distributed``.

Run the same script in N processes with a launcher that sets torch.distributed's environment
variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``), e.g.
``torchrun --nproc_per_node=2 train.py``, and ``fit`` / ``evaluate`` / ``predict`` run data
parallel with no change to the script:

* the process group is initialized on first use (gloo on the CPU, nccl when CUDA is available;
  each process then uses the GPU ``cuda:LOCAL_RANK``), unless the script initialized it;
* the model is wrapped in ``DistributedDataParallel`` for training (its weights are broadcast
  from process 0 at the start of every ``fit``; gradients are averaged over the processes at
  every step), while evaluation and prediction run the plain model;
* ``batch_size`` is the *global* batch, as with Keras's distribution API: every process takes
  ``batch_size / num_processes`` samples of each global batch (NOTE [sharding] in
  ``kerastorch/training/data/sharding.py``), so N processes take the steps one process would
  take with the same ``batch_size``;
* the loss and metrics are summed over the processes at the end of each epoch and evaluation,
  so every process logs the same values and every callback decides the same way;
  ``model.stop_training`` set on any process stops all of them;
* progress is printed, and ``ModelCheckpoint``, ``CSVLogger`` and ``BackupAndRestore`` write
  files, on process 0 only; ``fit`` returns on every process once process 0's files are
  written;
* ``predict`` returns all the predictions, in input order, on every process.

A plain ``python train.py`` (no such variables) trains in one process exactly as before: nothing
here runs, not even a check per step.

This module is the user's side (the options, the process group); what a distributed call does
in the loops is ``DistributedRun`` in ``kerastorch/training/run.py``.

``set_distribution(DataParallel(...))`` sets the options (backend, timeout on collectives,
shuffling seed, ...) before ``fit``; it is Keras's ``keras.distribution.set_distribution``.
``set_distribution(False)`` turns the automatic detection off.

Example:
    >>> import kerastorch
    >>> kerastorch.distribute.set_distribution(kerastorch.distribute.DataParallel(timeout=600))
    >>> kerastorch.distribute.world_size()  # 1 outside a launcher
    1
    >>> kerastorch.distribute.set_distribution(None)
"""

from __future__ import annotations

import atexit
import datetime
import os

import torch
import torch.distributed as dist

__all__ = [
    "DataParallel",
    "active_distribution",
    "distribution",
    "initialize",
    "is_distributed",
    "is_main_process",
    "rank",
    "set_distribution",
    "world_size",
]

DEFAULT_TIMEOUT = 1800.0  # seconds: torch's own default for the gloo backend

_ENV_VARS = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


class DataParallel:
    """Train on several processes, each holding a replica of the model and its share of data.

    Args:
        backend: ``"gloo"`` (CPU), ``"nccl"`` (CUDA) or None: nccl if CUDA is available, else
            gloo. Used only when kerastorch initializes the process group.
        timeout: Seconds a collective operation (the gradient exchange of a step, the sums at
            an epoch end) may wait for the other processes before failing with an error, e.g.
            when another process has died; used only when kerastorch initializes the process
            group.
        seed: The seed of the shared shuffling order (pass ``p`` shuffles with ``seed + p``).
            None: process 0 draws one from torch's random generator at each ``fit`` and sends
            it to the others, so ``torch.manual_seed`` on process 0 makes the order
            reproducible.
        auto_shard_dataset: Give each process its share of every input (Keras's argument).
            False: each process uses its input as given, ``batch_size`` being then the batch
            of one process, and the inputs must give every process the same number of batches
            (e.g. a ``DataLoader`` with a ``DistributedSampler``, whose ``set_epoch`` ``fit``
            calls every epoch); ``predict`` then returns each process's own predictions.
        find_unused_parameters: Passed to ``DistributedDataParallel``: needed only by models
            with parameters that some steps do not use.

    Example:
        >>> from kerastorch import distribute
        >>> distribute.set_distribution(distribute.DataParallel(backend="gloo", timeout=300))
        >>> distribute.set_distribution(None)  # back to automatic detection
    """

    def __init__(
        self,
        backend: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        seed: int | None = None,
        auto_shard_dataset: bool = True,
        find_unused_parameters: bool = False,
    ) -> None:
        if backend is not None and backend not in ("gloo", "nccl", "mpi", "ucc"):
            raise ValueError(
                'DataParallel: expected backend to be None, "gloo" (CPU) or "nccl" (CUDA), '
                f"received backend={backend!r}."
            )
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(
                f"DataParallel: expected timeout to be a positive number of seconds, received "
                f"timeout={timeout!r}."
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(
                f"DataParallel: expected seed to be None or an integer, received seed={seed!r}."
            )
        self.backend = backend
        self.timeout = float(timeout)
        self.seed = seed
        self.auto_shard_dataset = bool(auto_shard_dataset)
        self.find_unused_parameters = bool(find_unused_parameters)

    def __repr__(self) -> str:
        return (
            f"DataParallel(backend={self.backend!r}, timeout={self.timeout}, seed={self.seed}, "
            f"auto_shard_dataset={self.auto_shard_dataset})"
        )


_distribution: DataParallel | bool | None = None
_initialized_here = False


def set_distribution(value: DataParallel | bool | None) -> None:
    """Set how ``fit`` / ``evaluate`` / ``predict`` distribute, for the whole program.

    Args:
        value: A :class:`DataParallel` (its options apply whenever this process is one of
            several); None (the default): data parallel with default options when a launcher
            set torch.distributed's environment variables or the script initialized a process
            group of several processes; False: never distribute.

    Example:
        >>> set_distribution(DataParallel(seed=0))
        >>> distribution()
        DataParallel(backend=None, timeout=1800.0, seed=0, auto_shard_dataset=True)
        >>> set_distribution(None)
    """
    global _distribution
    if value is not None and value is not False and not isinstance(value, DataParallel):
        raise TypeError(
            "set_distribution() expects a kerastorch.distribute.DataParallel, None (automatic) "
            f"or False (off), received {type(value).__name__}."
        )
    _distribution = value


def distribution() -> DataParallel | None:
    """The :class:`DataParallel` set with :func:`set_distribution`, if any."""
    return _distribution if isinstance(_distribution, DataParallel) else None


def _env_world_size() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def initialize(backend: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Initialize the default process group from the launcher's environment variables, unless
    it is initialized already (Keras's ``keras.distribution.initialize``).

    ``fit`` / ``evaluate`` / ``predict`` call it; call it yourself to use :func:`rank` before.

    Args:
        backend: See :class:`DataParallel`.
        timeout: Seconds a collective may wait for the other processes.

    Example:
        >>> # under torchrun: initialize(); print(rank(), world_size())
    """
    global _initialized_here
    if not dist.is_available():
        raise RuntimeError("This torch build has no torch.distributed; install one that has.")
    if dist.is_initialized():
        return
    missing = [name for name in _ENV_VARS if name not in os.environ]
    if missing:
        raise RuntimeError(
            "kerastorch.distribute.initialize() needs torch.distributed's environment variables "
            f"(missing: {', '.join(missing)}). Start the script with a launcher that sets them, "
            "e.g. `torchrun --nproc_per_node=2 train.py`, or call "
            "torch.distributed.init_process_group yourself."
        )
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend, timeout=datetime.timedelta(seconds=timeout))
    _initialized_here = True
    atexit.register(_shutdown)


def _shutdown() -> None:
    if _initialized_here and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def is_distributed() -> bool:
    """Whether this process is one of several in an initialized process group."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 outside a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """The number of processes (1 outside a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main_process() -> bool:
    """True on process 0, and in a program that is not distributed: where files and progress
    are written.

    Example:
        >>> is_main_process()
        True
    """
    return rank() == 0


def active_distribution() -> DataParallel | None:
    """The options of a ``fit`` / ``evaluate`` / ``predict`` call starting now when this process
    is one of several (the process group is initialized on first use), or None when it trains
    alone (the common case: one environment look-up, nothing else).

    Example:
        >>> active_distribution() is None  # outside a launcher
        True
    """
    value = _distribution
    if value is False or not (_env_world_size() > 1 or is_distributed()):
        return None  # a DataParallel set for a script that runs alone changes nothing
    if value is None:
        value = DataParallel()
    initialize(value.backend, value.timeout)
    if dist.get_world_size() == 1:
        return None
    return value
