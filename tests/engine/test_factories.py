"""PyTorch's remaining factory names (issue 25): ``tinygrad_nb.tensor`` (the function; the class lives in ``_tensor``)
and ``randint`` with ``torch.randint``'s argument order and semantics."""

import importlib

import numpy as np
import pytest

import tinygrad_nb
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match


# ----- tensor(data, requires_grad=False, dtype=None, name=None) ---------------------------------------------
@pytest.mark.parametrize("data", [3.5, 2, [1, 2, 3], [[1.0, 2.0], [3.0, 4.0]], np.arange(6).reshape(2, 3),
                                  np.ones((2, 1), dtype=np.float32), [True, False]])
def test_tensor_equals_the_constructor(data):
    a, b = tinygrad_nb.tensor(data), Tensor(data)
    assert type(a) is Tensor and a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.data, b.data)
    assert not a.requires_grad and a.is_leaf and a.name is None


def test_tensor_takes_requires_grad_dtype_and_name_and_its_gradient_flows():
    W1 = tinygrad_nb.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True, name="W1")   # (n[1], n[0])
    assert W1.requires_grad and W1.name == "W1" and W1.dtype == np.float64
    assert tinygrad_nb.tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert tinygrad_nb.tensor([1.0], requires_grad=1).requires_grad  # 1 and 0, as PyTorch
    X = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1]])                                  # (n[0], m)
    (W1 @ Tensor(X)).tanh().sum().backward()
    np.testing.assert_allclose(W1.grad.data, (1 - np.tanh(W1.data @ X) ** 2) @ X.T, rtol=1e-12)
    assert_gradients_match(lambda w: (w @ Tensor(X)).tanh().sum(), tinygrad_nb.tensor(W1.data, requires_grad=True))


def test_tensor_copies_as_torch_tensor_does_while_the_constructor_shares():
    arr = np.zeros(3)
    copied, shared = tinygrad_nb.tensor(arr), Tensor(arr)
    arr[0] = 7.0
    assert copied.data[0] == 0.0 and shared.data[0] == 7.0
    source = Tensor(np.ones(2), requires_grad=True)
    t = tinygrad_nb.tensor(source * 2)  # a copy of the values, cut from the graph: a new leaf
    assert t.is_leaf and not t.requires_grad
    np.testing.assert_array_equal(t.data, [2.0, 2.0])
    with pytest.raises(TypeError, match="tensor: requires_grad must be a bool"):
        tinygrad_nb.tensor([1.0], requires_grad="yes")


def test_tensor_is_the_function_and_the_class_lives_in_a_module_of_another_name():
    """As PyTorch (``torch.tensor`` the function, ``torch._tensor`` the class's module): no submodule shadows it."""
    import tinygrad_nb._tensor as module

    assert callable(tinygrad_nb.tensor) and tinygrad_nb.tensor is tinygrad_nb.factories.tensor
    assert module.Tensor is Tensor and type(tinygrad_nb.tensor([3.0])) is Tensor
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tinygrad_nb.tensor")


# ----- randint(low=0, high, size): torch.randint's order, [low, high), int64, no gradient -------------------
@pytest.mark.parametrize("args, kwargs, low, high, shape", [
    ((10, (3,)), {}, 0, 10, (3,)),
    ((3, 10, (2, 4)), {}, 3, 10, (2, 4)),
    ((), {"high": 5, "size": (6,)}, 0, 5, (6,)),
    ((), {"low": -4, "high": 2, "size": (3, 3)}, -4, 2, (3, 3)),
    ((7,), {"size": (2, 2)}, 0, 7, (2, 2)),
    ((0, 1, ()), {}, 0, 1, ()),
    ((5, (0, 3)), {}, 0, 5, (0, 3)),
])
def test_randint_matches_torch_randint(args, kwargs, low, high, shape):
    torch = pytest.importorskip("torch")
    theirs = torch.randint(*args, **kwargs)
    ours = tinygrad_nb.randint(*args, **kwargs, rng=0)
    assert ours.shape == tuple(theirs.shape) == shape
    assert ours.dtype == np.int64 and theirs.dtype == torch.int64
    assert not ours.requires_grad and not theirs.requires_grad
    big = tinygrad_nb.randint(*args, **kwargs, rng=1).data
    assert ((big >= low) & (big < high)).all()


def test_randint_covers_its_whole_range_and_nothing_more():
    draws = tinygrad_nb.randint(-2, 3, (2000,), rng=0).data
    assert set(draws.tolist()) == {-2, -1, 0, 1, 2}
    assert tinygrad_nb.randint(0, 1, (50,), rng=0).data.tolist() == [0] * 50
    counts = np.bincount(draws + 2, minlength=5)
    assert counts.min() > 300  # uniform: 400 expected for each of the 5 values


def test_randint_dtype_name_and_use_as_an_index():
    t = tinygrad_nb.randint(0, 4, (3,), rng=2, dtype=np.int32, name="idx")
    assert t.dtype == np.int32 and t.name == "idx" and t.is_leaf
    np.testing.assert_array_equal(t.data, np.random.RandomState(2).randint(0, 4, size=3, dtype=np.int32))
    A = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    np.testing.assert_array_equal(A[t.data].data, A.data[t.data])
    np.testing.assert_array_equal(t.double().data, t.data.astype(np.float64))
    assert tinygrad_nb.randint(0, 2**40, (2,), rng=0).data.max() < 2**40  # int64's range, not int32's


def test_randint_in_a_jitted_step_with_a_seed_replays_the_same_draw():
    @tinygrad_nb.jit
    def step(x):
        return (x * tinygrad_nb.randint(1, 5, (3,), rng=4).double()).sum()

    x = Tensor(np.array([1.0, 2.0, 3.0]))
    expected = float((x.data * np.random.RandomState(4).randint(1, 5, size=3)).sum())
    assert [float(step(x).data) for _ in range(4)] == [expected] * 4
