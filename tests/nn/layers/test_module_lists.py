"""ModuleList and ParameterList as PyTorch's: their items are registered (parameters(), state_dict() under "i.name",
load_state_dict, nn.save / nn.load(model=)), the list operations keep the names in step, and a plain Python list,
tuple or dict of modules or parameters gets an UnregisteredWarning naming the attribute and the fix, once."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nn
from nn.layers.lists import ModuleList, ParameterList
from nn.layers.module import UnregisteredWarning
from tinygrad_nb import Tensor


class Stack(nn.Module):
    """Linear layers run in order from a ModuleList, with an extra scale per layer in a ParameterList."""

    def __init__(self, dims, seed=0):
        super().__init__()
        self.layers = ModuleList([nn.Linear(a, b, rng=seed + i) for i, (a, b) in enumerate(zip(dims, dims[1:]))])
        self.scales = ParameterList([np.full((b, 1), 1.0 + i) for i, b in enumerate(dims[1:])])

    def forward(self, X):
        A = X
        for layer, s in zip(self.layers, self.scales):
            A = (layer(A) * s).tanh()
        return A


def test_items_are_registered_under_their_positions_as_pytorch_names_them():
    model = Stack([2, 4, 3])
    assert list(model.state_dict()) == ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b",
                                        "scales.0", "scales.1"]
    assert model.state_dict()["layers.1.W"].shape == (3, 4)  # W[2] (n[2], n[1])
    assert len(model.parameters()) == 6
    assert model.count_parameters() == 4 * 2 + 4 + 3 * 4 + 3 + 4 + 3


def test_the_list_operations_keep_the_names_in_step():
    a, b, c = nn.Linear(2, 2), nn.Linear(2, 3), nn.Linear(3, 1)
    layers = ModuleList([a])
    layers.append(c)
    layers.insert(1, b)
    assert list(layers) == [a, b, c] and len(layers) == 3
    assert [p is q for p, q in zip(layers.parameters(), [a.W, a.b, b.W, b.b, c.W, c.b])] == [True] * 6
    assert layers[-1] is c and layers[1] is b
    sliced = layers[1:]
    assert isinstance(sliced, ModuleList) and list(sliced) == [b, c]
    assert list(sliced.state_dict()) == ["0.W", "0.b", "1.W", "1.b"]
    del layers[0]
    assert list(layers) == [b, c] and list(layers.state_dict()) == ["0.W", "0.b", "1.W", "1.b"]
    assert layers.state_dict()["0.W"].shape == (3, 2)  # b's W now at position 0
    layers[1] = a
    assert list(layers) == [b, a] and b in layers and c not in layers
    assert layers.pop() is a and list(layers) == [b]
    layers += [c]
    layers.extend([a])
    assert list(layers) == [b, c, a]
    combined = layers + [lin := nn.Linear(1, 1)]
    assert isinstance(combined, ModuleList) and list(combined) == [b, c, a, lin] and len(layers) == 3
    assert "0" not in dir(layers)


def test_a_module_listed_twice_is_one_module():
    lin = nn.Linear(2, 2)
    layers = ModuleList([lin, lin])
    assert len(layers) == 2 and list(layers.state_dict()) == ["0.W", "0.b"]


def test_bad_items_and_indices_are_refused_naming_the_list():
    with pytest.raises(TypeError, match=r"ModuleList append: expected an nn.Module .* got ndarray"):
        ModuleList().append(np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"ModuleList.extend expects an iterable of modules, got one Linear"):
        ModuleList().extend(nn.Linear(2, 2))
    with pytest.raises(IndexError, match=r"ModuleList.__getitem__: index 1 is out of range for 1 modules"):
        ModuleList([nn.Linear(2, 2)])[1]
    with pytest.raises(TypeError, match=r"ParameterList append: expected a parameter .* got the module Linear"):
        ParameterList().append(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"ParameterList item 0: expected a Tensor or a numpy array, got str"):
        ParameterList(["W"])
    with pytest.raises(TypeError, match=r"ModuleList is a list, not a layer.*nn.Sequential"):
        ModuleList([nn.Linear(2, 2)])(np.ones((2, 3)))


def test_parameter_list_keeps_parameters_and_makes_arrays_parameters():
    W = nn.Parameter(np.ones((2, 3)))
    ints = np.arange(3).reshape(3, 1)
    plain = Tensor(np.zeros((1, 2)))
    ps = ParameterList([W, ints, plain])
    assert ps[0] is W
    assert ps[1].requires_grad and ps[1].dtype == np.float64 and ps[1].shape == (3, 1)
    assert ps[2].requires_grad and ps[2].data is plain.data  # wrapped, sharing the array (as PyTorch)
    assert list(ps.state_dict()) == ["0", "1", "2"]
    assert W in ps and plain not in ps
    assert repr(ps) == "ParameterList((0): (2, 3), (1): (3, 1), (2): (1, 2), params=11)"


def test_gradients_reach_the_listed_parameters_and_an_optimiser_steps_them():
    model = Stack([2, 3, 1], seed=3)
    X = np.random.RandomState(1).randn(2, 5)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    loss = (model(X) ** 2).mean()
    loss.backward()
    assert all(p.grad is not None and np.abs(p.grad).sum() > 0 for p in model.parameters())
    opt.step()
    after = model.state_dict()
    assert all(not np.array_equal(before[k], after[k]) for k in before)


def test_state_dict_and_load_state_dict_round_trip():
    source, target = Stack([2, 4, 1], seed=1), Stack([2, 4, 1], seed=7)
    X = np.random.RandomState(2).randn(2, 6)
    assert not np.allclose(source(X).data, target(X).data)
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(source(X).data, target(X).data)


def test_nn_save_and_load_into_a_model_keep_the_listed_parameters(tmp_path):
    pytest.importorskip("h5py")
    source = Stack([3, 4, 2], seed=5)
    nn.save(source, tmp_path / "stack.h5")
    target = nn.load(tmp_path / "stack.h5", model=Stack([3, 4, 2], seed=9))
    for (k, v), (k2, v2) in zip(source.state_dict().items(), target.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(v, v2)


# ----- plain containers ---------------------------------------------------------------------------

def _caught(build):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = build()
    return result, [w for w in caught if issubclass(w.category, UnregisteredWarning)]


@pytest.mark.parametrize("container", [list, tuple, dict])
def test_a_plain_container_of_modules_warns_once_naming_the_attribute_and_the_fix(container):
    class Ported(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [nn.Linear(2, 3), nn.Linear(3, 1)]
            self.blocks = dict(enumerate(layers)) if container is dict else container(layers)

    model, caught = _caught(Ported)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert f"Ported.blocks is a plain {container.__name__} holding 2 modules" in message
    assert "nn.ModuleList" in message
    assert model.parameters() == []  # what the warning is about
    _, again = _caught(Ported)
    assert again == []  # once per class and attribute


def test_a_plain_list_of_parameters_warns_with_parameter_list():
    class Ported(nn.Module):
        def __init__(self):
            super().__init__()
            self.Ws = [nn.Parameter(np.ones((2, 2)))]

    _, caught = _caught(Ported)
    assert len(caught) == 1 and "Ported.Ws is a plain list holding 1 parameter" in str(caught[0].message)
    assert "nn.ParameterList" in str(caught[0].message)


def test_a_plain_list_set_after_building_warns_when_parameters_are_asked_for():
    class Later(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(2, 1)

    model, caught = _caught(Later)
    assert caught == []
    model.extra = [nn.Linear(2, 2)]
    _, caught = _caught(model.parameters)
    assert len(caught) == 1 and "Later.extra" in str(caught[0].message)


def test_containers_of_registered_modules_and_of_plain_values_do_not_warn():
    class Fine(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 1)
            self.order = [self.a, self.b]  # a view of registered children
            self.sizes = [2, 3, 1]
            self.names = {"a": "first"}

    _, caught = _caught(Fine)
    assert caught == []
    model, caught = _caught(lambda: nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    assert caught == []
    _, caught = _caught(lambda: model.__setitem__(2, nn.Linear(3, 1)) or model.parameters())
    assert caught == []


def test_a_jitted_forward_sees_an_item_replaced_appended_or_deleted():
    from tinygrad_nb import jit

    model = Stack([2, 3, 2], seed=2)
    X = np.random.RandomState(4).randn(2, 5)

    @jit
    def run(X):
        return model(X)

    def eager():
        return model(X).data

    for change in (None, lambda: model.layers.__setitem__(1, nn.Linear(3, 2, rng=8)),
                   lambda: model.layers.append(nn.Linear(2, 2, rng=9)) or model.scales.append(np.ones((2, 1))),
                   lambda: model.layers.__delitem__(-1) or model.scales.__delitem__(-1)):
        if change is not None:
            change()
        for _ in range(2):  # recorded, then replayed
            np.testing.assert_allclose(run(X).data, eager(), rtol=1e-12)


def test_a_forward_cache_of_computed_tensors_does_not_warn():
    """The course's cache (A_prev, Z) kept by a layer's forward holds results, not parameters."""
    class Cached(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 3, rng=0)

        def forward(self, X):
            Z = self.lin(X)
            self.cache = (X, Z)
            return Z

    layer = Cached()
    layer(Tensor(np.ones((2, 4))))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnregisteredWarning)
        assert len(list(layer.parameters())) == 2
