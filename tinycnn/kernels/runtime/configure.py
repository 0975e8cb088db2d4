"""The process settings tinycnn makes for speed, in one explicit call: `configure`.

``tinycnn/__init__.py`` calls it first, before NumPy or Numba load, because the thread
pools read their variables when they start. It sets, each only where you have not:

- ``OMP_WAIT_POLICY=PASSIVE``: a Numba thread waiting at the end of a parallel loop sleeps
  instead of spinning on a core another thread needs (``threads.py`` says why).
- ``GOMP_SPINCOUNT=1000``: but first it spins a little, some tens of microseconds (GNU
  OpenMP, the runtime of Numba's ``omp`` layer on Linux; other runtimes ignore it and just
  sleep). Waking a sleeping thread can cost more than many loops take (on a virtual machine
  whose idle cores halt at once; docs/performance.md has the figures), and the loops of a
  network come in runs (a BatchNorm, then a ReLU, then the next layer's copy): a short spin
  catches the next loop, or the other thread's end of this one, awake. Set only when you
  have set neither this nor ``OMP_WAIT_POLICY``.
- ``OPENBLAS_THREAD_TIMEOUT=4``: OpenBLAS's threads stop spinning soon after a GEMM.
  OpenBLAS reads it when NumPy is first imported, so it takes effect only if tinycnn is
  imported before NumPy (or if you export it in the shell).
- glibc's malloc keeps freed memory in the process (``memory.py``), unless you set
  ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_``.

To opt out of all of them, set ``TINYCNN_CONFIGURE=0`` in the environment before importing
tinycnn. Only the standard library is imported here.
"""

import os

from tinycnn.kernels.runtime import memory

# The variables `configure` set (those the user had not), so that a program that starts
# another framework in a child process can hand it the environment without them.
SET_BY_TINYCNN = {}
THREAD_VARIABLES = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "1000",
                    "OPENBLAS_THREAD_TIMEOUT": "4"}  # fmt: skip
# GOMP_SPINCOUNT refines the wait policy: a user who chose a policy gets it as chosen.
REFINES = {"GOMP_SPINCOUNT": "OMP_WAIT_POLICY"}


def configure():
    """Make the settings above (once per process); returns what it set.

    Returns:
        A dict: the environment variables set, and ``"keep_freed_memory"`` if glibc took
        that setting. Empty when ``TINYCNN_CONFIGURE=0``.
    """
    if os.environ.get("TINYCNN_CONFIGURE") == "0":
        return {}
    chosen_by_user = set(THREAD_VARIABLES) & set(os.environ)
    for name, value in THREAD_VARIABLES.items():
        if name not in chosen_by_user and REFINES.get(name) not in chosen_by_user:
            os.environ[name] = SET_BY_TINYCNN[name] = value
    settings = dict(SET_BY_TINYCNN)
    if memory.keep_freed_memory():
        settings["keep_freed_memory"] = True
    return settings
