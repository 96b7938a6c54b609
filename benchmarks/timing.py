"""What the benchmarks against PyTorch share: round-robin timing on two clocks, the op classes a per-op
profile wraps, and the check that the reference (PyTorch, threadpoolctl) is installed."""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable

from tinygrad_nb.function import Function


def time_steps(steps: dict[str, Callable[[], object]], repeats: int, warmup: int) -> dict[str, dict[str, float]]:
    """As bench.time_steps (samples of ~20 ms taken round-robin after a warm-up, medians in seconds per
    step), on two clocks read around the same samples: ``wall`` (perf_counter) and ``cpu`` (process_time:
    this process's user + system CPU time, page faults included). On a shared machine the CPU time is
    the steadier figure: time spent waiting for the CPU while another process runs is not in it."""
    batch = {}
    for name, step in steps.items():
        for _ in range(warmup):
            step()
        t0 = time.perf_counter()
        step()
        batch[name] = max(1, int(0.02 / max(time.perf_counter() - t0, 1e-6)))
    wall: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            n = batch[name]
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                step()
            c1, t1 = time.process_time(), time.perf_counter()
            wall[name].append((t1 - t0) / n)
            cpu[name].append((c1 - c0) / n)
    return {name: {"wall": statistics.median(wall[name]), "cpu": statistics.median(cpu[name])} for name in steps}


def all_functions() -> list[type]:
    """Every op class (``Function`` subclasses, nn's own too), for a profile that wraps their methods."""
    seen: list[type] = []
    stack: list[type] = [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                stack.append(sub)
    return seen


def missing_reference(who: str) -> bool:
    """Say so and return True when PyTorch or threadpoolctl is missing: without the reference measured in the
    same run there is no ratio to report."""
    missing = [name for name in ("torch", "threadpoolctl") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"{who}: skipped, it needs {' and '.join(missing)} (pip install torch threadpoolctl; the CPU build of "
              "torch: --index-url https://download.pytorch.org/whl/cpu)")
    return bool(missing)
