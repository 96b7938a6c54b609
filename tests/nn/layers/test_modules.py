"""Module, Linear, activations, Dropout, Sequential, MLP and nn.Parameter in the course's layout and naming;
Identity keeps the names Z and A."""

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor


def test_linear_shapes_and_formula():
    lin = nn.Linear(3, 2, rng=0)
    assert lin.W.shape == (2, 3) and lin.b.shape == (2, 1)
    lin.b.data[:] = [[1.0], [-1.0]]
    A = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(lin(A).data, lin.W.data @ A + lin.b.data)


def test_sequential_numbers_layers_and_names_parameters_like_the_course():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1), nn.Sigmoid())
    names = [name for name, _ in model.named_parameters()]
    assert names == ["W1", "b1", "W2", "b2", "W3", "b3"]
    sd = model.state_dict()
    assert {k: v.shape for k, v in sd.items()} == {"W1": (3, 4), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1),
                                                   "W3": (1, 2), "b3": (1, 1)}
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    assert model.layer_dims == [4, 3, 2, 1]


def test_outputs_are_named_Z_and_A_so_gradients_read_dZ():
    model = nn.MLP([2, 3, 1], rng=0)
    X = Tensor(np.ones((2, 5)), name="X")
    A2 = model(X)
    assert A2.name == "A2"
    Z2 = A2._ctx.parents[0]
    assert Z2.name == "Z2"
    W2, A1, b2 = Z2._ctx.parents  # Z2 = linear(W2, A1, b2)
    assert (W2.name, A1.name, b2.name) == ("W2", "A1", "b2") and A1._ctx.parents[0].name == "Z1"


def test_state_dict_is_a_copy_and_load_state_dict_round_trips():
    a, b = nn.MLP([3, 2, 1], rng=1), nn.MLP([3, 2, 1], rng=2)
    sd = a.state_dict()
    sd["W1"][0, 0] = 99.0
    assert a.state_dict()["W1"][0, 0] != 99.0
    b.load_state_dict(a.state_dict())
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)


def test_load_state_dict_names_every_bad_key_and_changes_nothing():
    model = nn.MLP([3, 2, 1], rng=1)
    before = model.state_dict()
    bad = {"W1": np.zeros((2, 3)), "b1": np.zeros((5, 1)), "W9": np.zeros(1), "b2": np.zeros((1, 1))}
    with pytest.raises(ValueError) as err:
        model.load_state_dict(bad)
    msg = str(err.value)
    assert "'b1' has shape (5, 1), the model needs (2, 1)" in msg
    assert "unexpected key 'W9'" in msg and "missing key 'W2'" in msg
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    model.load_state_dict({"W1": np.ones((2, 3))}, strict=False)
    assert model.state_dict()["W1"].sum() == 6


def test_parameters_zero_grad_train_eval():
    model = nn.MLP([2, 3, 1], keep_prob=0.5, rng=0)
    assert len(model.parameters()) == 4
    nn.binary_cross_entropy(model(np.ones((2, 4))), np.ones((1, 4))).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_dropout_is_inverted_and_off_in_eval():
    drop = nn.Dropout(keep_prob=0.8, rng=np.random.RandomState(0))
    A = np.ones((200, 50))
    out = drop(A).data
    kept = out != 0
    assert np.allclose(out[kept], 1 / 0.8) and 0.75 < kept.mean() < 0.85
    drop.eval()
    np.testing.assert_array_equal(drop(A).data, A)


def test_activations_compute_g():
    Z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(nn.ReLU()(Z).data, [[0, 0, 3]])
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(Z).data, [[-0.2, 0, 3]])
    np.testing.assert_allclose(nn.Tanh()(Z).data, np.tanh(Z))
    np.testing.assert_allclose(nn.Sigmoid()(Z).data, 1 / (1 + np.exp(-Z)))
    np.testing.assert_allclose(nn.Softmax()(Z.T).data.sum(axis=0), [1.0])
    np.testing.assert_array_equal(nn.Identity()(Z).data, Z)


def test_mlp_structure_and_repr():
    model = nn.MLP([12288, 20, 7, 5, 1], rng=1)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU", "Linear", "Sigmoid"]
    text = repr(model)
    assert "layer 1: W1 (20, 12288), b1 (20, 1)" in text and "layer 4: W4 (1, 5)" in text


def test_bad_input_messages_in_course_notation():
    model = nn.MLP([30, 20, 7, 1], rng=1)
    with pytest.raises(ValueError, match=r"Linear 1 expects X with 30 rows, got \(29, 209\)"):
        model(np.ones((29, 209)))
    with pytest.raises(ValueError, match=r"Linear 2 expects A1 with 20 rows, got \(19, 209\)"):
        model.linears()[1](np.ones((19, 209)))
    with pytest.raises(TypeError, match="numpy.ndarray of shape"):
        model([[1.0]])
    with pytest.raises(ValueError, match="do not chain"):
        nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 1))
    with pytest.raises(ValueError, match=r"layer_dims\[1\] = n\[1\] must be a positive int"):
        nn.MLP([3, 0, 1])
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([3, 2, 1], hidden="swish")
    with pytest.raises(ValueError, match="keep_prob"):
        nn.Dropout(keep_prob=0.0)
    with pytest.raises(TypeError, match="must be a Module"):
        nn.Sequential(nn.Linear(2, 2), "relu")


def test_astype_float32_end_to_end():
    model = nn.MLP([4, 3, 1], rng=0).astype(np.float32)
    A = model(np.ones((4, 6), dtype=np.float32))
    J = nn.binary_cross_entropy(A, np.ones((1, 6)))
    J.backward()
    assert A.dtype == np.float32 and J.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


# ----- 10. Identity keeps the name of the Z it returns ---------------------------------------------


def test_identity_output_keeps_the_name_Z():
    model = nn.MLP([2, 3, 1], output="identity", rng=0)
    out = model(np.ones((2, 4)))
    assert out.name == "Z2"
    _, A1, _ = out._ctx.parents
    assert A1.name == "A1" and A1._ctx.parents[0].name == "Z1"


def test_identity_inside_a_network_keeps_both_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1), nn.Sigmoid())
    A2 = model(np.ones((2, 4)))
    _, Z1, _ = A2._ctx.parents[0]._ctx.parents
    assert (A2.name, A2._ctx.parents[0].name, Z1.name) == ("A2", "Z2", "Z1")


def test_a_users_tensor_passed_through_is_never_renamed():
    X = Tensor(np.ones((2, 4)), name="X")
    assert nn.Sequential(nn.Identity())(X).name == "X"


class Affine(nn.Module):
    """Z = W X + b with W (2, 3) and b (2, 1) made by nn.Parameter."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(np.random.RandomState(0).randn(2, 3))
        self.b = nn.Parameter(np.zeros((2, 1)))

    def forward(self, X):
        return self.W @ X + self.b


def test_parameter_registers_as_linear_parameters_do_and_trains():
    model = Affine()
    assert [name for name, _ in model.named_parameters()] == ["W", "b"]
    assert model.W.requires_grad and model.W.is_leaf and model.W.name == "W"
    assert sorted(model.state_dict()) == ["W", "b"]
    X = np.random.RandomState(1).randn(3, 4)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    before = model.W.data.copy()
    J = nn.mse(model(Tensor(X)), np.zeros((2, 4)))
    J.backward()
    np.testing.assert_allclose(model.W.grad.data, (2 * (before @ X) / 8) @ X.T, rtol=1e-12)
    opt.step()
    assert not np.array_equal(model.W.data, before)


def test_parameter_takes_lists_ints_and_tensors_and_shares_a_float_array():
    assert nn.Parameter([[1, 2]]).dtype == np.float64
    array = np.zeros((2, 1))
    p = nn.Parameter(array, name="b1")
    p.data[0, 0] = 5.0
    assert array[0, 0] == 5.0 and p.name == "b1"
    t = Tensor(np.ones((2, 2)))
    q = nn.Parameter(t)
    assert q.requires_grad and q is not t and q.data is t.data
