"""The shallow network of week 3: 4 tanh hidden units on the planar "flower" data.

    python examples/planar_shallow.py                             # embedded planar data
    python examples/planar_shallow.py --data path/to/train_catvnoncat.h5
"""

from __future__ import annotations

import argparse

from _data import add_data_argument, report, train_and_test

import nn


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_argument(parser)
    parser.add_argument("--hidden", type=int, default=4, help="n_h, the hidden units")
    parser.add_argument("--iterations", type=int, default=10000)
    parser.add_argument("--lr", type=float, default=1.2)
    args = parser.parse_args(argv)
    train, test = train_and_test(args.data, default="planar")
    lr = args.lr if not args.data else min(args.lr, 0.0075)
    model = nn.MLP([train.X.shape[0], args.hidden, 1], hidden="tanh", init="small_random", rng=2)
    nn.fit(model, train.X, train.Y, lr=lr, num_iterations=args.iterations, print_every=1000)
    result = report(model, train, test)
    return result


if __name__ == "__main__":
    main()
