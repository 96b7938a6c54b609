"""The table that ``model.summary()`` returns: the layers in course notation, with parameter counts.

    >>> import nn
    >>> print(nn.MLP([2, 4, 1], hidden="tanh").summary())
    MLP(layer_dims=[2, 4, 1], hidden='tanh', output='sigmoid')
    layer  module   parameters            count  output
    1      Linear   W1 (4, 2), b1 (4, 1)     12  Z1 (4, m)
           Tanh                                  A1 (4, m)
    2      Linear   W2 (1, 4), b2 (1, 1)      5  Z2 (1, m)
           Sigmoid                               A2 (1, m)
    total: 17 parameters (W: 12, b: 5)

Layer l has W[l] (n[l], n[l-1]) and b[l] (n[l], 1): n[l] n[l-1] + n[l] parameters. A layer
used twice is counted once (its second row says "shared"). Like Keras's ``model.summary()``
and torchinfo's ``summary``, in the course's numbering; unlike Keras it returns the text
instead of printing it (see ``Summary``). Each module says its own rows
(``Module.summary_rows``); this file only lays them out.
"""

from __future__ import annotations

import re
from typing import Any

Row = tuple[str, str, str, str, str]  # layer number, module, parameters, count, output
HEADER: Row = ("layer", "module", "parameters", "count", "output")


class Summary(str):
    """The table as a ``str``; its repr is the table itself, so ``model.summary()`` displays as one in a notebook."""

    def __repr__(self) -> str:
        return str(self)


def summary(model: Any, input_shape: tuple[int, ...] | None = None) -> Summary:
    """The table of an ``nn.Module``: the same as ``model.summary()`` (``model.summary(input_shape=...)``).

    ``input_shape``, for a Sequential that takes images: X.shape (m, n_H, n_W, n_C) or one image's
    (n_H, n_W, n_C), so that the rows show every output's n_H and n_W (else "?").
    """
    if not callable(getattr(model, "summary_rows", None)):
        raise TypeError(f"summary expects an nn.Module, got {type(model).__name__}")
    if input_shape is None:
        return model.summary()
    if not callable(getattr(model, "trace_shapes", None)):
        raise TypeError(f"summary: input_shape is for an nn.Sequential (its layers' output shapes), "
                        f"got {type(model).__name__}")
    return model.summary(input_shape=input_shape)


def format_summary(head: str, rows: list[Row], named_parameters: list[tuple[str, Any]], total: int,
                   task: Any) -> Summary:
    """The lines: ``head``, the table of ``rows``, the ``total`` count of ``named_parameters`` (split into W and b
    when those are all) and, when not None, the task."""
    lines = [head, *_table([HEADER, *rows]), _total(named_parameters, total)]
    if task is not None:
        lines.append(f"task: {task.describe()}" + ("" if task.output is None else f", outputs {task.output}"))
    return Summary("\n".join(lines))


def parameter_rows(named_parameters: list[tuple[str, Any]]) -> list[Row]:
    """One row per parameter: its name, shape and size (for a module that is not a Sequential)."""
    return [("", "", f"{name} {p.shape}", f"{p.size:,}", "") for name, p in named_parameters]


def output_cell(name: str, n: int | None) -> str:
    """``Z1 (4, m)``: an output's course name and shape (rows n[l], m examples); the name alone when n is unknown."""
    return "" if not name else name if n is None else f"{name} ({n}, m)"


def image_cell(name: str, shape: tuple[int | None, int | None, int | None] | None) -> str:
    """``Z1 (m, 62, 62, 8)``: a course-4 output's name and shape (n_H, n_W, n_C) with the m examples first; "?"
    where a size is not known (the input's size is needed: ``model.summary(input_shape=X.shape)``)."""
    if not name or shape is None:
        return name
    return f"{name} (m, {', '.join('?' if n is None else str(n) for n in shape)})"


def _table(rows: list[Row]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]), r[3].rjust(widths[3]), r[4]]
        lines.append("  ".join(cells).rstrip())
    return lines


def _total(named_parameters: list[tuple[str, Any]], total: int) -> str:
    """``total: 17 parameters (W: 12, b: 5)``; with BatchNorm layers also their gamma and beta counts. The split is
    shown only when those kinds are all the parameters (W1, b1, gamma1, beta1_2, W, b, gamma: by name)."""
    counts = {kind: 0 for kind in _KINDS}
    for name, p in named_parameters:
        match = _KIND.fullmatch(name.rsplit(".", 1)[-1])
        if match:
            counts[match.group(1)] += p.size
    shown = [f"{kind}: {n:,}" for kind, n in counts.items() if n or kind in ("W", "b")]
    split = f" ({', '.join(shown)})" if sum(counts.values()) == total and total else ""
    return f"total: {total:,} parameter{'' if total == 1 else 's'}{split}"


_KINDS = ("W", "b", "gamma", "beta")
_KIND = re.compile(r"(W|b|gamma|beta)(?:\d+(?:_\d+)?)?")
