"""Costs against their formulas and their gradients against finite differences; ``reduction=`` and the loss
classes against torch; cross-entropy with zero probabilities, one-hot targets and huge logits."""

import numpy as np
import pytest
from _shared import torch_or_skip
from hypothesis import given
from hypothesis import strategies as st

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import arrays, assert_gradients_match

labels = st.integers(1, 6).flatmap(lambda m: arrays((1, m), low=0, high=1).map(lambda a: (a > 0.5) * 1.0))


@given(Y=labels, data=st.data())
def test_binary_cross_entropy_formula_and_gradient(Y, data):
    A = Tensor(data.draw(arrays(Y.shape, low=0.05, high=0.95)), requires_grad=True)
    m = Y.shape[1]
    expected = -1 / m * np.sum(Y * np.log(A.data) + (1 - Y) * np.log(1 - A.data))
    assert nn.binary_cross_entropy(A, Y).item() == pytest.approx(expected, rel=1e-12)
    assert_gradients_match(lambda A: nn.binary_cross_entropy(A, Y), A)


@given(Y=labels, data=st.data())
def test_with_logits_equals_bce_of_sigmoid_and_has_gradient_A_minus_Y(Y, data):
    Z = Tensor(data.draw(arrays(Y.shape, low=-6, high=6)), requires_grad=True)
    J = nn.binary_cross_entropy_with_logits(Z, Y)
    assert J.item() == pytest.approx(nn.binary_cross_entropy(Z.sigmoid(), Y).item(), rel=1e-9)
    J.backward()
    A = 1 / (1 + np.exp(-Z.data))
    np.testing.assert_allclose(Z.grad.data, (A - Y) / Y.shape[1], rtol=1e-9, atol=1e-15)  # dZ[L] = (A - Y) / m
    assert_gradients_match(lambda Z: nn.binary_cross_entropy_with_logits(Z, Y), Z)


def test_with_logits_is_finite_for_huge_logits():
    Z = Tensor(np.array([[1e4, -1e4, 1e4, -1e4]]), requires_grad=True)
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])
    J = nn.binary_cross_entropy_with_logits(Z, Y)
    assert J.item() == pytest.approx((1e4 + 1e4) / 4)
    J.backward()
    np.testing.assert_allclose(Z.grad.data, [[0, 0, 0.25, -0.25]])


@given(st.integers(2, 5), st.integers(1, 6), st.integers(0, 1000))
def test_cross_entropy_labels_and_one_hot_agree_with_formula(C, m, seed):
    rng = np.random.RandomState(seed)
    Z = Tensor(rng.randn(C, m), requires_grad=True)
    labels_ = rng.randint(0, C, size=(1, m))
    one_hot = np.eye(C)[labels_[0]].T
    softmax = np.exp(Z.data) / np.exp(Z.data).sum(axis=0)
    expected = -np.sum(one_hot * np.log(softmax)) / m
    assert nn.cross_entropy(Z, labels_).item() == pytest.approx(expected, rel=1e-10)
    assert nn.cross_entropy(Z, one_hot).item() == pytest.approx(expected, rel=1e-10)
    assert_gradients_match(lambda Z: nn.cross_entropy(Z, labels_), Z)


def test_mse_and_l2_penalty():
    A, Y = Tensor(np.array([[1.0, 2.0], [3.0, 5.0]]), requires_grad=True), np.array([[1.0, 0.0], [0.0, 1.0]])
    assert nn.mse(A, Y).item() == pytest.approx((0 + 4 + 9 + 16) / 4)
    W1, W2 = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.full((1, 2), 2.0), requires_grad=True)
    assert nn.l2_penalty([W1, W2], lambd=0.7, m=10).item() == pytest.approx(0.7 / 20 * (6 + 8))
    assert_gradients_match(lambda W1, W2: nn.l2_penalty([W1, W2], 0.7, 10), W1, W2)


def test_bad_labels_and_shapes():
    A = Tensor(np.full((1, 3), 0.5))
    with pytest.raises(ValueError, match=r"only 0 and 1.*\[2\.0\]"):
        nn.binary_cross_entropy(A, np.array([[0.0, 1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"Y has shape \(3, 1\) but A has shape \(1, 3\)"):
        nn.binary_cross_entropy(A, np.zeros((3, 1)))
    with pytest.raises(TypeError, match="Y must be a numpy array"):
        nn.binary_cross_entropy(A, [[0, 1, 1]])
    with pytest.raises(ValueError, match="m >= 1"):
        nn.binary_cross_entropy(Tensor(np.zeros((1, 0))), np.zeros((1, 0)))
    with pytest.raises(ValueError, match="integers in 0..2"):
        nn.cross_entropy(Tensor(np.zeros((3, 2))), np.array([[0, 3]]))
    with pytest.raises(ValueError, match="lambd"):
        nn.l2_penalty([A], -1.0, 3)


def test_binary_cross_entropy_on_several_output_units_and_one_row_of_labels_names_the_fix():
    data = nn.datasets.digits(task="multiclass")
    with pytest.raises(ValueError, match=r"n\[L\] = 10 output units.*output='identity'.*loss='cross_entropy'"):
        nn.fit(nn.MLP([64, 8, 10], rng=0), data, num_iterations=1)


# ----- 9. cross-entropy with -inf in a class that is not the label ------------------------------


def test_cross_entropy_of_log_probabilities_with_a_zero_probability_is_finite():
    with np.errstate(divide="ignore"):
        log_p = np.log(np.array([[0.0, 0.5], [1.0, 0.5]]))  # column 0: class 0 has probability 0
    Z = Tensor(log_p, requires_grad=True)
    J = nn.cross_entropy(Z, np.array([[1, 0]]))
    J.backward()
    assert J.item() == pytest.approx(-(np.log(1.0) + np.log(0.5)) / 2)
    softmax = np.array([[0.0, 0.5], [1.0, 0.5]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(Z.grad.data, (softmax - Y) / 2)  # dZ[L] / m = (A - Y) / m
    assert np.isfinite(Z.grad.data).all()


def test_cross_entropy_with_one_hot_and_minus_inf_logits():
    Z = Tensor(np.array([[-np.inf, 2.0, 0.0], [0.0, -np.inf, 1.0], [1.0, 0.0, -np.inf]]), requires_grad=True)
    Y = np.eye(3)[[1, 0, 1]].T  # labels 1, 0, 1: no label sits on a -inf
    J = nn.cross_entropy(Z, Y)
    J.backward()
    with np.errstate(divide="ignore"):
        e = np.exp(Z.data)
    softmax = e / e.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = -np.sum(np.where(Y == 1, np.log(softmax), 0.0)) / 3
    assert np.isfinite(J.item()) and J.item() == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(Z.grad.data, (softmax - Y) / 3, atol=1e-15)


def test_cross_entropy_accepts_class_probabilities_as_targets():
    rng = np.random.RandomState(3)
    Z = Tensor(rng.randn(4, 5), requires_grad=True)
    Y = rng.dirichlet(np.ones(4), size=5).T  # each column sums to 1
    softmax = np.exp(Z.data) / np.exp(Z.data).sum(axis=0)
    assert nn.cross_entropy(Z, Y).item() == pytest.approx(-np.sum(Y * np.log(softmax)) / 5, rel=1e-12)
    assert_gradients_match(lambda Z: nn.cross_entropy(Z, Y), Z)


# ----- the logits path for several classes -------------------------------------------------------------


def test_cross_entropy_from_logits_has_the_closed_form_gradient_and_survives_huge_logits():
    Z = Tensor(np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 0.0], [-1e4, 0.0, 0.0]]), requires_grad=True)
    labels = np.array([[0, 0, 2]])
    J = nn.cross_entropy(Z, labels)
    J.backward()
    # column 0 is right and certain (cost 0), column 1 is wrong by 2e4, column 2 is uniform (log 3)
    assert J.item() == pytest.approx((0 + 2e4 + np.log(3)) / 3)
    softmax = np.array([[1.0, 0.0, 1 / 3], [0.0, 1.0, 1 / 3], [0.0, 0.0, 1 / 3]])
    Y = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(Z.grad.data, (softmax - Y) / 3, atol=1e-15)


def test_a_multiclass_model_trains_on_logits_with_cross_entropy():
    rng = np.random.RandomState(0)
    centres = np.array([[3.0, 0.0, -3.0], [0.0, 3.0, 0.0]])
    labels = rng.randint(0, 3, size=(1, 90))
    X = centres[:, labels[0]] + rng.randn(2, 90) * 0.5
    model = nn.MLP([2, 8, 3], hidden="tanh", output="identity", rng=1)
    costs = nn.fit(model, X, labels, loss="cross_entropy", lr=0.5, num_iterations=200, print_every=199,
                   print_cost=False)
    assert np.isfinite(costs).all() and costs[-1] < costs[0] / 4
    assert nn.accuracy(model, X, labels) > 0.95

REDUCTIONS = ["mean", "sum", "none"]


# ----- reductions, against torch in float64 ----------------------------------------------------

def _data(shape, seed=0):
    rng = np.random.RandomState(seed)
    A = rng.uniform(0.05, 0.95, size=shape)
    Z = rng.randn(*shape) * 3
    Y = (rng.rand(*shape) > 0.5).astype(np.float64)
    return A, Z, Y


def _ours_and_torch(ours_fn, torch_fn, x, y, reduction, upstream_seed=7):
    """(value, gradient) of ours and of torch's for one reduction; "none" is seeded with a random upstream G."""
    torch = torch_or_skip()
    X = Tensor(x, requires_grad=True)
    L = ours_fn(X, y, reduction=reduction)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    Lt = torch_fn(xt, torch.tensor(y, dtype=torch.float64), reduction=reduction)
    if reduction == "none":
        G = np.random.RandomState(upstream_seed).uniform(0.5, 1.5, size=L.shape)
        L.backward(G)
        Lt.backward(torch.tensor(G.reshape(Lt.shape)))
    else:
        L.backward()
        Lt.backward()
    return L, X.grad.data, Lt.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("which", ["bce", "bce_with_logits", "mse"])
def test_binary_losses_and_mse_match_torch_for_one_output_unit(which, reduction):
    torch = torch_or_skip()
    F = torch.nn.functional
    A, Z, Y = _data((1, 9))
    ours, theirs, x = {"bce": (nn.binary_cross_entropy, F.binary_cross_entropy, A),
                       "bce_with_logits": (nn.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, Z),
                       "mse": (nn.mse, F.mse_loss, A)}[which]
    L, dX, Lt, dXt = _ours_and_torch(ours, theirs, x, Y, reduction)
    assert L.shape == ((1, 9) if reduction == "none" else ())
    assert L.name == ("L" if reduction == "none" else "J")
    np.testing.assert_allclose(L.data, Lt, rtol=1e-12)
    np.testing.assert_allclose(dX, dXt, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(reduction):
    torch = torch_or_skip()
    rng = np.random.RandomState(4)
    Z, labels = rng.randn(5, 8) * 2, rng.randint(0, 5, size=(1, 8))
    Zn = Tensor(Z, requires_grad=True)
    L = nn.cross_entropy(Zn, labels, reduction=reduction)
    Zt = torch.tensor(Z.T, requires_grad=True)  # torch: (m, C)
    Lt = torch.nn.functional.cross_entropy(Zt, torch.tensor(labels[0]), reduction=reduction)
    if reduction == "none":
        assert L.shape == (1, 8)
        G = rng.uniform(0.5, 1.5, size=(1, 8))
        L.backward(G)
        Lt.backward(torch.tensor(G[0]))
        np.testing.assert_allclose(L.data[0], Lt.detach().numpy(), rtol=1e-12)
    else:
        L.backward()
        Lt.backward()
        assert L.item() == pytest.approx(Lt.item(), rel=1e-12)
    np.testing.assert_allclose(Zn.grad.data, Zt.grad.numpy().T, rtol=1e-10, atol=1e-15)
    # one-hot Y gives the same
    one_hot = np.eye(5)[labels[0]].T
    np.testing.assert_allclose(nn.cross_entropy(Tensor(Z), one_hot, reduction=reduction).data, L.data, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_several_output_units_sums_each_column_into_one_example_loss(reduction):
    torch = torch_or_skip()
    F = torch.nn.functional
    A, Z, Y = _data((3, 6), seed=5)
    for ours, theirs, x in [(nn.binary_cross_entropy, F.binary_cross_entropy, A),
                            (nn.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, Z)]:
        elementwise = theirs(torch.tensor(x), torch.tensor(Y), reduction="none").numpy()
        per_example = elementwise.sum(axis=0, keepdims=True)  # L(i): the column's terms summed
        expected = {"none": per_example, "sum": per_example.sum(), "mean": per_example.sum() / 6}[reduction]
        np.testing.assert_allclose(ours(Tensor(x), Y, reduction=reduction).data, expected, rtol=1e-12)


@pytest.mark.parametrize("shape", [(7,), (2, 7), (2, 3, 7)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_takes_any_shape_with_the_examples_in_the_last_axis(shape, reduction):
    torch = torch_or_skip()
    rng = np.random.RandomState(6)
    A, Y = rng.randn(*shape), rng.randn(*shape)
    n = int(np.prod(shape[:-1]))
    L = nn.mse(Tensor(A), Y, reduction=reduction)
    squared = torch.nn.functional.mse_loss(torch.tensor(A), torch.tensor(Y), reduction="none").numpy()
    per_example = squared.reshape(n, 7).mean(axis=0, keepdims=True)  # one example's loss: the mean of its entries
    expected = {"mean": squared.mean(), "sum": squared.sum(), "none": per_example}[reduction]
    np.testing.assert_allclose(L.data, expected, rtol=1e-12)
    if reduction != "none":  # PyTorch's "mean" (every entry) and "sum" (every squared error)
        theirs = torch.nn.functional.mse_loss(torch.tensor(A), torch.tensor(Y), reduction=reduction).item()
        assert L.item() == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("which", ["bce", "bce_with_logits", "cross_entropy", "mse"])
def test_every_reduction_has_the_gradient_finite_differences_give(which, reduction):
    A, Z, Y = _data((2, 5), seed=8)
    labels = np.array([[0, 1, 1, 0, 1]])
    fn, x, y = {"bce": (nn.binary_cross_entropy, A, Y), "bce_with_logits": (nn.binary_cross_entropy_with_logits, Z, Y),
                "cross_entropy": (nn.cross_entropy, Z, labels), "mse": (nn.mse, Z, A)}[which]
    assert_gradients_match(lambda X: fn(X, y, reduction=reduction), Tensor(x, requires_grad=True))


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_the_binary_ops_second_derivative_under_create_graph_matches_torch(reduction):
    torch = torch_or_skip()
    from tinygrad_nb import grad

    A, _, Y = _data((1, 4), seed=9)
    X = Tensor(A, requires_grad=True)
    L = nn.binary_cross_entropy(X, Y, reduction=reduction)
    (dA,) = grad(L.sum() if reduction == "none" else L, [X], create_graph=True)
    (d2,) = grad(dA.sum(), [X])
    xt = torch.tensor(A, requires_grad=True)
    Lt = torch.nn.functional.binary_cross_entropy(xt, torch.tensor(Y), reduction=reduction).sum()
    (dAt,) = torch.autograd.grad(Lt, xt, create_graph=True)
    (d2t,) = torch.autograd.grad(dAt.sum(), xt)
    np.testing.assert_allclose(dA.data, dAt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(d2.data, d2t.numpy(), rtol=1e-10)


def test_a_bad_reduction_is_refused_by_name():
    A, Z, Y = _data((1, 3))
    for call in [lambda: nn.binary_cross_entropy(Tensor(A), Y, reduction="avg"),
                 lambda: nn.cross_entropy(Tensor(Z), np.array([[0, 0, 0]]), reduction=None),
                 lambda: nn.mse(Tensor(A), Y, reduction="batchmean"),
                 lambda: nn.BCELoss(reduction="elementwise_mean")]:
        with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'"):
            call()


def test_the_default_reduction_is_still_the_course_cost():
    A, _, Y = _data((1, 6))
    m = 6
    expected = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    assert nn.binary_cross_entropy(Tensor(A), Y).item() == pytest.approx(expected, rel=1e-12)


# ----- loss classes ----------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_classes_are_the_functions_with_their_reduction_held(reduction):
    A, Z, Y = _data((1, 5))
    labels = np.array([[0, 2, 1, 1, 0]])
    Zc = np.random.RandomState(1).randn(3, 5)
    pairs = [(nn.MSELoss, nn.mse, A, Y), (nn.BCELoss, nn.binary_cross_entropy, A, Y),
             (nn.BCEWithLogitsLoss, nn.binary_cross_entropy_with_logits, Z, Y),
             (nn.CrossEntropyLoss, nn.cross_entropy, Zc, labels)]
    for cls, fn, x, y in pairs:
        loss = cls(reduction=reduction)
        np.testing.assert_array_equal(loss(Tensor(x), y).data, fn(Tensor(x), y, reduction=reduction).data)
        assert repr(loss) == f"{cls.__name__}(reduction={reduction!r})"
    assert nn.BCELoss().reduction == "mean"


def test_a_loss_object_trains_with_fit():
    split = nn.datasets.planar()
    X, Y = split.X, split.Y
    a, b = nn.MLP([2, 4, 1], hidden="tanh", output="identity", rng=2), nn.MLP([2, 4, 1], hidden="tanh",
                                                                              output="identity", rng=2)
    costs_a = nn.fit(a, X, Y, loss=nn.BCEWithLogitsLoss(), lr=0.5, num_iterations=50, print_cost=False)
    costs_b = nn.fit(b, X, Y, loss="binary_cross_entropy_with_logits", lr=0.5, num_iterations=50, print_cost=False)
    assert costs_a == costs_b


# ----- the silent traps ------------------------------------------------------------------------

def test_cross_entropy_refuses_softmax_probabilities_and_names_the_fix():
    X = np.random.RandomState(0).randn(4, 10)
    labels = np.arange(10).reshape(1, 10) % 3
    model = nn.MLP([4, 5, 3], output="softmax", rng=0)
    with pytest.raises(ValueError, match=r'cross_entropy: Z is the output of a softmax.*output="identity"'):
        nn.cross_entropy(model(X), labels)
    with pytest.raises(ValueError, match="output of a softmax"):
        nn.fit(model, X, labels, loss="cross_entropy", num_iterations=1, print_cost=False)
    with pytest.raises(ValueError, match="output of a softmax"):
        nn.CrossEntropyLoss()(Tensor(X[:3], requires_grad=True).softmax(axis=0), labels)
    logits = nn.MLP([4, 5, 3], output="identity", rng=0)
    assert np.isfinite(nn.cross_entropy(logits(X), labels).item())
    assert np.isfinite(nn.cross_entropy(Tensor(X[:3], requires_grad=True).log_softmax(axis=0), labels).item())
