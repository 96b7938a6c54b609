"""Flatten in course 4's layout: images (m, n_H, n_W, n_C), the examples FIRST, become (n_H n_W n_C, m), the course's
``X.reshape(X.shape[0], -1).T``; a matrix (n, m) passes through; the gradient flows back."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match

# ----- Flatten ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 4, 3, 2), (7, 8, 8, 1), (3, 6, 2)])
def test_flatten_is_the_courses_reshape_of_examples_first_images(shape):
    images = np.random.RandomState(0).rand(*shape)      # the course's (m, h, w, c), examples FIRST
    course = images.reshape(images.shape[0], -1).T      # the course's flatten: (h w c, m)
    out = nn.Flatten()(images)
    assert out.shape == (int(np.prod(shape[1:])), shape[0])
    np.testing.assert_array_equal(out.data, course)
    assert out.name == "X"                               # the input's name is kept


def test_flatten_passes_a_matrix_through_refuses_a_vector_and_carries_the_gradient():
    A = Tensor(np.ones((3, 4)))
    assert nn.Flatten()(A) is A
    with pytest.raises(ValueError, match=r"Flatten: expected images \(m, n_H, n_W, n_C\) or a matrix \(n, m\).*"
                                         r"X\.reshape\(1, m\)"):
        nn.Flatten()(np.ones(4))
    X = Tensor(np.random.RandomState(1).randn(3, 2, 3, 1), requires_grad=True)  # 3 images of 2 x 3 x 1
    lin = nn.Linear(6, 2, rng=0)
    assert_gradients_match(lambda X: lin(nn.Flatten()(X)), X)


def test_flatten_in_a_sequential_numbers_the_linear_layers_as_usual():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    assert sorted(model.state_dict()) == ["W1", "W2", "b1", "b2"]
    X = np.random.RandomState(2).rand(7, 2, 3, 2)        # 7 images of 2 x 3 x 2
    np.testing.assert_allclose(model(X).data, model(X.reshape(7, 12).T).data)
    assert model(X).shape == (1, 7)


def test_a_linear_after_flatten_that_does_not_fit_the_images_says_what_flatten_gives():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 1, rng=0), nn.Sigmoid())
    with pytest.raises(ValueError, match=r"Linear 1 expects n\[0\] = 12 inputs, but Flatten gives n_H n_W n_C = "
                                         r"3 x 3 x 2 = 18 .*Linear\(18, 1\)"):
        model(np.ones((4, 3, 3, 2)))
