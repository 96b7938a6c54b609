"""Optimisers: ``SGD`` (with momentum), ``RMSprop``, ``Adam``; and a learning-rate decay schedule.

Each holds the parameters, reads their ``.grad`` in ``step()`` and updates ``.data`` in
place: W[l] := W[l] - alpha dW[l] for plain gradient descent.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tinygrad_nb import Tensor


def _positive(name: str, value: float, upper: float | None = None) -> float:
    if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value <= 0 or (upper is not None and value >= upper):
        bound = f"in (0, {upper})" if upper is not None else "positive"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


class Optimizer:
    """Base: keeps the parameter list and the learning rate ``lr`` (alpha)."""

    def __init__(self, params: Iterable[Tensor], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{type(self).__name__}: parameter {i} must be a Tensor with requires_grad=True")
        self.lr = _positive("lr", lr)

    def zero_grad(self) -> None:
        """Forget the gradients (``.grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self.update(i, p, p.grad.data)

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent: W := W - lr dW; with ``momentum`` mu, v := mu v + dW and W := W - lr v (PyTorch's form)."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0):
        super().__init__(params, lr)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        if self.momentum:
            super().step()
            return
        lr = self.lr
        for p in self.params:  # plain gradient descent, the hot path: W := W - lr dW
            if p.grad is not None:
                p.data -= lr * p.grad.data

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        if self.momentum:
            v = self.velocity[i]
            self.velocity[i] = v = g.copy() if v is None else v * self.momentum + g
            g = v
        p.data -= self.lr * g


class RMSprop(Optimizer):
    """s := beta s + (1 - beta) dW^2;  W := W - lr dW / (sqrt(s) + eps)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, beta: float = 0.9, eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta, self.eps = _positive("beta", beta, 1.0), _positive("eps", eps)
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
        self.beta1, self.beta2 = _positive("beta1", beta1, 1.0), _positive("beta2", beta2, 1.0)
        self.eps = _positive("eps", eps)
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.s = [np.zeros_like(p.data) for p in self.params]
        self.t = 0

    def step(self) -> None:
        self.t += 1
        super().step()

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        v, s = self.v[i], self.s[i]
        v *= self.beta1
        v += (1 - self.beta1) * g
        s *= self.beta2
        s += (1 - self.beta2) * g * g
        v_hat = v / (1 - self.beta1**self.t)
        s_hat = s / (1 - self.beta2**self.t)
        p.data -= self.lr * v_hat / (np.sqrt(s_hat) + self.eps)


class InverseTimeDecay:
    """lr = lr0 / (1 + decay_rate * floor(epoch / time_interval)), updated by ``step()`` once per epoch."""

    def __init__(self, optimizer: Optimizer, decay_rate: float, time_interval: int = 1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"InverseTimeDecay expects an Optimizer, got {type(optimizer).__name__}")
        if not isinstance(decay_rate, (int, float)) or decay_rate < 0:
            raise ValueError(f"decay_rate must be a number >= 0, got {decay_rate!r}")
        if not isinstance(time_interval, int) or time_interval <= 0:
            raise ValueError(f"time_interval must be a positive int, got {time_interval!r}")
        self.optimizer, self.decay_rate, self.time_interval = optimizer, float(decay_rate), time_interval
        self.lr0, self.epoch = optimizer.lr, 0

    def step(self) -> float:
        """Advance one epoch; returns the new learning rate."""
        self.epoch += 1
        self.optimizer.lr = self.lr0 / (1 + self.decay_rate * (self.epoch // self.time_interval))
        return self.optimizer.lr


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}
