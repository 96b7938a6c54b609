"""Logistic regression as a one-layer network: A = sigmoid(W X + b), as in week 2 of the course.

    python examples/logistic_regression.py                       # embedded digits (odd vs even)
    python examples/logistic_regression.py --data path/to/train_catvnoncat.h5
"""

from __future__ import annotations

import argparse

import numpy as np
from _data import add_data_argument, report, train_and_test

import nn


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_argument(parser)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=0.005)
    args = parser.parse_args(argv)
    train, test = train_and_test(args.data)
    model = nn.MLP([train.X.shape[0], 1], output="sigmoid", init="zeros")  # the course starts w = 0, b = 0
    nn.fit(model, train.X, train.Y, lr=args.lr, num_iterations=args.iterations)
    result = report(model, train, test)
    print("w has shape", np.asarray(model.state_dict()["W1"]).T.shape, "(the course's w is W1^T)")
    return result


if __name__ == "__main__":
    main()
