"""``export_onnx``: a Sequential or MLP as an ONNX model, for ONNX Runtime and other consumers.

The graph is named in the course's notation: the input X, the weights W1, b1, ... as
initializers (the names ``model.state_dict()`` gives them: the Linear and Conv2D layers numbered
together in the order the model first runs them; a BatchNorm's gamma, beta, running_mean and
running_var as the model names them), the tensors Z1, A1, P1, Z1~, ..., and the output A{L}.
Two layouts, for the dense activations:

- ``layout="batch_first"`` (the default: what ONNX consumers expect): X is (m, n_x), one
  example per ROW, and A{L} is (m, n[L]). Each layer is ``Gemm(A, W, b, transB=1)``, so W[l]
  is stored as the course's (n[l], n[l-1]); b[l] is stored as a vector (n[l],).
- ``layout="course"``: X is (n_x, m), one example per column, and A{L} is (n[L], m). Each
  layer is ``MatMul(W, A) + b`` with W[l] (n[l], n[l-1]) and b[l] (n[l], 1) as in the course.

A model with a Conv2D, pool layer, ``BatchNorm(layout="conv")`` or Flatten before its first Linear
takes images: in BOTH layouts X is then the course's (m, n_H, n_W, n_C), channels last (n_H and n_W
dynamic), and the output is as the layout says ((m, n[L]) or (n[L], m); images (m, n_H, n_W, n_C) for
a network of conv layers only). Inside, a Transpose takes the images to ONNX's NCHW for Conv, MaxPool,
AveragePool and BatchNormalization, and another takes them back to NHWC before Flatten, so that
Flatten(axis=1) orders the features (n_H, n_W, n_C) as the course's ``X.reshape(m, -1)`` does and the
Linear after it keeps its W[l]. A Conv2D's W{l} is stored as ONNX's Conv weight (n_C, n_C_prev, f, f)
= W.transpose(3, 2, 0, 1), its b{l} as (n_C,); BatchNorm is BatchNormalization with the running
averages (inference), its vectors (n,). ONNX Runtime has no float64 Conv or AveragePool: in a float64
file they are the same sums in ops it has (see ``_Graph``). ONNX keeps BatchNormalization's epsilon as
a float32: in a float64 file whose eps is not a float32 number, the stored running_var carries the
difference eps - float32(eps) (2.5e-13 for 1e-5), so that var + epsilon is the model's var + eps.

m is dynamic throughout. Dropout is left out (the identity at inference), as is Identity; the
file computes the model in eval mode whatever mode it is in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nn.extras import missing_extra
from nn.files.atomic import atomic_path
from nn.files.portable import is_conv_batchnorm, parameter_dtype, portable_layers, state_names, takes_images
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.batchnorm import BatchNorm
from nn.layers.conv import Conv2D, MaxPool2D, Pool2D
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten
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
        model: an nn.Sequential or nn.MLP of Linear, Conv2D, MaxPool2D, AvgPool2D, BatchNorm, Flatten, the
            activations, Softmax, Dropout, Identity (see ``nn.files.portable``).
        layout: "batch_first" (X (m, n_x) -> A{L} (m, n[L])) or "course" (X (n_x, m) -> A{L} (n[L], m));
            a model that takes images takes X (m, n_H, n_W, n_C) in both.
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
    images = takes_images(layers)
    graph = _Graph(onnx, layout, chosen, state_names(model))
    if images:
        graph.start_images()
    for m in layers:
        graph.add(m)
    opset_id = onnx.helper.make_opsetid("", opset)
    if images:
        takes = "X (m, n_H, n_W, n_C), images channels last"
    else:
        takes = "X (m, n_x), one example per row" if layout == "batch_first" else "X (n_x, m), one example per column"
    proto = onnx.helper.make_model(graph.finish(_input_shape(layers, images)), opset_imports=[opset_id],
                                   producer_name="tinygrad-nb", doc_string=f"tinygrad-nb, layout={layout}: {takes}")
    proto.ir_version = onnx.helper.find_min_ir_version_for([opset_id])  # readable by older runtimes
    onnx.helper.set_model_props(proto, {"layout": layout, "notation": "Andrew Ng's deep learning course"})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model: Module, path: str | os.PathLike, *, layout: str = "batch_first", dtype: Any = None,
                opset: int = DEFAULT_OPSET) -> Path:
    """Write ``model`` to ``path`` as ONNX, atomically; returns the path. See ``to_onnx`` for the arguments.

    In the default ``layout="batch_first"`` the file takes X (m, n_x), one example per row, and
    gives A{L} (m, n[L]): feed it ``X.T`` of the course's X (n_x, m). With ``layout="course"``
    it takes X (n_x, m) as the course does. A convolutional network's file takes the images as the
    course holds them, (m, n_H, n_W, n_C), in both layouts. The file is the model in eval mode, whatever
    mode it is in: BatchNorm uses its running averages and Dropout is left out, as a deployed network runs.
    A path in a missing folder, or a folder, is refused before anything is written.
    """
    data = to_onnx(model, layout=layout, dtype=dtype, opset=opset).SerializeToString()
    with atomic_path(path, who="export_onnx") as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _input_shape(layers: list[Module], images: bool) -> list[int | str]:
    """X's declared shape: images (m, n_H, n_W, n_C), n_C known when a Conv2D or BatchNorm says it before any
    layer changes it; else the layout's (n_x, m) or (m, n_x) (``_Graph.shape`` orders it)."""
    if images:
        n_C: int | str = "n_C"  # a pool or Flatten before any Conv2D or BatchNorm takes any n_C
        for m in layers:
            if isinstance(m, Conv2D) or (isinstance(m, BatchNorm) and is_conv_batchnorm(m)):
                n_C = m.n_C_prev if isinstance(m, Conv2D) else m.n
                break
        return ["m", "n_H", "n_W", n_C]
    first_dense = next(m for m in layers if isinstance(m, (Linear, BatchNorm)))
    return [first_dense.n_in if isinstance(first_dense, Linear) else first_dense.n]


Ref = str | int  # an input of a node: a graph input or initializer by name, or the output of node i

# How the tensor in hand is laid out: images channels last or first, or a dense activation one example per
# row (m, n) or per column (n, m); Transpose nodes go between them, only where a node needs another.
PERMS: dict[tuple[str, str], list[int]] = {("nhwc", "nchw"): [0, 3, 1, 2], ("nchw", "nhwc"): [0, 2, 3, 1],
                                           ("rows", "cols"): [1, 0], ("cols", "rows"): [1, 0]}
SUFFIX = {"nchw": "_nchw", "nhwc": "_nhwc", "rows": "_T", "cols": "_T"}
INT64_MAX = 2**63 - 1


class _Graph:
    """Builds the nodes layer by layer, naming tensors as the course does (Z{l}, A{l}, P{l}).

    Images come in as the course's (m, n_H, n_W, n_C) and go through ONNX's Conv, MaxPool, AveragePool
    and BatchNormalization in NCHW, with a Transpose before the first and one back to NHWC before
    Flatten (ONNX's Flatten(axis=1) of NHWC is the course's X.reshape(m, -1), features in (n_H, n_W, n_C)
    order), so that the Linear after it takes its W[l] as it is. ONNX Runtime has no float64 Conv nor
    AveragePool, so in float64 they are written as the same sums: a Conv as im2col (Pad, one strided
    Slice per filter position (i, j), Concat, one MatMul by W{l} as a (f f n_C_prev, n_C) matrix, Add b{l})
    and an AveragePool as the Sum of the f^2 Slices divided by f^2, channels last.
    """

    def __init__(self, onnx: Any, layout: str, dtype: np.dtype, names: dict[int, str]):
        self.onnx, self.layout, self.dtype, self.names = onnx, layout, dtype, names
        self.nodes: list[tuple[str, list[Ref], str, dict[str, Any]]] = []  # (op, inputs, wanted name, attrs)
        self.initializers: dict[str, Any] = {}
        self.constants: dict[tuple[Any, ...], str] = {}  # the int64 inputs (pads, slice bounds), each stored once
        self.matrices: dict[str, Ref] = {}  # W{l} of a Conv2D as the im2col matrix (float64), made once
        self.current: Ref = "X"  # the tensor the next layer reads
        self.base = "X"  # its course name: X, Z{l}, A{l}, P{l} (the transposes of it are named after it)
        self.l = 0  # how many Linear and Conv2D layers have run
        self.n: int | None = 0  # n[l] of a dense activation, or n_C of images
        self.dense = "cols" if layout == "course" else "rows"  # how this layout holds a dense activation
        self.fmt = self.dense

    def shape(self, n: int | None) -> list[int | str | None]:
        return [n, "m"] if self.layout == "course" else ["m", n]

    def start_images(self) -> None:
        self.fmt = "nhwc"

    def add(self, m: Module) -> None:
        if isinstance(m, Linear):
            self._linear(m)
        elif isinstance(m, Conv2D):
            self._conv(m)
        elif isinstance(m, Pool2D):
            self._pool(m)
        elif isinstance(m, BatchNorm):
            self._batchnorm(m)
        elif isinstance(m, Flatten):
            self._flatten()
        elif isinstance(m, (Dropout, Identity)):
            return  # the identity at inference: no node
        elif isinstance(m, LeakyReLU):
            self._leaky_relu(m.slope)
        elif isinstance(m, Softmax):
            axis = m.axis % 2  # over the classes (0) or the examples (1) of the course's (n, m)
            self._node("Softmax", [self.current], axis=axis if self.fmt == "cols" else 1 - axis)
        else:
            self._node(ELEMENTWISE[type(m)], [self.current])

    def _need(self, fmt: str) -> None:
        """Transpose the tensor in hand to ``fmt`` when it is not so already."""
        if self.fmt != fmt:
            self._node("Transpose", [self.current], name=self.base + SUFFIX[fmt], keep_base=True,
                       perm=PERMS[(self.fmt, fmt)])
            self.fmt = fmt

    def _linear(self, lin: Linear) -> None:
        self._need(self.dense)
        self.l += 1
        self.n = lin.n_out
        W, b = self.names[id(lin.W)], self.names[id(lin.b)]  # the model's numbering, as state_dict's
        self._initializer(W, lin.W.data)
        if self.layout == "batch_first":
            self._initializer(b, lin.b.data.reshape(-1))
            self._node("Gemm", [self.current, W, b], name=f"Z{self.l}", transB=1)
        else:
            self._initializer(b, lin.b.data)
            self._node("MatMul", [W, self.current], name="")  # named W{l}_A{l-1} once A{l-1} has its name
            self._node("Add", [self.current, b], name=f"Z{self.l}")

    def _conv(self, conv: Conv2D) -> None:
        """Z{l} = W{l} * A{l-1} + b{l}; W{l} stored as ONNX's Conv weight (n_C, n_C_prev, f, f), b{l} as (n_C,)."""
        self.l += 1
        self.n = conv.n_C
        f, s, p = conv.f, conv.stride, conv.pad
        W, b = self.names[id(conv.W)], self.names[id(conv.b)]
        self._initializer(W, conv.W.data.transpose(3, 2, 0, 1))
        self._initializer(b, conv.b.data.reshape(-1))
        Z = f"Z{self.l}"
        if self.dtype == np.float32:
            self._need("nchw")
            self._node("Conv", [self.current, W, b], name=Z, kernel_shape=[f, f], strides=[s, s], pads=[p, p, p, p])
            return
        self._need("nhwc")  # float64: im2col, channels last
        A = self.base
        if p:
            pads = self._constant("pads", np.array([0, p, p, 0, 0, p, p, 0]))
            self._node("Pad", [self.current, pads], name=f"{A}_pad", keep_base=True)
        cols = self._windows(f, s, A)
        self._node("Concat", cols, name=f"{Z}_cols", keep_base=True, axis=3)  # (m, n_H, n_W, f f n_C_prev)
        if W not in self.matrices:  # (n_C, n_C_prev, f, f) -> (f, f, n_C_prev, n_C) -> (f f n_C_prev, n_C)
            here = self.current
            self._node("Transpose", [W], name=f"{W}_hwio", keep_base=True, perm=[2, 3, 1, 0])
            shape = self._constant("shape", np.array([f * f * conv.n_C_prev, conv.n_C]))
            self._node("Reshape", [self.current, shape], name=f"{W}_matrix", keep_base=True)
            self.matrices[W], self.current = self.current, here
        self._node("MatMul", [self.current, self.matrices[W]], name=f"{W}_{A}", keep_base=True)
        self._node("Add", [self.current, b], name=Z)

    def _windows(self, f: int, s: int, A: str) -> list[Ref]:
        """The f^2 strided Slices of the images in hand (NHWC), window position (i, j) in row order: slice (i, j)
        holds A_prev[:, i + s h, j + s w, :] for each output position (h, w), n_H = floor((n_H_prev - f) / s) + 1
        of them (its end, n_H_prev - (f - 1 - i), counted from the end: the input's size is not known here)."""
        source = self.current
        axes, steps = self._constant("axes", np.array([1, 2])), self._constant("steps", np.array([s, s]))
        out: list[Ref] = []
        for i in range(f):
            for j in range(f):
                starts = self._constant("starts", np.array([i, j]))
                ends = self._constant("ends", np.array([i + 1 - f if i < f - 1 else INT64_MAX,
                                                         j + 1 - f if j < f - 1 else INT64_MAX]))
                self._node("Slice", [source, starts, ends, axes, steps], name=f"{A}_window{i}{j}", keep_base=True)
                out.append(self.current)
        return out

    def _pool(self, pool: Pool2D) -> None:
        f, s = pool.f, pool.stride
        P = f"P{self.l}" if self.l else "P"
        if isinstance(pool, MaxPool2D) or self.dtype == np.float32:
            self._need("nchw")
            op = "MaxPool" if isinstance(pool, MaxPool2D) else "AveragePool"
            self._node(op, [self.current], name=P, kernel_shape=[f, f], strides=[s, s])
            return
        self._need("nhwc")  # float64 average: the sum of the f^2 windows / f^2, as pool2d computes it
        self._node("Sum", self._windows(f, s, self.base), name=f"{P}_sum", keep_base=True)
        self._node("Div", [self.current, self._initializer_const(f"{P}_f2", np.array(f * f, dtype=self.dtype))],
                   name=P)

    def _batchnorm(self, bn: BatchNorm) -> None:
        """BatchNormalization with the running averages (inference), channels on axis 1: NCHW images, or a dense
        activation as (m, n). Its parameters and buffers keep the model's names (gamma1, running_var1)."""
        self._need("nchw" if bn.layout == "conv" else "rows")
        eps32 = float(np.float32(bn.eps))  # ONNX keeps epsilon as a float32
        var = bn.running_var.astype(np.float64)
        if self.dtype == np.float64 and eps32 != bn.eps:  # so that var + epsilon is the model's var + eps
            var = var + (bn.eps - eps32)
        inputs: list[Ref] = [self.current]
        for key, value in ((bn.gamma, bn.gamma.data), (bn.beta, bn.beta.data), (bn.running_mean, bn.running_mean),
                           (bn.running_var, var)):
            name = self.names[id(key)]
            self._initializer(name, value.reshape(-1))
            inputs.append(name)
        self._node("BatchNormalization", inputs, name=f"{self.base}~", epsilon=eps32)

    def _flatten(self) -> None:
        """The course's A.reshape(m, -1) of images (m, n_H, n_W, n_C), channels last; (n, m) passes through."""
        if self.fmt in ("rows", "cols"):
            return
        self._need("nhwc")
        self._node("Flatten", [self.current], name=f"{self.base}_flat", keep_base=True, axis=1)
        self.fmt, self.n = "rows", None  # n_H n_W n_C: not known without the images' size

    def _leaky_relu(self, slope: float) -> None:
        if self.dtype == np.float32 or float(np.float32(slope)) == slope:  # ONNX attributes are float32
            self._node("LeakyRelu", [self.current], alpha=slope)
        else:  # in float64 the float32 alpha would be off by ~1e-10: PRelu takes the slope as a tensor
            name = _fresh(f"slope{self.l}", set(self.initializers))
            self._initializer(name, np.array([slope]))
            self._node("PRelu", [self.current, name])

    def _initializer(self, name: str, array: np.ndarray) -> None:
        if name not in self.initializers:  # a shared layer's W and b are stored once
            self.initializers[name] = self.onnx.numpy_helper.from_array(
                np.ascontiguousarray(array, dtype=self.dtype), name)

    def _initializer_const(self, hint: str, array: np.ndarray) -> str:
        name = _fresh(hint, set(self.initializers))
        self.initializers[name] = self.onnx.numpy_helper.from_array(array, name)
        return name

    def _constant(self, hint: str, values: np.ndarray) -> str:
        """An int64 initializer holding ``values`` (a shape, pads, slice bounds), one per distinct value."""
        values = values.astype(np.int64)
        key = (values.shape, values.tobytes())
        if key not in self.constants:
            self.constants[key] = self._initializer_const(hint, values)
        return self.constants[key]

    def _node(self, op: str, inputs: list[Ref], name: str | None = None, keep_base: bool = False,
              **attrs: Any) -> None:
        wanted = name if name is not None else f"A{self.l}" if self.l else f"X_{op.lower()}"
        self.nodes.append((op, inputs, wanted, attrs))
        self.current = len(self.nodes) - 1
        if not keep_base and wanted:
            self.base = wanted

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

    def finish(self, input_shape: list[int | str]) -> Any:
        """The graph X (the course's A0) -> A{L}: a dense output in the layout's own way, images as NHWC."""
        images = len(input_shape) == 4
        if self.fmt in ("nhwc", "nchw"):
            self._need("nhwc")
            out_shape: list[int | str | None] = ["m", None, None, self.n]
        else:
            self._need(self.dense)
            out_shape = self.shape(self.n)
        helper = self.onnx.helper
        names = self._names()
        made = [helper.make_node(op, [t if isinstance(t, str) else names[t] for t in inputs], [names[i]],
                                 name=names[i], **attrs)
                for i, (op, inputs, _, attrs) in enumerate(self.nodes)]
        elem = helper.np_dtype_to_tensor_dtype(self.dtype)
        return helper.make_graph(
            made, "tinygrad_nb_model",
            [helper.make_tensor_value_info("X", elem, input_shape if images else self.shape(int(input_shape[0])))],
            [helper.make_tensor_value_info(names[-1], elem, out_shape)],
            initializer=list(self.initializers.values()))


def _fresh(name: str, used: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``, ... when taken."""
    if name not in used:
        return name
    k = 2
    while f"{name}_{k}" in used:
        k += 1
    return f"{name}_{k}"
