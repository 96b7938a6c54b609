"""fit's defaults (nn.training.defaults): the course's settings per dataset and optimizer, and the adaptive
defaults that train."""

import numpy as np
import pytest

import nn
from nn.training.defaults import default_settings

# --- 1. defaults --------------------------------------------------------------------------------------------


def test_the_table_holds_the_courses_settings():
    cat, planar = default_settings("h5", "sgd"), default_settings("planar", "sgd")
    assert (cat.lr, cat.iterations, cat.hidden_dims, cat.hidden) == (0.0075, 2500, (20, 7, 5), "relu")
    assert (planar.lr, planar.iterations, planar.hidden_dims, planar.hidden) == (1.2, 10_000, (4,), "tanh")
    assert default_settings("digits", "adam").lr == default_settings("planar", "rmsprop").lr == 0.001
    assert default_settings("planar", "momentum").lr == 1.2  # the course's momentum: steps as long as sgd's
    with pytest.raises(ValueError, match="no default settings for the dataset 'mnist'"):
        default_settings("mnist")


def test_fit_without_lr_takes_the_courses_rate_and_refuses_lr_beside_an_optimizer():
    data = nn.datasets.planar(m=40)
    runs = []
    for lr in ({}, {"lr": 0.0075}):
        model = nn.MLP([2, 3, 1], rng=0)
        runs.append(nn.fit(model, data.X, data.Y, num_iterations=20, print_cost=False, record_every=1, **lr))
    assert runs[0] == runs[1]
    model = nn.MLP([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=r"lr=0.5 and an optimizer with its own learning rate 0.01.*leave fit's lr"):
        nn.fit(model, data.X, data.Y, lr=0.5, optimizer=nn.optim.Adam(model.parameters(), lr=0.01))


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_the_adaptive_defaults_train_on_the_digits(optimizer, digits):
    model = nn.MLP([64, 32, 16, 1], rng=np.random.RandomState(1))
    opt = nn.optim.OPTIMIZERS[optimizer](model.parameters(), lr=default_settings("digits", optimizer).lr)
    nn.fit(model, digits.train.X, digits.train.Y, optimizer=opt, num_iterations=300, print_cost=False)
    assert nn.accuracy(model, digits.test.X, digits.test.Y) > 0.95
