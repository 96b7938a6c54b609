"""viz.plot_confusion_matrix: a Figure whose cells hold the counts of nn's confusion_matrix, named by class."""

import numpy as np
import pytest

import nn
import viz

pytest.importorskip("matplotlib")

X3 = np.array([[5.0, 0, 0, 1, 0, 2],
               [0, 5, 0, 3, 0, 0],
               [0, 0, 5, 0, 4, 1]])
Y3 = np.array([[0, 1, 1, 1, 2, 2]])
COUNTS = [[1, 0, 0], [0, 2, 1], [1, 0, 1]]  # worked out by hand: Z = X, predictions 0 1 2 1 2 0


def argmax_model():
    lin = nn.Linear(3, 3)
    lin.W.data[:], lin.b.data[:] = np.eye(3), 0.0
    return nn.Sequential(lin, nn.Identity())


def cells(fig):
    """The numbers written in the cells, as a C x C list (the text at (x=j, y=i))."""
    ax = fig.axes[0]
    C = len(ax.get_xticks())
    grid = [[None] * C for _ in range(C)]
    for t in ax.texts:
        j, i = t.get_position()
        grid[int(i)][int(j)] = int(t.get_text())
    return grid


def test_the_cells_hold_the_counts_and_the_axes_the_class_names(tmp_path):
    data = nn.datasets.Dataset(X3, Y3, ["cat", "dog", "owl"], name="pets", task="multiclass")
    fig = viz.plot_confusion_matrix(argmax_model(), data, path=tmp_path / "cm.png")
    assert cells(fig) == COUNTS
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "owl"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "owl"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert "accuracy 0.6667 on 6 examples" in ax.get_title()
    assert (tmp_path / "cm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_arrays_and_names_given_and_numbered_classes():
    fig = viz.plot_confusion_matrix(argmax_model(), X3, Y3)
    assert cells(fig) == COUNTS
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0", "1", "2"]
    fig = viz.plot_confusion_matrix(argmax_model(), X3, Y3, classes=["a", "b", "c"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="classes must be a list of 3 names"):
        viz.plot_confusion_matrix(argmax_model(), X3, Y3, classes=["a", "b"])


def test_a_trained_digits_model_counts_every_test_example():
    data = nn.datasets.digits(task="multiclass", seed=1)
    model = nn.MLP([64, 8, 10], task=data.task, rng=0)
    nn.fit(model, data, num_iterations=30, print_cost=False)
    grid = np.array(cells(viz.plot_confusion_matrix(model, data.test)))
    assert grid.shape == (10, 10) and grid.sum() == data.test.m
    assert np.trace(grid) / data.test.m == pytest.approx(nn.accuracy(model, data.test))
    assert grid.sum(axis=1).tolist() == np.bincount(data.test.Y[0].astype(int), minlength=10).tolist()


def test_predictions_and_labels_are_drawn_as_nn_confusion_matrix_counts_them():
    predicted = np.array([[0, 1, 2, 1, 2, 0]])  # the argmax of X3's columns, by hand
    fig = viz.plot_confusion_matrix(predicted, Y3)
    assert cells(fig) == COUNTS
    with pytest.raises(TypeError, match=r"plot_confusion_matrix\(Y_hat, Y\)"):
        viz.plot_confusion_matrix(predicted, Y3, Y3)
