"""The six programs of "Learning PyTorch with Examples" in torch: the tutorial's code, float64.

Each takes the torch module (imported by the caller, which skips where torch is absent) and
returns {"losses": [...], "params": {...}}. The lines the tutorial itself repeats (four
parameters updated one by one) stay repeated: this is the tutorial as users copy it.
"""

from __future__ import annotations

import math
import random
from typing import Any

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


# =============================================================================================
# The torch versions (the tutorial's code, float64, fixed starting values)
# =============================================================================================
def torch_polynomial_autograd(torch: Any) -> dict:
    """(1) PyTorch: Tensors and autograd."""
    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.tensor(START["a"], dtype=dtype, requires_grad=True)
    b = torch.tensor(START["b"], dtype=dtype, requires_grad=True)
    c = torch.tensor(START["c"], dtype=dtype, requires_grad=True)
    d = torch.tensor(START["d"], dtype=dtype, requires_grad=True)
    losses = []
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "params": {"a": a.item(), "b": b.item(), "c": c.item(), "d": d.item()}}


def torch_legendre_function(torch: Any) -> dict:
    """(2) PyTorch: Defining new autograd Functions."""

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), LEGENDRE_START["a"], dtype=dtype, requires_grad=True)
    b = torch.full((), LEGENDRE_START["b"], dtype=dtype, requires_grad=True)
    c = torch.full((), LEGENDRE_START["c"], dtype=dtype, requires_grad=True)
    d = torch.full((), LEGENDRE_START["d"], dtype=dtype, requires_grad=True)
    losses = []
    learning_rate = 5e-6
    for t in range(2000):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "params": {"a": a.item(), "b": b.item(), "c": c.item(), "d": d.item()}}


def _torch_sequential(torch: Any):
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)  # (2000, 3): one example per row
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
    with torch.no_grad():  # fixed starting values instead of the random initialisation
        model[0].weight.copy_(torch.tensor(LINEAR_W0, dtype=torch.float64))
        model[0].bias.copy_(torch.tensor(LINEAR_B0, dtype=torch.float64))
    return xx, y, model


def _torch_linear_result(losses: list, model: Any) -> dict:
    linear_layer = model[0]
    return {"losses": losses, "params": {"W": linear_layer.weight.detach().numpy().copy(),
                                         "b": linear_layer.bias.detach().numpy().copy()}}


def torch_sequential_manual(torch: Any) -> dict:
    """(3) PyTorch: nn."""
    xx, y, model = _torch_sequential(torch)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    losses = []
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return _torch_linear_result(losses, model)


def torch_sequential_rmsprop(torch: Any) -> dict:
    """(4) PyTorch: optim."""
    xx, y, model = _torch_sequential(torch)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    losses = []
    learning_rate = 1e-3
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
    for t in range(RMSPROP_STEPS):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % EVERY == EVERY - 1:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return _torch_linear_result(losses, model)


def torch_polynomial_module(torch: Any) -> dict:
    """(5) PyTorch: Custom nn Modules."""
    dtype = torch.float64

    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.tensor(START["a"], dtype=dtype))
            self.b = torch.nn.Parameter(torch.tensor(START["b"], dtype=dtype))
            self.c = torch.nn.Parameter(torch.tensor(START["c"], dtype=dtype))
            self.d = torch.nn.Parameter(torch.tensor(START["d"], dtype=dtype))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    model = Polynomial3()
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
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


def torch_dynamic_net(torch: Any) -> dict:
    """(6) PyTorch: Control Flow + Weight Sharing."""
    dtype = torch.float64

    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.tensor(START["a"], dtype=dtype))
            self.b = torch.nn.Parameter(torch.tensor(START["b"], dtype=dtype))
            self.c = torch.nn.Parameter(torch.tensor(START["c"], dtype=dtype))
            self.d = torch.nn.Parameter(torch.tensor(START["d"], dtype=dtype))
            self.e = torch.nn.Parameter(torch.tensor(START["e"], dtype=dtype))

        def forward(self, x):
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, random.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    model = DynamicNet()
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
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
