"""``Sequential`` and ``MLP``: networks in the course's numbering.

The Linear layers are numbered 1..L in order. Their parameters are named W1, b1, ...,
WL, bL (so ``state_dict()`` is the course's ``parameters`` dict) and their outputs
Z1, ..., ZL; the activation after Linear l names its output A{l}. A layer used twice is
one layer (its W{l}, b{l} listed and stepped once) whose two outputs get two numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nn import init as initialisers
from nn import validate
from nn.layers import Activation, Dropout, Linear, activation, as_input
from nn.module import Module
from tinygrad_nb import Tensor


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1), Sigmoid())``.

    A module may appear twice (``Sequential(lin, Tanh(), lin, Sigmoid())``): it is one layer
    with one set of parameters, named after its first use (W1, b1), stepped once per update.
    The outputs are numbered by application, so that example computes Z1, A1, Z2, A2.
    """

    _plan: list[tuple[Module, str | None]]

    def __init__(self, *modules: Module):
        super().__init__()
        if not modules:
            raise ValueError("Sequential needs at least one module")
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} must be a Module, got {type(m).__name__}")
            setattr(self, str(i), m)
        self.layers: list[Module] = list(modules)
        self._number_layers()

    def _number_layers(self) -> None:
        for l, lin in enumerate(self.linears(), start=1):
            lin.set_index(l)
        plan: list[tuple[Module, str | None]] = []  # (module, name of its output)
        l = 0  # how many Linear layers have run: the l-th outputs Z{l}, the activation after it A{l}
        for m in self.layers:
            l += len(_linears_run_by(m))
            if isinstance(m, Linear):
                plan.append((m, f"Z{l}"))
            else:
                plan.append((m, f"A{l}" if isinstance(m, Activation) and l else None))
        object.__setattr__(self, "_plan", plan)
        applied = self._applied_linears()
        for l in range(1, len(applied)):
            n_out, n_in = applied[l - 1].n_out, applied[l].n_in
            if n_in != n_out:
                raise ValueError(f"Sequential: layers do not chain: Linear {l} gives n[{l}] = {n_out} "
                                 f"but Linear {l + 1} expects n[{l}] = {n_in}")

    def _applied_linears(self) -> list[Linear]:
        """The Linear layers in the order the forward pass runs them (a shared one as often as it runs)."""
        return [lin for m in self.layers for lin in _linears_run_by(m)]

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def linears(self) -> list[Linear]:
        """The distinct Linear layers in order of first use: ``linears()[l - 1]`` owns W{l} and b{l}."""
        distinct: dict[int, Linear] = {}
        for lin in self._applied_linears():
            distinct.setdefault(id(lin), lin)
        return list(distinct.values())

    @property
    def layer_dims(self) -> list[int]:
        """[n[0], n[1], ..., n[L]], as the course's ``layers_dims`` (a shared layer counts each time it runs)."""
        applied = self._applied_linears()
        return [applied[0].n_in] + [lin.n_out for lin in applied] if applied else []

    def _child_prefix(self, child_name: str, child: Module) -> str:
        # Linear layers carry course names (W1, b1, ...), unique in the network: no "0." prefix.
        return "" if isinstance(child, (Linear, Sequential)) else f"{child_name}."

    def forward(self, X: Any) -> Tensor:
        A = X if isinstance(X, Tensor) else as_input(X, "X")
        for m, output_name in self._plan:
            out = m.forward(A)
            if output_name and out is not A:  # Identity returns its input: that tensor keeps its name Z{l}
                out.name = output_name
            A = out
        return A

    def config(self) -> dict[str, Any]:
        """{"type": "Sequential", "layers": [...]}; a module used again is {"type": "Shared", "layer": i},
        i being the position of its first use."""
        first: dict[int, int] = {}
        layers = []
        for i, m in enumerate(self.layers):
            if id(m) in first:
                layers.append({"type": "Shared", "layer": first[id(m)]})
            else:
                first[id(m)] = i
                layers.append(m.config())
        return {"type": "Sequential", "layers": layers}


class MLP(Sequential):
    """The course's L-layer network: [LINEAR -> hidden] x (L-1) -> LINEAR -> output.

    Args:
        layer_dims: [n[0], n[1], ..., n[L]], e.g. [12288, 20, 7, 5, 1] for the cat classifier.
        hidden: the hidden activation (relu, tanh, sigmoid, leaky_relu).
        output: the output activation (sigmoid, softmax, identity).
        init: an initialiser from ``nn.init`` by name or a callable (the course: "deep").
        rng: an int seed, RandomState or Generator; W1, W2, ... are drawn from it in order.
        slope: the slope of leaky_relu.
        keep_prob: with a value below 1, inverted dropout after each hidden activation.
    """

    def __init__(self, layer_dims: Sequence[int], hidden: str = "relu", output: str = "sigmoid",
                 init: str | Callable[..., np.ndarray] = "deep", rng: initialisers.RNG = None,
                 slope: float = 0.01, keep_prob: float = 1.0):
        dims = _check_dims(layer_dims)
        keep_prob = validate.probability("MLP: keep_prob", keep_prob)
        slope = validate.number("MLP: slope", slope, low=0, high=1, high_open=True)
        r = initialisers.as_rng(rng)
        modules: list[Module] = []
        for l in range(1, len(dims)):
            modules.append(Linear(dims[l - 1], dims[l], init=init, rng=r))
            last = l == len(dims) - 1
            modules.append(activation(output if last else hidden, slope))
            if keep_prob < 1.0 and not last:
                modules.append(Dropout(keep_prob=keep_prob, rng=r))
        super().__init__(*modules)
        self.hidden, self.output, self.slope, self.keep_prob = hidden, output, float(slope), float(keep_prob)

    def config(self) -> dict[str, Any]:
        return {"type": "MLP", "layer_dims": self.layer_dims, "hidden": self.hidden, "output": self.output,
                "slope": self.slope, "keep_prob": self.keep_prob}

    def __repr__(self) -> str:
        return (f"MLP(layer_dims={self.layer_dims}, hidden={self.hidden!r}, output={self.output!r})\n"
                + "\n".join(f"  layer {lin.index}: {lin.W.name} {lin.W.shape}, {lin.b.name} {lin.b.shape}"
                            for lin in self.linears()))


def _linears_run_by(m: Module) -> list[Linear]:
    """The Linear layers that running ``m`` runs, in order (for a module other than a Sequential: its own)."""
    if isinstance(m, Linear):
        return [m]
    if isinstance(m, Sequential):
        return m._applied_linears()
    return [sub for sub in m.modules() if isinstance(sub, Linear)]


def _check_dims(layer_dims: Sequence[int]) -> list[int]:
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, Sequence):
        raise TypeError(f"layer_dims must be a list of ints like [12288, 20, 7, 5, 1], got {type(layer_dims).__name__}")
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims needs at least [n_x, n_y], got {dims}")
    return [validate.positive_int(f"layer_dims[{l}] = n[{l}]", n) for l, n in enumerate(dims)]
