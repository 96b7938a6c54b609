"""fit refuses, before any step, a mini-batch a dense BatchNorm cannot normalise (one example: no variance),
naming m and batch_size; a batch size that leaves two or more examples over trains."""

import numpy as np
import pytest

import nn


def model():
    return nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm(3), nn.ReLU(), nn.Linear(3, 1, rng=1), nn.Sigmoid())


def data(m):
    rs = np.random.RandomState(0)
    return rs.randn(2, m), (rs.rand(1, m) > 0.5).astype(np.float64)


@pytest.mark.parametrize(("m", "batch_size", "words"), [(9, 4, "m = 9 with batch_size = 4"), (1, None, "m = 1"),
                                                        (5, 2, "m = 5 with batch_size = 2")])
def test_a_batch_of_one_example_is_refused_before_training(m, batch_size, words):
    net = model()
    before = {k: v.copy() for k, v in net.state_dict().items()}
    X, Y = data(m)
    with pytest.raises(ValueError, match="a mini-batch of one example") as info:
        nn.fit(net, X, Y, batch_size=batch_size, num_iterations=2, print_cost=False)
    assert words in str(info.value)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])  # nothing trained, running averages untouched


@pytest.mark.parametrize(("m", "batch_size"), [(9, 3), (9, 7), (10, 4), (6, None)])
def test_batches_of_two_or_more_train(m, batch_size):
    net = model()
    X, Y = data(m)
    costs = nn.fit(net, X, Y, batch_size=batch_size, num_iterations=3, print_cost=False, lr=0.1)
    assert len(costs) >= 1 and all(np.isfinite(costs))
    assert not np.array_equal(net.state_dict()["running_mean1"], np.zeros((3, 1)))
