"""Flatten(start_dim, end_dim): PyTorch's defaults (1, -1) mean the course's flatten, every axis after the examples';
any other value is refused with the course's layout explained."""

from __future__ import annotations

import numpy as np
import pytest

import nn


def test_pytorchs_defaults_mean_the_courses_flatten():
    images = np.random.RandomState(0).rand(5, 4, 3, 2)  # (m, n_H, n_W, n_C)
    course = images.reshape(5, -1).T  # (n_H n_W n_C, m)
    for layer in (nn.Flatten(1, -1), nn.Flatten(start_dim=1), nn.Flatten(end_dim=3)):
        np.testing.assert_array_equal(layer(images).data, course)
    assert nn.Flatten(1, -1).config() == nn.Flatten().config()


@pytest.mark.parametrize("kwargs, hint", [
    ({"start_dim": 0}, "start_dim=0 would mix the m examples into one column"),
    ({"start_dim": 2}, "flattening every axis after the examples'"),
    ({"end_dim": 0}, "end_dim must be -1 (the last axis), got 0"),
    ({"end_dim": -2}, "end_dim must be -1 (the last axis), got -2"),
])
def test_other_dims_are_refused_explaining_the_layout(kwargs, hint):
    with pytest.raises(ValueError) as info:
        nn.Flatten(**kwargs)
    message = str(info.value)
    assert message.startswith("Flatten: ")
    assert hint in message
    assert "(m, n_H, n_W, n_C)" in message and "(n_H n_W n_C, m)" in message


def test_an_end_dim_that_is_not_the_inputs_last_axis_is_refused_at_the_forward_pass():
    layer = nn.Flatten(end_dim=2)
    with pytest.raises(ValueError, match=r"end_dim=2 is not the last axis of the input \(2, 3, 4, 5\) \(axis 3\)"):
        layer(np.zeros((2, 3, 4, 5)))
    assert layer(np.zeros((2, 3, 4))).shape == (12, 2)


@pytest.mark.parametrize("bad", [True, 1.0, "1", None])
def test_a_dim_that_is_not_an_int_is_a_type_error(bad):
    with pytest.raises(TypeError, match=r"Flatten: start_dim must be an int"):
        nn.Flatten(start_dim=bad)
