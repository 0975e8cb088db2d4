"""Fixtures shared by the kernel tests."""

import sys

import pytest

from tinycnn.kernels.conv import parts
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


@pytest.fixture
def cut_over_images(monkeypatch):
    """Cut every convolution call of the test into two parts of images, as on 2 cores,
    however small."""
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    monkeypatch.setattr(parts, "MIN_PART_FLOP", 1)
