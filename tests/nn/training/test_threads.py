"""fit limits the BLAS threads while it trains and restores them after."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


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

@pytest.mark.machine_dependent  # two cores
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
