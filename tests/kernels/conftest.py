"""Fixtures shared by the kernel tests."""

import sys

import pytest

from tinycnn.kernels.runtime import threads


@pytest.fixture(params=["parallel", "serial"])
def build(request, monkeypatch):
    """Run every `parallel_kernel` of the test in one build, whatever the problem size.

    The kernels pick their serial build for small problems, and test problems are small, so
    without this the parallel builds would go untested.
    """
    threshold = 0 if request.param == "parallel" else sys.maxsize
    monkeypatch.setattr(threads, "PARALLEL_MIN_WORK", threshold)
    return request.param
