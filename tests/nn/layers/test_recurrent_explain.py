"""Explain mode over a 2-step RNN prints the course's rnn_cell_backward in its names: dz<t> (the notebook's dtanh)
= (1 - a<t>^2) da<t>, dWax = dz x<t>^T, dWaa = dz a<t-1>^T, dba = sum(dz), dx<t> = Wax^T dz, da<t-1> = Waa^T dz,
steps t = 2 then 1; and the numbers on those lines are the notebook's."""

from __future__ import annotations

import io
import re

import numpy as np

from nn.layers.recurrent import LSTM, RNN, RNNCell
from tinygrad_nb import Tensor, explain

N_X, N_A, N_Y, M, T_X = 3, 4, 2, 5, 2


def two_steps():
    rs = np.random.RandomState(0)
    rnn = RNN(N_X, N_A, N_Y, rng=1)
    for p in rnn.parameters():  # weights large enough that tanh is not linear
        p.data = rs.randn(*p.shape)
    x = Tensor(rs.randn(N_X, M, T_X), requires_grad=True, name="x")
    Y = np.eye(N_Y)[:, rs.randint(0, N_Y, size=(M, T_X))]  # one-hot (n_y, m, T_x)
    a, y_pred = rnn(x)
    J = -(y_pred.log() * Y).sum() / M
    J.name = "J"
    return rnn, x, a, Y, J


def explained(J) -> list[str]:
    out = io.StringIO()
    with explain(out):
        J.backward()
    return out.getvalue().splitlines()[1:]


def steps(lines):
    """The formulas without the shape and the norm columns."""
    return [re.sub(r"\s*\((\d+(, \d+)*,?)?\)\s*$", "", line.rsplit("||d", 1)[0].strip()) for line in lines]


def test_backward_explain_prints_rnn_cell_backward_in_course_names(capsys):
    _, _, _, _, J = two_steps()
    J.backward(explain=True)
    text = capsys.readouterr().out.split("\n", 1)[1]  # the steps, after the header
    for t, before in ((2, 1), (1, 0)):
        assert f"dz<{t}> = da<{t}> * tanh'(z<{t}>) = (1 - a<{t}>^2) * da<{t}>" in text  # dtanh
        assert f"d(Waa a<{before}>) a<{before}>^T" in text  # dWaa = dtanh a_prev^T
        assert f"d(Wax x<{t}> + ba) x<{t}>^T" in text  # dWax = dtanh xt^T
        assert f"sum(d(Wax x<{t}> + ba), axis=1, keepdims=True)" in text  # dba = sum(dtanh)
        assert f"dx<{t}> = Wax^T d(Wax x<{t}> + ba)" in text  # dxt = Wax^T dtanh
    assert "da<1> = Waa^T d(Waa a<1>)" in text  # da_prev = Waa^T dtanh: back through time
    assert "dWax = " in text and "dWax += " in text and "dWaa = " in text and "dWaa += " in text
    assert "da<2> = Wya^T dzy<2>" in text
    assert "1/m" not in text  # dz is dJ/dz here, not the course's m dJ/dZ of a layer Z[l]: no 1/m in dW


def test_the_steps_run_from_the_last_time_step_to_the_first():
    _, _, _, _, J = two_steps()
    lines = steps(explained(J))
    assert lines.index("dz<2> = da<2> * tanh'(z<2>) = (1 - a<2>^2) * da<2>") < lines.index(
        "dz<1> = da<1> * tanh'(z<1>) = (1 - a<1>^2) * da<1>")
    assert "dy<1> = dy[:, :, 0]" in lines and "dx += dx<1> placed at x[:, :, 0], zeros elsewhere" in lines


def rnn_cell_backward(da_next, xt, a_prev, a_next, p):
    """The notebook's rnn_cell_backward."""
    dtanh = (1 - a_next ** 2) * da_next
    return {"dxt": p["Wax"].T @ dtanh, "da_prev": p["Waa"].T @ dtanh, "dWax": dtanh @ xt.T,
            "dWaa": dtanh @ a_prev.T, "dba": dtanh.sum(axis=1, keepdims=True)}


def test_the_printed_norms_are_the_notebooks_numbers():
    rnn, x, a, Y, J = two_steps()
    lines = explained(J)
    # the notebook's rnn_backward, from the da<t> each step receives from its own y<t> (dJ/da<t> through Wya)
    p = {name: t.data for name, t in rnn.named_parameters()}
    a_data = np.concatenate([np.zeros((N_A, M, 1)), a.data], axis=2)
    gradients = {"dWax": 0, "dWaa": 0, "dba": 0}
    shares = {}  # t -> the step's share of dWax, which its explain line prints the norm of
    da_prev = np.zeros((N_A, M))
    y = np.stack([_softmax(p["Wya"] @ a_data[:, :, t] + p["by"]) for t in range(1, T_X + 1)], axis=2)
    for t in reversed(range(T_X)):
        da_own = p["Wya"].T @ ((y[:, :, t] - Y[:, :, t]) / M)
        g = rnn_cell_backward(da_own + da_prev, x.data[:, :, t], a_data[:, :, t], a_data[:, :, t + 1], p)
        da_prev = g["da_prev"]
        shares[t + 1] = g["dWax"]
        for k in gradients:
            gradients[k] = gradients[k] + g[k]
    for name in ("Wax", "Waa", "ba"):
        np.testing.assert_allclose(getattr(rnn, name).grad, gradients["d" + name], rtol=1e-10, atol=1e-12)
    for t, sign in ((2, "="), (1, "+=")):
        [line] = [line for line in lines if line.strip().startswith(f"dWax {sign} d(Wax x<{t}> + ba) x<{t}>^T")]
        assert line.endswith(f"||dWax|| = {np.linalg.norm(shares[t]):.3g}")


def _softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def test_a_cell_and_an_lstm_read_in_course_names_too():
    cell = RNNCell(N_X, N_A, N_Y, rng=1)
    a_next, y = cell(np.ones((N_X, M)))
    assert (a_next.name, y.name) == ("a<t>", "y<t>")
    lines = steps(explained(y.log().sum()))
    assert "dz<t> = da<t> * tanh'(z<t>) = (1 - a<t>^2) * da<t>" in lines
    assert "dWaa = d(Waa a<t-1>) a<t-1>^T" in lines
    lstm = LSTM(N_X, N_A, N_Y, rng=1)
    text = "\n".join(explained(lstm(np.ones((N_X, M, 2)))[1].log().sum()))
    for line in ("dc<2> = dtanh(c<2>) * tanh'(c<2>) = (1 - tanh(c<2>)^2) * dtanh(c<2>)", "do<2> = da<2> * tanh(c<2>)",
                 "dc~<2> = d(i<2> c~<2>) * i<2>", "dzf<2> = df<2> * sigmoid'(zf<2>)", "dWf = dzf<2> concat<2>^T",
                 "df<2> = d(f<2> c<1>) * c<1>", "dzc<2> = dc~<2> * tanh'(zc<2>) = (1 - c~<2>^2) * dc~<2>"):
        assert line in text, line
    assert re.search(r"da<1> \+?= dconcat<2>\[0:4\] ", text)  # da_prev = dconcat[:n_a, :]
    assert re.search(r"dc<1> \+?= d\(f<2> c<1>\) \* f<2> ", text)  # dc_prev = dc_next * ft
