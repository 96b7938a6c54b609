"""How many threads BLAS (NumPy's matrix products) may use while fit trains.

The rule: one thread, unless the largest matrix product of one step has at least
``BIG_PRODUCT`` multiply-adds; then up to ``MAX_THREADS`` (never more than the machine's
cores). The course's networks are small: the cat model's largest product, W1 (20, 12288)
by X (12288, 209), is 51 million multiply-adds, and the digits' 3 million. On such matrices a
second BLAS thread gained nothing on an idle 2-core machine (cat, 200 iterations: 1.23 s with
1 thread, 1.21 s with 2) and cost several times over beside two busy processes, where the
threads wait for each other (digits, 1,000 iterations: 2.3-4.6 s with 1 thread, 14-30 s with 2).

A setting of the user's wins: an explicit ``fit(blas_threads=n)``, or any of
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``BLIS_NUM_THREADS``,
``VECLIB_MAXIMUM_THREADS`` in the environment (then fit leaves BLAS as it is). The limit is
set with threadpoolctl, an optional package (``pip install threadpoolctl``); without it nothing
changes. The previous limits are restored when fit returns.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS")
BIG_PRODUCT = 500_000_000  # multiply-adds of one matrix product from which more threads pay
MAX_THREADS = 4


def user_sets_threads() -> bool:
    """True when the environment sets one of the BLAS thread variables ``ENV_VARS`` (to anything but blanks)."""
    return any(os.environ.get(name, "").strip() for name in ENV_VARS)


def auto_threads(largest_product: int) -> int:
    """The rule: 1 thread below ``BIG_PRODUCT`` multiply-adds, else up to MAX_THREADS (and the cores)."""
    if largest_product < BIG_PRODUCT:
        return 1
    return max(1, min(MAX_THREADS, os.cpu_count() or 1))


@contextlib.contextmanager
def blas_threads(requested: int | None, largest_product: int) -> Iterator[None]:
    """Limit BLAS to ``requested`` threads (None: the rule, unless the environment sets them) inside the block.

    BLAS is left as it is under an environment setting, or without threadpoolctl. The limits
    before the block are restored after it.
    """
    if requested is None:
        if user_sets_threads():
            yield
            return
        requested = auto_threads(largest_product)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=requested, user_api="blas"):
        yield
