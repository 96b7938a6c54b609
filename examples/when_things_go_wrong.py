"""What tinygrad-nb says when things go wrong: a NaN found by detect_anomaly, a backward pass
explained step by step, and a few bad inputs. docs/guides/when-things-go-wrong.md shows this output.

    python examples/when_things_go_wrong.py
"""

from __future__ import annotations

import argparse

import numpy as np

import nn
from tinygrad_nb import Tensor, detect_anomaly


def anomaly_report() -> None:
    """A NaN in the data, caught by detect_anomaly in the forward pass."""
    model = nn.MLP([4, 3, 1], rng=1)
    X = np.random.RandomState(0).rand(4, 5)
    Y = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]])
    X[2, 3] = np.nan  # a corrupt pixel
    try:
        with detect_anomaly():
            J = nn.binary_cross_entropy(model(X), Y)
            J.backward()
    except FloatingPointError as e:
        print(e)


def backward_anomaly_report() -> None:
    """A NaN made by the backward pass (sqrt at 0), caught by detect_anomaly."""
    model = nn.MLP([4, 3, 1], init="zeros")
    W1 = model.linears()[0].W
    try:
        with detect_anomaly():
            penalty = W1.abs().sqrt().sum()  # a sqrt penalty on zero-initialised weights
            penalty.backward()
    except FloatingPointError as e:
        print(e)


def explain_trace() -> None:
    """A backward pass explained step by step."""
    model = nn.MLP([4, 7, 1], rng=1)
    X = np.random.RandomState(0).rand(4, 209)
    Y = (np.random.RandomState(1).rand(1, 209) > 0.5).astype(float)
    J = nn.binary_cross_entropy(model(X), Y)
    J.backward(explain=True)


def bad_inputs() -> None:
    """A few mistakes and the one-line message each gets."""
    model = nn.MLP([20, 7, 1], rng=1)
    for attempt in (lambda: model.linears()[1](np.ones((19, 209))),
                    lambda: nn.binary_cross_entropy(Tensor(np.full((1, 3), 0.5)), np.array([[0, 1, 2]])),
                    lambda: nn.fit(model, np.ones((20, 0)), np.ones((1, 0))),
                    lambda: nn.optim.SGD(model.parameters(), lr=-0.1),
                    lambda: Tensor(np.ones((7, 20)), name="W2") @ Tensor(np.ones((19, 209)), name="A1")):
        try:
            attempt()
        except (TypeError, ValueError) as e:
            print(f"{type(e).__name__}: {e}")


def main(argv: list[str] | None = None) -> None:
    """Parse the (no) options, so that --help prints the description instead of running, then print it all."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    print("--- detect_anomaly ---")
    anomaly_report()
    backward_anomaly_report()
    print("--- J.backward(explain=True) ---")
    explain_trace()
    print("--- bad input ---")
    bad_inputs()


if __name__ == "__main__":
    main()
