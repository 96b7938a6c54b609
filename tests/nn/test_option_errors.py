"""Issue 9, clear errors: every public nn function checks its options with nn.validate, before
any work, and says in one line which option is wrong, what it must be and what it got."""

import math

import numpy as np
import pytest

import nn
from tinygrad_nb import Tensor

X, Y = np.random.RandomState(0).rand(3, 6), np.array([[0.0, 1.0, 1.0, 0.0, 1.0, 0.0]])


def model():
    return nn.MLP([3, 2, 1], rng=0)


# ----- the messages README.md quotes ----------------------------------------------------------------


def test_the_messages_the_readme_quotes():
    with pytest.raises(ValueError, match=r"^layer_dims\[1\] = n\[1\] must be a positive int, got 0$"):
        nn.MLP([3, 0, 1])
    with pytest.raises(ValueError, match=r"^lr must be positive, got -0\.1$"):
        nn.fit(model(), X, Y, lr=-0.1)
    with pytest.raises(TypeError, match=r"^batch_size must be a positive int or None, got True$"):
        nn.fit(model(), X, Y, batch_size=True)


# ----- the calls the issue names ---------------------------------------------------------------------


def test_fit_refuses_a_loss_that_returns_a_float():
    with pytest.raises(TypeError, match="loss must return the cost J as a Tensor .* got float"):
        nn.fit(model(), X, Y, loss=lambda A, Y: 0.5, num_iterations=1, print_cost=False)
    with pytest.raises(ValueError, match=r"one-element cost J, got shape \(1, 6\)"):
        nn.fit(model(), X, Y, loss=lambda A, Y: A - Tensor(Y), num_iterations=1, print_cost=False)
    with pytest.raises(TypeError, match="loss must be a name"):
        nn.fit(model(), X, Y, loss=3)


@pytest.mark.parametrize("call", [lambda m: nn.fit(m, X, Y), lambda m: nn.predict(m, X),
                                  lambda m: nn.accuracy(m, X, Y)])
@pytest.mark.parametrize("not_a_model", [None, "mlp", lambda X: X, {"W1": np.ones((1, 3))}])
def test_a_model_that_is_not_a_module_is_refused(call, not_a_model):
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        call(not_a_model)


def test_an_optimizer_given_by_name_is_refused_with_the_way_to_pass_it():
    with pytest.raises(TypeError, match=r"not the name 'adam'.*nn\.optim\.Adam\(model\.parameters\(\)"):
        nn.fit(model(), X, Y, optimizer="adam")
    with pytest.raises(TypeError, match="optimizer must be an nn.optim Optimizer"):
        nn.fit(model(), X, Y, optimizer=object())


@pytest.mark.parametrize("keep_prob, error, message", [
    ("x", TypeError, r"MLP: keep_prob must be a number in \(0, 1\], got 'x'"),
    (2, ValueError, r"MLP: keep_prob must be in \(0, 1\], got 2"),
    (0, ValueError, r"MLP: keep_prob must be in \(0, 1\], got 0"),
    (math.nan, ValueError, "MLP: keep_prob must be a finite number"),
    (True, TypeError, "MLP: keep_prob"),
])
def test_mlp_keep_prob(keep_prob, error, message):
    with pytest.raises(error, match=message):
        nn.MLP([3, 2, 1], keep_prob=keep_prob)


# None is the default (0.5 on probabilities, 0 on logits)
@pytest.mark.parametrize("threshold, error", [("a", TypeError), (True, TypeError), (math.nan, ValueError)])
def test_predict_threshold(threshold, error):
    with pytest.raises(error, match="threshold must be"):
        nn.predict(model(), X, threshold=threshold)


@pytest.mark.parametrize("dtype", [bool, np.int64, np.complex128])
def test_load_state_dict_refuses_arrays_that_are_not_float_naming_the_key(dtype):
    m = model()
    before = m.state_dict()
    state = {**before, "W2": np.ones((1, 2), dtype=dtype)}
    with pytest.raises(ValueError, match=f"'W2' must be a float array, got dtype {np.dtype(dtype)}"):
        m.load_state_dict(state)
    np.testing.assert_array_equal(m.state_dict()["W1"], before["W1"])


@pytest.mark.parametrize("lambd, error", [(math.nan, ValueError), (math.inf, ValueError), (-0.1, ValueError),
                                          ("0.7", TypeError), (True, TypeError)])
def test_fit_refuses_a_bad_lambd_up_front(lambd, error, capsys):
    with pytest.raises(error, match=r"^lambd must be"):
        nn.fit(model(), X, Y, lambd=lambd, num_iterations=2)
    assert capsys.readouterr().out == ""  # refused before the first iteration


@pytest.mark.parametrize("lambd", [math.nan, math.inf, -math.inf])
def test_l2_penalty_refuses_nan_and_inf(lambd):
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(ValueError, match="l2_penalty: lambd must be a finite number"):
        nn.l2_penalty([W], lambd, 4)
    with pytest.raises(TypeError, match="l2_penalty: m must be a positive int, got True"):
        nn.l2_penalty([W], 0.1, True)


@pytest.mark.parametrize("bad", [7.0, math.nan, 0.5, -1.0])
def test_accuracy_refuses_labels_that_are_not_zero_or_one(bad):
    labels = Y.copy()
    labels[0, 2] = bad
    with pytest.raises(ValueError, match=r"accuracy: Y must hold only 0 and 1"):
        nn.accuracy(model(), X, labels)


def test_accuracy_refuses_labels_a_multiclass_model_cannot_predict():
    softmax = nn.MLP([3, 4], output="softmax", rng=0)
    with pytest.raises(ValueError, match=r"integers in 0\.\.3"):
        nn.accuracy(softmax, X, np.array([[0, 1, 2, 3, 4, 0]]))
    with pytest.raises(ValueError, match="must be one-hot"):
        nn.accuracy(softmax, X, np.full((4, 6), 0.25))
    with pytest.raises(ValueError, match=r"labels \(1, m\) or one-hot \(4, m\), got shape \(2, 6\)"):
        nn.accuracy(softmax, X, np.zeros((2, 6)))
    assert nn.accuracy(softmax, X, np.array([[0, 1, 2, 3, 3, 0]])) == nn.accuracy(
        softmax, X, np.eye(4)[[0, 1, 2, 3, 3, 0]].T)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_predict_refuses_nan_or_inf_in_X(value):
    bad = X.copy()
    bad[1, 1] = value
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        nn.predict(model(), bad)


# ----- every other numeric option of the public API ----------------------------------------------------


def param():
    return [Tensor(np.zeros(2), requires_grad=True)]


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.Linear(3, 2.0), TypeError, "Linear: n_out must be a positive int"),
    (lambda: nn.Linear(True, 2), TypeError, "Linear: n_in must be a positive int"),
    (lambda: nn.Linear(3, 2, index=0), ValueError, "Linear: index must be a positive int or None"),
    (lambda: nn.LeakyReLU("0.1"), TypeError, "LeakyReLU: slope"),
    (lambda: nn.LeakyReLU(math.nan), ValueError, "LeakyReLU: slope must be a finite number"),
    (lambda: nn.Softmax(axis=0.0), TypeError, "Softmax: axis must be an int"),
    (lambda: nn.Dropout(keep_prob="0.5"), TypeError, "Dropout: keep_prob"),
    (lambda: nn.MLP([3, 1], slope=2), ValueError, "MLP: slope must be in [0, 1)"),
    (lambda: nn.MLP([3, 2, 1], hidden=["relu"]), TypeError, "an activation is named by a string"),
    (lambda: nn.init.small_random((2, 2), 0, scale=-1), ValueError, "small_random: scale must be positive"),
    (lambda: nn.init.he((2, True), 0), ValueError, "positive ints"),
    (lambda: nn.init.as_rng(-1), ValueError, "rng (a seed) must be an int in [0, 4294967295]"),
    (lambda: nn.optim.SGD(param(), 0.1, momentum=1.0), ValueError, "SGD: momentum must be in [0, 1)"),
    (lambda: nn.optim.SGD(param(), 0.1, momentum="0.9"), TypeError, "SGD: momentum"),
    (lambda: nn.optim.RMSprop(param(), beta=1.0), ValueError, "beta must be in (0, 1)"),
    (lambda: nn.optim.Adam(param(), beta2=math.nan), ValueError, "beta2 must be a finite number"),
    (lambda: nn.optim.Adam(param(), eps=0), ValueError, "eps must be positive"),
    (lambda: nn.optim.InverseTimeDecay(nn.optim.SGD(param(), 0.1), decay_rate=math.inf), ValueError, "decay_rate"),
    (lambda: nn.optim.InverseTimeDecay(nn.optim.SGD(param(), 0.1), 1.0, time_interval=True), TypeError,
     "time_interval must be a positive int"),
    (lambda: nn.fit(model(), X, Y, num_iterations=1.5), TypeError, "num_iterations must be an int >= 0"),
    (lambda: nn.fit(model(), X, Y, seed=-1), ValueError, "seed must be an int in [0, 4294967295]"),
    (lambda: nn.fit(model(), X, Y, record_every=0), ValueError, "record_every must be a positive int or None"),
    (lambda: nn.fit(model(), X, Y, print_every=2.0), TypeError, "print_every must be a positive int"),
    (lambda: nn.cross_entropy(Tensor(np.zeros((3, 2))), np.array([[0.5, 0.5], [-0.5, 0.5], [1.0, 0.0]])),
     ValueError, "class probabilities >= 0"),
    (lambda: nn.mse(Tensor(np.zeros((1, 2))), np.array([[np.nan, 0.0]])), ValueError, "mse: Y contains NaN or Inf"),
    (lambda: nn.check_against_closed_form(model(), X, Y, verbose=False).passed("1e-10"), TypeError, "tolerance"),
    (lambda: model().astype("not a dtype"), TypeError, "astype: expected a float dtype"),
    (lambda: model().train("no"), TypeError, "train: mode must be True or False"),
])
def test_every_numeric_option_is_checked(call, error, words):
    with pytest.raises(error) as err:
        call()
    assert words in str(err.value) and "\n" not in str(err.value)


def test_check_against_closed_form_refuses_a_shared_layer_and_bad_data():
    lin = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="distinct Linear layer"):
        nn.check_against_closed_form(nn.Sequential(lin, nn.Tanh(), lin, nn.Sigmoid()), X, Y)
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        nn.check_against_closed_form(model(), np.full((3, 6), np.nan), Y)


@pytest.mark.parametrize("print_every", [0, None])
def test_fit_print_every_zero_or_none_names_print_cost(print_every):
    with pytest.raises(ValueError, match=r"fit: print_every must be a positive int .*pass print_cost=False"):
        nn.fit(model(), X, np.zeros((1, X.shape[1])), print_every=print_every, num_iterations=1)
