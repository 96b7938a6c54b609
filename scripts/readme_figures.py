"""Make the pictures the README and the docs show, from live models (run: make figures).

- docs/img/graph_both.svg: LINEAR -> RELU -> LINEAR -> SIGMOID on 4 planar points, forward and backward
  side by side with the caches between them (the course's "forward and backward functions" figure).
- docs/img/graph_cat.svg: the course's 4-layer cat model [12288, 20, 7, 5, 1] on a batch of m = 209
  (``cat_cost``; the node count and the explorer page size the docs quote are checked from the same model
  by tests/docs/test_readme_numbers.py).
- docs/img/costs.png: the learning curve of the shallow planar network (4 tanh units, alpha = 1.2).
- docs/img/planar_boundary.png: that network's decision boundary.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nn
import viz
from tinygrad_nb import Tensor

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def cat_cost() -> Tensor:
    """J of the course's cat model [12288, 20, 7, 5, 1] (init as the course's, RandomState(1)) on m = 209
    random images, backward run with the graph kept: what graph_cat.svg draws."""
    cat = nn.MLP([12288, 20, 7, 5, 1], rng=np.random.RandomState(1))
    rng = np.random.RandomState(0)
    J = nn.binary_cross_entropy(cat(Tensor(rng.rand(12288, 209), name="X")), (rng.rand(1, 209) > 0.5) * 1.0)
    J.backward(retain_graph=True)
    return J


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = nn.datasets.planar()
    model = nn.MLP([2, 3, 1], hidden="relu", rng=np.random.RandomState(1))
    J = nn.binary_cross_entropy(model(Tensor(data.X[:, :4], name="X")), data.Y[:, :4])
    J.backward(retain_graph=True)
    print("wrote", viz.render(viz.draw_graph(J, show="both"), OUT / "graph_both.svg"))

    J = cat_cost()
    print("wrote", viz.render(viz.draw_graph(J, show="both"), OUT / "graph_cat.svg"))

    shallow = nn.MLP([2, 4, 1], hidden="tanh", init="small_random", rng=2)
    history: dict = {}
    nn.fit(shallow, data.X, data.Y, lr=1.2, num_iterations=5000, print_every=1000, record_every=100, history=history)
    viz.plot_costs(history, OUT / "costs.png")  # the recorded iterations, alpha from the history
    print("wrote", OUT / "costs.png")
    viz.plot_decision_boundary(shallow, data.X, data.Y, OUT / "planar_boundary.png")
    print("wrote", OUT / "planar_boundary.png")


if __name__ == "__main__":
    main()
