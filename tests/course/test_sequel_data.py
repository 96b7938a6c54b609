"""Pins of the course's generated data: a change in scikit-learn's generators is reported as such.

The sequel's notebooks draw their data with ``make_circles`` and ``make_moons`` after seeding
NumPy's global generator. If a scikit-learn release changes how those functions draw, the
course's published numbers can no longer be reproduced by any framework: these tests say
so, instead of the reproduction tests failing as if the framework were wrong.
The arrays are rounded to 12 decimals before hashing, so that a last-bit difference of a
platform's sin and cos does not count as a change.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
from _shared import DATASETS

sklearn = pytest.importorskip("sklearn", reason="the course's generated data needs scikit-learn (the `sequel` extra)")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "improving"))
import _course  # noqa: E402

PINS = {  # sha256 of X then Y (course layout), rounded to 12 decimals
    "make_circles train (seed 1, 300 points)": "c07f039718abff95c4e5f7a1a0bf8ad027aca0880e47190a3c15a956f39b85d0",
    "make_circles test (seed 2, 100 points)": "ff793b412f83f51dd84977d3cb046ec47d2e2e0abd234e18ed5e98d5b342d294",
    "make_moons (seed 3, 300 points)": "cd669a5aa117f2acb7dbe9b7bf8a79b130ff4c90b42693d0649d961bdc716540",
}


def digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update((np.round(np.asarray(a, dtype=np.float64), 12) + 0.0).tobytes())  # + 0.0: no -0.0
    return h.hexdigest()


def generated() -> dict[str, str]:
    circles, moons = _course.circles(), _course.moons()
    return dict(zip(PINS, (digest(circles.train.X, circles.train.Y), digest(circles.test.X, circles.test.Y),
                           digest(moons.X, moons.Y))))


@pytest.mark.parametrize("name", list(PINS))
def test_scikit_learn_still_generates_the_courses_data(name):
    assert generated()[name] == PINS[name], (
        f"scikit-learn {sklearn.__version__} no longer generates the course's {name} data: its generator "
        "changed, so the course's published numbers cannot be reproduced with it (this is not a framework bug)")


def test_the_generated_data_has_the_courses_shapes():
    circles, moons = _course.circles(), _course.moons()
    assert circles.train.X.shape == (2, 300) and circles.train.Y.shape == (1, 300)
    assert circles.test.X.shape == (2, 100) and circles.test.Y.shape == (1, 100)
    assert moons.X.shape == (2, 300) and moons.Y.shape == (1, 300)
    assert set(np.unique(moons.Y)) == {0, 1}


@pytest.mark.skipif(not (DATASETS / "data.mat").is_file(), reason=f"the course's data.mat is not at {DATASETS}")
def test_the_football_data_has_the_courses_shapes():
    data = _course.football(DATASETS / "data.mat")
    assert data.train.X.shape == (2, 211) and data.train.Y.shape == (1, 211)
    assert data.test.X.shape == (2, 200) and data.test.Y.shape == (1, 200)
