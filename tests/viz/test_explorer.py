"""viz.explore / viz.save_html: the page's content and structure, checked without a browser.

The page's numbers are checked against NumPy and the engine (``.grad`` after backward, the hooks'
order, explain mode's printout), never against the page's own code; tests/viz/test_explorer_browser.py
drives the page in a real browser.
"""

import html
import io
import json
import re
import warnings

import numpy as np
import pytest
from test_public_api import watch_private_reads

import nn
import viz
import viz.explorer
from tinygrad_nb import GraphFreedError, Tensor
from viz.explorer_history import history_data
from viz.explorer_page import CSP
from viz.graph import walk

pytestmark = pytest.mark.skipif(not viz.rendering.renderer_available(),
                                reason="needs Graphviz: the dot program or pygraphviz (the render extra)")


# ----- graphs and the engine's own record of them (shared with the browser test) ----------------------------------
def small_cost(hidden: str = "relu") -> tuple[nn.Module, Tensor]:
    """J of an MLP [3, 4, 2, 1] on m = 5 examples (graph kept, backward not run)."""
    model = nn.MLP([3, 4, 2, 1], hidden=hidden, rng=0)
    X = Tensor(np.random.RandomState(1).randn(3, 5), name="X")
    return model, nn.binary_cross_entropy(model(X), np.array([[0, 1, 1, 0, 1.0]]))


def cat_cost() -> Tensor:
    """The course's 4-layer cat model [12288, 20, 7, 5, 1] on a random batch of m = 209 (as readme_figures.py)."""
    cat = nn.MLP([12288, 20, 7, 5, 1], rng=np.random.RandomState(1))
    rng = np.random.RandomState(0)
    return nn.binary_cross_entropy(cat(Tensor(rng.rand(12288, 209), name="X")), (rng.rand(1, 209) > 0.5) * 1.0)


def engine_order(J: Tensor) -> list[str]:
    """The drawing's keys (t5, ...) of the recorded results in the order the engine's backward() finishes them,
    seen by hooks on a real ``J.backward(retain_graph=True)`` (call it after the page is made)."""
    key_of = {id(n.tensor): n.key for n in walk(J)}
    order: list[str] = []
    removers = [n.tensor.register_hook(lambda g, t=n.tensor: order.append(key_of[id(t)]))
                for n in walk(J) if n.tensor.op is not None]
    J.backward(retain_graph=True)
    for remove in removers:
        remove()
    return order


def forward_order(J: Tensor) -> list[str]:
    """The keys of the recorded results in creation order (the forward pass)."""
    recorded = [n for n in walk(J) if n.tensor.op is not None]
    return [n.key for n in sorted(recorded, key=lambda n: n.tensor.creation_order)]


def page_json(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page, re.S)
    assert match, "the page has no data element"
    return json.loads(match.group(1))


def by_name(data: dict, name: str) -> dict:
    [t] = [t for t in data["tensors"].values() if t["name"] == name]
    return t


@pytest.fixture(scope="module")
def small():
    model, J = small_cost()
    return model, J, viz.explore(J)


# ----- self-contained ---------------------------------------------------------------------------------------------
def test_the_page_is_one_self_contained_file_that_asks_for_nothing(small):
    page = small[2].html
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert CSP == "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
    urls = set(re.findall(r"""https?://[^\s"'<>)]+""", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls  # namespaces, never fetched
    for fetching in ("<link", " src=", "url(", "@import", "fetch(", "XMLHttpRequest", "WebSocket", "import(",
                     "<iframe", "sendBeacon", "EventSource"):
        assert fetching not in page, fetching
    assert page.count("<script") == 2 and page.count("<style>") == 1
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert len(re.findall(r'<g id="node\d+" class="node">', page)) > 30  # the Graphviz drawing, inline


def test_the_data_in_the_page_is_what_explore_returns_and_survives_hostile_names():
    W = Tensor(np.ones((2, 2)), requires_grad=True, name="</script><script>alert(1)</script>")
    J = (W * 2.0).sum()
    page = viz.explore(J).html
    assert page.count("<script") == 2  # the name could not close the data element or open a script
    data = page_json(page)
    assert by_name(data, "</script><script>alert(1)</script>")["shape"] == [2, 2]


def test_explore_data_round_trips_through_the_page(small):
    assert page_json(small[2].html) == json.loads(json.dumps(small[2].data))


# ----- what the panel shows ---------------------------------------------------------------------------------------
def test_each_tensor_has_its_course_name_shape_dtype_op_and_forward_formula(small):
    _, J, ex = small
    data = ex.data
    names = {t["name"] for t in data["tensors"].values()}
    assert {"X", "W1", "b1", "Z1", "A1", "W2", "Z2", "A2", "W3", "Z3", "A3", "J", "Y"} <= names
    W2, Z2, A1, J_ = by_name(data, "W2"), by_name(data, "Z2"), by_name(data, "A1"), by_name(data, "J")
    assert (W2["shape"], W2["kind"], W2["op"], W2["dtype"], W2["layer"]) == ([2, 4], "parameter", None, "float64", 2)
    assert (Z2["op"], Z2["forward"], Z2["shape"]) == ("linear", "Z2 = W2 A1 + b2", [2, 5])
    assert A1["forward"] == "A1 = relu(Z1) = max(0, Z1)" and A1["kind"] == "intermediate"
    assert J_["kind"] == "output" and J_["forward"] == "J = -1/m sum(Y log A3 + (1-Y) log(1-A3))"
    assert by_name(data, "X")["kind"] == "input" and by_name(data, "X")["grad"] is None


def test_gradient_formulas_are_explain_modes_lines_in_its_order(small):
    _, J, ex = small
    printed = io.StringIO()
    J.backward(retain_graph=True, explain=printed)
    explained = [" ".join(line.split()) for line in printed.getvalue().splitlines()[1:]]
    shown = [" ".join(line.split()) for s in ex.data["steps"] if s["pass"] == "backward" for line in s["lines"]]
    assert shown == explained
    assert by_name(ex.data, "W2")["grad_lines"] == [{"step": 5, "text": "dW2 = 1/m dZ2 A1^T", "op": "linear",
                                                     "of": "Z2"}]
    assert any(line.startswith("dW2 = 1/m dZ2 A1^T (2, 4) ||dW2|| = ") for line in explained)


def test_each_gradient_names_the_backward_step_that_made_it_in_the_engines_order():
    model, J = small_cost()
    data = viz.explore(J).data
    order = engine_order(J)  # the keys whose backward the engine ran, in its order (hooks on a real backward)
    for t in data["tensors"].values():
        if t["kind"] in ("parameter", "intermediate") and t["requires_grad"]:
            assert t["grad_lines"], t["name"]
        for line in t["grad_lines"]:
            made_by = order[line["step"] - 1]  # step k is the k-th node the engine ran backward through
            assert (line["of"], line["op"]) == (data["tensors"][made_by]["name"], data["tensors"][made_by]["op"])
    W1 = model.parameters()[0]
    w1_key = next(k for k, t in data["tensors"].items() if t["name"] == W1.name)
    [line] = data["tensors"][w1_key]["grad_lines"]
    assert w1_key in data["tensors"][order[line["step"] - 1]]["inputs"]  # dW1 comes from the op W1 feeds: Z1's


def test_statistics_are_those_of_the_value_and_of_the_gradient_backward_computes(small):
    model, J, ex = small
    model.zero_grad()  # other tests ran backward on this graph too
    J.backward(retain_graph=True)
    for name in ("W1", "b1", "W2", "W3", "b3"):
        t = next(n.tensor for n in walk(J) if n.tensor.name == name)
        shown = by_name(ex.data, name)
        g = t.grad.data
        for stat, want in (("min", g.min()), ("mean", g.mean()), ("max", g.max()), ("norm", np.linalg.norm(g)),
                           ("zeros", (g == 0).mean())):
            assert shown["grad"][stat] == pytest.approx(want, rel=1e-4, abs=1e-12), (name, stat)
        assert sum(shown["grad"]["hist"]["counts"]) == g.size
        assert shown["value"]["norm"] == pytest.approx(np.linalg.norm(t.data), rel=1e-4)
    A1 = next(n.tensor for n in walk(J) if n.tensor.name == "A1")
    assert by_name(ex.data, "A1")["value"]["zeros"] == pytest.approx((A1.data == 0).mean(), rel=1e-4)


def test_a_relu_layer_reports_its_dead_units():
    model, _ = small_cost()
    params = {name.split(".")[-1]: p for name, p in model.named_parameters()}
    params["W1"].data[1:3] = 0.0
    params["b1"].data[1:3] = -1.0  # units 2 and 3 of layer 1: Z1 = -1 < 0 for every example
    J = nn.binary_cross_entropy(model(Tensor(np.random.RandomState(1).randn(3, 5), name="X")),
                                np.array([[0, 1, 1, 0, 1.0]]))
    data = viz.explore(J).data
    A1 = by_name(data, "A1")["value"]
    assert (A1["dead_units"], A1["units"], A1["dead"]) == (2, 4, 0.5)
    assert "dead" not in by_name(data, "Z1")["value"]  # only a ReLU output has units to die


# ----- the steps --------------------------------------------------------------------------------------------------
def test_steps_walk_the_forward_pass_in_creation_order_then_backward_in_the_engines_order(small):
    _, J, ex = small
    steps = ex.data["steps"]
    forward = [s["tensor"] for s in steps if s["pass"] == "forward"]
    backward = [s["tensor"] for s in steps if s["pass"] == "backward"]
    assert [s["pass"] for s in steps] == ["forward"] * len(forward) + ["backward"] * len(backward)
    assert forward == forward_order(J)
    assert backward == engine_order(J)
    assert [s["number"] for s in steps] == list(range(1, len(forward) + 1)) + list(range(1, len(backward) + 1))


def test_each_step_highlights_the_op_the_tensors_it_reads_and_the_gradients_it_sends(small):
    _, J, ex = small
    nodes = {n.key: n for n in walk(J)}
    Z2 = next(k for k, n in nodes.items() if n.tensor.name == "Z2")
    W2, A1, b2 = (p.key for p in nodes[Z2].inputs)
    fwd = next(s for s in ex.data["steps"] if s["pass"] == "forward" and s["tensor"] == Z2)
    assert (fwd["current"], fwd["reads"], fwd["sends"]) == ([f"op_{Z2}"], [W2, A1, b2], [Z2])
    back = next(s for s in ex.data["steps"] if s["pass"] == "backward" and s["tensor"] == Z2)
    assert back["current"] == [f"dop_{Z2}"]
    assert back["reads"] == [f"d_{Z2}", W2, A1, b2]  # dZ2 and the caches W2, A1, b2
    assert sorted(back["sends"]) == sorted([f"d_{W2}", f"d_{A1}", f"d_{b2}"])
    drawn = set(ex.data["svg"])
    for s in ex.data["steps"]:
        assert set(s["current"] + s["reads"] + s["sends"]) <= drawn


@pytest.mark.parametrize("show", ["forward", "backward"])
def test_one_pass_views_keep_every_step_and_light_only_what_is_drawn(show):
    _, J = small_cost()
    ex = viz.explore(J, show=show)
    drawn = viz.explorer.drawn_ids(viz.draw_graph(J, show=show).source)
    assert len(ex.data["steps"]) == 14 and set(ex.data["svg"]) <= drawn
    lit = [i for s in ex.data["steps"] for i in s["current"] + s["reads"] + s["sends"]]
    assert lit and set(lit) <= drawn
    roles = {role for _, role in ex.data["svg"].values()}
    assert roles == ({"value", "op"} if show == "forward" else {"grad", "step"})


# ----- the user's graph is left alone -----------------------------------------------------------------------------
def test_explore_changes_no_grad_and_frees_nothing():
    model, J = small_cost()
    viz.explore(J)
    assert all(p.grad is None for p in model.parameters())
    J.backward(retain_graph=True)  # the graph is still whole
    before = {name: (p.grad, p.grad.data.copy()) for name, p in model.named_parameters()}
    viz.explore(J)
    for name, p in model.named_parameters():
        assert p.grad is before[name][0] and np.array_equal(p.grad.data, before[name][1]), name
    J.backward()  # and still whole after a second explore


def test_explore_reads_no_private_tensor_attribute_at_run_time(monkeypatch):
    _, J = small_cost()
    touched = watch_private_reads(monkeypatch, "viz")
    viz.explore(J, history=[0.5, 0.4])
    viz.explore(J, max_nodes=6)
    assert not touched, "viz read private Tensor attributes:\n" + "\n".join(sorted(set(touched)))


def test_a_freed_graph_raises_with_explore_advice():
    _, J = small_cost()
    J.backward()
    with pytest.raises(GraphFreedError, match=r"retain_graph=True"):
        viz.explore(J)


def test_an_output_that_is_not_a_cost_has_no_backward_steps():
    model = nn.MLP([3, 2, 1], rng=0)
    A = model(Tensor(np.ones((3, 4)), name="X"))
    ex = viz.explore(A)
    assert [s["pass"] for s in ex.data["steps"]] == ["forward"] * 4  # linear, relu, linear, sigmoid
    assert "one-element cost" in ex.data["no_grad_reason"]


# ----- big graphs, history, files, Jupyter ------------------------------------------------------------------------
def test_the_cat_graph_page_stays_under_300_kb():
    J = cat_cost()
    ex = viz.explore(J)
    assert ex.size < 300_000, ex.size
    assert len(ex.data["tensors"]) == 19 and len(ex.data["steps"]) == 18


def test_past_max_nodes_the_collapsed_view_applies_and_the_page_stays_small():
    x = Tensor(np.ones((3, 3)), requires_grad=True, name="W1")
    y = x
    for _ in range(600):
        y = (y * 1.001).tanh()
    J = y.sum()
    ex = viz.explore(J, max_nodes=60)
    assert "more tensors" in ex.html  # the summary node of draw_graph's collapse
    assert ex.data["collapsed"] > 1000 and len(ex.data["tensors"]) < 40
    assert set(ex.data["svg"]) <= viz.explorer.drawn_ids(viz.draw_graph(J, show="both", max_nodes=60).source)
    backward = [s for s in ex.data["steps"] if s["pass"] == "backward"]
    assert backward[0]["number"] == 1 and backward[-1]["number"] == ex.data["backward_total"] == 1201
    assert ex.size < 165_000, ex.size  # 1201 steps of data, and the page's ~40 KB of script and style


def test_history_in_its_forms():
    assert history_data(None) is None
    listed = history_data([0.7, 0.5, float("nan")])
    assert listed == {"iterations": [0.0, 1.0, 2.0], "costs": [0.7, 0.5, None], "grad_norms": {}, "learning_rate": None}
    cli = history_data({"costs": [0.7, 0.6], "record_every": 100, "learning_rate": 0.1, "layer_dims": [2, 1]})
    assert cli["iterations"] == [0.0, 100.0] and cli["learning_rate"] == 0.1
    full = history_data({"costs": [1.0, 0.5], "iterations": [0, 10], "grad_norms": {"dW1": [None, np.float32(0.2)]}})
    assert full["grad_norms"] == {"dW1": [None, pytest.approx(0.2)]}


@pytest.mark.parametrize("bad, error, words", [
    ({"cost": [1.0]}, ValueError, "needs 'costs'"),
    ({"costs": []}, ValueError, "empty"),
    ({"costs": "0.5"}, TypeError, "list of numbers"),
    ({"costs": [1.0, "x"]}, TypeError, "numbers"),
    ({"costs": [1.0, 0.5], "iterations": [0]}, ValueError, "2 costs but 1 iterations"),
    ({"costs": [1.0, 0.5], "iterations": [0, None]}, ValueError, "'iterations' must be finite"),
    ({"costs": [1.0, 0.5], "grad_norms": {"dW1": [1.0]}}, ValueError, "same iterations"),
    ({"costs": [1.0], "grad_norms": [1.0]}, TypeError, "grad_norms"),
    ({"costs": [1.0], "record_every": 0}, ValueError, "record_every"),
    ({"costs": [1.0], "learning_rate": "fast"}, TypeError, "learning_rate"),
])
def test_bad_history_is_refused_naming_the_key(bad, error, words):
    with pytest.raises(error, match=re.escape(words)):
        history_data(bad)


def test_the_history_reaches_the_page(small):
    _, J, _ = small
    ex = viz.explore(J, history={"costs": [0.7, 0.6, 0.5], "grad_norms": {"dW1": [1, 2, 3], "dW2": [3, 2, 1]}})
    assert page_json(ex.html)["history"]["grad_norms"]["dW2"] == [3.0, 2.0, 1.0]
    assert small[2].data["history"] is None


def test_save_html_and_render_to_html_write_the_page(tmp_path, small):
    _, J, _ = small
    path = viz.save_html(J, tmp_path / "graph.html", history=[0.7, 0.6])
    text = path.read_text(encoding="utf-8")
    assert path == tmp_path / "graph.html" and text.startswith("<!DOCTYPE html>") and CSP in text
    assert page_json(text)["history"]["costs"] == [0.7, 0.6]
    assert viz.render(J, tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(TypeError, match="needs the Tensor"):
        viz.render(viz.draw_graph(J), tmp_path / "d.html")
    with pytest.raises(ValueError, match=r"\.html"):
        viz.save_html(J, tmp_path / "graph.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.html", "r.html"]  # no .dot, no temp file left


def test_jupyter_shows_the_page_in_a_sandboxed_frame(small):
    ex = small[2]
    frame = ex._repr_html_()
    match = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" .*></iframe>', frame, re.S)
    assert match and html.unescape(match.group(1)) == ex.html
    assert "allow-same-origin" not in frame
    assert re.fullmatch(r"<Explorer J: 15 tensors, 7 forward and 7 backward steps, \d+ KB page>", repr(ex))


def test_without_graphviz_the_page_has_no_drawing_and_says_so(monkeypatch, small):
    _, J, _ = small
    monkeypatch.setattr(viz.explorer, "renderer_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ex = viz.explore(J)
    assert [w.category for w in caught] == [viz.RendererNotFoundWarning]
    assert "the page has no drawing" in str(caught[0].message)
    assert "<svg" not in ex.html.split('<script type="application/json"')[0].split("<body")[1]
    assert len(ex.data["steps"]) == 14  # the panels and steps are all there


def test_explore_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="explore expects a Tensor"):
        viz.explore(np.ones(3))
