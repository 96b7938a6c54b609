"""``check_gradient``: a gradient computed by hand, checked against centered differences as the course does."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_nb import Tensor, check_gradient, gradcheck


def setup():
    """J = sum(W X + b) / m for W (2, 3), b (2, 1), X (3, 4): dJ/dW = 1/m 1 X^T, dJ/db = 1 (by hand)."""
    rng = np.random.RandomState(0)
    X = rng.randn(3, 4)
    W = Tensor(rng.randn(2, 3), requires_grad=True, name="W1")
    b = Tensor(rng.randn(2, 1), requires_grad=True, name="b1")

    def J(W, b):
        return (W @ Tensor(X) + b).sum() / 4

    dW = np.ones((2, 4)) @ X.T / 4
    db = np.ones((2, 1))
    return J, [W, b], dW, db


def test_a_correct_hand_gradient_passes_as_a_list_or_a_dict():
    J, params, dW, db = setup()
    for gradients in ([dW, db], {"dW1": dW, "db1": db}, {"W1": dW, "b1": db, "dZ1": np.zeros(3)}):
        result = check_gradient(J, params, gradients)
        assert result and result.difference < 1e-7
        assert "your gradient" in str(result)


def test_a_wrong_hand_gradient_fails_with_the_courses_difference():
    J, params, dW, db = setup()
    wrong = 2 * dW
    result = check_gradient(J, params, {"dW1": wrong, "db1": db})
    a, n = np.concatenate([wrong.ravel(), db.ravel()]), np.concatenate([dW.ravel(), db.ravel()])
    expected = np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n))  # the course's formula
    assert not result
    assert result.difference == pytest.approx(expected, rel=1e-6)
    assert result.worst_input == "W1"


def test_gradcheck_still_reports_autograd():
    J, params, _, _ = setup()
    assert "autograd" in str(gradcheck(J, params))


def test_check_gradient_leaves_the_parameters_unchanged():
    J, params, dW, db = setup()
    before = [p.data.copy() for p in params]
    check_gradient(J, params, [dW, db])
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)


@pytest.mark.parametrize("gradients, error, message", [
    (lambda dW, db: [dW], ValueError, r"got 1 gradients for 2 inputs that require grad \(W1, b1\)"),
    (lambda dW, db: [dW.T, db], ValueError, r"the gradient for W1 has shape \(3, 2\), expected \(2, 3\)"),
    (lambda dW, db: {"dW1": dW}, ValueError, "exactly one of 'b1' and 'db1', found neither"),
    (lambda dW, db: {"dW1": dW, "W1": dW, "db1": db}, ValueError, "exactly one of 'W1' and 'dW1', found both"),
    (lambda dW, db: [dW, np.array([["a"], ["b"]])], TypeError, "the gradient for b1 must be numeric"),
    (lambda dW, db: "dW1", TypeError, "gradients must be a list of arrays"),
    (lambda dW, db: 3.0, TypeError, "gradients must be a list of arrays"),
])
def test_check_gradient_refuses_bad_gradients(gradients, error, message):
    J, params, dW, db = setup()
    with pytest.raises(error, match=message):
        check_gradient(J, params, gradients(dW, db))


def test_a_dict_needs_named_inputs():
    J, params, dW, db = setup()
    params[1].name = None
    with pytest.raises(ValueError, match="has no name"):
        check_gradient(J, params, {"dW1": dW, "db1": db})


@pytest.mark.parametrize("option", ["eps", "threshold", "floor"])
def test_check_gradient_refuses_bad_options(option):
    J, params, dW, db = setup()
    with pytest.raises(ValueError, match=f"check_gradient: {option} must be a positive finite number"):
        check_gradient(J, params, [dW, db], **{option: 0.0})
