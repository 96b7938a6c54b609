"""Word embeddings (course 5, week 2): ``Embedding``, the matrix E whose columns are the words' vectors.

The course writes the embedding matrix E as (n_e, n_vocab), one column per word of the
vocabulary, and the embedding of word j as e_j = E o_j, o_j the one-hot vector of j: the j-th
column of E. The layer does the lookup without forming o_j: word indices (m,), one per example,
give e = E[:, indices] (n_e, m), one embedding per column (the course's layout, examples as
columns); indices (m, T_x), a sentence of T_x words per example, give (n_e, m, T_x), time LAST as
course 5's sequences x (n_x, m, T_x), so the result feeds ``nn.RNN`` / ``nn.LSTM`` with n_x = n_e.

Backward: dE[:, j] is the sum of the gradients of every position that holds word j (a word
that appears twice in a batch gets both gradients), as E o_j's gradient is summed over the examples.

>>> import numpy as np
>>> from nn.layers.embedding import Embedding
>>> emb = Embedding(n_vocab=10, n_e=4, rng=1)
>>> emb.E.shape
(4, 10)
>>> emb(np.array([3, 1, 3])).shape               # (m,) -> (n_e, m)
(4, 3)
>>> emb(np.array([[3, 1], [0, 9]])).shape        # (m, T_x) -> (n_e, m, T_x)
(4, 2, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers import sizes
from nn.layers.module import Module
from nn.layers.summary import Row, output_cell
from tinygrad_nb import InputError, Tensor, take

Init = str | Callable[..., np.ndarray]


class Embedding(Module):
    """e = E[:, indices]: the embedding of each word index, E of shape (n_e, n_vocab) as course 5 writes it.

    Args:
        n_vocab: the number of words of the vocabulary (the columns of E); indices are 0..n_vocab-1.
        n_e: the length of a word's embedding (the rows of E; 300 for the course's GloVe vectors).
        init: an ``nn.init`` name or a callable ``f(shape, rng)``; the default draws N(0, 1) entries
            (``randn(n_e, n_vocab)``, as ``torch.nn.Embedding`` does).
        rng: an int seed, a RandomState or a Generator.

    Calling the layer with word indices (a NumPy int array, a list of ints, or a Tensor of whole
    numbers) of shape (m,) returns e (n_e, m); of shape (m, T_x) it returns e (n_e, m, T_x). A
    negative index, one of n_vocab or more, a float with a fraction or indices of another ndim
    raise an error that says so. An E larger than this machine's memory is refused (ValueError, see
    ``nn.layers.sizes``) before anything is allocated. Pretrained vectors (the course's GloVe, words as rows of an
    (n_vocab, n_e) array) load with ``emb.load_state_dict({"E": vectors.T})``.
    """

    def __init__(self, n_vocab: int, n_e: int, init: Init = initialisers.standard_normal,
                 rng: initialisers.RNG = None):
        super().__init__()
        self.n_vocab = validate.positive_int("Embedding: n_vocab", n_vocab)
        self.n_e = validate.positive_int("Embedding: n_e", n_e)
        shape = (self.n_e, self.n_vocab)
        footprint = sizes.embedding(self.n_vocab, self.n_e)
        sizes.check(footprint)
        with sizes.allocating(footprint):
            E = np.asarray(initialisers.get(init)(shape, initialisers.as_rng(rng)), dtype=np.float64)
            if E.shape != shape:
                raise ValueError(f"Embedding: the initialiser returned shape {E.shape}, "
                                 f"expected (n_e, n_vocab) = {shape}")
            self.E = Tensor(E, requires_grad=True, name="E")

    def forward(self, indices: Any) -> Tensor:
        ndim = _ndim(indices)
        if ndim not in (1, 2):
            hint = " (one word: give [j])" if ndim == 0 else ""
            raise ValueError(f"Embedding: word indices must be (m,), one per example, or (m, T_x), a sequence of "
                             f"T_x words per example; got shape {_shape(indices)}{hint}")
        try:
            e = take(self.E, indices, axis=1)
        except (IndexError, InputError) as err:
            raise type(err)(f"Embedding with n_vocab = {self.n_vocab}: word indices must be whole numbers in "
                            f"0..{self.n_vocab - 1} ({err})") from None
        e.name = "e"
        return e

    def config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "n_vocab": self.n_vocab, "n_e": self.n_e}

    def extra_repr(self) -> str:
        return f"n_vocab={self.n_vocab}, n_e={self.n_e}: E {self.E.shape}"

    def summary_rows(self) -> list[Row]:
        """One row: the layer, E (n_e, n_vocab), its n_e n_vocab entries, e (n_e, m)."""
        return [("", "Embedding", f"E {self.E.shape}", f"{self.count_parameters():,}", output_cell("e", self.n_e))]


def _ndim(indices: Any) -> int:
    if isinstance(indices, (Tensor, np.ndarray)):
        return indices.ndim
    if isinstance(indices, (list, tuple)):
        try:
            return np.asarray(indices).ndim
        except ValueError:
            raise ValueError(f"Embedding: a list of word indices must be rectangular, got {indices!r}") from None
    raise TypeError(f"Embedding: expected word indices as a numpy int array, a list of ints or a Tensor, "
                    f"got {type(indices).__name__}")


def _shape(indices: Any) -> tuple[int, ...]:
    return indices.shape if isinstance(indices, (Tensor, np.ndarray)) else np.asarray(indices).shape
