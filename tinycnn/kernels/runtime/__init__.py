"""The plumbing under the fast kernels: none of it is mathematics.

configure.py   the process settings tinycnn makes at import (threads, malloc); opt-out
threads.py     sharing the cores between Numba and OpenBLAS; serial builds for small work
openblas.py    NumPy's OpenBLAS called directly: GEMM with offsets and C += A @ B
workspace.py   scratch buffers reused between calls; batch chunks that bound them
memory.py      keeping freed memory in the process (no page faults on every batch)
"""
