"""Optimisers: ``SGD`` (with momentum), ``RMSprop``, ``Adam``; and a learning-rate decay schedule.

Each holds the parameters, reads their ``.grad`` in ``step()`` and updates ``.data`` in
place: W[l] := W[l] - alpha dW[l] for plain gradient descent.

For code written for PyTorch: ``optimizer.param_groups`` is a list of one group,
``[{"params": [...], "lr": ...}]``, and ``param_groups[0]["lr"] = x`` sets ``optimizer.lr``
(and the reverse); ``RMSprop`` takes PyTorch's ``alpha=`` as well as the course's ``beta=``
and ``Adam`` PyTorch's ``betas=(beta1, beta2)`` as well as ``beta1=``, ``beta2=``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn import validate
from nn.layers.module import Built, Module
from tinygrad_nb import Tensor, side_effect, state_changed, state_read, state_written


class ParamGroup(dict[str, Any]):
    """PyTorch's parameter group: {"params": [...], "lr": alpha}; an "lr" written into it is checked.

    One optimiser holds one group (``optimizer.param_groups[0]``), its ``params`` the optimiser's
    own list: setting ``group["lr"]`` (as a PyTorch scheduler does) is setting ``optimizer.lr``.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "params" and "params" in self:
            raise KeyError("param_groups: the parameters are fixed when the optimiser is made; make a new "
                           "optimiser for other parameters")
        if key == "lr":
            value = validate.number("lr", value, low=0, low_open=True)
        state_written("param_groups[...]", key)  # inside a jitted step: refused unless in a side effect
        super().__setitem__(key, value)

    def __init__(self, params: list[Tensor], lr: float):
        super().__init__()  # a new group: nothing recorded read it yet, so no write to refuse
        super().__setitem__("params", params)
        super().__setitem__("lr", validate.number("lr", lr, low=0, low_open=True))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __getitem__(self, key: str) -> Any:
        state_read(self, key, "param_groups[...]")  # read by a jitted step's Python: a guard of its recording
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        state_read(self, key, "param_groups[...]")
        return dict.get(self, key, default)


class Optimizer(Built):
    """Base: keeps the parameter list and the learning rate ``lr`` (alpha).

    Each parameter may appear once: a tensor listed twice would be stepped twice per
    update, so it is refused (as PyTorch refuses it); ``model.parameters()`` lists a
    shared layer's W and b once.
    """

    _step_state = frozenset({"t"})  # what step() itself sets on every call (Adam's step count)

    def __setattr__(self, name: str, value: Any) -> None:
        built = self.__dict__.get("_built")
        if built:  # inside a jitted step: only in a side effect (step)
            state_written(self, name)
        object.__setattr__(self, name, value)
        if built and name not in self._step_state:  # a setting a jitted step's Python may have read: compared
            state_changed(self, name)

    def __jit_state__(self) -> tuple[Any, ...]:
        """What a jitted step's own Python may have read of this optimiser: its plain settings (momentum, betas,
        your own attributes), not its learning rate (guarded where read) or what its step updates."""
        return tuple(sorted((k, repr(v)) for k, v in vars(self).items()
                            if k not in self._step_state and isinstance(v, (bool, int, float, str, type(None)))))

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
        self.param_groups: list[ParamGroup] = [ParamGroup(params=self.params, lr=lr)]

    @property
    def lr(self) -> float:
        """The learning rate alpha; the same number as ``param_groups[0]["lr"]``."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        self.param_groups[0]["lr"] = value

    @side_effect  # a jitted step replays it
    def zero_grad(self) -> None:
        """Forget the gradients (``.grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None

    @side_effect  # a jitted step replays it
    def step(self) -> None:
        """Update every parameter that has a gradient."""
        self.update_all()

    def update_all(self) -> None:
        """``update`` each parameter that has a gradient; an optimiser with a faster loop overrides it."""
        for i, p in enumerate(self.params):
            g = p.grad
            if g is not None:
                self.update(i, p, g.data)

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

    def update_all(self) -> None:
        if self.momentum or type(self).update is not SGD.update:  # a subclass's own update rule is kept
            super().update_all()
            return
        lr = self.lr  # read once: this loop is most of a small network's optimiser time (planar, deep-narrow)
        for p in self.params:
            g = p.grad
            if g is not None:
                p.data -= lr * g.data

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        if self.momentum:
            v = self.velocity[i]
            g = (1 - self.dampening) * g if self.dampening else g
            g = self.velocity[i] = g.copy() if v is None else v * self.momentum + g
        p.data -= self.lr * g


class RMSprop(Optimizer):
    """s := beta s + (1 - beta) dW^2;  W := W - lr dW / (sqrt(s) + eps).

    The smoothing factor is the course's ``beta`` or, by its PyTorch name, ``alpha`` (one of
    the two). With neither it is the course's 0.9, not PyTorch's default alpha = 0.99: pass
    ``alpha=0.99`` to match ``torch.optim.RMSprop``. (PyTorch adds eps outside the square root
    too, and starts s at 0, as here.)
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, beta: float | None = None, eps: float = 1e-8,
                 *, alpha: float | None = None):
        super().__init__(params, lr)
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
    """Adam with bias correction: v, s as momentum and RMSprop; v_hat = v / (1 - beta1^t), s_hat likewise.

    The decay rates are the course's ``beta1=``, ``beta2=`` or PyTorch's ``betas=(beta1, beta2)``
    (not both spellings at once); the defaults 0.9 and 0.999 are both's.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, beta1: float | None = None,
                 beta2: float | None = None, eps: float = 1e-8, *, betas: tuple[float, float] | None = None):
        super().__init__(params, lr)
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
        self.t = 0

    @side_effect  # a jitted step replays it
    def step(self) -> None:
        self.t += 1
        self.update_all()

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
