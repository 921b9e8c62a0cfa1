"""Where a step's time goes: kerastorch against the hand-written loop, per workload.

For each workload (default W1, W2, W5) and each of the two contenders, in this one process
(both are torch): the wall time of the timed call without any profiler (median of ``--calls``,
after a warm-up call), in ms per step (a step = one batch); then one call under ``cProfile``,
its self time grouped by where it is spent (torch's C++ calls by kind, kerastorch's Python,
torch's Python, the rest) and the functions with the most self time; with ``--cumulative``, also
kerastorch's functions by cumulative time (which part of the loop costs what); with ``--ops``,
one call under ``torch.profiler``, its operators by self CPU time.

cProfile charges every Python call a fixed overhead, so Python-heavy code looks slower under it
than it runs: compare the profiled total with the unprofiled ms/step printed above it.

    python benchmarks/profile_steps.py                       # W1, W2, W5, full sizes
    python benchmarks/profile_steps.py --workloads W1 --cumulative --ops
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import statistics
import time

from worker import import_framework, make_runner
from workloads import WORKLOADS

# cProfile's names for torch's C++ entry points, by what they do.
C_KINDS = [
    ("LSTM kernel (forward)", ("lstm",)),
    ("autograd backward", ("run_backward",)),
    ("optimizer foreach ops", ("_foreach", "_fused_adam")),
    ("tensor conversion (numpy, from_numpy, cat)", ("numpy", "from_numpy", "cat", "as_tensor")),
]


def kind(file: str, function: str) -> str:
    if file == "~":
        for label, needles in C_KINDS:
            if any(n in function for n in needles):
                return label
        return "other C calls (ops, indexing, builtins)"
    if f"{os.sep}kerastorch{os.sep}" in file:
        return "kerastorch Python (self time)"
    if f"{os.sep}torch{os.sep}" in file:
        return "torch Python (self time: Module.__call__, optimizer, autograd wrappers)"
    return "other Python (numpy, stdlib, this script)"


def short(file: str, line: int, function: str) -> str:
    if file == "~":
        return function
    parts = file.split(os.sep)
    for root in ("kerastorch", "torch", "numpy"):
        if root in parts:
            file = os.sep.join(parts[len(parts) - 1 - parts[::-1].index(root) :])
            break
    else:
        file = parts[-1]
    return f"{file}:{line}({function})"


def profile_call(run, steps: int, top: int, cumulative: bool) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    per_kind: dict[str, float] = {}
    rows = []
    for (file, line, function), (_, calls, self_s, cum_s, _) in stats.stats.items():
        label = kind(file, function)
        per_kind[label] = per_kind.get(label, 0.0) + self_s
        rows.append((self_s, cum_s, calls, short(file, line, function), file))
    total = sum(per_kind.values())
    out = [f"  under cProfile: {1e3 * total / steps:.3f} ms/step; self time by kind (ms/step):"]
    for label, seconds in sorted(per_kind.items(), key=lambda kv: -kv[1]):
        out.append(f"    {1e3 * seconds / steps:8.3f}  {100 * seconds / total:5.1f}%  {label}")
    out.append(f"  top {top} functions by self time (ms/step, calls/step):")
    for self_s, _, calls, name, _ in sorted(rows, reverse=True)[:top]:
        out.append(f"    {1e3 * self_s / steps:8.3f}  {calls / steps:6.1f}  {name}")
    if cumulative:
        out.append("  kerastorch functions by cumulative time (ms/step, calls/step):")
        ours = [r for r in rows if f"{os.sep}kerastorch{os.sep}" in r[4]]
        for _, cum_s, calls, name, _ in sorted(ours, key=lambda r: -r[1])[:top]:
            out.append(f"    {1e3 * cum_s / steps:8.3f}  {calls / steps:6.1f}  {name}")
    return "\n".join(out)


def profile_ops(run, steps: int, top: int) -> str:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)
    return f"  torch.profiler, one call ({steps} steps), by self CPU time:\n{table}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workloads", nargs="+", choices=list(WORKLOADS), default=["W1", "W2", "W5"]
    )
    parser.add_argument("--quick", action="store_true", help="the small sizes of run_all --quick")
    parser.add_argument("--calls", type=int, default=3, help="unprofiled timed calls (3)")
    parser.add_argument("--top", type=int, default=15, help="rows per listing (15)")
    parser.add_argument("--cumulative", action="store_true", help="kerastorch by cumulative time")
    parser.add_argument("--ops", action="store_true", help="also a torch.profiler operator table")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    keras, _ = import_framework("kerastorch", args.threads)  # also imports torch
    for name in args.workloads:
        workload = WORKLOADS[name]
        data = workload.data(args.quick)
        steps = math.ceil(len(data.x) / workload.batch_size)
        print(f"== {workload.label()}: {len(data.x):,} samples, {steps} steps per call")
        runners = {"hand-written torch": make_runner(None, workload, data)}
        runners["kerastorch"] = make_runner(keras, workload, data)
        for run in runners.values():
            run()  # warm-up
        times: dict[str, list[float]] = {label: [] for label in runners}
        for _ in range(args.calls):  # interleaved, as run_all.py
            for label, run in runners.items():
                start = time.perf_counter()
                run()
                times[label].append(time.perf_counter() - start)
        for label, run in runners.items():
            median = statistics.median(times[label])
            print(f"-- {label}: {1e3 * median / steps:.3f} ms/step without profiler")
            print(profile_call(run, steps, args.top, args.cumulative))
            if args.ops:
                print(profile_ops(run, steps, args.top))
        print(flush=True)


if __name__ == "__main__":
    main()
