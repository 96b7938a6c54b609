"""``nn.layers.embedding.Embedding`` (course 5 week 2): E (n_e, n_vocab), e = E[:, indices] in the course's layout,
gradients of repeated indices added up (against finite differences), and errors that name the problem."""

import numpy as np
import pytest

from nn.layers.embedding import Embedding
from nn.layers.recurrent import RNN
from tinygrad_nb import InputError, Tensor, grad, gradcheck, take


def test_E_is_n_e_by_n_vocab_and_a_lookup_is_its_columns():
    emb = Embedding(n_vocab=7, n_e=3, rng=1)
    assert emb.E.shape == (3, 7) and emb.E.requires_grad and emb.E.name == "E"
    np.testing.assert_array_equal(emb.E.data, np.random.RandomState(1).randn(3, 7))  # N(0, 1), as torch's
    idx = np.array([4, 0, 4, 6])
    e = emb(idx)
    assert e.shape == (3, 4) and e.name == "e"
    np.testing.assert_array_equal(e.data, emb.E.data[:, idx])
    one_hot = np.eye(7)[:, idx]  # the course's e_j = E o_j
    np.testing.assert_allclose(e.data, emb.E.data @ one_hot, rtol=0, atol=1e-15)


def test_sequences_of_indices_give_course_5s_layout_time_last():
    emb = Embedding(10, 4, rng=0)
    idx = np.random.RandomState(0).randint(0, 10, size=(5, 3))  # (m, T_x)
    e = emb(idx)
    assert e.shape == (4, 5, 3)  # (n_e, m, T_x): x for an RNN with n_x = n_e
    for t in range(3):
        np.testing.assert_array_equal(e.data[:, :, t], emb.E.data[:, idx[:, t]])
    a, y = RNN(n_x=4, n_a=6, n_y=10, rng=2)(e)
    assert a.shape == (6, 5, 3) and y.shape == (10, 5, 3)


@pytest.mark.parametrize("given", ["array", "list", "int_tensor", "float_tensor", "uint8"])
def test_indices_as_an_int_array_a_list_or_a_tensor(given):
    emb = Embedding(6, 2, rng=3)
    raw = np.array([[1, 5], [5, 0]])
    idx = {"array": raw, "list": raw.tolist(), "int_tensor": Tensor(np.eye(6)[raw.ravel()].T).argmax(0).reshape(2, 2),
           "float_tensor": Tensor(raw), "uint8": raw.astype(np.uint8)}[given]
    np.testing.assert_array_equal(emb(idx).data, emb.E.data[:, raw])


def test_repeated_indices_add_their_gradients():
    emb = Embedding(5, 3, rng=4)
    idx = np.array([2, 2, 0, 2])
    G = np.random.RandomState(5).randn(3, 4)
    (emb(idx) * Tensor(G)).sum().backward()
    expected = np.zeros((3, 5))
    expected[:, 2] = G[:, 0] + G[:, 1] + G[:, 3]
    expected[:, 0] = G[:, 2]
    np.testing.assert_allclose(emb.E.grad.data, expected, rtol=0, atol=1e-15)


def test_gradients_match_finite_differences_with_repeats_and_sequences():
    emb = Embedding(6, 3, rng=6)
    idx = np.array([[1, 1, 4], [4, 0, 1]])  # (m, T_x) with repeats across examples and time
    W = Tensor(np.random.RandomState(7).randn(2, 3))

    def J(E):
        e = take(E, idx, axis=1)                            # (3, 2, 3)
        z = (W @ e.reshape(3, -1)).tanh()
        return (z * z).sum() + (e * e * e).sum()
    assert gradcheck(J, [emb.E])


def test_second_order_gradients_flow_through_the_scatter():
    E = Tensor(np.random.RandomState(8).randn(2, 4), requires_grad=True)
    idx = np.array([3, 3, 1])
    assert gradcheck(lambda E: (take(E, idx, axis=1) ** 3).sum(), [E])
    (g,) = grad((take(E, idx, axis=1) ** 3).sum(), [E], create_graph=True)
    g.sum().backward()
    expected = np.zeros((2, 4))
    expected[:, 3] = 6 * E.data[:, 3] * 2  # d/dE of 3 E^2 twice
    expected[:, 1] = 6 * E.data[:, 1]
    np.testing.assert_allclose(E.grad.data, expected, rtol=1e-12)


@pytest.mark.parametrize(("idx", "error", "match"), [
    (np.array([0, 5]), IndexError, r"index 5 is out of range.*0\.\.4"),
    (np.array([0, -1]), IndexError, r"index -1 is negative"),
    (np.array([0.0, 1.5]), InputError, r"whole numbers, got 1\.5"),
    (np.array([0.0, np.nan]), InputError, r"whole numbers"),
    (np.array([True, False]), InputError, r"integers, got dtype bool"),
    (np.array([[[1]]]), ValueError, r"\(m,\).*\(m, T_x\).*\(1, 1, 1\)"),
    (np.array(3), ValueError, r"one word: give \[j\]"),
    ([[1], [2, 3]], ValueError, r"rectangular"),
    ("abc", TypeError, r"numpy int array, a list of ints or a Tensor"),
    (3, TypeError, r"got int"),
])
def test_bad_indices_are_refused_with_a_clear_error(idx, error, match):
    emb = Embedding(5, 2, rng=0)
    with pytest.raises(error, match=match):
        emb(idx)


def test_sizes_and_the_initialiser_are_checked():
    with pytest.raises(ValueError, match="n_vocab"):
        Embedding(0, 3)
    with pytest.raises((TypeError, ValueError), match="n_e"):
        Embedding(3, 2.5)
    with pytest.raises(ValueError, match=r"initialiser returned shape \(2, 2\)"):
        Embedding(3, 2, init=lambda shape, rng: np.zeros((2, 2)))
    emb = Embedding(4, 2, init="zeros")
    assert not emb.E.data.any()


def test_state_dict_repr_and_config():
    emb = Embedding(4, 2, rng=1)
    assert list(emb.state_dict()) == ["E"]
    vectors = np.arange(8.0).reshape(4, 2)  # pretrained: one word per row
    emb.load_state_dict({"E": vectors.T})
    np.testing.assert_array_equal(emb([3]).data, vectors[[3]].T)
    assert repr(emb) == "Embedding(n_vocab=4, n_e=2: E (2, 4), params=8)"
    assert emb.config() == {"type": "Embedding", "n_vocab": 4, "n_e": 2}
    assert "E (2, 4)" in str(emb.summary())


def test_take_along_other_axes_is_np_take():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    idx = np.array([[2, 0], [2, 2]])
    for axis in (0, 1, 2, -1):
        ok = idx % x.shape[axis]
        np.testing.assert_array_equal(take(x, ok, axis=axis).data, np.take(x.data, ok, axis=axis))
    with pytest.raises(TypeError, match="axis must be an int"):
        take(x, idx, axis=1.0)
    with pytest.raises(TypeError, match="x as a Tensor"):
        take(np.zeros(3), [0])
