"""to_torch / from_torch: PyTorch's own forward and autograd are the oracle.

On random models (hypothesis) the torch network's output, cost and gradients dW[l], db[l]
equal this project's to 1e-12 in float64, and to_torch then from_torch gives back every
parameter exactly.
"""

import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn.files.torch_bridge import from_torch, save_torch_state_dict, to_torch
from nn.layers.module import Module

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "continue_in_pytorch.py"
ATOL = 1e-12


def random_mlp(dims, hidden, output, seed, dtype=np.float64, keep_prob=1.0):
    model = nn.MLP(dims, hidden=hidden, output=output, init="he", rng=seed, slope=0.05, keep_prob=keep_prob)
    rs = np.random.RandomState(seed + 1)
    for lin in model.linears():
        lin.b.data = rs.randn(*lin.b.shape) * 0.5
    return model.astype(dtype)


def torch_linears(net):
    seen: list = []
    for m in net:
        if isinstance(m, torch.nn.Linear) and all(m is not s for s in seen):
            seen.append(m)
    return seen


def costs(output, A_here, A_torch, Y):
    """The same cost computed here and in torch: BCE for sigmoid, -sum(Y log A)/m for softmax, MSE otherwise."""
    m = Y.shape[1]
    Yt = torch.from_numpy(Y.T.copy())
    if output == "sigmoid":
        return nn.binary_cross_entropy(A_here, Y), torch.nn.BCELoss()(A_torch, Yt)
    if output == "softmax":
        return (A_here.log() * Y).sum() * (-1.0 / m), -(A_torch.log() * Yt).sum() / m
    return nn.mse(A_here, Y), torch.nn.functional.mse_loss(A_torch, Yt)


def targets(output, n_y, m, rs):
    if output == "sigmoid":
        return (rs.rand(n_y, m) > 0.5).astype(np.float64)
    if output == "softmax":
        return np.eye(n_y)[:, rs.randint(n_y, size=m)]
    return rs.randn(n_y, m)


@settings(max_examples=30, deadline=None)
@given(dims=st.lists(st.integers(1, 6), min_size=2, max_size=4),
       hidden=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
       output=st.sampled_from(["sigmoid", "softmax", "identity"]),
       m=st.integers(1, 8), seed=st.integers(0, 2**16), keep_prob=st.sampled_from([1.0, 0.8]))
def test_torch_agrees_on_output_cost_and_gradients(dims, hidden, output, m, seed, keep_prob):
    if output == "sigmoid":
        dims[-1] = 1
    model = random_mlp(dims, hidden, output, seed, keep_prob=keep_prob).eval()  # dropout off in both
    rs = np.random.RandomState(seed + 2)
    X, Y = rs.randn(dims[0], m), targets(output, dims[-1], m, rs)
    net = to_torch(model)
    assert not net.training

    A = model(X)
    J_here, J_torch = costs(output, A, net(torch.from_numpy(X.T.copy())), Y)
    J_here.backward()
    J_torch.backward()
    A_torch = net(torch.from_numpy(X.T.copy())).detach().numpy().T
    np.testing.assert_allclose(A_torch, A.data, rtol=0, atol=ATOL)
    assert abs(J_torch.item() - J_here.item()) <= ATOL
    for lin, tl in zip(model.linears(), torch_linears(net), strict=True):
        assert tl.weight.dtype == torch.float64
        np.testing.assert_allclose(tl.weight.grad.numpy(), lin.W.grad.data, rtol=0, atol=ATOL)
        np.testing.assert_allclose(tl.bias.grad.numpy(), lin.b.grad.data.reshape(-1), rtol=0, atol=ATOL)

    back = from_torch(net)
    assert list(back.state_dict()) == list(model.state_dict())
    for name, value in model.state_dict().items():
        assert back.state_dict()[name].dtype == value.dtype
        np.testing.assert_array_equal(back.state_dict()[name], value)
    assert [m.config() for m in back.layers] == [m.config() for m in model.layers]


@pytest.mark.parametrize("dtype, torch_dtype", [(np.float32, "float32"), (np.float64, "float64")])
def test_the_dtype_is_kept_both_ways(dtype, torch_dtype):
    model = random_mlp([3, 4, 2], "tanh", "softmax", seed=1, dtype=dtype)
    net = to_torch(model)
    assert all(p.dtype == getattr(torch, torch_dtype) for p in net.parameters())
    assert all(v.dtype == dtype for v in from_torch(net).state_dict().values())
    X = np.random.RandomState(0).randn(3, 5).astype(dtype)
    np.testing.assert_allclose(net(torch.from_numpy(X.T.copy())).detach().numpy().T, model(X).data,
                               rtol=0, atol=1e-6 if dtype == np.float32 else ATOL)


def test_the_torch_layers_mirror_the_course_notation():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.LeakyReLU(0.2), nn.Dropout(keep_prob=0.9), nn.Linear(4, 2, rng=1),
                          nn.Identity(), nn.Softmax(axis=0))
    net = to_torch(model)
    assert [type(m).__name__ for m in net] == ["Linear", "LeakyReLU", "Dropout", "Linear", "Identity", "Softmax"]
    assert net[0].weight.shape == (4, 3) and net[0].bias.shape == (4,)  # W (n[1], n[0]) as it is; b as a vector
    assert net[1].negative_slope == 0.2 and net[2].p == pytest.approx(0.1) and net[5].dim == 1
    model.eval()
    assert not to_torch(model).training


def test_a_shared_layer_stays_shared_and_its_gradient_adds_up():
    lin = nn.Linear(3, 3, init="he", rng=4)
    model = nn.Sequential(lin, nn.Tanh(), lin, nn.Linear(3, 1, rng=5), nn.Sigmoid())
    net = to_torch(model)
    assert net[0] is net[2]
    X, Y = np.random.RandomState(0).randn(3, 6), np.array([[0.0, 1, 1, 0, 1, 0]])
    nn.binary_cross_entropy(model(X), Y).backward()
    torch.nn.BCELoss()(net(torch.from_numpy(X.T.copy())), torch.from_numpy(Y.T.copy())).backward()
    assert lin.W.grad is not None
    np.testing.assert_allclose(net[0].weight.grad.numpy(), lin.W.grad.data, rtol=0, atol=ATOL)
    back = from_torch(net)
    assert back[0] is back[2] and sorted(back.state_dict()) == ["W1", "W2", "b1", "b2"]


def test_from_torch_takes_a_hand_built_torch_network():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.LeakyReLU(0.2), torch.nn.Dropout(0.25),
        torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh()), torch.nn.ReLU(), torch.nn.Identity(),
        torch.nn.Linear(4, 3), torch.nn.Softmax(dim=-1)).double().eval()
    model = from_torch(net)
    assert not model.training and sorted(model.state_dict()) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    dropout, leaky, softmax = model[2], model[1], model[-1]
    assert isinstance(dropout, nn.Dropout) and isinstance(leaky, nn.LeakyReLU) and isinstance(softmax, nn.Softmax)
    assert dropout.keep_prob == 0.75 and leaky.slope == 0.2 and softmax.axis == 0
    X = np.random.RandomState(3).randn(3, 7)
    np.testing.assert_allclose(model(X).data, net(torch.from_numpy(X.T.copy())).detach().numpy().T,
                               rtol=0, atol=ATOL)


@pytest.mark.parametrize("make, error, message", [
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.GELU()), TypeError, r"layer 1 \(GELU\) is not supported"),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Sequential(t.nn.ReLU(), t.nn.Conv1d(1, 1, 1))), TypeError,
     r"layer 1\.1 \(Conv1d\) is not supported"),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3, bias=False)), ValueError, r"layer 0 \(Linear\) has no bias"),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Softmax()), ValueError, r"layer 1 \(Softmax\) has dim=None"),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.LeakyReLU(2.0)), ValueError, r"layer 1 \(LeakyReLU\): "),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Dropout(1.0)), ValueError, r"layer 1 \(Dropout\): "),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Linear(4, 1)), ValueError, "from_torch: .*do not chain"),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3).half()), TypeError, r"layer 0 \(Linear\) has dtype torch.float16"),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3).bfloat16()), TypeError, r"layer 0 \(Linear\) has dtype .*bfloat16"),
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Linear(3, 1).double()), ValueError, "mix dtypes"),
    (lambda t: t.nn.Sequential(t.nn.ReLU()), ValueError, "no parameters"),
    (lambda t: t.nn.Sequential(), ValueError, "empty"),
    (lambda t: t.nn.Linear(2, 3), TypeError, "expected a torch.nn.Sequential, got Linear"),
])
def test_from_torch_refuses_what_it_cannot_represent(make, error, message):
    with pytest.raises(error, match=message):
        from_torch(make(torch))


class Doubling(Module):
    def forward(self, A):
        return A * 2.0


def test_to_torch_refuses_an_unsupported_layer_or_an_empty_model():
    with pytest.raises(TypeError, match=r"to_torch: layer 1 \(Doubling\) is not supported"):
        to_torch(nn.Sequential(nn.Linear(2, 2), Doubling()))
    with pytest.raises(ValueError, match="to_torch: the model has no parameters"):
        to_torch(nn.Sequential(nn.Tanh()))


def test_the_saved_state_dict_loads_with_weights_only(tmp_path):
    model = random_mlp([4, 3, 1], "relu", "sigmoid", seed=2)
    path = save_torch_state_dict(model, tmp_path / "model.pt")
    state = torch.load(path, weights_only=True)
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(state["0.weight"].numpy(), model.state_dict()["W1"])
    np.testing.assert_array_equal(state["2.bias"].numpy(), model.state_dict()["b2"].reshape(-1))
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1),
                                torch.nn.Sigmoid()).double()
    fresh.load_state_dict(state)  # strict: the keys and shapes are torch's own


def test_saving_to_a_missing_folder_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_torch_state_dict(random_mlp([2, 1], "relu", "sigmoid", seed=0), tmp_path / "missing" / "model.pt")
    assert list(tmp_path.iterdir()) == []


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    model = random_mlp([2, 1], "relu", "sigmoid", seed=0)
    for call in (lambda: to_torch(model), lambda: from_torch(object())):
        with pytest.raises(ImportError, match="pip install torch"):
            call()


def run_example(monkeypatch, *args):
    """Run the example as ``python examples/continue_in_pytorch.py ARGS`` does, in this process (torch is
    imported once); returns its exit status."""
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), *args])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    return exited.value.code


def test_the_example_continues_in_pytorch_from_the_same_cost(monkeypatch, capsys):
    assert run_example(monkeypatch, "--iterations", "20") == 0
    out = capsys.readouterr().out
    here = re.search(r"cost here after 20 iterations: (\S+)", out)
    there = re.search(r"first cost in PyTorch: +(\S+)", out)
    assert here and there, out
    assert abs(float(here.group(1)) - float(there.group(1))) <= 1e-12 and "train accuracy" in out


def test_the_example_says_one_line_and_exits_0_without_torch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)
    assert run_example(monkeypatch, "--iterations", "1") == 0
    expected = "continue_in_pytorch: PyTorch is not installed (pip install torch); nothing to do\n"
    assert capsys.readouterr().out == expected
