"""An embedding lookup inside a jitted training step, with word indices that change on every call (course 5's
characters and words): the jitted step equals the eager one call after call (outputs, parameters, gradients),
and replays after its two recordings. The indices are an input of the lookup, read afresh by every replay:
an integer array argument stays an integer Tensor, an index Tensor is an op's input (never a constant of the
recording), and what still cannot be replayed raises JitError instead of returning stale numbers."""

import numpy as np
import pytest
from _jit_programs import differential

import nn
from nn.layers.embedding import Embedding
from nn.layers.recurrent import RNNCell
from tinygrad_nb import JitError, Tensor, jit, take

N_VOCAB, N_E, N_A, M = 9, 4, 5, 6


def embed_rnn_state(seed=0):
    emb = Embedding(N_VOCAB, N_E, rng=seed)
    cell = RNNCell(n_x=N_E, n_a=N_A, n_y=N_VOCAB, rng=seed + 1)
    return emb, cell, nn.optim.Adam(emb.parameters() + cell.parameters(), 0.05)


def make_rnn_step(state):
    """Two characters in (a batch of m), the next one predicted: e<t> = E[:, x<t>], a tanh cell, softmax CE."""
    emb, cell, opt = state

    def step(chars, labels):
        opt.zero_grad()
        a = Tensor(np.zeros((N_A, M)))
        for t in range(chars.shape[1]):
            a, _ = cell(emb(chars[:, t]), a)
        Z = cell.Wya @ a + cell.by
        J = nn.cross_entropy(Z, labels)
        J.backward()
        opt.step()
        return J
    return step


def make_linear_step(state):
    emb, lin, opt = state

    def step(idx, Y):
        opt.zero_grad()
        J = nn.cross_entropy(lin(emb(idx).tanh()), Y)
        J.backward()
        opt.step()
        return J
    return step


def linear_state(seed=0):
    emb, lin = Embedding(N_VOCAB, N_E, rng=seed), nn.Linear(N_E, N_VOCAB, rng=seed + 1)
    return emb, lin, nn.optim.SGD(emb.parameters() + lin.parameters(), 0.5)


def char_calls(seed, n, as_kind="array"):
    rs = np.random.RandomState(seed)

    def call(i):
        chars = rs.randint(0, N_VOCAB, size=(M, 3))
        chars[0, :] = chars[1, :]  # a repeated index in every batch
        labels = rs.randint(0, N_VOCAB, size=M)
        return (convert(chars, as_kind), labels), {}
    return call


def convert(idx, as_kind):
    if as_kind == "array":
        return idx
    if as_kind == "int_tensor":  # an integer Tensor (as argmax makes); Tensor() itself makes floats
        return Tensor(np.eye(N_VOCAB)[idx.ravel()].T).argmax(axis=0).reshape(idx.shape)
    if as_kind == "float_tensor":
        return Tensor(idx)
    raise ValueError(as_kind)


@pytest.mark.parametrize("as_kind", ["array", "int_tensor", "float_tensor"])
def test_an_embedding_rnn_step_with_new_characters_every_call_replays_as_eager(as_kind):
    out = differential(make_rnn_step, embed_rnn_state(), char_calls(1, 10, as_kind), 10, may_refuse=False)
    assert out.agreed == 10
    assert out.python_runs == 2  # recorded twice, replayed from the third call on


def test_an_embedding_linear_step_with_new_indices_and_labels_every_call_replays_as_eager():
    rs = np.random.RandomState(2)

    def call(i):
        idx = rs.randint(0, N_VOCAB, size=M)
        idx[1] = idx[0]  # repeated
        return (idx, rs.randint(0, N_VOCAB, size=M)), {}
    out = differential(make_linear_step, linear_state(), call, 12, may_refuse=False)
    assert out.agreed == 12 and out.python_runs == 2


def test_an_integer_array_argument_keeps_its_dtype_and_is_the_eager_array():
    table = Tensor(np.arange(12.0).reshape(3, 4))
    step = jit(lambda idx: (take(table, idx, axis=1), idx + 0))
    for k in range(4):
        idx = np.array([k % 4, 3, k % 4])
        looked_up, same = step(idx)
        np.testing.assert_array_equal(looked_up.data, table.data[:, idx])
        assert same.dtype == np.int64 and np.array_equal(same.data, idx)


def test_indices_given_as_a_list_record_per_list_and_equal_eager():
    """A list argument is static (part of the signature by identity, as any unhashable Python value): each list
    records anew, and every call is the eager result. Pass indices as an int array to replay."""
    rs = np.random.RandomState(3)

    def call(i):
        return ([int(j) for j in rs.randint(0, N_VOCAB, size=M)], rs.randint(0, N_VOCAB, size=M)), {}
    out = differential(make_linear_step, linear_state(), call, 8, may_refuse=False)
    assert out.agreed == 8


def test_an_index_out_of_range_on_a_replayed_call_raises_as_eager():
    calls = [((np.array([0, 1, 2, 3, 4, 5]), np.arange(M)), {})] * 3 + [((np.array([0, 1, 2, 3, 4, 9]),
                                                                            np.arange(M)), {})]
    calls.append(((np.array([0, 1, -1, 3, 4, 5]), np.arange(M)), {}))
    calls.append(((np.array([0, 1, 2, 3, 4, 5]), np.arange(M)), {}))
    out = differential(make_linear_step, linear_state(), calls, may_refuse=False)
    assert out.agreed == 6
    with pytest.raises(IndexError, match="out of range"):
        jit(make_linear_step(linear_state()))(np.array([0, 1, 2, 3, 4, 9]), np.arange(M))


def test_an_outside_integer_index_tensor_rebound_between_calls_is_read_afresh():
    """The contract case that failed before: an integer index Tensor from outside the step (an argmax), its
    .data rebound between calls, was a constant of the recording and the replay returned the first values."""
    E = Tensor(np.arange(15.0).reshape(3, 5), requires_grad=True, name="E")
    index = Tensor(np.array([[5.0, 0, 0], [0, 5, 5]])).argmax(axis=0)  # an int Tensor
    step = jit(lambda X: (E[:, index] * X).sum())
    X = np.ones((3, 3))
    for k in range(6):
        index.data = np.array([max(k - 1, 0), 1, 2])  # the same for the two recordings, then new each call
        assert step(X).item() == (E.data[:, index.data] * X).sum()


def test_an_outside_index_array_changed_by_python_between_recordings_is_refused():
    """An index array the step makes with NumPy from something it reads (a constant of its recording): when the
    two recordings read different values, JitError, never a stale replay."""
    table = Tensor(np.arange(15.0).reshape(3, 5), requires_grad=True)
    counter = {"k": 0}

    def step(X):
        idx = np.array([counter["k"], 1])
        return (take(table, idx, axis=1) * X).sum()
    f = jit(step)
    X = np.ones((3, 2))
    f(X)
    counter["k"] = 2
    try:
        assert f(X).item() == (table.data[:, [2, 1]] * X).sum()
    except JitError:
        pass
    counter["k"] = 3
    try:
        assert f(X).item() == (table.data[:, [3, 1]] * X).sum()
    except JitError:
        pass


def test_integer_arguments_meet_float_operands_as_eager_meets_the_arrays():
    """An int argument in arithmetic takes the float operand's dtype (as eager's int ndarray does): float32
    parameters stay float32, and int * 0.5 is not truncated."""
    W = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)

    def step(Y):
        Z = W * Y + Y * 0.5 - 1.0 * Y
        J = (Z * Z).sum()
        return J, Z, W * Y
    out = differential(lambda s: step, {"W": W},
                       lambda i: ((np.arange(6).reshape(2, 3) + i,), {}), 6, may_refuse=False)
    assert out.agreed == 6
    assert jit(step)(np.arange(6).reshape(2, 3))[2].dtype == np.float32  # W * Y: W's dtype, as eager
