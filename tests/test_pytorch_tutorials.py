"""PyTorch's tutorial "Learning PyTorch with Examples", its six programs run in tinygrad-nb and in torch.

https://pytorch.org/tutorials/beginner/pytorch_with_examples.html fits y = sin(x) on 2000
points of [-pi, pi] six ways: (1) tensors and autograd with a hand-written update, (2) a
custom autograd Function (the Legendre polynomial P3), (3) ``nn.Sequential`` with a
hand-written update, (4) ``optim.RMSprop``, (5) a custom ``nn.Module``, (6) a module whose
forward changes with ``random`` (dynamic control flow).

Each program is written twice below, side by side: ``torch_*`` is the tutorial's code in
float64, and ``tg_*`` is the same program as a PyTorch user writes it in tinygrad-nb, with
only the import and the course's data layout changed (data (n_x, m), one example per
column; Linear's W (n_out, n_in)). Every other change is marked ``PORT:`` in a comment.

Two departures from the tutorial, made in both versions alike:
- Fixed starting values instead of ``torch.randn(())`` and Linear's random initialisation,
  so that the two runs start from the same point (the scalars are torch.manual_seed(0)'s first
  five randn draws, rounded to 4 digits; program (2) keeps the tutorial's own a=0, b=-1, c=0, d=0.3).
- Fewer iterations: 2000 for (6) (the tutorial runs 30000) and 800 for (4) (the tutorial runs
  2000; why in test_sequential_rmsprop); (1), (2), (3) and (5) run the tutorial's 2000.

``test_<program>`` runs the tinygrad-nb version alone and checks its final loss and
parameters against numbers recorded from torch 2.13.0 (float64), so it runs without torch;
``test_agrees_with_torch`` runs torch itself and compares the loss every 100 iterations (the
tutorial's printout) and the final parameters.
"""

from __future__ import annotations

import contextlib
import functools
import math
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import nn  # the tutorial's torch.nn
import tinygrad_nb as tg  # the tutorial's torch
from tinygrad_nb import Tensor, no_grad

# ---------------------------------------------------------------------------------------------
# Fixed starting values (both versions)
# ---------------------------------------------------------------------------------------------
START = {"a": 1.541, "b": -0.2934, "c": -2.1788, "d": 0.5684, "e": -1.0845}
LEGENDRE_START = {"a": 0.0, "b": -1.0, "c": 0.0, "d": 0.3}  # the tutorial's own, program (2)
LINEAR_W0 = [[0.2, -0.3, 0.1]]  # nn.Linear(3, 1): weight (1, 3), as in torch and in the course
LINEAR_B0 = [0.05]
DYNAMIC_SEED = 0  # random.seed for program (6), the same for both runs
DYNAMIC_STEPS = 2000  # the tutorial runs 30000
RMSPROP_STEPS = 800  # the tutorial runs 2000; past ~900 the run is chaotic (see test_sequential_rmsprop)
EVERY = 100  # the tutorial prints the loss when t % 100 == 99

RTOL = 1e-12  # asserted (the brief asks 1e-9); the measured agreement, 0 to 5e-15, is in each test's docstring
ATOL = 1e-15  # for parameters that are 0 up to rounding ((2)'s a and c, about 1e-17); negligible elsewhere


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


@contextlib.contextmanager
def seeded_random(seed: int) -> Iterator[None]:
    """``random.seed(seed)`` inside the block; Python's global random state is restored afterwards."""
    saved = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(saved)


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


# =============================================================================================
# The tests
# =============================================================================================
PROGRAMS = {
    "polynomial_autograd": (tg_polynomial_autograd, torch_polynomial_autograd),
    "legendre_function": (tg_legendre_function, torch_legendre_function),
    "sequential_manual": (tg_sequential_manual, torch_sequential_manual),
    "sequential_rmsprop": (tg_sequential_rmsprop, torch_sequential_rmsprop),
    "polynomial_module": (tg_polynomial_module, torch_polynomial_module),
    "dynamic_net": (tg_dynamic_net, torch_dynamic_net),
}

# The final loss (at the last iteration) and the parameters after the last update, as torch 2.13.0 computes them
# in float64 (CPU, Linux x86-64) from the starting values above; W is Linear's weight (1, 3), b its bias.
RECORDED: dict[str, dict[str, Any]] = {
    "polynomial_autograd": {"loss": 12.286679088571148, "params": {
        "a": 0.058623583066783176, "b": 0.8372480247026939, "c": -0.01011354357965301, "d": -0.09055770537226702}},
    "legendre_function": {"loss": 8.943643355960496, "params": {
        "a": -8.06299471634017e-19, "b": -2.20852641519011, "c": 2.420286193682828e-19, "d": 0.2554861125088658}},
    "sequential_manual": {"loss": 8.947408186890907, "params": {
        "W": [0.8460214538646853, -0.0005368640426173284, -0.091805649270867], "b": [0.003111955127307197]}},
    "sequential_rmsprop": {"loss": 18.711652386528485, "params": {
        "W": [0.7605069102170786, -0.0008835741476281739, -0.07964788043029175], "b": [0.004758790726516505]}},
    "polynomial_module": {"loss": 12.286679088571148, "params": {
        "a": 0.058623583066783176, "b": 0.8372480247026939, "c": -0.01011354357965301, "d": -0.09055770537226702}},
    "dynamic_net": {"loss": 2234.3408971386343, "params": {
        "a": 1.3234459804088918, "b": 0.059097533341340255, "c": -0.23120714683522597, "d": 0.018675207592966217,
        "e": 0.0006109764161657398}},
}


@functools.cache
def tinygrad_run(name: str) -> dict:
    """The tinygrad-nb program's result, run once per session (its test and the torch comparison share it)."""
    return PROGRAMS[name][0]()


def assert_agree(got: dict, want: dict, what: str) -> None:
    """The final loss and every parameter within ``RTOL`` (``ATOL`` for parameters that are 0 up to rounding)."""
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=RTOL, atol=0, err_msg=f"{what}: final loss")
    assert got["params"].keys() == want["params"].keys()
    for k, v in want["params"].items():
        np.testing.assert_allclose(np.ravel(got["params"][k]), np.ravel(v), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{what}: parameter {k}")


def check_recorded(name: str) -> dict:
    got = tinygrad_run(name)
    assert_agree({"loss": got["losses"][-1], "params": got["params"]}, RECORDED[name],
                 f"{name}: tinygrad-nb vs torch 2.13.0 (recorded)")
    return got


def test_polynomial_autograd():
    """(1) a + b x + c x^2 + d x^3, ``a -= learning_rate * a.grad`` under no_grad, ``a.grad = None``.

    Measured against torch: final loss and a, b, c, d bit-identical; the 20 printed losses within 7e-16.
    """
    got = check_recorded("polynomial_autograd")
    assert got["losses"][-1] < got["losses"][0] / 100  # it learns: 3238 -> 12.3


def test_legendre_function():
    """(2) y = a + b P3(c + d x) with P3 a custom Function (forward and backward by hand).

    Measured against torch: final loss, b and d bit-identical; printed losses within 4e-16. a and c
    stay 0 up to rounding (the data are symmetric, so their gradients are sums that cancel): torch
    ends at -8e-19 and 2e-19, tinygrad-nb at -1.4e-17 and 3.6e-18, so they are compared with ATOL.
    """
    got = check_recorded("legendre_function")
    assert abs(got["params"]["a"]) < 1e-15 and abs(got["params"]["c"]) < 1e-15


def test_legendre_function_gradient():
    """The custom Function's backward is P3's derivative (checked against finite differences)."""
    x = Tensor(np.linspace(-1.0, 1.0, 7), requires_grad=True)
    LegendrePolynomial3.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 1.5 * (5 * x.data ** 2 - 1), rtol=1e-15)
    assert tg.gradcheck(lambda v: LegendrePolynomial3.apply(v).sum(), [x])


def test_sequential_manual():
    """(3) Sequential(Linear(3, 1)) on X (3, 2000) = (x, x^2, x^3), MSELoss(reduction="sum"), manual update.

    Measured against torch: final loss and b bit-identical, W within 4e-16 (1.1e-16 absolute);
    printed losses within 8e-16.
    """
    got = check_recorded("sequential_manual")
    assert got["params"]["W"].shape == (1, 3) and got["params"]["b"].shape == (1, 1)  # the course's W, b


def test_sequential_rmsprop():
    """(4) the same model trained by RMSprop(lr=1e-3), for 800 of the tutorial's 2000 steps.

    Measured against torch at 800 steps: final loss bit-identical, W within 4.7e-15, b within 2.2e-15;
    printed losses within 1.2e-15. Past step ~900 the run is chaotic: RMSprop's step lr/sqrt(s)
    grows as s decays until the x^3 weight overshoots (its gradient jumps from +10 to -314 at
    step ~905), and from there rounding differences grow about 10^4-fold every 10 steps. At 2000
    steps tinygrad-nb and torch then differ by 2.5e-4 in the loss and 7 % in W's x^2 entry,
    but so do two torch runs whose starting bias differs by one ulp (W's x^2 entry +4.8e-4 vs
    -4.7e-4): no implementation agrees with another there beyond rounding.
    """
    check_recorded("sequential_rmsprop")


def test_polynomial_module():
    """(5) a custom Module with four scalar Parameters, SGD(lr=1e-6).

    Measured against torch: final loss and a, b, c, d bit-identical (and identical to program (1),
    as the tutorial's two programs compute the same thing); printed losses within 7e-16.
    """
    got = check_recorded("polynomial_module")
    same_as_1 = tinygrad_run("polynomial_autograd")["params"]  # the same model, loss and update as program (1)
    np.testing.assert_allclose([got["params"][k] for k in "abcd"], [same_as_1[k] for k in "abcd"], rtol=RTOL)
    assert len(Polynomial3().parameters()) == 4


def test_dynamic_net():
    """(6) forward adds e x^4 (and e x^5) on a random number of terms; SGD(lr=1e-8, momentum=0.9).

    Python's ``random`` is seeded identically for both runs, so they take the same paths.
    Measured against torch over 2000 steps (the tutorial runs 30000): final loss within 2e-16, a
    bit-identical, b within 1.8e-15, c 1.2e-16, d 9.3e-16, e 1.4e-15; printed losses within 1.4e-15.
    """
    state = random.getstate()
    check_recorded("dynamic_net")
    assert random.getstate() == state  # the program's seeding does not leak


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_agrees_with_torch(name: str):
    """Run the torch version now: every printed loss, the final loss and the parameters agree."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
    want = PROGRAMS[name][1](torch)
    got = tinygrad_run(name)
    assert len(got["losses"]) == len(want["losses"])
    np.testing.assert_allclose(got["losses"], want["losses"], rtol=RTOL, atol=0, err_msg=f"{name}: losses")
    assert_agree({"loss": got["losses"][-1], "params": got["params"]},
                 {"loss": want["losses"][-1], "params": want["params"]}, f"{name}: tinygrad-nb vs torch")
    # ... and torch still computes the numbers recorded above (so the test without torch checks the same thing)
    assert_agree({"loss": want["losses"][-1], "params": want["params"]}, RECORDED[name],
                 f"{name}: torch {torch.__version__} vs torch 2.13.0 (recorded)")
