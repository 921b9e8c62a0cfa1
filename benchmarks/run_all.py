"""Run the benchmark workloads W1..W5 against every contender and write the table.

Contenders (each in its own process, see ``worker.py``): the hand-written eager torch loop
(``handwritten.py``, the baseline of every ratio), Keras 3 on JAX (its own virtual environment,
``requirements-jax.txt``), Keras 3 on torch, and kerastorch. The three Keras-family contenders run
the same Keras code (``workloads.py``) with only the ``keras`` import swapped.

Three measurements:

* **Steady state.** Each contender's worker builds the model and makes one untimed first call
  (Keras on JAX compiles there). Then ``--repeats`` rounds time one epoch of ``fit`` (W5: one
  ``predict`` pass) per contender in turn (A B C D, A B C D, ...), so machine noise hits all of
  them alike. Reported: median and best samples/s, ratios to the hand-written loop's.
* **Time to result** (``--ttr-repeats`` rounds, 0 to skip; ``--ttr-workloads``,
  ``--ttr-contenders``): a fresh process per contender and workload builds, compiles and runs
  a ``--ttr-epochs`` epoch ``fit`` (W5: the first ``predict``), warm-up and compilation
  included; also its peak RSS and its ``import`` time.
* **Import time**: ``import torch`` / ``import kerastorch`` / ``import keras``, timed in each of
  those fresh processes and in the workers (numpy already imported), medians.

The tables go to stdout and, between marker comments, into ``benchmarks/README.md`` (re-running
replaces them; ``--readme`` elsewhere, ``--no-readme`` not at all; ``--quick`` never writes
it unless ``--readme`` is given).

    python benchmarks/run_all.py                 # the recorded run: idle machine, 5 repeats
                                                 # (about 50 min, half of it time to result)
    python benchmarks/run_all.py --quick         # small sizes: a smoke test of everything
    python benchmarks/run_all.py --workloads W1 W5 --contenders torch kerastorch --ttr-repeats 0
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import sys
import time
from pathlib import Path

import harness
from harness import Result, Worker, WorkerFailed
from worker import CONTENDERS
from workloads import WORKLOADS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (5; quick: 2)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument(
        "--contenders", nargs="+", choices=list(CONTENDERS), default=list(CONTENDERS)
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="torch threads; fewer than the CPUs also pins every contender to that many",
    )
    parser.add_argument(
        "--ttr-repeats", type=int, default=1, help="time-to-result rounds (1; 0: skip)"
    )
    parser.add_argument("--ttr-epochs", type=int, default=None, help="epochs (10; quick: 1)")
    parser.add_argument(
        "--ttr-workloads", nargs="+", choices=list(WORKLOADS), help="(all; quick: the first)"
    )
    parser.add_argument(
        "--ttr-contenders", nargs="+", choices=list(CONTENDERS), help="(all of --contenders)"
    )
    parser.add_argument("--jax-python", help="python of a JAX venv (default: benchmarks/.venv-jax)")
    parser.add_argument("--readme", type=Path, help="file for the table (benchmarks/README.md)")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()
    args.repeats = args.repeats or (2 if args.quick else 5)
    args.ttr_epochs = args.ttr_epochs or (1 if args.quick else 10)
    if args.ttr_workloads is None:
        args.ttr_workloads = args.workloads[:1] if args.quick else args.workloads
    args.ttr_contenders = [c for c in args.contenders if c in (args.ttr_contenders or CONTENDERS)]
    if args.readme is None and not args.quick and not args.no_readme:
        args.readme = harness.HERE / "README.md"
    if "torch" not in args.contenders:
        print("note: without the hand-written contender there are no ratios", file=sys.stderr)
    return args


def steady_state(args, pythons, results, versions, imports, log_dir) -> dict:
    """All workloads, interleaved rounds; returns the machine-load figures of the timed rounds."""
    workers: dict[str, Worker] = {}
    ours, busy, wall = 0.0, 0.0, 0.0
    try:
        for c in args.contenders:
            workers[c] = Worker(c, pythons[c], args.threads, log_dir)
            versions[c] = workers[c].versions
            imports[c].append(workers[c].import_s)
        for name in args.workloads:
            live = []
            for c, worker in workers.items():
                r = results[c][name]
                try:
                    reply = worker.ask(cmd="setup", workload=name, quick=args.quick)
                    r.samples, r.first_s = reply["samples"], reply["first_s"]
                    live.append(c)
                except WorkerFailed as error:
                    r.error = str(error)
                    print(f"{name} {c}: FAILED\n{error}", file=sys.stderr)
                    if worker.proc.poll() is not None:  # it died: start a new one
                        workers[c] = Worker(c, pythons[c], args.threads, log_dir)
            busy_start, wall_start = harness.machine_busy_seconds(), time.perf_counter()
            for i in range(args.repeats):
                for c in live:
                    reply = workers[c].ask(cmd="run")
                    results[c][name].times.append(reply["seconds"])
                    ours += reply["cpu_s"]
                line = ", ".join(f"{c} {results[c][name].times[-1]:.3f}s" for c in live)
                print(f"{name} repeat {i + 1}/{args.repeats}: {line}", flush=True)
            busy_end = harness.machine_busy_seconds()
            if busy_start is not None and busy_end is not None:
                busy += busy_end - busy_start
                wall += time.perf_counter() - wall_start
    finally:
        for worker in workers.values():
            worker.close()
    return {"others_cpus": max(busy - ours, 0.0) / wall if wall else None}


def time_to_result(args, pythons, results, imports) -> None:
    extra = ["--epochs", str(args.ttr_epochs), "--threads", str(args.threads)]
    extra += ["--quick"] if args.quick else []
    for i in range(args.ttr_repeats):
        for name in args.ttr_workloads:
            for c in args.ttr_contenders:
                r = results[c][name]
                try:
                    run = harness.fresh_run(c, pythons[c], ["--ttr", name, *extra])
                except WorkerFailed as error:
                    print(f"time to result {name} {c}: FAILED\n{error}", file=sys.stderr)
                    continue
                r.ttr.append(run)
                imports[c].append(run["import_s"])
                print(
                    f"time to result {i + 1}/{args.ttr_repeats} {name} {c}: {run['ttr_s']:.2f}s, "
                    f"peak RSS {run['peak_rss_mb']:.0f} MB",
                    flush=True,
                )


def describe(args, versions, load_before, others) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    lines = [
        f"### Run of {now}{' (quick: small sizes, not a measurement)' if args.quick else ''}",
        "",
        f"- command: `{command.strip()}`; {args.repeats} interleaved repeats; "
        f"torch threads: {args.threads}",
        f"- machine: {harness.cpu_description()}",
        f"- load average (1, 5, 15 min) before: {load_before}; after: {harness.load_average()}",
    ]
    if others is not None:
        lines.append(
            f"- other processes during the timed rounds: {others:.2f} CPUs busy on average "
            "(0 = an idle machine)"
        )
    lines.append(f"- kerastorch: commit {harness.kerastorch_commit()}")
    for c, found in versions.items():
        shown = ", ".join(f"{k} {v}" for k, v in found.items() if k != "kerastorch_path")
        lines.append(f"- {CONTENDERS[c]}: {shown}")
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    # Import times as an installed package's: pip writes kerastorch's bytecode at install, as
    # torch's. A checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every
    # kerastorch module at every import (about twice the import time).
    compileall.compile_dir(harness.REPO / "kerastorch", quiet=1)
    pythons = {c: sys.executable for c in args.contenders}
    if "keras-jax" in args.contenders:
        pythons["keras-jax"] = harness.jax_python(args.jax_python)
    workloads = [WORKLOADS[name] for name in args.workloads]
    results = {c: {w.name: Result() for w in workloads} for c in args.contenders}
    versions: dict[str, dict] = {}
    imports: dict[str, list[float]] = {c: [] for c in args.contenders}
    log_dir = harness.scratch_dir()
    load_before = harness.load_average()
    print(f"worker logs: {log_dir}", flush=True)

    start = time.perf_counter()
    load = steady_state(args, pythons, results, versions, imports, log_dir)
    time_to_result(args, pythons, results, imports)

    names = CONTENDERS
    text = "\n\n".join(
        [
            describe(args, versions, load_before, load["others_cpus"]),
            "**Steady state**: one epoch of `fit` (W5: one `predict` pass) per timed call, after "
            "one untimed first call; median samples/s ÷ the hand-written loop's "
            "(best ÷ best in brackets).",
            harness.summary_table(results, names, workloads),
            harness.detail_table(results, names, workloads),
        ]
    )
    if args.ttr_repeats:
        text += (
            f"\n\n**Time to result** in a fresh process (median of {args.ttr_repeats}); "
            "speed vs hand-written = its time ÷ this one's; peak RSS from `getrusage`.\n\n"
            + harness.ttr_table(results, names, workloads, args.ttr_epochs)
        )
    text += "\n\n**Import time** (numpy already imported):\n\n" + harness.import_table(
        imports, names
    )
    print()
    print(text)
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
    if args.readme and not args.no_readme:
        harness.write_section(args.readme, text)
        print(f"wrote the table into {args.readme}")
    if args.json:
        dump = {c: {w: vars(r) for w, r in rs.items()} for c, rs in results.items()}
        args.json.write_text(json.dumps({"results": dump, "versions": versions}, indent=1))


if __name__ == "__main__":
    main()
