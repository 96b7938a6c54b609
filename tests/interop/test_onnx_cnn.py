"""Issue 23: export_onnx for convolutional networks, ONNX Runtime the oracle.

The file takes the course's images X (m, n_H, n_W, n_C) in both layouts and outputs A{L} as the layout says.
On random small CNNs (hypothesis: 1-2 conv blocks with random f, stride, pad, BatchNorm, max or average pooling,
Flatten, dense BatchNorm, a Linear head with sigmoid, softmax or identity) ONNX Runtime's output equals the model's
eval-mode forward to 1e-10 in float64 and 1e-5 in float32 (relative to the largest output where that is above 1),
for several m from one file: measured over 150 examples, 1.1e-13 (float64) and 5.2e-7 relative (float32).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn.files.onnx_bridge import export_onnx, to_onnx
from nn.layers.activations import activation
from nn.layers.conv import output_size
from nn.layers.module import eval_mode

onnx = pytest.importorskip("onnx", reason="onnx is not installed: pip install 'tinygrad-nb[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed: pip install 'tinygrad-nb[onnx]'")

TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}


HIDDEN = st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"])


@st.composite
def cnns(draw):
    """(model, image shape (n_H, n_W, n_C), seed): 1-2 conv blocks, Flatten, maybe a dense BatchNorm, maybe a hidden
    Linear, a Linear head with sigmoid, softmax or identity (as tests/interop/test_torch_cnn.py draws them)."""
    H, W, C = draw(st.integers(4, 9)), draw(st.integers(4, 9)), draw(st.integers(1, 3))
    layers: list = []
    size, channels = (H, W), C
    for _ in range(draw(st.integers(1, 2))):
        f, stride = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        pad = draw(st.sampled_from([0, 1, 2, "same"]))
        if pad == "same" and (f % 2 == 0 or stride != 1):
            pad = 1
        p = (f - 1) // 2 if pad == "same" else pad
        if min(size) + 2 * p < f:
            f = 1
        n_C = draw(st.integers(1, 4))
        layers.append(nn.Conv2D(channels, n_C, f, stride=stride, pad=pad))
        size, channels = tuple(output_size(n, f, p, stride) for n in size), n_C
        if draw(st.booleans()):
            layers.append(nn.BatchNorm(n_C, layout="conv"))
        layers.append(activation(draw(HIDDEN)))
        pool = draw(st.sampled_from([None, nn.MaxPool2D, nn.AvgPool2D]))
        pf, ps = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        if pool is not None and min(size) >= pf:
            layers.append(pool(pf, stride=ps))
            size = tuple(output_size(n, pf, 0, ps) for n in size)
    layers.append(nn.Flatten())
    n = size[0] * size[1] * channels
    if draw(st.booleans()):
        layers.append(nn.BatchNorm(n))
    if draw(st.booleans()):
        n_h = draw(st.integers(1, 5))
        layers += [nn.Linear(n, n_h), nn.BatchNorm(n_h), activation(draw(HIDDEN))]
        n = n_h
    output = draw(st.sampled_from(["sigmoid", "softmax", "identity"]))
    layers += [nn.Linear(n, 1 if output == "sigmoid" else draw(st.integers(2, 4))), activation(output)]
    model = nn.Sequential(*layers)
    seed = draw(st.integers(0, 2**16))
    randomise(model, seed)
    return model, (H, W, C), seed


def randomise(model, seed, low_var=0.2):
    rs = np.random.RandomState(seed)
    for name, p in model.named_parameters():
        p.data = p.data + 0.3 * rs.randn(*p.shape) + (1.0 if "gamma" in name else 0.0)
    for name, b in model.named_buffers():
        b[...] = rs.uniform(low_var, 2.0, b.shape) if "var" in name else 0.3 * rs.randn(*b.shape)


def run_onnx(source, X, layout):
    """ONNX Runtime's A[L] for images X (m, n_H, n_W, n_C), returned as the course's (n[L], m)."""
    data = source if isinstance(source, str) else source.SerializeToString()
    out = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"X": X})[0]
    return out if layout == "course" else out.T


def forward_here(model, X):
    with eval_mode(model):
        return model(X).data


@settings(max_examples=40, deadline=None)
@given(case=cnns(), layout=st.sampled_from(["batch_first", "course"]))
def test_onnx_runtime_computes_what_a_random_cnn_computes(case, layout):
    model, (H, W, C), seed = case
    model.train()  # the file is for inference whatever the mode: BatchNorm with the running averages
    rs = np.random.RandomState(seed + 1)
    for dtype in (np.float64, np.float32):
        typed = model.astype(dtype) if dtype == np.float32 else model
        proto = to_onnx(typed, layout=layout)
        for m in (1, 3):  # one file, any number of examples
            X = rs.randn(m, H, W, C).astype(dtype)
            got = run_onnx(proto, X, layout)
            want = forward_here(typed, X)
            assert got.dtype == dtype and got.shape == want.shape
            scale = max(1.0, float(np.abs(want).max()))  # an identity head's outputs can reach 10 or more
            assert np.abs(got - want).max() <= TOLERANCE[dtype] * scale
    assert model.training


def a_cnn():
    model = nn.Sequential(nn.Conv2D(3, 4, 3, pad="same"), nn.BatchNorm(4, layout="conv"), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Conv2D(4, 6, 2, stride=2, pad=1), nn.LeakyReLU(0.25), nn.AvgPool2D(2, stride=1),
                          nn.Flatten(), nn.BatchNorm(24), nn.Linear(24, 5), nn.Tanh(), nn.Dropout(keep_prob=0.8),
                          nn.Linear(5, 3), nn.Softmax(axis=0))
    randomise(model, 0)
    return model


@pytest.mark.parametrize("layout", ["batch_first", "course"])
def test_the_graph_takes_nhwc_images_and_keeps_the_models_names(layout):
    model = a_cnn().astype(np.float32)
    proto = to_onnx(model, layout=layout)
    graph = proto.graph

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    assert [i.name for i in graph.input] == ["X"] and dims(graph.input[0]) == ["m", "n_H", "n_W", 3]
    assert [o.name for o in graph.output] == ["A4"]
    assert dims(graph.output[0]) == (["m", 3] if layout == "batch_first" else [3, "m"])
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    state = model.state_dict()
    assert set(state) <= set(stored)
    np.testing.assert_array_equal(stored["W1"], state["W1"].transpose(3, 2, 0, 1))  # Conv's (n_C, n_C_prev, f, f)
    np.testing.assert_array_equal(stored["b1"], state["b1"].reshape(-1))
    np.testing.assert_array_equal(stored["W3"], state["W3"])  # the Linear after Flatten keeps its W[l]
    for name in state:
        if "gamma" in name or "beta" in name or "running" in name:  # BatchNorm's vectors, float32: no eps carry
            np.testing.assert_array_equal(stored[name], state[name].reshape(-1), err_msg=name)
    ops = [n.op_type for n in graph.node]
    assert ops[:9] == ["Transpose", "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "LeakyRelu",
                       "AveragePool", "Transpose"]
    assert ops[9] == "Flatten" and ops.count("Transpose") == (2 if layout == "batch_first" else 3)
    names = [n.output[0] for n in graph.node]
    assert {"X_nchw", "Z1", "Z1~", "A1", "P1", "Z2", "A2", "P2", "P2_nhwc", "Z3", "A3", "Z4", "A4"} <= set(names)


def test_float64_convolutions_and_average_pools_are_written_in_ops_onnx_runtime_has():
    """ONNX Runtime has no float64 Conv nor AveragePool: a float64 file writes them as im2col (strided Slices,
    Concat, MatMul) and a Sum of the windows, channels last; the rest as in float32."""
    model = a_cnn()
    ops = [n.op_type for n in to_onnx(model).graph.node]
    assert "Conv" not in ops and "AveragePool" not in ops
    assert {"Pad", "Slice", "Concat", "MatMul", "MaxPool", "BatchNormalization", "Sum", "Div"} <= set(ops)
    X = np.random.RandomState(1).randn(5, 8, 8, 3)
    np.testing.assert_allclose(run_onnx(to_onnx(model), X, "batch_first"), forward_here(model, X),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("eps", [1e-5, 1e-3, 2.0**-10])
def test_batchnorm_epsilon_is_the_models_in_float64_even_for_a_tiny_variance(eps):
    """ONNX stores epsilon as a float32; a float64 file carries eps - float32(eps) in running_var, so a variance
    near 0, where the float32 epsilon would be off by ~1e-8, still gives the model's output."""
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm(4, eps=eps), nn.Identity())
    model[1].running_var[...] = np.array([[1e-9], [1e-6], [1e-4], [1.0]])
    model[1].running_mean[...] = 0.1
    X = np.random.RandomState(2).randn(3, 6)
    for layout in ("batch_first", "course"):
        proto = to_onnx(model, layout=layout)
        got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(
            None, {"X": X if layout == "course" else X.T.copy()})[0]
        np.testing.assert_allclose(got if layout == "course" else got.T, forward_here(model, X), rtol=1e-13, atol=0)
        node = next(n for n in proto.graph.node if n.op_type == "BatchNormalization")
        assert node.attribute[0].f == np.float32(eps)


def test_a_network_of_conv_layers_only_outputs_nhwc_images(tmp_path):
    model = nn.Sequential(nn.Conv2D(2, 3, 3, pad=1), nn.BatchNorm(3, layout="conv"), nn.Tanh(), nn.MaxPool2D(2))
    randomise(model, 3)
    X = np.random.RandomState(3).randn(2, 6, 6, 2)
    for dtype in (np.float64, np.float32):
        path = export_onnx(model.astype(dtype), tmp_path / f"{np.dtype(dtype).name}.onnx")
        out = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": X.astype(dtype)})[0]
        np.testing.assert_allclose(out, forward_here(model, X), rtol=0, atol=TOLERANCE[dtype])


def test_a_flatten_first_network_takes_the_images_as_loaded():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 1, rng=0), nn.Sigmoid())
    X = np.random.RandomState(4).rand(5, 2, 2, 3)
    for layout in ("batch_first", "course"):
        proto = to_onnx(model, layout=layout)
        assert [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == \
            ["m", "n_H", "n_W", "n_C"]
        np.testing.assert_allclose(run_onnx(proto, X, layout), forward_here(model, X), rtol=0, atol=1e-12)


def test_dense_batchnorm_in_both_layouts():
    model = nn.Sequential(nn.Linear(3, 5, rng=0), nn.BatchNorm(5), nn.ReLU(), nn.Linear(5, 2, rng=1), nn.BatchNorm(2),
                          nn.Softmax(axis=0))
    randomise(model, 5)
    X = np.random.RandomState(5).randn(3, 7)
    for layout in ("batch_first", "course"):
        proto = to_onnx(model, layout=layout)
        got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(
            None, {"X": X if layout == "course" else X.T.copy()})[0]
        np.testing.assert_allclose(got if layout == "course" else got.T, forward_here(model, X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad, message", [
    (lambda: nn.Sequential(nn.Conv2D(1, 2, 3), nn.Softmax(), nn.Flatten(), nn.Linear(8, 1)),
     r"layer 1 \(Softmax\) runs on images"),
    (lambda: nn.Sequential(nn.Sequential(nn.Conv2D(1, 2, 3), nn.Tanh()), nn.Softmax(axis=1), nn.Flatten()),
     r"layer 1 \(Softmax\) runs on images"),
])
def test_layers_that_do_not_fit_their_part_are_refused(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        export_onnx(bad(), tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []


def test_the_cli_exports_a_saved_cnn_with_no_change(tmp_path, capsys):
    pytest.importorskip("h5py", reason="h5py is not installed: pip install 'tinygrad-nb[h5]'")
    from tinygrad_nb_cli import cli

    model = a_cnn()
    nn.save(model, tmp_path / "cnn.h5")
    out = tmp_path / "cnn.onnx"
    assert cli.main(["export", "--model", str(tmp_path / "cnn.h5"), "--onnx", str(out)]) == 0
    assert "X (m, n_H, n_W, 3) -> A4 (m, 3)" in capsys.readouterr().out
    X = np.random.RandomState(6).randn(2, 8, 8, 3)
    np.testing.assert_allclose(run_onnx(str(out), X, "batch_first"), forward_here(model, X), rtol=0, atol=1e-12)
