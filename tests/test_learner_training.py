"""A learner's first hour with nn.fit: defaults that train, divergence said out loud, the last cost kept,
a progress bar that does not swallow the printed lines, BLAS threads, and messages that name the fix."""

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
from _shared import DATASETS, TRAIN, needs_cat_data

import nn
from nn.training import progress as progress_module
from nn.training.defaults import default_settings
from nn.training.divergence import DivergenceWarning

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits():
    return nn.datasets.digits(task="binary", seed=1)


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


# --- 2. divergence ------------------------------------------------------------------------------------------


def test_a_huge_learning_rate_is_reported_once_with_the_iteration_and_a_smaller_rate(digits, capsys):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    with pytest.warns(DivergenceWarning) as caught:
        costs = nn.fit(model, digits.train.X, digits.train.Y, lr=1e4, num_iterations=200, print_every=100)
    assert len([w for w in caught if w.category is DivergenceWarning]) == 1
    message = str(caught[0].message)
    assert re.search(r"since iteration \d+, binary cross-entropy.s floor", message) and "fit(..., lr=1000)" in message
    assert len(costs) == 3  # "warn" trains on


def test_stop_ends_training_and_returns_the_costs_so_far(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    history: dict = {}
    with pytest.warns(DivergenceWarning, match="training stopped"):
        costs = nn.fit(model, digits.train.X, digits.train.Y, lr=1e4, num_iterations=500, record_every=1,
                       print_cost=False, on_divergence="stop", history=history)
    assert 3 <= len(costs) < 20 and history["iterations"][-1] == len(costs) - 1
    assert "training stopped" in history["divergence"]


def test_ignore_warns_nothing_and_bad_values_are_refused(digits):
    model = nn.MLP([64, 32, 16, 1], rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        nn.fit(model, digits.train.X, digits.train.Y, lr=1e4, num_iterations=50, print_cost=False,
               on_divergence="ignore")
    with pytest.raises(ValueError, match="on_divergence must be one of 'warn', 'stop', 'ignore'"):
        nn.fit(model, digits.train.X, digits.train.Y, on_divergence="raise")


def test_a_rising_cost_is_noticed():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
    with pytest.warns(DivergenceWarning, match=r"rising for 50 iterations.*lr=5"):
        nn.fit(model, data.X, data.Y, lr=50, num_iterations=300, print_cost=False)


def test_a_nan_cost_stops_training_even_under_warn():
    X = np.random.RandomState(0).randn(3, 20) * 100
    Y = X[:1] * 50
    model = nn.MLP([3, 5, 1], output="identity", rng=0)
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.warns(DivergenceWarning, match=r"the cost is (nan|inf) at iteration \d+.*training stopped"):
        costs = nn.fit(model, X, Y, loss="mse", lr=10.0, num_iterations=1000, print_cost=False, record_every=1)
    assert len(costs) < 1000


def test_the_courses_planar_run_raises_no_alarm():
    data = nn.datasets.planar()
    model = nn.MLP([2, 4, 1], hidden="tanh", init="small_random", rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        costs = nn.fit(model, data.X, data.Y, lr=1.2, num_iterations=10_000, print_cost=False)
    assert costs[-1] < 0.25


# --- 2b. the course's own runs raise no alarm (shortened; the full runs were checked too) --------------------

IMPROVING = Path(__file__).resolve().parents[1] / "examples" / "improving"
FOOTBALL = DATASETS / "data.mat"


def run_example(name, argv):
    pytest.importorskip("sklearn", reason="the sequel's examples need scikit-learn (the `sequel` extra)")
    if str(IMPROVING) not in sys.path:
        sys.path.insert(0, str(IMPROVING))
    spec = importlib.util.spec_from_file_location(f"learner_{name}", IMPROVING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("error", DivergenceWarning)
        return module.main(argv)


@pytest.mark.parametrize("argv", [["--init", "zeros"], ["--init", "random"], ["--init", "he"]])
def test_initialization_runs(argv):
    run_example("initialization", [*argv, "--iterations", "1000"])  # zeros: a flat cost is not divergence


@pytest.mark.parametrize("argv", [["--optimizer", "adam"], ["--optimizer", "momentum"],
                                  ["--optimizer", "gd", "--decay", "scheduled"],
                                  ["--optimizer", "adam", "--decay", "inverse"]])
def test_optimization_runs_with_noisy_mini_batch_costs(argv):
    run_example("optimization", [*argv, "--epochs", "600"])


@pytest.mark.skipif(not FOOTBALL.is_file(), reason=f"the course's data.mat is not at {FOOTBALL}")
@pytest.mark.parametrize("argv", [["--keep-prob", "0.86"], ["--lambd", "0.7"]])
def test_regularization_runs(argv):
    pytest.importorskip("scipy")
    run_example("regularization", ["--data", str(FOOTBALL), *argv, "--iterations", "1500"])


@needs_cat_data
def test_the_cat_run_raises_no_alarm():
    train = nn.datasets.load_course_h5(TRAIN)
    model = nn.MLP([12288, 20, 7, 5, 1], rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        costs = nn.fit(model, train.X, train.Y, lr=0.0075, num_iterations=150, print_cost=False)
    assert costs[-1] < costs[0]


# --- 3. the last cost ---------------------------------------------------------------------------------------


def test_the_last_iteration_is_recorded(capsys):
    data = nn.datasets.planar(m=40)
    history: dict = {}
    costs = nn.fit(nn.MLP([2, 3, 1], rng=0), data.X, data.Y, lr=0.5, num_iterations=250, history=history)
    printed = capsys.readouterr().out
    assert history["iterations"] == [0, 100, 200, 249] and len(costs) == 4 and history["costs"] == costs
    assert f"Cost after iteration 249: {costs[-1]}" in printed


# --- 6. progress --------------------------------------------------------------------------------------------


def test_cost_lines_are_written_above_the_bar_not_glued_to_it():
    pytest.importorskip("tqdm")
    data = nn.datasets.planar(m=40)
    both = io.StringIO()
    with contextlib.redirect_stdout(both), contextlib.redirect_stderr(both):
        nn.fit(nn.MLP([2, 3, 1], rng=0), data.X, data.Y, lr=0.5, num_iterations=300, print_every=100,
               progress=True)
    text = both.getvalue()
    assert "cost=" in text  # the bar was drawn
    assert text.count("Cost after iteration") == 4
    assert not re.search(r"[^\r\n]Cost after", text), text


def test_a_notebook_without_ipywidgets_gets_the_text_bar_and_no_warning(monkeypatch):
    std = pytest.importorskip("tqdm.std")
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    real = progress_module.importlib.util.find_spec
    monkeypatch.setattr(progress_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert progress_module.bar_class() is std.tqdm
        bar = progress_module.Progress(10, None)  # a notebook is watched: a delayed bar
        assert bar.bar is not None and bar.bar.delay == progress_module.DELAY
        bar.close()


def test_progress_none_shows_no_bar_off_a_terminal():
    assert progress_module.Progress(10, None).bar is None  # pytest's stderr is not a terminal
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        nn.fit(nn.MLP([2, 1]), np.ones((2, 3)), np.ones((1, 3)), progress="yes")


# --- 7. BLAS threads ----------------------------------------------------------------------------------------

BLAS_PROBE = """
import numpy as np, nn
from threadpoolctl import threadpool_info, threadpool_limits
def blas(): return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
seen = []
def loss(A, Y):
    seen.append(blas())
    return nn.binary_cross_entropy(A, Y)
with threadpool_limits(2, user_api="blas"):
    before = blas()
    nn.fit(nn.MLP([2, 3, 1], rng=0), np.ones((2, 4)), np.ones((1, 4)), loss=loss, num_iterations=2,
           print_cost=False, jit=False, **KWARGS)
    print(before, seen[0], blas())
"""


@pytest.mark.parametrize("env, kwargs, inside", [({}, {}, 1), ({"OMP_NUM_THREADS": "2"}, {}, 2),
                                                 ({"OPENBLAS_NUM_THREADS": "2"}, {"blas_threads": 1}, 1)])
def test_fit_limits_blas_threads_and_restores_them(env, kwargs, inside):
    pytest.importorskip("threadpoolctl")
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: one BLAS thread either way")
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    code = BLAS_PROBE.replace("**KWARGS", f"**{kwargs!r}")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**clean, **env}, timeout=60)
    assert out.returncode == 0, out.stderr
    before, seen, after = (eval(part + "]") for part in out.stdout.strip().rstrip("]").split("] "))
    assert before == after == [2] and seen == [inside]


# --- 8. messages that name the fix --------------------------------------------------------------------------


@pytest.mark.parametrize("transform, hint", [
    (lambda X, Y: (X.T, Y), r"did you mean X\.T\?"),
    (lambda X, Y: (X, Y.T), r"did you mean Y\.T\?"),
    (lambda X, Y: (X.T, Y.T), r"did you mean X\.T and Y\.T\?"),
])
def test_transposed_data_gets_a_did_you_mean(transform, hint):
    X, Y = np.random.RandomState(0).rand(5, 30), np.ones((1, 30))
    with pytest.raises(ValueError, match=hint):
        nn.fit(nn.MLP([5, 3, 1]), *transform(X, Y), num_iterations=1)
    model = nn.MLP([5, 3, 1])
    with pytest.raises(ValueError, match=r"expects X with 5 rows \(n_x = n\[0\] = 5\).*did you mean X\.T\?"):
        nn.predict(model, X.T[:7])  # 7 examples of 5 features, one per row
    with pytest.raises(ValueError, match=r"did you mean X\.T\?"):
        nn.accuracy(model, X.T, Y)


@pytest.mark.parametrize("output, loss, fix", [
    ("sigmoid", "cross_entropy", "output='identity'"),
    ("softmax", nn.CrossEntropyLoss(), "output='identity'"),
    ("identity", "binary_cross_entropy", "binary_cross_entropy_with_logits"),
    ("sigmoid", "binary_cross_entropy_with_logits", "loss='binary_cross_entropy'"),
    ("softmax", "binary_cross_entropy", "loss='cross_entropy'"),
])
def test_a_loss_that_cannot_take_the_output_is_refused_with_the_fix(output, loss, fix):
    n_y = 3 if output == "softmax" else 1
    model = nn.MLP([2, 4, n_y], output=output, rng=0)
    with pytest.raises(ValueError, match=re.escape(fix)):
        nn.fit(model, np.ones((2, 4)), np.zeros((1, 4)), loss=loss, num_iterations=1, print_cost=False)


def test_a_custom_loss_and_a_custom_model_are_accepted():
    model = nn.MLP([2, 4, 1], output="sigmoid", rng=0)
    costs = nn.fit(model, np.ones((2, 4)), np.zeros((1, 4)), loss=lambda A, Y: nn.cross_entropy(A, Y),
                   num_iterations=1, print_cost=False)
    assert np.isfinite(costs).all()


def test_a_dropout_after_the_output_layer_does_not_hide_a_mismatched_loss():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Dropout(keep_prob=0.9, rng=0))
    with pytest.raises(ValueError, match=re.escape("output='identity'")):
        nn.fit(model, np.ones((2, 4)), np.zeros((1, 4)), loss="cross_entropy", num_iterations=1, print_cost=False)
