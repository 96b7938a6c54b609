"""detect_anomaly names op, inputs, pass and the user's line; explain prints the chain rule in course notation
(and restores the previous trace as a recursive decorator)."""

import io
import re
import warnings

import numpy as np
import pytest

import nn
import tinygrad_nb
from tinygrad_nb import (
    AnomalyError,
    Tensor,
    detect_anomaly,
    explain,
)


def test_forward_nan_names_op_inputs_and_the_users_line():
    Z = Tensor(np.array([[1.0, -1.0]]), requires_grad=True, name="Z1")
    with pytest.raises(AnomalyError) as err, detect_anomaly():
        Z.log()  # the line the report must show
    msg = str(err.value)
    assert "NaN in the forward pass of log" in msg and "Z1 (1, 2)" in msg
    assert "test_anomaly_and_explain.py" in msg and "Z.log()  # the line the report must show" in msg


def test_backward_inf_names_the_gradient_and_where_the_op_was_made():
    Z = Tensor(np.array([0.0, 4.0]), requires_grad=True, name="Z1")
    with detect_anomaly():
        J = Z.sqrt().sum()  # sqrt'(0) is infinite
        with pytest.raises(AnomalyError) as err:
            J.backward()
    msg = str(err.value)
    assert "Inf in the backward pass of sqrt, computing dZ1" in msg
    assert "J = Z.sqrt().sum()" in msg


def test_input_that_already_holds_nan_is_pointed_out():
    model = nn.MLP([2, 3, 1], rng=0)
    X = np.array([[1.0, np.nan], [0.0, 1.0]])
    with pytest.raises(AnomalyError, match=r"(?s)forward pass of linear.*X \(2, 2\) \(already holds NaN\)"), \
            detect_anomaly():
        model(X)


def test_off_by_default_and_restored_after_the_block():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(Tensor([-1.0]).log().data).all()  # no error outside the block

    @detect_anomaly()
    def inside():
        return tinygrad_nb.is_anomaly_enabled()

    assert inside() is True and tinygrad_nb.is_anomaly_enabled() is False


def trained_model():
    return nn.MLP([4, 7, 1], rng=1), np.random.RandomState(0).rand(4, 209), \
        (np.random.RandomState(1).rand(1, 209) > 0.5) * 1.0


def test_explain_prints_each_step_in_course_notation_in_order():
    model, X, Y = trained_model()
    out = io.StringIO()
    nn.binary_cross_entropy(model(X), Y).backward(explain=out)
    lines = [re.match(r"^  (d\S+ \+?= .*?) +(\([0-9, ]*\)) +\|\|d\S+\|\| = \S+$", line)
             for line in out.getvalue().splitlines()[1:]]
    assert all(lines), out.getvalue()  # each line: formula, shape, norm
    steps = [match.group(1) for match in lines]
    assert steps[:3] == ["dA2 = -(Y/A2 - (1-Y)/(1-A2))", "dZ2 = dA2 * sigmoid'(Z2)", "dW2 = 1/m dZ2 A1^T"]
    text = out.getvalue()
    assert "dZ1 = dA1 * relu'(Z1)" in text and "(7, 209)" in text
    assert "dW1 = 1/m dZ1 X^T" in text and "(7, 4)" in text
    assert "dA0" not in text and "dX" not in text  # never computed for the input
    assert text.index("dZ2 =") < text.index("dA1 =") < text.index("dZ1 =")


def test_explain_context_marks_fan_out_with_plus_equals(capsys):
    x = Tensor(np.ones((2, 2)), requires_grad=True, name="A1")
    with explain():
        ((x * 2.0) + (x * 3.0)).sum().backward()
    out = capsys.readouterr().out
    assert "dA1 += " in out and "dA1 = " in out


def test_explain_does_not_change_the_gradients():
    model, X, Y = trained_model()
    nn.binary_cross_entropy(model(X), Y).backward()
    plain = [p.grad.data.copy() for p in model.parameters()]
    model.zero_grad()
    nn.binary_cross_entropy(model(X), Y).backward(explain=io.StringIO())
    for a, p in zip(plain, model.parameters()):
        np.testing.assert_array_equal(a, p.grad.data)


def test_explain_as_a_recursive_decorator_restores_the_previous_trace(capsys):
    @explain()
    def nested(n):
        return nested(n - 1) if n else None

    nested(2)
    x = Tensor([1.0], requires_grad=True)
    (x * 2).sum().backward()
    assert capsys.readouterr().out == ""  # explain mode is off again
