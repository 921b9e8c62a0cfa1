"""The API reference covers the public API: every name a public module exports (its ``__all__``)
has a docstring and an entry (``::: kerastorch.module.Name``) on a page of docs/api/, and every
documented argument list (a Google-style ``Args:`` section) names exactly the signature's
arguments. ``fit``, ``compile``, ``evaluate`` and ``predict`` document every argument.
"""

import ast
import functools
import importlib
import inspect
import itertools
import re
import types
from pathlib import Path

import pytest

import kerastorch
from kerastorch.models import Model

SOURCE_ROOT = Path(kerastorch.__file__).resolve().parents[1]
API_PAGES = SOURCE_ROOT / "docs" / "api"
PACKAGE = Path(kerastorch.__file__).resolve().parent

pytestmark = pytest.mark.skipif(not API_PAGES.is_dir(), reason="the docs are not installed")


def public_modules() -> list[tuple[str, types.ModuleType]]:
    """``(path, module)``: kerastorch, each module its ``__all__`` exports, and
    kerastorch.optimizers.schedules (Keras's path to the schedules)."""
    modules = [("kerastorch", kerastorch)]
    for name in kerastorch.__all__:
        if isinstance(getattr(kerastorch, name), types.ModuleType):
            modules.append((f"kerastorch.{name}", getattr(kerastorch, name)))
    modules.append(("kerastorch.optimizers.schedules", kerastorch.optimizers.schedules))
    return modules


def public_names() -> list[tuple[str, str, object]]:
    return [
        (path, name, getattr(module, name))
        for path, module in public_modules()
        for name in module.__all__
    ]


def page_entries() -> dict[str, str]:
    """``{dotted path: page}`` for every ``::: dotted.path`` line of docs/api/*.md."""
    entries = {}
    for page in sorted(API_PAGES.glob("*.md")):
        for path in re.findall(r"^::: ([\w.]+)\s*$", page.read_text(), re.M):
            entries[path] = page.name
    return entries


def resolve(path: str) -> object:
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for part in parts[split:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(path)


def docstring(obj) -> str | None:
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__")  # its own, not a base class's
    return obj.__doc__


@functools.cache
def names_with_attribute_docstrings() -> frozenset[str]:
    """Names that a module of kerastorch assigns at top level, followed by a string."""
    names = set()
    for source in PACKAGE.rglob("*.py"):
        body = ast.parse(source.read_text()).body
        for statement, following in itertools.pairwise(body):
            if isinstance(following, ast.Expr) and isinstance(
                getattr(following.value, "value", None), str
            ):
                targets = (
                    [statement.target]
                    if isinstance(statement, ast.AnnAssign)
                    else getattr(statement, "targets", [])
                )
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


ENTRY = re.compile(r"(\*{0,2}\w+)(?:\s*\([^)]*\))?:(?:\s|$)")


def documented_arguments(doc: str) -> list[str] | None:
    """The names of a Google-style ``Args:`` section, or None when there is no such section."""
    lines = inspect.cleandoc(doc).splitlines()
    for number, line in enumerate(lines):
        if line.strip() not in ("Args:", "Arguments:"):
            continue
        base = len(line) - len(line.lstrip())
        names, indent = [], None
        for entry in lines[number + 1 :]:
            if not entry.strip():
                continue
            depth = len(entry) - len(entry.lstrip())
            if depth <= base:
                break
            indent = depth if indent is None else indent
            if depth == indent:
                match = ENTRY.match(entry.strip())
                names.append(match.group(1) if match else f"<unreadable: {entry.strip()}>")
        return names
    return None


def signature_arguments(obj) -> list[str]:
    names = []
    for parameter in inspect.signature(obj).parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            names.append(f"*{parameter.name}")
        elif parameter.kind is parameter.VAR_KEYWORD:
            names.append(f"**{parameter.name}")
        else:
            names.append(parameter.name)
    return names


def argument_mismatch(obj) -> str | None:
    """What differs between ``obj``'s ``Args:`` section and its signature (None: they agree).

    Every named argument is documented; ``*args`` / ``**kwargs`` may be (they often carry the
    base class's arguments), and nothing else is."""
    documented = documented_arguments(docstring(obj) or "")
    if documented is None:
        return None
    actual = signature_arguments(obj)
    missing = [a for a in actual if not a.startswith("*") and a not in documented]
    unknown = [a for a in documented if a not in actual]
    if missing or unknown:
        return f"undocumented {missing}, documented but not in the signature {unknown}"
    return None


def test_public_modules_are_the_package_modules():
    names = [path for path, _ in public_modules()]
    for expected in (
        "kerastorch.layers",
        "kerastorch.models",
        "kerastorch.ops",
        "kerastorch.utils",
    ):
        assert expected in names
    assert len(public_names()) > 500


def test_every_public_name_has_a_docstring():
    missing = []
    for module, name, obj in public_names():
        if isinstance(obj, types.ModuleType) or inspect.isclass(obj) or callable(obj):
            if not (docstring(obj) or "").strip():
                missing.append(f"{module}.{name}")
        elif name not in names_with_attribute_docstrings():  # a constant: a string right after it
            missing.append(f"{module}.{name}")
    assert not missing, f"public names without a docstring: {missing}"


def test_every_public_name_has_a_page():
    entries = page_entries()
    documented = {id(resolve(path)) for path in entries}
    missing = []
    for module, name, obj in public_names():
        if isinstance(obj, types.ModuleType):
            continue  # its names are checked one by one
        if f"{module}.{name}" not in entries and id(obj) not in documented:
            missing.append(f"{module}.{name}")
    assert not missing, (
        f"public names on no page of docs/api/ (add '::: module.Name' lines): {missing}"
    )


def test_every_page_entry_resolves_to_a_public_name():
    public = {f"{module}.{name}" for module, name, _ in public_names()}
    stray = [path for path in page_entries() if path not in public]
    assert not stray, f"docs/api/ entries that are not public names: {stray}"


def test_documented_arguments_match_the_signatures():
    mismatches = []
    for module, name, obj in public_names():
        if inspect.isclass(obj) or inspect.isfunction(obj):
            problem = argument_mismatch(obj)
            if problem:
                mismatches.append(f"{module}.{name}: {problem}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("method", ["compile", "fit", "evaluate", "predict"])
def test_training_api_documents_every_argument(method):
    function = getattr(Model, method)
    documented = documented_arguments(function.__doc__)
    assert documented is not None, f"Model.{method} has no Args: section"
    assert documented == signature_arguments(function)[1:]  # in the signature's order, no self


def test_the_check_catches_a_stale_argument():
    def scale(x, factor=2.0):
        """Multiply.

        Args:
            x: The value.
            factr: A typo of the argument's name.
        """
        return x * factor

    assert argument_mismatch(scale) == (
        "undocumented ['factor'], documented but not in the signature ['factr']"
    )
