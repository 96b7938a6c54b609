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
from nn.layers import Activation, Dropout, Flatten, Linear, activation, as_input
from nn.module import Module
from nn.summary import Row, output_cell
from nn.task import Task, output_of_layer
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

    def fit_task(self, task: Task | None) -> Task | None:
        """``task`` checked against n[L] and the last layer, with ``output`` filled in from that layer.

        A binary task needs n[L] = 1 output unit, a multiclass one n[L] = C, its number of
        classes. A last Sigmoid/Softmax outputs probabilities, a last Linear/Identity logits.
        """
        task = super().fit_task(task)
        if task is None:
            return None
        dims = self.layer_dims
        if dims and dims[-1] != task.n_y:
            units = f"n[L] = {dims[-1]} output unit{'s' if dims[-1] > 1 else ''}"
            hint = (" (a binary task has one sigmoid output unit; for a softmax over 2 units use "
                    "Task('multiclass', classes))" if task.kind == "binary" else "")
            raise ValueError(f"{type(self).__name__}.task: the model has {units} but the task is {task.describe()}, "
                             f"which needs n[L] = {task.n_y}{hint}")
        found = output_of_layer(output_kind(self))
        if found is None:
            return task
        if task.output is not None and task.output != found:
            raise ValueError(f"{type(self).__name__}.task: the task says the model outputs {task.output}, but its "
                             f"last layer gives {found}; drop output= to take it from the model")
        return task.with_output(found)

    def summary_rows(self) -> list[Row]:
        """One row per module in the order the forward pass runs them (nested Sequentials flattened):
        a Linear shows W[l], b[l], its count (or "shared" when used again) and Z[l] (n[l], m)."""
        rows: list[Row] = []
        counted: set[int] = set()
        dims = self.layer_dims
        n: int | None = dims[0] if dims else None
        l, name = 0, "X"
        for m in _leaves(self):
            if isinstance(m, Linear):
                l, n, name = l + 1, m.n_out, f"Z{l + 1}"
                _, kind, parameters, count, _ = m.summary_rows()[0]  # numbered here: a shared layer runs twice
                rows.append((str(l), kind, parameters, "shared" if id(m) in counted else count, output_cell(name, n)))
                counted.add(id(m))
                continue
            if isinstance(m, Activation) and l and m.kind != "identity":
                name = f"A{l}"
            elif isinstance(m, Flatten):
                n = None
            elif not isinstance(m, (Activation, Dropout)):  # a module of the user's: its own count, output unknown
                own = m.count_parameters()
                n, name = None, ""
                rows.append(("", type(m).__name__, "", f"{own:,}" if own else "", ""))
                continue
            rows.append(("", type(m).__name__, "", "", output_cell(name, n)))
        return rows

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
        task: what the model predicts (an ``nn.Task``, e.g. ``data.task``), saved with it; see ``Module.task``.
    """

    def __init__(self, layer_dims: Sequence[int], hidden: str = "relu", output: str = "sigmoid",
                 init: str | Callable[..., np.ndarray] = "deep", rng: initialisers.RNG = None,
                 slope: float = 0.01, keep_prob: float = 1.0, task: Task | None = None):
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
        self.task = task

    def config(self) -> dict[str, Any]:
        return {"type": "MLP", "layer_dims": self.layer_dims, "hidden": self.hidden, "output": self.output,
                "slope": self.slope, "keep_prob": self.keep_prob}

    def _arguments(self) -> str:
        """``layer_dims=[...], hidden=..., output=...``: what the first line of the repr and the summary say."""
        return f"layer_dims={self.layer_dims}, hidden={self.hidden!r}, output={self.output!r}"

    def summary_head(self) -> str:
        return f"MLP({self._arguments()})"

    def __repr__(self) -> str:
        task = "" if self.task is None else f", task={self.task!r}"
        return (f"MLP({self._arguments()}, params={self.count_parameters()}{task})\n"
                + "\n".join(f"  layer {lin.index}: {lin.W.name} {lin.W.shape}, {lin.b.name} {lin.b.shape}, "
                            f"params={lin.count_parameters()}" for lin in self.linears()))


def _linears_run_by(m: Module) -> list[Linear]:
    """The Linear layers that running ``m`` runs, in order (for a module other than a Sequential: its own)."""
    if isinstance(m, Linear):
        return [m]
    if isinstance(m, Sequential):
        return m._applied_linears()
    return [sub for sub in m.modules() if isinstance(sub, Linear)]


def _leaves(seq: Sequential) -> list[Module]:
    """The modules a Sequential runs, nested Sequentials flattened, in order."""
    out: list[Module] = []
    for m in seq.layers:
        out.extend(_leaves(m) if isinstance(m, Sequential) else [m])
    return out


def output_kind(module: Module) -> str | None:
    """The kind of the layer that makes ``module``'s output ("sigmoid", "linear", ...), looking through
    Sequentials and past a final Dropout; None when it cannot be told."""
    if isinstance(module, Activation):
        return module.kind
    if isinstance(module, Linear):
        return "linear"
    if isinstance(module, Sequential):
        for m in reversed(module.layers):
            if not isinstance(m, Dropout):  # dropout does not change what the output is
                return output_kind(m)
    return None


def _check_dims(layer_dims: Sequence[int]) -> list[int]:
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, Sequence):
        raise TypeError(f"layer_dims must be a list of ints like [12288, 20, 7, 5, 1], got {type(layer_dims).__name__}")
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims needs at least [n_x, n_y], got {dims}")
    return [validate.positive_int(f"layer_dims[{l}] = n[{l}]", n) for l, n in enumerate(dims)]
