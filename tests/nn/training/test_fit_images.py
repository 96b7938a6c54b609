"""Issue 23: fit, predict and accuracy take images X (m, n_H, n_W, n_C), the examples first, for a model that starts
with a Conv2D or a pool layer (or a Flatten); Y stays (n_y, m). The jit compiles a CNN's step like the eager one."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn.training.data_checks import examples_axis
from nn.training.loop import _mini_batches


def images(m=24, seed=0):
    """m 6 x 6 grey images; label 1 when the top half is brighter than the bottom half."""
    X = np.random.RandomState(seed).rand(m, 6, 6, 1)
    Y = (X[:, :3].mean(axis=(1, 2, 3)) > X[:, 3:].mean(axis=(1, 2, 3))).astype(np.float64).reshape(1, m)
    return X, Y


def cnn(rng=0):
    return nn.Sequential(nn.Conv2D(1, 2, 3, pad="same", rng=rng), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                         nn.Linear(18, 1, rng=rng + 1), nn.Sigmoid())


def test_fit_on_images_lowers_the_cost_and_predict_and_accuracy_take_images():
    X, Y = images()
    model = cnn()
    costs = nn.fit(model, X, Y, lr=0.1, num_iterations=60, print_cost=False, record_every=10)
    assert costs[-1] < 0.8 * costs[0]
    assert costs.iterations == [0, 10, 20, 30, 40, 50, 59]
    labels = nn.predict(model, X)
    assert labels.shape == (1, 24) and set(np.unique(labels)) <= {0.0, 1.0}
    assert nn.accuracy(model, X, Y) == (labels == Y).mean()
    assert nn.predict(model, X[:1]).shape == (1, 1)  # one image: X[:1] or X[None, 0]


def test_a_jitted_cnn_step_equals_the_eager_one():
    X, Y = images()
    eager, jitted = cnn(), cnn()
    kw = dict(lr=0.1, num_iterations=15, print_cost=False, record_every=1)
    costs_eager = nn.fit(eager, X, Y, jit=False, **kw)
    costs_jit = nn.fit(jitted, X, Y, jit=True, **kw)
    np.testing.assert_allclose(costs_jit, costs_eager, rtol=0, atol=1e-12)
    for (name, a), (_, b) in zip(jitted.state_dict().items(), eager.state_dict().items()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=name)
    avg = [nn.Sequential(nn.Conv2D(1, 2, 2, stride=2, rng=3), nn.Tanh(), nn.AvgPool2D(3), nn.Flatten(),
                         nn.Linear(2, 1, rng=4), nn.Sigmoid()) for _ in range(2)]
    mini = dict(kw, batch_size=5, optimizer=None)
    np.testing.assert_allclose(nn.fit(avg[0], X, Y, jit=True, **mini), nn.fit(avg[1], X, Y, jit=False, **mini),
                               rtol=0, atol=1e-12)


def test_fit_compiles_a_cnn_step_by_default(monkeypatch):
    compiled = []
    real = nn.training.loop.jit

    def spy(fn):
        compiled.append(fn)
        return real(fn)

    monkeypatch.setattr(nn.training.loop, "jit", spy)
    X, Y = images(m=8)
    nn.fit(cnn(), X, Y, lr=0.1, num_iterations=2, print_cost=False)
    nn.fit(nn.Sequential(nn.AvgPool2D(2), nn.Flatten(), nn.Linear(9, 1, rng=0), nn.Sigmoid()), X, Y, lr=0.1,
           num_iterations=2, print_cost=False)
    assert len(compiled) == 2


def test_mini_batches_slice_the_examples_axis_and_keep_each_image_with_its_label():
    m = 11
    X = np.arange(m, dtype=np.float64)[:, None, None, None] * np.ones((m, 2, 3, 1))  # image i is all i
    Y = np.arange(m, dtype=np.float64).reshape(1, m)
    batches = _mini_batches(X, Y, 4, seed=5, axis=0)
    assert [xb.shape for xb, _ in batches] == [(4, 2, 3, 1), (4, 2, 3, 1), (3, 2, 3, 1)]
    assert [yb.shape for _, yb in batches] == [(1, 4), (1, 4), (1, 3)]
    for xb, yb in batches:
        np.testing.assert_array_equal(xb.data[:, 0, 0, 0], yb[0])
    assert sorted(np.concatenate([yb[0] for _, yb in batches])) == list(range(m))  # each example once
    flat = X.reshape(m, -1).T  # the same shuffle for X (n_x, m): the columns
    for (xb, yb), (fb, fy) in zip(batches, _mini_batches(flat, Y, 4, seed=5)):
        np.testing.assert_array_equal(fb.data, xb.data.reshape(len(yb[0]), -1).T)
        np.testing.assert_array_equal(fy, yb)


def test_a_flatten_first_network_on_images_trains_as_the_mlp_on_the_courses_flattened_X():
    X, Y = images(m=20)
    flat = X.reshape(X.shape[0], -1).T  # the course's train_set_x_flatten
    on_images = nn.Sequential(nn.Flatten(), nn.Linear(36, 3, rng=1), nn.ReLU(), nn.Linear(3, 1, rng=2), nn.Sigmoid())
    on_columns = nn.Sequential(nn.Linear(36, 3, rng=1), nn.ReLU(), nn.Linear(3, 1, rng=2), nn.Sigmoid())
    kw = dict(lr=0.3, num_iterations=6, print_cost=False, record_every=1, batch_size=7, lambd=0.5, jit=False)
    np.testing.assert_allclose(nn.fit(on_images, X, Y, **kw), nn.fit(on_columns, flat, Y, **kw), rtol=1e-12)
    assert nn.accuracy(on_images, X, Y) == nn.accuracy(on_columns, flat, Y)


def test_the_l2_term_divides_by_the_m_of_the_images():
    X, Y = images(m=10)
    model, lambd = cnn(), 0.7
    A = model(X).data
    bce = float(-(Y * np.log(A) + (1 - Y) * np.log(1 - A)).mean())
    l2 = lambd / (2 * 10) * sum(float((W ** 2).sum()) for name, W in model.state_dict().items() if name[0] == "W")
    costs = nn.fit(model, X, Y, lr=0.1, num_iterations=1, print_cost=False, lambd=lambd)
    assert costs[0] == pytest.approx(bce + l2, rel=1e-12)


def test_the_examples_axis_of_X_for_a_model():
    X, _ = images(m=5)
    assert examples_axis(cnn(), X) == 0
    assert examples_axis(nn.Sequential(nn.Flatten(), nn.Linear(36, 1)), X) == 0
    assert examples_axis(nn.Sequential(nn.Flatten(), nn.Linear(36, 1)), X.reshape(5, -1).T) == 1
    assert examples_axis(nn.MLP([36, 1]), X.reshape(5, -1).T) == 1
    assert examples_axis(nn.Sequential(nn.Dropout(keep_prob=0.9), nn.Sequential(nn.MaxPool2D(2))), X) == 0


# ----- data the model cannot take: course-notation errors ---------------------------------------------

def test_images_given_to_a_dense_model_ask_for_flatten_first():
    X, Y = images(m=5)
    with pytest.raises(ValueError, match=r"X \(5, 6, 6, 1\) has 4 axes, but the model's first layer is a Linear, "
                                         r"which takes X \(n_x, m\) = \(36, m\).*did you mean Flatten\(\) first\?"):
        nn.fit(nn.MLP([36, 1]), X, Y, num_iterations=1)
    with pytest.raises(ValueError, match=r"did you mean Flatten\(\) first\?"):
        nn.predict(nn.MLP([36, 1]), X)


def test_images_with_the_channels_first_get_the_channels_last_hint():
    X = np.random.RandomState(0).rand(5, 8, 8, 3)
    Y = np.ones((1, 5))
    model = nn.Sequential(nn.Conv2D(3, 2, 3, rng=0), nn.ReLU(), nn.Flatten(), nn.Linear(72, 1, rng=1), nn.Sigmoid())
    nchw = X.transpose(0, 3, 1, 2)  # PyTorch's (m, n_C, n_H, n_W)
    for call in (lambda: nn.fit(model, nchw, Y, num_iterations=1), lambda: nn.predict(model, nchw),
                 lambda: nn.accuracy(model, nchw, Y)):
        with pytest.raises(ValueError, match=r"Conv2D 1: X \(m, n_H_prev, n_W_prev, n_C_prev\) = \(5, 3, 8, 8\) has "
                                             r"n_C_prev = 8 but W1 \(3, 3, 3, 2\) expects n_C_prev = 3; images are "
                                             r"\(m, n_H, n_W, n_C\), channels last"):
            call()


def test_other_misfits_are_refused_before_training():
    X, Y = images(m=5)
    model = cnn()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"Conv2D 1 takes images X \(m, n_H_prev, n_W_prev, n_C_prev\), but X is "
                                         r"\(36, 5\), a matrix \(n_x, m\).*flatten=False"):
        nn.fit(model, X.reshape(5, -1).T, Y, num_iterations=1)
    with pytest.raises(ValueError, match=r"X has m = 5 examples \(images .* the examples first\) but Y has 1: "
                                         r"Y is \(5, 1\).*did you mean Y\.T\?"):
        nn.fit(model, X, Y.T, num_iterations=1)
    with pytest.raises(ValueError, match=r"Linear 2 expects n\[1\] = 18 inputs, but Flatten gives n_H n_W n_C = "
                                         r"4 x 4 x 2 = 32"):
        nn.fit(model, np.random.rand(5, 8, 8, 1), Y, num_iterations=1)
    with pytest.raises(ValueError, match=r"must be images \(m, n_H, n_W, n_C\)"):
        nn.fit(model, X[..., 0], Y, num_iterations=1)
    with pytest.raises(ValueError, match="no examples"):
        nn.predict(model, X[:0])
    with pytest.raises(ValueError, match="NaN or Inf"):
        nn.predict(model, np.full((2, 6, 6, 1), np.nan))
    assert all((model.state_dict()[k] == v).all() for k, v in before.items())  # nothing trained


def test_a_dataset_of_images_trains_a_cnn_and_gives_it_its_task():
    data = nn.datasets.digits(images=True, test_fraction=0.9, seed=1)  # 180 training images: fast
    assert data.X.shape[1:] == (8, 8, 1) and data.m == data.Y.shape[1]
    model = nn.Sequential(nn.Conv2D(1, 4, 3, pad="same", rng=0), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                          nn.Linear(64, 1, rng=1), nn.Sigmoid())
    costs = nn.fit(model, data, num_iterations=20, print_cost=False)
    assert costs[-1] < costs[0]
    assert model.task == data.task.with_output("probabilities")  # the data's task, and the model's sigmoid output
    assert 0.0 <= nn.accuracy(model, data.test) <= 1.0 and nn.predict(model, data.test).shape == (1, data.test.m)
