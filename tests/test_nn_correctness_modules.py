"""Issue 9, defects 6, 7 and 10: train/eval modes survive predict, a layer used twice is one
layer, and an Identity output does not rename the Z it returns."""

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match

# ----- 6. predict restores the mode the model had ----------------------------------------------


def test_predict_leaves_an_eval_model_in_eval_mode():
    model = nn.MLP([2, 3, 1], keep_prob=0.5, rng=0)
    model.eval()
    nn.predict(model, np.ones((2, 4)))
    assert not any(m.training for m in model.modules())
    X = np.random.RandomState(0).randn(2, 50)
    np.testing.assert_array_equal(model(X).data, model(X).data)  # dropout stayed off


def test_predict_leaves_a_training_model_in_training_mode():
    model = nn.MLP([2, 3, 1], keep_prob=0.5, rng=0)
    nn.predict(model, np.ones((2, 4)))
    assert all(m.training for m in model.modules())


def test_predict_restores_mixed_modes_even_when_the_forward_pass_fails():
    model = nn.MLP([2, 3, 1], keep_prob=0.5, rng=0)
    model.layers[2].eval()  # only the Dropout in eval mode
    before = [m.training for m in model.modules()]
    with pytest.raises(ValueError, match="expects X with 2 rows"):
        nn.predict(model, np.ones((5, 4)))
    assert [m.training for m in model.modules()] == before
    nn.accuracy(model, np.ones((2, 4)), np.ones((1, 4)))
    assert [m.training for m in model.modules()] == before


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


@pytest.mark.parametrize("make", [lambda p: nn.optim.SGD([p, p], lr=0.1),
                                  lambda p: nn.optim.SGD([p, p], lr=0.1, momentum=0.9),
                                  lambda p: nn.optim.Adam([p, p]),
                                  lambda p: nn.optim.RMSprop([p, p])])
def test_optimisers_refuse_a_parameter_listed_twice(make):
    p = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"appear more than once \(parameter 1 is parameter 0\)"):
        make(p)


def test_optimisers_refuse_a_model_or_a_tensor_instead_of_a_list():
    model = nn.MLP([2, 1])
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.optim.SGD(model, lr=0.1)
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.optim.Adam(model.parameters()[0])


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
