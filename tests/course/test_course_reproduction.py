"""The course's cat tables, reproduced (shortened runs) from ../shared/datasets."""

import numpy as np
import pytest
from _shared import TEST, TRAIN, needs_cat_data

import nn


def run(dims, init, iterations, capsys):
    train = nn.datasets.load_course_h5(TRAIN)
    model = nn.MLP(dims, init=init, rng=np.random.RandomState(1))
    costs = nn.fit(model, train.X, train.Y, lr=0.0075, num_iterations=iterations)
    printed = capsys.readouterr().out
    return model, costs, printed


@needs_cat_data
def test_deep_network_table(capsys):
    _, costs, printed = run([12288, 20, 7, 5, 1], "deep", 101, capsys)
    assert costs[0] == pytest.approx(0.771749, abs=5e-7) and costs[1] == pytest.approx(0.672053, abs=5e-7)
    assert "Cost after iteration 0: 0.77174932842" in printed


@needs_cat_data
def test_two_layer_table(capsys):
    model, costs, _ = run([12288, 7, 1], "small_random", 101, capsys)
    assert costs[0] == pytest.approx(0.693050, abs=5e-7) and costs[1] == pytest.approx(0.646432, abs=5e-7)
    test = nn.datasets.load_course_h5(TEST)
    assert 0 <= nn.accuracy(model, test.X, test.Y) <= 1
