"""The sequel's runs (examples/improving/, shortened) raise no divergence alarm, and learn what the course
says they learn: zeros keep the cost at log 2 and the accuracy at 0.5 (symmetry is never broken), every
other run ends with a lower cost than it started with and beats chance on its training set."""

import contextlib
import importlib.util
import io
import math
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from _shared import DATASETS

from nn.training.divergence import DivergenceWarning

# --- 2b. the course's own runs raise no alarm (shortened; the full runs were checked too) --------------------

IMPROVING = Path(__file__).resolve().parents[2] / "examples" / "improving"
FOOTBALL = DATASETS / "data.mat"


def run_example(name, argv):
    pytest.importorskip("sklearn", reason="the sequel's examples need scikit-learn (the `sequel` extra)")
    if str(IMPROVING) not in sys.path:
        sys.path.insert(0, str(IMPROVING))
    spec = importlib.util.spec_from_file_location(f"learner_{name}", IMPROVING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    printed = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("error", DivergenceWarning)
        result = module.main(argv)
    costs = [float(c) for c in re.findall(r"^Cost after (?:iteration|epoch) \d+: (\S+)$", printed.getvalue(), re.M)]
    assert len(costs) >= 2 and all(math.isfinite(c) for c in costs), printed.getvalue()
    return result, costs


def assert_learned(result, costs):
    assert costs[-1] < costs[0]
    assert result["train_accuracy"] > 0.5, result  # the classes are balanced: better than chance


@pytest.mark.parametrize("argv", [["--init", "zeros"], ["--init", "random"], ["--init", "he"]])
def test_initialization_runs(argv):
    result, costs = run_example("initialization", [*argv, "--iterations", "1000"])
    if argv[1] == "zeros":  # a flat cost, which is not divergence
        np.testing.assert_allclose(costs, math.log(2), rtol=0, atol=1e-12)
        assert result == {"train_accuracy": 0.5, "test_accuracy": 0.5}
    else:
        assert_learned(result, costs)


@pytest.mark.parametrize("argv", [["--optimizer", "adam"], ["--optimizer", "momentum"],
                                  ["--optimizer", "gd", "--decay", "scheduled"],
                                  ["--optimizer", "adam", "--decay", "inverse"]])
def test_optimization_runs_with_noisy_mini_batch_costs(argv):
    assert_learned(*run_example("optimization", [*argv, "--epochs", "600"]))


@pytest.mark.skipif(not FOOTBALL.is_file(), reason=f"the course's data.mat is not at {FOOTBALL}")
@pytest.mark.parametrize("argv", [["--keep-prob", "0.86"], ["--lambd", "0.7"]])
def test_regularization_runs(argv):
    pytest.importorskip("scipy")
    result, costs = run_example("regularization", ["--data", str(FOOTBALL), *argv, "--iterations", "1500"])
    assert_learned(result, costs)
    assert result["test_accuracy"] > 0.9  # the course's unregularised model: 0.915 after 30000 iterations


def test_the_courses_large_initialisation_is_named_as_the_cause_of_its_bouncing_cost():
    """randn * 10 (the course's 'random' run): the cost bounces, and the warning blames the start, not the rate."""
    from nn.training.divergence import OscillatingCostWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OscillatingCostWarning)
        run_example("initialization", ["--init", "random", "--iterations", "1000"])
    found = [w.message for w in caught if isinstance(w.message, OscillatingCostWarning)]
    assert found, "the large initialisation's cost bounces for hundreds of iterations"
    assert "the weights are large" in str(found[0]) and "init='he'" in str(found[0])
    assert found[0].suggestion["init"] == "he"
