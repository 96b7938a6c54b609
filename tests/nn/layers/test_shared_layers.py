"""A layer (or a tensor) used twice is one layer: listed once, numbered per application, its gradient summed,
stepped and saved once."""

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match

# ----- 7. a layer used twice is one layer --------------------------------------------------------


def shared_model():
    lin = nn.Linear(3, 3, rng=0)
    return lin, nn.Sequential(lin, nn.Tanh(), lin, nn.Sigmoid())


def test_a_shared_layer_is_listed_once_under_its_first_course_name():
    lin, model = shared_model()
    assert [name for name, _ in model.named_parameters()] == ["W1", "b1"]
    params = model.parameters()
    assert len(params) == 2 and params[0] is lin.W and params[1] is lin.b
    assert sorted(model.state_dict()) == ["W1", "b1"]
    assert model.linears() == [lin] and model.layer_dims == [3, 3, 3]
    assert sum(1 for m in model.modules() if m is lin) == 1


def test_a_shared_layers_outputs_are_numbered_by_application():
    _, model = shared_model()
    A2 = model(np.ones((3, 2)))
    Z2 = A2._ctx.parents[0]
    _, A1, _ = Z2._ctx.parents
    assert (A2.name, Z2.name, A1.name, A1._ctx.parents[0].name) == ("A2", "Z2", "A1", "Z1")


def test_a_shared_layer_gets_the_summed_gradient_and_steps_once():
    lin, model = shared_model()
    rng = np.random.RandomState(1)
    X, Y = rng.randn(3, 5), rng.rand(3, 5)
    # the model's own W1 and b1 are nudged: dJ/dW1 sums both uses, against finite differences
    assert_gradients_match(lambda W, b: nn.mse(model(X), Y), lin.W, lin.b)
    W0 = lin.W.data.copy()
    model.zero_grad()
    nn.mse(model(X), Y).backward()
    g = lin.W.grad.data.copy()
    nn.optim.SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_allclose(lin.W.data, W0 - 0.1 * g)  # W := W - lr dW once, not twice


def test_a_tensor_assigned_twice_is_one_parameter():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.W = Tensor(np.ones((2, 2)), requires_grad=True)
            self.W_again = self.W

        def forward(self, A):
            return self.W @ A

    model = Tied()
    assert [name for name, _ in model.named_parameters()] == ["W"]


def test_a_shared_model_trains_with_fit_and_saves_each_parameter_once(tmp_path):
    pytest.importorskip("h5py")
    lin, model = shared_model()
    X = np.random.RandomState(0).randn(3, 8)
    nn.fit(model, X, np.ones((3, 8)), loss="mse", num_iterations=2, print_cost=False)
    path = nn.save(model, tmp_path / "shared.h5")
    _, fresh = shared_model()
    nn.load(path, model=fresh)
    np.testing.assert_array_equal(fresh.state_dict()["W1"], lin.W.data)
    assert model.config()["layers"][2] == {"type": "Shared", "layer": 0}
