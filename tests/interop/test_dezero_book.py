"""The DeZero book's programs, ported (examples/dezero_book/), agree with DeZero itself run on the same inputs.

DeZero (the ``dezero`` extra of ``test``) runs the book's steps in a subprocess (_dezero_book_dezero.py: it
needs NumPy's removed ``np.int`` alias, restored in that process only) and writes every number they print; the
ports here must print the same. Where both compute in float64 (the calculus steps) they agree to rounding. The
training runs start from the same ``np.random.seed`` and draw the same numbers (the ports' ``init="dezero"`` and
their DataLoaders draw as DeZero does); DeZero's Linear draws W in float32 (``Linear(dtype=np.float32)``) while the
ports' layers are float64, so they agree to what that allows (``F32``).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn

HERE = Path(__file__).resolve().parent
BOOK = HERE.parents[1] / "examples" / "dezero_book"
F32 = dict(rtol=1e-6, atol=1e-9)  # DeZero's float32 weights against float64 ones (measured: 1.2e-8 at most)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"dezero_book_{name}", BOOK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


calculus, networks = _load("calculus"), _load("networks")


@pytest.fixture(scope="module")
def digits_train():
    data = nn.datasets.digits(task="multiclass")
    return data.X.T, data.Y[0].astype(np.int64)


@pytest.fixture(scope="module")
def dezero(tmp_path_factory, digits_train):
    """Every number the book's programs print, computed by DeZero."""
    if importlib.util.find_spec("dezero") is None:
        pytest.skip("DeZero is not installed (pip install dezero: the oracle of the book's programs)")
    folder = tmp_path_factory.mktemp("dezero")
    x, t = digits_train
    np.savez(folder / "in.npz", digits_x=x, digits_t=t)
    result = subprocess.run([sys.executable, str(HERE / "_dezero_book_dezero.py"), str(folder / "in.npz"),
                             str(folder / "out.json")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((folder / "out.json").read_text())


def test_rosenbrock_by_gradient_descent(dezero):
    got = calculus.rosenbrock(dezero["sizes"]["rosenbrock_iters"])
    np.testing.assert_allclose(got, dezero["rosenbrock"]["path"], rtol=1e-12)
    assert got[-1] == pytest.approx([0.6837, 0.4660], abs=1e-4)  # the book's printout after 1,000 iterations


def test_newtons_method_by_hand_and_by_double_backprop(dezero):
    np.testing.assert_allclose(calculus.newton_by_hand(), dezero["newton"]["by_hand"], rtol=1e-14)
    np.testing.assert_allclose(calculus.newton_double_backprop(), dezero["newton"]["double_backprop"], rtol=1e-14)


def test_sin_and_its_derivatives(dezero):
    for got, want in zip(calculus.sin_derivatives(), dezero["sin_derivatives"]["logs"], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_seven_derivatives_of_tanh(dezero):
    values, _ = calculus.tanh_derivatives()
    np.testing.assert_allclose(values, dezero["tanh_derivatives"]["values"], rtol=1e-12)


def test_the_sin_curve_network(dezero):
    want = dezero["sin_curve"]
    got = networks.sin_curve(dezero["sizes"]["sin_iters"], every=100)
    np.testing.assert_allclose(got, want["losses"], **F32)
    assert got[0] == pytest.approx(0.8165, abs=1e-4)  # the book's first printed loss
    data = nn.datasets.sin_curve()  # the port's data is the book's
    np.testing.assert_array_equal(data.X, np.array(want["x"]).T)
    np.testing.assert_array_equal(data.Y, np.array(want["y"]).T)


def test_the_spiral_through_a_data_loader(dezero):
    want = dezero["spiral"]
    data = nn.datasets.spiral()
    np.testing.assert_array_equal(data.X, np.array(want["x"], dtype=np.float32).astype(np.float64).T)
    np.testing.assert_array_equal(data.Y[0], want["t"])
    np.random.seed(0)  # as the oracle, after loading the data
    got = networks.spiral(dezero["sizes"]["spiral_epochs"])
    for part in ("train", "test"):
        np.testing.assert_allclose(got[part], want[part], **F32)


def test_the_digits_through_a_data_loader_of_pairs(dezero, digits_train):
    want = dezero["digits"]
    x, t = digits_train
    np.random.seed(0)
    got = networks.digits(x, t, dezero["sizes"]["digits_epochs"])
    np.testing.assert_allclose(got, want["train"], **F32)


def test_the_ports_learn_from_their_own_seeded_start():
    """The default draws (np.random's) and a shuffling loader are reproducible, and they learn the spiral."""
    np.random.seed(0)
    first = networks.spiral(60)
    np.random.seed(0)
    again = networks.spiral(60)
    assert first == again  # np.random.seed makes the weights and the batch order reproducible
    assert first["train"][-1][1] > 0.6 > first["train"][0][1]
