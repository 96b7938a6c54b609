"""A small CNN on the 8x8 handwritten digits as images (m, 8, 8, 1): ten classes, softmax cross-entropy.

    python examples/vision/digits_cnn.py                 # 20 epochs, about a second on one CPU thread
    python examples/vision/digits_cnn.py --epochs 5 --seed 3

The network, course 4's layout (the examples first, the channels last):

    CONV(3x3, 16 filters, "same") -> RELU -> MAXPOOL(2)     (m, 8, 8, 1) -> (m, 4, 4, 16)
    CONV(3x3, 32 filters, "same") -> RELU -> MAXPOOL(2)     -> (m, 2, 2, 32)
    FLATTEN -> LINEAR(128 -> 10)                            -> the logits Z (10, m)

trained on ``loss="cross_entropy"`` (log-softmax of the logits, computed stably) with Adam (lr 0.003) on
mini-batches of 32, the 1,438 training digits (``nn.datasets.digits(images=True)``, labels (1, m) in 0..9);
the 359 held-out digits are the test set. The model ends in Linear, so its output is the logits and a
prediction is their argmax. The filters are drawn by He's rule, the output layer by the course's "deep"
randn / sqrt(n[L-1]), from RandomState(seed). 6,090 parameters; the default seed 1 gives train 1.0000,
test 0.9833 in about a second on one CPU thread; over seeds 0-9 the test accuracy was 0.978-0.997 (mean 0.986),
the train accuracy 1.0 for every seed.
"""

from __future__ import annotations

import argparse

import numpy as np

import nn
from nn import datasets
from nn.optim import Adam


def build(seed: int) -> nn.Sequential:
    """The CNN above, its filters drawn by He's rule from RandomState(seed)."""
    rng = np.random.RandomState(seed)
    return nn.Sequential(
        nn.Conv2D(1, 16, 3, pad="same", rng=rng), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2D(16, 32, 3, pad="same", rng=rng), nn.ReLU(), nn.MaxPool2D(2),
        nn.Flatten(), nn.Linear(2 * 2 * 32, 10, init="deep", rng=rng))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training digits (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="the initialisation's and the shuffles' seed (default 1)")
    parser.add_argument("--lr", type=float, default=0.003, help="Adam's learning rate (default 0.003)")
    parser.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    args = parser.parse_args(argv)
    train = datasets.digits(task="multiclass", images=True)  # X (1438, 8, 8, 1), Y (1, 1438); .test: 359
    test = train.test
    model = build(args.seed)
    print(f"digits as images: train X {train.X.shape}, test X {test.X.shape}; {args.epochs} epochs of "
          f"mini-batches of {args.batch_size}, Adam lr={args.lr:g}")
    nn.fit(model, train, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=args.lr),
           num_iterations=args.epochs, batch_size=args.batch_size, seed=args.seed,
           print_every=max(1, args.epochs // 10))
    result = {"train_accuracy": nn.accuracy(model, train), "test_accuracy": nn.accuracy(model, test)}
    print(", ".join(f"{k.replace('_', ' ')}: {v:.4f}" for k, v in result.items()))
    return result


if __name__ == "__main__":
    main()
