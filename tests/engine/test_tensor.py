"""Tensor construction (factories with PyTorch's keywords included), dtypes, properties, 0-d results and repr."""

import numpy as np
import pytest

import tinygrad_nb as tg
from tinygrad_nb import Tensor, grad


@pytest.mark.parametrize("data", [3, 2.5, True, [1, 2], [[1, 2], [3, 4]], np.arange(4), np.array([True, False])])
def test_numbers_lists_and_integer_arrays_become_float64(data):
    t = Tensor(data)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


def test_float32_is_kept_through_ops_and_python_scalars():
    a = Tensor(np.ones((2, 2), dtype=np.float32))
    b = Tensor(np.ones((2, 2), dtype=np.float32))
    for out in (a + b, a * 2.5, 1.0 - a, a / 3, a**2, a @ b, (a * 0.5).sigmoid(), a.tanh().sum(), a.mean(axis=0)):
        assert out.dtype == np.float32, out
    assert (a * np.arange(2)).dtype == np.float32  # integer arrays take the tensor's dtype


def test_properties():
    t = Tensor(np.arange(6.0).reshape(2, 3), name="A1")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.T.shape == (3, 2) and t.numpy() is t.data
    assert np.asarray(t) is t.data
    assert Tensor([[4.0]]).item() == 4.0 and float(Tensor(2.0)) == 2.0
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_ndarray_data_is_shared_not_copied():
    a = np.ones(3)
    assert Tensor(a).data is a


def test_repr_shows_values_name_and_grad_state():
    t = Tensor([1.0, 2.0], requires_grad=True, name="b1")
    r = repr(t)
    assert r.startswith("Tensor([1., 2.]") and "name='b1'" in r and "requires_grad=True" in r
    assert "grad_fn=mul" in repr(t * 2.0)
    assert "dtype=float32" in repr(Tensor(np.zeros(1, dtype=np.float32)))


def test_ndarray_on_the_left_gives_a_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for out in (np.ones(2) + x, np.ones(2) * x, np.ones(2) - x, np.ones(2) / x, np.eye(2) @ x.reshape(2, 1)):
        assert isinstance(out, Tensor) and out.requires_grad


def test_comparisons_give_constant_masks():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    m = x > 0
    assert m.dtype == bool and not m.requires_grad
    np.testing.assert_array_equal(m.data, [False, False, True])
    assert {x: 1}[x] == 1  # hashable by identity


@pytest.mark.parametrize("bad", ["abc", None, {"a": 1}, object(), np.array(["a"]), np.array([1 + 2j])])
def test_wrong_types_are_refused_with_what_was_expected(bad):
    with pytest.raises(TypeError, match="expects"):
        Tensor(bad)


def test_ragged_list_and_bad_arguments():
    with pytest.raises(TypeError, match="rectangular"):
        Tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        Tensor(1.0, requires_grad="yes")
    with pytest.raises(TypeError, match="float type"):
        Tensor(1.0, dtype=np.int32)
    with pytest.raises(TypeError, match="operand"):
        Tensor(1.0) + "a"


# ----- 2. 0-d tensors hold arrays; __array__ honours copy= --------------------------------------
def test_zero_d_results_and_gradients_are_arrays():
    y = Tensor(np.array(3.0)) * 2
    assert type(y.data) is np.ndarray and np.asarray(y).shape == ()
    x = Tensor(np.array(2.0), requires_grad=True)
    (x * x).backward()
    assert type(x.grad.data) is np.ndarray and x.grad.data == 4.0
    (gx,) = grad(x * x * x, x)
    assert type(gx.data) is np.ndarray and gx.data == 12.0
    assert type((Tensor([1.0, 2.0]) > 1.5).data) is np.ndarray


def test_factories_are_float64_seedable_and_take_pytorch_keywords():
    W = tg.randn(4, 2, rng=1, requires_grad=True, name="W1")
    np.testing.assert_array_equal(W.data, np.random.RandomState(1).randn(4, 2))
    assert W.requires_grad and W.name == "W1" and W.dtype == np.float64
    assert tg.zeros(3, 1).shape == (3, 1) and tg.ones((2, 2), dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(tg.full((2,), 7).data, [7.0, 7.0])
    np.testing.assert_array_equal(tg.arange(3).data, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(tg.linspace(-1, 1, 5).data, [-1, -0.5, 0, 0.5, 1])
    assert ((tg.rand(100, rng=2).data >= 0) & (tg.rand(100, rng=2).data < 1)).all()
    with pytest.raises(ValueError, match="zeros: a shape is made of non-negative ints"):
        tg.zeros(2, -1)
    with pytest.raises(TypeError, match="randn: rng must be"):
        tg.randn(2, rng="seed")


def test_requires_grad_accepts_one_and_zero_as_pytorch_does():
    assert Tensor([1.0], requires_grad=1).requires_grad
    assert not Tensor([1.0], requires_grad=0).requires_grad
    with pytest.raises(TypeError):
        Tensor([1.0], requires_grad="yes")
