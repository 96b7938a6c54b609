"""fit's costs carry the iteration each was recorded at, and viz draws them there (not at 0, 100, 200, ...)."""

from __future__ import annotations

import ast
import copy
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

import nn
import viz
from viz.explorer_history import history_data

pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parents[3] / "examples" / "first_hour.ipynb"


def small_run(num_iterations: int, print_every: int = 100, record_every: int | None = None, **kw):
    rng = np.random.RandomState(0)
    X = rng.randn(2, 16)
    Y = (X[0:1] > 0).astype(np.float64)
    model = nn.MLP([2, 3, 1], hidden="tanh", rng=1)
    return nn.fit(model, X, Y, lr=0.5, num_iterations=num_iterations, print_every=print_every,
                  record_every=record_every, print_cost=False, **kw)


def recorded_at(n: int, every: int) -> list[int]:
    """Where fit records: every ``every`` iterations from 0, and the last one, n - 1."""
    return sorted(set(range(0, n, every)) | {n - 1})


@pytest.mark.parametrize("n, print_every, record_every", [(5000, 1000, None), (250, 100, None), (201, 100, None),
                                                          (250, 100, 40), (1, 100, None)])
def test_fit_returns_costs_with_the_iteration_of_each(n, print_every, record_every):
    costs = small_run(n, print_every, record_every)
    assert costs.iterations == recorded_at(n, record_every or print_every)
    assert costs.unit == "iteration"
    assert isinstance(costs, list) and len(costs) == len(costs.iterations)
    assert all(type(c) is float for c in costs)


def test_costs_are_the_plain_list_of_floats():
    h: dict = {}
    costs = small_run(250, history=h)
    plain = list(costs)
    assert type(plain) is list and costs == plain and plain == costs
    assert costs == h["costs"] and costs.iterations == h["iterations"]
    assert json.loads(json.dumps(costs)) == plain  # JSON-ready as it is
    assert json.dumps(list(costs)) == json.dumps(plain)
    assert repr(costs) == repr(plain)


def test_copies_and_slices_keep_the_iterations():
    costs = small_run(250)
    for copied in (copy.deepcopy(costs), pickle.loads(pickle.dumps(costs)), costs.copy()):
        assert copied == costs and copied.iterations == [0, 100, 200, 249]
    tail = costs[1:]
    assert tail == list(costs)[1:] and tail.iterations == [100, 200, 249]
    assert costs[::2].iterations == [0, 200]
    assert costs[-1] == list(costs)[-1]


def test_mini_batch_costs_are_per_epoch():
    rng = np.random.RandomState(0)
    X = rng.randn(2, 30)
    Y = (X[0:1] > 0).astype(np.float64)
    costs = nn.fit(nn.MLP([2, 3, 1], rng=1), X, Y, lr=0.1, num_iterations=7, batch_size=8, print_every=3,
                   print_cost=False)
    assert costs.iterations == [0, 3, 6] and costs.unit == "epoch"
    assert viz.plot_costs(costs).axes[0].get_xlabel() == "epoch"


def x_of(fig) -> list[float]:
    return fig.axes[0].lines[0].get_xdata().tolist()


def test_plot_costs_draws_fits_costs_at_their_iterations():
    """A run of 5000 iterations recorded every 1000 spans 0..4999, not 0..500 (a cost per 100 assumed)."""
    costs = small_run(5000, print_every=1000)
    fig = viz.plot_costs(costs, learning_rate=0.5)
    assert x_of(fig) == [0, 1000, 2000, 3000, 4000, 4999]
    assert fig.axes[0].lines[0].get_ydata().tolist() == list(costs)
    assert fig.axes[0].get_xlabel() == "iteration"


def test_the_explorer_history_takes_the_iterations_of_fits_costs():
    costs = small_run(5000, print_every=1000)
    data = history_data(costs)
    assert data is not None and data["iterations"] == [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 4999.0]
    assert data["costs"] == list(costs)


def test_plain_lists_keep_the_spacing_the_caller_gives():
    assert x_of(viz.plot_costs([0.7, 0.5, 0.4], record_every=50)) == [0, 50, 100]
    assert x_of(viz.plot_costs([0.7, 0.5, 0.4], iterations=[0, 10, 15])) == [0, 10, 15]
    assert x_of(viz.plot_costs([0.7, 0.5, 0.4])) == [0, 100, 200]  # as before: a cost per 100 iterations
    assert history_data([0.7, 0.5], who="t")["iterations"] == [0.0, 1.0]
    costs = small_run(250)
    assert x_of(viz.plot_costs(costs, iterations=[0, 1, 2, 3])) == [0, 1, 2, 3]  # given here, they win


def test_costs_whose_iterations_no_longer_match_are_refused_not_misdrawn():
    costs = small_run(250)
    costs.append(0.1)  # a list operation: the iterations know nothing of it
    with pytest.raises(ValueError, match="5 costs but 4 iterations"):
        viz.plot_costs(costs)


def test_the_first_hour_notebook_draws_its_curve_at_the_iterations_it_trained():
    """The notebook's fit and learning-curve cells, run here (no kernel): the curve spans the 5000 iterations."""
    cells = {c.get("id"): "".join(c["source"]) for c in json.loads(NOTEBOOK.read_text("utf-8"))["cells"]
             if c["cell_type"] == "code"}
    namespace: dict = {}
    for cell in ("code-2", "data", "model", "fit"):
        exec(compile(cells[cell].replace("progress=True", "progress=False"), f"first_hour:{cell}", "exec"),
             namespace)
    tree = ast.parse(cells["costs"])
    assert isinstance(tree.body[-1], ast.Expr)  # the figure is the cell's last expression, shown inline
    exec(compile(ast.Module(tree.body[:-1], type_ignores=[]), "first_hour:costs", "exec"), namespace)
    fig = eval(compile(ast.Expression(tree.body[-1].value), "first_hour:costs", "eval"), namespace)
    fit_call = next(n for n in ast.walk(ast.parse(cells["fit"])) if isinstance(n, ast.Call))
    options = {k.arg: ast.literal_eval(k.value) for k in fit_call.keywords
               if k.arg in ("num_iterations", "print_every")}
    assert x_of(fig) == recorded_at(options["num_iterations"], options["print_every"])
