"""A CNN training step (course 4's layout) against PyTorch: issue 23's speed part.

Run ``python benchmarks/bench_cnn.py``. The model, on cat-sized images (m = 32, 64 x 64 x 3):

    conv(f=3, pad=1, 8 filters) + ReLU + maxpool(f=2) -> conv(f=3, pad=1, 16 filters) + ReLU + maxpool(f=2)
    -> flatten (m, 16, 16, 16) to (4096, m) -> linear(W3 (1, 4096), b3) -> sigmoid -> binary cross-entropy

One step is forward + backward + SGD (in place on ``.data`` under no_grad, gradients zeroed). The same
model in PyTorch on its NCHW layout, from the same initial weights. As ``bench.py``: one BLAS thread
(OPENBLAS_NUM_THREADS=1 set before NumPy loads, threadpoolctl's limit, ``torch.set_num_threads(1)``),
the process pinned to one CPU, medians of samples taken round-robin after a warm-up, ratios against
PyTorch measured in the same run, on two clocks (CPU time, steadier on a shared machine, and wall). It
also prints the correctness check (loss and gradients equal to PyTorch's), a per-op breakdown of our
step, im2col's memory against a direct method (f^2 accumulated GEMMs, no cols buffer), a no-grad
forward of 50 test images. Writes ``benchmarks/results_cnn.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pin_to_one_cpu  # noqa: E402
from timing import all_functions, missing_reference, time_steps  # noqa: E402

import tinygrad_nb  # noqa: E402
from tinygrad_nb import Tensor, conv2d, linear, no_grad, pool2d, side_effect  # noqa: E402

M, H, C0, F1, F2, LR = 32, 64, 3, 8, 16, 0.01
M_TEST = 50
clock = time.process_time  # the per-op, per-kernel and forward timings: CPU time (see time_steps)


# ----------------------------------------------------------------------------------------- data


def data(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cat-sized images X (m, 64, 64, 3) in [0, 1) and labels Y (1, m) in {0, 1}, float64."""
    rng = np.random.RandomState(seed)
    return rng.rand(m, H, H, C0), (rng.rand(1, m) > 0.5).astype(np.float64)


def initial_weights() -> dict[str, np.ndarray]:
    """He-initialised filters and W3, small random biases (so that db is checked too), float64."""
    rng = np.random.RandomState(1)
    n3 = F2 * (H // 4) ** 2  # 4096
    return {
        "W1": rng.randn(3, 3, C0, F1) * np.sqrt(2 / (9 * C0)), "b1": rng.randn(1, 1, 1, F1) * 0.01,
        "W2": rng.randn(3, 3, F1, F2) * np.sqrt(2 / (9 * F1)), "b2": rng.randn(1, 1, 1, F2) * 0.01,
        "W3": rng.randn(1, n3) * np.sqrt(1 / n3), "b3": rng.randn(1, 1) * 0.01,
    }


def print_table(medians: dict[str, dict[str, float]], title: str) -> dict:
    """Milliseconds per step on both clocks and the ratio to PyTorch of the same dtype, same clock."""
    print(f"\n{title}\n{'impl':<30}{'cpu ms':>9}{'x torch':>9}{'wall ms':>10}{'x torch':>9}")
    rows = {}
    for impl, t in medians.items():
        ref = medians[f"pytorch {impl.split()[-1]}"]
        rows[impl] = {"cpu_ms": t["cpu"] * 1e3, "wall_ms": t["wall"] * 1e3,
                      "ratio_cpu": t["cpu"] / ref["cpu"], "ratio_wall": t["wall"] / ref["wall"]}
        r = rows[impl]
        print(f"{impl:<30}{r['cpu_ms']:>9.2f}{r['ratio_cpu']:>9.2f}{r['wall_ms']:>10.2f}{r['ratio_wall']:>9.2f}")
    return rows


# ------------------------------------------------------------------------------------ tinygrad-nb


class Model:
    """The CNN written with the engine's ops only; ``params`` in the order W1, b1, W2, b2, W3, b3."""

    def __init__(self, dtype):
        self.params = {k: Tensor(v.astype(dtype), requires_grad=True, name=k) for k, v in initial_weights().items()}

    def __call__(self, X):
        p = self.params
        A = pool2d(conv2d(X, p["W1"], p["b1"], pad=1).relu(), 2)
        A = pool2d(conv2d(A, p["W2"], p["b2"], pad=1).relu(), 2)
        A = A.reshape(A.shape[0], -1).T  # (4096, m), the course's layout
        return linear(p["W3"], A, p["b3"]).sigmoid()

    @staticmethod
    def cost(A, Y):
        return -(A.log() * Y + (1 - A).log() * (1 - Y)).mean()


class ManualSGD:
    """W := W - lr dW in place on .data under no_grad; the gradients set to None. Marked as side effects
    so that ``tinygrad_nb.jit`` replays them (the jit refuses a bare ``.data`` update inside the step)."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    @side_effect
    def step(self):
        with no_grad():
            for p in self.params:
                p.data -= self.lr * p.grad.data

    @side_effect
    def zero_grad(self):
        for p in self.params:
            p.grad = None


def ours_step(dtype, use_jit: bool = False) -> Callable[[], None]:
    model = Model(dtype)
    opt = ManualSGD(model.params.values(), LR)
    X, Y = data(M)
    X, Y = X.astype(dtype), Y.astype(dtype)

    def train_step(X, Y):
        J = Model.cost(model(X), Y)
        J.backward()
        opt.step()
        opt.zero_grad()
        return J

    if use_jit:
        step = tinygrad_nb.jit(train_step)
        return lambda: step(X, Y)
    Xt = Tensor(X, name="X")  # requires_grad=False: the first conv computes no dA_prev
    return lambda: train_step(Xt, Y)


def ours_loss_and_grads(dtype) -> tuple[float, dict[str, np.ndarray]]:
    model = Model(dtype)
    X, Y = data(M)
    J = Model.cost(model(Tensor(X.astype(dtype))), Y.astype(dtype))
    J.backward()
    return float(J.data), {k: p.grad.data for k, p in model.params.items()}


# ---------------------------------------------------------------------------------------- PyTorch


def torch_weights(dtype_name: str):
    """The initial weights in PyTorch's layouts: W (f, f, C, n_C) -> (n_C, C, f, f); W3's columns from
    our (h, w, c) flatten order to NCHW's (c, h, w)."""
    import torch

    w = initial_weights()
    n = H // 4
    W3 = w["W3"].reshape(1, n, n, F2).transpose(0, 3, 1, 2).reshape(1, -1)
    out = {"0.weight": w["W1"].transpose(3, 2, 0, 1), "0.bias": w["b1"].reshape(-1),
           "3.weight": w["W2"].transpose(3, 2, 0, 1), "3.bias": w["b2"].reshape(-1),
           "7.weight": W3, "7.bias": w["b3"].reshape(-1)}
    return {k: torch.from_numpy(np.ascontiguousarray(v)).to(getattr(torch, dtype_name)) for k, v in out.items()}


def torch_model(dtype_name: str):
    import torch

    torch.set_num_threads(1)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(C0, F1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(F1, F2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(F2 * (H // 4) ** 2, 1), nn.Sigmoid()).to(getattr(torch, dtype_name))
    model.load_state_dict(torch_weights(dtype_name))
    X, Y = data(M)
    dtype = getattr(torch, dtype_name)
    X = torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2))).to(dtype)  # NCHW
    Y = torch.from_numpy(Y.T.copy()).to(dtype)  # (m, 1)
    return model, X, Y


def torch_step(dtype_name: str) -> Callable[[], None]:
    import torch

    model, X, Y = torch_model(dtype_name)
    loss_fn = torch.nn.BCELoss()
    params = list(model.parameters())

    def run():
        loss = loss_fn(model(X), Y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None

    return run


def torch_loss_and_grads(dtype_name: str) -> tuple[float, dict[str, np.ndarray]]:
    import torch

    model, X, Y = torch_model(dtype_name)
    loss = torch.nn.BCELoss()(model(X), Y)
    loss.backward()
    g = {k: p.grad.numpy() for k, p in model.named_parameters()}
    n = H // 4
    return loss.item(), {  # back in the course's layouts
        "W1": g["0.weight"].transpose(2, 3, 1, 0), "b1": g["0.bias"].reshape(1, 1, 1, -1),
        "W2": g["3.weight"].transpose(2, 3, 1, 0), "b2": g["3.bias"].reshape(1, 1, 1, -1),
        "W3": g["7.weight"].reshape(1, F2, n, n).transpose(0, 2, 3, 1).reshape(1, -1), "b3": g["7.bias"].reshape(1, 1),
    }


def correctness() -> dict:
    """Loss and every gradient against PyTorch's: max |ours - torch| / max |torch|, per dtype."""
    out = {}
    for name, dtype, tol in (("float32", np.float32, 1e-4), ("float64", np.float64, 1e-10)):
        J, g = ours_loss_and_grads(dtype)
        Jt, gt = torch_loss_and_grads(name)
        rel = {"loss": abs(J - Jt) / abs(Jt)}
        for k in g:
            assert g[k].dtype == dtype, (k, g[k].dtype)
            rel[k] = float(np.max(np.abs(g[k] - gt[k])) / np.max(np.abs(gt[k])))
        worst = max(rel.values())
        ok = worst <= tol
        out[name] = {"loss_ours": J, "loss_torch": Jt, "rel": rel, "worst": worst, "tol": tol, "ok": ok}
        print(f"check {name}: J = {J:.10g} (torch {Jt:.10g}); worst rel diff over loss and dW1..db3 "
              f"{worst:.2e} (tol {tol:g}) -> {'OK' if ok else 'FAILED'}   "
              + ", ".join(f"{k} {v:.1e}" for k, v in rel.items()))
    return out


# ------------------------------------------------------------------------------------ per-op profile


def profile_ops(dtype, steps: int = 20) -> dict:
    """Milliseconds per step in each op's forward and backward (the class methods wrapped with timers
    for this measurement only), the rest being the engine's bookkeeping and the SGD update."""
    times: dict[str, float] = defaultdict(float)
    saved = []

    def timed(cls, kind, fn):
        key = f"{cls.__name__}.{kind}"

        def wrapper(self, *args, **kwargs):
            t0 = clock()
            try:
                return fn(self, *args, **kwargs)
            finally:
                times[key] += clock() - t0
        return wrapper

    for cls in all_functions():
        for kind in ("forward", "backward"):
            if kind in cls.__dict__:
                saved.append((cls, kind, cls.__dict__[kind]))
                setattr(cls, kind, timed(cls, kind, cls.__dict__[kind]))
    try:
        step = ours_step(dtype)
        for _ in range(3):
            step()
        times.clear()
        t0 = clock()
        for _ in range(steps):
            step()
        total = (clock() - t0) / steps * 1e3
    finally:
        for cls, kind, fn in saved:
            setattr(cls, kind, fn)
    rows = {k: v / steps * 1e3 for k, v in sorted(times.items(), key=lambda kv: -kv[1])}
    rows["(rest: engine, SGD, timers)"] = total - sum(rows.values())
    return {"total_ms": total, "ops_ms": rows}


# ---------------------------------------------------------------------------- im2col vs direct memory


def _direct_conv(A_prev, W, b, pad, need_A):
    """Convolution and its backward by f^2 accumulated GEMMs over strided slices of the padded input:
    no cols matrix (stride 1). Returns (Z, backward) where backward(dZ) -> (dA_prev, dW, db)."""
    f, _, C, n_C = W.shape
    m, Hp, Wp, _ = A_prev.shape
    A_pad = np.zeros((m, Hp + 2 * pad, Wp + 2 * pad, C), A_prev.dtype)
    A_pad[:, pad:pad + Hp, pad:pad + Wp] = A_prev
    n_H, n_W = Hp + 2 * pad - f + 1, Wp + 2 * pad - f + 1
    Z = np.empty((m, n_H, n_W, n_C), A_prev.dtype)
    Z[...] = b.reshape(n_C)
    for i in range(f):
        for j in range(f):
            Z += A_pad[:, i:i + n_H, j:j + n_W] @ W[i, j]

    def backward(dZ):
        dW = np.empty_like(W)
        dZ2 = dZ.reshape(-1, n_C)
        for i in range(f):
            for j in range(f):
                dW[i, j] = np.tensordot(A_pad[:, i:i + n_H, j:j + n_W], dZ, axes=([0, 1, 2], [0, 1, 2]))
        db = dZ2.sum(0).reshape(1, 1, 1, n_C)
        dA_prev = None
        if need_A:
            dA_pad = np.zeros_like(A_pad)
            for i in range(f):
                for j in range(f):
                    dA_pad[:, i:i + n_H, j:j + n_W] += dZ @ W[i, j].T
            dA_prev = dA_pad[:, pad:pad + Hp, pad:pad + Wp]
        return dA_prev, dW, db

    return Z, backward


def _engine_conv(A_prev, W, b, pad, need_A):
    A = Tensor(A_prev, requires_grad=need_A)
    Wt, bt = Tensor(W, requires_grad=True), Tensor(b, requires_grad=True)
    Z = conv2d(A, Wt, bt, pad=pad)

    def backward(dZ):
        Z.backward(dZ)
        return (A.grad.data if need_A else None), Wt.grad.data, bt.grad.data

    return Z.data, backward


def _layer_inputs(dtype):
    rng = np.random.RandomState(2)
    w = initial_weights()
    return {"conv1": (rng.rand(M, H, H, C0).astype(dtype), w["W1"].astype(dtype), w["b1"].astype(dtype), False),
            "conv2": (rng.rand(M, H // 2, H // 2, F1).astype(dtype), w["W2"].astype(dtype), w["b2"].astype(dtype),
                      True)}


def conv_memory(dtype, repeats: int) -> dict:
    """For one conv forward + backward of each layer (conv1: no dA_prev, as X needs none): the bytes of
    im2col's cols matrix (and d_cols), tracemalloc's peak, and the median time, engine against direct."""
    out = {}
    for layer, (A, W, b, need_A) in _layer_inputs(dtype).items():
        m, Hp, Wp, C = A.shape
        f, n_C = W.shape[0], W.shape[3]
        dZ = np.random.RandomState(3).randn(m, Hp, Wp, n_C).astype(dtype)
        cols = m * Hp * Wp * f * f * C * A.itemsize
        row = {"cols_bytes": cols, "d_cols_bytes": cols if need_A else 0,
               "Z_bytes": m * Hp * Wp * n_C * A.itemsize, "A_prev_bytes": A.nbytes}
        for name, make in (("im2col (engine)", _engine_conv), ("direct f^2 GEMMs", _direct_conv)):
            def once(make=make, A=A, W=W, b=b, need_A=need_A, dZ=dZ):
                Z, bwd = make(A, W, b, 1, need_A)
                return Z, bwd(dZ)
            Z, grads = once()
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            once()
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
            samples = []
            for _ in range(repeats):
                t0 = clock()
                once()
                samples.append(clock() - t0)
            row[name] = {"peak_bytes": peak, "ms": statistics.median(samples) * 1e3}
            row.setdefault("_results", []).append((Z, grads))
        (Z1, g1), (Z2, g2) = row.pop("_results")
        rel = max(float(np.max(np.abs(x - y)) / np.max(np.abs(y)))
                  for x, y in zip((Z1, *g1), (Z2, *g2)) if y is not None)
        row["direct_vs_engine_rel"] = rel
        out[layer] = row
    return out


# ------------------------------------------------------------------------------------- forward of 50


def forward_test(dtype, repeats: int) -> dict:
    model = Model(dtype)
    Xt, _ = data(M_TEST, seed=5)
    Xt = Tensor(Xt.astype(dtype))
    samples = []
    for i in range(repeats + 2):
        t0 = clock()
        with no_grad():
            A = model(Xt)
        if i >= 2:
            samples.append(clock() - t0)
    assert A.shape == (1, M_TEST)
    import torch

    tm, _, _ = torch_model("float32" if dtype == np.float32 else "float64")
    X = torch.from_numpy(np.ascontiguousarray(Xt.data.transpose(0, 3, 1, 2)))
    tsamples = []
    for i in range(repeats + 2):
        t0 = clock()
        with torch.no_grad():
            tm(X)
        if i >= 2:
            tsamples.append(clock() - t0)
    return {"ms": statistics.median(samples) * 1e3, "torch_ms": statistics.median(tsamples) * 1e3}


# --------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", default="benchmarks/results_cnn.json")
    parser.add_argument("--cpu", type=int, help="the CPU to pin the process to (default: the last one allowed)")
    args = parser.parse_args(argv)
    if Path(args.json).resolve() == (Path(__file__).resolve().parent / "results.json"):
        parser.error("results.json belongs to bench.py; write this one elsewhere")
    if missing_reference("bench_cnn"):
        return {}
    pinned = pin_to_one_cpu(args.cpu)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import torch

    torch.set_num_threads(1)
    print(f"CNN training step (m={M}, {H}x{H}x{C0}, conv8-pool-conv16-pool-dense), median of {args.repeats} "
          f"after {args.warmup} warm-up steps; OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          f"torch threads {torch.get_num_threads()}, "
          + ("not pinned" if pinned is None else f"pinned to CPU {pinned}"))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}")
    results: dict = {"threads": os.environ["OPENBLAS_NUM_THREADS"], "pinned_cpu": pinned,
                     "numpy": np.__version__, "torch": torch.__version__}

    results["check"] = correctness()

    impls: dict[str, Callable[[], None]] = {}
    jit_errors = {}
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        impls[f"pytorch {name}"] = torch_step(name)
        impls[f"tinygrad-nb {name}"] = ours_step(dtype)
        try:
            step = ours_step(dtype, use_jit=True)
            for _ in range(3):
                step()
            impls[f"tinygrad-nb jit {name}"] = step
        except tinygrad_nb.JitError as e:
            jit_errors[name] = str(e)
            print(f"jit {name}: JitError: {e}")
    results["steps"] = print_table(time_steps(impls, args.repeats, args.warmup), "the training step (ms per step):")
    results["jit_errors"] = jit_errors

    results["profile"] = {}
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        prof = profile_ops(dtype)
        results["profile"][name] = prof
        print(f"\nper-op breakdown, eager {name} (ms per step; total {prof['total_ms']:.2f} with timers):")
        for k, v in prof["ops_ms"].items():
            if v >= 0.05:
                print(f"  {k:<34}{v:>8.2f}  {v / prof['total_ms']:>5.1%}")

    results["conv_memory"] = {}
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        mem = conv_memory(dtype, args.repeats)
        results["conv_memory"][name] = mem
        print(f"\none conv forward + backward, {name}: im2col against direct f^2 GEMMs (no cols buffer)")
        for layer, row in mem.items():
            e, d = row["im2col (engine)"], row["direct f^2 GEMMs"]
            print(f"  {layer}: cols {row['cols_bytes'] / 2**20:.1f} MiB (+ d_cols {row['d_cols_bytes'] / 2**20:.1f}); "
                  f"peak im2col {e['peak_bytes'] / 2**20:.1f} MiB {e['ms']:.2f} ms | direct "
                  f"{d['peak_bytes'] / 2**20:.1f} MiB {d['ms']:.2f} ms (agree to {row['direct_vs_engine_rel']:.1e})")

    results["forward_test"] = {}
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        fw = forward_test(dtype, args.repeats)
        results["forward_test"][name] = fw
        print(f"forward of {M_TEST} test images, no grad, {name}: {fw['ms']:.2f} ms (PyTorch {fw['torch_ms']:.2f} ms)")

    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2, default=float))
    print(f"wrote {args.json}")
    return results


if __name__ == "__main__":
    main()
