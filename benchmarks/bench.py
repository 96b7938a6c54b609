"""Training-step benchmarks: tinygrad-nb against handwritten NumPy (and PyTorch when installed).

Run ``make bench`` (or ``python benchmarks/bench.py``). Everything is measured in this one
process, so the ratios compare like with like. Each number is the median over ``--repeats``
samples taken round-robin across the implementations after a warm-up (a sample times enough
steps to last about 20 ms); BLAS runs on one thread (OPENBLAS_NUM_THREADS=1, set below
before NumPy loads), and the whole process is pinned to one CPU (``--cpu``), because a thread
count is only a request: XLA's runtime ignores it and runs JAX's step on every core it may use
(on 2 cores: 56 ms wall for 110 ms of CPU time on the wide workload). Writes the table as JSON
(``--json``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pin_to_one_cpu(cpu: int | None) -> int | None:
    """Run this process (and every thread it starts later) on one CPU; the CPU, or None where
    the platform cannot pin (macOS, Windows). Done before NumPy, PyTorch or JAX start threads."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu  # the last CPU: the first one takes most interrupts
    os.sched_setaffinity(0, {chosen})
    return chosen


import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax_steps  # noqa: E402
import reference_numpy as ref  # noqa: E402
import torch_steps  # noqa: E402

import nn  # noqa: E402
from tinygrad_nb import Tensor, jit  # noqa: E402

WORKLOADS = {
    "cat": ([12288, 20, 7, 5, 1], 209, "relu"),
    "planar": ([2, 4, 1], 400, "tanh"),
    "deep-narrow": ([32] * 21 + [1], 64, "relu"),
    "wide": ([784, 1024, 1024, 1], 512, "relu"),
}


def data(dims: list[int], m: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    X = rng.rand(dims[0], m).astype(dtype)
    Y = (rng.rand(1, m) > 0.5).astype(dtype)
    return X, Y


def framework_step(dims, m, hidden, dtype) -> Callable[[], None]:
    """The way a user writes it: nn.MLP + binary_cross_entropy + optim.SGD."""
    model = nn.MLP(dims, hidden=hidden, init="deep", rng=1).astype(dtype)
    opt = nn.optim.SGD(model.parameters(), lr=0.0075)
    X, Y = data(dims, m, dtype)
    X = Tensor(X, name="X")

    def step():
        J = nn.binary_cross_entropy(model(X), Y)
        opt.zero_grad()
        J.backward()
        opt.step()

    return step


def jit_step(dims, m, hidden, dtype) -> Callable[[], None]:
    """The same step under ``tinygrad_nb.jit``: traced on its first two calls, replayed afterwards."""
    model = nn.MLP(dims, hidden=hidden, init="deep", rng=1).astype(dtype)
    opt = nn.optim.SGD(model.parameters(), lr=0.0075)
    X, Y = data(dims, m, dtype)

    @jit
    def train_step(X, Y):
        J = nn.binary_cross_entropy(model(X), Y)
        opt.zero_grad()
        J.backward()
        opt.step()
        return J

    return partial(train_step, X, Y)


def trace_ms(dims, m, hidden) -> float:
    """Milliseconds of the two recording calls of a fresh jitted float64 step."""
    step = jit_step(dims, m, hidden, np.float64)
    t0 = time.perf_counter()
    step()
    step()
    return (time.perf_counter() - t0) * 1e3


def time_steps(steps: dict[str, Callable[[], None]], repeats: int, warmup: int) -> dict[str, float]:
    """Median seconds per step of each implementation, sampled round-robin so that the machine's
    noise falls on all of them alike. A sample runs enough steps to last about 20 ms."""
    batch = {}
    for name, step in steps.items():
        for _ in range(warmup):
            step()
        t0 = time.perf_counter()
        step()
        batch[name] = max(1, int(0.02 / max(time.perf_counter() - t0, 1e-6)))
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            n = batch[name]
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_memory(make_step: Callable[[], Callable[[], None]]) -> int:
    """Peak bytes traced by tracemalloc during one step, in steady state (after three warm-up steps:
    a jitted step records on its first two calls)."""
    step = make_step()
    for _ in range(3):
        step()
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def chain_backward(n: int) -> float:
    x = Tensor(np.ones(1), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    J = y.sum()
    t0 = time.perf_counter()
    J.backward()
    return time.perf_counter() - t0


def memory_growth(steps: int) -> float:
    """Traced memory after ``steps`` planar steps minus after the first 100, in KiB."""
    step = framework_step(*WORKLOADS["planar"], np.float64)
    for _ in range(100):
        step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        step()
    gc.collect()  # finds nothing when the graph has no reference cycles; here only for a fair reading
    growth = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return growth / 1024


def implementations(dims: list[int], m: int, hidden: str, has_torch: bool,
                    has_jax: bool) -> dict[str, Callable[[], Callable[[], None]]]:
    """Each implementation of the workload's step: a name and a function that builds the step."""
    impls: dict[str, Callable[[], Callable[[], None]]] = {
        "numpy tight (reference)": partial(ref.tight_step, dims, m, hidden, np.float64, data),
        "numpy course (dA0 too)": partial(ref.course_step, dims, m, hidden, np.float64, data),
        "tinygrad-nb float64": partial(framework_step, dims, m, hidden, np.float64),
        "tinygrad-nb float32": partial(framework_step, dims, m, hidden, np.float32),
        "tinygrad-nb jit float64": partial(jit_step, dims, m, hidden, np.float64),
        "tinygrad-nb jit float32": partial(jit_step, dims, m, hidden, np.float32),
        "numpy tight float32": partial(ref.tight_step, dims, m, hidden, np.float32, data),
    }
    if has_torch:
        impls["pytorch float64"] = partial(torch_steps.step, dims, m, hidden, "float64", data)
        impls["pytorch float32"] = partial(torch_steps.step, dims, m, hidden, "float32", data)
    if has_jax:
        impls["jax jit float64"] = partial(jax_steps.step, dims, m, hidden, "float64", data)
        impls["jax jit float32"] = partial(jax_steps.step, dims, m, hidden, "float32", data)
    return impls


PROCESS_IMPLS = ("numpy tight (reference)", "tinygrad-nb jit float64", "pytorch float64", "jax jit float64")


def process_peak_mib(impl: str, workload: str, cpu: int | None) -> float | None:
    """Peak resident memory (MiB) of a fresh Python process that imports what ``impl`` needs,
    builds its step for ``workload`` and runs 20 steps: what a user's process costs, the
    libraries' own allocators and code included (tracemalloc sees only NumPy's arrays).
    None where the platform has no ``resource`` module (Windows)."""
    try:
        import resource  # noqa: F401 - only to know whether the child can report
    except ImportError:
        return None
    command = [sys.executable, __file__, "--peak-rss-of", impl, workload]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    except subprocess.CalledProcessError as e:  # one framework failing must not lose the whole run
        print(f"process peak RSS of {impl} on {workload}: the child failed: {e.stderr.strip().splitlines()[-1:]}")
        return None
    return float(out.split()[-1])


def _report_peak_rss(impl: str, workload: str) -> None:
    """The child of ``process_peak_mib``: build, run 20 steps, print the peak RSS in MiB."""
    import resource

    dims, m, hidden = WORKLOADS[workload]
    step = implementations(dims, m, hidden, impl.startswith("pytorch"), impl.startswith("jax"))[impl]()
    for _ in range(20):
        step()
    try:  # the peak of this program's own memory map, not inherited through fork as ru_maxrss is on Linux
        status = Path("/proc/self/status").read_text().splitlines()
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
        kib = kib // 1024 if sys.platform == "darwin" else kib
    print(f"{kib / 1024:.1f}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=list(WORKLOADS), help="run only these workloads")
    parser.add_argument("--chain", type=int, default=100_000, help="ops in the backward chain (0 to skip)")
    parser.add_argument("--memory-steps", type=int, default=10_000, help="planar steps for the growth check")
    parser.add_argument("--json", default="benchmarks/results.json")
    parser.add_argument("--cpu", type=int, help="the CPU to pin the process to (default: the last one allowed)")
    parser.add_argument("--process-memory", action=argparse.BooleanOptionalAction, default=True,
                        help="measure each framework's whole-process peak memory in a fresh process")
    parser.add_argument("--peak-rss-of", nargs=2, metavar=("IMPL", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pinned = pin_to_one_cpu(args.cpu)
    if args.peak_rss_of:
        _report_peak_rss(*args.peak_rss_of)
        return {}

    has_torch = torch_steps.available()
    has_jax = jax_steps.available()
    print(f"tinygrad-nb training step, median of {args.repeats} after {args.warmup} warm-up steps; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          + ("not pinned to a CPU (unsupported here)" if pinned is None else f"pinned to CPU {pinned}"))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}"
          + (f", PyTorch {torch_steps.version()}" if has_torch else ", PyTorch not installed")
          + (f", JAX {jax_steps.version()}" if has_jax else ", JAX not installed"))
    results: dict = {"threads": os.environ["OPENBLAS_NUM_THREADS"], "pinned_cpu": pinned, "workloads": {}}
    header = f"{'workload':<12}{'impl':<26}{'ms/step':>10}{'x tight':>10}{'peak MiB':>10}"
    print(header)
    print("-" * len(header))
    for name in args.only or WORKLOADS:
        dims, m, hidden = WORKLOADS[name]
        rows: dict[str, dict] = {}
        impls = implementations(dims, m, hidden, has_torch, has_jax)
        medians = time_steps({impl: make() for impl, make in impls.items()}, args.repeats, args.warmup)
        tight = medians["numpy tight (reference)"]
        for impl, make in impls.items():
            seconds = medians[impl]
            # tracemalloc sees NumPy's allocations, not PyTorch's or XLA's own allocators
            peak = None if impl.startswith(("pytorch", "jax")) else peak_memory(make) / 2**20
            rows[impl] = {"ms": seconds * 1e3, "ratio": seconds / tight, "peak_mib": peak}
            shown = "n/a" if peak is None else f"{peak:.2f}"
            print(f"{name:<12}{impl:<26}{seconds * 1e3:>10.3f}{seconds / tight:>10.2f}{shown:>10}")
        results["workloads"][name] = rows
        traced = trace_ms(dims, m, hidden)
        results.setdefault("trace_ms", {})[name] = traced
        print(f"{name:<12}{'jit: first two calls (trace)':<36}{traced:>10.1f} ms")
        if has_jax:
            jtraced = jax_steps.trace_ms(dims, m, hidden, data)
            results.setdefault("jax_trace_ms", {})[name] = jtraced
            print(f"{name:<12}{'jax: first call (trace+compile)':<36}{jtraced:>10.1f} ms")
        if args.process_memory:
            for impl in PROCESS_IMPLS:
                if impl in impls:
                    mib = process_peak_mib(impl, name, pinned)
                    results.setdefault("process_peak_mib", {}).setdefault(name, {})[impl] = mib
                    shown = "n/a" if mib is None else f"{mib:.0f}"
                    print(f"{name:<12}{'process peak RSS: ' + impl:<46}{shown:>8} MiB")
    if args.chain:
        t = chain_backward(args.chain)
        results["chain_backward_s"] = t
        line = f"backward of a {args.chain:,}-op chain: tinygrad-nb {t:.3f} s"
        if has_torch:
            tt = torch_steps.chain_backward(args.chain)
            results["chain_backward_torch_s"] = tt
            line += f", PyTorch {tt:.3f} s ({t / tt:.2f}x)"
        print(line)
    if args.memory_steps:
        growth = memory_growth(args.memory_steps)
        results["memory_growth_kib"] = growth
        print(f"traced memory growth over {args.memory_steps:,} planar steps: {growth:.1f} KiB")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"wrote {args.json}")
    return results


if __name__ == "__main__":
    main()
