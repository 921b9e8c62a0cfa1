"""One contender of ``run_all.py`` in a process of its own (backends cannot share one).

    python worker.py CONTENDER [--threads N]
        Serve: read JSON commands on stdin ({"cmd": "setup", "workload": "W1", "quick": false},
        {"cmd": "run"}, {"cmd": "exit"}), answer each with one JSON line on stdout. Anything the
        libraries print goes to stderr.
    python worker.py CONTENDER --ttr W1 [--epochs 10] [--quick]
        Time to result in this fresh process: import, data, build + compile + ``epochs`` epochs
        of fit (or the first predict pass); print one JSON line with the times and peak RSS.

CONTENDER is one of ``torch`` (the hand-written loop of ``handwritten.py``), ``kerastorch``
(``import kerastorch as keras``), ``keras-torch`` and ``keras-jax`` (``import keras`` with
``KERAS_BACKEND`` set). The Keras-family contenders run the same code of ``workloads.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
import traceback
from pathlib import Path

import numpy as np
from workloads import WORKLOADS, Data, Workload, run_keras

CONTENDERS = {
    "torch": "hand-written torch",
    "keras-jax": "Keras 3 on JAX",
    "keras-torch": "Keras 3 on torch",
    "kerastorch": "kerastorch",
    "kerastorch-jit": "kerastorch, jit_compile=True",
}
REPO = Path(__file__).resolve().parent.parent


def import_framework(contender: str, threads: int):
    """Import what the contender's script imports: returns (the ``keras`` module or None for the
    hand-written loop, seconds the import took)."""
    if contender not in CONTENDERS:
        raise SystemExit(f"worker.py: unknown contender {contender!r}; one of {list(CONTENDERS)}")
    cpus = sorted(os.sched_getaffinity(0))
    if threads < len(cpus):  # XLA sizes its thread pool by the CPUs it may run on
        os.sched_setaffinity(0, cpus[:threads])
    if contender.startswith("kerastorch"):
        sys.path.insert(0, str(REPO))  # this checkout's kerastorch, not an installed one
    elif contender.startswith("keras-"):
        os.environ["KERAS_BACKEND"] = contender.removeprefix("keras-")
    start = time.perf_counter()
    if contender == "torch":
        import torch

        keras = None
    elif contender.startswith("kerastorch"):
        import kerastorch as keras

        if contender == "kerastorch-jit":  # the same scripts, compiled with jit_compile=True
            compile_eagerly = keras.Model.compile

            def compile_jit(model, *args, **kwargs):
                kwargs.setdefault("jit_compile", True)
                return compile_eagerly(model, *args, **kwargs)

            keras.Model.compile = compile_jit
    else:
        import keras
    seconds = time.perf_counter() - start
    if contender.startswith("keras-") and keras.backend.backend() != os.environ["KERAS_BACKEND"]:
        raise RuntimeError(f"Keras runs on {keras.backend.backend()!r}, expected {contender}")
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(threads)  # after importing keras, which may change it
    return keras, seconds


def make_runner(keras, workload: Workload, data: Data, seed: int = 0):
    """Build the model; return ``run(epochs)``, the timed call."""
    if keras is None:
        import handwritten
        import torch

        torch.manual_seed(seed)
        return handwritten.contender(workload, data)
    keras.utils.set_random_seed(seed)
    model = workload.build(keras, data.x.shape[1:])
    return lambda epochs=1: run_keras(model, workload, data, epochs)


def versions(keras) -> dict[str, str]:
    found = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("torch", "jax", "jaxlib"):
        if name in sys.modules:
            found[name] = sys.modules[name].__version__
    if keras is not None:
        found[keras.__name__] = getattr(keras, "__version__", "?")
        found["backend"] = keras.backend.backend()
        if keras.__name__ == "kerastorch":
            found["kerastorch_path"] = str(Path(keras.__file__).parent)
    if "torch" in sys.modules:
        found["threads"] = str(sys.modules["torch"].get_num_threads())
    if "jax" in sys.modules:
        found["threads"] = f"XLA on {len(os.sched_getaffinity(0))} CPUs"
    return found


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def serve(contender: str, threads: int) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # prints and warnings of the libraries must not reach the protocol

    def reply(**message) -> None:
        protocol.write(json.dumps(message) + "\n")

    keras, import_seconds = import_framework(contender, threads)
    reply(versions=versions(keras), import_s=import_seconds)
    run = None
    for line in sys.stdin:
        command = json.loads(line)
        try:
            if command["cmd"] == "setup":
                run = None
                gc.collect()
                workload = WORKLOADS[command["workload"]]
                data = workload.data(command["quick"])
                start = time.perf_counter()
                run = make_runner(keras, workload, data)
                run()
                reply(first_s=time.perf_counter() - start, samples=len(data.x))
            elif command["cmd"] == "run":
                gc.collect()
                start, cpu_start = time.perf_counter(), time.process_time()
                run()
                reply(seconds=time.perf_counter() - start, cpu_s=time.process_time() - cpu_start)
            elif command["cmd"] == "exit":
                return
            else:
                raise ValueError(f"unknown command {command!r}")
        except Exception:
            reply(error=traceback.format_exc())


def time_to_result(contender: str, name: str, epochs: int, quick: bool, threads: int) -> None:
    keras, import_seconds = import_framework(contender, threads)
    workload = WORKLOADS[name]
    data = workload.data(quick)
    rss_before = peak_rss_mb()
    start = time.perf_counter()
    run = make_runner(keras, workload, data)
    run(epochs if workload.task == "fit" else 1)
    seconds = time.perf_counter() - start
    result = {
        "import_s": import_seconds,
        "ttr_s": seconds,
        "epochs": epochs if workload.task == "fit" else 0,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("contender", choices=list(CONTENDERS))
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="and CPUs to run on")
    parser.add_argument("--ttr", metavar="WORKLOAD", choices=list(WORKLOADS))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.ttr:
        time_to_result(args.contender, args.ttr, args.epochs, args.quick, args.threads)
    else:
        serve(args.contender, args.threads)


if __name__ == "__main__":
    main()
