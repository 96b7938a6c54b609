"""How a network's layers chain: the checks a Sequential runs when it is built (layouts, channels, a
BatchNorm's n) and the shapes it traces once the input is known (``trace_shapes``, ``summary``), each
error naming the layer in the course's terms. Module-level functions over the flat list of the layers a
Sequential runs; the Sequential (containers.py) calls them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import validate
from nn.layers.activations import Activation
from nn.layers.batchnorm import BatchNorm
from nn.layers.conv import Conv2D, Pool2D, Shape
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
from nn.layers.module import Module
from nn.layers.summary import image_cell, output_cell

NUMBERED = (Linear, Conv2D)  # the layers a network numbers 1..L: each owns W{l} and b{l}
Numbered = Linear | Conv2D
KEEPS_SHAPE = (Activation, Dropout, BatchNorm)  # layers whose output has their input's shape and layout


def numbered_in(m: Module) -> list[Numbered]:
    """The Linear and Conv2D layers in a leaf module (not a Sequential: a Sequential's leaves are flattened)."""
    return [m] if isinstance(m, NUMBERED) else [sub for sub in m.modules() if isinstance(sub, NUMBERED)]


def check_layouts(leaves: list[Module]) -> None:
    """ValueError when images (a Conv2D's or pool layer's output) reach a Linear without a Flatten between them,
    or a Conv2D or pool layer follows a dense layer's (n, m) output; activations and dropout keep the layout,
    a module of the user's may change it (nothing is said after one)."""
    l, last = 0, None  # last: the layer that made the current layout, or None when it is not known
    units: int | None = None  # n[l] of the Linear or n_C of the Conv2D before, when known
    for m in leaves:
        if isinstance(m, NUMBERED):
            l += 1
        if isinstance(m, Linear) and isinstance(last, (Conv2D, Pool2D)):
            raise ValueError(f"Sequential: Linear {l} follows {_name(last, l - 1)}, whose output is images (m, n_H, "
                             f"n_W, n_C); put nn.Flatten() before it, which gives the (n_H n_W n_C, m) a Linear takes")
        if isinstance(m, (Conv2D, Pool2D)) and isinstance(last, (Linear, Flatten)):
            what = _name(m, l)
            raise ValueError(f"Sequential: {what} takes images (m, n_H_prev, n_W_prev, n_C_prev) but follows "
                             f"{_name(last, l - isinstance(m, Conv2D))}, whose output is (n, m); the conv and pool "
                             "layers come before nn.Flatten() and the Linear layers")
        if isinstance(m, BatchNorm) and last is not None:
            _check_batchnorm_after(m, last, l, units)
        if isinstance(m, (*NUMBERED, Pool2D, Flatten)):
            last = m
            units = (m.n_out if isinstance(m, Linear) else m.n_C if isinstance(m, Conv2D)
                     else units if isinstance(m, Pool2D) else None)  # Flatten's n_H n_W n_C needs the input
        elif not isinstance(m, KEEPS_SHAPE):
            last, units = None, None


def _check_batchnorm_after(bn: BatchNorm, last: Module, l: int, units: int | None) -> None:
    """ValueError when ``bn`` does not fit the output of ``last`` (the layer that made its input's layout, ``l``
    numbered layers having run): its layout, or its n against n[l] (a Linear's) or n_C (a Conv2D's)."""
    after = _name(last, l)
    built = f"BatchNorm({bn.n}{'' if bn.layout == 'dense' else ', layout=' + repr(bn.layout)})"
    if isinstance(last, (Conv2D, Pool2D)):
        if bn.layout != "conv":
            raise ValueError(f"Sequential: {built} follows {after}, whose output is images (m, n_H, n_W, n_C); "
                             f"layout='dense' is for Z (n, m): build it as BatchNorm({units or 'n_C'}, layout='conv'), "
                             "which normalises each of the n_C channels")
        if units is not None and units != bn.n:
            raise ValueError(f"Sequential: {built} follows {after}, whose output has n_C = {units} channels, but "
                             f"its gamma and beta are (1, 1, 1, {bn.n}); build it as BatchNorm({units}, layout='conv')")
    elif bn.layout != "dense":
        raise ValueError(f"Sequential: {built} takes images (m, n_H, n_W, n_C) but follows {after}, whose output "
                         f"is (n, m); build it as BatchNorm({units or 'n'}) (layout='dense', for Z (n, m))")
    elif units is not None and units != bn.n:
        raise ValueError(f"Sequential: {built} follows {after}, whose output Z{l} is (n[{l}], m) = ({units}, m), but "
                         f"its gamma and beta are ({bn.n}, 1); build it as BatchNorm({units})")


def batchnorm_suffixes(leaves: list[Module]) -> dict[int, str]:
    """``id(batchnorm) -> "l"`` for each BatchNorm in ``leaves`` (the modules a network runs, in order): l the
    number of numbered layers run before it (the l of the Z{l} it normalises, 0 before any), ``"l_2"``,
    ``"l_3"``, ... for a second and third BatchNorm after the same layer; one used twice keeps its first."""
    suffixes: dict[int, str] = {}
    after: dict[int, int] = {}  # l -> how many BatchNorm layers follow Z{l}
    l = 0
    for m in leaves:
        if isinstance(m, BatchNorm):
            if id(m) not in suffixes:
                k = after[l] = after.get(l, 0) + 1
                suffixes[id(m)] = str(l) if k == 1 else f"{l}_{k}"
        else:
            l += len(numbered_in(m))
    return suffixes


def _name(m: Module, l: int) -> str:
    """``Conv2D 1``, ``Linear 2``, ``MaxPool2D 1``, ``Flatten``: a layer as messages name it (l: its number)."""
    if isinstance(m, Flatten) or (isinstance(m, Pool2D) and not l):
        return type(m).__name__
    return f"{type(m).__name__} {l}"


def flatten_misfit(lin: Linear, l: int, images: tuple[Any, ...]) -> str:
    """Why Linear ``l`` cannot take the (n_H n_W n_C, m) that Flatten makes of ``images`` (m, n_H, n_W, n_C)."""
    sizes = images[1:]
    n = int(np.prod(sizes))
    return (f"Linear {l} expects n[{l - 1}] = {lin.n_in} inputs, but Flatten gives n_H n_W n_C = "
            f"{' x '.join(map(str, sizes))} = {n} per example from images {tuple(images)}; build it as "
            f"Linear({n}, {lin.n_out}) (or change the conv and pool layers before it)")


def example_shape(input_shape: Any) -> tuple[int, ...]:
    """``input_shape`` as X.shape: one image's (n_H, n_W, n_C) gets m = 1 in front, X (n_x, m)'s is kept."""
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"summary: input_shape must be a tuple such as X.shape, got {type(input_shape).__name__}")
    shape = tuple(validate.positive_int(f"summary: input_shape[{i}]", n) for i, n in enumerate(input_shape))
    return (1, *shape) if len(shape) == 3 else shape


def trace(leaves: list[Module], shape: Shape | None, known: bool) -> list[tuple[Module, Shape]]:
    """(layer, output shape) for each of ``leaves`` run on ``shape``; None after a module of the user's.

    ``known``: the input's size is given, so a layer it does not fit is a ValueError; otherwise the
    sizes not known are None and nothing is refused.
    """
    out: list[tuple[Module, Shape]] = []
    l = 0
    flattened: tuple[Any, ...] | None = None
    for m in leaves:
        if shape is None:
            if isinstance(m, Linear):
                l += 1
                shape = (m.n_out, None)
            elif isinstance(m, Conv2D):
                l += 1
            out.append((m, shape))  # type: ignore[arg-type]
            continue
        if isinstance(m, Linear):
            l += 1
            if len(shape) != 2:
                if known:
                    raise ValueError(f"Linear {l} expects (n[{l - 1}], m) = ({m.n_in}, m), got {tuple(shape)}; "
                                     "for images (m, n_H, n_W, n_C) put nn.Flatten() first")
            elif known and shape[0] is not None and shape[0] != m.n_in:
                if flattened is not None:
                    raise ValueError(flatten_misfit(m, l, flattened))
                raise ValueError(m._shape_message(tuple(shape), l))  # the layer's own message (did you mean X.T?)
            shape, flattened = (m.n_out, shape[-1] if len(shape) == 2 else shape[0]), None
        elif isinstance(m, Conv2D):
            l += 1
            shape = m.output_shape(shape, l) if known else _lenient(m, shape, l)
        elif isinstance(m, Pool2D):
            shape = m.output_shape(shape, l) if known else _lenient(m, shape, l)
        elif isinstance(m, Flatten):
            if len(shape) >= 3:
                flattened = tuple(shape)
            shape = m.output_shape(shape)
        elif isinstance(m, BatchNorm):
            if known:
                _check_batchnorm_input(m, tuple(shape), l, flattened)
        elif not isinstance(m, (Activation, Dropout)):
            shape = None
        out.append((m, shape))  # type: ignore[arg-type]
    return out


def _check_batchnorm_input(bn: BatchNorm, shape: tuple[Any, ...], l: int, flattened: tuple[Any, ...] | None) -> None:
    """ValueError, in course notation, when the input of ``shape`` (after ``l`` numbered layers) does not fit ``bn``."""
    what = "X" if not l else f"the output of layer {l}"
    if bn.layout == "dense":
        if len(shape) != 2:
            raise ValueError(f"BatchNorm({bn.n}) expects Z (n, m) = ({bn.n}, m), got {what} {shape}; for images "
                             f"(m, n_H, n_W, n_C) build it as BatchNorm({shape[-1]}, layout='conv')")
        if shape[0] is not None and shape[0] != bn.n:
            source = (f" (Flatten gives n_H n_W n_C = {' x '.join(map(str, flattened[1:]))} rows from images "
                      f"{flattened})" if flattened is not None else "")
            hint = (f"; did you mean X.T? {shape} looks like {shape[0]} examples as rows (course layout: (n, m), "
                    "one example per column)" if not l and shape[1] == bn.n else f"; build it as BatchNorm({shape[0]})")
            raise ValueError(f"BatchNorm({bn.n}) expects Z ({bn.n}, m), but {what} is {shape}{source}{hint}")
    elif len(shape) != 4:
        raise ValueError(f"BatchNorm({bn.n}, layout='conv') expects images (m, n_H, n_W, n_C), got {what} {shape}")
    elif shape[3] is not None and shape[3] != bn.n:
        raise ValueError(f"BatchNorm({bn.n}, layout='conv') expects n_C = {bn.n} channels, but {what} {shape} has "
                         f"{shape[3]}; build it as BatchNorm({shape[3]}, layout='conv')")


def _lenient(m: Conv2D | Pool2D, shape: Shape, l: int) -> Shape:
    """The output shape where it can be told from ``shape``, without refusing anything."""
    try:
        return m.output_shape(shape if len(shape) == 4 else (shape[-1], None, None, None), l)
    except ValueError:
        return (shape[0], None, None, m.n_C if isinstance(m, Conv2D) else None)


def cell(name: str, shape: Shape | None) -> str:
    """The output column: ``Z1 (4, m)`` for (n, m), ``Z1 (m, 62, 62, 8)`` for images; the name alone if unknown."""
    if shape is None:
        return name
    if len(shape) == 4:
        return image_cell(name, shape[1:])
    return output_cell(name, shape[0] if len(shape) == 2 else None)
