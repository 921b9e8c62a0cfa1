"""The docs pages are runnable: every ```python block of every page under docs/ (the API reference
aside, which is made of docstrings, run as doctests) runs, in order, in one namespace per page.

A block that cannot run here (it needs CUDA, several processes, or only sketches a fragment) is
preceded by ``<!-- skip: reason -->``. The pages' blocks assert the values they show, so a page
that drifts from the library fails here.
"""

import linecache
import re
import textwrap
import warnings
from pathlib import Path

import pytest
import torch

import kerastorch
from kerastorch import distribute, mixed_precision

SOURCE_ROOT = Path(kerastorch.__file__).resolve().parents[1]
DOCS = SOURCE_ROOT / "docs"
# A fence may be indented (a block inside a list item); an HTML comment right before it applies.
BLOCK = re.compile(
    r"(?:<!-- (skip): (.*?) -->\n)?(?:<!-- test: [\w-]+ -->\n)?[ \t]*```python\n(.*?)^[ \t]*```",
    re.S | re.M,
)

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="the docs are not installed")


def guide_pages() -> list[Path]:
    if not DOCS.is_dir():
        return []
    return sorted(p for p in DOCS.rglob("*.md") if "api" not in p.relative_to(DOCS).parts)


def python_blocks(page: Path) -> list[tuple[int, str, str | None]]:
    """(line number, code, skip reason or None) of each ```python block of ``page``."""
    text = page.read_text()
    return [
        (
            text.count("\n", 0, m.start(3)) + 1,
            textwrap.dedent(m.group(3)),
            m.group(2) if m.group(1) else None,
        )
        for m in BLOCK.finditer(text)
    ]


@pytest.fixture
def clean_globals():
    """Pages may switch process-wide settings (a precision policy, a distribution); undo them."""
    yield
    mixed_precision.set_global_policy("float32")
    distribute.set_distribution(None)


@pytest.mark.parametrize("page", guide_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_runs(page, tmp_path, monkeypatch, clean_globals):
    monkeypatch.chdir(tmp_path)  # pages write files (model.kt, run/log.csv): into a fresh folder
    namespace = {"__name__": "__docs__"}
    blocks = python_blocks(page)
    for line, code, skip in blocks:
        if skip is not None:
            continue
        with warnings.catch_warnings():
            # torch's own deprecation notices (torch.jit, the TorchScript ONNX exporter) are not
            # the page's to fix; every other warning stays an error, as in the whole suite.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch")
            warnings.filterwarnings("ignore", category=FutureWarning, module="torch")
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            name = f"docs/{page.relative_to(DOCS)}, block at line {line}"
            # Tracebacks then show the page's own lines.
            linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
            exec(compile(code, name, "exec"), namespace)


def test_skipped_blocks_say_why():
    for page in guide_pages():
        for line, _, skip in python_blocks(page):
            assert skip is None or len(skip.split()) >= 3, (
                f"{page.relative_to(DOCS)}:{line}: a skipped block needs a reason "
                "(<!-- skip: why this block cannot run in the tests -->)"
            )


def test_every_guide_has_runnable_code():
    pages = guide_pages()
    assert len(pages) >= 10
    for page in pages:
        if page.name == "index.md":
            continue
        runnable = [code for _, code, skip in python_blocks(page) if skip is None]
        assert runnable, f"{page.relative_to(DOCS)} has no block that the tests run"
