"""The optimisers' base: ``Optimizer`` (parameters, learning rate, ``weight_decay``, hooks, freezing) and
PyTorch's ``ParamGroup``. The update rules live in ``nn/training/optim.py`` and ``nn/training/adaptive.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


Hook = Callable[[list[Tensor]], Any]


class Optimizer(Built):
    """Base: keeps the parameter list, the learning rate ``lr`` (alpha), ``weight_decay`` and the hooks.

    Each parameter may appear once: a tensor listed twice would be stepped twice per
    update, so it is refused (as PyTorch refuses it); ``model.parameters()`` lists a
    shared layer's W and b once. A parameter frozen with ``p.requires_grad_(False)``
    (before or after the optimiser is made) is left as it is by ``step``, as is one
    whose ``.grad`` is None; at least one parameter must require grad.

    ``weight_decay`` lambda >= 0 is PyTorch's: dW[l] := dW[l] + lambda W[l] before the
    update, on every parameter (b[l] too). The course's L2 term lambd / (2m) sum ||W[l]||^2
    in the cost adds lambd / m W[l] to dW[l] alone: the same as ``weight_decay=lambd / m``
    on the W's only (``nn.optim.WeightDecay(lambd / m, params=weights)`` as a hook).
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

    def __init__(self, params: Iterable[Tensor], lr: float, weight_decay: float = 0.0):
        name = type(self).__name__
        if isinstance(params, (Tensor, Module)):
            raise TypeError(f"{name}: expected a list of parameters such as model.parameters(), "
                            f"got a {type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        first: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} must be a Tensor with requires_grad=True, "
                                f"got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: parameter {i} is the result of an operation, not a leaf tensor; "
                                 "optimise the tensors you made (model.parameters()), not results computed from them")
            if id(p) in first:
                raise ValueError(f"{name}: some parameters appear more than once (parameter {i} is parameter "
                                 f"{first[id(p)]}); pass each tensor once, e.g. model.parameters()")
            first[id(p)] = i
        if not any(p.requires_grad for p in self.params):
            raise TypeError(f"{name}: no parameter is a Tensor with requires_grad=True, so there is nothing to "
                            "train; make them with requires_grad=True (model.parameters()), or unfreeze one with "
                            "p.requires_grad_(True)")
        self.weight_decay = validate.number(f"{name}: weight_decay", weight_decay, low=0)
        self.hooks: list[Hook] = []
        self.t = 0  # the steps taken: Adam's bias correction and Adagrad's lr_decay read it
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

    def add_hook(self, hook: Hook) -> Callable[[], None]:
        """Run ``hook(params)`` at the start of every ``step``, before the update (DeZero's ``add_hook``).

        ``params`` is the list of parameters that will be updated (those with a ``.grad``, not
        frozen); a hook changes their ``.grad`` in place (``nn.optim.WeightDecay``,
        ``nn.optim.ClipGrad``) or sets it to None to skip one (``nn.optim.FreezeParam``).
        Hooks run in the order they were added; each sees the list without the parameters
        an earlier hook set to None. Inside a ``tinygrad_nb.jit``-compiled step they run on
        every call, as part of ``step``. Returns a function that removes the hook.
        """
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.add_hook: hook must be a callable taking the list of "
                            f"parameters, such as nn.optim.WeightDecay(1e-4), got {type(hook).__name__}")
        state_written(self, "hooks")  # inside a jitted step: refused unless in a side effect
        hooks = self.hooks
        hooks.append(hook)
        return lambda: hooks.remove(hook) if hook in hooks else None

    @side_effect  # a jitted step replays it
    def step(self) -> None:
        """Count the step (``t``), run the hooks, then update every parameter that has a gradient and is not
        frozen."""
        self.t += 1
        if self.hooks:
            self.run_hooks()
        self.update_all()

    def run_hooks(self) -> None:
        """Call each hook on the parameters that ``step`` is about to update."""
        params = [p for p in self.params if p.grad is not None and p.requires_grad]
        for hook in self.hooks:
            hook(params)
            params = [p for p in params if p.grad is not None]

    def update_all(self) -> None:
        """``update`` each parameter that has a gradient and requires grad, its gradient plus ``weight_decay``
        times it; an optimiser with a faster loop overrides it."""
        wd = self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if g is not None and p.requires_grad:
                self.update(i, p, g.data + wd * p.data if wd else g.data)

    def update(self, i: int, p: Tensor, g: np.ndarray) -> None:
        """Change parameter number ``i``, ``p``, in place from its gradient ``g`` (an array of p's shape, with
        the weight decay already added)."""
        raise NotImplementedError
