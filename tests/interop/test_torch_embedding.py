"""``nn.layers.embedding.Embedding`` against ``torch.nn.Embedding``, forward and gradient to 1e-12 in float64.

The layouts: the course's E is (n_e, n_vocab), one column per word; torch's ``weight`` is (n_vocab, n_e), one row
per word, so weight = E.T. torch looks up indices (m,) as (m, n_e) and (m, T_x) as (m, T_x, n_e): the course's
e (n_e, m) and (n_e, m, T_x) are those with the embedding axis moved to the front.
"""

import numpy as np
import pytest

import nn
from nn.layers.embedding import Embedding
from tinygrad_nb import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
TOL = 1e-12


@pytest.mark.parametrize(("n_vocab", "n_e", "shape", "seed"), [
    (27, 5, (8,), 0),        # characters, a batch of m
    (50, 7, (6, 4), 1),      # words, (m, T_x)
    (3, 2, (20,), 2),        # a small vocabulary: every index repeated
])
def test_forward_and_gradient_equal_torch(n_vocab, n_e, shape, seed):
    rs = np.random.RandomState(seed)
    emb = Embedding(n_vocab, n_e, rng=seed)
    idx = rs.randint(0, n_vocab, size=shape)
    G = rs.randn(n_e, *shape)  # dJ/de

    e = emb(idx)
    e.backward(G)

    ref = torch.nn.Embedding(n_vocab, n_e, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(emb.E.data.T))
    out = ref(torch.tensor(idx))
    out.backward(torch.tensor(np.moveaxis(G, 0, -1)))

    np.testing.assert_allclose(e.data, np.moveaxis(out.detach().numpy(), -1, 0), rtol=0, atol=TOL)
    np.testing.assert_allclose(emb.E.grad.data, ref.weight.grad.numpy().T, rtol=TOL, atol=TOL)
    assert len(np.unique(idx)) < idx.size  # the case that matters: repeated indices add up in both


def test_a_training_step_of_embedding_and_softmax_equals_torch():
    rs = np.random.RandomState(3)
    n_vocab, n_e, m = 12, 4, 10
    emb = Embedding(n_vocab, n_e, rng=3)
    W = Tensor(rs.randn(n_vocab, n_e), requires_grad=True)
    idx, labels = rs.randint(0, n_vocab, size=m), rs.randint(0, n_vocab, size=m)

    J = nn.cross_entropy(W @ emb(idx).tanh(), labels)
    J.backward()

    E_t = torch.tensor(emb.E.data.T, requires_grad=True)
    W_t = torch.tensor(W.data, requires_grad=True)
    z = torch.tanh(torch.nn.functional.embedding(torch.tensor(idx), E_t)) @ W_t.T  # (m, n_vocab)
    J_t = torch.nn.functional.cross_entropy(z, torch.tensor(labels))
    J_t.backward()
    assert abs(J.item() - J_t.item()) < TOL
    np.testing.assert_allclose(emb.E.grad.data, E_t.grad.numpy().T, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(W.grad.data, W_t.grad.numpy(), rtol=TOL, atol=TOL)
