"""``grad()``: derivatives of outputs with respect to chosen inputs, touching no ``.grad``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nb import engine
from tinygrad_nb._tensor import Tensor, seed_gradient
from tinygrad_nb.function import describe
from tinygrad_nb.grad_errors import no_grad_message
from tinygrad_nb.grad_mode import enable_grad, no_grad


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) as a tuple of Tensors, one per input, without touching any ``.grad``.

    ``grad_outputs`` gives dJ/doutput, one per output, each of its output's shape; None (the default)
    means 1 for each one-element output and is refused for any other, as ``backward()`` refuses it:
    pass ``grad_outputs=np.ones_like(y.data)`` (the sum of y's elements differentiated), or
    differentiate ``y.sum()``. With ``create_graph=True``
    the results are differentiable, so ``grad`` of ``grad`` gives second derivatives.
    ``retain_graph`` defaults to ``create_graph``. An input that no output depends on
    raises, unless ``allow_unused=True`` (then its entry is None). Every returned array is
    the caller's own (never a read-only view, never shared with another result).
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in outs + ins:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad expects Tensors as outputs and inputs, got {type(t).__name__}")
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError(no_grad_message(t, "grad", role="input "))
    if grad_outputs is None:
        gos: list[Any] = [None] * len(outs)
    else:
        gos = [grad_outputs] if isinstance(grad_outputs, (Tensor, np.ndarray)) else list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gos)} grad_outputs")
    for i, (o, go) in enumerate(zip(outs, gos)):
        if go is None and o.data.size != 1:
            raise RuntimeError(non_scalar_message(o, i))
    pairs = [(o, seed_gradient(o, go, "grad")) for o, go in zip(outs, gos) if o.requires_grad]
    handed_out = {id(g) for _, g in pairs}
    sink = engine.CollectGrads(ins)
    with enable_grad() if create_graph else no_grad():
        engine.backprop([o for o, _ in pairs], [Tensor._wrap(g) if create_graph else g for _, g in pairs], sink,
                        retain_graph=create_graph if retain_graph is None else retain_graph,
                        create_graph=create_graph, handed_out=handed_out)
    result: list[Tensor | None] = []
    for t in ins:
        g = sink.found.get(t)
        if g is None and not allow_unused:
            unrecorded = [o for o in outs if o._origin is not None and o._origin[1]]
            if unrecorded:  # computed under no_grad: that, not allow_unused, is what to fix
                raise RuntimeError(no_grad_message(unrecorded[0], "grad", role="output "))
            raise RuntimeError(f"grad: the outputs do not depend on input {describe(t)}; "
                               "pass allow_unused=True to get None for it")
        if g is None or create_graph:
            result.append(g)
        else:
            result.append(Tensor._wrap(engine.own_array(np.asarray(g).astype(t.dtype, copy=False), handed_out)))
    return tuple(result)


def non_scalar_message(output: Tensor, index: int) -> str:
    """grad's refusal of a non-scalar output given no grad_outputs, saying what to pass (as backward() says it)."""
    which = f"outputs[{index}]" if index else "the output"
    return (f"grad: {which}, {describe(output)}, is not a scalar; pass dJ/d(output) of its shape "
            f"{tuple(output.shape)}: grad(y, x, grad_outputs=np.ones_like(y.data)), or reduce it to a cost "
            "first: grad(y.sum(), x)")
