"""The built docs site: its search index holds the API (``Sequential``, ``LSTM``, ``fit``), and the
home page and an API page render with the navigation and the search box.

Reads the site that ``.ci/run`` builds (``KERASTORCH_SITE_DIR``); otherwise builds one with
``mkdocs build --strict`` when the docs extra is installed (``pip install -e '.[docs]'``).
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kerastorch

SOURCE_ROOT = Path(kerastorch.__file__).resolve().parents[1]
HAS_MKDOCS = importlib.util.find_spec("mkdocs") is not None
BUILD_TIMEOUT = 900  # seconds: the API pages take a minute on a busy 2-core machine


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    given = os.environ.get("KERASTORCH_SITE_DIR")
    if given:
        return Path(given)
    if not HAS_MKDOCS or not (SOURCE_ROOT / "mkdocs.yml").is_file():
        pytest.skip("the docs extra is not installed (pip install -e '.[docs]')")
    folder = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=SOURCE_ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


@pytest.fixture(scope="module")
def search_index(site) -> list[dict]:
    return json.loads((site / "search" / "search_index.json").read_text())["docs"]


def test_search_index_holds_the_api(search_index):
    locations = {entry["location"] for entry in search_index}
    assert "api/models/#kerastorch.models.Sequential" in locations
    assert "api/layers/#kerastorch.layers.LSTM" in locations
    assert "api/models/#kerastorch.models.Model.fit" in locations
    fit = next(e for e in search_index if e["location"].endswith("kerastorch.models.Model.fit"))
    assert "validation_split" in fit["text"]  # the arguments are documented, not a pointer


def test_search_index_holds_the_guides(search_index):
    titles = {entry["title"] for entry in search_index if "#" not in entry["location"]}
    for title in ("Getting started", "Coming from Keras", "Coming from PyTorch", "Speed"):
        assert title in titles


@pytest.mark.parametrize(
    ("page", "links"),
    [
        ("index.html", ["guides/getting-started/", "api/models/"]),
        ("api/layers/index.html", ["../../guides/getting-started/", "../models/"]),
    ],
)
def test_pages_have_navigation_and_search(site, page, links):
    html = (site / page).read_text()
    assert 'class="md-nav' in html  # Material's navigation
    assert "md-search__input" in html  # the search box
    for link in links:  # the navigation reaches the guides and the other API pages
        assert f'href="{link}"' in html
