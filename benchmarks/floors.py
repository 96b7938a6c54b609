"""What bounds the jitted step: its time split into the parts no replay can remove and the rest.

For each workload (one CPU, one BLAS thread, float64, medians of round-robin samples):

- ``tight``: the handwritten NumPy step (the reference of ``bench.py``);
- ``matmuls``: only that step's matrix products, same shapes and order: the floor for any
  implementation that calls this BLAS;
- ``numpy calls``: the tight step's NumPy calls other than the products (its elementwise work and
  reductions), each on arrays of the step's shapes: what a replay that makes the same calls pays;
- ``jit``: the jitted tinygrad-nb step, and its parts: the ops' forward and backward alone
  (``ops``), the gradients handed to ``.grad`` and the optimiser's effects (``effects``), and the
  call itself (``call``: argument checks, the guards, the program's buffer), of which ``guards`` is
  the check that nothing the recording read from outside the arguments has changed (the closure's
  values, module state, each parameter's requires_grad, dtype and shape).

Run ``python benchmarks/floors.py`` (after ``make bench`` has installed the environment).
"""

from __future__ import annotations

import copy
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import types  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference_numpy as ref  # noqa: E402
from bench import WORKLOADS, data, jit_step, pin_to_one_cpu, time_steps  # noqa: E402


def matmuls_only(dims: list[int], m: int) -> Callable[[], None]:
    """The tight step's matrix products alone: W A forward; dZ A^T and W^T dZ backward (no dA[0])."""
    params = ref.init(dims, np.float64)
    X, _ = data(dims, m, np.float64)
    acts = [X] + [np.ones((n, m)) for n in dims[1:]]

    def step() -> None:
        for (W, _), A in zip(params, acts):
            W @ A
        for l in range(len(params), 0, -1):
            dZ = acts[l]
            dZ @ acts[l - 1].T
            if l > 1:
                params[l - 1][0].T @ dZ
    return step


def jit_parts(dims: list[int], m: int, hidden: str) -> dict[str, Callable[[], None]]:
    """The jitted step, and its program with the effects (zero_grad, the update) and the hand-over
    of gradients to ``.grad`` switched off: what the ops' own forward and backward cost."""
    step = jit_step(dims, m, hidden, np.float64)
    for _ in range(3):
        step()
    entry = next(iter(step.func.cache.values()))  # type: ignore[attr-defined]
    program = entry.program
    arrays = step.func._last[2]  # type: ignore[attr-defined]
    ops_only = _without_effects(program)
    return {"jit": step, "jit: program": lambda: program.run(arrays), "jit: ops": lambda: ops_only(arrays),
            "jit: guards": entry.holds}


def _without_effects(program) -> Callable[[list[np.ndarray]], None]:
    """The program run with its effects as no-ops and no gradient handed to ``.grad`` (each stays None):
    a copy with its own generated function and globals, so the real program is untouched."""
    run = program._run
    env = dict(run.__globals__)
    for key in env:
        if key[0] == "E" and key[1:].isdigit():  # the recorded effects: zero_grad(), step()
            env[key] = lambda buf: None
    env["deliver"] = lambda *args: None
    env["wrap"] = lambda g: None
    bare = copy.copy(program)
    bare._run = types.FunctionType(run.__code__, env)
    return bare.run


def main() -> None:
    cpu = pin_to_one_cpu(None)
    print(f"one BLAS thread, float64, pinned to CPU {cpu}; ratios to the tight step")
    print(f"{'workload':<12}{'part':<16}{'ms':>10}{'x tight':>10}")
    for name, (dims, m, hidden) in WORKLOADS.items():
        steps = {"tight": ref.tight_step(dims, m, hidden, np.float64, data), "matmuls": matmuls_only(dims, m)}
        steps.update(jit_parts(dims, m, hidden))
        t = time_steps(steps, repeats=15, warmup=3)
        rows = {"tight": t["tight"], "matmuls": t["matmuls"], "numpy calls": t["tight"] - t["matmuls"],
                "jit": t["jit"], "jit: ops": t["jit: ops"], "jit: effects": t["jit: program"] - t["jit: ops"],
                "jit: call": t["jit"] - t["jit: program"], "jit: guards": t["jit: guards"]}
        for part, seconds in rows.items():
            print(f"{name:<12}{part:<16}{seconds * 1e3:>10.4f}{seconds / t['tight']:>10.2f}")


if __name__ == "__main__":
    main()
