"""Random graphs: hypothesis composes 1 to 30 ops over broadcastable shapes, with fan-out and reused
subgraphs, and every gradient (and second derivative) is checked against finite differences."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nb import Tensor, grad, maximum
from tinygrad_nb.testing import arrays, assert_gradients_match

# Each op keeps values bounded and smooth, so that finite differences are meaningful anywhere.
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "softplus": lambda a: a.softplus(),
    "exp_tanh": lambda a: a.tanh().exp(),
    "square": lambda a: a * a,
    "log_1p_sq": lambda a: (a * a + 1.0).log(),
    "scale": lambda a: a * 0.5 - 0.25,
    "sum_keep0": lambda a: a.sum(axis=0, keepdims=True) * 0.3 if a.ndim else a,
    "mean_keep_last": lambda a: a.mean(axis=-1, keepdims=True) if a.ndim else a,
    "lse_keep0": lambda a: a.logsumexp(axis=0, keepdims=True) if a.ndim else a,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "max_smooth": lambda a, b: maximum(a.tanh(), b.tanh() + 3.0),  # never tied: tanh(a) < 1 < 2 < the second
}


@st.composite
def graphs(draw):
    base = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    n_leaves = draw(st.integers(1, 3))
    leaves = []
    for _ in range(n_leaves):
        shape = tuple(n if draw(st.booleans()) else 1 for n in base)
        if draw(st.booleans()):
            shape = shape[1:]  # a leaf of lower rank, broadcast from the left
        leaves.append(draw(arrays(shape, low=-1.5, high=1.5)))
    steps = draw(st.lists(st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)), st.integers(0, 10**6),
                                    st.integers(0, 10**6)), min_size=1, max_size=30))
    return leaves, steps


def build(steps):
    def fn(*xs):
        pool = list(xs)
        for name, i, j in steps:
            a, b = pool[i % len(pool)], pool[j % len(pool)]  # any earlier tensor: fan-out and reuse
            pool.append(UNARY[name](a) if name in UNARY else BINARY[name](a, b))
        out = pool[len(xs)]
        for t in pool[len(xs) + 1:]:
            out = out + t  # every intermediate reaches the output
        return out
    return fn


@given(graphs())
def test_random_graph_gradients_match_finite_differences(case):
    leaves, steps = case
    xs = [Tensor(a, requires_grad=True) for a in leaves]
    assert_gradients_match(build(steps), *xs, rtol=1e-4, atol=1e-6)


def second_derivative_check(fn, x, eps=1e-5):
    """d/dx of (grad(sum(fn(x) * w), x) . v) by autograd (create_graph) and by centered differences."""
    rng = np.random.RandomState(0)
    out = fn(x)
    w = rng.uniform(0.5, 1.5, size=out.shape)
    v = rng.uniform(-1, 1, size=x.shape)

    def directional(t):
        (g,) = grad((fn(t) * w).sum(), t, create_graph=True, allow_unused=True)
        return (g * v).sum() if g is not None else Tensor(0.0)

    value = directional(x)
    # A first derivative that records nothing claims a second derivative of 0: the finite
    # differences below must then agree (if create_graph stopped recording, they would not).
    hv = grad(value, x, allow_unused=True)[0] if value.requires_grad else None
    analytic = np.zeros(x.shape) if hv is None else hv.data
    numeric = np.zeros(x.shape)
    flat = x.data.reshape(-1)
    for k in range(flat.size):
        keep = flat[k]
        flat[k] = keep + eps
        plus = directional(x)
        flat[k] = keep - eps
        minus = directional(x)
        flat[k] = keep
        numeric.reshape(-1)[k] = (plus.item() - minus.item()) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


@settings(max_examples=15, deadline=None)  # each example runs many small backward passes
@given(graphs())
def test_random_graph_second_derivatives(case):
    leaves, steps = case
    x = Tensor(leaves[0], requires_grad=True)
    others = [Tensor(a) for a in leaves[1:]]
    fn = build(steps)
    second_derivative_check(lambda t: fn(t, *others), x)
