"""Port a Keras script to kerastorch: ``python -m kerastorch.port script.py``.

Reads the script's syntax tree (it never runs the script, nor imports Keras or TensorFlow), lists
every Keras name kerastorch does not provide and every TensorFlow call that is not Keras, with
line numbers, and rewrites the imports and Keras paths to kerastorch with minimal textual edits:
formatting and comments stay as they were.

Usage::

    python -m kerastorch.port script.py            # report only
    python -m kerastorch.port --diff script.py     # unified diff on stdout, report on stderr
    python -m kerastorch.port --write script.py    # rewrite in place, original in script.py.bak

Exit code: 0 when every Keras name the script uses maps to kerastorch, 1 when something must be
ported by hand (a Keras name kerastorch lacks, or TensorFlow code), 2 when a file cannot be read
or parsed.

NOTE [porting]
    *What is supported* is what kerastorch exports when the tool runs: ``kerastorch.__all__``,
    then each module's ``__all__`` (``kerastorch.layers``, ``.callbacks``, ``.optimizers``,
    ``.losses``, ``.metrics``, ``.utils``, ``.models``, ...), so the report stays true as
    layers are added. Keras paths that live elsewhere in kerastorch go through a small alias
    table (``keras.utils.Sequence`` -> ``kerastorch.utils.PyDataset``, Keras 2's
    ``keras.layers.recurrent.LSTM`` -> ``kerastorch.layers.LSTM``, ...).

    *Rewrites*:

    * ``import keras [as k]`` -> ``import kerastorch as keras`` (``as k``); ``from
      tensorflow import keras`` -> ``import kerastorch as keras``; ``from keras.layers import
      LSTM`` and ``from tensorflow.keras.layers import LSTM`` -> ``from kerastorch.layers
      import LSTM`` (only the module is replaced, so a parenthesized, commented name list
      stays as it was).
    * A Keras path whose kerastorch home differs is rewritten where it is used:
      ``keras.models.save_model(...)`` -> ``keras.saving.save_model(...)``.
    * ``tf.keras.X`` -> ``kerastorch.X`` (or ``keras.X`` when the script binds ``keras`` to
      kerastorch). ``import tensorflow as tf`` is replaced by ``import kerastorch`` when nothing
      else uses ``tf``; otherwise it stays, ``import kerastorch`` is added after it, and every
      other ``tf.`` use is reported as "TensorFlow, not Keras: port by hand".
    * A name kerastorch lacks keeps its original import (``from keras.layers import
      RandomFlip`` stays, next to the kerastorch import of the other names) and is
      reported; a use through a module bound to kerastorch (``keras.layers.RandomFlip``
      after ``import keras``) stays as written and will fail when run. The report is the list
      of what to port by hand.

    A Keras import the tool must keep (a name kerastorch lacks: ``from keras.ops import stft``)
    gets a trailing comment ``# kerastorch.port: ... still imports real Keras``, so the ported
    script says where it would run on real Keras; the report lists the name and the exit code
    is 1. Imports of kerastorch itself (a
    script ported already, or by hand) stay as written and are read as the Keras names they
    stand for, so a second run reports the same names and changes nothing. Names bound by a
    star import and names rebound by the script itself are not tracked.

    ``--write`` writes only when something changed, and first copies the original to
    ``<script>.bak`` (``--no-backup`` skips it); a second run on a ported script changes nothing,
    so the ``.bak`` keeps the original.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import importlib
import io
import itertools
import os
import re
import sys
import tokenize
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "Finding",
    "PortResult",
    "kerastorch_path",
    "main",
    "port_file",
    "port_source",
]

# -- what kerastorch provides --------------------------------------------------------------------

# Keras paths whose kerastorch home is elsewhere: exact paths, then prefixes ("a.b." -> "c.").
_ALIASES = {
    # Keras 3 keeps Sequence as an alias of PyDataset; Keras 2 had it in data_utils.
    "keras.utils.Sequence": "keras.utils.PyDataset",
    "keras.utils.data_utils.Sequence": "keras.utils.PyDataset",
    "keras.models.save_model": "keras.saving.save_model",
}
_PREFIX_ALIASES = {
    "keras.optimizers.legacy.": "keras.optimizers.",
    "keras.utils.np_utils.": "keras.utils.",
    # Keras 2 / TF 2.x homes of the preprocessing layers and of plot_model.
    "keras.layers.experimental.preprocessing.": "keras.layers.",
    "keras.utils.vis_utils.": "keras.utils.",
    **{
        # Keras 2's layer modules: keras.layers.recurrent.LSTM is keras.layers.LSTM.
        f"keras.layers.{module}.": "keras.layers."
        for module in (
            "core",
            "recurrent",
            "convolutional",
            "pooling",
            "embeddings",
            "normalization",
            "wrappers",
            "noise",
            "advanced_activations",
            "merge",
            "regularization",
            "reshaping",
            "activation",
        )
    },
}
# Keras's snake_case aliases of classes (keras.initializers.glorot_uniform is GlorotUniform).
_SNAKE_CLASS_MODULES = ("kerastorch.initializers", "kerastorch.constraints")

# What to do instead, by longest matching prefix (Keras paths after aliasing; TensorFlow paths as
# "tensorflow.<rest>").
_HINTS = {
    "keras.backend": "Keras's backend functions (K.mean, K.sum, ...): use torch's on tensors",
    "keras.ops": "not in kerastorch.ops yet: use torch's functions on tensors (stft -> torch.stft)",
    "keras.preprocessing.text": (
        "Keras 3 removed it: kerastorch.utils.Tokenizer covers Keras 2's Tokenizer; for the rest "
        "build a word -> id dict, then kerastorch.utils.pad_sequences"
    ),
    "keras.preprocessing.sequence.TimeseriesGenerator": (
        "kerastorch.utils.timeseries_dataset_from_array"
    ),
    "keras.datasets": "load the arrays yourself (numpy, pandas)",
    "tensorflow.data": (
        "kerastorch.utils.Pipeline.from_tensor_slices(...) has tf.data's take / map / batch / "
        "shuffle / prefetch; fit also takes numpy arrays, a torch Dataset / DataLoader or a "
        "generator"
    ),
    "tensorflow.random.set_seed": "kerastorch.utils.set_random_seed(seed)",
    "tensorflow.constant": "a numpy array or torch.tensor",
    "tensorflow.convert_to_tensor": "a numpy array or torch.tensor",
    "tensorflow.config": "not needed: kerastorch runs where torch runs (model.to('cuda'))",
    "tensorflow.test.is_gpu_available": "torch.cuda.is_available()",
}


@dataclasses.dataclass(frozen=True)
class _Target:
    """A kerastorch object: the deepest module on its path and the attributes after it."""

    module: str
    attrs: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return ".".join((self.module, *self.attrs))


def _dealias(keras_path: str) -> str:
    """Apply the alias table: the Keras path as kerastorch lays it out."""
    if keras_path in _ALIASES:
        return _ALIASES[keras_path]
    for prefix, replacement in _PREFIX_ALIASES.items():
        if keras_path.startswith(prefix):
            return _dealias(replacement + keras_path[len(prefix) :])
    return keras_path


def _exports(module: types.ModuleType) -> set[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        return {n for n in dir(module) if not n.startswith("_")}
    return set(names)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _resolve(keras_path: str) -> _Target | None:
    """The kerastorch object for a Keras path (``keras.layers.LSTM``), or None if kerastorch
    does not export it. See NOTE [porting]."""
    segments = _dealias(keras_path).split(".")
    if segments[0] != "keras":
        return None
    obj: Any = importlib.import_module("kerastorch")
    module, attrs = obj.__name__, []
    for segment in segments[1:]:
        if isinstance(obj, types.ModuleType):
            names = _exports(obj)
            if segment not in names:
                camel = _camel(segment)
                if not (obj.__name__ in _SNAKE_CLASS_MODULES and camel in names):
                    return None
                segment = camel
            try:
                obj = getattr(obj, segment)
            except AttributeError:
                return None
            if isinstance(obj, types.ModuleType):
                module, attrs = obj.__name__, []
            else:
                attrs.append(segment)
        else:
            if not hasattr(obj, segment):
                return None
            obj = getattr(obj, segment)
            attrs.append(segment)
    return _Target(module, tuple(attrs))


def kerastorch_path(keras_path: str) -> str | None:
    """Where kerastorch provides a Keras name, or None when it does not.

    Accepts Keras 3, Keras 2 and ``tf.keras`` spellings.

    Example:
        >>> kerastorch_path("keras.layers.LSTM")
        'kerastorch.layers.LSTM'
        >>> kerastorch_path("tensorflow.keras.preprocessing.sequence.pad_sequences")
        'kerastorch.preprocessing.sequence.pad_sequences'
        >>> kerastorch_path("keras.utils.Sequence")
        'kerastorch.utils.PyDataset'
        >>> kerastorch_path("keras.layers.RandomFlip") is None
        True
    """
    target = _resolve(_keras_name(keras_path) or keras_path)
    return None if target is None else target.dotted


def _keras_name(dotted: str) -> str | None:
    """``tensorflow.keras.x`` / ``keras.x`` -> ``keras.x``; None for anything else."""
    if dotted == "keras" or dotted.startswith("keras."):
        return dotted
    if dotted == "tensorflow.keras" or dotted.startswith("tensorflow.keras."):
        return dotted[len("tensorflow.") :]
    return None


def _ported_name(dotted: str) -> str | None:
    """``kerastorch.x`` -> ``keras.x`` (a script already ported, wholly or partly); None for
    anything else."""
    if dotted == "kerastorch" or dotted.startswith("kerastorch."):
        return "keras" + dotted[len("kerastorch") :]
    return None


def _resolve_ported(dotted: str) -> _Target | None:
    """The kerastorch object at ``dotted`` (``kerastorch.layers.recurrent.RecurrentLayer``),
    exported or not: what a script that imports kerastorch itself gets."""
    segments = dotted.split(".")
    try:
        obj: Any = importlib.import_module(segments[0])
    except ImportError:  # pragma: no cover - kerastorch is importable here
        return None
    module, attrs = obj.__name__, []
    for segment in segments[1:]:
        if isinstance(obj, types.ModuleType) and not hasattr(obj, segment):
            try:
                importlib.import_module(f"{obj.__name__}.{segment}")
            except ImportError:
                return None
        if not hasattr(obj, segment):
            return None
        obj = getattr(obj, segment)
        if isinstance(obj, types.ModuleType):
            module, attrs = obj.__name__, []
        else:
            attrs.append(segment)
    return _Target(module, tuple(attrs))


def _is_tensorflow(dotted: str) -> bool:
    return dotted == "tensorflow" or dotted.startswith("tensorflow.")


def _hint(path: str) -> str:
    best = ""
    for prefix in _HINTS:
        if (path == prefix or path.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return _HINTS.get(best, "")


# The comment marking a Keras import the ported script keeps (NOTE [porting]).
_REAL_KERAS_MARK = "# kerastorch.port:"
_REAL_KERAS_IMPORT = re.compile(r"(from|import) (keras|tensorflow)\b(?!\w)")


# -- results -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, order=True)
class Finding:
    """Something to port by hand.

    Attributes:
        line: Line number in the script (1-based).
        name: The Keras path (``keras.layers.RandomFlip``, in Keras 3's spelling), or the
            TensorFlow expression as written (``tf.data.Dataset.from_tensor_slices``).
        kind: ``"unsupported"`` (Keras, not in kerastorch) or ``"tensorflow"`` (not Keras).
        hint: What to use instead, when there is a known answer.
    """

    line: int
    name: str
    kind: str
    hint: str = ""


@dataclasses.dataclass(frozen=True)
class _Edit:
    start: int  # byte offsets in the UTF-8 source
    end: int
    text: str
    line: int


@dataclasses.dataclass
class PortResult:
    """The outcome of porting one script.

    Attributes:
        filename: The script's name, for messages.
        source: The original text.
        text: The rewritten text (equal to ``source`` when nothing changed).
        rewrites: ``(line, old, new)`` for every textual edit.
        findings: What to port by hand, sorted by line.
        notes: Other remarks (star imports, edits skipped for safety).
    """

    filename: str
    source: str
    text: str
    rewrites: list[tuple[int, str, str]]
    findings: list[Finding]
    notes: list[str]

    @property
    def changed(self) -> bool:
        return self.text != self.source

    @property
    def unsupported(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "unsupported"]

    @property
    def tensorflow(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "tensorflow"]

    @property
    def exit_code(self) -> int:
        """0 when everything maps to kerastorch, 1 when something must be ported by hand."""
        return 1 if self.findings else 0

    def diff(self) -> str:
        """A unified diff from the original to the rewritten text."""
        return "".join(
            difflib.unified_diff(
                self.source.splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=f"a/{self.filename}",
                tofile=f"b/{self.filename}",
            )
        )

    def report(self) -> str:
        """The human-readable report ``python -m kerastorch.port`` prints."""
        lines = [f"{self.filename}:"]
        if self.rewrites:
            lines.append(f"  rewritten for kerastorch ({len(self.rewrites)}):")
            for line, old, new in self.rewrites:
                lines.append(f"    line {line}: {_one_line(old)}  ->  {_one_line(new)}")
        else:
            lines.append("  nothing to rewrite")
        for kind, title in (
            ("unsupported", "not in kerastorch, port by hand"),
            ("tensorflow", "TensorFlow, not Keras: port by hand"),
        ):
            grouped: dict[tuple[str, str], list[int]] = {}
            for finding in self.findings:
                if finding.kind == kind:
                    grouped.setdefault((finding.name, finding.hint), []).append(finding.line)
            if not grouped:
                continue
            lines.append(f"  {title} ({len(grouped)}):")
            for (name, hint), where in sorted(grouped.items(), key=lambda item: item[1][0]):
                numbers = ", ".join(str(n) for n in sorted(set(where)))
                label = "line" if len(set(where)) == 1 else "lines"
                lines.append(f"    {label} {numbers}: {name}" + (f"  ({hint})" if hint else ""))
        for note in self.notes:
            lines.append(f"  note: {note}")
        if self.findings:
            count = len({(f.kind, f.name) for f in self.findings})
            lines.append(f"  => {count} name(s) to port by hand (exit code 1)")
        else:
            lines.append("  => every Keras name maps to kerastorch (exit code 0)")
        return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """Statements on one line, for the report: ``"from a import (\n    b,\n)"`` ->
    ``"from a import (b,)"``, two statements joined by ``" | "``."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    joined = ""
    for line in lines:
        if not joined:
            joined = line
        elif joined.endswith("(") or line.startswith(")"):
            joined += line
        elif joined.endswith(","):
            joined += " " + line
        else:
            joined += " | " + line
    return joined


# -- reading the script --------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class _Binding:
    """A name the script's imports bind to Keras or TensorFlow."""

    local: str
    keras: str | None  # Keras path ("keras.layers"), None for TensorFlow
    tensorflow: str | None  # TensorFlow path ("tensorflow", "tensorflow.data")
    target: _Target | None  # kerastorch's equivalent of ``keras``
    uses: int = 0
    needed: bool = False  # a use is left as written, so the original import must stay
    ported: str | None = None  # the kerastorch path, when the script imports kerastorch itself

    @property
    def supported(self) -> bool:
        return self.keras is not None and self.target is not None

    def keep_original(self) -> bool:
        """Whether the original import stays: it is kerastorch's already, a use still needs it,
        or (for a Keras name kerastorch lacks) the script imports it without using it."""
        if self.ported is not None:
            return True
        if self.supported:
            return False
        return self.needed or (self.keras is not None and self.uses == 0)


@dataclasses.dataclass
class _Clause:
    """One imported name of an import statement."""

    binding: _Binding | None  # None: not Keras / TensorFlow, kept as is
    name: str  # as written in the statement ("keras.layers", "LSTM", "*")
    asname: str | None

    @property
    def written(self) -> str:
        return self.name + (f" as {self.asname}" if self.asname else "")


class _Porter:
    """The three passes of :func:`port_source`: imports, uses, then the import statements."""

    def __init__(self, source: str, filename: str) -> None:
        self.source = source
        self.filename = filename
        self.data = source.encode("utf-8")
        self.line_starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.tree = ast.parse(source, filename=filename)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.bindings: dict[str, _Binding] = {}
        self.statements: list[tuple[ast.Import | ast.ImportFrom, list[_Clause]]] = []
        self.findings: set[Finding] = set()
        self.edits: list[_Edit] = []
        self.notes: list[str] = []
        self.needs_kerastorch = False

    # -- positions -------------------------------------------------------------------------------

    def offset(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")

    def indent(self, node: ast.stmt) -> str | None:
        """The statement's indentation, or None when it does not start its line."""
        start = self.line_starts[node.lineno - 1]
        prefix = self.data[start : start + node.col_offset].decode("utf-8")
        return prefix if not prefix.strip() else None

    def edit(self, start: int, end: int, text: str, line: int) -> None:
        if self.text(start, end) != text:
            self.edits.append(_Edit(start, end, text, line))

    def find(self, line: int, name: str, kind: str, hint_path: str | None = None) -> None:
        self.findings.add(Finding(line, name, kind, _hint(hint_path or name)))

    # -- pass 1: imports -------------------------------------------------------------------------

    def read_imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                clauses = [self.import_clause(alias) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                clauses = [self.import_from_clause(node, alias) for alias in node.names]
            else:
                continue
            if any(clause.binding is not None for clause in clauses):
                self.statements.append((node, clauses))
        self.statements.sort(key=lambda item: (item[0].lineno, item[0].col_offset))

    def bind(self, binding: _Binding) -> _Binding:
        """Register ``binding``; a name bound twice to the same thing shares one binding."""
        if binding.local == "*":
            return binding
        known = self.bindings.get(binding.local)
        if known is not None and (known.keras, known.tensorflow) == (
            binding.keras,
            binding.tensorflow,
        ):
            return known
        self.bindings[binding.local] = binding
        return binding

    def import_clause(self, alias: ast.alias) -> _Clause:
        name, asname = alias.name, alias.asname
        keras = _keras_name(name)
        ported = _ported_name(name)
        if ported is not None:
            # Already kerastorch: kept as written, read as the Keras path it stands for.
            if asname is None:  # "import kerastorch.layers" binds "kerastorch"
                binding = _Binding("kerastorch", "keras", None, _Target("kerastorch"))
                binding.ported = "kerastorch"
            else:
                binding = _Binding(asname, ported, None, _resolve_ported(name), ported=name)
        elif asname is None and name.split(".")[0] == "tensorflow":
            # "import tensorflow.keras" binds "tensorflow": its uses read tensorflow.keras.x.
            binding = _Binding("tensorflow", None, "tensorflow", None)
        elif asname is None and keras is not None:
            # "import keras.layers" binds "keras" to the whole package.
            binding = _Binding("keras", "keras", None, _resolve("keras"))
        elif keras is not None:
            binding = _Binding(asname, keras, None, _resolve(keras))
        elif _is_tensorflow(name):
            binding = _Binding(asname or name, None, name, None)
        else:
            return _Clause(None, name, asname)
        return _Clause(self.bind(binding), name, asname)

    def import_from_clause(self, node: ast.ImportFrom, alias: ast.alias) -> _Clause:
        module, name, asname = node.module, alias.name, alias.asname
        if name == "*":
            if _ported_name(module) is not None:
                return _Clause(None, name, asname)
            keras = _keras_name(module)
            if keras is not None:
                self.notes.append(
                    f"line {node.lineno}: 'from {module} import *' brings kerastorch's names; "
                    "names it lacks are not checked here and fail when the script runs"
                )
                binding = _Binding("*", keras, None, _resolve(keras), needed=True)
            elif _is_tensorflow(module):
                binding = _Binding("*", None, module, None, needed=True)
                self.find(node.lineno, f"from {module} import *", "tensorflow", module)
            else:
                return _Clause(None, name, asname)
            return _Clause(binding, name, asname)
        keras = _keras_name(f"{module}.{name}")
        ported = _ported_name(f"{module}.{name}")
        if ported is not None:
            written = f"{module}.{name}"
            binding = _Binding(asname or name, ported, None, _resolve_ported(written))
            binding.ported = written
        elif keras is not None:
            binding = _Binding(asname or name, keras, None, _resolve(keras))
        elif _is_tensorflow(module):
            binding = _Binding(asname or name, None, f"{module}.{name}", None)
        else:
            return _Clause(None, name, asname)
        return _Clause(self.bind(binding), name, asname)

    # -- pass 2: uses ----------------------------------------------------------------------------

    def read_uses(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and not self.inside_chain(node):
                self.read_chain(node)
            elif isinstance(node, ast.Name) and not self.inside_chain(node):
                binding = self.bindings.get(node.id)
                if binding is not None and isinstance(node.ctx, ast.Load):
                    self.read_bare(node, binding)

    def inside_chain(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, ast.Attribute) and parent.value is node

    @staticmethod
    def chain(node: ast.Attribute) -> list[ast.expr] | None:
        """``a.b.c`` -> [Name a, Attribute a.b, Attribute a.b.c]; None if not rooted at a name."""
        nodes: list[ast.expr] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            nodes.append(current)
            current = current.value
        if not isinstance(current, ast.Name):
            return None
        nodes.append(current)
        return nodes[::-1]

    @staticmethod
    def segments(nodes: list[ast.expr]) -> list[str]:
        return [nodes[0].id] + [n.attr for n in nodes[1:]]  # type: ignore[attr-defined]

    def read_chain(self, node: ast.Attribute) -> None:
        nodes = self.chain(node)
        if nodes is None:
            return
        old = self.segments(nodes)
        binding = self.bindings.get(old[0])
        if binding is None:
            return
        binding.uses += 1
        if binding.keras is not None:
            keras = ".".join([binding.keras, *old[1:]])
        else:
            written = ".".join([binding.tensorflow, *old[1:]])
            keras = _keras_name(written)
            if keras is None:
                binding.needed = True
                self.find(node.lineno, ".".join(old), "tensorflow", written)
                return
        target = _resolve(keras)
        if (
            target is None
            and binding.ported is not None
            and _resolve_ported(".".join([binding.ported, *old[1:]])) is not None
        ):
            return  # kerastorch's own name, exported or not: the script knows what it imports
        if target is None:
            binding.needed = True
            self.find(node.lineno, _dealias(keras), "unsupported")
            return
        self.rewrite_chain(nodes, old, self.spell(binding, target), binding)

    def rewrite_chain(
        self, nodes: list[ast.expr], old: list[str], new: list[str], binding: _Binding
    ) -> None:
        """Rewrite the leading part of a chain that differs from kerastorch's spelling: only
        ``tf.keras`` in ``tf.keras.layers.LSTM``, ``keras.preprocessing.sequence`` in
        ``keras.preprocessing.sequence.pad_sequences``."""
        common = 0
        while common < min(len(old), len(new)) - 1 and old[-1 - common] == new[-1 - common]:
            common += 1
        old_prefix, new_prefix = old[: len(old) - common], new[: len(new) - common]
        if old_prefix == new_prefix:
            return
        prefix_node = nodes[len(old_prefix) - 1]
        start, end = self.span(prefix_node)
        written = self.text(start, end)
        if re.sub(r"[\s()\\]", "", written) != ".".join(old_prefix):
            # Positions that do not match the text (f-strings on old Pythons): do not guess.
            binding.needed = True
            self.notes.append(
                f"line {prefix_node.lineno}: left '{_one_line(written)}' as written; kerastorch "
                f"spells it {'.'.join(new)}"
            )
            return
        self.edit(start, end, ".".join(new_prefix), prefix_node.lineno)

    def spell(self, binding: _Binding, target: _Target) -> list[str]:
        """How the script names ``target`` after porting: through the binding when its import
        becomes kerastorch's, else through a name bound to the kerastorch package."""
        dotted = target.dotted.split(".")
        if binding.supported:
            root = binding.target.dotted.split(".")
            if dotted[: len(root)] == root:
                return [binding.local, *dotted[len(root) :]]
        return [self.kerastorch_name(), *dotted[1:]]

    def kerastorch_name(self) -> str:
        """A name bound to the kerastorch package after porting (``keras`` after ``import keras``
        or ``from tensorflow import keras``), else ``kerastorch``, imported if needed."""
        names = [
            b.local
            for b in self.bindings.values()
            if b.supported and b.target == _Target("kerastorch")
        ]
        if names and "kerastorch" not in names:
            return names[0]
        if not names:
            self.needs_kerastorch = True
        return "kerastorch"

    def read_bare(self, node: ast.Name, binding: _Binding) -> None:
        binding.uses += 1
        if binding.supported:
            return
        binding.needed = True
        if binding.keras is not None:
            self.find(node.lineno, _dealias(binding.keras), "unsupported")
        else:
            self.find(node.lineno, node.id, "tensorflow", binding.tensorflow)

    def keras_path(self, node: ast.expr) -> str | None:
        """The Keras path an expression names (``keras.Model``), if any."""
        if isinstance(node, ast.Name):
            binding = self.bindings.get(node.id)
            return None if binding is None else binding.keras
        if not isinstance(node, ast.Attribute):
            return None
        nodes = self.chain(node)
        if nodes is None:
            return None
        old = self.segments(nodes)
        binding = self.bindings.get(old[0])
        if binding is None:
            return None
        if binding.keras is not None:
            return ".".join([binding.keras, *old[1:]])
        return _keras_name(".".join([binding.tensorflow, *old[1:]]))

    # -- pass 3: import statements ---------------------------------------------------------------

    def rewrite_imports(self) -> None:
        place_kerastorch = self.needs_kerastorch and not any(
            b.supported and b.local == "kerastorch" for b in self.bindings.values()
        )
        for node, clauses in self.statements:
            kept = []
            for clause in clauses:
                binding = clause.binding
                if binding is None or binding.keras is None or not binding.keep_original():
                    continue
                if binding.ported is None:
                    self.find(node.lineno, _dealias(binding.keras), "unsupported")
                    kept.append(_dealias(binding.keras))
                elif binding.target is None:
                    self.find(node.lineno, binding.ported, "unsupported")
            statements = self.new_statements(node, clauses, place_kerastorch)
            if kept:
                self.mark_real_keras(node, statements, kept)
                continue
            if statements is None:
                continue
            if place_kerastorch and any(s == "kerastorch" for s in statements):
                place_kerastorch = False
            self.replace_statement(node, [s for s in statements if s])
        if place_kerastorch:
            self.insert_kerastorch_import()

    def mark_real_keras(
        self, node: ast.Import | ast.ImportFrom, statements: list[str] | None, kept: list[str]
    ) -> None:
        """A Keras import kept for names kerastorch lacks gets a comment saying so (NOTE
        [porting]): the ported script must not run on real Keras without saying it."""
        start, end = self.span(node)
        line_end = self.line_starts[node.end_lineno]
        if _REAL_KERAS_MARK in self.data[start:line_end].decode("utf-8"):
            if statements is not None:
                self.replace_statement(node, statements)
            return
        names = ", ".join(name.rsplit(".", 1)[-1] for name in kept)
        comment = f"  {_REAL_KERAS_MARK} {names} not in kerastorch, still imports real Keras"
        if statements is None:
            self.edit(end, end, comment, node.lineno)
            return
        marked = [s + comment if _REAL_KERAS_IMPORT.match(s) else s for s in statements]
        self.replace_statement(node, marked)

    def new_statements(
        self, node: ast.Import | ast.ImportFrom, clauses: list[_Clause], place_kerastorch: bool
    ) -> list[str] | None:
        """The statements replacing ``node`` (``"kerastorch"`` marks where ``import kerastorch``
        went), or None to leave it as written."""
        if isinstance(node, ast.ImportFrom) and self.module_only_edit(node, clauses):
            return None
        groups: dict[tuple[str, str], list[str]] = {}  # ("import", "") / ("from", module)
        changed = False
        for clause in clauses:
            binding = clause.binding
            if binding is None or binding.keep_original():
                key = ("import", "") if isinstance(node, ast.Import) else ("from", node.module)
                groups.setdefault(key, []).append(clause.written)
            elif binding.supported:
                changed = True
                key, text = self.target_clause(node, clause, binding)
                groups.setdefault(key, []).append(text)
            else:  # every use was rewritten to kerastorch: the import goes
                changed = True
                if place_kerastorch:
                    place_kerastorch = False
                    groups.setdefault(("kerastorch", ""), [])
        if not changed:
            return None
        statements = []
        for (kind, module), names in groups.items():
            if kind == "kerastorch":
                statements.append("kerastorch")
            elif kind == "import":
                statements.append("import " + ", ".join(names))
            else:
                statements.append(self.format_from(node, module, names))
        return statements

    def target_clause(
        self, node: ast.Import | ast.ImportFrom, clause: _Clause, binding: _Binding
    ) -> tuple[tuple[str, str], str]:
        """The kerastorch import of one supported name: (group key, clause text)."""
        target = binding.target
        if target.attrs:
            parent, name = ".".join((target.module, *target.attrs[:-1])), target.attrs[-1]
        else:
            parent, _, name = target.module.rpartition(".")
        if (isinstance(node, ast.Import) and not target.attrs) or not parent:
            # A module: "import kerastorch as keras", "import kerastorch.layers as L".
            local = binding.local
            return ("import", ""), target.module if local == target.module else (
                f"{target.module} as {local}"
            )
        return ("from", parent), name if name == binding.local else f"{name} as {binding.local}"

    def format_from(self, node: ast.stmt, module: str, names: list[str]) -> str:
        single = f"from {module} import {', '.join(names)}"
        indent = self.indent(node)
        if indent is None or len(indent) + len(single) <= 100:
            return single
        inner = "".join(f"{indent}    {name},\n" for name in names)
        return f"from {module} import (\n{inner}{indent})"

    def module_only_edit(self, node: ast.ImportFrom, clauses: list[_Clause]) -> bool:
        """When every name of ``from M import a, b`` lives in one kerastorch module under its own
        name, replace only ``M``: a parenthesized, commented name list stays as written.
        Returns whether that handled the statement."""
        parents = set()
        for clause in clauses:
            binding = clause.binding
            if binding is None or not binding.supported:
                return False
            target = binding.target
            if clause.name == "*":
                parents.add(target.module)
                continue
            if target.attrs:
                parent, name = ".".join((target.module, *target.attrs[:-1])), target.attrs[-1]
            else:
                parent, _, name = target.module.rpartition(".")
            if not parent or name != clause.name:
                return False
            parents.add(parent)
        if len(parents) != 1:
            return False
        (module,) = parents
        start, end = self.span(node)
        statement = self.text(start, end)
        match = re.match(r"from\s+([\w.\s\\]+?)\s+import\b", statement)
        if match is None:
            return False
        if re.sub(r"[\s\\]", "", match.group(1)) != module:
            byte_start = start + len(statement[: match.start(1)].encode("utf-8"))
            byte_end = start + len(statement[: match.end(1)].encode("utf-8"))
            self.edit(byte_start, byte_end, module, node.lineno)
        return True

    def replace_statement(self, node: ast.stmt, statements: list[str]) -> None:
        statements = ["import kerastorch" if s == "kerastorch" else s for s in statements]
        start, end = self.span(node)
        indent = self.indent(node)
        if statements:
            separator = "\n" + indent if indent is not None else "; "
            self.edit(start, end, separator.join(statements), node.lineno)
            return
        # Nothing left: remove the statement, with its line when nothing else is on it.
        line_start = self.line_starts[node.lineno - 1]
        line_end = self.line_starts[node.end_lineno]
        rest = self.data[end:line_end].decode("utf-8")
        if indent is not None and not rest.strip():
            self.edit(line_start, line_end, "", node.lineno)
        else:
            self.edit(start, end, "pass", node.lineno)

    def insert_kerastorch_import(self) -> None:
        """Add ``import kerastorch`` after the first module-level Keras / TensorFlow import."""
        nodes = [node for node, _ in self.statements]
        top = [node for node in nodes if self.parents.get(node) is self.tree]
        if not (top or nodes):
            self.edit(0, 0, "import kerastorch\n", 1)
            return
        node = (top or nodes)[0]
        indent = self.indent(node) or ""
        line_end = self.line_starts[node.end_lineno]
        line = self.data[self.line_starts[node.end_lineno - 1] : line_end]
        newline = line[len(line.rstrip(b"\r\n")) :].decode("utf-8")
        if newline:
            self.edit(line_end, line_end, f"{indent}import kerastorch{newline}", node.end_lineno)
        else:  # the file's last line, without a newline
            self.edit(line_end, line_end, f"\n{indent}import kerastorch", node.end_lineno)

    # -- applying the edits ----------------------------------------------------------------------

    def result(self) -> PortResult:
        edits = sorted(self.edits, key=lambda e: (e.start, e.end))
        for before, after in itertools.pairwise(edits):
            if after.start < before.end:  # pragma: no cover - a bug, not a user error
                raise AssertionError(f"overlapping edits at lines {before.line}, {after.line}")
        data = self.data
        for edit in reversed(edits):
            data = data[: edit.start] + edit.text.encode("utf-8") + data[edit.end :]
        rewrites = [
            (e.line, self.text(e.start, e.end) or "(nothing)", e.text or "(removed)") for e in edits
        ]
        return PortResult(
            filename=self.filename,
            source=self.source,
            text=data.decode("utf-8"),
            rewrites=rewrites,
            findings=sorted(self.findings),
            notes=self.notes,
        )


def port_source(source: str, filename: str = "<script>") -> PortResult:
    """Port a Keras script's text to kerastorch (see NOTE [porting]); nothing is run or written.

    Args:
        source: The script's text.
        filename: Its name, for the report and the diff.

    Returns:
        A :class:`PortResult`: the rewritten text, the edits, and what to port by hand.

    Raises:
        SyntaxError: when ``source`` is not valid Python.

    Example:
        >>> result = port_source("from keras.layers import LSTM, Dense\\n")
        >>> result.text
        'from kerastorch.layers import LSTM, Dense\\n'
        >>> result.exit_code
        0
        >>> port_source("import keras\\nkeras.layers.RandomFlip('horizontal')\\n").findings
        [Finding(line=2, name='keras.layers.RandomFlip', kind='unsupported', hint='')]
    """
    porter = _Porter(source, filename)
    porter.read_imports()
    porter.read_uses()
    porter.rewrite_imports()
    return porter.result()


def _read(path: Path) -> tuple[str, str]:
    """The file's text (newlines untouched) and its encoding (PEP 263 / BOM aware)."""
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def port_file(path: str | os.PathLike[str]) -> PortResult:
    """:func:`port_source` on a file; nothing is written.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "train.py")
        >>> with open(path, "w") as f:
        ...     _ = f.write("import tensorflow as tf\\nmodel = tf.keras.Sequential()\\n")
        >>> print(port_file(path).text, end="")
        import kerastorch
        model = kerastorch.Sequential()
    """
    path = Path(path)
    source, _ = _read(path)
    return port_source(source, filename=str(path))


def _write(path: Path, result: PortResult, backup: bool) -> Path | None:
    """Write the rewritten text in the file's encoding, atomically; the original goes to
    ``<path>.bak`` first unless ``backup`` is False. Returns the backup's path."""
    _, encoding = _read(path)
    backup_path = None
    if backup:
        backup_path = path.with_name(path.name + ".bak")
        backup_path.write_bytes(path.read_bytes())
    temporary = path.with_name(f".{path.name}.kerastorch-port.tmp")
    temporary.write_bytes(result.text.encode(encoding))
    os.replace(temporary, path)
    return backup_path


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """The command line: ``python -m kerastorch.port [--diff] [--write [--no-backup]] FILE...``.

    Returns the exit code: 0 when every Keras name maps to kerastorch, 1 when something must be
    ported by hand, 2 when a file cannot be read or parsed.
    """
    out = stdout or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m kerastorch.port",
        description=(
            "Rewrite a Keras script's imports for kerastorch and list what kerastorch does not "
            "support, with line numbers. Exit code 0: everything maps to kerastorch; 1: "
            "something must be ported by hand; 2: a file could not be read or parsed."
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="script.py")
    parser.add_argument(
        "--diff", action="store_true", help="print a unified diff (the report goes to stderr)"
    )
    parser.add_argument(
        "--write", action="store_true", help="rewrite the files in place (original in .bak)"
    )
    parser.add_argument(
        "--no-backup", action="store_true", help="with --write, do not keep a .bak copy"
    )
    args = parser.parse_args(argv)
    report_to = sys.stderr if args.diff else out
    code = 0
    for path in args.files:
        try:
            result = port_file(path)
        except (OSError, UnicodeDecodeError, SyntaxError) as error:
            print(f"{path}: cannot port it: {type(error).__name__}: {error}", file=sys.stderr)
            code = 2
            continue
        if args.diff:
            out.write(result.diff())
        report = result.report()
        if args.write:
            if result.changed:
                backup = _write(path, result, backup=not args.no_backup)
                where = f" (original in {backup})" if backup else ""
                report += f"  wrote {path}{where}\n"
            else:
                report += f"  {path} unchanged\n"
        report_to.write(report)
        code = max(code, result.exit_code)
    return code


if __name__ == "__main__":
    sys.exit(main())
