"""A small array on the stack, which LLVM can keep in vector registers.

A kernel that sums into an ordinary array (``np.empty``, or a view of its output) makes
LLVM load and store the sums at every step: the array lives on the heap, and LLVM cannot
prove that no other array the kernel reads or writes overlaps it. An array on the stack
(an ``alloca``) that never leaves the function is private, so LLVM's SROA pass may turn its
elements into registers; with loops of constant trip count over it, the loop vectorizer
makes each run of 16 float32 one vector register. That is how `via_direct` holds a tile of
4 x 48 sums in 12 registers (see its docstring).

Numba has no stack arrays, so `register_tile` makes one: a tiny LLVM intrinsic allocates the
memory (its size a compile-time constant) and ``numba.carray`` views it as an array. In
plain Python (``NUMBA_DISABLE_JIT=1``) it is an ordinary array.
"""

import numpy as np
from llvmlite import binding, ir
from numba import carray, types
from numba.core import cgutils, config, errors
from numba.extending import intrinsic, overload


def _target_features():
    """The CPU features Numba compiles for: NUMBA_CPU_FEATURES, else the host's."""
    if config.CPU_FEATURES is not None:
        return config.CPU_FEATURES
    return binding.get_host_cpu_features().flatten()


# Vector registers of the target: 32 with AVX-512, 16 with AVX2 (and SSE). A tile that
# needs more than there are is spilled to the stack at every step and runs slower than no
# tile at all.
_AVX512 = "+avx512f" in _target_features().split(",")
VECTOR_REGISTERS = 32 if _AVX512 else 16
# float32 values in one vector register: 16 in a zmm (512 bits), 8 in a ymm (AVX2).
FLOAT32_LANES = 16 if _AVX512 else 8

# LLVM unrolls a loop of constant trip count completely *before* its loop vectorizer runs,
# and a tile's loops of 16 or 32 iterations were small enough: unrolled, their sums became
# scalars that no later pass made vectors again. Unrolling only loops of at most 8
# iterations leaves the longer ones to the vectorizer, whose loops of 16-value vectors are
# then unrolled; the 4 x 48 tile gained from it too (figures in docs/performance.md). LLVM's
# options are the process's: this holds for every function Numba compiles after tinycnn is
# imported.
binding.set_option("tinycnn", "-unroll-full-max-count=8")


def register_tile(rows, columns, dtype):
    """A (rows, columns) array of ``dtype`` on the stack, contents garbage.

    In a Numba function ``rows`` and ``columns`` must be compile-time constants (literals or
    module constants), and the array must not leave that function. Run as plain Python, it
    returns an ordinary array.
    """
    return np.empty((rows, columns), dtype)


@intrinsic
def _stack_memory(typingctx, size, dtype):
    """A pointer to ``size`` (a literal) elements of ``dtype``, allocated on the stack."""
    if not isinstance(size, types.IntegerLiteral):
        return None
    count = ir.Constant(ir.IntType(64), size.literal_value)

    def codegen(context, builder, signature, args):
        element = context.get_value_type(dtype.dtype)
        # In the function's entry block, so it is allocated once, not at every call site run.
        return cgutils.alloca_once(builder, element, size=count)

    return types.CPointer(dtype.dtype)(size, dtype), codegen


@overload(register_tile, prefer_literal=True)
def _register_tile_on_stack(rows, columns, dtype):
    if not (isinstance(rows, types.IntegerLiteral) and isinstance(columns, types.IntegerLiteral)):
        raise errors.TypingError(
            f"register_tile: rows and columns must be compile-time constants, got {rows} and "
            f"{columns}"
        )
    shape = (rows.literal_value, columns.literal_value)
    size = shape[0] * shape[1]

    def on_stack(rows, columns, dtype):
        return carray(_stack_memory(size, dtype), shape)

    return on_stack
