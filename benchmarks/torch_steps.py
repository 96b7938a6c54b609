"""PyTorch's CPU training step, written the way a PyTorch user writes it (optional: skipped if absent)."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable


def available() -> bool:
    return importlib.util.find_spec("torch") is not None


def version() -> str:
    import torch

    return torch.__version__


def step(dims, m, hidden, dtype_name, data) -> Callable[[], None]:
    import torch

    torch.set_num_threads(1)
    dtype = getattr(torch, dtype_name)
    layers = []
    for l in range(1, len(dims)):
        layers.append(torch.nn.Linear(dims[l - 1], dims[l]))
        layers.append(torch.nn.Sigmoid() if l == len(dims) - 1 else
                      (torch.nn.ReLU() if hidden == "relu" else torch.nn.Tanh()))
    model = torch.nn.Sequential(*layers).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.0075)
    X, Y = data(dims, m, dtype_name)
    X, Y = torch.from_numpy(X.T.copy()), torch.from_numpy(Y.T.copy())  # PyTorch's layout: (m, n_x)
    loss_fn = torch.nn.BCELoss()

    def run():
        loss = loss_fn(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return run


def chain_backward(n: int) -> float:
    import torch

    x = torch.ones(1, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    J = y.sum()
    t0 = time.perf_counter()
    J.backward()
    return time.perf_counter() - t0
