"""An LSTM character-model training step (course 5's Dinosaurus Island, with an LSTM) against PyTorch: issue 24's
speed part.

Run ``python benchmarks/bench_lstm.py``. The model, float64, on batches of m = 32 sequences of T_x = 20 characters
from a vocabulary of 27 (the inputs and the targets, integer arrays (m, T_x), change on every call):

    nn.Embedding(27, 16) -> nn.LSTM(n_x=16, n_a=64, n_y=27) -> y<t> = softmax(Wy a<t> + by)
    J = -1/m sum_t sum_i log y<t>[target, i]     (the course's character-model cost)

One step: zero_grad, forward, J.backward(), ``nn.utils.clip_grad_norm_(params, 5.0)``, ``nn.optim.Adam`` (lr 0.01).
The same model in PyTorch (nn.Embedding, nn.LSTM, nn.Linear; cross-entropy on the logits, summed, / m) from the same
initial weights: the course's gates act on [a<t-1>; x<t>], so W[:, :n_a] is torch's weight_hh and W[:, n_a:] its
weight_ih, in torch's gate order i, f, g (the course's c), o; bias_ih = b and bias_hh = 0, frozen (ours has one bias
per gate, so torch's Adam must not move a second one). As ``bench_cnn.py``: one BLAS thread (set before NumPy loads,
threadpoolctl's limit, ``torch.set_num_threads(1)``), the process pinned to one CPU, medians of samples taken
round-robin after a warm-up, on CPU time and wall. Prints the correctness check (loss, every gradient and the weights
after five jitted Adam steps against PyTorch's), the table (eager, jit, PyTorch), the jit's first-call cost (the two
recording calls) and a per-op profile of the jitted step. Writes ``benchmarks/results_lstm.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pin_to_one_cpu  # noqa: E402
from timing import all_functions, missing_reference, time_steps  # noqa: E402

import nn  # noqa: E402
import tinygrad_nb  # noqa: E402
from tinygrad_nb import Tensor, take  # noqa: E402

N_VOCAB, N_E, N_A, M, T_X = 27, 16, 64, 32, 20
LR, MAX_NORM = 0.01, 5.0
GATES = "ifco"  # torch's order of the gates: i, f, g (the course's candidate c), o
Batch = tuple[np.ndarray, np.ndarray]


def initial_weights() -> dict[str, np.ndarray]:
    """E ~ N(0, 1) (nn.Embedding's default), gate weights scaled by 1/sqrt(n_a + n_x), small random biases (so
    that every db is checked): the course's parameter names, float64."""
    rng = np.random.RandomState(1)
    w = {"E": rng.randn(N_E, N_VOCAB)}
    for g in "fico":
        w[f"W{g}"] = rng.randn(N_A, N_A + N_E) / np.sqrt(N_A + N_E)
        w[f"b{g}"] = rng.randn(N_A, 1) * 0.1
    w["Wy"], w["by"] = rng.randn(N_VOCAB, N_A) / np.sqrt(N_A), rng.randn(N_VOCAB, 1) * 0.1
    return w


def batches(n: int, seed: int = 0) -> list[Batch]:
    """n batches of (X, Y): characters (m, T_x) and the next characters (m, T_x), int64."""
    rng = np.random.RandomState(seed)
    chars = rng.randint(0, N_VOCAB, size=(n, M, T_X + 1))
    return [(c[:, :-1].copy(), c[:, 1:].copy()) for c in chars]


# ------------------------------------------------------------------------------------ tinygrad-nb


class Model:
    """nn.Embedding and nn.LSTM with the initial weights; ``params`` in the order E, Wf, bf, ..., Wy, by."""

    def __init__(self):
        w = initial_weights()
        self.emb, self.lstm = nn.Embedding(N_VOCAB, N_E), nn.LSTM(N_E, N_A, N_VOCAB)
        self.emb.load_state_dict({"E": w.pop("E")})
        self.lstm.load_state_dict(w)
        self.named = dict(self.emb.named_parameters()) | dict(self.lstm.named_parameters())
        self.params = list(self.named.values())
        self.eye = Tensor(np.eye(N_VOCAB), name="I")  # one-hot targets: the columns of I taken at Y

    def cost(self, X, Y) -> Tensor:
        _, y, _ = self.lstm(self.emb(X))  # e (n_e, m, T_x) -> y (n_y, m, T_x)
        return -(take(self.eye, Y, axis=1) * y.log()).sum() / X.shape[0]


def ours_step(use_jit: bool) -> Callable[[np.ndarray, np.ndarray], Tensor]:
    model = Model()
    opt = nn.optim.Adam(model.params, lr=LR)

    def train_step(X, Y):
        opt.zero_grad()
        J = model.cost(X, Y)
        J.backward()
        nn.utils.clip_grad_norm_(model.params, MAX_NORM)
        opt.step()
        return J

    step = tinygrad_nb.jit(train_step) if use_jit else train_step
    step.model = model  # type: ignore[attr-defined]  # for the check
    return step


# ---------------------------------------------------------------------------------------- PyTorch


def torch_model():
    import torch

    class CharModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(N_VOCAB, N_E)
            self.lstm = torch.nn.LSTM(N_E, N_A)
            self.lin = torch.nn.Linear(N_A, N_VOCAB)

        def forward(self, X):  # X (T_x, m) -> logits (T_x, m, n_y)
            return self.lin(self.lstm(self.emb(X))[0])

    net = CharModel().double()
    w = initial_weights()

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a))

    with torch.no_grad():
        net.emb.weight.copy_(t(w["E"].T))
        net.lstm.weight_ih_l0.copy_(t(np.concatenate([w[f"W{g}"][:, N_A:] for g in GATES])))
        net.lstm.weight_hh_l0.copy_(t(np.concatenate([w[f"W{g}"][:, :N_A] for g in GATES])))
        net.lstm.bias_ih_l0.copy_(t(np.concatenate([w[f"b{g}"][:, 0] for g in GATES])))
        net.lstm.bias_hh_l0.zero_()
        net.lin.weight.copy_(t(w["Wy"]))
        net.lin.bias.copy_(t(w["by"][:, 0]))
    net.lstm.bias_hh_l0.requires_grad_(False)
    return net


def torch_cost(net, X, Y):
    import torch

    z = net(torch.from_numpy(X.T.copy()))
    return torch.nn.functional.cross_entropy(z.reshape(-1, N_VOCAB), torch.from_numpy(Y.T.reshape(-1)),
                                             reduction="sum") / X.shape[0]


def torch_step() -> Callable[[np.ndarray, np.ndarray], object]:
    import torch

    net = torch_model()
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=LR)

    def run(X, Y):
        opt.zero_grad()
        J = torch_cost(net, X, Y)
        J.backward()
        torch.nn.utils.clip_grad_norm_(params, MAX_NORM)
        opt.step()
        return J

    run.net = net  # type: ignore[attr-defined]
    return run


def torch_in_course_layout(net, grads: bool) -> dict[str, np.ndarray]:
    """torch's weights (or their gradients) under the course's names and layouts."""
    def a(p):
        return (p.grad if grads else p).detach().numpy()

    out = {"E": a(net.emb.weight).T, "Wy": a(net.lin.weight), "by": a(net.lin.bias)[:, None]}
    ih, hh, b = a(net.lstm.weight_ih_l0), a(net.lstm.weight_hh_l0), a(net.lstm.bias_ih_l0)
    for k, g in enumerate(GATES):
        rows = slice(k * N_A, (k + 1) * N_A)
        out[f"W{g}"], out[f"b{g}"] = np.concatenate([hh[rows], ih[rows]], axis=1), b[rows][:, None]
    return out


def correctness(tol: float = 1e-10) -> dict:
    """Loss and every gradient against PyTorch's (max |ours - torch| / max |torch|), then the weights after five
    jitted steps (Adam, clipping) against five torch steps."""
    X, Y = batches(1)[0]
    model = Model()
    J = model.cost(X, Y)
    J.backward()
    net = torch_model()
    Jt = torch_cost(net, X, Y)
    Jt.backward()
    gt = torch_in_course_layout(net, grads=True)
    rel = {"loss": abs(J.item() - Jt.item()) / abs(Jt.item())}
    rel |= {k: float(np.max(np.abs(p.grad.data - gt[k])) / np.max(np.abs(gt[k]))) for k, p in model.named.items()}
    ours, theirs = ours_step(use_jit=True), torch_step()
    for X, Y in batches(5, seed=3):
        ours(X, Y), theirs(X, Y)
    wt = torch_in_course_layout(theirs.net, grads=False)  # type: ignore[attr-defined]
    after = max(float(np.max(np.abs(p.data - wt[k]))) for k, p in ours.model.named.items())  # type: ignore[attr-defined]
    worst = max(rel.values())
    ok = worst <= tol and after <= tol
    print(f"check float64: J = {J.item():.12g} (torch {Jt.item():.12g}); worst rel diff over the loss and dE..dby "
          f"{worst:.1e}; weights after 5 jitted Adam steps: max diff {after:.1e} (tol {tol:g}) -> "
          f"{'OK' if ok else 'FAILED'}")
    return {"rel": rel, "worst": worst, "weights_after_5_steps": after, "tol": tol, "ok": ok}


# ------------------------------------------------------------------------------------------ timing


def first_calls() -> dict:
    """CPU ms of a fresh jitted step's first three calls: two recordings (eager runs, compared op for op), then the
    first replay; and an eager step's for comparison."""
    data = batches(4, seed=9)
    step = ours_step(use_jit=True)
    out = {}
    for i, name in enumerate(("call 1 (records)", "call 2 (records, compiles)", "call 3 (replay)")):
        c0 = time.process_time()
        step(*data[i])
        out[name] = (time.process_time() - c0) * 1e3
    print("jit first calls (cpu ms): " + ", ".join(f"{k} {v:.1f}" for k, v in out.items()))
    return out


def cycling(step: Callable, data: list[Batch]) -> Callable[[], object]:
    """``step`` as a function of no arguments that takes the next batch on every call (inputs change each call)."""
    k = 0

    def call() -> object:
        nonlocal k
        k += 1
        return step(*data[k % len(data)])
    return call


def profile_ops(use_jit: bool, passes: int = 9, steps: int = 20) -> dict:
    """Calls and ms per step in each op's forward and backward (the class methods wrapped with timers before the
    step is recorded, for this measurement only), the median over ``passes`` of ``steps`` steps (a pass that another
    process interrupted shows as one op's outlier); the rest is Adam, clipping, zero_grad, the glue and the timers.
    perf_counter: the process's CPU clock is a system call, too slow for ~900 calls of a few microseconds each."""
    times: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    saved = []

    def timed(key, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[key] += time.perf_counter() - t0
                calls[key] += 1
        return wrapper

    for cls in all_functions():
        for kind in ("forward", "backward"):
            if kind in cls.__dict__:
                saved.append((cls, kind, cls.__dict__[kind]))
                setattr(cls, kind, timed(f"{cls.__name__}.{kind}", cls.__dict__[kind]))
    samples: list[tuple[float, dict[str, float]]] = []
    try:
        step = ours_step(use_jit)
        data = batches(64, seed=5)
        for i in range(4):
            step(*data[i])
        for _ in range(passes):
            times.clear()
            calls.clear()
            t0 = time.perf_counter()
            for i in range(steps):
                step(*data[i % 64])
            samples.append(((time.perf_counter() - t0) / steps * 1e3, {k: v / steps * 1e3 for k, v in times.items()}))
    finally:
        for cls, kind, fn in saved:
            setattr(cls, kind, fn)
    total = statistics.median(t for t, _ in samples)
    ops = {k: statistics.median(s.get(k, 0.0) for _, s in samples) for k in samples[0][1]}
    rows = {k: {"calls": calls[k] / steps, "ms": ms} for k, ms in sorted(ops.items(), key=lambda kv: -kv[1])}
    return {"total_ms": total, "ops": rows, "rest_ms": total - sum(ops.values())}


# --------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", default="benchmarks/results_lstm.json")
    parser.add_argument("--cpu", type=int, help="the CPU to pin the process to (default: the last one allowed)")
    args = parser.parse_args(argv)
    if Path(args.json).resolve() == (Path(__file__).resolve().parent / "results.json"):
        parser.error("results.json belongs to bench.py; write this one elsewhere")
    if missing_reference("bench_lstm"):
        return {}
    pinned = pin_to_one_cpu(args.cpu)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import torch

    torch.set_num_threads(1)
    print(f"LSTM character-model training step (vocabulary {N_VOCAB}, n_e {N_E}, n_a {N_A}, m {M}, T_x {T_X}, Adam, "
          f"clip_grad_norm_ {MAX_NORM}), float64, median of {args.repeats} after {args.warmup} warm-up steps; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, torch threads {torch.get_num_threads()}, "
          + ("not pinned" if pinned is None else f"pinned to CPU {pinned}"))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}")
    results: dict = {"threads": os.environ["OPENBLAS_NUM_THREADS"], "pinned_cpu": pinned,
                     "numpy": np.__version__, "torch": torch.__version__}
    results["check"] = correctness()
    results["first_calls_ms"] = first_calls()

    data = batches(64, seed=7)  # each call takes the next batch: every input changes between calls
    impls = {"pytorch": cycling(torch_step(), data), "tinygrad-nb eager": cycling(ours_step(use_jit=False), data),
             "tinygrad-nb jit": cycling(ours_step(use_jit=True), data)}
    medians = time_steps(impls, args.repeats, args.warmup)
    ref = medians["pytorch"]
    print(f"\nthe training step (ms per step):\n{'impl':<22}{'cpu ms':>9}{'x torch':>9}{'wall ms':>10}{'x torch':>9}")
    rows = {}
    for impl, t in medians.items():
        r = rows[impl] = {"cpu_ms": t["cpu"] * 1e3, "wall_ms": t["wall"] * 1e3,
                          "ratio_cpu": t["cpu"] / ref["cpu"], "ratio_wall": t["wall"] / ref["wall"]}
        print(f"{impl:<22}{r['cpu_ms']:>9.2f}{r['ratio_cpu']:>9.2f}{r['wall_ms']:>10.2f}{r['ratio_wall']:>9.2f}")
    results["steps"] = rows

    results["profile"] = {}
    for mode in ("jit", "eager"):
        prof = results["profile"][mode] = profile_ops(mode == "jit")
        print(f"\nper-op breakdown, {mode} (calls and ms per step; {prof['total_ms']:.2f} ms with timers):")
        for k, r in prof["ops"].items():
            if r["ms"] >= 0.03:
                print(f"  {k:<24}{r['calls']:>6.0f}{r['ms']:>8.3f}  {r['ms'] / prof['total_ms']:>5.1%}")
        print(f"  {'(rest: Adam, clip, glue)':<30}{prof['rest_ms']:>8.3f}  {prof['rest_ms'] / prof['total_ms']:>5.1%}")

    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2, default=float))
    print(f"wrote {args.json}")
    return results


if __name__ == "__main__":
    main()
