"""``Adagrad`` and ``Adadelta``, PyTorch's names, defaults and update rules, beside SGD, RMSprop and Adam.

Each keeps one state array per parameter, of the parameter's shape (W[l]: (n[l], n[l-1]),
b[l]: (n[l], 1)), and is checked step by step against ``torch.optim`` in
tests/interop/test_torch_optim.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nn import validate
from nn.training.optim_base import Optimizer
from tinygrad_nb import Tensor


class Adagrad(Optimizer):
    """Adagrad: s := s + dW[l]^2;  W[l] := W[l] - alpha_t dW[l] / (sqrt(s) + eps) (the same for b[l]).

    The sum of squares s never decays, so each entry's step shrinks as its gradients add up.
    alpha_t = lr / (1 + (t - 1) lr_decay) on step t (t = 1, 2, ...), as ``torch.optim.Adagrad``.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lr: the learning rate alpha (PyTorch's default 0.01).
        lr_decay: >= 0, the inverse-time decay of alpha per step (0: none).
        weight_decay: lambda >= 0: dW[l] := dW[l] + lambda W[l] before the update (b[l] too).
        initial_accumulator_value: >= 0, where every entry of s starts.
        eps: > 0, added outside the square root (PyTorch's 1e-10).
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        super().__init__(params, lr, weight_decay)
        self.lr_decay = validate.number("Adagrad: lr_decay", lr_decay, low=0)
        self.initial_accumulator_value = validate.number("Adagrad: initial_accumulator_value",
                                                         initial_accumulator_value, low=0)
        self.eps = validate.number("Adagrad: eps", eps, low=0, low_open=True)
        self.s = [np.full_like(p.data, self.initial_accumulator_value) for p in self.params]

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        s = self.s[i]
        s += g * g
        lr_t = self.lr / (1 + (self.t - 1) * self.lr_decay)
        p.data -= lr_t * (g / (np.sqrt(s) + self.eps))


class Adadelta(Optimizer):
    """Adadelta: s := rho s + (1 - rho) dW[l]^2;  Delta := sqrt(d + eps) / sqrt(s + eps) * dW[l];
    d := rho d + (1 - rho) Delta^2;  W[l] := W[l] - alpha Delta (the same for b[l]).

    Its step's units are the parameter's own (the running mean d of past steps over the running
    mean s of gradients), so PyTorch's default ``lr=1.0`` is the original paper's rule with no
    learning rate; s and d start at 0.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lr: alpha, a factor on Delta (PyTorch's default 1.0).
        rho: in (0, 1), the decay of both running means (PyTorch's 0.9; DeZero's is 0.95).
        eps: > 0, inside both square roots (PyTorch's 1e-6).
        weight_decay: lambda >= 0: dW[l] := dW[l] + lambda W[l] before the update (b[l] too).
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.rho = validate.number("Adadelta: rho", rho, low=0, high=1, low_open=True, high_open=True)
        self.eps = validate.number("Adadelta: eps", eps, low=0, low_open=True)
        self.s = [np.zeros_like(p.data) for p in self.params]
        self.d = [np.zeros_like(p.data) for p in self.params]

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        s, d, rho = self.s[i], self.d[i], self.rho
        s *= rho
        s += (1 - rho) * (g * g)
        delta = np.sqrt(d + self.eps) / np.sqrt(s + self.eps) * g
        d *= rho
        d += (1 - rho) * (delta * delta)
        p.data -= self.lr * delta
