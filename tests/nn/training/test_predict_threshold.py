"""predict at the threshold itself: the course predicts 0 where A[L] is exactly 0.5
(``Y_prediction[0, i] = 1 if A[0, i] > 0.5 else 0``), and so does ``nn.predict``, for any threshold."""

import numpy as np
import pytest

import nn


def model_that_outputs(value: float) -> nn.Sequential:
    """Linear with W = 0 and b = logit(value), then a sigmoid: A[1] = value for every example."""
    lin = nn.Linear(3, 1, init="zeros")
    lin.b.data[:] = np.log(value / (1 - value))
    return nn.Sequential(lin, nn.Sigmoid())


def test_an_output_of_exactly_one_half_predicts_0_as_the_course_does():
    model = model_that_outputs(0.5)
    X = np.random.RandomState(0).randn(3, 7)
    assert np.all(model(X).data == 0.5)  # exactly: sigmoid(0)
    np.testing.assert_array_equal(nn.predict(model, X), np.zeros((1, 7)))
    assert nn.accuracy(model, X, np.zeros((1, 7))) == 1.0
    assert nn.accuracy(model, X, np.ones((1, 7))) == 0.0


@pytest.mark.parametrize("threshold", [0.25, 0.5, 0.75])
def test_an_output_equal_to_the_threshold_predicts_0_and_just_above_predicts_1(threshold):
    X = np.ones((3, 2))
    at = model_that_outputs(threshold)
    A = at(X).data
    assert np.all(A == threshold)  # sigmoid(logit(t)) is t exactly for these thresholds
    np.testing.assert_array_equal(nn.predict(at, X, threshold=threshold), np.zeros((1, 2)))
    above = model_that_outputs(np.nextafter(threshold, 1.0))
    assert np.all(above(X).data > threshold)
    np.testing.assert_array_equal(nn.predict(above, X, threshold=threshold), np.ones((1, 2)))
