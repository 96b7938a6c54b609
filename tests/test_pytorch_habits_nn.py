"""Issue 16, the nn parts: a PyTorch user's habits work, or are refused with a message that says the fix.

Flatten in the course's layout, ``reduction=`` on every loss (values and gradients against torch in
float64 and against finite differences), the loss classes, the softmax-into-cross_entropy trap, the
keyword-only Dropout rate, RMSprop's ``alpha=`` and Adam's ``betas=`` (steps against torch.optim),
``optimizer.param_groups`` and ``nn.Parameter``.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match

REDUCTIONS = ["mean", "sum", "none"]


def torch_or_skip():
    return pytest.importorskip("torch")


# ----- Flatten ---------------------------------------------------------------------------------

def test_flatten_keeps_the_examples_in_the_last_axis_as_the_course_flattens_images():
    rng = np.random.RandomState(0)
    images = rng.rand(5, 4, 3, 2)                      # the course's (m, h, w, c), examples FIRST
    course = images.reshape(images.shape[0], -1).T     # the course's flatten: (h w c, m)
    X = images.transpose(1, 2, 3, 0)                   # the course's layout: (h, w, c, m)
    out = nn.Flatten()(X)
    assert out.shape == (24, 5)
    np.testing.assert_array_equal(out.data, course)


def test_flatten_passes_a_matrix_through_refuses_a_vector_and_carries_the_gradient():
    A = Tensor(np.ones((3, 4)))
    assert nn.Flatten()(A) is A
    with pytest.raises(ValueError, match=r"Flatten: expected an input \(d1, \.\.\., m\).*X\.reshape\(1, m\)"):
        nn.Flatten()(np.ones(4))
    X = Tensor(np.random.RandomState(1).randn(2, 3, 6), requires_grad=True)
    lin = nn.Linear(6, 2, rng=0)
    assert_gradients_match(lambda X: lin(nn.Flatten()(X)), X)


def test_flatten_in_a_sequential_numbers_the_linear_layers_as_usual():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1), nn.Sigmoid())
    assert sorted(model.state_dict()) == ["W1", "W2", "b1", "b2"]
    X = np.random.RandomState(2).rand(2, 2, 3, 7)
    np.testing.assert_allclose(model(X).data, model(X.reshape(12, 7)).data)
    assert model(X).shape == (1, 7)


def test_save_and_load_round_trip_flatten_and_dropout_given_as_p(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 3, rng=0), nn.Tanh(), nn.Dropout(p=0.25),
                          nn.Linear(3, 1, rng=1), nn.Sigmoid())
    nn.save(model, tmp_path / "m.h5")
    loaded = nn.load(tmp_path / "m.h5")
    assert isinstance(loaded[0], nn.Flatten) and loaded[3].keep_prob == 0.75
    X = np.random.RandomState(3).rand(2, 3, 5)
    np.testing.assert_array_equal(loaded.eval()(X).data, model.eval()(X).data)


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
    expected = {"mean": squared.mean(), "sum": squared.sum() / n, "none": per_example}[reduction]
    np.testing.assert_allclose(L.data, expected, rtol=1e-12)
    if reduction == "mean":  # the course's (and PyTorch's) mean over every entry
        assert L.item() == pytest.approx(torch.nn.functional.mse_loss(torch.tensor(A), torch.tensor(Y)).item())


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


def test_a_bare_dropout_rate_is_refused_naming_both_spellings():
    with pytest.raises(TypeError, match=r"Dropout: the rate is keyword-only.*keep_prob=.*p="):
        nn.Dropout(0.2)
    with pytest.raises(TypeError, match="both keep_prob=0.8 and p=0.2"):
        nn.Dropout(keep_prob=0.8, p=0.2)
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\)"):
        nn.Dropout(p=1.0)
    assert nn.Dropout().keep_prob == 0.5


def test_dropout_p_and_keep_prob_make_the_same_layer_and_p_is_torch_p():
    A = np.ones((200, 50))
    by_keep = nn.Dropout(keep_prob=0.8, rng=np.random.RandomState(3))(A).data
    by_p = nn.Dropout(p=0.2, rng=np.random.RandomState(3))(A).data
    np.testing.assert_array_equal(by_keep, by_p)
    assert abs((by_p != 0).mean() - 0.8) < 0.01  # 80 % kept: p = 0.2 drops 20 %, as torch.nn.Dropout(p=0.2)
    assert nn.Dropout(p=0.2).p == pytest.approx(0.2)
    torch = torch_or_skip()
    converted = nn.to_torch(nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(p=0.2)))
    assert any(isinstance(m, torch.nn.Dropout) and m.p == pytest.approx(0.2) for m in converted.modules())


def test_mlp_keep_prob_option_still_adds_dropout():
    model = nn.MLP([3, 4, 1], keep_prob=0.7, rng=0)
    assert [m.keep_prob for m in model.layers if isinstance(m, nn.Dropout)] == [0.7]


def _steps(ours, theirs, n=5, seed=0):
    """Run our optimiser and torch's side by side on the same quadratic; return both parameters."""
    torch = torch_or_skip()
    rng = np.random.RandomState(seed)
    W0, T = rng.randn(3, 2), rng.randn(3, 2)
    p = Tensor(W0.copy(), requires_grad=True)
    pt = torch.tensor(W0.copy(), requires_grad=True)
    opt, opt_t = ours([p]), theirs([pt])
    for _ in range(n):
        opt.zero_grad()
        (((p - T) ** 2) * 0.5).sum().backward()
        opt.step()
        opt_t.zero_grad()
        (((pt - torch.tensor(T)) ** 2) * 0.5).sum().backward()
        opt_t.step()
    return p.data, pt.detach().numpy()


def test_rmsprop_takes_torch_alpha_and_then_steps_as_torch():
    torch = torch_or_skip()
    ours, theirs = _steps(lambda ps: nn.optim.RMSprop(ps, lr=0.01, alpha=0.99),
                          lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.99, eps=1e-8))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_rmsprop_names_its_smoothing_factor_once_and_keeps_the_course_default():
    p = Tensor(np.ones((2, 1)), requires_grad=True)
    assert nn.optim.RMSprop([p]).beta == 0.9
    assert nn.optim.RMSprop([p], alpha=0.99).beta == 0.99
    assert nn.optim.RMSprop([p], beta=0.8).beta == 0.8
    with pytest.raises(TypeError, match=r"RMSprop: got both beta=0.8 .* and alpha=0.99"):
        nn.optim.RMSprop([p], beta=0.8, alpha=0.99)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        nn.optim.RMSprop([p], alpha=1.0)


def test_adam_takes_torch_betas_and_then_steps_as_torch():
    torch = torch_or_skip()
    ours, theirs = _steps(lambda ps: nn.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99)),
                          lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-8))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    p = Tensor(np.ones((2, 1)), requires_grad=True)
    opt = nn.optim.Adam([p], betas=(0.8, 0.99))
    assert (opt.beta1, opt.beta2) == (0.8, 0.99)
    assert (nn.optim.Adam([p]).beta1, nn.optim.Adam([p]).beta2) == (0.9, 0.999)
    with pytest.raises(TypeError, match="give one spelling"):
        nn.optim.Adam([p], beta1=0.9, betas=(0.9, 0.999))
    with pytest.raises(TypeError, match=r"betas must be a pair"):
        nn.optim.Adam([p], betas=0.9)


# ----- param_groups and Parameter --------------------------------------------------------------

def test_param_groups_is_one_group_whose_lr_is_the_optimizer_lr():
    model = nn.MLP([2, 3, 1], rng=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups) == 1
    group = opt.param_groups[0]
    assert group["params"] == model.parameters() and group["lr"] == 0.1
    for g in opt.param_groups:  # what a PyTorch scheduler does
        g["lr"] = g["lr"] * 0.5
    assert opt.lr == 0.05
    opt.lr = 0.2
    assert opt.param_groups[0]["lr"] == 0.2
    nn.optim.InverseTimeDecay(opt, decay_rate=1.0).step()
    assert opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="lr must be positive"):
        opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(KeyError, match="make a new optimiser"):
        opt.param_groups[0]["params"] = []


def test_an_lr_set_through_param_groups_is_the_step_that_is_taken():
    p = Tensor(np.zeros((1, 1)), requires_grad=True)
    opt = nn.optim.SGD([p], lr=1.0)
    opt.param_groups[0]["lr"] = 0.25
    p.grad = Tensor(np.ones((1, 1)))
    opt.step()
    assert p.data[0, 0] == -0.25


class Affine(nn.Module):
    """Z = W X + b with W (2, 3) and b (2, 1) made by nn.Parameter."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(np.random.RandomState(0).randn(2, 3))
        self.b = nn.Parameter(np.zeros((2, 1)))

    def forward(self, X):
        return self.W @ X + self.b


def test_parameter_registers_as_linear_parameters_do_and_trains():
    model = Affine()
    assert [name for name, _ in model.named_parameters()] == ["W", "b"]
    assert model.W.requires_grad and model.W.is_leaf and model.W.name == "W"
    assert sorted(model.state_dict()) == ["W", "b"]
    X = np.random.RandomState(1).randn(3, 4)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    before = model.W.data.copy()
    J = nn.mse(model(Tensor(X)), np.zeros((2, 4)))
    J.backward()
    np.testing.assert_allclose(model.W.grad.data, (2 * (before @ X) / 8) @ X.T, rtol=1e-12)
    opt.step()
    assert not np.array_equal(model.W.data, before)


def test_parameter_takes_lists_ints_and_tensors_and_shares_a_float_array():
    assert nn.Parameter([[1, 2]]).dtype == np.float64
    array = np.zeros((2, 1))
    p = nn.Parameter(array, name="b1")
    p.data[0, 0] = 5.0
    assert array[0, 0] == 5.0 and p.name == "b1"
    t = Tensor(np.ones((2, 2)))
    q = nn.Parameter(t)
    assert q.requires_grad and q is not t and q.data is t.data
