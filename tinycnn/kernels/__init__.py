"""Layer L0: the compute kernels. ndarray in, ndarray out; NumPy, Numba and stdlib only.

    im2col.py      image patches <-> columns (im2col, col2im)
    conv.py        convolution forward and backward as im2col + one GEMM
    pooling.py     max, average and adaptive average pooling
    lrn.py         local response normalization
    batch_norm.py  batch normalization (training and evaluation)
    relu.py        the rectified linear unit
    reference.py   slow float64 loop oracles of all of the above (tests and benchmarks only)
    threads.py     sharing the cores between Numba and OpenBLAS; serial builds for small work

Nothing here knows about Tensor or autograd, and nothing here checks its arguments:
`tinycnn.nn.functional` does that before any kernel runs.
"""

# Imported first, for its side effect: it sets OMP_WAIT_POLICY and OPENBLAS_THREAD_TIMEOUT
# (unless the user set them) before any thread pool starts; see threads.py for why.
from tinycnn.kernels import threads  # noqa: E402, F401
