"""Training and evaluation: ``fit``, ``predict``, ``accuracy``.

``fit`` is the course's loop: forward, cost, backward, update, printing
``Cost after iteration i: c`` every ``print_every`` iterations.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from nn.layers import as_input
from nn.losses import LOSSES, l2_penalty
from nn.module import Module
from nn.optim import SGD, Optimizer
from tinygrad_nb import Tensor, no_grad

Loss = Callable[[Tensor, Any], Tensor]


def check_data(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    """X as (n_x, m) and Y as (n_y, m) float arrays with the same m >= 1 and no NaN or Inf."""
    x = X.data if isinstance(X, Tensor) else X
    y = Y.data if isinstance(Y, Tensor) else Y
    for label, a in (("X", x), ("Y", y)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{label} must be a numpy array (course layout: one example per column), "
                            f"got {type(a).__name__}")
        if a.ndim != 2:
            raise ValueError(f"{label} must be 2-D (n, m) with one example per column, got shape {a.shape}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{label} must be numeric, got dtype {a.dtype}")
    if x.shape[1] == 0:
        raise ValueError(f"X has no examples: shape {x.shape} (m = 0)")
    if y.shape[1] != x.shape[1]:
        raise ValueError(f"X has m = {x.shape[1]} examples (columns) but Y has {y.shape[1]}: X is {x.shape}, "
                         f"Y is {y.shape}")
    if not np.isfinite(x).all():
        raise ValueError("X contains NaN or Inf")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x, y


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _resolve_loss(loss: str | Loss) -> Loss:
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a callable (A, Y) -> J")
    return LOSSES[loss]


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, disable=None, leave=False, file=sys.stderr)  # disable=None: hidden off a terminal


def fit(model: Module, X: Any, Y: Any, *, loss: str | Loss = "binary_cross_entropy",
        optimizer: Optimizer | None = None, lr: float = 0.0075, num_iterations: int = 2500,
        batch_size: int | None = None, seed: int = 0, lambd: float = 0.0, print_every: int = 100,
        print_cost: bool = True, progress: bool = False, record_every: int | None = None) -> list[float]:
    """Train ``model`` on X (n_x, m) and Y (n_y, m); returns the costs recorded every ``record_every`` iterations.

    Full batch (``batch_size=None``): each iteration is one gradient step, as in the course.
    Mini-batch: each iteration is one epoch over mini-batches of ``batch_size`` columns,
    shuffled by ``seed + epoch``, and the recorded cost is the epoch's average.
    ``optimizer`` defaults to ``SGD(model.parameters(), lr)``; ``lambd`` adds the course's L2 term.
    """
    x, y = check_data(X, Y)
    cost_fn = _resolve_loss(loss)
    if not _is_int(num_iterations) or num_iterations < 0:
        raise ValueError(f"num_iterations must be an int >= 0, got {num_iterations!r}")
    if batch_size is not None and (not _is_int(batch_size) or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    if not _is_int(print_every) or print_every <= 0:
        raise ValueError(f"print_every must be a positive int, got {print_every!r}")
    if record_every is not None and (not _is_int(record_every) or record_every <= 0):
        raise ValueError(f"record_every must be a positive int or None, got {record_every!r}")
    opt = optimizer if optimizer is not None else SGD(model.parameters(), lr)
    record_every = record_every or print_every
    weights = [p for name, p in model.named_parameters() if name.split(".")[-1].startswith("W")]
    m = x.shape[1]
    word = "iteration" if batch_size is None else "epoch"
    model.train()
    costs: list[float] = []
    bar = _progress(num_iterations, progress)
    full_batch = [(Tensor(x, name="X"), y)]
    for i in range(num_iterations):
        batches = full_batch if batch_size is None else _mini_batches(x, y, batch_size, seed + i)
        total = 0.0
        for xb, yb in batches:
            J = cost_fn(model(xb), yb)
            if lambd:
                J = J + l2_penalty(weights, lambd, xb.shape[1])
            opt.zero_grad()
            J.backward()
            opt.step()
            total += J.item() * xb.shape[1]
        cost = total / m
        if bar is not None:
            bar.update(1)
            bar.set_postfix(cost=f"{cost:.6f}")
        if i % record_every == 0:
            costs.append(cost)
        if print_cost and (i % print_every == 0 or i == num_iterations - 1):
            print(f"Cost after {word} {i}: {cost}")
    if bar is not None:
        bar.close()
    return costs


def _mini_batches(x: np.ndarray, y: np.ndarray, size: int, seed: int) -> list[tuple[Tensor, np.ndarray]]:
    """Shuffle the columns with ``seed`` and cut them into batches of ``size`` (the last may be smaller)."""
    perm = np.random.RandomState(seed).permutation(x.shape[1])
    xs, ys = x[:, perm], y[:, perm]
    return [(Tensor(xs[:, k:k + size], name="X"), ys[:, k:k + size]) for k in range(0, x.shape[1], size)]


def predict(model: Module, X: Any, threshold: float = 0.5) -> np.ndarray:
    """Predicted labels (1, m): A[L] > threshold for one output unit, the argmax class for several."""
    model.eval()
    try:
        with no_grad():
            A = model(as_input(X.data if isinstance(X, Tensor) else X, "X")).data
    finally:
        model.train()
    if A.shape[0] == 1:
        return (A > threshold).astype(np.float64)
    return A.argmax(axis=0).reshape(1, -1).astype(np.float64)


def accuracy(model: Module, X: Any, Y: Any) -> float:
    """The fraction of the m examples whose prediction equals Y (labels (1, m) or one-hot (C, m))."""
    x, y = check_data(X, Y)
    pred = predict(model, x)
    labels = y.argmax(axis=0).reshape(1, -1) if y.shape[0] > 1 else y
    return float((pred == labels).mean())
