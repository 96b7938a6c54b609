"""nn.fit gives no silent wrong answers: its default compiles only steps made of nn's own parts, it refuses an
optimizer of another model before training, and every loss reads its labels through ops, so that a jitted step
sees new labels (a float32 model, float64 labels)."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from _jit_programs import training_step

import nn
import nn.training.loop
from tinygrad_nb import Tensor, jit


def flower(m: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.randn(2, m)
    Y = (X[0:1] * X[1:2] > 0).astype(np.float64)
    return X, Y


def assert_same_training(a: nn.Module, b: nn.Module, costs_a: list[float], costs_b: list[float]) -> None:
    assert list(costs_a) == list(costs_b)
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.data, q.data), name


# ----- the default compiles only nn's own parts ---------------------------------------------------------------

class SwitchesAfterThreeCalls(nn.Module):
    """A user's module whose forward changes after 3 calls: sigmoid(Z), then sigmoid(Z / 2)."""

    def __init__(self, counter: str):
        super().__init__()
        self.net = nn.MLP([2, 3, 1], hidden="tanh", output="identity", rng=1)
        self.counter = counter
        self.calls = [0]  # changed in place (counter="list") or rebound (counter="attribute")

    def count(self) -> int:
        if self.counter == "list":
            self.calls[0] += 1
        else:
            self.calls = [self.calls[0] + 1]
        return self.calls[0]

    def forward(self, X):
        Z = self.net(X)
        return Z.sigmoid() if self.count() <= 3 else (Z * 0.5).sigmoid()


@pytest.mark.parametrize("counter", ["list", "attribute"])
def test_a_module_of_your_own_whose_forward_changes_trains_as_it_does_eagerly(counter):
    X, Y = flower()
    model = SwitchesAfterThreeCalls(counter)
    eager = copy.deepcopy(model)
    costs = nn.fit(model, X, Y, lr=0.5, num_iterations=30, record_every=1, print_cost=False)  # fit's defaults
    eager_costs = nn.fit(eager, X, Y, lr=0.5, num_iterations=30, record_every=1, print_cost=False, jit=False)
    assert model.calls[0] == 30  # its forward ran on every iteration
    assert_same_training(model, eager, costs, eager_costs)


class ScalesAfterThreeCalls:
    """A user's loss whose cost changes after 3 calls: J, then 4 J."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, A, Y):
        self.calls += 1
        J = nn.binary_cross_entropy(A, Y)
        return J if self.calls <= 3 else J * 4.0


def test_a_loss_of_your_own_whose_cost_changes_trains_as_it_does_eagerly():
    X, Y = flower()
    model = nn.MLP([2, 3, 1], hidden="tanh", rng=1)
    eager = copy.deepcopy(model)
    loss, eager_loss = ScalesAfterThreeCalls(), ScalesAfterThreeCalls()
    costs = nn.fit(model, X, Y, loss=loss, lr=0.5, num_iterations=30, record_every=1, print_cost=False)
    eager_costs = nn.fit(eager, X, Y, loss=eager_loss, lr=0.5, num_iterations=30, record_every=1, print_cost=False,
                         jit=False)
    assert loss.calls == 30
    assert_same_training(model, eager, costs, eager_costs)


class HalvingSGD(nn.optim.SGD):
    """A user's optimiser whose step halves the learning rate in Python before each update."""

    def step(self) -> None:
        self.lr = self.lr * 0.5
        super().step()


def test_an_optimizer_of_your_own_trains_as_it_does_eagerly():
    X, Y = flower()
    model = nn.MLP([2, 3, 1], hidden="tanh", rng=1)
    eager = copy.deepcopy(model)
    opt = HalvingSGD(model.parameters(), lr=1.0)
    costs = nn.fit(model, X, Y, optimizer=opt, num_iterations=12, record_every=1, print_cost=False)
    eager_costs = nn.fit(eager, X, Y, optimizer=HalvingSGD(eager.parameters(), lr=1.0), num_iterations=12,
                         record_every=1, print_cost=False, jit=False)
    assert opt.lr == 0.5**12
    assert_same_training(model, eager, costs, eager_costs)


class MyMLP(nn.MLP):
    """A subclass that changes nothing: still code of the user's, so not compiled by default."""


class MyLinear(nn.Linear):
    pass


class MyBCELoss(nn.BCELoss):
    pass


class MySGD(nn.optim.SGD):
    pass


def own_model() -> nn.Module:
    return nn.MLP([2, 3, 1], hidden="tanh", rng=1)


def replaced_forward() -> nn.Module:
    model = own_model()
    layer = model[0]
    layer.forward = functools.partial(nn.Linear.forward, layer)  # the same computation, but a function of yours
    return model


NN_OWN = {
    "MLP, a loss name, no optimizer": (own_model, "binary_cross_entropy", None),
    "Sequential of every layer kind, the loss function, SGD": (
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(2, 3, rng=1), nn.LeakyReLU(0.1), nn.Linear(3, 3, rng=2),
                              nn.ReLU(), nn.Linear(3, 3, rng=3), nn.Tanh(), nn.Identity(), nn.Linear(3, 1, rng=4),
                              nn.Sigmoid()),
        nn.binary_cross_entropy, "SGD"),
    "MSELoss, Adam": (lambda: nn.MLP([2, 3, 1], output="identity", rng=1), nn.MSELoss(), "Adam"),
    "BCEWithLogitsLoss, RMSprop": (lambda: nn.MLP([2, 3, 1], output="identity", rng=1), nn.BCEWithLogitsLoss(),
                                   "RMSprop"),
}
USERS_OWN = {
    "a subclass of MLP": (lambda: MyMLP([2, 3, 1], hidden="tanh", rng=1), "binary_cross_entropy", None),
    "a subclass of Linear inside a Sequential": (
        lambda: nn.Sequential(MyLinear(2, 3, rng=1), nn.Tanh(), nn.Linear(3, 1, rng=2), nn.Sigmoid()),
        "binary_cross_entropy", None),
    "a layer's forward replaced": (replaced_forward, "binary_cross_entropy", None),
    "a module of your own": (lambda: SwitchesAfterThreeCalls("list"), "binary_cross_entropy", None),
    "a loss function of your own": (own_model, lambda A, Y: nn.binary_cross_entropy(A, Y), None),
    "a subclass of BCELoss": (own_model, MyBCELoss(), None),
    "a subclass of SGD": (own_model, "binary_cross_entropy", "MySGD"),
}
OPTIMIZERS = {"SGD": nn.optim.SGD, "Adam": nn.optim.Adam, "RMSprop": nn.optim.RMSprop, "MySGD": MySGD}


def compiled_by_default(monkeypatch, make_model, loss, optimizer) -> bool:
    """Whether fit's default (jit=None) compiled the step: fit calls nn.training.loop.jit on it only then."""
    compiled = []
    real = nn.training.loop.jit

    def spy(fn):
        compiled.append(fn)
        return real(fn)

    monkeypatch.setattr(nn.training.loop, "jit", spy)
    X, Y = flower(m=12)
    model = make_model()
    opt = None if optimizer is None else OPTIMIZERS[optimizer](model.parameters(), lr=0.1)
    nn.fit(model, X, Y, loss=loss, optimizer=opt, lr=None if opt else 0.1, num_iterations=4, print_cost=False)
    return bool(compiled)


@pytest.mark.parametrize("case", NN_OWN, ids=list(NN_OWN))
def test_a_step_of_nns_own_parts_is_compiled_by_default(monkeypatch, case):
    assert compiled_by_default(monkeypatch, *NN_OWN[case])


@pytest.mark.parametrize("case", USERS_OWN, ids=list(USERS_OWN))
def test_a_step_with_code_of_your_own_runs_eagerly_by_default(monkeypatch, case):
    assert not compiled_by_default(monkeypatch, *USERS_OWN[case])


def test_jit_true_still_compiles_code_of_your_own(monkeypatch):
    compiled = []
    real = nn.training.loop.jit
    monkeypatch.setattr(nn.training.loop, "jit", lambda fn: compiled.append(fn) or real(fn))
    X, Y = flower(m=12)
    nn.fit(MyMLP([2, 3, 1], rng=1), X, Y, lr=0.1, num_iterations=4, print_cost=False, jit=True)
    assert len(compiled) == 1


# ----- an optimizer of another model ----------------------------------------------------------------------------

def test_an_optimizer_of_another_model_is_refused_before_training(capsys):
    X, Y = flower()
    model, other = nn.MLP([2, 3, 1], rng=1), nn.MLP([2, 3, 1], rng=2)
    before, before_other = model.state_dict(), other.state_dict()
    with pytest.raises(ValueError, match="the optimizer holds none of the model's parameters"):
        nn.fit(model, X, Y, optimizer=nn.optim.SGD(other.parameters(), lr=0.1), num_iterations=5)
    assert capsys.readouterr().out == ""  # not one iteration ran
    for state, now in ((before, model.state_dict()), (before_other, other.state_dict())):
        assert all(np.array_equal(state[k], now[k]) for k in state)
    with pytest.raises(ValueError, match="build it from this model"):  # a deep copy's parameters are other tensors
        nn.fit(model, X, Y, optimizer=nn.optim.Adam(copy.deepcopy(model).parameters()), num_iterations=5)


def test_an_optimizer_holding_some_of_the_parameters_steps_only_those():
    """Logistic regression with only W in the optimizer: one step is W - lr/m (A - Y) X^T, and b stays."""
    X, Y = flower(m=10)
    model = nn.Sequential(nn.Linear(2, 1, rng=3), nn.Sigmoid())
    W, b = model.parameters()
    b.data[...] = 0.25
    W0, b0 = W.data.copy(), b.data.copy()
    nn.fit(model, X, Y, optimizer=nn.optim.SGD([W], lr=0.3), num_iterations=1, print_cost=False)
    A = 1 / (1 + np.exp(-(W0 @ X + b0)))
    np.testing.assert_allclose(W.data, W0 - 0.3 / X.shape[1] * (A - Y) @ X.T, rtol=1e-12, atol=1e-15)
    assert np.array_equal(b.data, b0)


# ----- every loss reads its labels through ops ------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def bce(A, Y):
    return -np.mean(np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=0))


def softmax_ce(Z, Y):
    Z = Z - Z.max(axis=0, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=0, keepdims=True))
    return -np.sum(Y * log_p) / Z.shape[1]


def one_hot(labels, C):
    return np.eye(C)[labels.astype(int).ravel()].T


# loss -> (units, output layer, labels (n, m) of float64 from rng, NumPy cost from Z = W X + b and Y)
def _binary(rng, n, m):
    return rng.randint(0, 2, (n, m)).astype(np.float64)


LOSS_CASES = {
    "mse": (nn.mse, 2, nn.Sigmoid, lambda rng, n, m: rng.rand(n, m), lambda Z, Y: np.mean((sigmoid(Z) - Y) ** 2)),
    "MSELoss": (nn.MSELoss(), 2, nn.Sigmoid, lambda rng, n, m: rng.rand(n, m),
                lambda Z, Y: np.mean((sigmoid(Z) - Y) ** 2)),
    "binary_cross_entropy": (nn.binary_cross_entropy, 1, nn.Sigmoid, _binary, lambda Z, Y: bce(sigmoid(Z), Y)),
    "BCELoss": (nn.BCELoss(), 1, nn.Sigmoid, _binary, lambda Z, Y: bce(sigmoid(Z), Y)),
    "binary_cross_entropy_with_logits": (nn.binary_cross_entropy_with_logits, 1, nn.Identity, _binary,
                                         lambda Z, Y: bce(sigmoid(Z), Y)),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss(), 1, nn.Identity, _binary, lambda Z, Y: bce(sigmoid(Z), Y)),
    "cross_entropy one-hot": (nn.cross_entropy, 3, nn.Identity, lambda rng, n, m: one_hot(rng.randint(0, 3, m), 3),
                              softmax_ce),
    "cross_entropy labels": (nn.cross_entropy, 3, nn.Identity,
                             lambda rng, n, m: rng.randint(0, 3, (1, m)).astype(np.float64),
                             lambda Z, Y: softmax_ce(Z, one_hot(Y, 3))),
    "CrossEntropyLoss": (nn.CrossEntropyLoss(), 3, nn.Identity, lambda rng, n, m: one_hot(rng.randint(0, 3, m), 3),
                         softmax_ce),
}


def float32_model(units: int, output: type[nn.Module]) -> nn.Module:
    model = nn.Sequential(nn.Linear(3, units, rng=5), output())
    for p in model.parameters():
        p.data = p.data.astype(np.float32)
    return model


def sgd_training_step(model: nn.Module, loss):
    return training_step(model, nn.optim.SGD(model.parameters(), lr=0.5), loss)


@pytest.mark.parametrize("labels", ["new arrays", "one array changed in place"])
@pytest.mark.parametrize("case", LOSS_CASES, ids=list(LOSS_CASES))
def test_a_jitted_step_sees_new_float64_labels_of_a_float32_model(case, labels):
    loss, units, output, make_labels, numpy_cost = LOSS_CASES[case]
    rng = np.random.RandomState(7)
    model = float32_model(units, output)
    twin = copy.deepcopy(model)
    compiled, eager = jit(sgd_training_step(model, loss)), sgd_training_step(twin, loss)
    m = 8
    X, Y = rng.randn(3, m).astype(np.float32), make_labels(rng, units, m)
    for call in range(8):
        if labels == "new arrays":
            X, Y = rng.randn(3, m).astype(np.float32), make_labels(rng, units, m)  # new values: replays from call 3
        elif call >= 2:  # the same array, the same labels on the two recorded calls, then new ones in place
            Y[...] = make_labels(rng, units, m)  # a replay must read the array as it is now
        assert Y.dtype == np.float64
        W, b = (p.data.astype(np.float64) for p in model.parameters())
        expected = numpy_cost(W @ X.astype(np.float64) + b, Y)  # the cost at the parameters before this step
        J = compiled(X, Y)
        assert J.dtype == np.float32
        assert abs(J.item() - expected) <= 1e-5 * max(1.0, abs(expected)), (call, J.item(), expected)
        assert abs(eager(Tensor(X), Y).item() - expected) <= 1e-5 * max(1.0, abs(expected))
        for p, q in zip(model.parameters(), twin.parameters()):
            np.testing.assert_allclose(p.data, q.data, rtol=1e-6, atol=1e-7)
    assert any(entry.program is not None for entry in compiled.cache.values())  # later calls were replays
