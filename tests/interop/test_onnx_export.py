"""export_onnx: ONNX Runtime, not this project, says what the exported file computes.

Every file passes ``onnx.checker.check_model(full_check=True)`` and runs in ONNX Runtime on
random inputs; its output equals this project's forward to 1e-12 in float64 and 1e-5 in
float32, in both layouts, for each hidden activation and a sigmoid or softmax output.
"""

import sys

import numpy as np
import pytest

import nn
from nn.files.onnx_bridge import export_onnx, to_onnx
from nn.layers.module import Module

onnx = pytest.importorskip("onnx", reason="onnx is not installed: pip install 'tinygrad-nb[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed: pip install 'tinygrad-nb[onnx]'")

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}


def random_mlp(dims, hidden, output, dtype=np.float64, seed=0, **kwargs):
    """An MLP with random W[l] and nonzero b[l] (a zero b would hide a wrong bias)."""
    model = nn.MLP(dims, hidden=hidden, output=output, init="he", rng=seed, **kwargs)
    rs = np.random.RandomState(seed + 1)
    for lin in model.linears():
        lin.b.data = rs.randn(*lin.b.shape) * 0.5
    return model.astype(dtype)


def run_onnx(path_or_proto, X, layout):
    """ONNX Runtime's A[L] for the course's X (n_x, m), returned as (n[L], m)."""
    source = path_or_proto if isinstance(path_or_proto, str) else path_or_proto.SerializeToString()
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    out = session.run(None, {"X": X if layout == "course" else np.ascontiguousarray(X.T)})[0]
    return out if layout == "course" else out.T


def forward_here(model, X):
    with nn.layers.module.eval_mode(model):
        return model(X).data


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("layout", ["batch_first", "course"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_onnx_runtime_computes_what_the_model_computes(tmp_path, hidden, output, layout, dtype):
    dims = [5, 7, 6, 4 if output == "softmax" else 1]
    model = random_mlp(dims, hidden, output, dtype, seed=3)
    path = export_onnx(model, tmp_path / "model.onnx", layout=layout)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    rs = np.random.RandomState(7)
    for m in (1, 13):  # one file, any number of examples
        X = rs.randn(5, m).astype(dtype)
        got = run_onnx(str(path), X, layout)
        assert got.dtype == dtype and got.shape == (dims[-1], m)
        np.testing.assert_allclose(got, forward_here(model, X), rtol=0, atol=TOLERANCE[dtype])
        if output == "softmax":  # ORT's own output sums to 1 over the classes of each example
            np.testing.assert_allclose(got.sum(axis=0), 1.0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("layout", ["batch_first", "course"])
def test_the_graph_speaks_the_course_notation(layout):
    model = random_mlp([3, 4, 2], "tanh", "sigmoid")
    proto = to_onnx(model, layout=layout)
    graph = proto.graph
    assert [i.name for i in graph.input] == ["X"] and [o.name for o in graph.output] == ["A2"]
    dims = [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in (graph.input[0],
                                                                                       graph.output[0])]
    assert dims == ([[3, "m"], [2, "m"]] if layout == "course" else [["m", 3], ["m", 2]])
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    assert sorted(stored) == ["W1", "W2", "b1", "b2"]
    for lin in model.linears():  # W[l] as the course's (n[l], n[l-1]); b[l] (n[l], 1) or, for Gemm, (n[l],)
        np.testing.assert_array_equal(stored[f"W{lin.index}"], lin.W.data)
        b = stored[f"b{lin.index}"]
        np.testing.assert_array_equal(b, lin.b.data if layout == "course" else lin.b.data.reshape(-1))
    ops = [n.op_type for n in graph.node]
    assert ops == (["Gemm", "Tanh", "Gemm", "Sigmoid"] if layout == "batch_first"
                   else ["MatMul", "Add", "Tanh", "MatMul", "Add", "Sigmoid"])
    assert [n.output[0] for n in graph.node if n.op_type != "MatMul"] == ["Z1", "A1", "Z2", "A2"]
    assert {p.key: p.value for p in proto.metadata_props}["layout"] == layout


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("layout", ["batch_first", "course"])
def test_every_layer_kind_a_shared_layer_and_nesting(layout, dtype):
    shared = nn.Linear(4, 4, init="he", rng=1)
    model = nn.Sequential(
        nn.Linear(3, 4, init="he", rng=0), nn.LeakyReLU(0.01), nn.Dropout(keep_prob=0.5, rng=0),  # PRelu in float64
        shared, nn.LeakyReLU(0.25), shared, nn.Identity(),  # 0.25 is exact in float32: LeakyRelu
        nn.Sequential(nn.Linear(4, 3, init="he", rng=2), nn.Tanh(), nn.ReLU()),
        nn.Linear(3, 5, init="he", rng=3), nn.Softmax(axis=0)).astype(dtype)
    for p in model.parameters():
        p.data = p.data + np.asarray(0.1, dtype)
    model.train()  # dropout on here; the file is for inference, where dropout is the identity
    proto = to_onnx(model, layout=layout)
    onnx.checker.check_model(proto, full_check=True)
    assert sorted(t.name for t in proto.graph.initializer if t.name[0] in "Wb") == ["W1", "W2", "W3", "W4",
                                                                                   "b1", "b2", "b3", "b4"]
    X = np.random.RandomState(5).randn(3, 9).astype(dtype)
    np.testing.assert_allclose(run_onnx(proto, X, layout), forward_here(model, X), rtol=0, atol=TOLERANCE[dtype])
    assert model.training  # exporting did not change the model's mode


def test_softmax_over_the_examples_axis_is_kept_in_each_layout():
    model = nn.Sequential(nn.Linear(2, 3, init="he", rng=0), nn.Softmax(axis=1))
    X = np.random.RandomState(0).randn(2, 6)
    for layout in ("course", "batch_first"):
        got = run_onnx(to_onnx(model, layout=layout), X, layout)
        np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(got, forward_here(model, X), rtol=0, atol=1e-12)


def test_dtype_argument_converts_the_weights():
    model = random_mlp([4, 3, 1], "relu", "sigmoid", np.float64)
    proto = to_onnx(model, dtype=np.float32)
    X = np.random.RandomState(1).randn(4, 5).astype(np.float32)
    got = run_onnx(proto, X, "batch_first")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, forward_here(model, X.astype(np.float64)), rtol=0, atol=1e-5)
    assert model.parameters()[0].data.dtype == np.float64  # the model itself is untouched


class Doubling(Module):
    def forward(self, A):
        return A * 2.0


@pytest.mark.parametrize("bad, error, message", [
    (nn.Sequential(nn.Linear(2, 3), Doubling(), nn.Linear(3, 1)), TypeError, r"layer 1 \(Doubling\) is not supported"),
    (nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), Doubling())), TypeError, r"layer 1\.1 \(Doubling\)"),
    (nn.Sequential(nn.ReLU(), nn.Sigmoid()), ValueError, "no parameters"),
    (nn.Linear(2, 3), TypeError, r"expected an nn.Sequential or nn.MLP, got Linear \(wrap it"),
    ("model.h5", TypeError, "expected an nn.Sequential or nn.MLP, got str"),
])
def test_an_unexportable_model_is_refused_and_nothing_is_written(tmp_path, bad, error, message):
    with pytest.raises(error, match=message):
        export_onnx(bad, tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"layout": "rows"}, "layout must be 'batch_first'"),
    ({"opset": 9}, "opset must be an int in 13"),
    ({"opset": 10_000}, "opset must be an int in 13"),
    ({"dtype": np.float16}, "dtype must be float32 or float64, got float16"),
    ({"dtype": "nonsense"}, "dtype must be np.float32 or np.float64"),
])
def test_bad_options_are_refused(tmp_path, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        export_onnx(random_mlp([2, 1], "relu", "sigmoid"), tmp_path / "model.onnx", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_a_path_in_a_missing_folder_or_a_folder_is_refused_before_writing(tmp_path):
    model = random_mlp([2, 3, 1], "relu", "sigmoid")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export_onnx(model, tmp_path / "missing" / "model.onnx")
    assert not (tmp_path / "missing").exists()
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        export_onnx(model, tmp_path / "folder")
    assert list((tmp_path / "folder").iterdir()) == []


def test_a_failed_export_leaves_the_previous_file_as_it_was(tmp_path):
    path = tmp_path / "model.onnx"
    export_onnx(random_mlp([2, 3, 1], "relu", "sigmoid"), path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        export_onnx(nn.Sequential(nn.Linear(2, 3), Doubling()), path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_without_onnx_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'tinygrad-nb\[onnx\]'"):
        export_onnx(random_mlp([2, 1], "relu", "sigmoid"), tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []
