"""Week 1, "Regularization": the same network without regularisation, with L2, and with dropout.

    python examples/improving/regularization.py --data path/to/data.mat                  # baseline
    python examples/improving/regularization.py --data path/to/data.mat --lambd 0.7      # L2
    python examples/improving/regularization.py --data path/to/data.mat --keep-prob 0.86 # dropout

The course's experiment: its "football" data.mat (211 training and 200 test points, read
with scipy: ``pip install 'tinygrad-nb[sequel]'``), the network [2, 20, 3, 1] LINEAR -> RELU
-> LINEAR -> RELU -> LINEAR -> SIGMOID with W[l] = ``randn / sqrt(n[l-1])`` drawn in order
after ``np.random.seed(3)``, learning rate 0.3, 30,000 full-batch iterations, the cost
printed every 10,000. The notebook printed:

    baseline:        0.6557412523481002, 0.16329987525724216, 0.13851642423255986;
                     train accuracy 0.9478672985781991, test accuracy 0.915
    --lambd 0.7:     0.6974484493131264, 0.2684918873282239, 0.2680916337127301;
                     train accuracy 0.9383886255924171, test accuracy 0.93
    --keep-prob 0.86: 0.6543912405149825, 0.061016986574905605, 0.060582435798513114;
                     train accuracy 0.9289099526066351, test accuracy 0.95

L2 is ``fit``'s ``lambd``: J + lambd / (2 m) sum ||W[l]||_F^2. Dropout follows each hidden
ReLU. The notebook's ``forward_propagation_with_dropout`` calls ``np.random.seed(1)`` at the
start of every pass, so every iteration drops the same units; ``Dropout(reseed=1)`` on the
first layer, with one RandomState shared by both, draws the same D[1] and D[2].
"""

from __future__ import annotations

import argparse

import numpy as np
from _course import build, existing_file, football, print_accuracy

import nn


def network(keep_prob: float) -> nn.Sequential:
    """[2, 20, 3, 1] with the course's initialisation; with keep_prob below 1, dropout after each hidden ReLU."""
    init, masks = np.random.RandomState(3), np.random.RandomState(1)

    def dropout(first: bool) -> list[nn.Module]:  # keep_prob 1: none; other values are checked by Dropout
        return [] if keep_prob == 1 else [nn.Dropout(keep_prob=keep_prob, rng=masks, reseed=1 if first else None)]

    return nn.Sequential(nn.Linear(2, 20, init="deep", rng=init), nn.ReLU(), *dropout(first=True),
                         nn.Linear(20, 3, init="deep", rng=init), nn.ReLU(), *dropout(first=False),
                         nn.Linear(3, 1, init="deep", rng=init), nn.Sigmoid())


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=existing_file, required=True, help="path to the course's data.mat")
    regulariser = parser.add_mutually_exclusive_group()
    regulariser.add_argument("--lambd", type=float, default=0.0, help="L2 regularisation (the course: 0.7)")
    regulariser.add_argument("--keep-prob", type=float, default=1.0, help="dropout's keep_prob (the course: 0.86)")
    parser.add_argument("--iterations", type=int, default=30_000, help="gradient steps (30000)")
    args = parser.parse_args(argv)
    model = build(parser, lambda: network(args.keep_prob))
    data = build(parser, lambda: football(args.data))
    build(parser, lambda: nn.fit(model, data.train.X, data.train.Y, lr=0.3, num_iterations=args.iterations,
                                 lambd=args.lambd, print_every=10_000))
    return {"train_accuracy": print_accuracy("train", model, data.train),
            "test_accuracy": print_accuracy("test", model, data.test)}


if __name__ == "__main__":
    main()
