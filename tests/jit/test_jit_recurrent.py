"""A jitted training step of a recurrent layer over a fixed-length sequence (one-hot characters in, the course's
character-level cost J = -1/m sum_t sum log y<t>[label], an nn.optim update) equals the eager step call after
call, and replays after its recordings: backpropagation through time recorded once, replayed."""

import numpy as np
import pytest
from _jit_programs import OPTIMISERS, differential

from nn.layers.recurrent import LSTM, RNN

N_X, N_A, M, T_X = 6, 5, 4, 7  # n_y = n_x: predict the next character


def one_hot(indices, n):
    """(m, T_x) class indices -> (n, m, T_x) floats, the course's layout."""
    return np.eye(n)[indices].transpose(2, 0, 1).copy()


def make_step(cls):
    def make(state):
        model, opt = state

        def step(x, Y):
            opt.zero_grad()
            y_hat = model(x)[1]  # (a, y_pred) for an RNN, (a, y, c) for an LSTM
            J = -(Y * y_hat.log()).sum() / x.shape[1]
            J.backward()
            opt.step()
            return J
        return step
    return make


def calls(seed, n):
    """Sequences of characters: x<t+1> = y<t>, as the course's model trains (x<1> = 0 vector)."""
    rs = np.random.RandomState(seed)
    out = []
    for _ in range(n):
        chars = rs.randint(0, N_X, size=(M, T_X + 1))
        x = one_hot(chars[:, :-1], N_X)
        x[:, :, 0] = 0.0  # the course's x<1> = 0
        out.append(((x, one_hot(chars[:, 1:], N_X)), {}))
    return out


@pytest.mark.parametrize("cls", [RNN, LSTM])
@pytest.mark.parametrize("optimiser", ["sgd", "adam"])
def test_a_jitted_recurrent_training_step_equals_the_eager_one(cls, optimiser):
    model = cls(N_X, N_A, N_X, rng=1)  # the course's randn * 0.01 from seed 1
    state = (model, OPTIMISERS[optimiser](model.parameters()))
    outcome = differential(make_step(cls), state, calls(3, 6), may_refuse=False)
    assert outcome.refused is None and outcome.agreed == 6  # every call compared equal to eager
    assert outcome.python_runs == 2  # two recordings, then four replays
    J0 = outcome.eager_step(*calls(3, 1)[0][0])  # the eager model went on learning: the cost is finite
    assert np.isfinite(J0.item())
