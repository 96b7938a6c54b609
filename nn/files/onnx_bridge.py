"""``export_onnx``: a Sequential or MLP as an ONNX model, for ONNX Runtime and other consumers.

The graph is named in the course's notation: the input X, the weights W1, b1, ... as
initializers (the names ``model.state_dict()`` gives them: the distinct Linear layers in the
order the model first runs them), the tensors Z1, A1, ..., and the output A{L}. Two layouts:

- ``layout="batch_first"`` (the default: what ONNX consumers expect): X is (m, n_x), one
  example per ROW, and A{L} is (m, n[L]). Each layer is ``Gemm(A, W, b, transB=1)``, so W[l]
  is stored as the course's (n[l], n[l-1]); b[l] is stored as a vector (n[l],).
- ``layout="course"``: X is (n_x, m), one example per column, and A{L} is (n[L], m). Each
  layer is ``MatMul(W, A) + b`` with W[l] (n[l], n[l-1]) and b[l] (n[l], 1) as in the course.

m is dynamic in both. Dropout is left out (the identity at inference), as is Identity.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nn.extras import missing_extra
from nn.files.atomic import atomic_path
from nn.files.portable import parameter_dtype, portable_layers
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.module import Module

LAYOUTS = ("batch_first", "course")
DEFAULT_OPSET = 17  # read by ONNX Runtime >= 1.13 and most converters; Softmax takes one axis since 13
MIN_OPSET = 13
ELEMENTWISE: dict[type[Module], str] = {Sigmoid: "Sigmoid", Tanh: "Tanh", ReLU: "Relu"}


def require_onnx(who: str) -> Any:
    """The ``onnx`` module, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError as e:
        raise missing_extra(who, "onnx", "onnx") from e
    return onnx


def to_onnx(model: Module, *, layout: str = "batch_first", dtype: Any = None, opset: int = DEFAULT_OPSET) -> Any:
    """``model`` as an ``onnx.ModelProto`` (checked with ``onnx.checker``), without writing anything.

    Args:
        model: an nn.Sequential or nn.MLP of Linear, the activations, Softmax, Dropout, Identity.
        layout: "batch_first" (X (m, n_x) -> A{L} (m, n[L])) or "course" (X (n_x, m) -> A{L} (n[L], m)).
        dtype: np.float32 or np.float64; None keeps the parameters' own dtype.
        opset: the ONNX opset, from 13 up to what the installed onnx package knows.
    """
    onnx = require_onnx("export_onnx")
    who = "export_onnx"
    if layout not in LAYOUTS:
        raise ValueError(f"{who}: layout must be 'batch_first' (X is (m, n_x)) or 'course' (X is (n_x, m)), "
                         f"got {layout!r}")
    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or isinstance(opset, bool) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"{who}: opset must be an int in {MIN_OPSET}..{newest}, got {opset!r}")
    layers = portable_layers(model, who)
    chosen = parameter_dtype(model, who, dtype)
    graph = _Graph(onnx, layout, chosen)
    for m in layers:
        graph.add(m)
    opset_id = onnx.helper.make_opsetid("", opset)
    proto = onnx.helper.make_model(graph.finish(_input_size(layers)), opset_imports=[opset_id],
                                   producer_name="tinygrad-nb",
                                   doc_string=f"tinygrad-nb, layout={layout}: " + (
                                       "X (m, n_x), one example per row" if layout == "batch_first"
                                       else "X (n_x, m), one example per column"))
    proto.ir_version = onnx.helper.find_min_ir_version_for([opset_id])  # readable by older runtimes
    onnx.helper.set_model_props(proto, {"layout": layout, "notation": "Andrew Ng's deep learning course"})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model: Module, path: str | os.PathLike, *, layout: str = "batch_first", dtype: Any = None,
                opset: int = DEFAULT_OPSET) -> Path:
    """Write ``model`` to ``path`` as ONNX, atomically; returns the path. See ``to_onnx`` for the arguments.

    In the default ``layout="batch_first"`` the file takes X (m, n_x), one example per row, and
    gives A{L} (m, n[L]): feed it ``X.T`` of the course's X (n_x, m). With ``layout="course"``
    it takes X (n_x, m) as the course does. A path in a missing folder, or a folder, is
    refused before anything is written.
    """
    data = to_onnx(model, layout=layout, dtype=dtype, opset=opset).SerializeToString()
    with atomic_path(path, who="export_onnx") as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _input_size(layers: list[Module]) -> int:
    return next(m.n_in for m in layers if isinstance(m, Linear))


Ref = str | int  # an input of a node: a graph input or initializer by name, or the output of node i


class _Graph:
    """Builds the nodes layer by layer, naming tensors as the course does (Z{l}, A{l})."""

    def __init__(self, onnx: Any, layout: str, dtype: np.dtype):
        self.onnx, self.layout, self.dtype = onnx, layout, dtype
        self.nodes: list[tuple[str, list[Ref], str, dict[str, Any]]] = []  # (op, inputs, wanted name, attrs)
        self.initializers: dict[str, Any] = {}
        self.current: Ref = "X"  # the tensor the next layer reads
        self.l = 0  # how many Linear layers have run
        self.numbers: dict[int, int] = {}  # id of each distinct Linear -> l, in order of first use: W{l}, b{l}
        self.n = 0  # n[l]: the rows (course) or columns (batch_first) of the current tensor

    def shape(self, n: int) -> list[int | str]:
        return [n, "m"] if self.layout == "course" else ["m", n]

    def add(self, m: Module) -> None:
        if isinstance(m, Linear):
            self._linear(m)
        elif isinstance(m, (Dropout, Identity)):
            return  # the identity at inference: no node
        elif isinstance(m, LeakyReLU):
            self._leaky_relu(m.slope)
        elif isinstance(m, Softmax):
            axis = m.axis % 2  # over the classes (0) or the examples (1) of the course's (n, m)
            self._node("Softmax", [self.current], axis=axis if self.layout == "course" else 1 - axis)
        else:
            self._node(ELEMENTWISE[type(m)], [self.current])

    def _linear(self, lin: Linear) -> None:
        self.l += 1
        self.n = lin.n_out
        number = self.numbers.setdefault(id(lin), len(self.numbers) + 1)  # the model's numbering, as state_dict's
        W, b = f"W{number}", f"b{number}"
        self._initializer(W, lin.W.data)
        if self.layout == "batch_first":
            self._initializer(b, lin.b.data.reshape(-1))
            self._node("Gemm", [self.current, W, b], name=f"Z{self.l}", transB=1)
        else:
            self._initializer(b, lin.b.data)
            self._node("MatMul", [W, self.current], name="")  # named W{l}_A{l-1} once A{l-1} has its name
            self._node("Add", [self.current, b], name=f"Z{self.l}")

    def _leaky_relu(self, slope: float) -> None:
        if self.dtype == np.float32 or float(np.float32(slope)) == slope:  # ONNX attributes are float32
            self._node("LeakyRelu", [self.current], alpha=slope)
        else:  # in float64 the float32 alpha would be off by ~1e-10: PRelu takes the slope as a tensor
            name = _fresh(f"slope{self.l}", set(self.initializers))
            self._initializer(name, np.array([slope]))
            self._node("PRelu", [self.current, name])

    def _initializer(self, name: str, array: np.ndarray) -> None:
        if name not in self.initializers:  # a shared layer's W and b are stored once
            self.initializers[name] = self.onnx.numpy_helper.from_array(array.astype(self.dtype), name)

    def _node(self, op: str, inputs: list[Ref], name: str | None = None, **attrs: Any) -> None:
        wanted = name if name is not None else f"A{self.l}" if self.l else f"X_{op.lower()}"
        self.nodes.append((op, inputs, wanted, attrs))
        self.current = len(self.nodes) - 1

    def _names(self) -> list[str]:
        """Each node's output name: the last is A{L}; of two nodes wanting one name (two activations after
        one Linear) the later gets it and the earlier a suffix; a product W{l}A{l-1} is named W{l}_A{l-1}."""
        last = len(self.nodes) - 1
        names = [""] * len(self.nodes)
        names[last] = f"A{self.l}"
        used = set(self.initializers) | {"X", names[last]}
        for i in reversed(range(last)):
            if self.nodes[i][2]:
                names[i] = _fresh(self.nodes[i][2], used)
                used.add(names[i])
        for i, (_, inputs, wanted, _) in enumerate(self.nodes):
            if not wanted and i != last:
                W, A = inputs
                names[i] = _fresh(f"{W}_{A if isinstance(A, str) else names[A]}", used)
                used.add(names[i])
        return names

    def finish(self, n_x: int) -> Any:
        """The graph X (the course's A0) -> A{L}."""
        helper = self.onnx.helper
        names = self._names()
        made = [helper.make_node(op, [t if isinstance(t, str) else names[t] for t in inputs], [names[i]],
                                 name=names[i], **attrs)
                for i, (op, inputs, _, attrs) in enumerate(self.nodes)]
        elem = helper.np_dtype_to_tensor_dtype(self.dtype)
        return helper.make_graph(
            made, "tinygrad_nb_model",
            [helper.make_tensor_value_info("X", elem, self.shape(n_x))],
            [helper.make_tensor_value_info(names[-1], elem, self.shape(self.n))],
            initializer=list(self.initializers.values()))


def _fresh(name: str, used: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``, ... when taken."""
    if name not in used:
        return name
    k = 2
    while f"{name}_{k}" in used:
        k += 1
    return f"{name}_{k}"
