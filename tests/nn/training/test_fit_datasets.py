"""nn.fit, nn.accuracy and nn.predict take a Dataset: fit then trains with that data's defaults (the same table
as `tinygrad-nb train`) and the model takes on its task, which accuracy checks."""

import numpy as np
import pytest

import nn
from nn.training.defaults import default_settings


def test_fit_on_planar_uses_the_courses_planar_settings_as_the_cli_does(capsys):
    data = nn.datasets.planar()
    settings = default_settings("planar")
    model = nn.MLP([2, *settings.hidden_dims, 1], hidden=settings.hidden, init=settings.init, rng=2)
    costs = nn.fit(model, data, print_every=5000, progress=False)
    printed = capsys.readouterr().out
    assert f"Cost after iteration {settings.iterations - 1}:" in printed  # 10,000 iterations, not 2,500
    assert len(costs) == settings.iterations // 5000 + 1
    assert nn.accuracy(model, data) > 0.88  # the course: 0.905 at lr 1.2; 0.0075 would give about 0.67


def test_fit_on_arrays_keeps_the_courses_sgd_rate_and_2500_iterations(capsys):
    data = nn.datasets.planar()
    h: dict = {}
    nn.fit(nn.MLP([2, 4, 1], hidden="tanh", rng=2), data.X, data.Y, print_every=1000, history=h, progress=False)
    assert h["learning_rate"] == 0.0075 and h["iterations"][-1] == 2499


def test_fit_on_a_dataset_gives_the_model_its_task_and_save_keeps_it(tmp_path):
    data = nn.datasets.digits(task="multiclass")
    model = nn.MLP([64, 8, 10], output="identity", rng=0)
    assert model.task is None
    nn.fit(model, data, loss="cross_entropy", num_iterations=2, print_cost=False, progress=False)
    assert model.task is not None and model.task.kind == "multiclass" and model.task.output == "logits"
    nn.save(model, tmp_path / "m.h5")
    assert nn.load(tmp_path / "m.h5").task == model.task


def test_accuracy_refuses_a_dataset_labelled_for_another_task():
    multi = nn.datasets.digits(task="multiclass")
    model = nn.MLP([64, 8, 10], output="identity", rng=0, task=multi.task)
    binary = nn.datasets.digits(task="binary")
    with pytest.raises(nn.TaskMismatchError, match="multiclass"):
        nn.accuracy(model, binary.test)
    assert 0.0 <= nn.accuracy(model, multi.test) <= 1.0
    assert nn.predict(model, multi.test).shape == (1, multi.test.m)


def test_a_dataset_and_a_separate_Y_is_refused():
    data = nn.datasets.planar()
    with pytest.raises(TypeError, match="leave Y out"):
        nn.fit(nn.MLP([2, 4, 1], rng=0), data, data.Y)
    with pytest.raises(TypeError, match="Y is missing"):
        nn.accuracy(nn.MLP([2, 4, 1], rng=0), data.X)


def test_a_refused_fit_leaves_the_model_without_the_datas_task():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], rng=0)
    with pytest.raises(TypeError):
        nn.fit(model, data, lr="1.2")
    assert model.task is None
    nn.fit(model, data, num_iterations=1, print_cost=False, progress=False)  # the task is the data's only now
    assert model.task is not None and model.task.classes == ("red", "blue")


def test_predict_on_a_dataset_checks_the_task_as_accuracy_does():
    multi = nn.datasets.digits(task="multiclass")
    model = nn.MLP([64, 8, 10], output="identity", rng=0, task=multi.task)
    with pytest.raises(nn.TaskMismatchError, match="multiclass"):
        nn.predict(model, nn.datasets.digits(task="binary"))


def test_with_mini_batches_the_datas_default_is_about_as_many_steps_in_epochs(capsys):
    data = nn.datasets.planar()
    h: dict = {}
    nn.fit(nn.MLP([2, 4, 1], hidden="tanh", rng=2), data, batch_size=100, print_every=10**6, history=h,
           progress=False)
    epochs = h["iterations"][-1] + 1
    assert epochs * 4 == default_settings("planar").iterations  # 4 batches of 100 per epoch: 10,000 steps


def test_the_books_datasets_train_with_the_books_settings():
    """fit(model, spiral) takes DeZero's step-48 settings (lr 1.0, 3,000 steps), not the cat data's 0.0075."""
    data, history = nn.datasets.spiral(), {}
    np.random.seed(0)
    model = nn.MLP([2, 10, 3], hidden="sigmoid", task=data.task)
    costs = nn.fit(model, data, print_cost=False, history=history)
    assert history["learning_rate"] == 1.0 and costs.iterations[-1] == 2999
    assert nn.accuracy(model, data.test) > 0.9
    sin = nn.datasets.sin_curve()
    model = nn.MLP([1, 10, 1], hidden="sigmoid", output="identity")
    costs = nn.fit(model, sin, print_cost=False, history=history)  # mse: the targets are real numbers
    assert history["learning_rate"] == 0.2 and costs.iterations[-1] == 9999 and costs[-1] < 0.1 < costs[0]
