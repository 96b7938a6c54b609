"""Saving and loading models as HDF5 (h5py), atomically, without pickle.

File layout (format "tinygrad-nb", version 2)::

    user block             the checksum seal: SHA-256 of each array's bytes and of all other bytes
    /                      attrs: format, format_version, architecture (JSON), task (JSON, when the model has one)
    /layer1/W1, /layer1/b1 each layer's parameters in their native dtype
    /layer1/gamma1, ...    a BatchNorm's parameters and buffers beside them: gamma1, beta1, running_mean1,
                           running_var1 (/other/gamma1_2, ... for a second BatchNorm after layer 1)
    /layer2/W2, ...

The recurrent layers and the embedding keep course 5's names, in group "other" (saved on their own)::

    /other/Wax, /other/Waa, /other/Wya, /other/ba, /other/by            an RNNCell or RNN
    /other/Wf, /other/bf, ..., /other/Wo, /other/bo, /other/Wy, /other/by    an LSTMCell or LSTM
    /other/E                                                           an Embedding (n_e, n_vocab)

and inside a Sequential as ``state_dict()`` names them there, after their place in its list
(``0.E``, ``1.Wax``, ...); their architecture entry is their ``config()`` (n_x, n_a, n_y; n_vocab, n_e).

A layer is a Linear (W{l} (n[l], n[l-1]), b{l} (n[l], 1)) or a Conv2D (W{l} (f, f, n_C_prev, n_C),
b{l} (1, 1, 1, n_C)), numbered together in the order the network runs them; the pool layers and
Flatten have no parameters and are stored in the architecture only. A BatchNorm stores what
``state_dict()`` holds of it: its parameters gamma{l}, beta{l} and its buffers running_mean{l},
running_var{l} ((n, 1), or (1, 1, 1, n_C) for layout "conv"), l the number of the layer whose Z it
normalises (see ``nn.layers.containers``); the architecture says which names are buffers. The
training mode is not stored: ``load`` rebuilds a model in training mode, as a fresh one.

Buffers came with BatchNorm and need no new version: a file of a model without buffers is what it
was, and a reader from before BatchNorm refuses a file with one as holding an unknown module type.

Version 1 is the same without the seal; it still loads. The task attribute (``nn.Task``: binary or
multiclass, the class names, probabilities or logits) is optional, so files without one (saved
before tasks were stored, or from a model whose ``task`` is None) load with ``task`` None.

The seal is checked before h5py parses the file, so a flipped byte is refused naming the
parameter (or the HDF5 structure) instead of loading as 1.46e308 or crashing the HDF5 library.
The task, an attribute, is sealed with the rest of the structure.

``save`` writes a temporary file beside the target and moves it into place with
``os.replace``, so a crash never leaves a half-written model. ``load`` trusts nothing in the
file: it reads only plain datasets stored inside it (no links to other files, no external
storage), checks the declared shapes against the architecture and against the file's size on
disk before reading any array or building any model, and changes
nothing when it refuses.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
from collections.abc import Container
from pathlib import Path
from typing import Any

import numpy as np

from nn import validate
from nn.files.atomic import atomic_path
from nn.files.hdf5 import (
    BadFileError,
    check_fits,
    declared_nbytes,
    member,
    open_for_reading,
    read_array,
    require_h5py,
    userblock_size,
    verify_seal,
    write_seal,
)
from nn.layers.activations import ACTIVATIONS, LeakyReLU, Softmax
from nn.layers.batchnorm import LAYOUTS, BatchNorm
from nn.layers.containers import MLP, Sequential
from nn.layers.conv import AvgPool2D, Conv2D, MaxPool2D
from nn.layers.dense import Linear, parameter_names
from nn.layers.dropout import Dropout
from nn.layers.embedding import Embedding
from nn.layers.flatten import Flatten
from nn.layers.module import Module
from nn.layers.recurrent import LSTM, RNN, LSTMCell, RNNCell
from nn.layers.task import Task

FORMAT = "tinygrad-nb"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_ARCHITECTURE_CHARS = 1_000_000  # the JSON of a 10,000-layer MLP is about 60 KB
MAX_NESTING = 64  # JSON levels: a Sequential inside a Sequential costs two
RECURRENT: dict[str, type[RNNCell | RNN | LSTMCell | LSTM]] = {
    cls.__name__: cls for cls in (RNNCell, RNN, LSTMCell, LSTM)}
COURSE_NAMED = {*RECURRENT, "Embedding"}  # the layers whose parameters keep course 5's names: Wax, ..., Wf, ..., E


def _group_of(name: str) -> str:
    """W3, b3, gamma3 and running_mean3 live in group layer3; other arrays (gamma3_2) in group 'other'."""
    match = re.fullmatch(r"[A-Za-z_]+(\d+)", name)
    return f"layer{match.group(1)}" if match else "other"


def save(model: Module, path: str | os.PathLike) -> Path:
    """Write ``model`` (architecture, ``state_dict()``: parameters and buffers, and ``model.task``) to ``path``
    atomically; returns the path.

    A model file being replaced keeps its permission bits. An empty path, a folder, a missing
    or read-only folder is refused before anything is written.
    """
    h5py = require_h5py("saving models")
    if not isinstance(model, Module):
        swapped = "; the order is nn.save(model, path)" if isinstance(model, (str, os.PathLike)) else ""
        raise TypeError(f"save: model must be an nn.Module, got {type(model).__name__}{swapped}")
    architecture = json.dumps(model.config())
    params = [(name, np.asarray(p.data)) for name, p in model.named_parameters()]
    params += [(name, np.asarray(b)) for name, b in model.named_buffers()]  # BatchNorm's running averages
    bad = [name for name, _ in params if not name or "/" in name]
    if bad:
        raise ValueError(f"save: parameter names {bad} cannot be HDF5 dataset names (empty or containing '/')")
    expected, _, _ = _expected_shapes(json.loads(architecture), "save")
    found = {name: tuple(data.shape) for name, data in params}
    if expected is not None and expected != found:  # nn.load would refuse the file it is about to write
        raise ValueError(f"save: the model's parameters and buffers {_shapes_text(found)} are not the ones its "
                         f"architecture describes {_shapes_text(expected)}, so nn.load could not rebuild it; "
                         "nothing was written")
    userblock = userblock_size(len(params))
    with atomic_path(path, who="save") as tmp:
        with h5py.File(tmp, "w", userblock_size=userblock) as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["architecture"] = architecture
            if model.task is not None:
                f.attrs["task"] = model.task.to_json()
            for name, data in params:
                f.require_group(_group_of(name)).create_dataset(name, data=data)
        write_seal(tmp, userblock)
    return Path(path)


def _shapes_text(shapes: dict[str, tuple[int, ...]]) -> str:
    return "{" + ", ".join(f"{name} {shape}" for name, shape in shapes.items()) + "}"


def read_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The architecture dict and the {name: array} parameters and buffers stored in ``path``, all checked.

    Raises FileNotFoundError when there is no file, and BadFileError (a ValueError) naming the
    file and the problem for anything else.
    """
    architecture, params, _ = _read(_path("read_file", path), buildable=False)
    return architecture, params


def _path(who: str, path: Any) -> Path:
    """``path`` (a str or os.PathLike naming a file) as a Path; TypeError or ValueError naming ``who`` otherwise."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
        raise TypeError(f"{who}: path must be a str or os.PathLike naming a model file such as 'model.h5', "
                        f"got {type(path).__name__}" + ("; the order is nn.load(path, model)"
                                                        if isinstance(path, Module) else ""))
    if os.fspath(path) == "":
        raise ValueError(f"{who}: path is empty; give the model file, such as 'model.h5'")
    return Path(path)


def _read(path: Path, buildable: bool) -> tuple[dict[str, Any], dict[str, np.ndarray], Task | None]:
    """``read_file``; with ``buildable``, the architecture must also be one ``build`` knows."""
    sealed = path.is_file() and verify_seal(path, "load")
    with open_for_reading(path, "load", "model file") as f:
        try:
            return _read_open(f, path, buildable, sealed)
        except BadFileError:
            raise
        except (OSError, KeyError, ValueError, RuntimeError, TypeError) as e:  # h5py on damaged metadata
            raise BadFileError(f"load: {path} is damaged: {e}") from e


def _read_open(f: Any, path: Path, buildable: bool,
               sealed: bool) -> tuple[dict[str, Any], dict[str, np.ndarray], Task | None]:
    version = _format_version(f, path)
    if version >= 2 and not sealed:
        raise BadFileError(f"load: {path} has format version {version} but no checksum seal in its first bytes "
                           "(overwritten?); the file is corrupt")
    architecture = _architecture(f, path)
    task = _task(f, path)
    datasets = _parameter_datasets(f, path)
    check_fits(sum(declared_nbytes(ds, f"load: {path}: {name}") for name, ds in datasets.items()), f, "load")
    expected, unknown, n_L = _expected_shapes(architecture, f"load: {path}")
    if expected is None and buildable:
        raise BadFileError(f"load: unknown module type {unknown!r} in the stored architecture of {path} "
                           "(pass model= to load its parameters into your own module)")
    if expected is not None:
        _check_against_architecture(expected, {name: ds.shape for name, ds in datasets.items()}, path)
        _check_task_fits(task, n_L, path)
    params = {}
    for name, ds in datasets.items():
        array = read_array(ds, f"load: {path}: {name}")
        params[name] = array.astype(array.dtype.newbyteorder("="), copy=False)
    return architecture, params, task


def _task(f: Any, path: Path) -> Task | None:
    """The stored task, None when the file has none; BadFileError naming the problem for a malformed one."""
    if "task" not in f.attrs:
        return None
    try:
        return Task.from_json(_scalar_attr(f, "task", path))  # checks its type and length first
    except (TypeError, ValueError) as e:
        raise BadFileError(f"load: {path}: the stored task is invalid: {str(e).removeprefix('Task: ')}") from None


def _check_task_fits(task: Task | None, n_L: int | None, path: Path) -> None:
    """BadFileError when the stored task needs another number of output units than the architecture's n[L]."""
    if task is not None and n_L is not None and n_L != task.n_y:
        raise BadFileError(f"load: {path}: the stored task is {task.describe()}, which needs n[L] = {task.n_y} "
                           f"output units, but the stored architecture has n[L] = {n_L}")


def _scalar_attr(obj: Any, name: str, path: Path) -> Any:
    """The attribute ``name`` of ``obj`` (None when absent), refusing arrays and oversized values before reading."""
    if name not in obj.attrs:
        return None
    aid = obj.attrs.get_id(name)
    if aid.shape != ():
        raise BadFileError(f"load: {path}: the {name} attribute should be a single value, "
                           f"found an array of shape {aid.shape}")
    if aid.get_storage_size() > 4 * MAX_ARCHITECTURE_CHARS:
        raise BadFileError(f"load: {path}: the {name} attribute is implausibly large ({aid.get_storage_size()} bytes)")
    value = obj.attrs[name]
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, np.bytes_)) else value


def _format_version(f: Any, path: Path) -> int:
    fmt = _scalar_attr(f, "format", path)
    if fmt != FORMAT:
        raise BadFileError(f"load: {path} is not a tinygrad-nb model (format attribute is "
                           f"{reprlib.repr(fmt)}, expected {FORMAT!r})")
    version = _scalar_attr(f, "format_version", path)
    if not isinstance(version, (int, np.integer)) or isinstance(version, (bool, np.bool_)):
        raise BadFileError(f"load: {path} has format_version {reprlib.repr(version)}; expected an integer")
    if version not in READABLE_VERSIONS:
        raise BadFileError(f"load: {path} has format version {version}; this tinygrad-nb reads versions "
                           f"{', '.join(map(str, READABLE_VERSIONS))}")
    return int(version)


def _architecture(f: Any, path: Path) -> dict[str, Any]:
    text = _scalar_attr(f, "architecture", path)
    if not isinstance(text, str) or len(text) > MAX_ARCHITECTURE_CHARS:
        raise BadFileError(f"load: {path} has no readable architecture attribute "
                           f"(expected a JSON string of at most {MAX_ARCHITECTURE_CHARS} characters)")
    try:
        architecture = json.loads(text)
    except RecursionError:
        raise BadFileError(f"load: {path}: the architecture is nested more than {MAX_NESTING} levels deep") from None
    except ValueError as e:
        raise BadFileError(f"load: {path} has no readable architecture attribute: {str(e)[:200]}") from None
    if _nesting(architecture) > MAX_NESTING:
        raise BadFileError(f"load: {path}: the architecture is nested more than {MAX_NESTING} levels deep")
    if not isinstance(architecture, dict):
        raise BadFileError(f"load: {path}: the architecture should be a JSON object, got {type(architecture).__name__}")
    return architecture


def _nesting(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (without recursion, so any depth is measured)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def _parameter_datasets(f: Any, path: Path) -> dict[str, Any]:
    """{name: dataset} for every /group/dataset, refusing links, nested groups and repeated names."""
    h5py = require_h5py("load")
    datasets: dict[str, Any] = {}
    for group_name in f:
        group = member(f, group_name, f"load: {path}: /{group_name}")
        if not isinstance(group, h5py.Group):
            raise BadFileError(f"load: {path}: /{group_name} should be a group of parameters (layer1, ...)")
        for name in group:
            ds = member(group, name, f"load: {path}: {name}")
            if isinstance(ds, h5py.Group):
                raise BadFileError(f"load: {path}: /{group_name}/{name} is a nested group; a model file holds "
                                   "one level of groups of datasets")
            if name in datasets:
                raise BadFileError(f"load: {path}: parameter {name} is stored twice")
            datasets[name] = ds
    return datasets


def _expected_shapes(config: Any, who: str) -> tuple[dict[str, tuple[int, ...]] | None, str | None, int | None]:
    """({name: shape} of the parameters and buffers ``build(config)`` would create (its ``state_dict()``), computed
    without building it, None, n[L]).

    (None, the type, None) when the architecture holds a module type that ``build`` does not know
    (only a model passed to ``load`` can say what it needs). BadFileError for an invalid one.
    n[L] is the output units of the last Linear the network runs (None when it runs none).
    """
    walk = _ArchitectureWalk()
    try:
        unknown = walk.module(config, ())
    except (KeyError, TypeError, ValueError) as e:
        raise BadFileError(f"{who}: the stored architecture is invalid ({e}): {reprlib.repr(config)}") from None
    if unknown is not None:
        return None, unknown, None
    linears = [W for W, _ in walk.applied if len(W) == 2]
    n_L = linears[-1][0] if linears else None
    if config["type"] in ("Linear", "Conv2D"):
        (W_shape, b_shape), = walk.distinct
        W, b = parameter_names(config.get("index"))
        return {W: W_shape, b: b_shape}, None, n_L
    shapes: dict[str, tuple[int, ...]] = {}
    for l, (W_shape, b_shape) in enumerate(walk.distinct, start=1):
        shapes[f"W{l}"], shapes[f"b{l}"] = W_shape, b_shape
    for suffix, shape in walk.batchnorm:  # gamma{l}, beta{l}, then the buffers, as state_dict() lists them
        shapes[f"gamma{suffix}"] = shapes[f"beta{suffix}"] = shape
    for suffix, shape in walk.batchnorm:
        shapes[f"running_mean{suffix}"] = shapes[f"running_var{suffix}"] = shape
    shapes.update(walk.named)
    return shapes, None, n_L


def _course_named_shapes(config: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of the parameters of a recurrent layer or an Embedding, in its ``state_dict()`` order, from its
    config: the course's names Wax, Waa, Wya, ba, by (RNN), Wf, bf, ..., Wy, by (LSTM), E (Embedding)."""
    kind = config["type"]
    if kind == "Embedding":
        return [("E", (_positive_int(config["n_e"], "n_e"), _positive_int(config["n_vocab"], "n_vocab")))]
    n_x, n_a, n_y = (_positive_int(config[k], k) for k in ("n_x", "n_a", "n_y"))
    if kind in ("RNNCell", "RNN"):
        return [("Wax", (n_a, n_x)), ("Waa", (n_a, n_a)), ("Wya", (n_y, n_a)), ("ba", (n_a, 1)), ("by", (n_y, 1))]
    gates = [(f"{w}{gate}", shape) for gate in "fico" for w, shape in (("W", (n_a, n_a + n_x)), ("b", (n_a, 1)))]
    return [*gates, ("Wy", (n_y, n_a)), ("by", (n_y, 1))]


def _is_buffer(name: str) -> bool:
    """Whether ``name``, one that ``_expected_shapes`` gives, is a buffer (a BatchNorm's running averages)."""
    return re.fullmatch(r"running_(mean|var)(\d+(_\d+)?)?", name) is not None


Shapes = tuple[tuple[int, ...], tuple[int, ...]]  # (W's shape, b's shape) of a numbered layer


# Keep in step with ``build`` and ``Sequential.config``: the module types that hold parameters, in the order a
# Sequential numbers them (the distinct Linear and Conv2D layers in order of first use), and how "Shared" entries
# refer back.
class _ArchitectureWalk:
    """The numbered layers (Linear, Conv2D) of a stored architecture, read without building it.

    ``distinct``: (W's shape, b's shape) of each distinct layer in order of first use (W1, W2, ...): (n_out, n_in)
    and (n_out, 1) for a Linear, (f, f, n_C_prev, n_C) and (1, 1, 1, n_C) for a Conv2D;
    ``applied``: the same for every layer in the order the forward pass runs them;
    ``runs``: for each path of a Sequential's entry, the shapes its module runs, for "Shared" entries;
    ``batchnorm``: (suffix, shape) of each distinct BatchNorm in order, its names gamma{suffix}, ... as a Sequential
    names them (``_batchnorm_suffixes``: "l" for the l-th numbered layer run before it, "l_2" for a second after
    it; "" for a BatchNorm saved on its own);
    ``named``: {name: shape} of the parameters of each distinct recurrent layer or Embedding (``COURSE_NAMED``),
    named as ``state_dict()`` names them: Wax, ..., E on their own, "i.Wax", "i.E" as item i of a Sequential's list.
    """

    def __init__(self) -> None:
        self.distinct: list[Shapes] = []
        self.applied: list[Shapes] = []
        self.runs: dict[tuple[int, ...], list[Shapes]] = {}
        self.batchnorm: list[tuple[str, tuple[int, ...]]] = []
        self.named: dict[str, tuple[int, ...]] = {}
        self._after: dict[int, int] = {}  # l -> the BatchNorm layers met after the l-th numbered layer run

    def module(self, config: Any, path: tuple[int, ...]) -> str | None:
        """Record the numbered layers of ``config`` found at ``path``; returns the first unknown module type, if any."""
        if not isinstance(config, dict) or not isinstance(config.get("type"), str):
            raise TypeError("each module must be a JSON object with a string 'type'")
        kind = config["type"]
        if kind == "MLP":
            dims = config["layer_dims"]
            if not isinstance(dims, list) or len(dims) < 2:
                raise ValueError(f"layer_dims must be a list of at least 2 sizes, got {reprlib.repr(dims)}")
            dims = [_positive_int(n, f"layer_dims[{l}]") for l, n in enumerate(dims)]
            pairs: list[Shapes] = [((n_out, n_in), (n_out, 1)) for n_in, n_out in zip(dims[:-1], dims[1:])]
            self.distinct.extend(pairs)
            self.applied.extend(pairs)
            return None
        if kind in ("Linear", "Conv2D"):
            if kind == "Linear":
                n_in, n_out = _positive_int(config["n_in"], "n_in"), _positive_int(config["n_out"], "n_out")
                shapes: Shapes = ((n_out, n_in), (n_out, 1))
            else:
                f, n_C = _positive_int(config["f"], "f"), _positive_int(config["n_C"], "n_C")
                shapes = ((f, f, _positive_int(config["n_C_prev"], "n_C_prev"), n_C), (1, 1, 1, n_C))
            if config.get("index") is not None:
                _positive_int(config["index"], "index")
            self.distinct.append(shapes)
            self.applied.append(shapes)
            return None
        if kind == "BatchNorm":
            n = _positive_int(config["n"], "n")
            validate.number("eps", config["eps"], low=0, low_open=True)
            validate.number("momentum", config["momentum"], low=0, high=1)
            layout = validate.choice("layout", config["layout"], LAYOUTS)
            l = len(self.applied)
            k = self._after[l] = self._after.get(l, 0) + 1
            suffix = "" if not path else str(l) if k == 1 else f"{l}_{k}"
            self.batchnorm.append((suffix, (n, 1) if layout == "dense" else (1, 1, 1, n)))
            return None
        if kind in COURSE_NAMED:
            prefix = f"{path[-1]}." if path else ""
            for name, shape in _course_named_shapes(config):
                if prefix + name in self.named:  # as Sequential.named_parameters refuses it
                    raise ValueError(f"two different parameters are both named {prefix + name!r}")
                self.named[prefix + name] = shape
            return None
        if kind == "Shared":
            raise ValueError("a Shared entry must be an item of a Sequential's layers")
        if kind == "Sequential":
            layers = config["layers"]
            if not isinstance(layers, list):
                raise TypeError(f"layers must be a list, got {type(layers).__name__}")
            for i, layer in enumerate(layers):
                here = (*path, i)
                if isinstance(layer, dict) and layer.get("type") == "Shared":
                    runs = self.runs[shared_target(layer, path, here, self.runs)]
                    self.applied.extend(runs)
                    self.runs[here] = runs
                    continue
                before = len(self.applied)
                unknown = self.module(layer, here)
                if unknown is not None:
                    return unknown
                self.runs[here] = self.applied[before:]
            return None
        known = ({"LeakyReLU", "Softmax", "Dropout", "Flatten", "MaxPool2D", "AvgPool2D"}
                 | {cls.__name__ for cls in ACTIVATIONS.values()})
        return None if kind in known else kind


def shared_target(entry: dict[str, Any], path: tuple[int, ...], here: tuple[int, ...],
                  earlier: Container[tuple[int, ...]]) -> tuple[int, ...]:
    """The path of the module a {"type": "Shared"} entry at ``here`` (in the list at ``path``) refers to.

    {"layer": i} is item i of the same list, {"path": [i, j, ...]} an item anywhere in the network; either
    must be an entry met before ``here`` (one of ``earlier``), else ValueError naming the entry.
    """
    if "layer" in entry:
        i = entry["layer"]
        if not isinstance(i, int) or isinstance(i, bool):
            raise ValueError(f"Shared entry {_dotted(here)} refers to layer {reprlib.repr(i)}, not an int")
        target = (*path, i)
    elif "path" in entry:
        ref = entry["path"]
        if not isinstance(ref, list) or not ref or not all(isinstance(k, int) and not isinstance(k, bool)
                                                           for k in ref):
            raise ValueError(f"Shared entry {_dotted(here)} has path {reprlib.repr(ref)}, not a list of ints")
        target = tuple(ref)
    else:
        raise KeyError("layer")
    if target >= here or target not in earlier:
        raise ValueError(f"Shared entry {_dotted(here)} refers to {_dotted(target)}, which is not a layer used "
                         "before it")
    return target


def _dotted(path: tuple[int, ...]) -> str:
    return "layer " + ".".join(map(str, path))


def _positive_int(n: Any, label: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"{label} must be a positive int, got {reprlib.repr(n)}")
    return n


def _check_against_architecture(expected: dict[str, tuple[int, ...]], stored: dict[str, tuple[int, ...]],
                                 path: Path) -> None:
    def what(name: str) -> str:
        return f"buffer {name}" if _is_buffer(name) else name

    problems = [f"{what(name)} is stored as {stored[name]}, the architecture needs {shape}"
                for name, shape in expected.items() if name in stored and tuple(stored[name]) != shape]
    problems += [f"{what(name)} {shape} is missing" for name, shape in expected.items() if name not in stored]
    problems += [f"{name} is stored but the architecture has no such parameter or buffer" for name in stored
                 if name not in expected]
    if problems:
        raise BadFileError(f"load: {path} does not match its own architecture: {'; '.join(problems[:3])}"
                           + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))


def build(config: dict[str, Any]) -> Module:
    """A fresh module (zero-initialised weights) from a ``config()`` dict."""
    if _nesting(config) > MAX_NESTING:
        raise ValueError(f"load: the stored architecture is nested more than {MAX_NESTING} levels deep")
    return _build(config)


def _build(config: dict[str, Any], path: tuple[int, ...] = (),
           built: dict[tuple[int, ...], Module] | None = None) -> Module:
    """The module of ``config`` found at ``path``; ``built`` holds each Sequential item made so far, by path,
    for the {"type": "Shared"} entries that refer back to one."""
    built = {} if built is None else built
    try:
        kind = config["type"]
        if kind == "MLP":
            return MLP(config["layer_dims"], hidden=config["hidden"], output=config["output"], init="zeros",
                       slope=config.get("slope", 0.01), keep_prob=config.get("keep_prob", 1.0))
        if kind == "Sequential":
            layers = config["layers"]
            if not isinstance(layers, list):
                raise TypeError(f"layers must be a list, got {type(layers).__name__}")
            modules: list[Module] = []
            for i, c in enumerate(layers):
                here = (*path, i)
                if isinstance(c, dict) and c.get("type") == "Shared":
                    built[here] = built[shared_target(c, path, here, built)]
                else:
                    built[here] = _build(c, here, built)
                modules.append(built[here])
            return Sequential(*modules)
        if kind == "Shared":
            raise ValueError("a Shared entry must be an item of a Sequential's layers")
        if kind == "Linear":
            return Linear(config["n_in"], config["n_out"], init="zeros", index=config.get("index"))
        if kind == "LeakyReLU":
            return LeakyReLU(config["slope"])
        if kind == "Softmax":
            if not isinstance(config["axis"], int):
                raise TypeError(f"Softmax axis must be an int, got {config['axis']!r}")
            return Softmax(config["axis"])
        if kind == "Dropout":
            return Dropout(keep_prob=config["keep_prob"])
        if kind == "Flatten":
            return Flatten()
        if kind == "BatchNorm":
            return BatchNorm(config["n"], eps=config["eps"], momentum=config["momentum"], layout=config["layout"])
        if kind == "Conv2D":
            return Conv2D(config["n_C_prev"], config["n_C"], config["f"], stride=config["stride"], pad=config["pad"],
                          init="zeros", index=config.get("index"))
        if kind in ("MaxPool2D", "AvgPool2D"):
            return (MaxPool2D if kind == "MaxPool2D" else AvgPool2D)(config["f"], stride=config["stride"])
        if kind == "Embedding":
            return Embedding(config["n_vocab"], config["n_e"], init="zeros")
        if kind in RECURRENT:
            return RECURRENT[kind](config["n_x"], config["n_a"], config["n_y"], init="zeros")
        by_class = {cls.__name__: cls for cls in ACTIVATIONS.values()}
        if kind in by_class:
            return by_class[kind]()
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"load: the stored architecture is invalid ({e}): {reprlib.repr(config)}") from e
    raise ValueError(f"load: unknown module type {kind!r} in the stored architecture")


def load(path: str | os.PathLike, model: Module | None = None) -> Module:
    """Rebuild the model stored in ``path`` or, given ``model``, load the stored parameters and buffers into it.

    The stored task (``model.task``) comes back too; a file without one gives a rebuilt model
    ``task`` None and leaves a given model's task as it was. The buffers (a BatchNorm's running
    averages) are restored as the parameters are, so a model saved after training predicts the
    same in eval mode. The mode itself is not stored: a rebuilt model is in training mode, as a
    freshly built one (call ``model.eval()`` before using it yourself; ``nn.predict`` and
    ``nn.accuracy`` switch to eval mode on their own), and a given model keeps its mode.

    ``path`` must be a str or os.PathLike and ``model`` an ``nn.Module`` or None (else TypeError naming the
    argument). Missing, extra or mis-shaped parameters raise a ValueError naming each bad key; a damaged,
    forged or foreign file raises BadFileError (a ValueError) naming the file and the problem.
    Either way the given model is then unchanged.
    """
    file = _path("load", path)
    if model is not None and not isinstance(model, Module):
        raise TypeError(f"load: model must be an nn.Module to load the stored parameters into (built as the one "
                        f"saved), or None to rebuild the stored model, got {type(model).__name__}")
    architecture, params, task = _read(file, buildable=model is None)
    try:
        target = build(architecture) if model is None else model
    except ValueError as e:  # say which file holds the invalid architecture
        raise BadFileError(f"load: {path}: {str(e).removeprefix('load: ')}") from e
    try:  # before anything changes: a refused task leaves the model as it was
        task = target.fit_task(task if model is None or task is None else task.with_output(None))
    except ValueError as e:  # a given model's own last layer says what its output is; its n[L] must fit
        message = f"load: {path}: the stored task does not fit {'its' if model is None else 'the given'} model: {e}"
        raise (BadFileError(message) if model is None else ValueError(message)) from None
    stored_dtypes = {a.dtype for a in params.values() if a.dtype.kind == "f"}
    if model is None and len(stored_dtypes) == 1:
        target.astype(stored_dtypes.pop())  # keep the file's native dtype (float32 stays float32)
    target.load_state_dict(params, strict=True)
    if task is not None:
        target.task = task
    return target

