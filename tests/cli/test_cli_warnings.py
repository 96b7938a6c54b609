"""``tinygrad-nb train`` prints fit's warnings as one line each, ``tinygrad-nb train: warning: ...``, with the advice
in its own flags (--lr, --hidden, --init), never Python's file:line form, its source line or Python code; and the
README's first command (the defaults) prints none."""

import json
import re
import warnings

import pytest

from nn.training.training_warnings import DeadNetworkWarning, DivergenceWarning, OscillatingCostWarning
from tinygrad_nb_cli.cli import build_parser, main
from tinygrad_nb_cli.outputs import training_warnings, warning_line

PYTHON = re.compile(r"\.py:\d+|Warning:|fit\(|SGD\(|init='|hidden='|lr=\d")


def run_train(tmp_path, capsys, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning that escapes the CLI's own lines fails the test
        assert main(["train", *args, "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    return out, [line for line in err.splitlines() if line.strip()]


def flags_of(line):
    """The flags a warning line suggests, checked against train's parser: each must parse."""
    advice = line.rsplit("; try ", 1)[1]
    for option in advice.split(", or "):
        build_parser().parse_args(["train", *option.split()])
    return advice


def test_the_default_demo_prints_no_warning(tmp_path, capsys):
    out, err = run_train(tmp_path, capsys)  # `make demo`: digits, every setting its default
    assert err == []
    assert "warning" not in out.lower()
    assert json.loads((tmp_path / "run" / "costs.json").read_text())["divergence"] is None


def test_planars_rate_on_relu_is_one_line_naming_tanh_and_a_smaller_rate(tmp_path, capsys):
    out, err = run_train(tmp_path, capsys, "--dataset", "planar", "--hidden", "relu", "--iterations", "2000")
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith("tinygrad-nb train: warning: the cost oscillates: ") and not PYTHON.search(line)
    assert flags_of(line) == "--hidden tanh, or --lr 0.12"  # planar's default lr 1.2, a tenth
    assert "train accuracy" in out  # training went on to the end


def test_a_tiny_rate_is_one_line_naming_a_rate_that_moves_the_cost(tmp_path, capsys):
    _, err = run_train(tmp_path, capsys, "--lr", "1e-9", "--iterations", "120")
    assert len(err) == 1 and err[0].startswith("tinygrad-nb train: warning: the network is not learning: ")
    assert "too small" in err[0] and not PYTHON.search(err[0])
    lr = float(flags_of(err[0]).removeprefix("--lr "))
    assert 1e-4 <= lr <= 1  # a rate that trains the digits, not 1e-9 again (the default is 0.1)


def test_divergence_is_one_line_with_a_tenth_of_the_rate(tmp_path, capsys):
    _, err = run_train(tmp_path, capsys, "--lr", "50", "--iterations", "20")
    assert len(err) == 1 and err[0].startswith("tinygrad-nb train: warning: training diverged: ")
    assert not PYTHON.search(err[0]) and flags_of(err[0]) == "--lr 5"


@pytest.mark.parametrize(("warning", "line"), [
    (DeadNetworkWarning(diagnosis="the network is not learning: A[2] = 0", advice_text="try He initialisation "
                        "(init='he')", suggestion={"init": "he", "hidden": "leaky_relu", "lr_scale": 0.1}),
     "tinygrad-nb train: warning: the network is not learning: A[2] = 0; try --init he, or --hidden leaky_relu, or "
     "--lr 0.5"),
    (OscillatingCostWarning(diagnosis="the cost oscillates: x", advice_text="advice", suggestion={"lr_scale": 0.1}),
     "tinygrad-nb train: warning: the cost oscillates: x; try --lr 0.5"),
    (DivergenceWarning(diagnosis="training diverged: the cost is nan at iteration 3; training stopped",
                       advice_text="try a smaller learning rate, e.g. SGD(model.parameters(), lr=0.5) (a tenth of 5)"),
     "tinygrad-nb train: warning: training diverged: the cost is nan at iteration 3; training stopped; try --lr 0.5"),
])
def test_each_suggestion_becomes_trains_flags(warning, line):
    assert warning_line(warning, lr=5.0) == line
    flags_of(line)


def test_other_warnings_go_where_they_went_before(capsys):
    with warnings.catch_warnings(record=True) as before:  # the handler in place before the CLI's
        warnings.simplefilter("always")
        with training_warnings(0.1):
            warnings.warn("something else", UserWarning, stacklevel=1)
            warnings.warn(OscillatingCostWarning(diagnosis="the cost oscillates: y", advice_text="z",
                                                 suggestion={"lr_scale": 0.1}), stacklevel=1)
    assert [str(w.message) for w in before] == ["something else"]
    assert capsys.readouterr().err == "tinygrad-nb train: warning: the cost oscillates: y; try --lr 0.01\n"
