"""The harness of the jit's contract tests: run one step eagerly and jitted from the same start, compare.

The contract (issue 21): a function compiled by ``tinygrad_nb.jit`` gives exactly the eager result on every
call (its outputs, every parameter, every ``.grad``), or raises ``JitError`` (that exact type). Nothing else.

``differential`` is the oracle: the starting state (models, optimisers, a user's RandomState, lists, ...) is
deep-copied in ONE ``copy.deepcopy`` so that the copied optimiser holds the copied parameters; the eager step
is built on the copy, the jitted step on the original, both get the same call sequence (the eager one a deep
copy of each call's arguments), the same changes between calls, and everything is compared after each call.

It also counts how often the jitted function's own Python ran (``python_runs``): a replay does not run it, so
that count is the number of recordings. It is counted with ``sys.setprofile`` on the function's code object,
which nothing inside the function can see (a counter inside the step would be state a guard may watch).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import nn
from nn.layers.module import Module
from nn.training.optim import Optimizer
from tinygrad_nb import JitError, Tensor, jit, side_effect

# ----- comparing ---------------------------------------------------------------------------------------

RTOL64, ATOL64 = 1e-12, 1e-15  # float64: the replay runs the very same NumPy calls
RTOL32, ATOL32 = 1e-6, 1e-7    # float32: a few ulps


class ContractViolationError(AssertionError):
    """The jitted function gave a result other than the eager one without raising JitError."""


def _as_array(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data
    return x


def assert_same(jitted: Any, eager: Any, what: str) -> None:
    """``jitted`` equals ``eager``: arrays by shape, dtype and value (1e-12 relative for float64, 1e-6 float32);
    Tensors by their data; None, numbers, strings, lists, tuples and dicts structurally."""
    jitted, eager = _as_array(jitted), _as_array(eager)
    if isinstance(eager, np.ndarray) or isinstance(jitted, np.ndarray):
        if not (isinstance(eager, np.ndarray) and isinstance(jitted, np.ndarray)):
            raise ContractViolationError(f"{what}: jitted gave {type(jitted).__name__}, eager {type(eager).__name__}")
        if jitted.shape != eager.shape or jitted.dtype != eager.dtype:
            raise ContractViolationError(f"{what}: jitted {jitted.dtype}{jitted.shape}, "
                                         f"eager {eager.dtype}{eager.shape}")
        if eager.dtype.kind == "f":
            rtol, atol = (RTOL32, ATOL32) if eager.dtype.itemsize <= 4 else (RTOL64, ATOL64)
            ok = np.allclose(jitted, eager, rtol=rtol, atol=atol, equal_nan=True)
            # allclose says inf == inf; a sign flip of an infinity is caught here
            ok = ok and bool(np.array_equal(np.isposinf(jitted), np.isposinf(eager)))
        else:
            ok = bool(np.array_equal(jitted, eager))
        if not ok:
            diff = np.abs(jitted.astype(np.float64) - eager.astype(np.float64))
            raise ContractViolationError(f"{what}: jitted differs from eager (max abs difference "
                                    f"{np.nanmax(diff) if diff.size else 0:.3g}; eager {_short(eager)}, jitted "
                                    f"{_short(jitted)})")
        return
    if isinstance(eager, (list, tuple)):
        if type(jitted) is not type(eager) or len(jitted) != len(eager):
            raise ContractViolationError(f"{what}: jitted gave {_short(jitted)}, eager {_short(eager)}")
        for k, (a, b) in enumerate(zip(jitted, eager)):
            assert_same(a, b, f"{what}[{k}]")
        return
    if isinstance(eager, dict):
        if not isinstance(jitted, dict) or sorted(jitted) != sorted(eager):
            raise ContractViolationError(f"{what}: jitted gave {_short(jitted)}, eager {_short(eager)}")
        for k in eager:
            assert_same(jitted[k], eager[k], f"{what}[{k!r}]")
        return
    if isinstance(eager, float) and isinstance(jitted, float):
        if not (np.isclose(jitted, eager, rtol=RTOL64, atol=ATOL64) or (np.isnan(jitted) and np.isnan(eager))):
            raise ContractViolationError(f"{what}: jitted {jitted!r}, eager {eager!r}")
        return
    if type(jitted) is not type(eager) or jitted != eager:
        raise ContractViolationError(f"{what}: jitted {_short(jitted)}, eager {_short(eager)}")


def _short(x: Any) -> str:
    text = np.array2string(x, threshold=6, edgeitems=2) if isinstance(x, np.ndarray) else repr(x)
    return text if len(text) < 160 else text[:157] + "..."


def collect_parameters(state: Any) -> list[Tensor]:
    """Every Tensor reachable from ``state`` (parameters, also after ``requires_grad = False``): through dicts,
    lists, tuples, Modules (their ``parameters()``) and optimisers (their ``params``), each once, in a fixed order."""
    found: dict[int, Tensor] = {}
    seen: set[int] = set()

    def walk(x: Any) -> None:
        if id(x) in seen:
            return
        seen.add(id(x))
        if isinstance(x, Tensor):
            found.setdefault(id(x), x)
        elif isinstance(x, Module):
            for p in x.parameters():
                walk(p)
        elif isinstance(x, Optimizer):
            for p in x.params:
                walk(p)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
    walk(state)
    return list(found.values())


def compare_states(jit_state: Any, eager_state: Any, what: str) -> None:
    """Every parameter's ``.data`` and ``.grad`` (None on both, or equal) and whether it requires grad."""
    jps, eps = collect_parameters(jit_state), collect_parameters(eager_state)
    if len(jps) != len(eps):
        raise ContractViolationError(f"{what}: {len(jps)} tensors reachable in the jitted state, "
                                     f"{len(eps)} in the eager")
    for k, (p, q) in enumerate(zip(jps, eps)):
        name = f"{what}: parameter {k} ({q.name or '?'})"
        assert_same(p.data, q.data, f"{name}.data")
        if bool(p.requires_grad) != bool(q.requires_grad):
            raise ContractViolationError(f"{name}.requires_grad is {p.requires_grad} jitted, {q.requires_grad} eager")
        if (p.grad is None) != (q.grad is None):
            raise ContractViolationError(f"{name}.grad is {'None' if p.grad is None else 'set'} jitted, "
                                    f"{'None' if q.grad is None else 'set'} eager")
        if q.grad is not None:
            assert_same(p.grad.data, q.grad.data, f"{name}.grad")


# ----- counting how often the function's Python ran -----------------------------------------------------

class PythonRuns:
    """Counts the frames of ``code`` started while active (``sys.setprofile``; a replay runs no such frame)."""

    def __init__(self, code: Any):
        self.code, self.count = code, 0

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is self.code:
            self.count += 1

    def __enter__(self) -> PythonRuns:
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.setprofile(self._previous)


# ----- the oracle ---------------------------------------------------------------------------------------

Call = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass
class Outcome:
    """What ``differential`` saw: how many calls agreed, the JitError that ended the run (or None), how many
    times the jitted function's Python ran (recordings), and the jitted function and states, to look at."""

    agreed: int
    refused: JitError | None
    python_runs: int
    jitted: Any = None
    jit_state: Any = None
    eager_state: Any = None
    eager_step: Any = None
    runs_per_call: list[int] = field(default_factory=list)


def differential(make_step: Callable[[Any], Callable[..., Any]], state: Any,
                 calls: Iterable[Call] | Callable[[int], Call], n_calls: int | None = None, *,
                 may_refuse: bool, between: Callable[[int, Any, Callable[..., Any]], None] | None = None,
                 observe: Callable[[Any], Any] | None = None, jit_kwargs: dict[str, Any] | None = None) -> Outcome:
    """Run ``make_step(state)`` jitted and ``make_step(deepcopy(state))`` eagerly on the same calls; compare.

    ``calls``: a list of (args, kwargs), or ``f(i) -> (args, kwargs)`` with ``n_calls``. The jitted step gets
    the arguments themselves, the eager one a deep copy. ``between(i, state, step)`` runs on both sides before
    call i (a change of state between calls; ``step`` is the plain function, to reach its globals).
    ``observe(state)``: more to compare after each call (a list the step appends to, a learning rate, ...).

    After each call the outputs, every parameter and ``.grad`` reachable from the state, and ``observe`` must
    agree. A ``JitError`` (exactly that type) ends the run: allowed when ``may_refuse``, a failure otherwise.
    When the eager call raises, the jitted one must raise the same type (or JitError). Anything else raises
    ``ContractViolationError`` naming the call.
    """
    eager_state = copy.deepcopy(state)  # one deepcopy: the copied optimiser holds the copied parameters
    eager_step = make_step(eager_state)
    plain = make_step(state)
    jitted = jit(plain, **(jit_kwargs or {}))
    counter = PythonRuns(plain.__code__)
    # a call's arguments are made just before it: a pattern that refills arrays in place must not run ahead
    seq = (calls(i) for i in range(n_calls)) if callable(calls) else iter(list(calls))  # type: ignore[arg-type]
    out = Outcome(0, None, 0, jitted, state, eager_state, eager_step)
    for i, (args, kwargs) in enumerate(seq):
        if between is not None:
            between(i, eager_state, eager_step)
            between(i, state, plain)
        e_args, e_kwargs = copy.deepcopy((args, kwargs))
        e_exc: BaseException | None = None
        e_out: Any = None
        try:
            e_out = eager_step(*e_args, **e_kwargs)
        except Exception as e:  # noqa: BLE001 - the jitted call must raise the same
            e_exc = e
        before = counter.count
        try:
            with counter:
                j_out = jitted(*args, **kwargs)
        except JitError as e:
            if type(e) is not JitError:
                raise ContractViolationError(f"call {i + 1}: raised {type(e).__name__}, a subclass; the contract's "
                                        f"refusal is JitError itself: {e}") from e
            out.refused, out.python_runs = e, counter.count
            out.runs_per_call.append(counter.count - before)
            if not may_refuse:
                raise ContractViolationError(f"call {i + 1}: the jit refused a step it must replay: {e}") from e
            return out
        except Exception as e:  # noqa: BLE001 - judged below
            out.runs_per_call.append(counter.count - before)
            if e_exc is not None and type(e) is type(e_exc):
                out.agreed += 1
                compare_states(state, eager_state, f"call {i + 1} (both raised {type(e).__name__})")
                continue
            raise ContractViolationError(f"call {i + 1}: the jitted call raised {type(e).__name__} (not JitError): {e}"
                                    + (f"; eager raised {type(e_exc).__name__}: {e_exc}" if e_exc else
                                       "; the eager call returned normally")) from e
        out.runs_per_call.append(counter.count - before)
        if e_exc is not None:
            raise ContractViolationError(f"call {i + 1}: eager raised {type(e_exc).__name__} ({e_exc}) but the jitted "
                                    "call returned") from e_exc
        assert_same(j_out, e_out, f"call {i + 1}: the output")
        compare_states(state, eager_state, f"call {i + 1}")
        if observe is not None:
            assert_same(observe(state), observe(eager_state), f"call {i + 1}: observed state")
        out.agreed += 1
    out.python_runs = counter.count
    return out


def training_step(model: Any, opt: Any, loss: Callable[..., Any] = nn.binary_cross_entropy) -> Callable[..., Any]:
    """The ordinary training step the tests jit: zero_grad, J = loss(model(X), Y), backward, step; returns J."""
    def step(X: Any, Y: Any) -> Any:
        opt.zero_grad()
        J = loss(model(X), Y)
        J.backward()
        opt.step()
        return J
    return step


def function_with_globals(source: str, namespace: dict[str, Any], name: str = "step") -> Callable[..., Any]:
    """``name`` defined by ``source`` in a module namespace of its own (``namespace`` plus ``nn``, ``np``,
    ``Tensor``), so that a test can read and swap real globals of a jitted function."""
    glb: dict[str, Any] = {"nn": nn, "np": np, "Tensor": Tensor, "__name__": f"_jit_contract_{name}"}
    glb.update(namespace)
    exec(compile(source, f"<jit contract: {name}>", "exec"), glb)  # noqa: S102 - test programs
    return glb[name]


# ----- random programs for the differential fuzz ---------------------------------------------------------

OPTIMISERS: dict[str, Callable[[list[Tensor]], Optimizer]] = {
    "sgd": lambda ps: nn.optim.SGD(ps, 0.05),
    "momentum": lambda ps: nn.optim.SGD(ps, 0.05, momentum=0.9),
    "adam": lambda ps: nn.optim.Adam(ps, 0.01),
    "rmsprop": lambda ps: nn.optim.RMSprop(ps, 0.01),
}

# (output activation, loss, label kind): labels "binary" (0/1, (1, m)), "onehot" (C, m), "class" ((1, m) ints),
# "real" (any values of A's shape)
MLP_HEADS: dict[str, tuple[str, str, str]] = {
    "sigmoid+bce": ("sigmoid", "binary_cross_entropy", "binary"),
    "identity+bce_logits": ("identity", "binary_cross_entropy_with_logits", "binary"),
    "identity+mse": ("identity", "mse", "real"),
    "tanh+mse": ("tanh", "mse", "real"),
    "sigmoid+mse": ("sigmoid", "mse", "real"),
    "softmax+mse": ("softmax", "mse", "onehot"),
    "identity+cross_entropy": ("identity", "cross_entropy", "class"),
    "identity+cross_entropy_onehot": ("identity", "cross_entropy", "onehot"),
}

PATTERNS = ("same", "new", "inplace", "tensor", "tensor_rebound", "alternate")


def labels_for(kind: str, n_out: int, m: int, rng: np.random.RandomState, dtype: str) -> np.ndarray:
    """Labels of a kind, in ``dtype`` ("float64", "float32", "int64"; reals are never ints)."""
    if kind == "binary":
        y = (rng.rand(1, m) > 0.5).astype(np.float64)
    elif kind == "class":
        y = rng.randint(0, n_out, size=(1, m)).astype(np.float64)
    elif kind == "onehot":
        y = np.zeros((n_out, m))
        y[rng.randint(0, n_out, size=m), np.arange(m)] = 1.0
    else:
        y = rng.randn(n_out, m)
        if dtype == "int64":
            dtype = "float64"
    return y.astype(dtype)


class CallSequence:
    """The arguments of each call for a call pattern: ``data(m, k)`` makes call k's fresh arrays of batch m.

    same: one tuple of arrays for every call; new: fresh arrays each call; inplace: the same array objects,
    refilled with call k's values before call k; tensor: fresh Tensors each call; tensor_rebound: the same
    Tensor objects, their .data rebound each call; alternate: fresh arrays, batch sizes m and m2 in turn.
    """

    def __init__(self, pattern: str, data: Callable[[int, int], tuple[np.ndarray, ...]], m: int, m2: int):
        self.pattern, self.data, self.m, self.m2 = pattern, data, m, m2
        self.fixed = data(m, 0)
        self.tensors = tuple(Tensor(a.copy()) if a.dtype.kind == "f" else a.copy() for a in self.fixed)

    def signatures(self) -> int:
        return 2 if self.pattern == "alternate" and self.m2 != self.m else 1

    def __call__(self, k: int) -> Call:
        p = self.pattern
        if p == "same":
            return self.fixed, {}
        if p == "new":
            return self.data(self.m, k), {}
        if p == "alternate":
            return self.data(self.m if k % 2 == 0 else self.m2, k), {}
        if p == "inplace":
            for a, b in zip(self.fixed, self.data(self.m, k)):
                a[...] = b
            return self.fixed, {}
        fresh = self.data(self.m, k)
        if p == "tensor":
            return tuple(Tensor(a) if a.dtype.kind == "f" else a for a in fresh), {}
        # tensor_rebound
        for t, a in zip(self.tensors, fresh):
            if isinstance(t, Tensor):
                t.data = a
            else:
                t[...] = a
        return self.tensors, {}


@dataclass
class MLPProgram:
    dims: list[int]
    hidden: str
    head: str
    optimiser: str
    dtype: str
    label_dtype: str
    pattern: str
    m: int
    m2: int
    seed: int
    calls: int
    keep_prob: float = 1.0  # < 1: a Dropout after each hidden layer (its mask an op, drawn again by each replay)
    extras: bool = False  # a logging side effect given J, and clip_grad_norm_ whose norm the step returns


@side_effect
def log_cost(log: list[float], J: Tensor) -> None:
    """A user's logging side effect: the jit passes it each call's J."""
    log.append(float(J.data))


def build_mlp(prog: MLPProgram) -> tuple[dict[str, Any], Callable[[Any], Callable[..., Any]], CallSequence]:
    """The state (model, optimiser), the step factory and the calls of a random MLP program."""
    output, loss_name, label_kind = MLP_HEADS[prog.head]
    model = nn.MLP(prog.dims, hidden=prog.hidden, output=output, rng=prog.seed, keep_prob=prog.keep_prob)
    if prog.dtype == "float32":
        model.astype(np.float32)
    opt = OPTIMISERS[prog.optimiser](model.parameters())
    state: dict[str, Any] = {"model": model, "opt": opt, "log": []}
    loss = nn.training.losses.LOSSES[loss_name]

    def make_step(s: dict[str, Any]) -> Callable[..., Any]:
        if not prog.extras:
            return training_step(s["model"], s["opt"], loss)
        model, opt, log = s["model"], s["opt"], s["log"]

        def step(X: Any, Y: Any) -> Any:
            opt.zero_grad()
            J = loss(model(X), Y)
            log_cost(log, J)
            J.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            return J, norm
        return step

    n_x, n_out = prog.dims[0], prog.dims[-1]
    label_dtype = prog.label_dtype if label_kind in ("binary", "class") else (
        "float64" if prog.label_dtype == "int64" else prog.label_dtype)

    def data(m: int, k: int) -> tuple[np.ndarray, ...]:
        rng = np.random.RandomState([prog.seed, m, k])
        X, Y = rng.randn(n_x, m).astype(prog.dtype), labels_for(label_kind, n_out, m, rng, label_dtype)
        if label_kind != "real":  # two calls in a row with one shape never hold the very same labels (a batch of
            j = k // 2 if prog.pattern == "alternate" else k  # one binary label would, every other call)
            classes = 2 if label_kind == "binary" else n_out
            if label_kind == "onehot":
                Y[:, 0] = 0
                Y[j % classes, 0] = 1
            else:
                Y[0, 0] = j % classes
        return X, Y
    return state, make_step, CallSequence(prog.pattern, data, prog.m, prog.m2)


# raw-engine programs: a list of instructions over a pool of values. Every value is (n, m), (n, 1), (1, m) or
# (1, 1); parameters W (n, n), b (n, 1), c (1, 1); inputs X (n, m) and U (n, m).
UNARY = ("exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "neg", "clip", "transpose2", "reshape2", "detach",
         "sum0", "sum1", "mean0", "mean1", "max0", "max1", "slice", "argmax_pick")
BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "where_gt", "where_ge", "where_lt", "where_le",
          "mask_sum", "matmul")
REFUSABLE = ("detach", "mask_sum")  # the jit may refuse these (with a message about them); the rest must replay


@dataclass
class RawProgram:
    n: int
    instructions: list[tuple[str, int, int]]  # (op, first operand, second operand) as indices into the pool
    optimiser: str
    dtype: str
    pattern: str
    m: int
    m2: int
    seed: int
    calls: int

    def may_refuse(self) -> bool:
        return any(op in REFUSABLE for op, _, _ in self.instructions)


def _apply(op: str, a: Tensor, b: Tensor, W: Tensor) -> Tensor:
    """One instruction; the result has one of the pool's shapes."""
    from tinygrad_nb import maximum, minimum, where
    if op == "exp":
        return a.clip(-6.0, 6.0).exp()
    if op == "log":
        return (a * a + 0.5).log()
    if op == "tanh":
        return a.tanh()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "relu":
        return a.relu()
    if op == "leaky_relu":
        return a.leaky_relu(0.1)
    if op == "neg":
        return -a
    if op == "clip":
        return a.clip(-0.5, 0.7)
    if op == "transpose2":
        return (a.T * 1.5).T
    if op == "reshape2":
        return (a.reshape(-1) - 0.25).reshape(a.shape)
    if op == "detach":
        return a.detach() * a
    if op in ("sum0", "mean0", "max0"):
        return getattr(a, op[:-1])(axis=0, keepdims=True)
    if op in ("sum1", "mean1", "max1"):
        return getattr(a, op[:-1])(axis=1, keepdims=True)
    if op == "slice":
        return a[:-1].sum(axis=0, keepdims=True) if a.shape[0] > 1 else a[:, :1] * 2.0
    if op == "argmax_pick":  # argmax used as an index: the largest entry of each column
        if a.shape[0] == 1:
            return a * 0.5
        idx = a.argmax(axis=0)
        return a[idx, np.arange(a.shape[1])].reshape(1, a.shape[1])
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / (b * b + 0.5)
    if op == "maximum":
        return maximum(a, b)
    if op == "minimum":
        return minimum(a, b)
    if op.startswith("where_"):
        cond = {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op[6:]]
        return where(cond, a, b * 0.3)
    if op == "mask_sum":  # a boolean mask from a comparison selects a data-dependent number of entries
        mask = a > b if np.broadcast_shapes(a.shape, b.shape) == a.shape else a > 0.1
        return (a[mask] * 1.0).sum().reshape(1, 1) + b.mean() * 0.1
    if op == "matmul":
        return W @ a if a.shape[0] == W.shape[1] else a * b
    raise ValueError(op)


def build_raw(prog: RawProgram) -> tuple[dict[str, Any], Callable[[Any], Callable[..., Any]], CallSequence]:
    """The state (W, b, c and the optimiser), the step factory and the calls of a random raw-engine program."""
    rng = np.random.RandomState(prog.seed)
    n, dt = prog.n, prog.dtype
    W = Tensor(rng.randn(n, n).astype(dt) * 0.5, requires_grad=True, name="W")
    b = Tensor(rng.randn(n, 1).astype(dt) * 0.5, requires_grad=True, name="b")
    c = Tensor(rng.randn(1, 1).astype(dt), requires_grad=True, name="c")
    state = {"params": [W, b, c], "opt": OPTIMISERS[prog.optimiser]([W, b, c])}

    def make_step(s: dict[str, Any]) -> Callable[..., Any]:
        W, b, c = s["params"]
        opt = s["opt"]

        def step(X, U):
            opt.zero_grad()
            X = X if isinstance(X, Tensor) else Tensor(X)
            U = U if isinstance(U, Tensor) else Tensor(U)
            pool = [W @ X + b, X * c, U, b * c]
            for op, i, j in prog.instructions:
                a, o = pool[i % len(pool)], pool[j % len(pool)]
                pool.append(_apply(op, a, o, W))
            J = pool[-1].mean() + (pool[-2] * pool[-2]).mean() * 0.5 + (W * W).sum() * 1e-3 + (c * c).sum() * 1e-3
            J.backward()
            opt.step()
            return J, pool[-1]
        return step

    def data(m: int, k: int) -> tuple[np.ndarray, ...]:
        r = np.random.RandomState([prog.seed, m, k])
        return r.randn(n, m).astype(dt), r.randn(n, m).astype(dt)
    return state, make_step, CallSequence(prog.pattern, data, prog.m, prog.m2)
