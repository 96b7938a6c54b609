"""A boolean mask from outside the jitted step (a Tensor in its closure) changed between calls: where() reads it
afresh (it is an input of the op), an index mask's values are guarded (a change records anew). Both silently
kept the recording's mask before. The eager step is the oracle."""

import numpy as np
import pytest
from _jit_programs import differential

from tinygrad_nb import Tensor, where


def step_with(use):
    def make(state):
        W, mask = state

        def step(x):
            Z = x * W
            J = where(mask, Z, x * 0.5).sum() if use == "where" else Z[mask].sum()
            return J
        return step
    return make


# An index mask over 1,024 entries changed in place is not in the list: the guards compare large outside arrays by
# identity only (a sharp bit docs/guides/jit.md names); where() reads any mask afresh, so it is.
CASES = [(use, change, n) for use in ("where", "index") for change in ("rebind", "in_place") for n in (3, 2000)
         if not (use == "index" and change == "in_place" and n > 1024)]


@pytest.mark.parametrize(("use", "change", "n"), CASES)
def test_an_outside_mask_changed_between_calls_is_followed(use, change, n):
    rs = np.random.RandomState(0)
    W = Tensor(rs.randn(n), requires_grad=True, name="W")
    mask = Tensor._wrap(rs.rand(n) > 0.5, name="mask")
    masks = [rs.rand(n) > 0.5 for _ in range(6)]

    def between(i, state, step):
        if i >= 3:
            _, m = state
            if change == "rebind":
                m.data = masks[i].copy()
            else:
                m.data[...] = masks[i]

    calls = [((rs.randn(n),), {}) for _ in range(6)]
    outcome = differential(step_with(use), (W, mask), calls, may_refuse=False, between=between)
    assert outcome.refused is None and outcome.agreed == 6
