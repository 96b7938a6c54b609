"""``Sequential`` and ``MLP``: networks in the course's numbering.

The Linear and Conv2D layers are numbered together 1..L in order. Their parameters are named
W1, b1, ..., WL, bL (so ``state_dict()`` is the course's ``parameters`` dict) and their outputs
Z1, ..., ZL; the activation after layer l names its output A{l}, a pool layer after it P{l}. A
layer used twice is one layer (its W{l}, b{l} listed and stepped once) whose two outputs get two
numbers.

The layers must chain: a Linear's n[l-1] is the n[l-1] of the Linear before it, a Conv2D's n_C_prev
the n_C of the Conv2D before it, and images (a Conv2D's or pool layer's output) reach a Linear only
through ``Flatten``. Whether the Linear after Flatten takes n_H n_W n_C inputs depends on the
images' size, so it is checked when the input is known: ``trace_shapes``, which fit, predict and
accuracy call on image data, ``summary(input_shape=...)``, and the forward pass, each naming the layer.

A ``BatchNorm`` normalises the Z{l} of the numbered layer run before it (course 2 week 3: Z~[l] =
gamma[l] Z_norm[l] + beta[l]), so its tensors take that l: gamma{l}, beta{l}, running_mean{l},
running_var{l}, and its output is Z{l}~ (A{l}~ after an activation, X~ before any layer, where l
is 0). l counts the numbered layers as the forward pass runs them, as Z{l} does (a layer used twice
counts twice). A second BatchNorm after the same layer takes gamma{l}_2, ..., a BatchNorm used
twice one set of names (its first use's), so no two tensors of a network share a name. It keeps its
input's shape; its n must be the n[l] of a Linear before it (layout="dense") or the n_C of a
Conv2D before it (layout="conv"), checked when the network is built (and, after Flatten, when
the input is known).

The numbers are computed from the structure of the network asked, every time it is asked
(``state_dict``, ``forward``, ``summary``, ``config``), and never stored on a layer: a
Sequential nested in two networks is numbered by each as that network runs it, and on its
own from 1, so building one network never renames another. A BatchNorm inside a module of
your own (not a Sequential) keeps that module's prefix (``"2.block.gamma"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers import sizes
from nn.layers.activations import Activation, activation
from nn.layers.batchnorm import BatchNorm
from nn.layers.chain import (
    NUMBERED,
    Numbered,
    batchnorm_suffixes,
    cell,
    check_layouts,
    example_shape,
    flatten_misfit,
    numbered_in,
    trace,
)
from nn.layers.conv import Conv2D, Pool2D, Shape
from nn.layers.dense import Linear, as_input, course_name
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
from nn.layers.module import Module, Numbering
from nn.layers.summary import Row, Summary, format_summary
from nn.layers.task import Task, output_for, output_of_layer
from tinygrad_nb import Tensor, state_version


class _Names(dict[int, int]):
    """A network's numbering (``id(layer) -> l``, as ``Sequential.numbering()``) handed down to the layers it runs,
    with ``batchnorm``: ``id(batchnorm) -> suffix`` ("1", "1_2"), the names its BatchNorm layers take (gamma1)."""

    def __init__(self, numbering: dict[int, int], batchnorm: dict[int, str]):
        super().__init__(numbering)
        self.batchnorm = batchnorm


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1), Sigmoid())``.

    A convolutional network is one too: ``Sequential(Conv2D(3, 8, 3), ReLU(), MaxPool2D(2), Flatten(),
    Linear(n_H n_W 8, 1), Sigmoid())`` takes images X (m, n_H_prev, n_W_prev, 3) and outputs (1, m);
    its Conv2D and Linear layers are numbered together (W1, b1 the filters, W2, b2 the dense layer).

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

    def _structure(self) -> tuple[list[Numbered], list[Numbered], _Names, list[tuple[str, Module, int]]]:
        """The numbered layers (Linear, Conv2D) as run and as distinct, the numbering (with the BatchNorm layers'
        names) and the plan ``_run`` follows, computed once per structure: any module's attribute set
        (``Module.__setattr__``) bumps the version they are kept for."""
        version = state_version()
        cached = self.__dict__.get("_structure_cache")
        if cached is None or cached[0] != version or cached[5] is not self.layers:
            applied = [lin for m in self.layers for lin in _numbered_run_by(m)]
            distinct = list({id(lin): lin for lin in applied}.values())
            numbering = _Names({id(lin): l for l, lin in enumerate(distinct, start=1)},
                               batchnorm_suffixes(leaves(self)))
            plan = [("sequential" if isinstance(m, Sequential) and type(m).forward is Sequential.forward
                     else "numbered" if isinstance(m, NUMBERED)
                     else "pool" if isinstance(m, Pool2D)
                     else "flatten" if isinstance(m, Flatten)
                     else "activation" if isinstance(m, Activation) else "other", m, len(_numbered_run_by(m)))
                    for m in self.layers]
            cached = (version, applied, distinct, numbering, plan, self.layers)
            object.__setattr__(self, "_structure_cache", cached)
        return cached[1], cached[2], cached[3], cached[4]

    def _check_chain(self) -> None:
        """ValueError when a Linear's n_in is not the n_out of the Linear run before it, a Conv2D's n_C_prev not
        the n_C of the Conv2D before it, or images reach a Linear without a Flatten (or a Conv2D gets (n, m))."""
        applied = self._applied_numbered()
        for l in range(1, len(applied)):
            before, after = applied[l - 1], applied[l]
            if isinstance(before, Linear) and isinstance(after, Linear) and after.n_in != before.n_out:
                raise ValueError(f"Sequential: layers do not chain: Linear {l} gives n[{l}] = {before.n_out} "
                                 f"but Linear {l + 1} expects n[{l}] = {after.n_in}")
            if isinstance(before, Conv2D) and isinstance(after, Conv2D) and after.n_C_prev != before.n_C:
                raise ValueError(f"Sequential: layers do not chain: Conv2D {l} gives n_C = {before.n_C} channels "
                                 f"but Conv2D {l + 1} expects n_C_prev = {after.n_C_prev}")
        check_layouts(leaves(self))

    def _applied_numbered(self) -> list[Numbered]:
        """The Linear and Conv2D layers in the order the forward pass runs them (a shared one as often as it runs)."""
        return list(self._structure()[0])

    def _applied_linears(self) -> list[Linear]:
        """The Linear layers in the order the forward pass runs them (a shared one as often as it runs)."""
        return [m for m in self._structure()[0] if isinstance(m, Linear)]

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def linears(self) -> list[Linear]:
        """The distinct Linear layers in order of first use. In a network of Linear layers only,
        ``linears()[l - 1]`` owns W{l} and b{l}; with Conv2D layers too, ``numbering()`` says each one's l."""
        return [m for m in self._structure()[1] if isinstance(m, Linear)]

    def numbering(self) -> dict[int, int]:
        """This network's layer numbers, ``{id(layer): l}``: the l-th distinct Linear or Conv2D it runs owns W{l}, b{l}.

        Computed from the network's structure each time it is called, never stored on the layers.
        """
        return dict(self._structure()[2])

    @property
    def layer_dims(self) -> list[int]:
        """[n[0], n[1], ..., n[L]] of the Linear layers, as the course's ``layers_dims`` (a shared layer counts each
        time it runs). In a convolutional network these are the dense layers' after Flatten: n[L] is still the
        output units, and the first entry is the n_H n_W n_C the first Linear takes."""
        applied = self._applied_linears()
        return [applied[0].n_in] + [lin.n_out for lin in applied] if applied else []

    def _child_prefix(self, child_name: str, child: Module) -> str:
        # Linear and Conv2D layers carry course names (W1, b1, ...), unique in the network: no "0." prefix.
        return "" if isinstance(child, (*NUMBERED, Sequential)) else f"{child_name}."

    def _reachable_parameters(self, numbering: Numbering | None = None) -> Iterator[tuple[str, Tensor]]:
        # The outermost Sequential asked numbers every layer it runs; a nested one takes those numbers.
        names = self._names(numbering)
        yield from self._parameters.items()
        for child_name, child in self._modules.items():
            suffix = self._batchnorm_suffix(child, names)
            if suffix is not None:  # gamma{l}, beta{l}: the l of the Z it normalises
                yield from ((f"{name}{suffix}", p) for name, p in child._reachable_parameters())
                continue
            prefix = self._child_prefix(child_name, child)
            for name, p in child._reachable_parameters(names):
                yield prefix + name, p

    def _reachable_buffers(self, numbering: Numbering | None = None) -> Iterator[tuple[str, np.ndarray]]:
        """The buffers, named as ``_reachable_parameters`` names the parameters: running_mean{l}, running_var{l}."""
        names = self._names(numbering)
        yield from self.__dict__.get("_buffers", {}).items()
        for child_name, child in self._modules.items():
            suffix = self._batchnorm_suffix(child, names)
            if suffix is not None:
                yield from ((f"{name}{suffix}", b) for name, b in child._reachable_buffers())
            elif isinstance(child, Sequential):
                yield from child._reachable_buffers(names)
            else:
                prefix = self._child_prefix(child_name, child)
                yield from ((prefix + name, b) for name, b in child._reachable_buffers())

    def _names(self, numbering: Numbering | None) -> _Names:
        """The numbering handed down by the network asking, or this one's when it is the network asked."""
        if isinstance(numbering, _Names):
            return numbering
        own = self._structure()[2]
        return own if numbering is None else _Names(dict(numbering), own.batchnorm)

    def _batchnorm_suffix(self, child: Module, names: _Names) -> str | None:
        """The suffix of a BatchNorm child's names (``"1"``: gamma1); None for any other child.

        A BatchNorm the network asking does not run directly (this Sequential reached through a module of
        the user's, which prefixes the names) is named as this Sequential alone names it."""
        if not isinstance(child, BatchNorm):
            return None
        suffix = names.batchnorm.get(id(child))
        return self._structure()[2].batchnorm[id(child)] if suffix is None else suffix

    def _repr_with(self, numbering: Numbering | None) -> str:
        return super()._repr_with(self.numbering() if numbering is None else numbering)

    def forward(self, X: Any) -> Tensor:
        A = X if isinstance(X, Tensor) else as_input(X, "X")
        _, distinct, numbering, _ = self._structure()
        for lin in distinct:  # the graph's labels: W{l}, b{l} as this network numbers the layer
            lin.label_parameters(numbering[id(lin)])
        return self._run(A, 0)[0]

    def _run(self, A: Tensor, l: int) -> tuple[Tensor, int]:
        """Run the layers on A, ``l`` numbered layers having run before; returns the output and the new count.

        The l-th Linear or Conv2D to run outputs Z{l}, the activation after it A{l}, a pool layer
        after it P{l}; a nested Sequential (not a subclass with its own forward) carries on the count.
        """
        flattened: tuple[int, ...] | None = None  # the images Flatten made A of, for a Linear that does not fit
        for kind, m, count in self._structure()[3]:
            if kind == "sequential":
                A, l = m._run(A, l)  # type: ignore[attr-defined]
            elif kind == "numbered":
                l += 1
                A, flattened = _apply_numbered(m, A, l, flattened), None  # type: ignore[arg-type]
            elif kind == "pool":
                A = m.apply_as(A, l)  # type: ignore[attr-defined]
            elif kind == "flatten":
                flattened = A.shape if A.ndim >= 3 else flattened
                A = m.forward(A)
                continue
            else:
                out = m.forward(A)
                l += count
                if kind == "activation" and l and out is not A:  # Identity returns its input: it keeps Z{l}
                    out.name = course_name("A", l)
                A = out
        return A, l

    def trace_shapes(self, input_shape: tuple[int, ...]) -> list[tuple[Module, Shape]]:
        """(layer, its output's shape) for each layer the forward pass runs on an input of ``input_shape``, in order
        (nested Sequentials flattened); ValueError naming the first layer the input would not fit, in course
        notation, without computing anything. After a module of your own the shapes are not known (None).

        ``trace_shapes(X.shape)`` for images X (m, n_H, n_W, n_C) checks that the Linear after Flatten takes
        n_H n_W n_C inputs; for X (n_x, m) that the first Linear takes n_x.
        """
        return trace(leaves(self), tuple(input_shape), known=True)

    def summary(self, input_shape: tuple[int, ...] | None = None) -> Summary:
        """The table of ``Module.summary``; with ``input_shape`` (X.shape, or one image's (n_H, n_W, n_C)), the
        rows of a network taking images show every output's n_H and n_W (else "?"), and a Linear after Flatten
        that does not fit those images is a ValueError naming it."""
        return format_summary(self.summary_head(), self._summary_rows(input_shape), list(self.named_parameters()),
                              self.count_parameters(), self.task)

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
        a Linear shows W[l], b[l], its count (or "shared" when used again) and Z[l] (n[l], m); a Conv2D
        W[l] (f, f, n_C_prev, n_C), b[l] (1, 1, 1, n_C) and Z[l] (m, n_H, n_W, n_C), "?" for the sizes
        that depend on the input's (``summary(input_shape=...)`` gives them)."""
        return self._summary_rows(None)

    def _summary_rows(self, input_shape: tuple[int, ...] | None) -> list[Row]:
        run = leaves(self)
        if input_shape is None:
            dims = self.layer_dims
            first = next((m for m in run if isinstance(m, (*NUMBERED, Pool2D, Flatten))), None)
            start: Shape = ((1, None, None, first.n_C_prev) if isinstance(first, Conv2D)
                            else (1, None, None, None) if isinstance(first, (Pool2D, Flatten))
                            else (dims[0] if dims else None, 1))
            shapes = trace(run, start, known=False)
        else:
            shapes = trace(run, example_shape(input_shape), known=True)
        rows: list[Row] = []
        counted: set[int] = set()
        l, name = 0, "X"
        numbering = self._structure()[2]
        for m, shape in shapes:
            if isinstance(m, NUMBERED):
                l, name = l + 1, f"Z{l + 1}"  # numbered here: a shared layer runs twice
                parameters = m.describe_parameters(numbering[id(m)])
                count = "shared" if id(m) in counted else f"{m.count_parameters():,}"
                module = "Linear" if isinstance(m, Linear) else f"Conv2D {m.hyperparameters()}"
                rows.append((str(l), module, parameters, count, cell(name, shape)))
                counted.add(id(m))
                continue
            module = type(m).__name__
            if isinstance(m, BatchNorm):  # gamma{l}, beta{l}; its output Z{l}~
                suffix = numbering.batchnorm[id(m)]
                count = "shared" if id(m) in counted else f"{m.count_parameters():,}"
                counted.add(id(m))
                name = f"{name}~"
                parameters = f"gamma{suffix} {m.gamma.shape}, beta{suffix} {m.beta.shape}"
                rows.append(("", module if m.layout == "dense" else f"{module} conv", parameters, count,
                             cell(name, shape)))
                continue
            if isinstance(m, Activation) and l and m.kind != "identity":
                name = f"A{l}"
            elif isinstance(m, Pool2D):
                name, module = ("P" if not l else f"P{l}"), f"{module} {m.hyperparameters()}"
            elif not isinstance(m, (Activation, Dropout, Flatten)):  # a module of the user's: its own count
                own = m.count_parameters()
                name = ""
                rows.append(("", module, "", f"{own:,}" if own else "", ""))
                continue
            rows.append(("", module, "", "", cell(name, shape)))
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
        output: the output activation (sigmoid, softmax, identity). None (the default) lets the task choose
            (``nn.layers.task.output_for``): identity (logits Z[L], trained with ``cross_entropy``) for a
            multiclass task, sigmoid otherwise.
        init: an initialiser from ``nn.init`` by name or a callable (the course: "deep").
        rng: an int seed, RandomState or Generator; W1, W2, ... are drawn from it in order.
        slope: the slope of leaky_relu.
        keep_prob: with a value below 1, inverted dropout after each hidden activation.
        task: what the model predicts (an ``nn.Task``, e.g. ``data.task``), saved with it; see ``Module.task``.

    Layers whose W[l] and b[l] together are larger than this machine's memory are refused (ValueError naming
    the largest, see ``nn.layers.sizes``) before any is drawn.
    """

    def __init__(self, layer_dims: Sequence[int], hidden: str = "relu", output: str | None = None,
                 init: str | Callable[..., np.ndarray] = "deep", rng: initialisers.RNG = None,
                 slope: float = 0.01, keep_prob: float = 1.0, task: Task | None = None):
        dims = _check_dims(layer_dims)
        sizes.check(sizes.mlp(dims))  # all the layers together, before the first is drawn
        keep_prob = validate.probability("MLP: keep_prob", keep_prob)
        slope = validate.number("MLP: slope", slope, low=0, high=1, high_open=True)
        r = initialisers.as_rng(rng)
        if output is None:
            output = output_for(task if isinstance(task, Task) else None)  # a bad task is refused below
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


def _numbered_run_by(m: Module) -> list[Numbered]:
    """The Linear and Conv2D layers that running ``m`` runs, in order (for a module other than a Sequential: its
    own)."""
    return m._applied_numbered() if isinstance(m, Sequential) else numbered_in(m)


def _apply_numbered(m: Numbered, A: Tensor, l: int, flattened: tuple[int, ...] | None) -> Tensor:
    """Layer ``l`` run on A; a Linear that does not fit what Flatten made of the images ``flattened`` says so."""
    try:
        return m.apply_as(A, l)
    except ValueError:
        if isinstance(m, Linear) and flattened is not None and A.ndim == 2 and A.shape[0] != m.n_in:
            raise ValueError(flatten_misfit(m, l, flattened)) from None
        raise


def leaves(seq: Sequential) -> list[Module]:
    """The modules a Sequential runs, nested Sequentials flattened, in order (a module of the user's stays whole)."""
    out: list[Module] = []
    for m in seq.layers:
        out.extend(leaves(m) if isinstance(m, Sequential) else [m])
    return out


def named_weights(model: Module) -> list[tuple[str, Tensor]]:
    """The weights of ``model`` with their names: every parameter whose own name (the last part of its dotted name,
    ``W`` of ``layers.0.W``) starts with W: W[l] (n[l], n[l-1]) of a Linear, a Conv2D's W, an RNN's Wax, Waa, Wy;
    not the biases b[l] nor a BatchNorm's gamma and beta. In ``named_parameters`` order."""
    return [(name, p) for name, p in model.named_parameters() if name.rsplit(".", 1)[-1].startswith("W")]


def weights(model: Module) -> list[Tensor]:
    """The weights of ``model`` (``named_weights`` without the names): what the course's L2 term and weight decay
    act on, e.g. ``l2_penalty(weights(model), lambd, m)``."""
    return [p for _, p in named_weights(model)]


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
