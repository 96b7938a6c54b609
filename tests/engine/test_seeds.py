"""Reproducible seeds (issue 26): ``rng=None`` is NumPy's global generator, so ``np.random.seed(s)`` and
``tinygrad_nb.manual_seed(s)`` make the default draws repeat, with the course's exact numbers; an int is a
fresh RandomState's seed; a RandomState or Generator passes through."""

import subprocess
import sys

import numpy as np
import pytest

import tinygrad_nb
from tinygrad_nb import Tensor
from tinygrad_nb.random_state import SEED_MAX, default_rng_of, global_generator

DRAWS = {
    "randn": (lambda: tinygrad_nb.randn(3, 4), lambda: np.random.randn(3, 4)),
    "rand": (lambda: tinygrad_nb.rand(2, 5), lambda: np.random.rand(2, 5)),
    "randint": (lambda: tinygrad_nb.randint(-3, 7, (4, 2)), lambda: np.random.randint(-3, 7, size=(4, 2),
                                                                                       dtype=np.int64)),
}


@pytest.fixture(autouse=True)
def _keep_the_global_generator():
    """These tests seed NumPy's global generator; leave it as it was for the tests after them."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


@pytest.mark.parametrize("kind", sorted(DRAWS))
def test_np_random_seed_makes_the_default_draws_repeat(kind):
    draw, _ = DRAWS[kind]
    np.random.seed(5)
    first, second = draw().data, draw().data
    np.random.seed(5)
    again_first, again_second = draw().data, draw().data
    np.testing.assert_array_equal(first, again_first)
    np.testing.assert_array_equal(second, again_second)
    assert not np.array_equal(first, second)  # the generator moved between the two draws


@pytest.mark.parametrize("kind", sorted(DRAWS))
def test_the_default_draws_are_numpys_global_draws(kind):
    """As the course's ``np.random.seed(1)`` then ``np.random.randn(...)``: the same numbers, in the same order."""
    draw, numpy_draw = DRAWS[kind]
    np.random.seed(1)
    ours = [draw().data, draw().data]
    np.random.seed(1)
    theirs = [numpy_draw(), numpy_draw()]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 1, 2**31, SEED_MAX, np.int64(7)])
def test_manual_seed_equals_np_random_seed(seed):
    assert tinygrad_nb.manual_seed(seed) is None
    ours = (tinygrad_nb.randn(2, 3).data, tinygrad_nb.randint(10, (5,)).data, np.random.rand(2))
    np.random.seed(seed)
    theirs = (np.random.randn(2, 3), np.random.randint(0, 10, size=(5,), dtype=np.int64), np.random.rand(2))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_course_initialisation_is_reproduced():
    """initialize_parameters_deep of the course: np.random.seed(1); W[l] = randn(n[l], n[l-1]) / sqrt(n[l-1])."""
    dims = [5, 4, 3]
    np.random.seed(1)
    course = [np.random.randn(dims[i], dims[i - 1]) / np.sqrt(dims[i - 1]) for i in range(1, len(dims))]
    tinygrad_nb.manual_seed(1)
    ours = [tinygrad_nb.randn(dims[i], dims[i - 1]) / np.sqrt(dims[i - 1]) for i in range(1, len(dims))]
    for W_course, W in zip(course, ours, strict=True):
        np.testing.assert_allclose(W.data, W_course, rtol=0, atol=0)


def test_an_int_rng_is_a_fresh_random_state_and_leaves_the_global_one_alone():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    a = tinygrad_nb.randn(3, 2, rng=4).data
    np.testing.assert_array_equal(a, np.random.RandomState(4).randn(3, 2))
    np.testing.assert_array_equal(tinygrad_nb.randn(3, 2, rng=4).data, a)  # fresh each call
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_a_random_state_or_generator_passes_through_and_advances():
    rs = np.random.RandomState(9)
    a, b = tinygrad_nb.rand(4, rng=rs).data, tinygrad_nb.rand(4, rng=rs).data
    ref = np.random.RandomState(9)
    np.testing.assert_array_equal(a, ref.rand(4))
    np.testing.assert_array_equal(b, ref.rand(4))
    g = np.random.default_rng(9)
    x, k = tinygrad_nb.randn(2, 3, rng=g).data, tinygrad_nb.randint(0, 5, (6,), rng=g).data
    ref_g = np.random.default_rng(9)
    np.testing.assert_array_equal(x, ref_g.standard_normal((2, 3)))
    np.testing.assert_array_equal(k, ref_g.integers(0, 5, size=6))
    assert default_rng_of(rs) is rs and default_rng_of(g) is g


def test_default_rng_of_none_is_the_live_global_generator():
    assert default_rng_of(None) is global_generator()
    np.random.seed(11)
    a = default_rng_of(None).randn(3)
    np.random.seed(11)
    np.testing.assert_array_equal(a, np.random.randn(3))
    with pytest.raises(ValueError, match=r"nn.Dense: rng \(a seed\) must be an int in \[0, 4294967295\], got -2"):
        default_rng_of(-2, "nn.Dense")
    with pytest.raises(TypeError, match="nn.Dense: rng must be an int seed, a numpy RandomState or Generator, or "
                                        "None, got bool True"):
        default_rng_of(True, "nn.Dense")


def test_a_float_dtype_draw_is_the_float64_draw_rounded():
    np.random.seed(2)
    x32 = tinygrad_nb.randn(3, 3, dtype=np.float32)
    np.random.seed(2)
    assert x32.dtype == np.float32
    np.testing.assert_array_equal(x32.data, np.random.randn(3, 3).astype(np.float32))


def test_a_jitted_step_that_draws_from_the_global_generator_is_refused():
    """A replay would freeze the first draw: the jit must say so rather than repeat it silently."""
    @tinygrad_nb.jit
    def step(x: Tensor) -> Tensor:
        return (x * tinygrad_nb.randn(2)).sum()

    x = Tensor(np.ones(2))
    with pytest.raises(tinygrad_nb.JitError, match="drew random numbers from numpy.random"):
        for _ in range(3):
            step(x)


def test_seeding_in_a_fresh_process_gives_the_same_numbers():
    code = ("import numpy as np, tinygrad_nb as tg; tg.manual_seed(123); "
            "print(repr(tg.randn(2).data.tolist()), tg.randint(100, (3,)).data.tolist())")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].strip()
    rs = np.random.RandomState(123)
    assert runs[0].strip() == f"{rs.randn(2).tolist()!r} {rs.randint(0, 100, size=3).tolist()}"
