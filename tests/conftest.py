"""Shared test setup: one BLAS thread, and hypothesis profiles with bounded examples and no deadline."""

import os

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: 5-10x faster on a 2-core machine

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("stress", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# CI runs every independent check (.ci/run installs every extra, PyTorch and Chromium, and sets this):
# there a test that skips (an extra, a browser or the course's files not found) fails instead, naming why.
# A test marked @pytest.mark.machine_dependent may still skip: what it needs (two cores, NumPy >= 2.1) is
# the machine's, not something CI can install.
EVERY_CHECK = os.environ.get("TINYGRAD_NB_EVERY_CHECK") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if EVERY_CHECK and report.skipped and not hasattr(report, "wasxfail") \
            and item.get_closest_marker("machine_dependent") is None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"skipped, but TINYGRAD_NB_EVERY_CHECK=1 asks for every check: {reason}\n"
                           "install what it names (make test installs the extras; .ci/run also PyTorch and Chromium)")
