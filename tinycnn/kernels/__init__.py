"""Layer L0: the compute kernels. ndarray in, ndarray out; NumPy, Numba and stdlib only.

    sets.py        the ops every kernel set provides; `use` switches sets, `active` is in force
    conv.py        convolution forward and backward: picks one of the four algorithms below
    conv_im2col.py   ... im2col + one GEMM (the textbook method)
    conv_taps.py     ... one accumulating GEMM per kernel tap on the tap grid
    conv_rows.py     ... one accumulating GEMM per kernel row on the row grid
    conv_winograd.py ... Winograd's F(2x2, 3x3): 16 GEMMs on transformed 4x4 tiles
    winograd.py    the Winograd transforms of filters, input tiles and outputs
    im2col.py      image patches <-> columns (im2col, col2im)
    grid.py        the tap grid (padded, split by stride phase, side by side): sizes, copies
    openblas.py    NumPy's OpenBLAS called directly: GEMM with offsets and C += A @ B
    workspace.py   scratch buffers reused between calls; batch chunks that bound them
    pooling.py     max, average and adaptive average pooling
    lrn.py         local response normalization
    batch_norm.py  batch normalization (training and evaluation)
    relu.py        the rectified linear unit
    sgd.py         the SGD update of one parameter, in one pass over its memory
    reference.py   slow float64 loop oracles of all of the above (tests and benchmarks only)
    threads.py     sharing the cores between Numba and OpenBLAS; serial builds for small work
    memory.py      keeping freed memory in the process (no page faults on every batch)

Nothing here knows about Tensor or autograd, and nothing here checks its arguments:
`tinycnn.nn.functional` does that before any kernel runs.
"""

# Imported for their side effects, before anything loads NumPy: threads.py sets
# OMP_WAIT_POLICY and OPENBLAS_THREAD_TIMEOUT (unless the user set them) before any thread
# pool starts, and memory.py keeps freed memory in the process; each file says why.
from tinycnn.kernels import memory, threads  # noqa: F401
from tinycnn.kernels.sets import OP_NAMES, SETS, KernelSet, active, use

__all__ = ["OP_NAMES", "SETS", "KernelSet", "active", "use"]
