"""TensorBoard: the logs of training as TensorBoard event files, in Keras's layout."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import torch

from kerastorch.callbacks.base import Callback, Logs, get_learning_rate
from kerastorch.distribute import is_main_process
from kerastorch.layers.base import sublayers

__all__ = ["TensorBoard"]


class TensorBoard(Callback):
    """Write what ``fit`` logs for TensorBoard, with Keras's folders and tag names.

    As Keras's callback: ``log_dir/train`` gets ``epoch_<name>`` scalars for the training logs and
    the learning rate (``epoch_learning_rate``), ``log_dir/validation`` gets ``epoch_<name>`` for
    the ``val_`` logs (without the prefix), all at step ``epoch``; every evaluation also writes
    ``evaluation_<name>_vs_iterations`` at the optimizer's step count. ``update_freq="batch"`` or
    ``N`` adds ``batch_<name>`` scalars every N training batches. The events are written with
    ``torch.utils.tensorboard``, so only the ``tensorboard`` package is needed (Keras 3 needs
    TensorFlow for this callback): ``pip install tensorboard``, then ``tensorboard --logdir
    logs``. In multi-process training only process 0 writes.

    Where it differs from Keras: ``write_graph`` writes the ``model.summary()`` table as text (no
    traced graph); ``write_images``, ``profile_batch`` (use ``torch.profiler``) and
    ``embeddings_freq`` are not supported and refused. Histogram tags are
    ``<model>/<layer>/<weight>/histogram``.

    Args:
        log_dir: Folder of the event files.
        histogram_freq: Write a histogram of every weight each ``histogram_freq`` epochs (0: no).
        write_graph: Write the model summary once, at the start of training (as text, not a
            traced graph).
        write_images: Not supported: ``True`` is an error.
        write_steps_per_second: Also log training steps per second.
        update_freq: ``"epoch"``, ``"batch"`` or a number of batches between batch-level writes.
        profile_batch: Not supported: anything but 0 is an error.
        embeddings_freq: Not supported (no embedding projector): anything but 0 is an error.
        embeddings_metadata: Not supported: must be ``None``.

    Example:
        >>> tensorboard = TensorBoard(log_dir="logs", histogram_freq=1)
        >>> # model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[tensorboard])
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int | tuple[int, int] = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _non_negative_int("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "TensorBoard: expected update_freq to be 'epoch', 'batch' or a positive number "
                f"of batches, received update_freq={update_freq!r}."
            )
        self.update_freq = update_freq
        if write_images:
            raise NotImplementedError(
                "TensorBoard: write_images=True is not supported; histograms of the weights "
                "(histogram_freq=1) are."
            )
        if profile_batch:
            raise ValueError(
                "TensorBoard: profiling is not available (nor in Keras 3 on its torch backend); "
                f"received profile_batch={profile_batch!r} (must be 0). Use torch.profiler."
            )
        if embeddings_freq or embeddings_metadata is not None:
            raise NotImplementedError(
                "TensorBoard: embeddings_freq / embeddings_metadata (the embedding projector) "
                "are not supported."
            )
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._writes = True
        self._epoch_start: tuple[float, int] | None = None
        self._batch_start = 0.0

    # -- writers ---------------------------------------------------------------------------------

    def _writer(self, kind: str) -> Any:
        """The event writer of ``log_dir/train`` or ``log_dir/validation``, made when first used."""
        if kind not in self._writers:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as error:  # torch's module imports the tensorboard package
                raise ImportError(
                    "TensorBoard needs the tensorboard package: pip install tensorboard "
                    "(or pip install 'kerastorch-lib[tensorboard]')."
                ) from error
            self._writers[kind] = SummaryWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _scalars(self, kind: str, prefix: str, logs: Logs, step: int) -> None:
        writer = self._writer(kind)
        for name, value in logs.items():
            writer.add_scalar(f"{prefix}{name}", float(value), global_step=step)

    # -- hooks -----------------------------------------------------------------------------------

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._writes = is_main_process()
        self._global_train_batch = 0
        if self._writes and self.write_graph:
            lines: list[str] = []
            self.model.summary(print_fn=lines.append)
            # Markdown would reflow the table: indent it as a code block.
            text = "\n".join("    " + line for line in "\n".join(lines).splitlines())
            self._writer("train").add_text("keras", text, global_step=0)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.write_steps_per_second:
            self._epoch_start = (time.perf_counter(), self._global_train_batch)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._global_train_batch += 1
        step = self._global_train_batch
        if not self._writes or self.update_freq == "epoch" or step % self.update_freq:
            return
        batch_logs = dict(logs or {})
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._batch_start, 1e-9)
            batch_logs["steps_per_second"] = 1.0 / elapsed
        self._scalars("train", "batch_", batch_logs, step)

    def wants_batch_logs(self) -> bool:
        # Batch logs cost a host sync per read: ask for them only when they are written.
        return self.update_freq != "epoch" or self.write_steps_per_second

    def wants_logs_now(self, hook: str) -> bool:
        return (
            hook == "on_train_batch_end"
            and self.update_freq != "epoch"
            and (self._global_train_batch + 1) % self.update_freq == 0
        )

    def on_test_end(self, logs: Logs | None = None) -> None:
        # As Keras: only with an optimizer that counts its steps (kerastorch's do; torch's don't).
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if not self._writes or not logs or iterations is None:
            return
        self._scalars("validation", "evaluation_", _suffixed(logs, "_vs_iterations"), iterations)
        self._writer("validation").flush()  # evaluate() alone has no on_train_end to close it

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if not self._writes:
            return
        logs = logs or {}
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k.removeprefix("val_"): v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            train_logs["learning_rate"] = get_learning_rate(optimizer, "TensorBoard")
        if self.write_steps_per_second and self._epoch_start is not None:
            start, start_batch = self._epoch_start
            elapsed = max(time.perf_counter() - start, 1e-9)
            train_logs["steps_per_second"] = (self._global_train_batch - start_batch) / elapsed
        if train_logs:
            self._scalars("train", "epoch_", train_logs, epoch)
        if val_logs:
            self._scalars("validation", "epoch_", val_logs, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            writer = self._writer("train")
            for tag, weight in _named_weights(self.model):
                writer.add_histogram(f"{tag}/histogram", weight.detach().cpu(), global_step=epoch)
        for writer in self._writers.values():
            writer.flush()


def _suffixed(logs: Logs, suffix: str) -> Logs:
    return {f"{name}{suffix}": value for name, value in logs.items()}


def _named_weights(model: Any) -> Iterator[tuple[str, torch.Tensor]]:
    """``(model/layer/weight, tensor)`` for every weight, Keras's names (``kernel``, ...)."""

    def walk(layer: Any, prefix: str) -> Iterator[tuple[str, torch.Tensor]]:
        if not layer.built:
            return
        names = layer.keras_weight_names()
        for name, weight in zip(names, layer.keras_weights(), strict=False):
            yield f"{prefix}/{name}", weight
        for sub in sublayers(layer):
            yield from walk(sub, f"{prefix}/{sub.name}")

    for layer in model.layers:
        yield from walk(layer, f"{model.name}/{layer.name}")


def _non_negative_int(arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"TensorBoard: expected {arg} to be an integer >= 0, received {value!r}.")
    return value
