"""fit's progress bar: printed cost lines stay above it, a notebook without ipywidgets gets the text bar,
no bar off a terminal, and progress=True without tqdm names the extra."""

import contextlib
import io
import re
import sys
import types
import warnings

import numpy as np
import pytest

import nn
from nn.training import progress as progress_module


def test_progress_true_without_tqdm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    data = nn.datasets.planar()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.fit(nn.MLP([2, 4, 1], rng=0), data.X, data.Y, num_iterations=2, print_cost=False, progress=True)
    assert any("tinygrad-nb[progress]" in str(w.message) for w in caught), [str(w.message) for w in caught]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default, progress=None, stays quiet
        nn.fit(nn.MLP([2, 4, 1], rng=0), data.X, data.Y, num_iterations=2, print_cost=False)
    assert np.isfinite(nn.accuracy(nn.MLP([2, 4, 1], rng=0), data))


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
