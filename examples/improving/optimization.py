"""Week 2, "Optimization Methods": mini-batch gradient descent, momentum and Adam, with learning-rate decay.

    python examples/improving/optimization.py --optimizer adam
    python examples/improving/optimization.py --optimizer gd --decay scheduled

The course's experiment: ``make_moons`` data (300 points), the network [2, 5, 2, 1] LINEAR ->
RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID with He initialisation after
``np.random.seed(3)``, mini-batches of 64 (the notebook's seed starts at 10 and grows by one
before each epoch's permutation: ``fit(seed=11)``), 5,000 epochs, the cost printed every
1,000 epochs as the epoch's total over m. Learning rate 0.0007; momentum beta = 0.9; Adam
beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, its t counting mini-batch steps. The notebook
printed (6 decimals):

    gd        0.702405 0.668101 0.635288 0.600491 0.573367  train accuracy 0.7166666666666667
    momentum  0.702413 0.668167 0.635388 0.600591 0.573444  train accuracy 0.7166666666666667
    adam      0.702166 0.167845 0.141316 0.138788 0.136066  train accuracy 0.9433333333333334

With ``--decay`` the first rate is 0.1 (0.01 for Adam) and decays as lr0 / (1 + epoch) after
every epoch (``inverse``, the notebook's ``update_lr``) or every 1,000 epochs
(``scheduled``, its ``schedule_lr_decay``), with the notebook's one-epoch lag
(``InverseTimeDecay(delay=1)``). It printed:

    gd --decay inverse          0.701091 0.661884 0.658620 0.656765 0.655486
    gd --decay scheduled        0.701091 0.127161 0.120304 0.117033 0.117512
    momentum --decay scheduled  0.702226 0.128974 0.125965 0.123375 0.123218
    adam --decay scheduled      0.699346 0.130074 0.129826 0.129282 0.128361

The course's momentum v := beta v + (1 - beta) dW is ``SGD(momentum=beta, dampening=beta)``.
"""

from __future__ import annotations

import argparse

import numpy as np
from _course import build, moons, print_accuracy

import nn
from tinygrad_nb import Tensor

OPTIMIZERS = ["gd", "momentum", "adam"]
DECAYS = {"none": None, "inverse": 1, "scheduled": 1000}  # the time interval of each schedule


def optimizer(name: str, params: list[Tensor], lr: float) -> nn.optim.Optimizer:
    """The notebook's three update rules with its hyperparameters."""
    if name == "momentum":
        return nn.optim.SGD(params, lr, momentum=0.9, dampening=0.9)
    if name == "adam":
        return nn.optim.Adam(params, lr, beta1=0.9, beta2=0.999, eps=1e-8)
    return nn.optim.SGD(params, lr)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="the update rule (adam)")
    parser.add_argument("--decay", choices=list(DECAYS), default="none", help="learning-rate decay (none)")
    parser.add_argument("--epochs", type=int, default=5000, help="passes over the data (5000)")
    args = parser.parse_args(argv)
    train = moons()
    model = nn.MLP([2, 5, 2, 1], hidden="relu", output="sigmoid", init="he", rng=np.random.RandomState(3))
    interval = DECAYS[args.decay]
    lr = 0.0007 if interval is None else 0.01 if args.optimizer == "adam" else 0.1
    opt = optimizer(args.optimizer, model.parameters(), lr)
    scheduler = None if interval is None else nn.optim.InverseTimeDecay(opt, 1.0, interval, delay=1)
    build(parser, lambda: nn.fit(model, train.X, train.Y, optimizer=opt, scheduler=scheduler, batch_size=64,
                                 seed=11, num_iterations=args.epochs, print_every=1000))
    return {"train_accuracy": print_accuracy("train", model, train)}


if __name__ == "__main__":
    main()
