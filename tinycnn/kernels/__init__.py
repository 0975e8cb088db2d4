"""Layer L0: the compute kernels. ndarray in, ndarray out; NumPy, Numba and stdlib only.

    sets.py        the ops every kernel set provides; `use` switches sets, `active` is in force
    conv/          the fast convolution: the choice of algorithm, im2col, windows, Winograd
    pooling.py     max, average and adaptive average pooling
    lrn.py         local response normalization
    batch_norm.py  batch normalization (training and evaluation)
    relu.py        the rectified linear unit
    sgd.py         the SGD update of one parameter, in one pass over its memory
    runtime/       plumbing: threads, NumPy's OpenBLAS, scratch buffers, malloc settings
    reference.py   slow float64 loop oracles of all of the above (tests and benchmarks only)

Nothing here knows about Tensor or autograd, and nothing here checks its arguments:
`tinycnn.nn.functional` does that before any kernel runs.
"""

# The switch (`use`, `active`, ...) is in sets.py, which loads NumPy and Numba: it is
# imported on first use, not here, so that importing this package loads neither before
# `runtime.configure` has set the thread variables they read (see tinycnn/__init__.py).
_SWITCH = ("OP_NAMES", "SETS", "KernelSet", "active", "use")


def __getattr__(name):
    if name in _SWITCH:
        from tinycnn.kernels import sets

        return getattr(sets, name)
    raise AttributeError(f"module 'tinycnn.kernels' has no attribute {name!r}")
