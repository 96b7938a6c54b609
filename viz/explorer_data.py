"""What the explorer page shows, as plain JSON-ready data: tensors, statistics, formulas and steps.

``page_data(J, kept)`` walks J's graph (the walk ``draw_graph`` uses, so the ids t0, t1, ... of
the drawing are the keys here) and returns a dict with

- ``tensors``: per key, the course name, kind, op, shape, dtype, layer, the forward formula, the
  statistics of the value and of the course's gradient dT (min, mean, max, norm, fraction of zeros,
  a 20-bin histogram; for a ReLU output A[l] (n[l], m) the fraction of dead units), and the
  chain-rule lines that formed dT (``grad_lines``: per line the backward step, its text, and the op
  and tensor whose backward it is, e.g. linear and Z1 for ``dW1 = 1/m dZ1 X^T``). The gradient
  follows the course, as the drawing and explain mode do (``tinygrad_nb.explain_mode.course_gradient``):
  dZ[l], dA[l] and dX are m * dJ/dT (``grad_scale`` = m), dW, db and any other dT are dJ/dT
  (``grad_scale`` = 1);
- ``steps``: the forward pass in creation order, then the backward pass in the order the engine
  ran it, each with the drawing's node ids to highlight (the op, the tensors it reads, the
  gradients it sends) and its formula;
- ``svg``: drawing node id -> (tensor key, role): role is value, op, grad or step.

The gradients come from one ``tinygrad_nb.grad(J, ..., retain_graph=True)`` pass run under explain
mode with a recorder instead of a printer: it reads no ``.grad``, writes none, frees nothing, and
records each backward step's formula from the op's own ``Function.explain`` in the engine's order.
Hooks registered with ``register_hook`` run during that pass, as they do in any backward.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_nb import GraphFreedError, Tensor, explain, grad
from tinygrad_nb.explain_mode import ChainRuleTracer, course_gradient, course_scale, name_of, norm_text
from viz.graph import kind_of, walk
from viz.graph_style import convention, examples

HIST_BINS = 20
FORWARD = {  # op -> forward formula; {out} is the result, {0}, {1}, ... its inputs (course names)
    "linear": "{out} = {0} {1} + {2}",
    "conv2d": "{out} = {1} * {0} + {2} (convolution: each f x f window of {0} times each filter)",
    "pool2d": "{out} = pool({0}) (the max or mean of each f x f window, per channel)",
    "relu": "{out} = relu({0}) = max(0, {0})",
    "leaky_relu": "{out} = leaky_relu({0}) = {0} where {0} > 0, else slope * {0}",
    "sigmoid": "{out} = sigmoid({0}) = 1 / (1 + e^(-{0}))",
    "tanh": "{out} = tanh({0})",
    "softmax": "{out} = e^{0} / sum(e^{0}, axis=0)",
    "log_softmax": "{out} = log(softmax({0}))",
    "softplus": "{out} = log(1 + e^{0})",
    "log_sigmoid": "{out} = log(sigmoid({0}))",
    "binary_cross_entropy": "{out} = -1/m sum(Y log {0} + (1-Y) log(1-{0}))",
    "softmax_cross_entropy": "{out} = -1/m sum(Y log softmax({0}))",
    "binary_cross_entropy_with_logits": "{out} = -1/m sum(Y log sigmoid({0}) + (1-Y) log(1-sigmoid({0})))",
    "add": "{out} = {0} + {1}", "sub": "{out} = {0} - {1}", "mul": "{out} = {0} * {1}",
    "div": "{out} = {0} / {1}", "pow": "{out} = {0} ** {1}", "matmul": "{out} = {0} {1}",
    "neg": "{out} = -{0}", "exp": "{out} = e^{0}", "log": "{out} = log({0})", "sqrt": "{out} = sqrt({0})",
    "abs": "{out} = |{0}|", "sum": "{out} = sum({0})", "mean": "{out} = mean({0})", "max": "{out} = max({0})",
    "transpose": "{out} = {0}^T", "reshape": "{out} = reshape({0})",
}


def _r(x: Any) -> float | None:
    """A number for JSON, five significant digits; None for NaN or Inf (JSON has neither)."""
    x = float(x)
    return float(f"{x:.5g}") if math.isfinite(x) else None


def summarize(a: np.ndarray, *, units: bool = False) -> dict[str, Any]:
    """min, mean, max, norm (Frobenius), fraction of exact zeros, NaN/Inf counts and a 20-bin histogram of ``a``.

    With ``units=True`` (a ReLU output A[l] of shape (n[l], m)) also ``dead``: the fraction of the n[l]
    units that are 0 on every one of the m examples (a dead unit passes no gradient back).
    """
    a = np.asarray(a)
    finite_mask = np.isfinite(a)
    finite = a if finite_mask.all() else a[finite_mask]
    out: dict[str, Any] = {"size": int(a.size), "nan": int(np.isnan(a).sum()),
                           "inf": int(a.size - finite.size - np.isnan(a).sum()),
                           "zeros": _r((a == 0).mean()) if a.size else None}
    if finite.size:
        f64 = finite.astype(np.float64, copy=False)
        counts, edges = np.histogram(f64, bins=HIST_BINS)
        out.update(min=_r(f64.min()), mean=_r(f64.mean()), max=_r(f64.max()), norm=_r(np.linalg.norm(f64)),
                   hist={"lo": _r(edges[0]), "hi": _r(edges[-1]), "counts": counts.tolist()})
    if units and a.ndim == 2 and a.shape[0]:
        dead = (a == 0).all(axis=1)
        out.update(dead=_r(dead.mean()), dead_units=int(dead.sum()), units=int(a.shape[0]))
    return out


class _StepRecorder(ChainRuleTracer):
    """Explain mode's tracer, recording instead of printing: per backward step the node and its formulas."""

    names: Mapping[int, str]  # id(tensor) -> name in formulas
    wanted: set[int]  # ids of the tensors whose steps are kept (the drawing's, after any collapse)
    steps: list[tuple[int, list[tuple[int, str, str, str]]]]  # (id(node), [(input, "=" or "+=", rhs, ||dT||)])
    count: int

    @classmethod
    def for_graph(cls, names: Mapping[int, str], wanted: set[int]) -> _StepRecorder:
        recorder = cls(io.StringIO())  # prints nothing: header and step are overridden
        recorder.names, recorder.wanted, recorder.steps, recorder.count = names, wanted, [], 0
        return recorder

    def header(self, root: Any) -> None:
        return None

    def step(self, fn: Any, node: Any, grads: tuple, pending: dict) -> None:
        self.count += 1
        if id(node) not in self.wanted:
            self.steps.append((id(node), []))
            return
        parents = fn.parents or ()
        names = [self.names.get(id(p)) or name_of(p) for p in parents]
        lines = [(i, "+=" if parents[i] in pending else "=", rhs, norm_text(names[i], parents[i], grads[i]))
                 for i, rhs in fn.explain(self.names.get(id(node)) or name_of(node), names)
                 if grads[i] is not None and fn.needs_input_grad[i]]
        self.steps.append((id(node), lines))


class _RecordSteps(explain):
    """``tinygrad_nb.explain`` with a recorder in place of the printer."""

    recorder: _StepRecorder

    @classmethod
    def into(cls, recorder: _StepRecorder) -> _RecordSteps:
        switch = cls()
        switch.recorder = recorder
        return switch

    def value(self) -> ChainRuleTracer:
        return self.recorder


def _labels(nodes: list) -> dict[int, str]:
    """id(tensor) -> the name the page shows: the course name (the labels of a cost are ``Y``),
    else explain mode's name (``op#n``, ``const``)."""
    labels: dict[int, str] = {}
    for n in nodes:
        labels.setdefault(id(n.tensor), n.tensor.name or name_of(n.tensor))
    return labels


def forward_formula(op: str | None, out: str, ins: Sequence[str]) -> str | None:
    """The forward formula of ``op`` in course names, e.g. ``Z2 = W2 A1 + b2``; None for a leaf."""
    if op is None:
        return None
    template = FORWARD.get(op)
    if template is not None:
        try:
            return template.format(*ins, out=out)
        except IndexError:  # fewer inputs than the usual form of the op names
            pass
    return f"{out} = {op}({', '.join(ins)})"


def _gradients(J: Tensor, tensors: list[Tensor], recorder: _StepRecorder) -> tuple[list[Any], str | None]:
    """dJ/dT for ``tensors`` (None where J does not depend on T) with the steps recorded; or why there are none."""
    if not J.requires_grad:
        return [None] * len(tensors), "J does not require grad: no parameter reaches it, so there is no backward pass"
    if J.size != 1:
        return [None] * len(tensors), f"J has shape {tuple(J.shape)}: backward needs a one-element cost"
    wanted = [t for t in tensors if t.requires_grad]
    with _RecordSteps.into(recorder):
        found = grad(J, wanted, retain_graph=True, allow_unused=True) if wanted else ()
    by_id = {id(t): g for t, g in zip(wanted, found)}
    return [by_id.get(id(t)) for t in tensors], None


def page_data(J: Tensor, kept: set[str]) -> dict[str, Any]:
    """The page's data for J's graph; ``kept`` holds the drawing's node ids (what a collapse left).

    Raises ``GraphFreedError`` when backward() has freed the graph.
    """
    try:
        nodes = walk(J)
    except GraphFreedError as e:
        raise GraphFreedError("explore: this graph was freed by backward(); explore it before backward, or call "
                              "backward(retain_graph=True)") from e
    shown = [n for n in nodes if any(role + n.key in kept for role in ("", "op_", "d_", "dop_"))]
    labels = _labels(nodes)
    recorder = _StepRecorder.for_graph(labels, {id(n.tensor) for n in shown if n.tensor.op is not None})
    grads, no_grad_reason = _gradients(J, [n.tensor for n in shown], recorder)
    key_of = {id(n.tensor): n.key for n in nodes}
    m = examples([n.tensor for n in nodes])

    tensors: dict[str, dict[str, Any]] = {}
    for n, g in zip(shown, grads):
        t = n.tensor
        ins = [labels[id(p.tensor)] for p in n.inputs]
        tensors[n.key] = {
            "name": labels[id(t)], "kind": kind_of(n, J), "op": t.op, "shape": list(t.shape), "dtype": str(t.dtype),
            "layer": n.layer, "inputs": [p.key for p in n.inputs], "requires_grad": t.requires_grad,
            "forward": forward_formula(t.op, labels[id(t)], ins),
            "value": summarize(t.data, units=t.op == "relu"),
            "grad": None if g is None else summarize(course_gradient(t, g)), "grad_scale": course_scale(t),
            "grad_lines": [], "step": None, "step_lines": [], "forward_step": None,
        }
    steps = _forward_steps(nodes, kept, tensors)
    steps += _backward_steps(recorder, key_of, nodes, kept, tensors)
    svg: dict[str, list[str]] = {}
    for key in tensors:
        for prefix, role in (("", "value"), ("op_", "op"), ("d_", "grad"), ("dop_", "step")):
            if prefix + key in kept:
                svg[prefix + key] = [key, role]
    return {
        "title": f"{labels[id(J)]}: {len(nodes)} tensors",
        "output": key_of[id(J)], "tensors": tensors, "steps": steps, "svg": svg,
        "forward_total": sum(1 for n in nodes if n.tensor.op is not None), "backward_total": recorder.count,
        "collapsed": len(nodes) - len(shown), "no_grad_reason": no_grad_reason,
        "course_note": convention(m),
    }


def _forward_steps(nodes: list, kept: set[str], tensors: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One step per recorded result, in creation order: the op reads its inputs and writes the result."""
    recorded = sorted((n for n in nodes if n.tensor.op is not None), key=lambda n: n.tensor.creation_order)
    steps = []
    for k, n in enumerate(recorded, start=1):
        if n.key not in tensors:
            continue
        info = tensors[n.key]
        info["forward_step"] = k
        reads = [p.key for p in n.inputs if p.key in kept]
        read_names = ", ".join(f"{tensors[p]['name']} {tuple(tensors[p]['shape'])}" for p in reads)
        steps.append({
            "pass": "forward", "number": k, "total": len(recorded), "tensor": n.key,
            "current": [f"op_{n.key}"] if f"op_{n.key}" in kept else [], "reads": reads,
            "sends": [n.key] if n.key in kept else [],
            "title": f"forward step {k} of {len(recorded)}: {n.tensor.op} computes {info['name']}",
            "lines": [info["forward"], f"reads {read_names or '-'}; writes {info['name']} {tuple(info['shape'])}"
                                       + (", the cost" if info["kind"] == "output" else
                                          ", kept as a cache for the backward pass")],
        })
    return steps


def _backward_steps(recorder: _StepRecorder, key_of: dict[int, str], nodes: list, kept: set[str],
                    tensors: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One step per node the engine ran, in its order: the node reads dT and its caches, sends d(inputs)."""
    node_of = {n.key: n for n in nodes}
    steps = []
    for k, (node_id, lines) in enumerate(recorder.steps, start=1):
        key = key_of.get(node_id)
        if key is None or key not in tensors:
            continue
        n, info = node_of[key], tensors[key]
        info["step"] = k
        text = []
        for i, sign, rhs, norm in lines:
            target = n.inputs[i].key
            line = f"d{tensors[target]['name'] if target in tensors else name_of(n.inputs[i].tensor)} {sign} {rhs}"
            text.append(f"{line}    {tuple(n.inputs[i].tensor.shape)}    {norm}")
            if target in tensors:
                tensors[target]["grad_lines"].append({"step": k, "text": line, "op": n.tensor.op, "of": info["name"]})
        info["step_lines"] = text
        sends = [f"d_{n.inputs[i].key}" for i, _, _, _ in lines if f"d_{n.inputs[i].key}" in kept]
        caches = [p.key for p in n.inputs if p.key in kept and p.tensor.name]
        steps.append({
            "pass": "backward", "number": k, "total": recorder.count, "tensor": key,
            "current": [i for i in (f"dop_{key}" if f"dop_{key}" in kept else f"op_{key}",) if i in kept],
            "reads": ([f"d_{key}"] if f"d_{key}" in kept else []) + caches, "sends": sends,
            "title": f"backward step {k} of {recorder.count} (in the engine's order): {n.tensor.op}' takes "
                     f"d{info['name']} back to its inputs",
            "lines": text or [f"(no gradient leaves {info['name']})"],
        })
    return steps
