"""Bad input anywhere in the public API gets a TypeError or ValueError raised by tinygrad-nb itself
(never a raw NumPy error from deep inside), with a message that says what was expected."""

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from tinygrad_nb import Tensor, concatenate, gradcheck, where

PACKAGES = tuple(os.sep + p + os.sep for p in ("tinygrad_nb", "nn", "viz"))

not_a_number = st.sampled_from([None, "abc", {}, object(), np.array(["a"]), b"1", [["a"]], [[1.0], [2.0, 3.0]]])
not_positive = st.sampled_from([0, -1, -0.5, float("nan"), float("inf"), float("-inf"), True])
not_an_array = st.sampled_from([None, "X", 3, [[1.0, 2.0]], {"X": 1}, (1, 2)])
bad_shapes = st.sampled_from([(0,), (5,), (2, 3, 4), ()])
bad_labels = st.sampled_from([2.0, -1.0, 0.5, float("nan"), float("inf")])


def assert_clean_error(call, *words):
    with pytest.raises((TypeError, ValueError)) as err:
        call()
    tb = err.tb
    while tb.tb_next is not None:
        tb = tb.tb_next
    origin = tb.tb_frame.f_code.co_filename
    assert any(p in origin for p in PACKAGES), f"raised from {origin}, not at the public call: {err.value!r}"
    message = str(err.value)
    assert len(message) > 15, message
    for w in words:
        assert w in message, message


def data(m=6):
    rng = np.random.RandomState(0)
    return rng.rand(3, m), (rng.rand(1, m) > 0.5).astype(float)


@given(bad=not_a_number)
def test_tensor_and_operands(bad):
    assert_clean_error(lambda: Tensor(bad))
    assert_clean_error(lambda: Tensor([1.0]) + bad)
    assert_clean_error(lambda: Tensor(np.ones((2, 2))) @ bad)


@given(shape=bad_shapes)
def test_model_input_shapes(shape):
    model = nn.MLP([3, 2, 1], rng=0)
    assert_clean_error(lambda: model(np.ones(shape)), "expects X with 3 rows")


@given(bad=not_an_array)
def test_model_input_types(bad):
    assert_clean_error(lambda: nn.MLP([3, 2, 1], rng=0)(bad))


@given(dims=st.sampled_from([[], [3], [3, 0, 1], [3, -2, 1], [3, 2.5, 1], "3,2,1", None, [3, True, 1]]))
def test_layer_dims(dims):
    assert_clean_error(lambda: nn.MLP(dims), "layer_dims")


@given(lr=not_positive)
def test_learning_rates(lr):
    X, Y = data()
    model = nn.MLP([3, 1], rng=0)
    assert_clean_error(lambda: nn.fit(model, X, Y, lr=lr, num_iterations=1, print_cost=False), "lr must be")
    assert_clean_error(lambda: nn.optim.SGD(model.parameters(), lr=lr), "lr must be")
    assert_clean_error(lambda: nn.optim.Adam(model.parameters(), lr=lr), "lr must be")


@given(label=bad_labels, where_=st.integers(0, 5))
def test_labels_outside_zero_one(label, where_):
    X, Y = data()
    Y[0, where_] = label
    model = nn.MLP([3, 1], rng=0)
    assert_clean_error(lambda: nn.fit(model, X, Y, num_iterations=1, print_cost=False), "0 and 1")
    assert_clean_error(lambda: nn.binary_cross_entropy(Tensor(np.full((1, 6), 0.5)), Y), "0 and 1")


@given(m_x=st.integers(0, 4), m_y=st.integers(0, 4))
def test_mismatched_or_empty_batches(m_x, m_y):
    if m_x == m_y and m_x > 0:
        return
    model = nn.MLP([3, 1], rng=0)
    assert_clean_error(lambda: nn.fit(model, np.ones((3, m_x)), np.zeros((1, m_y)), num_iterations=1))


@given(value=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_nan_or_inf_in_inputs(value):
    X, Y = data()
    X[1, 2] = value
    assert_clean_error(lambda: nn.fit(nn.MLP([3, 1], rng=0), X, Y, num_iterations=1), "NaN or Inf")


@given(A=st.sampled_from([np.full((1, 6), 1.5), np.full((1, 6), -0.1), np.full((1, 6), np.nan)]))
def test_probabilities_outside_zero_one(A):
    _, Y = data()
    assert_clean_error(lambda: nn.binary_cross_entropy(Tensor(A), Y), "probabilities in [0, 1]")


@given(bad=st.sampled_from([0, -1, 2.5, "4", True]))
def test_training_options(bad):
    X, Y = data()
    model = nn.MLP([3, 1], rng=0)
    assert_clean_error(lambda: nn.fit(model, X, Y, batch_size=bad, num_iterations=1), "batch_size")
    if not (isinstance(bad, int) and not isinstance(bad, bool) and bad > 0):
        assert_clean_error(lambda: nn.fit(model, X, Y, print_every=bad, num_iterations=1), "print_every")


def test_layer_lists_that_do_not_chain_and_other_constructors():
    assert_clean_error(lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 1)), "do not chain")
    assert_clean_error(lambda: nn.Linear(0, 3), "n_in")
    assert_clean_error(lambda: nn.LeakyReLU(-0.1), "slope")
    assert_clean_error(lambda: nn.Dropout(keep_prob=1.5), "keep_prob")
    assert_clean_error(lambda: concatenate("ab"), "list of tensors")
    assert_clean_error(lambda: where(np.ones(2), Tensor([1.0, 2.0]), 0.0), "boolean")
    assert_clean_error(lambda: gradcheck(lambda x: x * 2.0, [Tensor([1.0, 2.0], requires_grad=True)]), "one-element")
    assert_clean_error(lambda: nn.MLP([3, 1]).load_state_dict([1, 2]), "dict")
