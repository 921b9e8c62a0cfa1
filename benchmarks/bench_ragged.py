"""Time one epoch of ``fit`` on ragged sequences (lengths 10..400), four ways.

Workload: ``--sequences`` (3,000) float32 sequences of shape ``(T_i, 16)``, ``T_i`` uniform in
10..400, target ``(N, 1)``; model ``LSTM(64) -> Dense(1)``, batch 32, Adam (lr 1e-3), MSE. Data is
passed as a Python list of numpy arrays, as a user holds it.

Contenders, all on the same data, model size and thread count:

* **kerastorch**: ``Sequential([Input((None, 16)), LSTM(64), Dense(1)])``, ``compile("adam",
  "mse")``, ``fit(list_of_sequences, y, batch_size=32, epochs=1, shuffle=True, verbose=0)``. Each
  call adapts the list (concatenates it once), buckets by length and pads each batch to its own
  longest sequence; the LSTM runs densely on torch's fused kernel and reads each sequence's last
  valid step.
* **hand-written torch, packed**: ``nn.LSTM(16, 64, batch_first=True)`` + ``nn.Linear(64, 1)``;
  per batch ``pad_sequence`` of the batch's tensors, ``pack_padded_sequence(...,
  enforce_sorted=False)`` and ``h_n[-1]``. On CPU, torch runs a packed LSTM step by step (the
  fused oneDNN kernel takes only dense input), 14-30x slower than dense here, so by default
  it is timed on the first ``--packed-sequences`` (500) sequences and extrapolated in proportion
  to their valid timesteps (the packed loop computes only valid steps).
* **hand-written torch, dense + gather**: the same model run on the right-padded batch, reading
  ``out.gather(1, (lengths - 1)...)``.
* **Keras 3 (torch backend)**: ``Sequential([Input((400, 16)), Masking(0.0), LSTM(64),
  Dense(1)])`` on ``keras.utils.pad_sequences(seqs, padding="post", dtype="float32")`` (padded
  once, untimed, as a Keras user does), ``fit(..., batch_size=32, epochs=1, shuffle=True)``.
  With a mask, Keras's torch backend runs the LSTM as a Python loop over all 400 timesteps, so it
  is timed on the first ``--keras-batches`` x 32 sequences and its time is extrapolated per
  sequence to the full data set (every Keras batch costs the same: it always runs 400 steps).

Both hand-written loops bucket exactly as kerastorch does (and each does it itself, per epoch,
inside the timed region): a fresh ``torch.randperm``, sorted by length within pools of
``--pool-batches`` (50) batches, then the batches shuffled. The sequences are turned into tensors
once up front with ``torch.from_numpy`` (zero-copy); padding happens per batch, timed. No
DataLoader, no per-step ``.item()``; ``torch.optim.Adam(lr=1e-3)``, ``F.mse_loss``.

All four models start from the same weights, drawn with Keras's initializers (see
``keras_initial_weights``: with torch's default LSTM initialization, backward runs into subnormal
floats and is several times slower, which would measure the initialization, not the loop). The
hand-written ``nn.LSTM`` keeps torch's second bias (``bias_hh``, starting at zero; 256 more
parameters than Keras's one bias per gate, which kerastorch keeps as a zero buffer).

Method: ``torch.set_num_threads(--threads)`` for everyone; one untimed warm-up epoch per
contender; then ``--repeats`` rounds in which the contenders run in turn (a, b, c, d, a, b, ...)
so machine noise hits all of them alike; the median time per contender gives the sequences/s and
the ratios are ratios of medians.

    python benchmarks/bench_ragged.py                      # 3,000 sequences, 3 repeats
    python benchmarks/bench_ragged.py --skip-keras         # kerastorch vs hand-written only
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

NUM_FEATURES, UNITS = 16, 64
MIN_LENGTH, MAX_LENGTH = 10, 400

# Targets from the issue.
FIT_VS_TORCH_TARGET = 0.9
FIT_VS_KERAS_TARGET = 10.0

KERASTORCH = "kerastorch"
PACKED = "hand-written torch, packed"
DENSE = "hand-written torch, dense + gather"
KERAS = "Keras 3 (torch backend), Masking"


# -- data --------------------------------------------------------------------------------------


def make_data(sequences: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """``sequences`` standard-normal ``(T_i, 16)`` float32 arrays, ``T_i`` uniform in 10..400;
    the target is a noisy mean of the first feature over the last 10 steps. No step is all
    zeros, so ``Masking(0.0)`` masks only the padding."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(MIN_LENGTH, MAX_LENGTH + 1, size=sequences)
    xs = [rng.standard_normal((int(t), NUM_FEATURES), dtype=np.float32) for t in lengths]
    y = np.array([[x[-10:, 0].mean()] for x in xs], dtype=np.float32)
    y += 0.1 * rng.standard_normal(y.shape, dtype=np.float32)
    return xs, y


def bucketed_batches(lengths: torch.Tensor, batch_size: int, pool_batches: int) -> list:
    """The hand-written loops' bucketing (the same idea as kerastorch's): shuffle, sort by length
    within pools of ``pool_batches`` batches, split, shuffle the batches."""
    n = len(lengths)
    order = torch.randperm(n)
    pool = batch_size * pool_batches
    batches: list[torch.Tensor] = []
    for start in range(0, n, pool):
        chunk = order[start : start + pool]
        chunk = chunk[torch.argsort(lengths[chunk], stable=True)]
        batches.extend(chunk.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches)).tolist()]


def padding_overhead(lengths: torch.Tensor, batch_size: int, pool_batches: int) -> float:
    """Timesteps computed / valid timesteps for one epoch of bucketed batches."""
    batches = bucketed_batches(lengths, batch_size, pool_batches)
    computed = sum(len(b) * int(lengths[b].max()) for b in batches)
    return computed / int(lengths.sum())


# -- contenders --------------------------------------------------------------------------------


def keras_initial_weights(seed: int) -> list[np.ndarray]:
    """One set of initial weights in Keras's layout (``[kernel (16, 256), recurrent_kernel (64,
    256), bias (256,), dense kernel (64, 1), dense bias (1,)]``), drawn with Keras's initializers
    (Glorot-uniform kernels, orthogonal recurrent kernel, forget-gate bias 1) by kerastorch.

    Every contender starts from these. It matters for speed, not only for accuracy: with torch's
    default LSTM initialization (uniform +-1/8, forget bias ~0) the gradients that flow back
    through hundreds of timesteps decay into subnormal floats, and subnormal arithmetic makes
    torch's CPU backward several times slower (measured 6x on a 300-step batch). Comparing
    initializations would say nothing about the training loops."""
    from kerastorch import Input, Sequential
    from kerastorch.layers import LSTM, Dense

    torch.manual_seed(seed)
    model = Sequential([Input((None, NUM_FEATURES)), LSTM(UNITS), Dense(1)])
    return model.get_weights()


@dataclass
class Contender:
    name: str
    fit: Callable[[], object]
    sequences: int  # sequences per timed call
    total: int  # sequences in the full epoch
    scale: float = 1.0  # full epoch / timed call, when timed on a subset (see the contender)
    note: str = ""
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)  # process CPU time (all threads)

    def seconds_per_epoch(self) -> float:
        """Median time of a call, extrapolated to the full epoch when timed on a subset."""
        return statistics.median(self.times) * self.scale

    def rate(self) -> float:
        return self.total / self.seconds_per_epoch()


def kerastorch_contender(xs, y, batch_size: int, initial_weights: list) -> Contender:
    from kerastorch import Input, Sequential
    from kerastorch.layers import LSTM, Dense

    model = Sequential([Input((None, NUM_FEATURES)), LSTM(UNITS), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.set_weights(initial_weights)

    def fit():
        return model.fit(xs, y, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)

    return Contender(KERASTORCH, fit, len(xs), len(xs))


class TorchRaggedModel(nn.Module):
    """``nn.LSTM(16, 64)`` + ``nn.Linear(64, 1)`` on each sequence's last valid step."""

    def __init__(self, packed: bool) -> None:
        super().__init__()
        self.packed = packed
        self.lstm = nn.LSTM(NUM_FEATURES, UNITS, batch_first=True)
        self.linear = nn.Linear(UNITS, 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if self.packed:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            _, (h_n, _) = self.lstm(packed)
            last = h_n[-1]
        else:
            out, _ = self.lstm(x)
            index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, UNITS)
            last = out.gather(1, index).squeeze(1)
        return self.linear(last)


def torch_contender(
    xs,
    y_np,
    batch_size: int,
    pool_batches: int,
    packed: bool,
    initial_weights: list,
    subset: int | None = None,
) -> Contender:
    """``subset``: time on the first ``subset`` sequences only, extrapolated to all of them in
    proportion to their valid timesteps (the packed loop computes only valid steps)."""
    contender = Contender(PACKED if packed else DENSE, lambda: None, len(xs), len(xs))
    if subset is not None and subset < len(xs):
        all_steps = sum(len(x) for x in xs)
        xs, y_np = xs[:subset], y_np[:subset]
        steps = sum(len(x) for x in xs)
        contender.sequences, contender.scale = subset, all_steps / steps
        contender.note = f"timed on {subset:,} sequences, extrapolated by valid timesteps"
    seqs = [torch.from_numpy(x) for x in xs]  # zero-copy views of the user's arrays
    lengths = torch.tensor([len(x) for x in xs])
    y = torch.from_numpy(y_np)
    model = TorchRaggedModel(packed)
    kernel, recurrent, bias, dense_kernel, dense_bias = (
        torch.from_numpy(w) for w in initial_weights
    )
    with torch.no_grad():  # Keras's (i, f, c, o) gate order is torch's (i, f, g, o)
        model.lstm.weight_ih_l0.copy_(kernel.T)
        model.lstm.weight_hh_l0.copy_(recurrent.T)
        model.lstm.bias_ih_l0.copy_(bias)
        model.lstm.bias_hh_l0.zero_()  # Keras has one bias per gate; torch's second starts at 0
        model.linear.weight.copy_(dense_kernel.T)
        model.linear.bias.copy_(dense_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def fit():
        model.train()
        for idx in bucketed_batches(lengths, batch_size, pool_batches):
            x = pad_sequence([seqs[i] for i in idx.tolist()], batch_first=True)
            loss = F.mse_loss(model(x, lengths[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    contender.fit = fit
    return contender


def keras_contender(
    xs, y, batch_size: int, batches: int, initial_weights: list
) -> tuple[Contender, float]:
    os.environ["KERAS_BACKEND"] = "torch"  # before the first import of keras
    import keras

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"Keras runs on {keras.backend.backend()!r}, expected 'torch'.")
    keras.utils.set_random_seed(0)
    start = time.perf_counter()
    padded = keras.utils.pad_sequences(xs, padding="post", dtype="float32")
    pad_seconds = time.perf_counter() - start
    n = min(len(xs), batches * batch_size)
    x_sub, y_sub = padded[:n], y[:n]
    model = keras.Sequential(
        [
            keras.Input(padded.shape[1:]),
            keras.layers.Masking(0.0),
            keras.layers.LSTM(UNITS),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    model.set_weights(initial_weights)

    def fit():
        return model.fit(x_sub, y_sub, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)

    # Every batch costs the same (400 steps), so the time extrapolates per sequence.
    contender = Contender(KERAS, fit, n, len(xs), scale=len(xs) / n)
    if n < len(xs):
        batches = math.ceil(n / batch_size)
        contender.note = f"timed on {n:,} sequences ({batches} batches), extrapolated"
    return contender, pad_seconds


def sanity_check(xs, batch_size: int) -> None:
    """Untimed: packed and dense + gather compute the same outputs; so does kerastorch's LSTM
    layer on a padded batch with its mask."""
    seqs = [torch.from_numpy(x) for x in xs[:batch_size]]
    lengths = torch.tensor([len(s) for s in seqs])
    x = pad_sequence(seqs, batch_first=True)
    packed, dense = TorchRaggedModel(packed=True), TorchRaggedModel(packed=False)
    dense.load_state_dict(packed.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(packed(x, lengths), dense(x, lengths), atol=1e-5, rtol=1e-4)

    from kerastorch.layers import LSTM

    layer = LSTM(UNITS)
    mask = torch.arange(x.shape[1]) < lengths[:, None]
    with torch.no_grad():
        out = layer(x, mask=mask)
        _, (h_n, _) = layer.lstm(
            pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        )
    torch.testing.assert_close(out, h_n[-1], atol=1e-5, rtol=1e-4)


# -- timing and report -------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of one call."""
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu_start


def ratio(a: float, b: float | None) -> str:
    return "—" if b is None else f"{a / b:.2f}x"


def fastest_hand_written(by_name: dict[str, Contender]) -> Contender:
    return max((by_name[PACKED], by_name[DENSE]), key=Contender.rate)


def markdown_table(contenders: list[Contender]) -> str:
    by_name = {c.name: c for c in contenders}
    best = fastest_hand_written(by_name)
    keras_c = by_name.get(KERAS)
    rows = [
        "| contender | s / epoch | sequences/s | vs faster hand-written | vs Keras 3 |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in contenders:
        name = c.name + (f" ({c.note})" if c.note else "")
        rows.append(
            f"| {name} | {c.seconds_per_epoch():.2f} | {c.rate():,.0f} "
            f"| {ratio(c.rate(), best.rate())} "
            f"| {ratio(c.rate(), keras_c.rate() if keras_c else None)} |"
        )
    return "\n".join(rows)


def timings_table(contenders: list[Contender]) -> str:
    rows = [
        "| contender | sequences timed | wall s per repeat | median wall s | median CPU s |",
        "|---|---:|---|---:|---:|",
    ]
    for c in contenders:
        times = ", ".join(f"{t:.2f}" for t in c.times)
        rows.append(
            f"| {c.name} | {c.sequences:,} | {times} | {statistics.median(c.times):.2f} "
            f"| {statistics.median(c.cpu_times):.2f} |"
        )
    return "\n".join(rows)


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot (Linux ``/proc/stat``), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def load_note() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average: unavailable"
    return f"load average (1, 5, 15 min): {one:.2f}, {five:.2f}, {fifteen:.2f}"


def environment(args: argparse.Namespace) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import kerastorch

    versions = [
        f"python {platform.python_version()}",
        f"torch {torch.__version__}",
        f"kerastorch {getattr(kerastorch, '__version__', '?')}",
    ]
    if not args.skip_keras:
        import keras

        versions.append(f"keras {keras.__version__}")
    versions.append(f"numpy {np.__version__}")
    blas_env = {k: v for k, v in os.environ.items() if "BLAS" in k or k.startswith(("OMP", "MKL"))}
    return (
        f"date: {datetime.datetime.now().isoformat(timespec='minutes')}\n"
        f"machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.system()} "
        f"{platform.release()}\n"
        f"versions: {', '.join(versions)}\n"
        f"torch threads: {torch.get_num_threads()}; flush denormals: {args.flush_denormal}; "
        f"env: {blas_env or '{}'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=3000, help="sequences (3000)")
    parser.add_argument("--batch-size", type=int, default=32, help="fit batch size (32)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (3)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (2)")
    parser.add_argument(
        "--pool-batches",
        type=int,
        default=50,
        help="hand-written bucketing: sort within pools of this many batches (50, as kerastorch)",
    )
    parser.add_argument(
        "--packed-sequences",
        type=int,
        default=500,
        help="time the packed loop on the first N sequences, extrapolated by valid timesteps "
        "(500; it is 14-30x slower than dense on CPU); 0: all",
    )
    parser.add_argument("--skip-keras", action="store_true", help="do not time Keras 3")
    parser.add_argument(
        "--keras-batches",
        type=int,
        default=5,
        help="time Keras on the first N batches' sequences and extrapolate per sequence (5)",
    )
    parser.add_argument(
        "--flush-denormal",
        action="store_true",
        help="torch.set_flush_denormal(True) for every contender (a diagnostic; default off)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xs, y = make_data(args.sequences, args.seed)
    lengths = torch.tensor([len(x) for x in xs])
    sanity_check(xs, args.batch_size)

    if args.flush_denormal:
        torch.set_flush_denormal(True)
    initial = keras_initial_weights(args.seed)
    contenders = [
        kerastorch_contender(xs, y, args.batch_size, initial),
        torch_contender(
            xs, y, args.batch_size, args.pool_batches, True, initial, args.packed_sequences or None
        ),
        torch_contender(xs, y, args.batch_size, args.pool_batches, False, initial),
    ]
    pad_seconds = None
    if not args.skip_keras:
        keras_c, pad_seconds = keras_contender(xs, y, args.batch_size, args.keras_batches, initial)
        contenders.append(keras_c)
        torch.set_num_threads(args.threads)  # in case importing keras changed it

    print(environment(args))
    print(load_note() + " (at start)")
    print(
        f"data: {args.sequences:,} sequences x {NUM_FEATURES} features, lengths "
        f"{int(lengths.min())}..{int(lengths.max())} (mean {lengths.float().mean():.0f}), "
        f"batch {args.batch_size}, {args.repeats} repeats"
    )
    overhead = padding_overhead(lengths, args.batch_size, args.pool_batches)
    print(
        f"bucketed padding: {overhead:.3f}x the valid timesteps are computed; "
        f"padded to the longest ({int(lengths.max())}): "
        f"{len(xs) * int(lengths.max()) / int(lengths.sum()):.3f}x"
    )
    if pad_seconds is not None:
        print(
            f"keras.utils.pad_sequences on all sequences (untimed in Keras's fit): "
            f"{pad_seconds:.2f} s"
        )
    for c in contenders:  # warm-up: not timed
        start = time.perf_counter()
        c.fit()
        print(f"warm-up {c.name}: {time.perf_counter() - start:.2f} s", flush=True)
    wall_start, cpu_start, busy_start = (
        time.perf_counter(),
        time.process_time(),
        machine_busy_seconds(),
    )
    for r in range(args.repeats):
        for c in contenders:
            wall, cpu = timed(c.fit)
            c.times.append(wall)
            c.cpu_times.append(cpu)
        summary = ", ".join(f"{c.name} {c.times[-1]:.2f}s" for c in contenders)
        print(f"repeat {r + 1}/{args.repeats}: {summary}", flush=True)
    print(load_note() + " (at end)")
    busy_end = machine_busy_seconds()
    if busy_start is not None and busy_end is not None:
        wall = time.perf_counter() - wall_start
        others = busy_end - busy_start - (time.process_time() - cpu_start)
        print(
            f"other processes during the timed rounds: {max(others, 0.0) / wall:.2f} of "
            f"{os.cpu_count()} CPUs busy on average (0 = a quiet machine)"
        )

    print()
    print(markdown_table(contenders))
    print()
    print(timings_table(contenders))
    print()
    by_name = {c.name: c for c in contenders}
    kt, best = by_name[KERASTORCH], fastest_hand_written(by_name)
    checks = [
        (f"fit vs faster hand-written ({best.name})", kt.rate() / best.rate(), FIT_VS_TORCH_TARGET)
    ]
    if KERAS in by_name:
        checks.append(("fit vs Keras 3", kt.rate() / by_name[KERAS].rate(), FIT_VS_KERAS_TARGET))
    for label, value, target in checks:
        verdict = "meets" if value >= target else "MISSES"
        print(f"kerastorch {label}: {value:.2f}x ({verdict} the ≥ {target}x target)")


if __name__ == "__main__":
    main()
