"""Differential fuzz of the jit (issue 21): random programs run eagerly and jitted from the same start, every call
pattern, compared after every call (outputs, every parameter, every .grad: 1e-12 in float64, 1e-6 in float32).

Two families of programs, each trained for several calls with an optimiser from nn.optim inside the step:

* MLP programs: a random ``nn.MLP`` (layer sizes, hidden activation, output + loss: bce, bce with logits, mse,
  softmax + mse, cross-entropy with integer or one-hot labels), SGD / momentum / Adam / RMSprop, float32 or
  float64, labels float64 / float32 / int64. Ordinary training: the jit must give the eager result, must NOT
  refuse (a JitError is a failure), and must replay (the step's Python runs at most twice per shape).
* raw-engine programs: a random sequence of Tensor ops over parameters W, b, c and inputs X, U (+ - * /, matmul,
  exp, log, tanh, sigmoid, relu, leaky_relu, clip, comparisons + where, maximum / minimum, sum / mean / max with
  an axis, reshape, transpose, slices, argmax as an index, boolean masks from comparisons, detach). The eager
  result is required; a JitError is accepted only for a program using ``detach`` or a boolean mask (a shape that
  depends on the data), the two things the issue lets the jit refuse.

Call patterns: the same arrays every call, new arrays each call, the same arrays refilled in place, new Tensors,
the same Tensors with .data rebound, and two batch sizes in turn.

The CI-sized tests run 500 programs; ``-m slow`` runs 3,000 (``make test-slow``).
"""

from __future__ import annotations

import numpy as np
import pytest
from _jit_programs import (
    BINARY,
    MLP_HEADS,
    OPTIMISERS,
    PATTERNS,
    UNARY,
    MLPProgram,
    RawProgram,
    build_mlp,
    build_raw,
    differential,
)
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

HIDDEN = ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]
SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _note(text: str) -> None:
    if currently_in_test_context():  # the fixed programs run outside hypothesis
        note(text)


def _event(text: str) -> None:
    if currently_in_test_context():
        event(text)


def _other_size(draw, m: int, top: int) -> int:
    """A batch size in 1..top other than m (the second shape of the alternating pattern)."""
    k = draw(st.integers(1, top - 1))
    return k + 1 if k >= m else k


@st.composite
def mlp_programs(draw) -> MLPProgram:
    head = draw(st.sampled_from(sorted(MLP_HEADS)))
    kind = MLP_HEADS[head][2]
    n_out = 1 if kind == "binary" else draw(st.integers(2 if kind in ("class", "onehot") else 1, 4))
    dims = [draw(st.integers(1, 5)), *draw(st.lists(st.integers(1, 6), max_size=3)), n_out]
    pattern = draw(st.sampled_from(PATTERNS))
    m = draw(st.integers(1, 12))
    m2 = _other_size(draw, m, 12) if pattern == "alternate" else m
    return MLPProgram(dims=dims, hidden=draw(st.sampled_from(HIDDEN)), head=head,
                      optimiser=draw(st.sampled_from(sorted(OPTIMISERS))),
                      dtype=draw(st.sampled_from(["float64", "float32"])),
                      label_dtype=draw(st.sampled_from(["float64", "float32", "int64"])),
                      pattern=pattern, m=m, m2=m2, seed=draw(st.integers(0, 2**16)),
                      calls=draw(st.integers(8, 10) if pattern == "alternate" else st.integers(6, 9)),
                      keep_prob=draw(st.sampled_from([1.0, 1.0, 0.8])), extras=draw(st.booleans()))


@st.composite
def raw_programs(draw) -> RawProgram:
    ops = st.sampled_from(UNARY + BINARY)
    instructions = draw(st.lists(st.tuples(ops, st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=8))
    pattern = draw(st.sampled_from(PATTERNS))
    m = draw(st.integers(1, 8))
    m2 = _other_size(draw, m, 8) if pattern == "alternate" else m
    return RawProgram(n=draw(st.integers(2, 4)), instructions=instructions,
                      optimiser=draw(st.sampled_from(sorted(OPTIMISERS))),
                      dtype=draw(st.sampled_from(["float64", "float32"])), pattern=pattern, m=m, m2=m2,
                      seed=draw(st.integers(0, 2**16)),
                      calls=draw(st.integers(7, 9) if pattern == "alternate" else st.integers(5, 8)))


def check_mlp(prog: MLPProgram) -> None:
    """Eager result on every call, no refusal, and it replays (the last call of each shape runs no Python)."""
    _note(repr(prog))
    state, make_step, calls = build_mlp(prog)
    out = differential(make_step, state, calls, prog.calls, may_refuse=False, observe=lambda s: list(s["log"]))
    assert out.agreed == prog.calls
    # the jit may record more than twice where two calls' small batches happen to hold equal labels (a jit may
    # take that as a sign of a constant), but it must end up replaying: the last call of each shape replays
    n = calls.signatures()
    assert out.runs_per_call[-n:] == [0] * n and out.python_runs <= prog.calls - n, (
        f"ordinary training did not replay: the step's Python ran {out.python_runs} times in {prog.calls} calls "
        f"({out.runs_per_call}), {n} shape(s)")
    _event(f"mlp: replayed {prog.calls - out.python_runs} of {prog.calls} calls")


def check_raw(prog: RawProgram) -> None:
    """Eager result on every call; a JitError only for a program with detach or a boolean mask."""
    _note(repr(prog))
    state, make_step, calls = build_raw(prog)
    out = differential(make_step, state, calls, prog.calls, may_refuse=prog.may_refuse())
    if out.refused is not None:
        _event("raw: refused (detach / boolean mask)")
    else:
        assert out.agreed == prog.calls
        _event("raw: replayed" if out.python_runs < prog.calls else "raw: recorded every call")


# ----- CI-sized: 200 + 300 programs (the whole file runs in about 15 s on 2 cores; under 40 s when shrinking) -
@settings(max_examples=200, deadline=None, suppress_health_check=SUPPRESS)
@given(prog=mlp_programs())
def test_random_mlp_training_replays_as_eager(prog):
    check_mlp(prog)


@settings(max_examples=300, deadline=None, suppress_health_check=SUPPRESS)
@given(prog=raw_programs())
def test_random_engine_programs_replay_as_eager_or_are_refused(prog):
    check_raw(prog)


# each call pattern at least once per run, whatever the examples drawn
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("head", ["sigmoid+bce", "identity+cross_entropy", "identity+mse"])
def test_each_call_pattern_on_a_fixed_mlp(pattern, head):
    kind = MLP_HEADS[head][2]
    check_mlp(MLPProgram(dims=[3, 5, 4, 1 if kind in ("binary", "real") else 3], hidden="tanh", head=head,
                         optimiser="adam", dtype="float64", label_dtype="float64", pattern=pattern, m=7, m2=4,
                         seed=3, calls=9, keep_prob=0.8 if head == "sigmoid+bce" else 1.0,
                         extras=head != "identity+mse"))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_call_pattern_on_a_fixed_engine_program(pattern):
    instructions = [("where_gt", 0, 1), ("maximum", 4, 2), ("sum0", 5, 0), ("mul", 6, 0), ("argmax_pick", 7, 0),
                    ("transpose2", 7, 0), ("clip", 9, 0), ("log", 10, 0), ("matmul", 11, 2)]
    check_raw(RawProgram(n=3, instructions=instructions, optimiser="momentum", dtype="float64", pattern=pattern,
                         m=6, m2=3, seed=5, calls=8))


# ----- the big run: 3,000 programs over both families ------------------------------------------------------
@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=SUPPRESS)
@given(prog=st.one_of(mlp_programs(), raw_programs()))
def test_three_thousand_random_programs_replay_as_eager(prog):
    if isinstance(prog, MLPProgram):
        check_mlp(prog)
    else:
        check_raw(prog)


def test_the_fuzzers_programs_are_valid_eagerly():
    # a self-check of the generators: programs of every op and head run eagerly and train (a parameter moves)
    rng = np.random.RandomState(0)
    for op in UNARY + BINARY:
        prog = RawProgram(n=3, instructions=[(op, int(rng.randint(9)), int(rng.randint(9))), ("tanh", 5, 0)],
                          optimiser="sgd", dtype="float64", pattern="new", m=4, m2=4, seed=1, calls=2)
        state, make_step, calls = build_raw(prog)
        before = [p.data.copy() for p in state["params"]]
        step = make_step(state)
        for k in range(2):
            args, _ = calls(k)
            J, _ = step(*args)
            assert np.isfinite(J.data).all(), op
        assert any(not np.array_equal(p.data, q) for p, q in zip(state["params"], before)), op
    for head in MLP_HEADS:
        prog = MLPProgram(dims=[2, 3, 1 if MLP_HEADS[head][2] in ("binary",) else 3], hidden="relu", head=head,
                          optimiser="sgd", dtype="float32", label_dtype="int64", pattern="new", m=5, m2=5, seed=0,
                          calls=2)
        state, make_step, calls = build_mlp(prog)
        step = make_step(state)
        for k in range(2):
            args, _ = calls(k)
            assert np.isfinite(step(*args).data).all(), head
