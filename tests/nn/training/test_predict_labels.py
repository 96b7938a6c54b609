"""predict gives integer labels (int64), or the class names with names=True; accuracy(Y_hat, Y) on predictions
alone; confusion_matrix against counts worked out by hand."""

import numpy as np
import pytest

import nn
from nn.training.metrics import confusion_matrix


def fixed_model(W, b, output="identity"):
    """One Linear layer with the given W (n[1], n[0]) and b, so its predictions can be worked out by hand."""
    lin = nn.Linear(W.shape[1], W.shape[0])
    lin.W.data[:], lin.b.data[:] = W, b
    return nn.Sequential(lin, nn.Identity() if output == "identity" else nn.Sigmoid())


# Three classes, Z = X (W = I, b = 0): each column's prediction is the row of its largest entry.
X3 = np.array([[5.0, 0, 0, 1, 0, 2],
               [0, 5, 0, 3, 0, 0],
               [0, 0, 5, 0, 4, 1]])
PRED3 = [0, 1, 2, 1, 2, 0]
Y3 = np.array([[0, 1, 1, 1, 2, 2]])


def test_predict_gives_int64_labels_for_one_and_several_output_units():
    three = fixed_model(np.eye(3), np.zeros((3, 1)))
    labels = nn.predict(three, X3)
    assert labels.dtype == np.int64 and labels.tolist() == [PRED3]
    binary = fixed_model(np.array([[1.0, -1.0]]), np.zeros((1, 1)), output="sigmoid")
    labels = nn.predict(binary, np.array([[2.0, 0.0, 1.0], [1.0, 3.0, 1.0]]))
    assert labels.dtype == np.int64 and labels.tolist() == [[1, 0, 0]]  # A = 0.5 exactly predicts 0


def test_names_true_gives_the_class_names_of_the_models_task():
    three = fixed_model(np.eye(3), np.zeros((3, 1)))
    three.task = nn.Task("multiclass", ["cat", "dog", "owl"])
    names = nn.predict(three, X3, names=True)
    assert names.shape == (1, 6) and names.tolist() == [["cat", "dog", "owl", "dog", "owl", "cat"]]


def test_names_true_without_a_task_is_refused_with_the_way_to_get_one():
    with pytest.raises(ValueError, match=r"predict: names=True needs the class names.*model.task = data.task"):
        nn.predict(fixed_model(np.eye(3), np.zeros((3, 1))), X3, names=True)
    with pytest.raises(TypeError, match="predict: names must be True or False"):
        nn.predict(fixed_model(np.eye(3), np.zeros((3, 1))), X3, names="yes")


def test_names_from_a_dataset_when_the_model_has_no_task():
    data = nn.datasets.Dataset(X3, Y3, ["cat", "dog", "owl"], name="pets", task="multiclass")
    assert nn.predict(fixed_model(np.eye(3), np.zeros((3, 1))), data, names=True).tolist() == \
        [["cat", "dog", "owl", "dog", "owl", "cat"]]


def test_accuracy_of_predictions_against_labels_is_the_fraction_equal():
    assert nn.accuracy(np.array([PRED3]), Y3) == pytest.approx(4 / 6)  # equal in columns 0, 1, 3, 4
    one_hot = np.eye(3)[Y3[0]].T  # (3, 6)
    assert nn.accuracy(np.array([PRED3]), one_hot) == pytest.approx(4 / 6)
    assert nn.accuracy(np.array([["a", "b"]]), np.array([["a", "a"]])) == 0.5
    assert nn.accuracy([[1, 0, 1, 1]], [[1.0, 0.0, 0.0, 1.0]]) == 0.75  # lists, floats that are labels


def test_accuracy_on_a_model_and_on_its_predictions_agree():
    three = fixed_model(np.eye(3), np.zeros((3, 1)))
    assert nn.accuracy(three, X3, Y3) == nn.accuracy(nn.predict(three, X3), Y3)


@pytest.mark.parametrize("y_hat, y, message", [
    (np.array([[0.2, 0.9]]), np.array([[0, 1]]), r"accuracy: Y_hat must hold predictions, not the output A\[L\]"),
    (np.array([[0, 1]]), np.array([[0], [1]]), r"Y_hat \(1, 2\) and Y \(2, 1\) must both be labels \(1, m\).*\.T"),
    (np.array([0, 1]), np.array([[0, 1]]), r"Y_hat must be \(1, m\).*reshape\(1, -1\)"),
    (np.zeros((1, 0)), np.zeros((1, 0)), r"no examples \(m = 0\)"),
    (np.array([[0, 1]]), np.array([[0, np.nan]]), r"Y must hold labels"),
])
def test_accuracy_of_bad_predictions_names_the_problem(y_hat, y, message):
    with pytest.raises(ValueError, match=message):
        nn.accuracy(y_hat, y)


def test_accuracy_refuses_names_against_numbers_and_a_missing_y():
    with pytest.raises(TypeError, match="Y_hat holds names and Y numbers"):
        nn.accuracy(np.array([["odd", "even"]]), np.array([[1, 0]]))
    with pytest.raises(TypeError, match=r"accuracy: Y is missing.*accuracy\(Y_hat, Y\)"):
        nn.accuracy(np.array([[1, 0]]))


def test_confusion_matrix_counts_by_hand():
    # true 0: predicted 0 (col 0)                       -> [1, 0, 0]
    # true 1: predicted 1 (col 1), 2 (col 2), 1 (col 3) -> [0, 2, 1]
    # true 2: predicted 2 (col 4), 0 (col 5)            -> [1, 0, 1]
    expected = [[1, 0, 0], [0, 2, 1], [1, 0, 1]]
    three = fixed_model(np.eye(3), np.zeros((3, 1)))
    counts = confusion_matrix(three, X3, Y3)
    assert counts.dtype == np.int64 and counts.tolist() == expected
    assert confusion_matrix(np.array([PRED3]), Y3).tolist() == expected
    data = nn.datasets.Dataset(X3, Y3, ["cat", "dog", "owl"], name="pets", task="multiclass")
    assert confusion_matrix(three, data).tolist() == expected
    assert np.trace(counts) / counts.sum() == nn.accuracy(three, X3, Y3)


def test_confusion_matrix_of_a_binary_model_is_2_by_2_and_num_classes_pads():
    binary = fixed_model(np.array([[1.0]]), np.zeros((1, 1)), output="sigmoid")
    X = np.array([[1.0, -1.0, 2.0, -3.0, 4.0]])  # predictions 1, 0, 1, 0, 1
    Y = np.array([[1, 1, 0, 0, 1]])
    assert confusion_matrix(binary, X, Y).tolist() == [[1, 1], [1, 2]]
    assert confusion_matrix(np.array([[0, 0]]), np.array([[0, 1]]), num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match=r"labels must be in 0..1 \(num_classes=2\)"):
        confusion_matrix(np.array([[0, 3]]), np.array([[0, 1]]), num_classes=2)
    with pytest.raises(ValueError, match="num_classes=3, but the model predicts 2 classes"):
        confusion_matrix(binary, X, Y, num_classes=3)


def test_a_logits_model_predicts_where_z_is_positive_not_where_it_passes_one_half():
    lin = nn.Linear(1, 1)
    lin.W.data[:], lin.b.data[:] = 1.0, 0.0  # Z = X
    X = np.array([[-1.0, 0.25, 0.75, 2.0]])
    for model in (nn.Sequential(lin), nn.Sequential(lin, nn.Identity())):
        np.testing.assert_array_equal(nn.predict(model, X), [[0, 1, 1, 1]])  # sigmoid(Z) > 0.5 exactly where Z > 0
        assert nn.accuracy(model, X, np.array([[0, 1, 1, 1]])) == 1.0
        np.testing.assert_array_equal(nn.predict(model, X, threshold=0.5), [[0, 0, 1, 1]])  # a given one wins
    sigmoid = nn.Sequential(lin, nn.Sigmoid())
    np.testing.assert_array_equal(nn.predict(sigmoid, X), [[0, 1, 1, 1]])  # 0.5 on probabilities: the same split
