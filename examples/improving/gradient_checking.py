"""Week 1, "Gradient Checking": a hand-written backward pass, and autograd, against finite differences.

    python examples/improving/gradient_checking.py            # autograd's gradient
    python examples/improving/gradient_checking.py --buggy    # the course's deliberately wrong backward

The course's N-dimensional check on its test case (``gradient_check_n_test_case``: after
``np.random.seed(1)``, x = randn(4, 3), then W1 (5, 4), b1 (5, 1), W2 (3, 5), b2 (3, 1),
W3 (1, 3), b3 (1, 1); y = [1, 1, 0]) for LINEAR -> RELU -> LINEAR -> RELU -> LINEAR ->
SIGMOID and the cross-entropy cost. Each of the 47 parameters theta_i is nudged by
epsilon = 1e-7 both ways, gradapprox_i = (J(theta_i + eps) - J(theta_i - eps)) / (2 eps), and

    difference = ||grad - gradapprox|| / (||grad|| + ||gradapprox||)

over all of them, flattened W1, b1, ..., b3. The course calls a difference above 2e-7 a
mistake. Its ``backward_propagation_n`` doubles dW2 and multiplies db1 by 4; the notebook
printed 0.2850931567761623 for it (and 1.1890913024229996e-07 once the two bugs are fixed).

The cost is written out in Tensor operations exactly as the notebook's
``forward_propagation_n`` writes it (sigmoid as 1 / (1 + e^-Z)): the finite differences
divide rounding errors of 1e-16 by 2 eps, so the same formula is what gives the notebook's
digits; ``nn``'s sigmoid and cross-entropy, which differ from it in the last bit, give the
printed difference to about 2e-10.
"""

from __future__ import annotations

import argparse

import numpy as np

from tinygrad_nb import Tensor, check_gradient, gradcheck

NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]
SHAPES = [(5, 4), (5, 1), (3, 5), (3, 1), (1, 3), (1, 1)]


def test_case() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The course's ``gradient_check_n_test_case``: X (4, 3), Y (1, 3) and W1, b1, ..., b3 drawn in that order."""
    np.random.seed(1)
    X = np.random.randn(4, 3)
    Y = np.array([[1, 1, 0]])
    return X, Y, {name: np.random.randn(*shape) for name, shape in zip(NAMES, SHAPES)}


def forward_propagation_n(X: np.ndarray, Y: np.ndarray, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor,
                          W3: Tensor, b3: Tensor) -> Tensor:
    """The cost J of X (4, m) and Y (1, m), as the notebook computes it."""
    m = X.shape[1]
    A1 = (W1 @ Tensor(X, name="X") + b1).relu()
    A2 = (W2 @ A1 + b2).relu()
    A3 = 1 / (1 + (-(W3 @ A2 + b3)).exp())
    logprobs = (-A3.log()) * Y + (-(1 - A3).log()) * (1 - Y)
    return (1.0 / m) * logprobs.sum()


def backward_propagation_n(X: np.ndarray, Y: np.ndarray, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The course's hand-written backward pass, with its two bugs (dW2 doubled, db1 times 4), in NumPy."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.maximum(0, Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = np.maximum(0, Z2)
    A3 = 1 / (1 + np.exp(-(p["W3"] @ A2 + p["b3"])))
    dZ3 = A3 - Y
    dW3 = 1.0 / m * (dZ3 @ A2.T)
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = (p["W3"].T @ dZ3) * (A2 > 0)
    dW2 = 1.0 / m * (dZ2 @ A1.T) * 2  # the first bug
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (p["W2"].T @ dZ2) * (A1 > 0)
    dW1 = 1.0 / m * (dZ1 @ X.T)
    db1 = 4.0 / m * np.sum(dZ1, axis=1, keepdims=True)  # the second bug
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buggy", action="store_true", help="check the course's wrong backward_propagation_n")
    args = parser.parse_args(argv)
    X, Y, values = test_case()
    params = [Tensor(values[name], requires_grad=True, name=name) for name in NAMES]

    def J(*theta: Tensor) -> Tensor:
        return forward_propagation_n(X, Y, *theta)

    if args.buggy:
        result = check_gradient(J, params, backward_propagation_n(X, Y, values), eps=1e-7, threshold=2e-7)
    else:
        result = gradcheck(J, params, eps=1e-7, threshold=2e-7)
    print(f"difference: {result.difference}")
    print("Your backward propagation works perfectly fine!" if result else
          "There is a mistake in the backward propagation!")
    print(result)
    return result.difference


if __name__ == "__main__":
    main()
