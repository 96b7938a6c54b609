"""Week 1, "Initialization": zeros, large random or He initial weights for the same network.

    python examples/improving/initialization.py --init he        # or zeros, random

The course's experiment: ``make_circles`` data (300 training and 100 test points), the
network [2, 10, 5, 1] LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID, learning rate
0.01, 15,000 full-batch iterations, the cost printed every 1,000. W[1], W[2], W[3] are drawn
in order after ``np.random.seed(3)``: zeros, ``randn * 10`` or ``randn * sqrt(2 / n[l-1])``
(He); b[l] = 0. The notebook printed:

    he:     Cost after iteration 0: 0.8830537463419761 ... 14000: 0.07357895962677362
            train accuracy 0.9933333333333333, test accuracy 0.96
    zeros:  0.6931471805599453 at every print; train accuracy 0.5, test accuracy 0.5
    random: train accuracy 0.83, test accuracy 0.86 (its costs are chaotic: they differ
            between machines, and the notebook's first one is inf)

The network ends in Z[3] and the cost is ``binary_cross_entropy_with_logits``: the same
model and cost as a sigmoid output with cross-entropy, and the gradient the course's
backward pass starts from, dZ[3] = (A[3] - Y) / m. With ``randn * 10`` the sigmoid rounds to
exactly 1.0 on many examples; autograd through a separate sigmoid then multiplies by
A (1 - A) = 0 there and the network never learns, while dZ[3] = A[3] - Y still does.
"""

from __future__ import annotations

import argparse
import functools

import numpy as np
from _course import build, circles, print_accuracy

import nn

INITIALISERS = {
    "zeros": nn.init.zeros,
    "random": functools.partial(nn.init.small_random, scale=10.0),  # the course's randn * 10
    "he": nn.init.he,
}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--init", choices=sorted(INITIALISERS), default="he", help="the initial weights (he)")
    parser.add_argument("--iterations", type=int, default=15_000, help="gradient steps (15000)")
    args = parser.parse_args(argv)
    data = circles()
    model = nn.MLP([2, 10, 5, 1], hidden="relu", output="identity", init=INITIALISERS[args.init],
                   rng=np.random.RandomState(3))
    build(parser, lambda: nn.fit(model, data.train.X, data.train.Y, loss="binary_cross_entropy_with_logits",
                                 lr=0.01, num_iterations=args.iterations, print_every=1000))
    return {"train_accuracy": print_accuracy("train", model, data.train, threshold=0.0),
            "test_accuracy": print_accuracy("test", model, data.test, threshold=0.0)}


if __name__ == "__main__":
    main()
