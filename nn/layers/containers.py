"""``Sequential`` and ``MLP``: networks in the course's numbering.

The Linear layers are numbered 1..L in order. Their parameters are named W1, b1, ...,
WL, bL (so ``state_dict()`` is the course's ``parameters`` dict) and their outputs
Z1, ..., ZL; the activation after Linear l names its output A{l}. A layer used twice is
one layer (its W{l}, b{l} listed and stepped once) whose two outputs get two numbers.

The numbers are computed from the structure of the network asked, every time it is asked
(``state_dict``, ``forward``, ``summary``, ``config``), and never stored on a layer: a
Sequential nested in two networks is numbered by each as that network runs it, and on its
own from 1, so building one network never renames another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers.activations import Activation, activation
from nn.layers.dense import Linear, as_input, course_name
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
from nn.layers.module import Module, Numbering
from nn.layers.summary import Row, output_cell
from nn.layers.task import Task, output_of_layer
from tinygrad_nb import Tensor, state_version


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1), Sigmoid())``.

    A module may appear twice (``Sequential(lin, Tanh(), lin, Sigmoid())``): it is one layer
    with one set of parameters, named after its first use (W1, b1), stepped once per update.
    The outputs are numbered by application, so that example computes Z1, A1, Z2, A2.
    A nested Sequential's layers are numbered on from the layers before it, as the network
    asked runs them; the nested Sequential asked on its own numbers them from 1.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        if not modules:
            raise ValueError("Sequential needs at least one module")
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} must be a Module, got {type(m).__name__}")
            setattr(self, str(i), m)
        self.layers: tuple[Module, ...] = tuple(modules)
        self._check_chain()

    def __setitem__(self, i: int, module: Module) -> None:
        """Replace layer ``i`` (PyTorch's ``model[i] = nn.ReLU()``); the layers must still chain."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: a layer must be a Module, got {type(module).__name__}")
        before = self.layers
        layers = list(before)
        layers[i] = module
        self.layers = tuple(layers)  # through Module.__setattr__: a jitted step that ran the old layer records anew
        try:
            self._check_chain()
        except ValueError:
            self.layers = before
            raise
        setattr(self, str(i % len(layers)), module)

    __jit_ignore__ = ("_structure_cache",)  # derived from the layers, which the jit's guards look at

    def __getstate__(self) -> dict[str, Any]:
        """What a copy or a pickle keeps: everything but the cached structure (it names the layers by id)."""
        state = self.__dict__.copy()
        state.pop("_structure_cache", None)
        return state

    def _structure(self) -> tuple[list[Linear], list[Linear], dict[int, int], list[tuple[str, Module, int]]]:
        """The Linear layers as run and as distinct, the numbering and the plan ``_run`` follows, computed once
        per structure: any module's attribute set (``Module.__setattr__``) bumps the version they are kept for."""
        version = state_version()
        cached = self.__dict__.get("_structure_cache")
        if cached is None or cached[0] != version or cached[5] is not self.layers:
            applied = [lin for m in self.layers for lin in _linears_run_by(m)]
            distinct = list({id(lin): lin for lin in applied}.values())
            numbering = {id(lin): l for l, lin in enumerate(distinct, start=1)}
            plan = [("sequential" if isinstance(m, Sequential) and type(m).forward is Sequential.forward
                     else "linear" if isinstance(m, Linear)
                     else "activation" if isinstance(m, Activation) else "other", m, len(_linears_run_by(m)))
                    for m in self.layers]
            cached = (version, applied, distinct, numbering, plan, self.layers)
            object.__setattr__(self, "_structure_cache", cached)
        return cached[1], cached[2], cached[3], cached[4]

    def _check_chain(self) -> None:
        """ValueError when a Linear's n_in is not the n_out of the Linear run before it."""
        applied = self._applied_linears()
        for l in range(1, len(applied)):
            n_out, n_in = applied[l - 1].n_out, applied[l].n_in
            if n_in != n_out:
                raise ValueError(f"Sequential: layers do not chain: Linear {l} gives n[{l}] = {n_out} "
                                 f"but Linear {l + 1} expects n[{l}] = {n_in}")

    def _applied_linears(self) -> list[Linear]:
        """The Linear layers in the order the forward pass runs them (a shared one as often as it runs)."""
        return list(self._structure()[0])

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def linears(self) -> list[Linear]:
        """The distinct Linear layers in order of first use: ``linears()[l - 1]`` owns W{l} and b{l}."""
        return list(self._structure()[1])

    def numbering(self) -> dict[int, int]:
        """This network's layer numbers, ``{id(linear): l}``: the l-th distinct Linear it runs owns W{l}, b{l}.

        Computed from the network's structure each time it is called, never stored on the layers.
        """
        return dict(self._structure()[2])

    @property
    def layer_dims(self) -> list[int]:
        """[n[0], n[1], ..., n[L]], as the course's ``layers_dims`` (a shared layer counts each time it runs)."""
        applied = self._applied_linears()
        return [applied[0].n_in] + [lin.n_out for lin in applied] if applied else []

    def _child_prefix(self, child_name: str, child: Module) -> str:
        # Linear layers carry course names (W1, b1, ...), unique in the network: no "0." prefix.
        return "" if isinstance(child, (Linear, Sequential)) else f"{child_name}."

    def _reachable_parameters(self, numbering: Numbering | None = None) -> Iterator[tuple[str, Tensor]]:
        # The outermost Sequential asked numbers every layer it runs; a nested one takes those numbers.
        yield from super()._reachable_parameters(self.numbering() if numbering is None else numbering)

    def _repr_with(self, numbering: Numbering | None) -> str:
        return super()._repr_with(self.numbering() if numbering is None else numbering)

    def forward(self, X: Any) -> Tensor:
        A = X if isinstance(X, Tensor) else as_input(X, "X")
        _, distinct, numbering, _ = self._structure()
        for lin in distinct:  # the graph's labels: W{l}, b{l} as this network numbers the layer
            lin.label_parameters(numbering[id(lin)])
        return self._run(A, 0)[0]

    def _run(self, A: Tensor, l: int) -> tuple[Tensor, int]:
        """Run the layers on A, ``l`` Linear layers having run before; returns the output and the new count.

        The l-th Linear to run outputs Z{l}, the activation after it A{l}; a nested Sequential
        (not a subclass with its own forward) carries on the count.
        """
        for kind, m, count in self._structure()[3]:
            if kind == "sequential":
                A, l = m._run(A, l)  # type: ignore[attr-defined]
            elif kind == "linear":
                l += 1
                A = m.apply_as(A, l)  # type: ignore[attr-defined]
            else:
                out = m.forward(A)
                l += count
                if kind == "activation" and l and out is not A:  # Identity returns its input: it keeps Z{l}
                    out.name = course_name("A", l)
                A = out
        return A, l

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
        numbering = self.numbering()
        for m in _leaves(self):
            if isinstance(m, Linear):
                l, n, name = l + 1, m.n_out, f"Z{l + 1}"  # numbered here: a shared layer runs twice
                parameters = m.describe_parameters(numbering[id(m)])
                count = "shared" if id(m) in counted else f"{m.count_parameters():,}"
                rows.append((str(l), "Linear", parameters, count, output_cell(name, n)))
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
        """{"type": "Sequential", "layers": [...]}, which ``nn.load`` rebuilds.

        A module used again is {"type": "Shared", "layer": i}, i being the position of its first
        use in the same list, or {"type": "Shared", "path": [i, j, ...]} when it was first used
        elsewhere in the network (``layers[i].layers[j]...`` of the network saved). A subclass
        with its own forward is saved under its class name, which only ``load(..., model=)`` reads.
        Raises ValueError for sharing a file cannot describe (a layer of a nested MLP used elsewhere).
        """
        return self._config_at((), {})

    def _config_at(self, path: tuple[int, ...], first: dict[int, tuple[int, ...]]) -> dict[str, Any]:
        """``config()`` of this Sequential at ``path`` in the network saved; ``first`` maps the id of each module
        met so far to the path of its first use, and modules inside a nested MLP to () (not addressable)."""
        kind = "Sequential" if type(self).forward is Sequential.forward else type(self).__name__
        layers: list[dict[str, Any]] = []
        for i, m in enumerate(self.layers):
            here = (*path, i)
            if id(m) in first:
                layers.append(_shared_config(first[id(m)], path, here))
                continue
            first[id(m)] = here
            if isinstance(m, MLP):
                for j, sub in enumerate(m.layers):
                    if id(sub) in first:
                        raise ValueError(f"save: layer {_path_text(here)}.{j} ({type(sub).__name__}) of a nested MLP "
                                         f"is also used at {_path_text(first[id(sub)])}; a model file cannot describe "
                                         "that: build the network from nn.Sequential")
                    first[id(sub)] = ()
                layers.append(m.config())
            elif isinstance(m, Sequential):
                layers.append(m._config_at(here, first))
            else:
                layers.append(m.config())
        return {"type": kind, "layers": layers}


def _shared_config(first: tuple[int, ...], path: tuple[int, ...], here: tuple[int, ...]) -> dict[str, Any]:
    """The config of a module at ``here`` that was first used at ``first`` (``path`` is the list holding ``here``)."""
    if not first:
        raise ValueError(f"save: layer {_path_text(here)} is a layer of a nested MLP used again; a model file cannot "
                         "describe that: build the network from nn.Sequential")
    if first[:-1] == path:
        return {"type": "Shared", "layer": first[-1]}
    return {"type": "Shared", "path": list(first)}


def _path_text(path: tuple[int, ...]) -> str:
    return ".".join(map(str, path))


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
            modules.append(Linear(dims[l - 1], dims[l], init=init, rng=r, index=l))  # its number alone too
            last = l == len(dims) - 1
            modules.append(activation(output if last else hidden, slope))
            if keep_prob < 1.0 and not last:
                modules.append(Dropout(keep_prob=keep_prob, rng=r))
        super().__init__(*modules)
        self.hidden, self.output, self.slope, self.keep_prob = hidden, output, float(slope), float(keep_prob)
        self.task = task

    def config(self) -> dict[str, Any]:
        """{"type": "MLP", "layer_dims": [...], ...}; a subclass with its own forward is saved under its class name."""
        kind = "MLP" if type(self).forward is Sequential.forward else type(self).__name__
        return {"type": kind, "layer_dims": self.layer_dims, "hidden": self.hidden, "output": self.output,
                "slope": self.slope, "keep_prob": self.keep_prob}

    def _arguments(self) -> str:
        """``layer_dims=[...], hidden=..., output=...``: what the first line of the repr and the summary say."""
        return f"layer_dims={self.layer_dims}, hidden={self.hidden!r}, output={self.output!r}"

    def summary_head(self) -> str:
        return f"MLP({self._arguments()})"

    def __repr__(self) -> str:
        task = "" if self.task is None else f", task={self.task!r}"
        return (f"MLP({self._arguments()}, params={self.count_parameters()}{task})\n"
                + "\n".join(f"  layer {l}: {lin.describe_parameters(l)}, params={lin.count_parameters()}"
                            for l, lin in enumerate(self.linears(), start=1)))


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
