"""The parent side of ``run_all.py``: worker processes, the JAX environment, the machine's
description, tables and the README section. Timing itself happens inside ``worker.py``."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "worker.py"
JAX_REQUIREMENTS = HERE / "requirements-jax.txt"
DEFAULT_JAX_VENV = HERE / ".venv-jax"
BEGIN = "<!-- run_all.py: begin (generated: re-running run_all.py replaces it) -->"
END = "<!-- run_all.py: end -->"


class WorkerFailed(RuntimeError):
    pass


class Worker:
    """One contender's long-lived ``worker.py`` process, driven by JSON lines."""

    def __init__(self, contender: str, python: str, threads: int, log_dir: Path) -> None:
        self.contender = contender
        self.log = log_dir / f"{contender}.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [python, str(WORKER), contender, "--threads", str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
            cwd=HERE,
        )
        hello = self._read()
        self.versions: dict[str, str] = hello["versions"]
        self.import_s: float = hello["import_s"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerFailed(f"{self.contender} worker died:\n{self.log_tail()}")
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerFailed(f"{self.contender}: {reply['error']}")
        return reply

    def ask(self, **command) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def log_tail(self, lines: int = 30) -> str:
        self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(WorkerFailed, BrokenPipeError):
                self.ask(cmd="exit")
            self.proc.wait(timeout=60)
        self._log_file.close()


def fresh_run(contender: str, python: str, args: list[str]) -> dict:
    """``worker.py CONTENDER ARGS`` in a fresh process; its last stdout line is the result."""
    done = subprocess.run(
        [python, str(WORKER), contender, *args], capture_output=True, text=True, cwd=HERE
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise WorkerFailed(f"{contender} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


# -- the JAX virtual environment -----------------------------------------------------------------


def jax_python(path: str | None) -> str:
    """The interpreter of the JAX venv: ``path`` (``--jax-python``), else
    ``$KERASTORCH_BENCH_JAX_PYTHON``, else ``benchmarks/.venv-jax``, made (or brought up to
    date) from ``requirements-jax.txt`` when needed."""
    path = path or os.environ.get("KERASTORCH_BENCH_JAX_PYTHON")
    if path:
        if not Path(path).exists():
            raise SystemExit(f"--jax-python / KERASTORCH_BENCH_JAX_PYTHON: no {path}")
        return path
    python = DEFAULT_JAX_VENV / "bin" / "python"
    stamp = DEFAULT_JAX_VENV / "installed-requirements.txt"  # written once pip succeeded
    wanted = JAX_REQUIREMENTS.read_text()
    if not stamp.exists() or stamp.read_text() != wanted:
        print(f"installing {JAX_REQUIREMENTS.name} into {DEFAULT_JAX_VENV}", flush=True)
        if not python.exists():
            venv.create(DEFAULT_JAX_VENV, with_pip=True)
        pip = [str(python), "-m", "pip", "install", "-q", "-r", str(JAX_REQUIREMENTS)]
        subprocess.run(pip, check=True)
        stamp.write_text(wanted)
    return str(python)


# -- machine and run description -----------------------------------------------------------------


def cpu_description() -> str:
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
    except OSError:
        pass
    wanted = ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"]
    shown = [f for f in wanted if f in flags] or ["(none of avx2/avx512/amx)"]
    return f"{model}, {os.cpu_count()} logical CPUs, flags: {' '.join(shown)}"


def kerastorch_commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "kerastorch")
    return commit + (" + uncommitted changes in kerastorch/" if dirty else "")


def load_average() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot (``/proc/stat``), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# -- results and tables --------------------------------------------------------------------------


@dataclass
class Result:
    """One contender on one workload."""

    samples: int = 0
    first_s: float | None = None
    times: list[float] = field(default_factory=list)
    ttr: list[dict] = field(default_factory=list)
    error: str | None = None

    def rate(self) -> float | None:
        return self.samples / statistics.median(self.times) if self.times else None

    def best_rate(self) -> float | None:
        return self.samples / min(self.times) if self.times else None

    def ttr_median(self, key: str) -> float | None:
        values = [r[key] for r in self.ttr]
        return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else f"{a / b:.2f}"


def number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def summary_table(results, names, workloads) -> str:
    """Workloads x contenders: median samples/s / hand-written's (best / best in brackets)."""
    rows = [
        "| workload | " + " | ".join(names[c] for c in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for w in workloads:
        base = results["torch"][w.name] if "torch" in results else None
        cells = []
        for c in results:
            r = results[c][w.name]
            if r.error:
                cells.append("failed")
            elif base is None:
                cells.append(f"{number(r.rate())}/s")
            else:
                cells.append(
                    f"{ratio(r.rate(), base.rate())} ({ratio(r.best_rate(), base.best_rate())})"
                )
        rows.append(f"| {w.label()} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def detail_table(results, names, workloads) -> str:
    rows = [
        "| workload | contender | samples/s (median) | samples/s (best) | s per repeat "
        "| first call s (compile, warm-up) |",
        "|---|---|---:|---:|---|---:|",
    ]
    for w in workloads:
        for c in results:
            r = results[c][w.name]
            times = ", ".join(f"{t:.3f}" for t in r.times) or (r.error or "—").splitlines()[-1]
            rows.append(
                f"| {w.name} | {names[c]} | {number(r.rate())} | {number(r.best_rate())} "
                f"| {times} | {number(r.first_s, 2)} |"
            )
    return "\n".join(rows)


def ttr_table(results, names, workloads, epochs: int) -> str:
    rows = [
        f"| workload | contender | time to result s ({epochs}-epoch fit / first predict, "
        "incl. build, compile, warm-up) | vs hand-written | import s | peak RSS MB "
        "| vs hand-written | RSS before the model MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for w in workloads:
        base = results["torch"][w.name] if "torch" in results else Result()
        for c in results:
            r = results[c][w.name]
            if not r.ttr:
                continue
            rows.append(
                f"| {w.name} | {names[c]} | {number(r.ttr_median('ttr_s'), 2)} "
                f"| {ratio(base.ttr_median('ttr_s'), r.ttr_median('ttr_s'))} "
                f"| {number(r.ttr_median('import_s'), 2)} "
                f"| {number(r.ttr_median('peak_rss_mb'))} "
                f"| {ratio(r.ttr_median('peak_rss_mb'), base.ttr_median('peak_rss_mb'))} "
                f"| {number(r.ttr_median('rss_before_mb'))} |"
            )
    return "\n".join(rows)


def import_table(imports: dict[str, list[float]], names) -> str:
    """``import`` seconds in fresh processes (numpy already imported), medians."""
    base = statistics.median(imports["torch"]) if imports.get("torch") else None
    rows = ["| contender imports | median s | vs `import torch` | runs |", "|---|---:|---:|---:|"]
    for c, values in imports.items():
        if c == "torch":
            what = "`import torch`"
        elif c == "kerastorch":
            what = "`import kerastorch`"
        elif c.startswith("kerastorch"):
            what = f"`import kerastorch` ({names[c]})"
        else:
            what = f"`import keras` ({names[c]})"
        median = statistics.median(values)
        rows.append(f"| {what} | {median:.2f} | {ratio(median, base)} | {len(values)} |")
    return "\n".join(rows)


def write_section(readme: Path, text: str) -> None:
    """Put ``text`` between the markers of ``readme`` (appended the first time)."""
    old = readme.read_text() if readme.exists() else ""
    block = f"{BEGIN}\n{text.strip()}\n{END}"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(new)


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="kerastorch-bench-"))


def python_for(contender: str, jax: str | None) -> str:
    return jax if contender == "keras-jax" and jax else sys.executable
