"""DeZero's optimiser hooks: ``WeightDecay``, ``ClipGrad`` and ``FreezeParam``, for ``optimizer.add_hook``.

    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    opt.add_hook(nn.optim.WeightDecay(1e-4))     # dW[l] += 1e-4 W[l]
    opt.add_hook(nn.optim.ClipGrad(5.0))         # total norm of the gradients at most 5

A hook is called by ``step`` with the list of parameters about to be updated (those with a
``.grad`` that require grad), before the update, and changes their ``.grad`` in place. Being
part of ``step`` (a ``@side_effect``), a hook runs on every call of a ``tinygrad_nb.jit``-compiled
training step.
"""

from __future__ import annotations

from collections.abc import Iterable

from nn import validate
from nn.layers.module import Module
from nn.training.clip import check_norm_type, clip_total_norm
from tinygrad_nb import Tensor

__all__ = ["WeightDecay", "ClipGrad", "FreezeParam"]


def _tensors(items: Iterable[object], who: str, what: str) -> list[Tensor]:
    """Each item a Tensor, or a Module standing for its ``parameters()``; each tensor once."""
    out: list[Tensor] = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        if isinstance(item, Module):
            found = item.parameters()
        elif isinstance(item, Tensor):
            found = [item]
        else:
            raise TypeError(f"{who}: {what} {i} must be a layer (an nn.Module) or a parameter (a Tensor), got "
                            f"{type(item).__name__}; to pass a list, unpack it: {who}(*params)")
        for t in found:
            if id(t) not in seen:
                seen.add(id(t))
                out.append(t)
    return out


class WeightDecay:
    """dW[l] := dW[l] + rate W[l] on every parameter the optimiser updates (DeZero's ``WeightDecay``).

    With ``params`` (e.g. the W's of ``model.named_parameters()``) only those are decayed: the
    course's L2 term lambd / (2m) sum ||W[l]||^2 is ``WeightDecay(lambd / m, params=weights)``
    (m of the batch), b[l] left out. Without it the hook is the optimiser's own
    ``weight_decay=rate`` (which PyTorch applies to b[l] too), written into ``.grad`` in place.

    Args:
        rate: lambda >= 0.
        params: the parameters to decay (Tensors, or layers standing for theirs); None: all.
    """

    def __init__(self, rate: float, params: Iterable[Tensor | Module] | None = None):
        self.rate = validate.number("WeightDecay: rate", rate, low=0)
        if isinstance(params, (Tensor, Module)):
            params = [params]
        self.only = None if params is None else {id(t) for t in _tensors(params, "WeightDecay", "params item")}

    def __call__(self, params: list[Tensor]) -> None:
        """Add ``rate`` times each parameter to its ``.grad``, in place."""
        for p in params:
            if p.grad is None or (self.only is not None and id(p) not in self.only):
                continue
            g = p.grad
            if g.data.flags.writeable:
                g.data += self.rate * p.data
            else:
                g.data = g.data + self.rate * p.data

    def __repr__(self) -> str:
        return f"WeightDecay({self.rate:g}{'' if self.only is None else f', params=<{len(self.only)} tensors>'})"


class ClipGrad:
    """Scale all the gradients by max_norm / (norm + 1e-6) when that is < 1 (DeZero's ``ClipGrad``).

    norm is the total ``norm_type``-norm of every gradient the optimiser is about to use, as
    one vector; the computation is ``nn.utils.clip_grad_norm_``'s (PyTorch's), so
    ``opt.add_hook(ClipGrad(c))`` is ``nn.utils.clip_grad_norm_(params, c)`` before each step.

    Args:
        max_norm: the largest total norm allowed (>= 0).
        norm_type: p of the p-norm, > 0 or ``float("inf")``; 2.0 (DeZero's) by default.
    """

    def __init__(self, max_norm: float, norm_type: float | str = 2.0):
        self.max_norm = validate.number("ClipGrad: max_norm", max_norm, low=0)
        self.norm_type = check_norm_type(norm_type, "ClipGrad")

    def __call__(self, params: list[Tensor]) -> None:
        """Clip the total norm of the parameters' gradients to ``max_norm``, in place."""
        clip_total_norm(tuple(params), self.max_norm, self.norm_type, False)

    def __repr__(self) -> str:
        return f"ClipGrad({self.max_norm:g}, norm_type={self.norm_type:g})"


class FreezeParam:
    """Leave the given layers' (or tensors') parameters unchanged by the optimiser (DeZero's ``FreezeParam``).

    Each step it sets their ``.grad`` to None, so the optimiser skips them and the hooks added
    after it do not see them (add it first, so that a ``ClipGrad`` after it counts only the
    trained parameters). A layer's parameters are read when the hook is made. PyTorch's way,
    ``p.requires_grad_(False)``, also works here, and saves their backward.

    Args:
        *layers_or_params: layers (``nn.Module``) and parameters (``Tensor``), at least one.
    """

    def __init__(self, *layers_or_params: Tensor | Module):
        if not layers_or_params:
            raise TypeError("FreezeParam: give the layers or parameters to freeze, e.g. FreezeParam(model.layers[0])")
        self.params = _tensors(layers_or_params, "FreezeParam", "argument")
        if not self.params:
            raise ValueError("FreezeParam: the layers given hold no parameters, so nothing would be frozen")

    def __call__(self, params: list[Tensor]) -> None:
        """Set the frozen parameters' ``.grad`` to None."""
        for p in self.params:
            p.grad = None

    def __repr__(self) -> str:
        return f"FreezeParam(<{len(self.params)} tensors>)"
