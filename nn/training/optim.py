"""Optimisers: ``SGD`` (with momentum), ``RMSprop``, ``Adam``; and a learning-rate decay schedule.

Each holds the parameters, reads their ``.grad`` in ``step()`` and updates ``.data`` in
place: W[l] := W[l] - alpha dW[l] for plain gradient descent. ``weight_decay=`` (PyTorch's)
adds weight_decay * W[l] to dW[l] before the update; hooks (``add_hook``, DeZero's) run on
the parameters before each update; a parameter frozen with ``p.requires_grad_(False)`` is
skipped. The base ``Optimizer`` lives in ``nn/training/optim_base.py``, Adagrad and Adadelta
in ``nn/training/adaptive.py``, the hooks in ``nn/training/optim_hooks.py``: this module
gathers them all (``nn.optim`` is its public path).

For code written for PyTorch: ``optimizer.param_groups`` is a list of one group,
``[{"params": [...], "lr": ...}]``, and ``param_groups[0]["lr"] = x`` sets ``optimizer.lr``
(and the reverse); ``RMSprop`` takes PyTorch's ``alpha=`` as well as the course's ``beta=``
and ``Adam`` PyTorch's ``betas=(beta1, beta2)`` as well as ``beta1=``, ``beta2=``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nn import validate
from nn.training.adaptive import Adadelta, Adagrad
from nn.training.optim_base import Hook, Optimizer, ParamGroup
from nn.training.optim_hooks import ClipGrad, FreezeParam, WeightDecay
from tinygrad_nb import Tensor, side_effect

__all__ = ["ParamGroup", "Optimizer", "Hook", "SGD", "RMSprop", "Adam", "Adagrad", "Adadelta", "InverseTimeDecay",
           "WeightDecay", "ClipGrad", "FreezeParam", "OPTIMIZERS"]


class SGD(Optimizer):
    """Gradient descent: W[l] := W[l] - alpha dW[l]; with ``momentum`` beta, v := beta v + (1 - dampening) dW[l]
    and W[l] := W[l] - alpha v (the same for b[l]).

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lr: the learning rate alpha.
        momentum: beta in [0, 1); 0 is plain gradient descent.
        dampening: in [0, 1], PyTorch's name for the weight of the new gradient, 1 - dampening;
            it needs momentum > 0. ``dampening=momentum`` is the course's exponentially weighted
            average v := beta v + (1 - beta) dW (``SGD(params, lr, momentum=0.9, dampening=0.9)``).
        weight_decay: lambda >= 0, PyTorch's: dW[l] := dW[l] + lambda W[l] before the update (b[l] too).
        nesterov: PyTorch's Nesterov momentum, W[l] := W[l] - alpha (dW[l] + beta v); it needs
            momentum > 0 and dampening 0.

    v starts at 0 (the course's ``initialize_velocity``), so the first step is (1 - dampening) dW.
    PyTorch instead starts v at the first dW undampened; with the default ``dampening=0`` the two agree.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr, weight_decay)
        self.momentum = validate.number("SGD: momentum", momentum, low=0, high=1, high_open=True)
        self.dampening = validate.number("SGD: dampening", dampening, low=0, high=1)
        if self.dampening and not self.momentum:
            raise ValueError(f"SGD: dampening={dampening!r} only acts with momentum > 0; set momentum too "
                             "(the course's momentum: momentum=0.9, dampening=0.9)")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        if nesterov and (not self.momentum or self.dampening):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening 0 (as PyTorch's), got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        self.nesterov = bool(nesterov)
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def update_all(self) -> None:
        if self.momentum or type(self).update is not SGD.update:  # a subclass's own update rule is kept
            super().update_all()
            return
        lr, wd = self.lr, self.weight_decay  # read once: this loop is most of a small network's optimiser time
        for p in self.params:
            g = p.grad
            if g is not None and p.requires_grad:
                p.data -= lr * (g.data + wd * p.data) if wd else lr * g.data

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        if self.momentum:
            v = self.velocity[i]
            d = (1 - self.dampening) * g if self.dampening else g
            v = self.velocity[i] = d.copy() if v is None else v * self.momentum + d
            g = g + self.momentum * v if self.nesterov else v
        p.data -= self.lr * g


class RMSprop(Optimizer):
    """s := beta s + (1 - beta) dW[l]^2;  W[l] := W[l] - alpha dW[l] / (sqrt(s) + eps) (the same for b[l]).

    The smoothing factor is the course's ``beta`` or, by its PyTorch name, ``alpha`` (one of
    the two). With neither it is the course's 0.9, not PyTorch's default alpha = 0.99: pass
    ``alpha=0.99`` to match ``torch.optim.RMSprop``. (PyTorch adds eps outside the square root
    too, and starts s at 0, as here.) ``weight_decay`` lambda adds lambda W[l] to dW[l] first,
    as PyTorch's.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, beta: float | None = None, eps: float = 1e-8,
                 *, alpha: float | None = None, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if beta is not None and alpha is not None:
            raise TypeError(f"RMSprop: got both beta={beta!r} (the course's name) and alpha={alpha!r} (PyTorch's) "
                            "for the one smoothing factor; give one")
        name, value = ("alpha", alpha) if alpha is not None else ("beta", 0.9 if beta is None else beta)
        self.beta = validate.number(name, value, low=0, high=1, low_open=True, high_open=True)
        self.eps = validate.number("eps", eps, low=0, low_open=True)
        self.s = [np.zeros_like(p.data) for p in self.params]

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        s = self.s[i]
        s *= self.beta
        s += (1 - self.beta) * g * g
        p.data -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam with bias correction: v := beta1 v + (1 - beta1) dW[l], s := beta2 s + (1 - beta2) dW[l]^2,
    v_hat = v / (1 - beta1^t), s_hat = s / (1 - beta2^t), W[l] := W[l] - alpha v_hat / (sqrt(s_hat) + eps).

    The decay rates are the course's ``beta1=``, ``beta2=`` or PyTorch's ``betas=(beta1, beta2)``
    (not both spellings at once); the defaults 0.9 and 0.999 are both's. ``weight_decay`` lambda
    is PyTorch's ``Adam(weight_decay=)``: L2, lambda W[l] added to dW[l] before v and s (not AdamW's
    decoupled decay).
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, beta1: float | None = None,
                 beta2: float | None = None, eps: float = 1e-8, *, betas: tuple[float, float] | None = None,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if betas is not None:
            if beta1 is not None or beta2 is not None:
                raise TypeError("Adam: got betas=(beta1, beta2) (PyTorch's name) and beta1/beta2 (the course's); "
                                "give one spelling")
            if isinstance(betas, (str, bytes)) or not isinstance(betas, (tuple, list)) or len(betas) != 2:
                raise TypeError(f"Adam: betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {betas!r}")
            beta1, beta2 = betas
        self.beta1 = validate.number("beta1", 0.9 if beta1 is None else beta1, low=0, high=1, low_open=True,
                                     high_open=True)
        self.beta2 = validate.number("beta2", 0.999 if beta2 is None else beta2, low=0, high=1, low_open=True,
                                     high_open=True)
        self.eps = validate.number("eps", eps, low=0, low_open=True)
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.s = [np.zeros_like(p.data) for p in self.params]

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
