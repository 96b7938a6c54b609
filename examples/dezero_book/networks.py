"""The neural-network programs of "Deep Learning from Scratch 3" (DeZero), in tinygrad-nb as a DeZero reader would.

    python examples/dezero_book/networks.py            # the sin curve, the spiral and the digits, as the book prints

What changes from the book: the data's layout (the course's X (n_x, m), examples in columns: ``x.T``) and the
names in docs/guides/coming-from-dezero.md (``MLP((10, 3))`` -> ``nn.MLP([2, 10, 3], hidden="sigmoid",
output="identity", init="dezero")``, ``optimizers.SGD(lr).setup(model)`` -> ``nn.optim.SGD(model.parameters(),
lr)``, ``optimizer.update()`` -> ``opt.step()``, ``F.softmax_cross_entropy`` -> ``nn.cross_entropy``,
``len(t)`` -> ``Y.shape[1]``). ``init="dezero"`` draws the weights as DeZero's Linear does, and a DataLoader
draws its orders when DeZero's does, so after the same ``np.random.seed`` the numbers are DeZero's:
tests/interop/test_dezero_book.py runs the book's code in DeZero beside these and compares every one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nn
from tinygrad_nb import Tensor, no_grad


def sin_curve(iters: int = 10000, lr: float = 0.2, every: int = 1000) -> list[float]:
    """Steps 43-46: y = sin(2 pi x) + noise fitted by a 1-10-1 sigmoid network with SGD; the loss every ``every``."""
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    X, Y = x.T, y.T                                   # the course's layout: (1, 100)

    model = nn.MLP([1, 10, 1], hidden="sigmoid", output="identity", init="dezero")
    optimizer = nn.optim.SGD(model.parameters(), lr)

    losses = []
    for i in range(iters):
        y_pred = model(Tensor(X))
        loss = nn.mse(y_pred, Y)
        model.zero_grad()
        loss.backward()
        optimizer.step()
        if i % every == 0:
            losses.append(float(loss.data))
    return losses


def _epoch(model: nn.MLP, loader: Any, optimizer: Any = None) -> tuple[float, float]:
    """One pass over ``loader``: the average loss and accuracy over its examples (training when given an optimizer)."""
    sum_loss, sum_acc, m = 0.0, 0.0, 0
    for X, Y in loader:
        Z = model(Tensor(X))
        loss = nn.cross_entropy(Z, Y)
        acc = nn.accuracy(Z.argmax(axis=0, keepdims=True), Y)
        if optimizer is not None:
            model.zero_grad()
            loss.backward()
            optimizer.step()
        b = Y.shape[1]                                # DeZero's len(t): the examples are columns here
        sum_loss += float(loss.data) * b
        sum_acc += acc * b
        m += b
    return sum_loss / m, sum_acc / m


def spiral(max_epoch: int = 300) -> dict[str, list]:
    """Step 50: three spirals, a 2-10-3 sigmoid network, SGD(lr 1.0), batches of 30 through a DataLoader; each
    epoch's train and test (loss, accuracy). The weights and the batches' orders come from ``np.random``."""
    train_set = nn.datasets.spiral()
    test_set = train_set.test
    train_loader = nn.DataLoader(train_set, 30)
    test_loader = nn.DataLoader(test_set, 30, shuffle=False)

    model = nn.MLP([2, 10, 3], hidden="sigmoid", output="identity", init="dezero")
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)

    out: dict[str, list] = {"train": [], "test": []}
    for _ in range(max_epoch):
        out["train"].append(_epoch(model, train_loader, optimizer))
        with no_grad():
            out["test"].append(_epoch(model, test_loader))
    return out


def digits(x: np.ndarray, t: np.ndarray, max_epoch: int = 5) -> list[tuple[float, float]]:
    """Step 51 on the 8x8 digits (x (1797, 64) in [0, 1], t (1797,) labels) instead of MNIST: a 64-100-10 sigmoid
    network, SGD(lr 1.0), batches of 100; each epoch's (loss, accuracy). Any (x, y) pairs make a dataset."""
    train_set = list(zip(x, t))                       # DeZero's Dataset protocol: len() and [i] -> (x, t)
    loader = nn.DataLoader(train_set, 100)
    model = nn.MLP([64, 100, 10], hidden="sigmoid", output="identity", init="dezero")
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    return [_epoch(model, loader, optimizer) for _ in range(max_epoch)]


def main() -> None:
    for i, loss in enumerate(sin_curve()):            # seeds np.random with 0 itself, as the book
        print(f"sin curve, iteration {i * 1000}: variable({loss})")
    np.random.seed(0)
    result = spiral()
    for epoch, ((loss, acc), (test_loss, test_acc)) in enumerate(zip(result["train"], result["test"]), start=1):
        if epoch % 50 == 0:
            print(f"spiral epoch: {epoch}\ntrain loss: {loss:.4f}, accuracy: {acc:.4f}\n"
                  f"test loss: {test_loss:.4f}, accuracy: {test_acc:.4f}")
    np.random.seed(0)
    data = nn.datasets.digits(task="multiclass")
    for epoch, (loss, acc) in enumerate(digits(data.X.T, data.Y[0]), start=1):
        print(f"digits epoch: {epoch}, loss: {loss:.4f}, accuracy: {acc:.4f}")


if __name__ == "__main__":
    main()
