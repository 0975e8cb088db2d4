"""3x3 convolution with stride 1 by Winograd's F(2x2, 3x3): 16 GEMMs on transformed tiles.

Each 2x2 block of outputs is computed from one 4x4 tile of the padded input in 16
multiplications a channel instead of 36 (``winograd.py`` has the transforms). Over all
tiles and channels the multiplications are 16 GEMMs, one per tile position xi::

    V = B^T d B of every input tile                   # (16, C, tiles)
    U = G g G^T of every filter                       # (16, OC, C)
    M[xi] = U[xi] @ V[xi]                             # (16, OC, tiles)
    y = A^T M A of every tile

so the GEMMs do 16/36 = 0.44 of the multiply-adds of the other algorithms, each of inner
size C/G. The transforms are sums and differences, and the backward passes run the same
steps backwards, through the adjoints::

    dM = A dY A^T of every tile of dy
    dV[xi] = U[xi].T @ dM[xi]        dx = B dV B^T of every tile, added where tiles overlap
    dU[xi] = dM[xi] @ V[xi].T        dw = G^T dU G

The transforms reassociate the convolution's sums, so results differ from the other
algorithms' by rounding: on random float32 data, all three passes were within 3e-7 of
their largest value from the float64 oracle, as close as the other algorithms. It runs
only 3x3 kernels with stride 1 and no dilation.

The 16 GEMMs run on NumPy's OpenBLAS (this module's functions: the algorithm "winograd"),
or on tinycnn's own panel GEMM in Numba (`PANELS`, "winograd_panels", ``panel_gemm.py``),
which keeps up with the CPU's vector width where OPENBLAS_CORETYPE holds OpenBLAS to older
kernels. Which is faster depends on the machine, so the tuning times both.
"""

import numpy as np

from tinycnn.kernels.conv import panel_gemm, winograd
from tinycnn.kernels.runtime import openblas
from tinycnn.kernels.runtime.threads import blas_threads_for
from tinycnn.kernels.runtime.workspace import SCRATCH, batch_chunks


def computes(geo):
    """True for the convolutions this algorithm computes: 3x3, stride 1, no dilation."""
    return (geo.KH, geo.KW, geo.SH, geo.SW, geo.DH, geo.DW) == (3, 3, 1, 1, 1, 1)


def _tiles(geo):
    """(TH, TW): tile rows and columns of one image, after checking the geometry."""
    if not computes(geo):
        raise ValueError(
            "via_winograd: needs a 3x3 kernel, stride (1, 1) and dilation (1, 1); got "
            f"kernel {(geo.KH, geo.KW)}, stride {geo.stride}, dilation {geo.dilation}"
        )
    return tile_counts(geo.OH, geo.OW)


def tile_counts(OH, OW):
    """(TH, TW): the 2x2 output blocks down and across an OH x OW output, the last ones cut
    by its edge."""
    return -(-OH // 2), -(-OW // 2)


def _chunks(N, C, OC, TH, TW, itemsize, max_bytes):
    """Chunks of the batch whose transformed tiles V (C rows) and M (OC rows) fit."""
    return batch_chunks(N, 16 * (C + OC) * TH * TW * itemsize, max_bytes)


def _tile_products(U, V, M, gemm, transpose_u=False):
    """``M[xi] = U[xi] @ V[xi]`` group by group (or ``U[xi].T @ V[xi]``), 16 GEMMs a group.

    Args:
        gemm: ``gemm(a, b, out, transpose_a)`` writes ``a @ b`` (``a.T @ b``) into out.

    Shape:
        - U: (16, G, OC/G, C/G)
        - V: (16, C, L), M: (16, OC, L); with transpose_u, V has OC rows and M has C
    """
    G, OCG, CG = U.shape[1:]
    rows_in, rows_out = (OCG, CG) if transpose_u else (CG, OCG)
    with blas_threads_for(2 * 16 * G * OCG * CG * V.shape[2]):
        for xi in range(16):
            for g in range(G):
                v = V[xi, g * rows_in : (g + 1) * rows_in]
                gemm(U[xi, g], v, M[xi, g * rows_out : (g + 1) * rows_out], transpose_u)


def _blas_gemm(a, b, out, transpose_a):
    openblas.gemm(a.T if transpose_a else a, b, out)


def _blas_gemm_transposed(a, b, out):
    """``out += a @ b.T`` on OpenBLAS."""
    openblas.gemm(a, b.T, out, accumulate=True)


def _input_tiles(x, padding, TH, TW):
    """V = B^T d B of every tile of the images ``x``, on a scratch buffer: (16, C, n*TH*TW)."""
    n, C = x.shape[:2]
    V = SCRATCH.array("winograd input", (16, C, n * TH * TW), x.dtype)
    winograd.input_tiles(x, *padding, TH, TW, V, work=V.size)
    return V


def _output_gradient_tiles(dy, TH, TW):
    """dM = A dY A^T of every tile of ``dy``, on a scratch buffer: (16, OC, n*TH*TW)."""
    n, OC = dy.shape[:2]
    dM = SCRATCH.array("winograd output", (16, OC, n * TH * TW), dy.dtype)
    winograd.output_tiles_adjoint(dy, TH, TW, dM, work=dM.size)
    return dM


class Winograd:
    """The algorithm with its 16 GEMMs on ``gemm`` and ``gemm_transposed``.

    Its three methods take the arguments of ``conv.conv2d_forward`` and its backwards, with
    a `ConvGeometry` for the sizes.
    """

    def __init__(self, name, gemm, gemm_transposed):
        self.name = name
        self.gemm = gemm  # gemm(a, b, out, transpose_a): out = a @ b, or a.T @ b
        self.gemm_transposed = gemm_transposed  # gemm_transposed(a, b, out): out += a @ b.T

    def __repr__(self):
        return f"<convolution algorithm {self.name!r}>"

    @staticmethod
    def computes(geo):
        return computes(geo)

    def conv2d_forward(self, x, w, b, geo, max_workspace_bytes, y):
        """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``."""
        N, C, OC = x.shape[0], geo.C, geo.OC
        TH, TW = _tiles(geo)
        U = winograd.filter_transform(w, geo.G)
        for images in _chunks(N, C, OC, TH, TW, x.itemsize, max_workspace_bytes):
            V = _input_tiles(x[images], geo.padding, TH, TW)
            M = SCRATCH.array("winograd output", (16, OC, V.shape[2]), x.dtype)
            _tile_products(U, V, M, self.gemm)
            winograd.output_tiles(M, TH, TW, y[images], work=y[images].size)
        if b is not None:
            y += b.reshape(1, OC, 1, 1)

    def conv2d_backward_input(self, dy, w, geo, max_workspace_bytes, dx):
        """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``."""
        N, C, OC = dx.shape[0], geo.C, geo.OC
        TH, TW = _tiles(geo)
        U = winograd.filter_transform(w, geo.G)
        for images in _chunks(N, C, OC, TH, TW, dy.itemsize, max_workspace_bytes):
            dM = _output_gradient_tiles(dy[images], TH, TW)
            dV = SCRATCH.array("winograd input", (16, C, dM.shape[2]), dy.dtype)
            _tile_products(U, dM, dV, self.gemm, transpose_u=True)
            winograd.input_tiles_adjoint(dV, *geo.padding, TH, TW, dx[images],
                                         work=dx[images].size)  # fmt: skip

    def conv2d_backward_weight(self, dy, x, geo, max_workspace_bytes):
        """dL/dw, a new array; arguments as ``conv.conv2d_backward_weight``."""
        N, C, OC, CG, G, OCG = x.shape[0], geo.C, geo.OC, geo.CG, geo.G, geo.OCG
        TH, TW = _tiles(geo)
        dU = np.zeros((16, OC, CG), dtype=x.dtype)
        for images in _chunks(N, C, OC, TH, TW, x.itemsize, max_workspace_bytes):
            V = _input_tiles(x[images], geo.padding, TH, TW)
            dM = _output_gradient_tiles(dy[images], TH, TW)
            with blas_threads_for(2 * 16 * OC * CG * V.shape[2]):
                for xi in range(16):
                    for g in range(G):
                        dM_g = dM[xi, g * OCG : (g + 1) * OCG]
                        V_g = V[xi, g * CG : (g + 1) * CG]
                        self.gemm_transposed(dM_g, V_g, dU[xi, g * OCG : (g + 1) * OCG])
        return winograd.filter_transform_adjoint(dU)


BLAS = Winograd("winograd", _blas_gemm, _blas_gemm_transposed)
PANELS = Winograd("winograd_panels", panel_gemm.matrix_product,
                  panel_gemm.matrix_product_transposed)  # fmt: skip

# The module itself is the algorithm "winograd" (its GEMMs on OpenBLAS).
conv2d_forward = BLAS.conv2d_forward
conv2d_backward_input = BLAS.conv2d_backward_input
conv2d_backward_weight = BLAS.conv2d_backward_weight
