"""The reference: the course's math by hand in vectorised NumPy, no graph, no per-op bookkeeping.

``tight_step`` is the fastest honest version (it skips dA[0]); ``course_step`` follows the
course's helper functions (``relu_backward`` copies dA, ``L_model_backward`` starts from dAL
and also computes dA[0] = W[1]^T dZ[1]).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def init(dims: list[int], dtype) -> list[list[np.ndarray]]:
    rng = np.random.RandomState(1)
    return [[(rng.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])).astype(dtype), np.zeros((dims[l], 1), dtype)]
            for l in range(1, len(dims))]


def g(kind: str, Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0) if kind == "relu" else np.tanh(Z)


def forward(params, X, hidden):
    """L_model_forward: A[L] and, per layer, (A[l-1], Z[l])."""
    A, caches = X, []
    for l, (W, b) in enumerate(params, start=1):
        Z = W @ A + b
        caches.append((A, Z))
        A = 1 / (1 + np.exp(-Z)) if l == len(params) else g(hidden, Z)
    return A, caches


def tight_step(dims, m, hidden, dtype, data) -> Callable[[], None]:
    params = init(dims, dtype)
    X, Y = data(dims, m, dtype)
    lr = 0.0075
    L = len(params)

    def step():
        A, caches = forward(params, X, hidden)
        cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m  # noqa: F841 - the cost is part of a step
        dZ = (A - Y) / m
        for l in range(L, 0, -1):
            W, b = params[l - 1]
            A_prev, _ = caches[l - 1]
            dW = dZ @ A_prev.T
            db = dZ.sum(axis=1, keepdims=True)
            if l > 1:
                dA = W.T @ dZ
                Zp = caches[l - 2][1]
                dZ = dA * (Zp > 0) if hidden == "relu" else dA * (1 - np.tanh(Zp) ** 2)
            W -= lr * dW
            b -= lr * db

    return step


def course_step(dims, m, hidden, dtype, data) -> Callable[[], None]:
    params = init(dims, dtype)
    X, Y = data(dims, m, dtype)
    lr = 0.0075
    L = len(params)

    def step():
        AL, caches = forward(params, X, hidden)
        cost = np.squeeze(-1 / m * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))  # noqa: F841
        dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        grads = {}
        for l in range(L, 0, -1):
            (A_prev, Z), W = caches[l - 1], params[l - 1][0]
            if l == L:
                s = 1 / (1 + np.exp(-Z))
                dZ = dA * s * (1 - s)
            elif hidden == "relu":
                dZ = np.array(dA, copy=True)
                dZ[Z <= 0] = 0
            else:
                dZ = dA * (1 - np.power(np.tanh(Z), 2))
            grads[f"dW{l}"] = 1 / m * np.dot(dZ, A_prev.T)
            grads[f"db{l}"] = 1 / m * np.sum(dZ, axis=1, keepdims=True)
            dA = np.dot(W.T, dZ)
        for l in range(1, L + 1):
            params[l - 1][0] -= lr * grads[f"dW{l}"]
            params[l - 1][1] -= lr * grads[f"db{l}"]

    return step
