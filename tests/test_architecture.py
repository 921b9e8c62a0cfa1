"""The package's import graph: no cycle, and imports go one way only.

Bottom to top: the math modules and registration (activations, losses, ..., registry, errors,
``utils/naming.py``, ``utils/tensors.py``, ``saving/atomic.py``, ``saving/object_registration.py``,
``saving/serialization.py``, ``saving/keras_layers.py``); ``layers/``; ``models/``;
``training/``; ``callbacks/``; the file formats (``saving/native.py``, ``keras_files.py``...) and
``export.py``; package ``__init__`` files re-export. Imports inside functions count (they hide a
cycle from Python, not from a reader); imports under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import kerastorch

ROOT = Path(kerastorch.__file__).parent

# Model's facade methods (compile, fit, ..., save, load_weights, to_json) call the layers above
# them inside the method; nothing there imports a model back, so no cycle. The only such calls.
DELEGATION = {
    ("kerastorch.models.model", "kerastorch.training.compile"),
    ("kerastorch.models.model", "kerastorch.training.loop"),
    ("kerastorch.models.model", "kerastorch.saving.native"),
}

BOTTOM = {
    "activations",
    "backend",
    "constraints",
    "dtypes",
    "errors",
    "initializers",
    "losses",
    "metrics",
    "mixed_precision",
    "optimizers",
    "registry",
    "regularizers",
    "schedules",
    "version",
    "utils.naming",
    "utils.tensors",
    "saving.atomic",  # atomic file writes: used by callbacks that write files too
    "saving.object_registration",
    "saving.serialization",
    "saving.keras_layers",
}
SAVING_FILES = {"saving.native", "saving.keras_files", "saving.archives"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imports(tree: ast.AST, here: str, is_package: bool):
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, []
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = here.split(".") if is_package else here.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                yield base, [alias.name for alias in child.names]
            stack.append(child)


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, names in _imports(tree, name, path.name == "__init__.py"):
            hits = {f"{target}.{n}" for n in names if f"{target}.{n}" in files}
            if target in files and len(hits) < len(names or [None]):
                hits.add(target)
            graph[name] |= hits - {name}
    return graph


GRAPH = import_graph()


def short(name: str) -> str:
    return name.removeprefix("kerastorch.")


def test_no_import_cycle():
    seen: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for target in sorted(GRAPH[node]):
            if seen.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in seen:
                visit(target, [*path, target])
        seen[node] = 2

    for node in sorted(GRAPH):
        if node not in seen:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(map(short, c)) for c in cycles)


FOLDER_LEVELS = {"layers": 1, "models": 2, "training": 3, "callbacks": 4}
PACKAGES = {"kerastorch", "kerastorch.layers", "kerastorch.models", "kerastorch.saving"}
PACKAGES |= {"kerastorch.training", "kerastorch.callbacks", "kerastorch.utils"}
# Checked by the training refactor (branch arch-training), which owns these modules.
NOT_CHECKED_HERE = ("training", "callbacks", "distribute")


def _level(name: str) -> int | None:
    """0 bottom, 1 layers, 2 models, 3 training, 4 callbacks, 5 file formats and export; a
    package ``__init__`` ranks as its folder."""
    name = short(name)
    if name in BOTTOM or name.split(".")[0] == "utils":
        return 0
    if name.split(".")[0] in FOLDER_LEVELS:
        return FOLDER_LEVELS[name.split(".")[0]]
    if name == "distribute":
        return 3
    if name in SAVING_FILES or name in ("saving", "export"):
        return 5
    return None  # the kerastorch package itself (re-exports everything), port.py (a tool)


def _checked(module: str) -> bool:
    """Package ``__init__`` files re-export (they sit on top of their folder); the training side
    is checked by its own refactor; the package itself and port.py are not ranked."""
    return (
        module not in PACKAGES
        and short(module).split(".")[0] not in NOT_CHECKED_HERE
        and _level(module) is not None
    )


@pytest.mark.parametrize("module", sorted(filter(_checked, GRAPH)))
def test_imports_go_down_only(module):
    here = _level(module)
    upward = sorted(
        short(target)
        for target in GRAPH[module]
        if (_level(target) or 0) > here and (module, target) not in DELEGATION
    )
    assert not upward, f"{short(module)} (level {here}) imports upward: {upward}"


def test_saving_never_imports_a_layer_or_a_model():
    # Classes are found by name through saving/object_registration.py (NOTE [safe
    # deserialization]): a new model or layer class plugs in without editing saving/.
    for module, targets in GRAPH.items():
        if short(module).startswith("saving."):
            bad = [t for t in targets if short(t).startswith(("layers", "models", "training"))]
            assert not bad, f"{short(module)} imports {sorted(map(short, bad))}"


def test_layers_import_no_sibling_layer_for_helpers():
    # Family helpers live in layers/arguments.py and layers/conv_utils.py; a layer module may
    # import the base, those, and a layer class it wraps (Bidirectional wraps RecurrentLayer, RNN
    # wraps the cells of rnn_cells).
    # A family with a package of its own (layers/attention/) is one family: its modules may
    # import each other.
    allowed = {"layers.base", "layers.arguments", "layers.conv_utils", "layers.recurrent"}
    allowed.add("layers.rnn_cells")
    packages = {short(m) for m in GRAPH if (ROOT / short(m).replace(".", "/")).is_dir()}
    for module, targets in GRAPH.items():
        if short(module).startswith("layers.") and short(module) != "layers":
            family = next(
                (p for p in packages if p != "layers" and short(module).startswith(p)), None
            )
            own = {short(t) for t in targets if family and short(t).startswith(family)}
            siblings = {short(t) for t in targets if short(t).startswith("layers.")} - own
            assert siblings <= allowed, f"{short(module)} imports {sorted(siblings - allowed)}"
    assert "kerastorch.layers.recurrent" in GRAPH["kerastorch.layers.wrappers"]


# -- one snake_case ----------------------------------------------------------------------------


def test_one_snake_case_equal_to_keras(keras):
    from keras.src.utils.naming import to_snake_case

    from kerastorch import layers, losses, metrics, optimizers
    from kerastorch.utils.naming import snake_case

    names = {"Conv1D", "Conv1DTranspose", "MyModel2D", "HTTPServer", "Top5Accuracy", "IoU"}
    for module in (layers, losses, metrics, optimizers):
        names |= {n for n, obj in vars(module).items() if inspect.isclass(obj)}
    for name in sorted(names):
        assert snake_case(name) == to_snake_case(name), name
    sources = "\n".join(p.read_text() for p in ROOT.rglob("*.py"))
    assert len(re.findall(r"def \w*snake_case\(", sources)) == 1

    # Default names follow it: a loss class named like a 1D layer gets Keras's name.
    class Top1D(losses.Loss):
        def call(self, y_true, y_pred):
            return y_pred

    assert Top1D().name == to_snake_case("Top1D") == "top1d"
