"""Freed memory stays in the process: glibc's malloc settings, unless the user set them."""

import ctypes
import os
import subprocess
import sys

import pytest

from tinycnn.kernels.runtime import memory

IS_GLIBC = os.uname().sysname == "Linux" and hasattr(ctypes.CDLL(None), "gnu_get_libc_version")


def fresh_pages(env, imports="numpy as np, tinycnn"):
    """Minor page faults of 20 rounds of allocating, touching and freeing two 8 MB arrays
    (as a layer's output and gradient are), in a new process."""
    program = (
        f"import resource, {imports}\n"
        "def faults(): return resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "a = np.ones(2 * 2**20, np.float32); b = np.ones(2 * 2**20, np.float32); del a, b\n"
        "before = faults()\n"  # the first round may map new pages
        "for _ in range(20):\n"
        "    a = np.ones(2 * 2**20, np.float32); b = np.ones(2 * 2**20, np.float32); del a, b\n"
        "print(faults() - before)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return int(done.stdout)


@pytest.mark.skipif(not IS_GLIBC, reason="the settings are glibc's; other C libraries keep theirs")
def test_a_freed_array_is_reused_without_new_pages():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    pages = 20 * 2 * 8 * 2**20 // 4096  # what 40 fresh 8 MB arrays would fault in
    assert fresh_pages(env) < pages // 20
    # glibc's own settings give a fresh array every round: the test can tell them apart
    assert fresh_pages(env, imports="numpy as np") > pages // 5


def test_a_users_own_malloc_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert memory.keep_freed_memory() is False
