"""The six programs of "Learning PyTorch with Examples" in tinygrad-nb, as a PyTorch user writes them.

Only the import and the course's data layout differ from the torch versions in
tests/interop/_tutorial_torch.py; every other change is marked ``PORT:``.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
from _tutorial_setup import (
    DYNAMIC_SEED,
    DYNAMIC_STEPS,
    EVERY,
    LEGENDRE_START,
    LINEAR_B0,
    LINEAR_W0,
    RMSPROP_STEPS,
    START,
    seeded_random,
)

import nn  # the tutorial's torch.nn
import tinygrad_nb as tg  # the tutorial's torch
from tinygrad_nb import Tensor, no_grad

# =============================================================================================
# The tinygrad-nb versions: the same programs, as a PyTorch user writes them here
# =============================================================================================


def tg_polynomial_autograd() -> dict:
    """(1) Tensors and autograd."""
    dtype = np.float64
    x = tg.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = x.sin()  # PORT: torch.sin(x); tinygrad-nb has the method only
    a = Tensor(START["a"], dtype=dtype, requires_grad=True)
    b = Tensor(START["b"], dtype=dtype, requires_grad=True)
    c = Tensor(START["c"], dtype=dtype, requires_grad=True)
    d = Tensor(START["d"], dtype=dtype, requires_grad=True)
    losses = []
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        loss.backward()
        with no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "params": {"a": a.item(), "b": b.item(), "c": c.item(), "d": d.item()}}


class LegendrePolynomial3(tg.Function):
    """P3(x) = 1/2 (5x^3 - 3x), P3'(x) = 3/2 (5x^2 - 1).

    PORT: torch's Function has static ``forward(ctx, input)`` and ``backward(ctx, grad_output)``
    with ``ctx.save_for_backward``; a tinygrad-nb Function has methods on an instance made per
    call, ``forward(self, x)`` on NumPy arrays and ``backward(self, g, out, x)``, which is given
    the output and the inputs back, so nothing needs saving here.
    """

    def forward(self, input):
        return 0.5 * (5 * input ** 3 - 3 * input)

    def backward(self, grad_output, out, input):
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def tg_legendre_function() -> dict:
    """(2) Defining new autograd Functions."""
    dtype = np.float64
    x = tg.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = x.sin()  # PORT: torch.sin(x)
    a = tg.full((), LEGENDRE_START["a"], dtype=dtype, requires_grad=True)
    b = tg.full((), LEGENDRE_START["b"], dtype=dtype, requires_grad=True)
    c = tg.full((), LEGENDRE_START["c"], dtype=dtype, requires_grad=True)
    d = tg.full((), LEGENDRE_START["d"], dtype=dtype, requires_grad=True)
    losses = []
    learning_rate = 5e-6
    for t in range(2000):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        loss.backward()
        with no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "params": {"a": a.item(), "b": b.item(), "c": c.item(), "d": d.item()}}


def _tg_sequential():
    x = tg.linspace(-math.pi, math.pi, 2000)
    y = x.sin().unsqueeze(0)  # LAYOUT: Y (n_y, m) = (1, 2000), the shape of the model's output (torch: (2000,))
    p = Tensor([1, 2, 3]).unsqueeze(-1)  # LAYOUT: the powers down the rows, (3, 1)
    xx = x.unsqueeze(0).pow(p)  # LAYOUT: (3, 2000), one example per column (torch: x.unsqueeze(-1).pow(p), (2000, 3))
    # PORT: no Flatten. torch's Flatten(0, 1) turns the output (2000, 1) into (2000,) to match y;
    # here the output is (1, 2000) and y is made that shape. (tinygrad-nb's nn.Flatten is the course's:
    # it takes no axes, nn.Flatten(0, 1) raises TypeError, and it leaves a 2-D (n, m) unchanged.)
    model = nn.Sequential(nn.Linear(3, 1))
    model[0].W.data[...] = LINEAR_W0  # fixed starting values instead of the random initialisation
    model[0].b.data[...] = np.array(LINEAR_B0).reshape(1, 1)  # LAYOUT: b is (n_out, 1)
    return xx, y, model


def _tg_linear_result(losses: list, model: Any) -> dict:
    linear_layer = model[0]  # PORT: its parameters are the course's W and b, not torch's weight and bias
    return {"losses": losses, "params": {"W": linear_layer.W.data.copy(), "b": linear_layer.b.data.copy()}}


def tg_sequential_manual() -> dict:
    """(3) nn."""
    xx, y, model = _tg_sequential()
    loss_fn = nn.MSELoss(reduction="sum")
    losses = []
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return _tg_linear_result(losses, model)


def tg_sequential_rmsprop() -> dict:
    """(4) optim."""
    xx, y, model = _tg_sequential()
    loss_fn = nn.MSELoss(reduction="sum")
    losses = []
    learning_rate = 1e-3
    # PORT: alpha=0.99 is torch's default; tinygrad-nb's is the course's beta = 0.9
    optimizer = nn.optim.RMSprop(model.parameters(), lr=learning_rate, alpha=0.99)
    for t in range(RMSPROP_STEPS):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return _tg_linear_result(losses, model)


class Polynomial3(nn.Module):
    """(5)'s model: y = a + b x + c x^2 + d x^3 with four scalar parameters."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(np.array(START["a"]))
        self.b = nn.Parameter(np.array(START["b"]))
        self.c = nn.Parameter(np.array(START["c"]))
        self.d = nn.Parameter(np.array(START["d"]))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3


def tg_polynomial_module() -> dict:
    """(5) Custom nn Modules."""
    x = tg.linspace(-math.pi, math.pi, 2000)
    y = x.sin()  # PORT: torch.sin(x)
    model = Polynomial3()
    criterion = nn.MSELoss(reduction="sum")
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-6)
    losses = []
    for t in range(2000):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"losses": losses, "params": {k: getattr(model, k).item() for k in "abcd"}}


class DynamicNet(nn.Module):
    """(6)'s model: a third-order polynomial plus e x^4 and e x^5, each on some passes (Python's ``random``)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(np.array(START["a"]))
        self.b = nn.Parameter(np.array(START["b"]))
        self.c = nn.Parameter(np.array(START["c"]))
        self.d = nn.Parameter(np.array(START["d"]))
        self.e = nn.Parameter(np.array(START["e"]))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y


def tg_dynamic_net() -> dict:
    """(6) Control Flow + Weight Sharing."""
    x = tg.linspace(-math.pi, math.pi, 2000)
    y = x.sin()  # PORT: torch.sin(x)
    model = DynamicNet()
    criterion = nn.MSELoss(reduction="sum")
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    losses = []
    with seeded_random(DYNAMIC_SEED):
        for t in range(DYNAMIC_STEPS):
            y_pred = model(x)
            loss = criterion(y_pred, y)
            if t % EVERY == EVERY - 1:
                losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return {"losses": losses, "params": {k: getattr(model, k).item() for k in "abcde"}}
