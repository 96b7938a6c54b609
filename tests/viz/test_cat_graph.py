"""The course's cat graph: the drawing, the explorer, explain mode and the closed-form report show the
course's dZ, dA, dW, db; the drawing fits a screen with readable text.

The numbers shown are checked against the course's forward and backward pass written in plain NumPy."""

import io
import re

import numpy as np
import pytest

import nn
import viz
from tinygrad_nb import Tensor
from viz import rendering


# ----- the course's numbers, by hand --------------------------------------------------------------------------------
def cat_model_and_cost():
    """The course's cat model [12288, 20, 7, 5, 1] on m = 209 examples, with backward run (graph kept)."""
    model = nn.MLP([12288, 20, 7, 5, 1], rng=np.random.RandomState(1))
    rng = np.random.RandomState(0)
    X, Y = rng.rand(12288, 209), (rng.rand(1, 209) > 0.5) * 1.0
    J = nn.binary_cross_entropy(model(Tensor(X, name="X")), Y)
    J.backward(retain_graph=True)
    return model, X, Y, J


@pytest.fixture(scope="module")
def cat():
    return cat_model_and_cost()


def by_hand(params, X, Y):
    """The course's forward and backward pass in plain NumPy (relu hidden layers, sigmoid output)."""
    L, m = 4, X.shape[1]
    A, Z = {0: X}, {}
    for l in range(1, L + 1):
        Z[l] = params[f"W{l}"] @ A[l - 1] + params[f"b{l}"]
        A[l] = np.maximum(0, Z[l]) if l < L else 1 / (1 + np.exp(-Z[l]))
    grads = {f"dA{L}": -(Y / A[L] - (1 - Y) / (1 - A[L]))}
    dZ = A[L] - Y
    for l in range(L, 0, -1):
        if l < L:
            dZ = grads[f"dA{l}"] * (Z[l] > 0)
        grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = dZ @ A[l - 1].T / m
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        grads[f"dA{l - 1}"] = params[f"W{l}"].T @ dZ
    return {k: float(np.linalg.norm(v)) for k, v in grads.items()}


@pytest.fixture(scope="module")
def course_norms(cat):
    model, X, Y, _ = cat
    return by_hand({k: np.array(v, dtype=np.float64) for k, v in model.state_dict().items()}, X, Y)


SHOWN = ("dZ4", "dA3", "dW4", "db4", "dZ1", "dA1", "dW1")


def test_the_drawing_shows_the_courses_dZ_dA_dW_db(cat, course_norms):
    src = viz.draw_graph(cat[3], show="both").source
    for name in SHOWN:
        shown = float(re.search(rf'label="{name}\|[^"]*\\\|\\\|{name}\\\|\\\| = ([0-9.e+-]+)"', src).group(1))
        assert shown == pytest.approx(course_norms[name], rel=5e-3), name
    assert "m = 209 examples" in src and "dZ = m" in src  # the convention, stated in the legend


def test_the_explorer_shows_the_same_numbers(cat, course_norms):
    data = viz.explore(cat[3]).data
    tensors = {t["name"]: t for t in data["tensors"].values()}
    for name in SHOWN:
        assert tensors[name[1:]]["grad"]["norm"] == pytest.approx(course_norms[name], rel=1e-4), name
    assert tensors["Z4"]["grad_scale"] == 209 and tensors["W4"]["grad_scale"] == 1
    steps = "\n".join(line for s in data["steps"] if s["pass"] == "backward" for line in s["lines"])
    shown = float(re.search(r"dZ4 = .*\|\|dZ4\|\| = ([0-9.e+-]+)", steps).group(1))
    assert shown == pytest.approx(course_norms["dZ4"], rel=5e-3)
    assert "m = 209 examples" in data["course_note"]


def test_explain_mode_prints_the_same_numbers(cat, course_norms):
    model, X, Y, _ = cat
    out = io.StringIO()
    nn.binary_cross_entropy(model(Tensor(X, name="X")), Y).backward(explain=out)
    text = out.getvalue()
    assert "dZ = m * dJ/dZ" in text.splitlines()[0]
    printed = dict(re.findall(r"\|\|(d\w+)\|\| = ([0-9.e+-]+)", text))
    for name in SHOWN + ("dA4",):
        assert float(printed[name]) == pytest.approx(course_norms[name], rel=5e-3), name


def test_the_closed_form_report_shows_the_same_numbers(cat, course_norms):
    model, X, Y, _ = cat
    report = nn.check_against_closed_form(model, X, Y, verbose=False)
    for name in SHOWN:
        assert report.norms[name] == pytest.approx(course_norms[name], rel=1e-6), name


# ----- 2. a drawing that fits a screen -------------------------------------------------------------------------------
def svg_size_px(svg: str) -> tuple[float, float]:
    w, h = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(w) * 4 / 3, float(h) * 4 / 3  # CSS pixels: 96 per inch, 72 points per inch


@pytest.mark.skipif(not rendering.renderer_available(), reason="no Graphviz renderer (dot or pygraphviz)")
def test_the_cat_graph_fits_a_screen_with_readable_text(cat):
    g = viz.draw_graph(cat[3], show="both")
    svg = rendering.svg_text(g)
    width, height = svg_size_px(svg)
    assert width <= 1600 and height <= 1800, (width, height)  # was 4241 x 2120 px
    sizes = {float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)}
    assert min(sizes) >= 11, sizes  # was 9 pt
    assert "cluster_legend" not in g.source and "legend_" not in g.source  # the legend is beside the title
    assert re.search(r"graph \[[^\]]*label=<<table", g.source)


def test_cache_edges_are_light_and_optional(cat):
    with_caches = viz.draw_graph(cat[3], show="both").source
    dotted = re.findall(r"\[([^\]]*style=dotted[^\]]*)\]", with_caches)
    assert dotted and all('color="#cbd5e1"' in attrs and "penwidth=0.8" in attrs for attrs in dotted)
    assert "style=dotted" not in viz.draw_graph(cat[3], show="both", caches=False).source


def test_the_explorer_draws_the_same_drawing(cat):
    from viz.explorer import drawn_ids

    g = viz.draw_graph(cat[3], show="both")
    assert set(viz.explore(cat[3]).data["svg"]) <= drawn_ids(g.source)
