"""The programs of "Deep Learning from Scratch 3" run in DeZero itself: the oracle for examples/dezero_book/.

Run as a script in its own process (tests/interop/test_dezero_book.py does): ``python _dezero_book_dezero.py
IN.npz OUT.json``. DeZero 0.0.13 (its last release) still spells ``np.int``, which NumPy 1.24 removed; the
alias is restored here, in this process only, before DeZero is imported. Each program is the book's code (its
step named), with two changes that only make the numbers comparable: sizes and iteration counts come from
``SIZES``, and the global generator is seeded (``np.random.seed(0)``) where the book relies on the state that
loading its datasets left. The ports draw from the same generator in the same order (their layers built with
``init="dezero"``, their loaders drawing each epoch's order when DeZero's does), so every printed number must
agree, from the initial weights through the shuffled batches.
"""

from __future__ import annotations

import json
import sys

import numpy as np

if not hasattr(np, "int"):
    np.int = int  # type: ignore[attr-defined]

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
from dezero import DataLoader, Variable, optimizers  # noqa: E402
from dezero.models import MLP  # noqa: E402

SIZES = {"rosenbrock_iters": 1000, "sin_iters": 2000, "spiral_epochs": 30, "digits_epochs": 3}


def rosenbrock() -> dict:
    """Step 28: gradient descent on Rosenbrock's function from (0, 2), lr 0.001."""
    x0, x1 = Variable(np.array(0.0)), Variable(np.array(2.0))
    lr, path = 0.001, []
    for i in range(SIZES["rosenbrock_iters"]):
        if i % 100 == 0:
            path.append([float(x0.data), float(x1.data)])
        y = 100 * (x1 - x0 ** 2) ** 2 + (x0 - 1) ** 2
        x0.cleargrad()
        x1.cleargrad()
        y.backward()
        x0.data -= lr * x0.grad.data
        x1.data -= lr * x1.grad.data
    path.append([float(x0.data), float(x1.data)])
    return {"path": path}


def newton() -> dict:
    """Steps 29 and 33: Newton's method on x^4 - 2x^2 from 2, by the hand second derivative and by double backprop."""
    by_hand, x = [], Variable(np.array(2.0))
    for _ in range(10):
        by_hand.append(float(x.data))
        y = x ** 4 - 2 * x ** 2
        x.cleargrad()
        y.backward()
        x.data -= x.grad.data / (12 * x.data ** 2 - 4)
    double, x = [], Variable(np.array(2.0))
    for _ in range(10):
        double.append(float(x.data))
        y = x ** 4 - 2 * x ** 2
        x.cleargrad()
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        gx2 = x.grad
        x.data -= gx.data / gx2.data
    return {"by_hand": by_hand, "double_backprop": double}


def sin_derivatives() -> dict:
    """Step 34: sin and its first three derivatives on linspace(-7, 7, 200)."""
    x = Variable(np.linspace(-7, 7, 200))
    y = F.sin(x)
    y.backward(create_graph=True)
    logs = [y.data.tolist()]
    for _ in range(3):
        logs.append(x.grad.data.tolist())
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
    return {"logs": logs}


def tanh_derivatives() -> dict:
    """Step 35 (examples/tanh.py): the n-th derivative of tanh at x = 1, n = 1..7."""
    x = Variable(np.array(1.0))
    y = F.tanh(x)
    y.backward(create_graph=True)
    values = [float(x.grad.data)]
    for _ in range(6):
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
        values.append(float(x.grad.data))
    return {"values": values}


def sin_curve() -> dict:
    """Steps 43-46: the sin curve fitted by MLP((10, 1)) and SGD(lr 0.2), mean squared error."""
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    model = MLP((10, 1))
    optimizer = optimizers.SGD(0.2).setup(model)
    losses = []
    for i in range(SIZES["sin_iters"]):
        y_pred = model(x)
        loss = F.mean_squared_error(y, y_pred)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        if i % 100 == 0:
            losses.append(float(loss.data))
    return {"x": x.tolist(), "y": y.tolist(), "losses": losses}


def spiral() -> dict:
    """Step 50: the spiral, MLP((10, 3)), SGD(lr 1.0), DataLoader batches of 30, softmax cross-entropy."""
    train_set, test_set = dezero.datasets.Spiral(train=True), dezero.datasets.Spiral(train=False)
    x, t = dezero.datasets.get_spiral(train=True)  # reseeds the global generator, as Spiral(train=True) did
    np.random.seed(0)  # the loader's orders and the weights' draws from here on
    train_loader = DataLoader(train_set, 30)
    test_loader = DataLoader(test_set, 30, shuffle=False)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(1.0).setup(model)
    out: dict = {"x": x.tolist(), "t": t.tolist(), "train": [], "test": []}
    for _ in range(SIZES["spiral_epochs"]):
        out["train"].append(_epoch(model, train_loader, len(train_set), optimizer))
        with dezero.no_grad():
            out["test"].append(_epoch(model, test_loader, len(test_set)))
    return out


def _epoch(model: MLP, loader: DataLoader, m: int, optimizer: optimizers.Optimizer | None = None) -> list[float]:
    """The book's epoch (steps 50-51): [average loss, average accuracy] over the m examples; training when given
    an optimizer."""
    sum_loss, sum_acc = 0.0, 0.0
    for xb, tb in loader:
        y = model(xb)
        loss = F.softmax_cross_entropy(y, tb)
        acc = F.accuracy(y, tb)
        if optimizer is not None:
            model.cleargrads()
            loss.backward()
            optimizer.update()
        sum_loss += float(loss.data) * len(tb)
        sum_acc += float(acc.data) * len(tb)
    return [sum_loss / m, sum_acc / m]


class _Arrays(dezero.datasets.Dataset):
    """A DeZero Dataset over arrays (the book's MNIST is a download; the digits come from the caller)."""

    def __init__(self, x: np.ndarray, t: np.ndarray):
        self.x, self.t = x, t
        super().__init__(train=True)

    def prepare(self) -> None:
        self.data, self.label = self.x, self.t


def digits(x: np.ndarray, t: np.ndarray) -> dict:
    """Step 51 on the 8x8 digits instead of MNIST: MLP((100, 10)), SGD(lr 1.0), batches of 100."""
    np.random.seed(0)
    train_set = _Arrays(x, t)
    loader = DataLoader(train_set, 100)
    model = MLP((100, 10))
    optimizer = optimizers.SGD(1.0).setup(model)
    return {"train": [_epoch(model, loader, len(train_set), optimizer) for _ in range(SIZES["digits_epochs"])]}


def main(argv: list[str]) -> None:
    inputs = np.load(argv[1])
    results = {"rosenbrock": rosenbrock(), "newton": newton(), "sin_derivatives": sin_derivatives(),
               "tanh_derivatives": tanh_derivatives(), "sin_curve": sin_curve(), "spiral": spiral(),
               "digits": digits(inputs["digits_x"], inputs["digits_t"]), "sizes": SIZES,
               "version": getattr(dezero, "__version__", "?")}
    with open(argv[2], "w") as f:
        json.dump(results, f)
    print("ok")


if __name__ == "__main__":
    main(sys.argv)
