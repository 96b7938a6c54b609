"""fit's advice is data, never parsed back from text: ``LrAdvice`` words the rate, each warning is built from its
parts (diagnosis, advice, suggestion), the oscillation names one cause; the weights of a model are one helper's;
a DataLoader's later batches are checked against its first."""

import warnings

import numpy as np
import pytest

import nn
import nn.training.health as health
from nn.datasets import DataLoader
from nn.layers.containers import named_weights, weights
from nn.training.divergence import DivergenceWarning, OscillatingCostWarning
from nn.training.health import Health
from nn.training.training_warnings import LrAdvice


def test_lr_advice_words_a_smaller_and_a_larger_rate_in_the_way_it_was_given():
    assert LrAdvice(1.2).rate(0.1) == "a smaller learning rate, e.g. fit(..., lr=0.12) (a tenth of 1.2)"
    assert LrAdvice(1e-9, "Adam").rate(1e6) == ("a larger learning rate, e.g. Adam(model.parameters(), lr=0.001) "
                                                "(1,000,000 times 1e-09)")
    assert LrAdvice(0.5, "SGD").call(0.05) == "SGD(model.parameters(), lr=0.05)"


def test_fits_divergence_warning_keeps_its_parts_and_names_the_optimiser(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    history: dict = {}
    with pytest.warns(DivergenceWarning) as caught:
        nn.fit(model, digits.train.X, digits.train.Y, optimizer=nn.optim.SGD(model.parameters(), lr=1e4),
               num_iterations=50, print_cost=False, on_divergence="stop", history=history)
    warning = next(w.message for w in caught if w.category is DivergenceWarning)
    assert warning.diagnosis.startswith("training diverged: the cost has sat at ")
    assert warning.diagnosis.endswith("; training stopped")
    assert warning.advice_text == ("try a smaller learning rate, e.g. SGD(model.parameters(), lr=1000) "
                                   "(a tenth of 10000)")
    assert warning.suggestion == {"lr_scale": 0.1}
    assert str(warning) == f"fit: {warning.diagnosis}; {warning.advice_text}" == history["divergence"]


def test_a_rate_too_small_is_advised_in_the_optimisers_spelling(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    with pytest.warns(nn.DeadNetworkWarning) as caught:
        nn.fit(model, digits.train.X, digits.train.Y, optimizer=nn.optim.SGD(model.parameters(), lr=1e-9),
               num_iterations=110, print_cost=False)
    warning = next(w.message for w in caught if w.category is nn.DeadNetworkWarning)
    scale = warning.suggestion["lr_scale"]
    assert warning.advice_text.startswith(f"try a larger learning rate, e.g. SGD(model.parameters(), "
                                          f"lr={1e-9 * scale:.4g}) ({scale:,.0f} times 1e-09)")
    assert "fit(" not in str(warning)


def bounce(model, word="iteration"):
    """Feed Health a cost that falls once and then bounces between two values: the oscillation, on ``model``."""
    h = Health(model, LrAdvice(1.2), word, stacklevel=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(400):
            h.check(i, 1.0 if i % 2 == 0 else 0.9)
    return [w.message for w in caught if w.category is OscillatingCostWarning]


def test_the_oscillations_cause_is_chosen_before_it_is_worded():
    large = nn.MLP([4, 3, 1], rng=0)
    large.layers[0].W.data = np.full((3, 4), 10.0)  # root mean square 10 = 10 / sqrt(2 / 4) times He's scale
    (w,) = bounce(large)
    assert w.diagnosis.endswith(f"so the weights are large: W1's scale is {10 / np.sqrt(2 / 4):.3g} times He's "
                                "sqrt(2 / n[l-1])")
    assert "learning rate is too large" not in w.diagnosis
    assert w.advice_text == ("initialise smaller weights, e.g. init='he', or a smaller learning rate, e.g. "
                             "fit(..., lr=0.12) (a tenth of 1.2)")
    assert w.suggestion == {"init": "he", "lr_scale": 0.1}

    (w,) = bounce(nn.MLP([4, 3, 1], hidden="relu", init="he", rng=0))
    assert w.diagnosis.endswith("so the learning rate is too large for this model")
    assert "hidden='tanh'" in w.advice_text and w.suggestion == {"hidden": "tanh", "lr_scale": 0.1}

    (w,) = bounce(nn.MLP([4, 3, 1], hidden="tanh", init="xavier", rng=0))
    assert w.diagnosis.endswith("so the learning rate is too large for this model")
    assert w.advice_text == "try a smaller learning rate, e.g. fit(..., lr=0.12) (a tenth of 1.2)"
    assert w.diagnosis.startswith("the cost oscillates: it has not fallen below 0.9 for ")
    assert str(w) == f"fit: {w.diagnosis}; {w.advice_text}" and w.suggestion == {"lr_scale": 0.1}
    assert bounce(None, word="epoch") == []  # mini-batch costs are noisy: no oscillation test


def test_the_models_structure_is_read_once_per_fit(monkeypatch, digits):
    calls = []
    original = health.hidden_relu_layers
    monkeypatch.setattr(health, "hidden_relu_layers", lambda model: calls.append(model) or original(model))
    model = nn.MLP([64, 16, 1], rng=1)
    nn.fit(model, digits.train.X, digits.train.Y, lr=0.1, num_iterations=30, print_cost=False)
    assert calls == [model]


class Net(nn.Module):
    """A model of the user's whose parameters have dotted names: body.W1, body.b1, head.W, head.b."""

    def __init__(self):
        super().__init__()
        self.body = nn.MLP([3, 4], output="relu", rng=0)
        self.head = nn.Linear(4, 1, rng=1)

    def forward(self, X):
        return self.head(self.body(X)).sigmoid()


def test_the_weights_of_a_nested_model_are_its_Ws_and_fits_l2_term_covers_them():
    net = Net()
    assert [name for name, _ in named_weights(net)] == ["body.W1", "head.W"]
    assert [id(p) for p in weights(net)] == [id(net.body.layers[0].W), id(net.head.W)]
    X = np.random.RandomState(0).randn(3, 10)
    Y = (X[:1] > 0).astype(float)
    plain = nn.fit(Net(), X, Y, lr=0.1, num_iterations=1, print_cost=False)
    l2 = nn.fit(Net(), X, Y, lr=0.1, num_iterations=1, print_cost=False, lambd=0.7)
    by_hand = 0.7 / (2 * 10) * (np.sum(net.body.layers[0].W.data ** 2) + np.sum(net.head.W.data ** 2))
    np.testing.assert_allclose(l2[0] - plain[0], by_hand, rtol=1e-12)


def test_a_loader_batch_unlike_the_first_is_refused_naming_fit():
    r = np.random.RandomState(0)
    good = [(r.randn(3), 1.0), (r.randn(3), 0.0)]
    longer = good + [(r.randn(4), 1.0), (r.randn(4), 0.0)]
    with pytest.raises(ValueError, match=r"fit: the DataLoader gave a batch whose X is \(4, 2\), but its first "
                                         r"batch's X is \(3, 2\): every batch must be \(n_x, b\) = \(3, b\)"):
        nn.fit(nn.MLP([3, 2, 1], rng=0), DataLoader(longer, 2, shuffle=False), num_iterations=1, print_cost=False)
    with_nan = good + [(np.array([1.0, np.nan, 0.0]), 1.0)]
    with pytest.raises(ValueError, match=r"fit: the DataLoader gave a batch whose X contains NaN or Inf"):
        nn.fit(nn.MLP([3, 2, 1], rng=0), DataLoader(with_nan, 2, shuffle=False), num_iterations=1, print_cost=False)


def test_a_loader_of_integer_examples_trains_as_floats():
    r = np.random.RandomState(0)
    ints = [(r.randint(-3, 4, size=3), float(k % 2)) for k in range(6)]
    floats = [(x.astype(float), y) for x, y in ints]
    a, b = (nn.fit(nn.MLP([3, 2, 1], rng=0), DataLoader(data, 4, shuffle=False), lr=0.1, num_iterations=3,
                   print_cost=False) for data in (ints, floats))
    assert list(a) == list(b)
