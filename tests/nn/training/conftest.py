"""Fixtures shared by the training tests."""

import pytest

import nn


@pytest.fixture(scope="module")
def digits():
    return nn.datasets.digits(task="binary", seed=1)
