"""The sequel's four experiments (examples/improving/) print the numbers the course's notebooks printed.

The oracle is the course's published output. Costs published with 16 digits must agree to
1e-9 relative (copies of the notebooks differ from one machine to the next in the 16th
digit); costs published with 6 decimals must round to them; accuracies must be equal.
The default run checks the first printed costs and short runs (seconds); the full runs
(about two minutes) are marked ``slow`` and run with ``pytest -m slow``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from _shared import DATASETS

IMPROVING = Path(__file__).resolve().parents[2] / "examples" / "improving"
FOOTBALL = DATASETS / "data.mat"

needs_football = pytest.mark.skipif(
    not FOOTBALL.is_file(),
    reason=f"the course's football data.mat is not at {FOOTBALL} (set TINYGRAD_NB_DATASETS to its folder)")

pytest.importorskip("sklearn", reason="the sequel's examples need scikit-learn (the `sequel` extra)")


@pytest.fixture
def full_run(request):
    """Full runs take minutes: they run only when asked for with ``-m slow``."""
    expression = request.config.getoption("markexpr") or ""
    if "slow" not in expression or "not slow" in expression:
        pytest.skip("a full run of the course's experiment: run it with pytest -m slow")


def example(name: str) -> ModuleType:
    """The example script ``name``.py, imported as a module (its ``_course`` beside it)."""
    if str(IMPROVING) not in sys.path:
        sys.path.insert(0, str(IMPROVING))
    module_name = f"improving_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, IMPROVING / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[module_name] = module
    return sys.modules[module_name]


class Printed:
    """The lines a run printed: costs and learning rates by iteration, accuracies, the difference."""

    def __init__(self, text: str):
        self.text = text
        self.costs = {int(i): float(c) for i, c in re.findall(r"^Cost after (?:iteration|epoch) (\d+): (\S+)$",
                                                             text, re.M)}
        self.rates = {int(i): float(r) for i, r in re.findall(r"^learning rate after epoch (\d+): (\S+)$", text, re.M)}
        self.accuracy = {k: float(a) for k, a in re.findall(r"^(train|test) accuracy: (\S+)$", text, re.M)}
        found = re.findall(r"^difference: (\S+)$", text, re.M)
        self.difference = float(found[0]) if found else None


def run(capsys, name: str, *args: str) -> Printed:
    example(name).main(list(args))
    return Printed(capsys.readouterr().out)


def assert_costs_16_digits(printed: Printed, published: dict[int, float]) -> None:
    for i, cost in published.items():
        assert printed.costs[i] == pytest.approx(cost, rel=1e-9, abs=0), f"cost after iteration {i}"


def assert_costs_6_decimals(printed: Printed, published: dict[int, float]) -> None:
    for i, cost in published.items():
        assert f"{printed.costs[i]:.6f}" == f"{cost:.6f}", f"cost after epoch {i}: {printed.costs[i]} vs {cost}"


# --- Initialization (week 1) -------------------------------------------------------------------

HE_COSTS = {0: 0.8830537463419761, 1000: 0.6879825919728063, 2000: 0.6751286264523371, 3000: 0.6526117768893807,
            4000: 0.6082958970572938, 5000: 0.5304944491717495, 6000: 0.4138645817071794, 7000: 0.3117803464844441,
            8000: 0.23696215330322562, 9000: 0.1859728720920684, 10000: 0.15015556280371808,
            11000: 0.12325079292273551, 12000: 0.09917746546525937, 13000: 0.08457055954024283,
            14000: 0.07357895962677362}
LOG_2 = 0.6931471805599453


def test_initialization_he_first_costs(capsys):
    printed = run(capsys, "initialization", "--init", "he", "--iterations", "1001")
    assert_costs_16_digits(printed, {0: HE_COSTS[0], 1000: HE_COSTS[1000]})


def test_initialization_zeros_stays_at_log_2(capsys):
    printed = run(capsys, "initialization", "--init", "zeros", "--iterations", "1001")
    assert_costs_16_digits(printed, {0: LOG_2, 1000: LOG_2})
    assert printed.accuracy == {"train": 0.5, "test": 0.5}


@pytest.mark.slow
def test_initialization_he_full_run(capsys, full_run):
    printed = run(capsys, "initialization", "--init", "he")
    assert_costs_16_digits(printed, HE_COSTS)
    assert printed.accuracy == {"train": 0.9933333333333333, "test": 0.96}


@pytest.mark.slow
def test_initialization_zeros_full_run(capsys, full_run):
    printed = run(capsys, "initialization", "--init", "zeros")
    assert_costs_16_digits(printed, {i: LOG_2 for i in range(0, 15_000, 1000)})
    assert printed.accuracy == {"train": 0.5, "test": 0.5}


@pytest.mark.slow
def test_initialization_random_full_run(capsys, full_run):
    printed = run(capsys, "initialization", "--init", "random")  # its costs are chaotic: not compared
    assert printed.accuracy == {"train": 0.83, "test": 0.86}


# --- Regularization (week 1) -------------------------------------------------------------------

REGULARIZATION = {  # options: (costs after iterations 0, 10000, 20000), train accuracy, test accuracy
    (): ({0: 0.6557412523481002, 10000: 0.16329987525724216, 20000: 0.13851642423255986},
         0.9478672985781991, 0.915),
    ("--lambd", "0.7"): ({0: 0.6974484493131264, 10000: 0.2684918873282239, 20000: 0.2680916337127301},
                         0.9383886255924171, 0.93),
    ("--keep-prob", "0.86"): ({0: 0.6543912405149825, 10000: 0.061016986574905605, 20000: 0.060582435798513114},
                              0.9289099526066351, 0.95),
}


@needs_football
@pytest.mark.parametrize("options", list(REGULARIZATION), ids=["baseline", "l2", "dropout"])
def test_regularization_first_cost(capsys, options):
    printed = run(capsys, "regularization", "--data", str(FOOTBALL), *options, "--iterations", "1")
    assert_costs_16_digits(printed, {0: REGULARIZATION[options][0][0]})


@needs_football
@pytest.mark.slow
@pytest.mark.parametrize("options", list(REGULARIZATION), ids=["baseline", "l2", "dropout"])
def test_regularization_full_run(capsys, full_run, options):
    costs, train, test = REGULARIZATION[options]
    printed = run(capsys, "regularization", "--data", str(FOOTBALL), *options)
    assert_costs_16_digits(printed, costs)
    assert printed.accuracy == {"train": train, "test": test}


def test_regularization_refuses_bad_options(capsys):
    for args, message in ((["--data", str(IMPROVING / "missing.mat")], "no such file"),
                          (["--data", __file__, "--keep-prob", "1.5"], "keep_prob must be in (0, 1]"),
                          (["--data", __file__, "--lambd", "0.7", "--keep-prob", "0.86"], "not allowed with")):
        with pytest.raises(SystemExit) as e:
            example("regularization").main(args)
        assert e.value.code == 2 and message in capsys.readouterr().err


# --- Gradient checking (week 1) ----------------------------------------------------------------

def test_gradient_checking_finds_the_courses_bugs(capsys):
    printed = run(capsys, "gradient_checking", "--buggy")
    assert printed.difference == pytest.approx(0.2850931567761623, rel=1e-12, abs=0)
    assert "There is a mistake in the backward propagation!" in printed.text


def test_gradient_checking_passes_autograd(capsys):
    printed = run(capsys, "gradient_checking")
    assert printed.difference is not None and printed.difference < 2e-7
    # the notebook's fixed backward gave 1.1890913024229996e-07: finite differences' own error dominates both
    assert printed.difference == pytest.approx(1.1890913024229996e-07, rel=1e-6)
    assert "Your backward propagation works perfectly fine!" in printed.text


def test_gradient_checking_runs_as_a_learner_runs_it():
    result = subprocess.run([sys.executable, str(IMPROVING / "gradient_checking.py"), "--buggy"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert Printed(result.stdout).difference == pytest.approx(0.2850931567761623, rel=1e-12, abs=0)


# --- Optimization methods (week 2) -------------------------------------------------------------

OPTIMIZATION = {  # (optimizer, decay): costs after epochs 0, 1000, ..., 4000 (6 decimals), train accuracy
    ("gd", "none"): ([0.702405, 0.668101, 0.635288, 0.600491, 0.573367], 0.7166666666666667),
    ("momentum", "none"): ([0.702413, 0.668167, 0.635388, 0.600591, 0.573444], 0.7166666666666667),
    ("adam", "none"): ([0.702166, 0.167845, 0.141316, 0.138788, 0.136066], 0.9433333333333334),
    ("gd", "inverse"): ([0.701091, 0.661884, 0.658620, 0.656765, 0.655486], None),
    ("gd", "scheduled"): ([0.701091, 0.127161, 0.120304, 0.117033, 0.117512], None),
    ("momentum", "scheduled"): ([0.702226, 0.128974, 0.125965, 0.123375, 0.123218], None),
    ("adam", "scheduled"): ([0.699346, 0.130074, 0.129826, 0.129282, 0.128361], None),
}
RATES = {  # the learning rate printed after epochs 0, 1000, ..., 4000 (6 decimals)
    "inverse": [0.1, 0.0001, 0.00005, 0.000033, 0.000025],
    "scheduled": [0.1, 0.05, 0.033333, 0.025, 0.02],
}


def optimization_ids(key):
    return "-".join(key)


@pytest.mark.parametrize("key", list(OPTIMIZATION), ids=optimization_ids)
def test_optimization_first_epoch(capsys, key):
    optimizer, decay = key
    printed = run(capsys, "optimization", "--optimizer", optimizer, "--decay", decay, "--epochs", "1")
    assert_costs_6_decimals(printed, {0: OPTIMIZATION[key][0][0]})
    if decay != "none":
        scale = 0.1 if optimizer == "adam" else 1.0
        assert f"{printed.rates[0]:.6f}" == f"{RATES[decay][0] * scale:.6f}"


def test_optimization_adam_after_1000_epochs(capsys):
    printed = run(capsys, "optimization", "--optimizer", "adam", "--epochs", "1001")
    assert_costs_6_decimals(printed, {0: 0.702166, 1000: 0.167845})


@pytest.mark.slow
@pytest.mark.parametrize("key", list(OPTIMIZATION), ids=optimization_ids)
def test_optimization_full_run(capsys, full_run, key):
    optimizer, decay = key
    costs, train_accuracy = OPTIMIZATION[key]
    printed = run(capsys, "optimization", "--optimizer", optimizer, "--decay", decay)
    assert_costs_6_decimals(printed, dict(zip(range(0, 5000, 1000), costs)))
    if decay != "none":
        scale = 0.1 if optimizer == "adam" else 1.0
        assert [f"{printed.rates[i]:.6f}" for i in range(0, 5000, 1000)] == [f"{r * scale:.6f}" for r in RATES[decay]]
    if train_accuracy is not None:
        assert printed.accuracy == {"train": train_accuracy}
