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
"""

import numpy as np

from tinycnn.kernels.conv import winograd
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


def _tile_products(U, V, M, transpose_u=False):
    """``M[xi] = U[xi] @ V[xi]`` group by group (or ``U[xi].T @ V[xi]``), 16 GEMMs a group.

    Shape:
        - U: (16, G, OC/G, C/G)
        - V: (16, C, L), M: (16, OC, L); with transpose_u, V has OC rows and M has C
    """
    G, OCG, CG = U.shape[1:]
    rows_in, rows_out = (OCG, CG) if transpose_u else (CG, OCG)
    with blas_threads_for(2 * 16 * G * OCG * CG * V.shape[2]):
        for xi in range(16):
            for g in range(G):
                u = U[xi, g].T if transpose_u else U[xi, g]
                v = V[xi, g * rows_in : (g + 1) * rows_in]
                openblas.gemm(u, v, M[xi, g * rows_out : (g + 1) * rows_out])


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


def conv2d_forward(x, w, b, geo, max_workspace_bytes, y):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``."""
    N, C, OC = x.shape[0], geo.C, geo.OC
    TH, TW = _tiles(geo)
    U = winograd.filter_transform(w, geo.G)
    for images in _chunks(N, C, OC, TH, TW, x.itemsize, max_workspace_bytes):
        V = _input_tiles(x[images], geo.padding, TH, TW)
        M = SCRATCH.array("winograd output", (16, OC, V.shape[2]), x.dtype)
        _tile_products(U, V, M)
        winograd.output_tiles(M, TH, TW, y[images], work=y[images].size)
    if b is not None:
        y += b.reshape(1, OC, 1, 1)


def conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``."""
    N, C, OC = dx.shape[0], geo.C, geo.OC
    TH, TW = _tiles(geo)
    U = winograd.filter_transform(w, geo.G)
    for images in _chunks(N, C, OC, TH, TW, dy.itemsize, max_workspace_bytes):
        dM = _output_gradient_tiles(dy[images], TH, TW)
        dV = SCRATCH.array("winograd input", (16, C, dM.shape[2]), dy.dtype)
        _tile_products(U, dM, dV, transpose_u=True)
        winograd.input_tiles_adjoint(dV, *geo.padding, TH, TW, dx[images], work=dx[images].size)


def conv2d_backward_weight(dy, x, geo, max_workspace_bytes):
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
                    openblas.gemm(dM_g, V_g.T, dU[xi, g * OCG : (g + 1) * OCG], accumulate=True)
    return winograd.filter_transform_adjoint(dU)
