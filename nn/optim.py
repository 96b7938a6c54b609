"""Optimisers: ``SGD`` (with momentum), ``RMSprop``, ``Adam``; and a learning-rate decay schedule.

Each holds the parameters, reads their ``.grad`` in ``step()`` and updates ``.data`` in
place: W[l] := W[l] - alpha dW[l] for plain gradient descent.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nn import validate
from nn.module import Module
from tinygrad_nb import Tensor, side_effect


class Optimizer:
    """Base: keeps the parameter list and the learning rate ``lr`` (alpha).

    Each parameter may appear once: a tensor listed twice would be stepped twice per
    update, so it is refused (as PyTorch refuses it); ``model.parameters()`` lists a
    shared layer's W and b once.
    """

    def __init__(self, params: Iterable[Tensor], lr: float):
        name = type(self).__name__
        if isinstance(params, (Tensor, Module)):
            raise TypeError(f"{name}: expected a list of parameters such as model.parameters(), "
                            f"got a {type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        first: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{name}: parameter {i} must be a Tensor with requires_grad=True")
            if id(p) in first:
                raise ValueError(f"{name}: some parameters appear more than once (parameter {i} is parameter "
                                 f"{first[id(p)]}); pass each tensor once, e.g. model.parameters()")
            first[id(p)] = i
        self.lr = validate.number("lr", lr, low=0, low_open=True)

    @side_effect  # a jitted step replays it
    def zero_grad(self) -> None:
        """Forget the gradients (``.grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None

    @side_effect  # a jitted step replays it
    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self.update(i, p, p.grad.data)

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        """Change parameter number ``i``, ``p``, in place from its gradient ``g`` (an array of p's shape)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent: W := W - lr dW; with ``momentum`` mu, v := mu v + (1 - dampening) dW and W := W - lr v.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lr: the learning rate alpha.
        momentum: mu in [0, 1); 0 is plain gradient descent.
        dampening: in [0, 1], PyTorch's name for the weight of the new gradient, 1 - dampening;
            it needs momentum > 0. ``dampening=momentum`` is the course's exponentially weighted
            average v := beta v + (1 - beta) dW (``SGD(params, lr, momentum=0.9, dampening=0.9)``).

    v starts at 0 (the course's ``initialize_velocity``), so the first step is (1 - dampening) dW.
    PyTorch instead starts v at the first dW undampened; with the default ``dampening=0`` the two agree.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, dampening: float = 0.0):
        super().__init__(params, lr)
        self.momentum = validate.number("SGD: momentum", momentum, low=0, high=1, high_open=True)
        self.dampening = validate.number("SGD: dampening", dampening, low=0, high=1)
        if self.dampening and not self.momentum:
            raise ValueError(f"SGD: dampening={dampening!r} only acts with momentum > 0; set momentum too "
                             "(the course's momentum: momentum=0.9, dampening=0.9)")
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        if self.momentum:
            v = self.velocity[i]
            g = (1 - self.dampening) * g if self.dampening else g
            g = self.velocity[i] = g.copy() if v is None else v * self.momentum + g
        p.data -= self.lr * g


class RMSprop(Optimizer):
    """s := beta s + (1 - beta) dW^2;  W := W - lr dW / (sqrt(s) + eps)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, beta: float = 0.9, eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta = validate.number("beta", beta, low=0, high=1, low_open=True, high_open=True)
        self.eps = validate.number("eps", eps, low=0, low_open=True)
        self.s = [np.zeros_like(p.data) for p in self.params]

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        s = self.s[i]
        s *= self.beta
        s += (1 - self.beta) * g * g
        p.data -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam with bias correction: v, s as momentum and RMSprop; v_hat = v / (1 - beta1^t), s_hat likewise."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta1 = validate.number("beta1", beta1, low=0, high=1, low_open=True, high_open=True)
        self.beta2 = validate.number("beta2", beta2, low=0, high=1, low_open=True, high_open=True)
        self.eps = validate.number("eps", eps, low=0, low_open=True)
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.s = [np.zeros_like(p.data) for p in self.params]
        self.t = 0

    @side_effect  # a jitted step replays it
    def step(self) -> None:
        self.t += 1
        super().step()

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        v, s = self.v[i], self.s[i]
        v *= self.beta1
        v += (1 - self.beta1) * g
        s *= self.beta2
        s += (1 - self.beta2) * (g * g)  # dW^2 first, as the course's (1 - beta2) * np.power(dW, 2)
        v_hat = v / (1 - self.beta1**self.t)
        s_hat = s / (1 - self.beta2**self.t)
        p.data -= self.lr * v_hat / (np.sqrt(s_hat) + self.eps)


class InverseTimeDecay:
    """lr = lr0 / (1 + decay_rate * floor(epoch / time_interval)), updated by ``step()`` once per epoch.

    ``epoch`` counts the finished epochs, so epoch 0 runs at lr0 and epoch e at the rate above.
    ``delay`` epochs pass before that count starts: the course's model sets the rate after
    epoch i from i itself (``learning_rate = decay(learning_rate0, i, decay_rate)``), so its
    epochs 0 and 1 both run at lr0 and epoch e >= 1 at lr0 / (1 + decay_rate * floor((e - 1) /
    time_interval)): ``delay=1`` reproduces it (the course's ``update_lr`` with
    ``time_interval=1``, its ``schedule_lr_decay`` with ``time_interval=1000``).
    """

    def __init__(self, optimizer: Optimizer, decay_rate: float, time_interval: int = 1, delay: int = 0):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"InverseTimeDecay expects an Optimizer, got {type(optimizer).__name__}")
        self.decay_rate = validate.number("decay_rate", decay_rate, low=0)
        self.time_interval = validate.positive_int("time_interval", time_interval)
        self.delay = validate.integer("InverseTimeDecay: delay", delay, low=0)
        self.optimizer = optimizer
        self.lr0, self.epoch = optimizer.lr, 0

    @side_effect  # a jitted step replays it
    def step(self) -> float:
        """Advance one epoch; returns the new learning rate."""
        self.epoch += 1
        counted = max(self.epoch - self.delay, 0)
        self.optimizer.lr = self.lr0 / (1 + self.decay_rate * (counted // self.time_interval))
        return self.optimizer.lr


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}
