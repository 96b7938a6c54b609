"""Flatten in the course's layout: the examples stay in the last axis; the gradient flows back."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match

# ----- Flatten ---------------------------------------------------------------------------------

def test_flatten_keeps_the_examples_in_the_last_axis_as_the_course_flattens_images():
    rng = np.random.RandomState(0)
    images = rng.rand(5, 4, 3, 2)                      # the course's (m, h, w, c), examples FIRST
    course = images.reshape(images.shape[0], -1).T     # the course's flatten: (h w c, m)
    X = images.transpose(1, 2, 3, 0)                   # the course's layout: (h, w, c, m)
    out = nn.Flatten()(X)
    assert out.shape == (24, 5)
    np.testing.assert_array_equal(out.data, course)


def test_flatten_passes_a_matrix_through_refuses_a_vector_and_carries_the_gradient():
    A = Tensor(np.ones((3, 4)))
    assert nn.Flatten()(A) is A
    with pytest.raises(ValueError, match=r"Flatten: expected an input \(d1, \.\.\., m\).*X\.reshape\(1, m\)"):
        nn.Flatten()(np.ones(4))
    X = Tensor(np.random.RandomState(1).randn(2, 3, 6), requires_grad=True)
    lin = nn.Linear(6, 2, rng=0)
    assert_gradients_match(lambda X: lin(nn.Flatten()(X)), X)


def test_flatten_in_a_sequential_numbers_the_linear_layers_as_usual():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    assert sorted(model.state_dict()) == ["W1", "W2", "b1", "b2"]
    X = np.random.RandomState(2).rand(2, 2, 3, 7)
    np.testing.assert_allclose(model(X).data, model(X.reshape(12, 7)).data)
    assert model(X).shape == (1, 7)
