"""The L-layer network of week 4: [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID.

    python examples/deep_network.py                               # embedded digits (odd vs even)
    python examples/deep_network.py --data path/to/train_catvnoncat.h5

With the cat data it reproduces the course's table: dims [12288, 20, 7, 5, 1], the
course's deep initialisation from RandomState(1), learning rate 0.0075, 2500 iterations:
cost 0.771749 after iteration 0, ..., 0.092878 after 2400; train accuracy 0.986, test 0.80.
``--two-layer`` runs the course's [12288, 7, 1] model (randn * 0.01) instead.
Without --lr, --iterations the settings are ``nn.defaults``' for the data: the course's for the
cat files, alpha 0.1 and 1000 iterations for the digits; a given --lr is used as it is.
"""

from __future__ import annotations

import argparse

import numpy as np
from _data import add_data_argument, report, train_and_test

import nn
from nn.defaults import default_settings, kind_for_data


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_argument(parser)
    parser.add_argument("--two-layer", action="store_true", help="the course's 2-layer model [n_x, 7, 1]")
    parser.add_argument("--iterations", type=int, help="gradient steps (default: cat 2500, digits 1000)")
    parser.add_argument("--lr", type=float, help="the learning rate alpha (default: cat 0.0075, digits 0.1)")
    args = parser.parse_args(argv)
    train, test = train_and_test(args.data)
    settings = default_settings(kind_for_data(train.name), "sgd")  # the row fit reads for this data
    n_x = train.X.shape[0]
    if args.two_layer:
        model = nn.MLP([n_x, 7, 1], init="small_random", rng=np.random.RandomState(1))
    else:
        model = nn.MLP([n_x, *settings.hidden_dims, 1], init="deep", rng=np.random.RandomState(1))
    print(f"learning rate {settings.lr if args.lr is None else args.lr:g}"
          f"{' (the default for this data)' if args.lr is None else ''}")
    nn.fit(model, train, lr=args.lr, num_iterations=args.iterations)  # what is left out: the data's defaults
    result = report(model, train, test)
    return result


if __name__ == "__main__":
    main()
