"""BatchNorm inside a Sequential: its course names (gamma{l}, beta{l}, running_mean{l}, running_var{l} after the
layer whose Z{l} it normalises; its output Z{l}~), never a duplicate in nested networks, its summary row, and the
shape checks (n against n[l] or n_C, the layout) in course notation, at construction and on a known input."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn.layers.batchnorm import BatchNorm
from nn.layers.module import Module


def dense():
    return nn.Sequential(nn.Linear(3, 4, rng=0), BatchNorm(4), nn.ReLU(), nn.Linear(4, 2, rng=1), BatchNorm(2),
                         nn.Tanh(), nn.Linear(2, 1, rng=2), nn.Sigmoid())


def cnn():
    return nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), BatchNorm(4, layout="conv"), nn.ReLU(), nn.MaxPool2D(2),
                         nn.Flatten(), nn.Linear(36, 5, rng=1), BatchNorm(5), nn.ReLU(), nn.Linear(5, 1, rng=2),
                         nn.Sigmoid())


# ----- names ---------------------------------------------------------------------------------------------------


def test_a_batchnorm_takes_the_number_of_the_layer_whose_z_it_normalises():
    model = dense()
    assert [name for name, _ in model.named_parameters()] == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2",
                                                             "beta2", "W3", "b3"]
    assert [name for name, _ in model.named_buffers()] == ["running_mean1", "running_var1", "running_mean2",
                                                          "running_var2"]
    assert model.named_parameters().__next__()[1] is model[0].W
    state = model.state_dict()
    assert state["gamma2"].shape == state["running_var2"].shape == (2, 1)
    bn = model[1]
    assert [name for name, _ in bn.named_parameters()] == ["gamma", "beta"]  # on its own: no number


def test_a_cnn_names_the_conv_batchnorm_after_its_conv2d():
    model = cnn()
    assert list(model.state_dict()) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3",
                                        "running_mean1", "running_var1", "running_mean2", "running_var2"]
    assert model.state_dict()["running_mean1"].shape == (1, 1, 1, 4)


def test_the_output_is_z_tilde_and_the_activation_after_it_a():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), BatchNorm(4))
    X = np.random.RandomState(0).randn(3, 5)
    assert model(X).name == "Z1~"
    assert nn.Sequential(BatchNorm(3))(X).name == "X~"  # before any layer: the input X normalised
    full = nn.Sequential(nn.Linear(3, 4, rng=0), BatchNorm(4), nn.ReLU(), nn.Linear(4, 1, rng=1))
    assert nn.Sequential(*full.layers[:3])(X).name == "A1"  # the activation after Z1~ outputs A1
    assert full(X).name == "Z2"


def test_nested_sequentials_never_give_two_batchnorms_one_name():
    # Before: the BatchNorm at position 1 of the inner and of the outer network were both "1.gamma" (refused).
    inner = nn.Sequential(nn.Linear(3, 3, rng=1), BatchNorm(3))
    outer = nn.Sequential(nn.Linear(2, 3, rng=0), BatchNorm(3), inner, nn.Sigmoid())
    assert [name for name, _ in outer.named_parameters()] == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2",
                                                             "beta2"]
    assert [name for name, _ in outer.named_buffers()] == ["running_mean1", "running_var1", "running_mean2",
                                                          "running_var2"]
    # the inner network asked on its own numbers from 1; building the outer one renamed nothing
    assert list(inner.state_dict()) == ["W1", "b1", "gamma1", "beta1", "running_mean1", "running_var1"]
    flat = nn.Sequential(nn.Linear(2, 3), BatchNorm(3), nn.Linear(3, 3), BatchNorm(3), nn.Sigmoid())
    flat.load_state_dict(outer.state_dict())  # the same names as the network run flat
    X = np.random.RandomState(1).randn(2, 6)
    np.testing.assert_array_equal(flat.eval()(X).data, outer.eval()(X).data)


def test_two_batchnorms_after_one_layer_and_one_before_any_layer_get_distinct_names():
    model = nn.Sequential(BatchNorm(2), nn.Linear(2, 3, rng=0), BatchNorm(3), BatchNorm(3), nn.Sequential(
        BatchNorm(3), nn.Linear(3, 1, rng=1)), nn.Sigmoid())
    assert [name for name, _ in model.named_parameters()] == [
        "gamma0", "beta0", "W1", "b1", "gamma1", "beta1", "gamma1_2", "beta1_2", "gamma1_3", "beta1_3", "W2", "b2"]
    assert [name for name, _ in model.named_buffers()][::2] == ["running_mean0", "running_mean1", "running_mean1_2",
                                                              "running_mean1_3"]
    out = model.train()(np.random.RandomState(0).randn(2, 4))
    assert out.name == "A2"


def test_a_layer_used_twice_numbers_its_z_twice_and_a_batchnorm_used_twice_keeps_its_first_name():
    lin, bn = nn.Linear(3, 3, rng=0), BatchNorm(3)
    model = nn.Sequential(lin, bn, nn.Tanh(), lin, BatchNorm(3), nn.Tanh(), lin, bn, nn.Sigmoid())
    assert [name for name, _ in model.named_parameters()] == ["W1", "b1", "gamma1", "beta1", "gamma2", "beta2"]
    assert [name for name, _ in model.named_buffers()] == ["running_mean1", "running_var1", "running_mean2",
                                                          "running_var2"]
    assert len(model.parameters()) == 6


def test_a_batchnorm_in_a_module_of_ones_own_keeps_that_modules_prefix():
    class Block(Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Sequential(nn.Linear(3, 3, rng=1), BatchNorm(3))

        def forward(self, A):
            return self.inner(A)

    model = nn.Sequential(nn.Linear(2, 3, rng=0), BatchNorm(3), Block(), nn.Sigmoid())
    params = [name for name, _ in model.named_parameters()]
    buffers = [name for name, _ in model.named_buffers()]
    assert params[:4] == ["W1", "b1", "gamma1", "beta1"]
    assert "2.inner.gamma1" in params and "2.inner.beta1" in params
    assert buffers == ["running_mean1", "running_var1", "2.inner.running_mean1", "2.inner.running_var1"]
    assert len(set(params + buffers)) == len(params + buffers)


# ----- summary -------------------------------------------------------------------------------------------------


def test_the_summary_shows_gamma_and_beta_and_the_normalised_output():
    lines = dense().summary().splitlines()
    assert lines[1:] == [
        "layer  module     parameters                   count  output",
        "1      Linear     W1 (4, 3), b1 (4, 1)            16  Z1 (4, m)",
        "       BatchNorm  gamma1 (4, 1), beta1 (4, 1)      8  Z1~ (4, m)",
        "       ReLU                                           A1 (4, m)",
        "2      Linear     W2 (2, 4), b2 (2, 1)            10  Z2 (2, m)",
        "       BatchNorm  gamma2 (2, 1), beta2 (2, 1)      4  Z2~ (2, m)",
        "       Tanh                                           A2 (2, m)",
        "3      Linear     W3 (1, 2), b3 (1, 1)             3  Z3 (1, m)",
        "       Sigmoid                                        A3 (1, m)",
        "total: 41 parameters (W: 22, b: 7, gamma: 6, beta: 6)",
    ]


def test_the_summary_of_a_cnn_traces_through_batchnorm():
    text = cnn().summary(input_shape=(8, 8, 3))
    row = next(line for line in text.splitlines() if "gamma1" in line).split()
    assert row == ["BatchNorm", "conv", "gamma1", "(1,", "1,", "1,", "4),", "beta1", "(1,", "1,", "1,", "4)", "8",
                   "Z1~", "(m,", "6,", "6,", "4)"]
    assert "P1 (m, 3, 3, 4)" in text and "Z2~ (5, m)" in text
    assert text.splitlines()[-1] == "total: 321 parameters (W: 293, b: 10, gamma: 9, beta: 9)"


def test_a_shared_batchnorm_is_counted_once():
    lin, bn = nn.Linear(3, 3, rng=0), BatchNorm(3)
    text = nn.Sequential(lin, bn, lin, bn).summary()
    rows = [line for line in text.splitlines() if "BatchNorm" in line]
    assert "6" in rows[0] and "shared" in rows[1] and "Z2~ (3, m)" in rows[1]
    assert "total: 18 parameters" in text


# ----- shape checks --------------------------------------------------------------------------------------------


def test_trace_shapes_goes_on_through_batchnorm():
    model = cnn()
    shapes = [shape for _, shape in model.trace_shapes((2, 8, 8, 3))]
    assert shapes == [(2, 6, 6, 4), (2, 6, 6, 4), (2, 6, 6, 4), (2, 3, 3, 4), (36, 2), (5, 2), (5, 2), (5, 2),
                      (1, 2), (1, 2)]
    misfit = nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), BatchNorm(4, layout="conv"), nn.ReLU(), nn.Flatten(),
                           nn.Linear(10, 1))
    with pytest.raises(ValueError, match=r"Linear 2 expects n\[1\] = 10 inputs, but Flatten gives n_H n_W n_C = "
                                         r"6 x 6 x 4 = 144"):
        misfit.trace_shapes((2, 8, 8, 3))  # checked after the BatchNorm too (the trace used to stop there)


@pytest.mark.parametrize("layers, message", [
    (lambda: [nn.Linear(2, 3), BatchNorm(4)],
     r"^Sequential: BatchNorm\(4\) follows Linear 1, whose output Z1 is \(n\[1\], m\) = \(3, m\), but its gamma and "
     r"beta are \(4, 1\); build it as BatchNorm\(3\)$"),
    (lambda: [nn.Linear(2, 3), nn.ReLU(), nn.Dropout(keep_prob=0.5), BatchNorm(3, layout="conv")],
     r"^Sequential: BatchNorm\(3, layout='conv'\) takes images \(m, n_H, n_W, n_C\) but follows Linear 1, whose "
     r"output is \(n, m\); build it as BatchNorm\(3\)"),
    (lambda: [nn.Conv2D(3, 4, 3), nn.ReLU(), BatchNorm(4)],
     r"^Sequential: BatchNorm\(4\) follows Conv2D 1, whose output is images \(m, n_H, n_W, n_C\); layout='dense' is "
     r"for Z \(n, m\): build it as BatchNorm\(4, layout='conv'\)"),
    (lambda: [nn.Conv2D(3, 4, 3), nn.MaxPool2D(2), BatchNorm(5, layout="conv")],
     r"^Sequential: BatchNorm\(5, layout='conv'\) follows MaxPool2D 1, whose output has n_C = 4 channels, but its "
     r"gamma and beta are \(1, 1, 1, 5\); build it as BatchNorm\(4, layout='conv'\)$"),
    (lambda: [nn.Linear(2, 3), BatchNorm(3), nn.Linear(4, 1)],
     r"Linear 1 gives n\[1\] = 3 but Linear 2 expects n\[1\] = 4"),  # the chain check still sees through it
])
def test_a_batchnorm_that_does_not_fit_the_layer_before_is_refused_when_built(layers, message):
    with pytest.raises(ValueError, match=message):
        nn.Sequential(*layers())


def test_a_batchnorm_after_a_nested_sequential_is_checked_against_its_last_layer():
    with pytest.raises(ValueError, match=r"BatchNorm\(5\) follows Linear 2, whose output Z2 is \(n\[2\], m\) = "
                                         r"\(3, m\)"):
        nn.Sequential(nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 3)), BatchNorm(5))
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with pytest.raises(ValueError, match=r"build it as BatchNorm\(3\)"):
        seq[1] = BatchNorm(2)
    assert isinstance(seq[1], nn.ReLU)  # refused: unchanged


def test_the_input_is_checked_when_known():
    after_flatten = nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), nn.Flatten(), BatchNorm(5), nn.Linear(5, 1))
    with pytest.raises(ValueError, match=r"^BatchNorm\(5\) expects Z \(5, m\), but the output of layer 1 is \(144, 2\) "
                                         r"\(Flatten gives n_H n_W n_C = 6 x 6 x 4 rows from images \(2, 6, 6, 4\)\); "
                                         r"build it as BatchNorm\(144\)$"):
        after_flatten.trace_shapes((2, 8, 8, 3))
    first = nn.Sequential(BatchNorm(3), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"but X is \(5, 3\); did you mean X.T\?"):
        first.trace_shapes((5, 3))
    with pytest.raises(ValueError, match=r"expects Z \(n, m\) = \(3, m\), got X \(2, 4, 4, 3\); for images "
                                         r"\(m, n_H, n_W, n_C\) build it as BatchNorm\(3, layout='conv'\)"):
        first.trace_shapes((2, 4, 4, 3))
    conv_first = nn.Sequential(BatchNorm(3, layout="conv"), nn.Conv2D(3, 1, 1))
    with pytest.raises(ValueError, match=r"expects n_C = 3 channels, but X \(4, 2, 2, 2\) has 2"):
        conv_first.trace_shapes((4, 2, 2, 2))
    assert conv_first.trace_shapes((4, 2, 2, 3))[0][1] == (4, 2, 2, 3)


def test_after_a_module_of_ones_own_nothing_is_said():
    class Widen(Module):
        def forward(self, A):
            return A

    model = nn.Sequential(nn.Linear(2, 3), Widen(), BatchNorm(7))  # Widen might make 7 rows: not refused
    assert model.trace_shapes((2, 4))[-1][1] is None
