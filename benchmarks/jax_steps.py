"""JAX's CPU training step, written the way a JAX user writes it (optional: skipped if absent).

One ``jax.jit``-compiled function does the forward pass, the binary cross-entropy cost, the
backward pass (``jax.value_and_grad``) and the SGD update; the parameters are donated so XLA
updates them in place, and every step blocks on its result so the timing is honest. JAX runs on
the CPU with float64 enabled (``jax_enable_x64``). XLA is asked for one thread through
``XLA_FLAGS`` (set below, before JAX loads, only if the variable is not already set), like the
one BLAS thread of the other implementations.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

LR = 0.0075


def available() -> bool:
    return importlib.util.find_spec("jax") is not None


def version() -> str:
    import jax

    return jax.__version__


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def init(dims, dtype_name) -> list[tuple[np.ndarray, np.ndarray]]:
    """torch.nn.Linear's default initialisation (what torch_steps gets): W and b drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)); seeded here so that runs repeat. JAX's layout, like
    PyTorch's: X is (m, n_x), so W is (fan_in, fan_out) and b is (fan_out,)."""
    rng = np.random.RandomState(1)
    params = []
    for l in range(1, len(dims)):
        bound = 1 / np.sqrt(dims[l - 1])
        W = rng.uniform(-bound, bound, (dims[l - 1], dims[l])).astype(dtype_name)
        b = rng.uniform(-bound, bound, dims[l]).astype(dtype_name)
        params.append((W, b))
    return params


class _Step:
    """The zero-argument step; ``params()`` and ``cost`` read its state back (for checks)."""

    def __init__(self, dims, m, hidden, dtype_name, data, params=None):
        jax = _jax()
        import jax.numpy as jnp

        cpu = jax.devices("cpu")[0]
        g = jax.nn.relu if hidden == "relu" else jnp.tanh

        def loss(params, X, Y):
            A = X
            for l, (W, b) in enumerate(params, start=1):
                Z = A @ W + b
                A = jax.nn.sigmoid(Z) if l == len(params) else g(Z)
            return -jnp.mean(Y * jnp.log(A) + (1 - Y) * jnp.log(1 - A))

        def train(params, X, Y):
            J, grads = jax.value_and_grad(loss)(params, X, Y)
            return jax.tree.map(lambda p, dp: p - LR * dp, params, grads), J

        self._train = jax.jit(train, donate_argnums=0)
        X, Y = data(dims, m, dtype_name)
        self._X = jax.device_put(X.T.copy(), cpu)  # (m, n_x), like PyTorch's
        self._Y = jax.device_put(Y.T.copy(), cpu)
        self._params = jax.device_put(init(dims, dtype_name) if params is None else params, cpu)
        self._J = None
        self._block = jax.block_until_ready

    def __call__(self) -> None:
        self._params, self._J = self._block(self._train(self._params, self._X, self._Y))

    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(np.asarray(W), np.asarray(b)) for W, b in self._params]

    @property
    def cost(self) -> float:
        """The cost computed by the last step (before its update)."""
        return float(self._J)


def step(dims, m, hidden, dtype_name, data, params=None) -> Callable[[], None]:
    """One jitted training step. ``params`` (optional): initial [(W, b), ...] in JAX's layout,
    W (fan_in, fan_out) and b (fan_out,); by default ``init``, PyTorch's default scale."""
    return _Step(dims, m, hidden, dtype_name, data, params)


def trace_ms(dims, m, hidden, data) -> float:
    """Milliseconds of the first call of a fresh float64 step: trace, compile and run once."""
    run = step(dims, m, hidden, "float64", data)
    t0 = time.perf_counter()
    run()
    return (time.perf_counter() - t0) * 1e3
