"""The calculus programs of "Deep Learning from Scratch 3" (DeZero), written in tinygrad-nb as a DeZero reader would.

    python examples/dezero_book/calculus.py            # prints what the book's steps print

Each function is one of the book's steps with DeZero's names swapped for the ones in docs/guides/coming-from-dezero.md
(``Variable`` -> ``Tensor``, ``x.cleargrad()`` -> ``x.grad = None``, ``F.sin`` -> ``tinygrad_nb.sin``); the
arithmetic is the book's, line for line. tests/interop/test_dezero_book.py runs the same steps in DeZero and
compares the numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_nb as tg
from tinygrad_nb import Tensor


def rosenbrock(iters: int = 1000, lr: float = 0.001, every: int = 100) -> list[list[float]]:
    """Step 28: gradient descent on y = 100 (x1 - x0^2)^2 + (x0 - 1)^2 from (0, 2); (x0, x1) every ``every``
    iterations and at the end (the book: (0.6837..., 0.4659...) after 1,000)."""
    x0 = Tensor(np.array(0.0), requires_grad=True)
    x1 = Tensor(np.array(2.0), requires_grad=True)
    path = []
    for i in range(iters):
        if i % every == 0:
            path.append([float(x0.data), float(x1.data)])
        y = 100 * (x1 - x0 ** 2) ** 2 + (x0 - 1) ** 2
        x0.grad = None
        x1.grad = None
        y.backward()
        x0.data -= lr * x0.grad.data
        x1.data -= lr * x1.grad.data
    path.append([float(x0.data), float(x1.data)])
    return path


def newton_by_hand(iters: int = 10) -> list[float]:
    """Step 29: Newton's method on f(x) = x^4 - 2x^2 from x = 2, the second derivative 12x^2 - 4 written by hand."""
    x = Tensor(np.array(2.0), requires_grad=True)
    xs = []
    for _ in range(iters):
        xs.append(float(x.data))
        y = x ** 4 - 2 * x ** 2
        x.grad = None
        y.backward()
        x.data -= x.grad.data / (12 * x.data ** 2 - 4)
    return xs


def newton_double_backprop(iters: int = 10) -> list[float]:
    """Step 33: the same, the second derivative by differentiating the gradient (``create_graph=True``)."""
    x = Tensor(np.array(2.0), requires_grad=True)
    xs = []
    for _ in range(iters):
        xs.append(float(x.data))
        y = x ** 4 - 2 * x ** 2
        x.grad = None
        y.backward(create_graph=True)
        gx = x.grad
        x.grad = None
        gx.backward()
        gx2 = x.grad
        x.data -= gx.data / gx2.data
    return xs


def sin_derivatives(n: int = 3) -> list[np.ndarray]:
    """Step 34: y = sin(x) on linspace(-7, 7, 200) and its first ``n`` derivatives, each the gradient of the last.

    DeZero seeds a non-scalar output's backward with ones; here (as in PyTorch) the seed is said:
    ``grad=np.ones_like(y.data)``, elementwise functions' derivatives at every point at once."""
    x = Tensor(np.linspace(-7, 7, 200), requires_grad=True)
    y = tg.sin(x)
    y.backward(grad=np.ones_like(y.data), create_graph=True)
    logs = [y.data]
    for _ in range(n):
        logs.append(x.grad.data)
        gx = x.grad
        x.grad = None
        gx.backward(grad=np.ones_like(gx.data), create_graph=True)
    return logs


def tanh_derivatives(n: int = 7) -> tuple[list[float], Any]:
    """Step 35: the first ``n`` derivatives of tanh at x = 1, and the last one's Tensor (its graph: ``viz.draw``)."""
    x = Tensor(np.array(1.0), requires_grad=True, name="x")
    y = tg.tanh(x)
    y.name = "y"
    y.backward(create_graph=True)
    values = [float(x.grad.data)]
    for _ in range(n - 1):
        gx = x.grad
        x.grad = None
        gx.backward(create_graph=True)
        values.append(float(x.grad.data))
    return values, x.grad


def main() -> None:
    path = rosenbrock()
    print("step 28, Rosenbrock after 1000 iterations:", path[-1][0], path[-1][1])
    for i, x in enumerate(newton_by_hand()):
        print(f"step 29: {i} variable({x})")
    for i, x in enumerate(newton_double_backprop()):
        print(f"step 33: {i} variable({x})")
    logs = sin_derivatives()
    print("step 34: sin, y', y'', y''' at x = -7:", [float(v[0]) for v in logs])
    values, g7 = tanh_derivatives()
    print("step 35: derivatives 1-7 of tanh at x = 1:", values)


if __name__ == "__main__":
    main()
