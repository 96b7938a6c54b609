"""NumPy functions on Tensors (issue 21): NEP 18's ``__array_function__`` gives the differentiable op, a plain
answer to a query, or a TypeError naming the function and the fix; never an ndarray that dropped the gradient.

Values are checked against NumPy on the plain arrays; gradients against central finite differences of the
same NumPy function on the plain arrays (or a closed form), never against the engine itself.
"""

import re

import numpy as np
import pytest
from _shared import numeric_grad

from tinygrad_nb import Tensor, no_grad
from tinygrad_nb.testing import assert_gradients_match

RNG = np.random.default_rng(21)


def randn(*shape):
    return RNG.standard_normal(shape)


def check(fn, *arrays, tracked=None):
    """``fn`` (which calls NumPy functions) on Tensors gives NumPy's values on the arrays, and the gradient of
    sum(fn(...) * R) for a random R matches finite differences for every tracked input (all by default);
    untracked inputs stay plain arrays (NumPy arrays mixed with Tensors)."""
    tracked = range(len(arrays)) if tracked is None else tracked
    ins = [Tensor(a.copy(), requires_grad=True) if i in tracked else a.copy() for i, a in enumerate(arrays)]
    out = fn(*ins)
    expected = np.asarray(fn(*arrays))
    assert isinstance(out, Tensor), f"{type(out).__name__} returned: the gradient was dropped"
    assert out.requires_grad
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    R = randn(*expected.shape)
    (out * R).sum().backward()
    for i in tracked:
        rest = list(arrays)

        def cost(x, i=i, rest=rest):
            rest[i] = x
            return float(np.sum(np.asarray(fn(*rest)) * R))

        assert ins[i].grad is not None
        np.testing.assert_allclose(ins[i].grad.data, numeric_grad(cost, arrays[i]), rtol=1e-5, atol=1e-7)


# ----- the defect of issue 21 ------------------------------------------------------------------------------
def test_np_dot_keeps_the_gradient():
    W, A = Tensor(randn(3, 4), requires_grad=True), randn(4, 5)
    Z = np.dot(W, A)
    assert isinstance(Z, Tensor) and Z.requires_grad
    assert Z.op == "matmul"  # the course's W @ A, one node, as the graph shows it
    np.testing.assert_allclose(Z.data, W.data @ A)
    Z.sum().backward()
    np.testing.assert_allclose(W.grad.data, np.ones((3, 5)) @ A.T)  # dJ/dW = dZ A^T


def test_np_sum_and_np_mean_are_differentiable_not_type_errors():
    x = Tensor(randn(3, 4), requires_grad=True)
    s, m = np.sum(x), np.mean(x, axis=1, keepdims=True)
    assert isinstance(s, Tensor) and isinstance(m, Tensor)
    np.testing.assert_allclose(s.data, x.data.sum())
    np.testing.assert_allclose(m.data, x.data.mean(axis=1, keepdims=True))
    (s + m.sum()).backward()
    np.testing.assert_allclose(x.grad.data, np.full((3, 4), 1 + 1 / 4))


def test_a_chain_of_numpy_calls_differentiates_end_to_end():
    W, X = Tensor(randn(2, 3), requires_grad=True), randn(3, 4)
    J = np.sum(np.exp(np.dot(W, X)))
    J.backward()
    np.testing.assert_allclose(J.item(), np.exp(W.data @ X).sum())
    np.testing.assert_allclose(W.grad.data, np.exp(W.data @ X) @ X.T)


# ----- np.dot: NumPy's semantics for every rank ------------------------------------------------------------
DOT_SHAPES = [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)), ((4,), (4,)), ((), (3, 2)), ((3, 2), ()),
              ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (3, 4, 2)), ((4,), (2, 4, 3)),
              ((2, 2, 3), (3,)), ((0, 4), (4, 2)), ((3, 0), (0, 2))]


@pytest.mark.parametrize("shapes", DOT_SHAPES, ids=str)
@pytest.mark.parametrize("tracked", [(0, 1), (0,), (1,)], ids=["both", "left", "right"])
def test_dot_matches_numpy_values_and_gradients(shapes, tracked):
    check(np.dot, randn(*shapes[0]), randn(*shapes[1]), tracked=tracked)


def test_dot_takes_python_numbers_lists_and_int_arrays():
    t = Tensor(randn(4, 2), requires_grad=True)
    y = np.dot(np.arange(4), t) + np.dot(2.0, t).sum() + np.dot([1, 0, 0, 1], t)
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(y.data, np.arange(4) @ t.data + 2 * t.data.sum() + t.data[0] + t.data[3])
    y.sum().backward()
    expected = np.arange(4.0)[:, None] + 2 * 2 + np.array([1.0, 0, 0, 1])[:, None]  # each column of the result
    np.testing.assert_allclose(t.grad.data, np.broadcast_to(expected, (4, 2)))


@pytest.mark.parametrize("shapes", [((3, 4), (5, 2)), ((4,), (3,)), ((3, 4), (3,)), ((2, 3, 4), (2, 3, 4))],
                         ids=str)
def test_dot_refuses_unaligned_shapes_as_numpy_does(shapes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    with pytest.raises(ValueError):
        np.dot(a, b)
    with pytest.raises(ValueError, match=r"np\.dot: shapes .* not aligned"):
        np.dot(Tensor(a), b)


# ----- the other differentiable functions ------------------------------------------------------------------
MASK = RNG.standard_normal((3, 4)) > 0
FUNCS = {
    "sum": lambda x: np.sum(x),
    "sum axis": lambda x: np.sum(x, axis=0),
    "sum positional axis, keepdims": lambda x: np.sum(x, 1, None, None, True),
    "sum tuple axis": lambda x: np.sum(x, axis=(0, -1)),
    "sum explicit defaults": lambda x: np.sum(x, axis=-1, dtype=None, out=None, keepdims=False),
    "mean": lambda x: np.mean(x),
    "mean axis keepdims": lambda x: np.mean(x, axis=1, keepdims=True),
    "max": lambda x: np.max(x),
    "max axis": lambda x: np.max(x, axis=0),
    "amax keepdims": lambda x: np.amax(x, axis=1, keepdims=True),
    "min": lambda x: np.min(x),
    "amin axis": lambda x: np.amin(x, axis=1),
    "transpose": lambda x: np.transpose(x),
    "transpose axes": lambda x: np.transpose(x.reshape(3, 2, 2), (1, 2, 0)),
    "swapaxes": lambda x: np.swapaxes(x.reshape(3, 2, 2), 0, -1),
    "reshape": lambda x: np.reshape(x, (2, 6)),
    "reshape -1": lambda x: np.reshape(x, (-1, 3)),
    "ravel": lambda x: np.ravel(x),
    "squeeze": lambda x: np.squeeze(x.reshape(1, 3, 1, 4)),
    "squeeze axis": lambda x: np.squeeze(x.reshape(1, 3, 1, 4), axis=2),
    "squeeze axes": lambda x: np.squeeze(x.reshape(1, 3, 1, 4), axis=(0, 2)),
    "expand_dims": lambda x: np.expand_dims(x, 1),
    "expand_dims axes": lambda x: np.expand_dims(x, (0, -1)),
    "clip": lambda x: np.clip(x, -0.5, 0.5),
    "clip lower only": lambda x: np.clip(x, -0.5, None),
    "clip 0-d array bounds": lambda x: np.clip(x, np.array(-0.5), np.float64(0.3)),
    "where": lambda x: np.where(MASK, x, -x),
    "where, a number": lambda x: np.where(MASK, x, 0.0),
    "where, truthy floats": lambda x: np.where(MASK.astype(float), 2.0, x),
}


@pytest.mark.parametrize("fn", FUNCS.values(), ids=FUNCS.keys())
def test_numpy_function_matches_numpy_values_and_gradients(fn):
    check(fn, randn(3, 4))


PAIRS = {
    "concatenate": lambda a, b: np.concatenate([a, b.reshape(3, 4)]),
    "concatenate axis 1": lambda a, b: np.concatenate((a, b.reshape(3, 4)), axis=1),
    "concatenate axis None": lambda a, b: np.concatenate([a, b], axis=None),
    "stack": lambda a, b: np.stack([a, b.reshape(3, 4)]),
    "stack axis -1": lambda a, b: np.stack([a, b.reshape(3, 4)], axis=-1),
    "where": lambda a, b: np.where(MASK, a, b.reshape(3, 4)),
    "where broadcast": lambda a, b: np.where(MASK, a, b.reshape(3, 4)[:1]),
}


@pytest.mark.parametrize("fn", PAIRS.values(), ids=PAIRS.keys())
@pytest.mark.parametrize("tracked", [(0, 1), (0,), (1,)], ids=["both", "first", "second"])
def test_functions_of_several_tensors_match_numpy(fn, tracked):
    check(fn, randn(3, 4), randn(4, 3), tracked=tracked)


@pytest.mark.machine_dependent  # the installed NumPy
@pytest.mark.skipif(tuple(int(p) for p in np.__version__.split(".")[:2]) < (2, 1), reason="NumPy 2.1's keywords")
def test_clip_takes_numpy_2s_min_and_max_keywords():
    check(lambda x: np.clip(x, min=-0.2, max=0.4), randn(3, 4))


def test_where_takes_a_boolean_tensor_as_mask_and_sends_no_gradient_to_it():
    x, y = Tensor(randn(3, 4), requires_grad=True), Tensor(randn(3, 4), requires_grad=True)
    c = Tensor(randn(3, 4), requires_grad=True)  # truthy floats, as NumPy reads them
    out = np.where(x > 0, x, y) + np.where(c, 0.0, x)
    np.testing.assert_allclose(out.data, np.where(x.data > 0, x.data, y.data) + np.where(c.data, 0, x.data))
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, (x.data > 0) + (c.data == 0))
    np.testing.assert_allclose(y.grad.data, (x.data <= 0).astype(float))
    assert c.grad is None


def test_results_keep_float32():
    t = Tensor(randn(3, 4).astype(np.float32), requires_grad=True)
    for out in (np.sum(t), np.dot(t, t.T), np.mean(t, axis=0), np.concatenate([t, t]), np.clip(t, 0.0, 1.0)):
        assert isinstance(out, Tensor) and out.dtype == np.float32


def test_no_grad_records_nothing():
    W = Tensor(randn(3, 4), requires_grad=True)
    with no_grad():
        Z = np.dot(W, randn(4, 2))
    assert isinstance(Z, Tensor) and not Z.requires_grad and Z.is_leaf


# ----- queries: plain answers ------------------------------------------------------------------------------
def test_shape_queries_give_plain_values():
    a = randn(3, 4)
    t = Tensor(a.astype(np.float32))
    assert np.shape(t) == (3, 4) and np.ndim(t) == 2 and np.size(t) == 12 and np.size(t, 1) == 4
    assert np.result_type(t, 1.0) == np.float32 and not np.iscomplexobj(t)


def test_value_queries_give_numpy_results_not_tensors():
    a = randn(3, 4)
    t = Tensor(a, requires_grad=True)
    idx = np.argmax(t, axis=0)
    assert type(idx) is np.ndarray and np.array_equal(idx, np.argmax(a, axis=0))
    assert np.argmin(t) == np.argmin(a)
    assert all(np.array_equal(i, j) for i, j in zip(np.where(t > 0), np.where(a > 0)))
    assert all(np.array_equal(i, j) for i, j in zip(np.nonzero(t > 0), np.nonzero(a > 0)))
    assert np.count_nonzero(t > 0) == np.count_nonzero(a > 0)
    assert np.allclose(t, a) is True and np.array_equal(t, a) and not np.array_equal(t, a + 1)
    assert bool(np.all(np.isclose(t, a)))
    assert np.any(t > 0) == np.any(a > 0)


def test_a_query_does_not_write_into_a_tensor():
    t = Tensor(randn(3, 4))
    with pytest.raises(TypeError, match=r"np\.argmax on a Tensor: out="):
        np.argmax(randn(3, 4), axis=0, out=Tensor(np.zeros(4)))
    np.testing.assert_array_equal(np.argmax(t, axis=0), np.argmax(t.data, axis=0))


# ----- refusals: the function named, and the fix -----------------------------------------------------------
REFUSED = {
    "np.linalg.norm": lambda t: np.linalg.norm(t),
    "np.linalg.inv": lambda t: np.linalg.inv(t[:3, :3]),
    "np.std": lambda t: np.std(t),
    "np.var": lambda t: np.var(t, axis=0),
    "np.prod": lambda t: np.prod(t),
    "np.cumsum": lambda t: np.cumsum(t),
    "np.copy": lambda t: np.copy(t),
    "np.round": lambda t: np.round(t),
    "np.sort": lambda t: np.sort(t),
    "np.median": lambda t: np.median(t),
    "np.outer": lambda t: np.outer(t, t),
    "np.inner": lambda t: np.inner(t, t),
    "np.tile": lambda t: np.tile(t, 2),
    "np.atleast_2d": lambda t: np.atleast_2d(t),
    "np.einsum": lambda t: np.einsum("ij->i", t),
    "np.trace": lambda t: np.trace(t),
}


@pytest.mark.parametrize("name", REFUSED.keys())
def test_functions_without_a_gradient_rule_are_refused_by_name(name):
    t = Tensor(randn(3, 4), requires_grad=True)
    with pytest.raises(TypeError, match=re.escape(f"{name} on a Tensor")) as err:
        REFUSED[name](t)
    assert f"{name}(t.data)" in str(err.value)  # the plain-array spelling, without gradient


def test_a_refusal_names_the_differentiable_spelling_where_there_is_one():
    t = Tensor(randn(3, 4), requires_grad=True)
    with pytest.raises(TypeError, match=re.escape("(t * t).sum().sqrt()")):
        np.linalg.norm(t)


KEYWORDS = {
    "np.sum dtype=": lambda t: np.sum(t, dtype=np.float32),
    "np.sum out=": lambda t: np.sum(t, out=np.empty(())),
    "np.sum initial=": lambda t: np.sum(t, initial=1.0),
    "np.sum where=": lambda t: np.sum(t, where=MASK),
    "np.mean dtype=": lambda t: np.mean(t, dtype=np.float32),
    "np.mean where=": lambda t: np.mean(t, where=MASK),
    "np.max initial=": lambda t: np.max(t, initial=0.0),
    "np.min out=": lambda t: np.min(t, axis=0, out=np.empty(4)),
    "np.dot out=": lambda t: np.dot(t, t.T, out=np.empty((3, 3))),
    "np.concatenate dtype=": lambda t: np.concatenate([t, t], dtype=np.float32),
    "np.stack out=": lambda t: np.stack([t, t], out=np.empty((2, 3, 4))),
    "np.clip out=": lambda t: np.clip(t, 0, 1, out=np.empty((3, 4))),
    "np.reshape order=": lambda t: np.reshape(t, (4, 3), order="F"),
    "np.ravel order=": lambda t: np.ravel(t, order="F"),
    "np.clip a_min=": lambda t: np.clip(t, np.zeros((3, 4)), 1.0),
    "np.clip a_max=": lambda t: np.clip(t, None, Tensor(1.0)),
    "np.sum out=a Tensor": lambda t: np.sum(t.data, axis=0, out=Tensor(np.zeros(4))),
}


@pytest.mark.parametrize("case", KEYWORDS.keys())
def test_unsupported_keywords_are_refused_by_name(case):
    func, keyword = case.split(" ", 1)
    keyword = keyword.split("=")[0]
    t = Tensor(randn(3, 4), requires_grad=True)
    with pytest.raises(TypeError, match=re.escape(f"{func} on a Tensor: ") + f".*{keyword}"):
        KEYWORDS[case](t)


def test_another_array_type_gets_its_turn():
    class Other:
        def __array_function__(self, func, types, args, kwargs):
            return ("other", func.__name__)

    t = Tensor(randn(3, 4))
    assert np.dot(t, Other()) == ("other", "dot")
    assert np.concatenate([t, Other()]) == ("other", "concatenate")


@pytest.mark.parametrize("fn, pick", [(np.maximum, np.greater), (np.minimum, np.less)])
def test_np_maximum_and_minimum_are_the_tensor_s_ops_with_half_the_gradient_at_ties(fn, pick):
    x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    for out in (fn(x, 0.0), fn(np.zeros(3), x)):
        assert isinstance(out, Tensor)
        np.testing.assert_array_equal(out.data, fn(x.data, 0.0))
        x.grad = None
        out.sum().backward()
        expected = pick(x.data, 0.0) + 0.5 * (x.data == 0.0)  # the picked input gets 1, a tie 1/2
        np.testing.assert_array_equal(x.grad.data, expected)


def test_array_protocol_copies_when_asked():
    t = Tensor(np.arange(3.0))
    assert np.shares_memory(np.asarray(t), t.data)
    copied = t.__array__(copy=True)
    copied += 1
    np.testing.assert_array_equal(t.data, [0, 1, 2])
    assert not np.shares_memory(t.__array__(np.float32), t.data)
    with pytest.raises(ValueError, match="copy=False"):
        t.__array__(np.float32, copy=False)


def test_numpy_arithmetic_with_a_tensor_that_is_plainly_an_array():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (p * p).sum().backward()
    data = p.data
    data -= 0.5 * p.grad  # ndarray -= Tensor: the tutorial's other spelling
    np.testing.assert_allclose(p.data, [0.0, 0.0])


def test_numpy_ufuncs_the_engine_differentiates_become_tensor_ops():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    y = np.exp(x) + np.sin(x) * np.array([1.0, 2.0, 3.0])
    assert isinstance(y, Tensor) and y.requires_grad
    assert_gradients_match(lambda t: np.exp(t) + np.sin(t) * np.array([1.0, 2.0, 3.0]), x)
    assert isinstance(np.array([1.0, 2.0, 3.0]) > x, Tensor)
    with pytest.raises(TypeError, match=r"np.sign on a Tensor: use the Tensor's own methods"):
        np.sign(x)
