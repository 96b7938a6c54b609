"""no_grad / enable_grad / explain as decorators and context managers: nesting, recursion and threads each
restore the state they found."""

import threading

import pytest

import tinygrad_nb
from tinygrad_nb import Tensor, detect_anomaly, enable_grad, no_grad


# ----- 5. mode switches: re-entrant and per thread -------------------------------------------------
def test_a_recursive_no_grad_function_leaves_the_caller_recording():
    @no_grad()
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    depth(3)
    assert tinygrad_nb.is_grad_enabled()
    assert (Tensor([1.0], requires_grad=True) * 2).requires_grad


def test_nested_switches_of_one_instance_restore_in_order():
    off, on = no_grad(), enable_grad()
    with off:
        with on:
            with off:
                assert not tinygrad_nb.is_grad_enabled()
            assert tinygrad_nb.is_grad_enabled()
        assert not tinygrad_nb.is_grad_enabled()
    assert tinygrad_nb.is_grad_enabled()


@pytest.mark.parametrize("switch, state", [
    (detect_anomaly, tinygrad_nb.is_anomaly_enabled),
    (lambda: no_grad(), lambda: not tinygrad_nb.is_grad_enabled()),
], ids=["detect_anomaly", "no_grad"])
def test_one_decorator_shared_by_threads_keeps_each_threads_state(switch, state):
    shared = switch()
    barrier = threading.Barrier(4)
    errors = []

    @shared
    def work(n):
        barrier.wait(timeout=10)  # all four inside the decorator at once
        if n:
            work(n - 1)
        if not state():
            errors.append("state lost inside")

    def run():
        try:
            work(0)
            if state():
                errors.append("state leaked after return")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and not state()
