"""``Sequential`` and ``MLP``: networks in the course's numbering.

The Linear layers are numbered 1..L in order. Their parameters are named W1, b1, ...,
WL, bL (so ``state_dict()`` is the course's ``parameters`` dict) and their outputs
Z1, ..., ZL; the activation after Linear l names its output A{l}.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from nn import init as initialisers
from nn.layers import Activation, Dropout, Linear, activation, as_input
from nn.module import Module
from tinygrad_nb import Tensor


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1), Sigmoid())``."""

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
        linears = [m for m in self.modules() if isinstance(m, Linear)]
        for l, lin in enumerate(linears, start=1):
            lin.set_index(l)
        plan, l = [], 0  # (module, name for its output): the activation after Linear l outputs A{l}
        for m in self.layers:
            if isinstance(m, Linear):
                l = m.index
            plan.append((m, f"A{l}" if isinstance(m, Activation) and l else None))
        object.__setattr__(self, "_plan", plan)
        dims = [(lin.n_in, lin.n_out) for lin in linears]
        for l in range(1, len(dims)):
            if dims[l][0] != dims[l - 1][1]:
                raise ValueError(f"Sequential: layers do not chain: Linear {l} gives n[{l}] = {dims[l - 1][1]} "
                                 f"but Linear {l + 1} expects n[{l}] = {dims[l][0]}")

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def linears(self) -> list[Linear]:
        """The Linear layers in order: ``linears()[l - 1]`` is layer l."""
        return [m for m in self.modules() if isinstance(m, Linear)]

    @property
    def layer_dims(self) -> list[int]:
        """[n[0], n[1], ..., n[L]], as the course's ``layers_dims``."""
        lins = self.linears()
        return [lins[0].n_in] + [lin.n_out for lin in lins] if lins else []

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """("W1", W1), ("b1", b1), ..., ("WL", bL): the course's names, in layer order."""
        for m in self.layers:
            if isinstance(m, Linear):
                yield m.W.name, m.W
                yield m.b.name, m.b
            else:
                yield from m.named_parameters()

    def forward(self, X: Any) -> Tensor:
        A = X if isinstance(X, Tensor) else as_input(X, "X")
        for m, output_name in self._plan:
            A = m.forward(A)
            if output_name:
                A.name = output_name
        return A

    def config(self) -> dict[str, Any]:
        return {"type": "Sequential", "layers": [m.config() for m in self.layers]}


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
        r = initialisers.as_rng(rng)
        modules: list[Module] = []
        for l in range(1, len(dims)):
            modules.append(Linear(dims[l - 1], dims[l], init=init, rng=r))
            last = l == len(dims) - 1
            modules.append(activation(output if last else hidden, slope))
            if keep_prob < 1.0 and not last:
                modules.append(Dropout(keep_prob, rng=r))
        super().__init__(*modules)
        self.hidden, self.output, self.slope, self.keep_prob = hidden, output, float(slope), float(keep_prob)

    def config(self) -> dict[str, Any]:
        return {"type": "MLP", "layer_dims": self.layer_dims, "hidden": self.hidden, "output": self.output,
                "slope": self.slope, "keep_prob": self.keep_prob}

    def __repr__(self) -> str:
        return (f"MLP(layer_dims={self.layer_dims}, hidden={self.hidden!r}, output={self.output!r})\n"
                + "\n".join(f"  layer {lin.index}: {lin.W.name} {lin.W.shape}, {lin.b.name} {lin.b.shape}"
                            for lin in self.linears()))


def _check_dims(layer_dims: Sequence[int]) -> list[int]:
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, Sequence):
        raise TypeError(f"layer_dims must be a list of ints like [12288, 20, 7, 5, 1], got {type(layer_dims).__name__}")
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims needs at least [n_x, n_y], got {dims}")
    for l, n in enumerate(dims):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"layer_dims[{l}] = n[{l}] must be a positive int, got {n!r}")
    return [int(n) for n in dims]
