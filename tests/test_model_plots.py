"""plot_model / model_to_dot: the DOT text is Keras's own (compared with keras.utils.model_to_dot
on the same models), the rendered SVG holds the layer names and shapes, and missing pydot or
graphviz raises ImportError with the install line, as Keras does.

Needs pydot (the ``test`` extra installs it) and, to render, graphviz's ``dot`` program
(``apt-get install graphviz``; .ci/run installs it); tests that need one skip with the reason
when it is missing.
"""

from __future__ import annotations

import re
import shutil
import sys

import pytest

import kerastorch
from kerastorch import layers
from kerastorch.utils import model_visualization

pydot = pytest.importorskip(
    "pydot", reason="pydot is not installed: pip install 'kerastorch-lib[plot]'"
)
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="graphviz's dot program is not installed (apt-get install graphviz)",
)

OPTIONS = [
    {},
    {"show_shapes": True},
    {"show_shapes": True, "show_dtype": True, "show_layer_names": False},
    {"show_layer_activations": True, "show_trainable": True, "rankdir": "LR"},
]


def _normalized(dot) -> str:
    """The DOT text with node ids (Python object ids) replaced by their order of appearance."""
    text = dot.to_string()
    ids: dict[str, str] = {}
    return re.sub(r"\b\d{6,}\b", lambda m: ids.setdefault(m.group(0), f"n{len(ids)}"), text)


def _sequential(lib):
    return lib.Sequential(
        [
            lib.Input((12, 1)),
            lib.layers.Conv1D(4, 3, name="conv"),
            lib.layers.LSTM(5, name="lstm"),
            lib.layers.Dense(2, activation="relu", name="head"),
        ],
        name="seq",
    )


def _functional(lib):
    prices = lib.Input((None, 3), name="prices")
    sector = lib.Input((4,), name="sector")
    encoded = lib.layers.LSTM(6, name="encoder")(prices)
    embedded = lib.layers.Dense(2, name="sector_dense")(sector)
    merged = lib.layers.Concatenate(name="merge")([encoded, embedded])
    frozen = lib.layers.Dense(3, name="frozen")
    frozen.trainable = False
    outputs = lib.layers.Dense(1, activation="sigmoid", name="out")(frozen(merged))
    return lib.Model([prices, sector], outputs, name="forecaster")


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "defaults")
@pytest.mark.parametrize("build", [_sequential, _functional], ids=["sequential", "functional"])
def test_model_to_dot_writes_keras_dot(keras, build, options):
    ours = kerastorch.utils.model_to_dot(build(kerastorch), **options)
    theirs = keras.utils.model_to_dot(build(keras), **options)
    assert _normalized(ours) == _normalized(theirs)


def test_expand_nested_draws_the_inner_model_as_a_cluster(keras):
    def build(lib):
        inner = lib.Sequential(
            [lib.Input((4,)), lib.layers.Dense(3, name="a"), lib.layers.Dense(2, name="b")],
            name="inner",
        )
        x = lib.Input((4,), name="x")
        return lib.Model(x, lib.layers.Dense(1, name="top")(inner(x)), name="outer")

    ours = kerastorch.utils.model_to_dot(build(kerastorch), expand_nested=True, show_shapes=True)
    theirs = keras.utils.model_to_dot(build(keras), expand_nested=True, show_shapes=True)
    assert _normalized(ours) == _normalized(theirs)
    assert "subgraph cluster_inner" in ours.to_string()


@needs_dot
@pytest.mark.parametrize("suffix", ["svg", "png", "pdf"])
def test_plot_model_renders_the_file(tmp_path, suffix):
    path = tmp_path / "plots" / f"model.{suffix}"
    result = kerastorch.utils.plot_model(
        _functional(kerastorch), to_file=path, show_shapes=True, show_layer_names=True
    )
    assert result is None or suffix != "pdf"  # an IPython Image only when IPython is there
    data = path.read_bytes()
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[suffix]
    assert data.startswith(magic)
    if suffix == "svg":
        text = data.decode("utf-8")
        for name in ("prices", "encoder", "merge", "out"):
            assert f">{name}</text>" in text
        assert "(None, None, 3)" in text and "(None, 8)" in text and "(None, 1)" in text
        assert text.count('class="node"') == 7 and text.count('class="edge"') == 6


def test_plot_model_without_pydot_raises_import_error_with_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"pip install pydot"):
        kerastorch.utils.plot_model(_sequential(kerastorch))


def test_plot_model_without_graphviz_raises_import_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program to be found
    assert not model_visualization.check_graphviz()
    with pytest.raises(ImportError, match="install graphviz"):
        kerastorch.utils.plot_model(_sequential(kerastorch), to_file=tmp_path / "m.png")


def test_plot_model_refuses_an_unbuilt_model():
    with pytest.raises(ValueError, match="not yet been built"):
        kerastorch.utils.plot_model(kerastorch.Sequential([layers.Dense(2)]))
