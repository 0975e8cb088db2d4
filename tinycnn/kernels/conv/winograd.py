"""Winograd's minimal filtering F(2x2, 3x3): the transforms of filters, input tiles and outputs.

A 3x3 convolution with stride 1 computes each 2x2 block of outputs from a 4x4 tile of
the padded input, 36 multiplications a channel done directly. Winograd's algorithm (Lavin
and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) computes it with 16::

    Y = A^T [ (G g G^T) * (B^T d B) ] A        (* is element by element)

for a 3x3 filter g, a 4x4 input tile d and a 2x2 output block Y, with::

    B^T = [[1, 0, -1,  0],    G = [[  1,    0,   0],    A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],         [1/2,  1/2, 1/2],           [0, 1, -1, -1]]
           [0, -1, 1,  0],         [1/2, -1/2, 1/2],
           [0, 1,  0, -1]]         [  0,    0,   1]]

Summed over the input channels, the 16 products become 16 matrix products, one per
position xi of the 4x4 tile: ``M[xi] = U[xi] @ V[xi]`` with ``U = G g G^T`` of every filter
(OC x C) and ``V = B^T d B`` of every tile (C x tiles). ``via_winograd.py`` runs those
GEMMs; here are the transforms around them and their adjoints, which the backward passes
need. Tile t of image m covers outputs ``(2*th .. 2*th+1, 2*tw .. 2*tw+1)`` and padded input
rows ``2*th .. 2*th+3``, columns ``2*tw .. 2*tw+3``; it sits at column
``q = (m*TH + th)*TW + tw`` of V and M, and xi = 4*i + j is the tile position (i, j).
"""

import numpy as np
from numba import njit, prange

from tinycnn.kernels.runtime.threads import parallel_kernel


def filter_transform(w, groups):
    """U = G g G^T of every filter, laid out for the 16 GEMMs.

    Shape:
        - w: (OC, C/G, 3, 3)
        - result: (16, G, OC/G, C/G)
    """
    OC, CG = w.shape[:2]
    U = np.empty((16, OC, CG), dtype=w.dtype)
    _filter_tiles(w, U, work=U.size)
    return U.reshape(16, groups, OC // groups, CG)


def filter_transform_adjoint(dU):
    """dw = G^T dU G: the gradient of the filters from the gradient of their transforms.

    Shape:
        - dU: (16, OC, C/G)
        - result: (OC, C/G, 3, 3)
    """
    OC, CG = dU.shape[1:]
    dw = np.empty((OC, CG, 3, 3), dtype=dU.dtype)
    _filter_tiles_adjoint(dU, dw, work=dU.size)
    return dw


# The four 1-D transforms, on four (or two) numbers: a column of a tile or a row of it.
@njit(cache=True)
def _times_b_t(d0, d1, d2, d3):
    """B^T (d0, d1, d2, d3)."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(cache=True)
def _times_b(v0, v1, v2, v3):
    """B (v0, v1, v2, v3): the adjoint of `_times_b_t`."""
    return v0, v1 - v2 + v3, v1 + v2 - v0, -v3


# G's halves come in as ``half``, of the arrays' dtype: a literal 0.5 would turn float32
# arithmetic into float64.
@njit(cache=True)
def _times_g(g0, g1, g2, half):
    """G (g0, g1, g2)."""
    return g0, (g0 + g1 + g2) * half, (g0 - g1 + g2) * half, g2


@njit(cache=True)
def _times_g_t(u0, u1, u2, u3, half):
    """G^T (u0, u1, u2, u3): the adjoint of `_times_g`."""
    return u0 + (u1 + u2) * half, (u1 - u2) * half, (u1 + u2) * half + u3


@njit(cache=True)
def _times_a_t(m0, m1, m2, m3):
    """A^T (m0, m1, m2, m3)."""
    return m0 + m1 + m2, m1 - m2 - m3


@njit(cache=True)
def _times_a(u0, u1):
    """A (u0, u1): the adjoint of `_times_a_t`."""
    return u0, u0 + u1, u0 - u1, -u1


@parallel_kernel
def _filter_tiles(w, U):
    """Overwrite U with G g G^T of every filter g. Call with ``work=U.size``.

    Shape:
        - w: (OC, C/G, 3, 3)
        - U: (16, OC, C/G)
    """
    OC, CG = w.shape[:2]
    half = w.dtype.type(0.5)
    # Race-free: task oc alone writes U[:, oc].
    for oc in prange(OC):
        Gg = np.empty((4, 3), dtype=w.dtype)
        for c in range(CG):
            for k in range(3):  # G g, down every column k of g
                Gg[0, k], Gg[1, k], Gg[2, k], Gg[3, k] = _times_g(
                    w[oc, c, 0, k], w[oc, c, 1, k], w[oc, c, 2, k], half
                )
            for i in range(4):  # then G along every row: (Gg G^T)[i] = G Gg[i]
                u0, u1, u2, u3 = _times_g(Gg[i, 0], Gg[i, 1], Gg[i, 2], half)
                U[4 * i, oc, c] = u0
                U[4 * i + 1, oc, c] = u1
                U[4 * i + 2, oc, c] = u2
                U[4 * i + 3, oc, c] = u3


@parallel_kernel
def _filter_tiles_adjoint(dU, dw):
    """Overwrite dw with G^T dU G, the adjoint of `_filter_tiles`. Call with ``work=dU.size``.

    Shape:
        - dU: (16, OC, C/G)
        - dw: (OC, C/G, 3, 3)
    """
    OC, CG = dw.shape[:2]
    half = dw.dtype.type(0.5)
    # Race-free: task oc alone writes dw[oc].
    for oc in prange(OC):
        GdU = np.empty((4, 3), dtype=dw.dtype)
        for c in range(CG):
            for i in range(4):  # dU G, along every row i of dU
                GdU[i, 0], GdU[i, 1], GdU[i, 2] = _times_g_t(
                    dU[4 * i, oc, c],
                    dU[4 * i + 1, oc, c],
                    dU[4 * i + 2, oc, c],
                    dU[4 * i + 3, oc, c],
                    half,
                )
            for k in range(3):  # then G^T down every column k
                dw[oc, c, 0, k], dw[oc, c, 1, k], dw[oc, c, 2, k] = _times_g_t(
                    GdU[0, k], GdU[1, k], GdU[2, k], GdU[3, k], half
                )


@parallel_kernel
def input_tiles(x, PH, PW, TH, TW, V):
    """Overwrite V with B^T d B of every input tile d. Call with ``work=V.size``.

    Loop::

        for (c, m) in C x N, in parallel:
            for each tile row th:
                d = padded rows 2*th .. 2*th+3 of x[m, c]           # (4, 2*TW + 2)
                s = B^T d, down every column                         # (4, 2*TW + 2)
                for each tile row i and tile column tw:
                    V[4*i : 4*i+4, c, q] = B^T s[i, 2*tw : 2*tw+4]   # (s B)[i] = B^T s[i]

    Shape:
        - x: (N, C, H, W)
        - V: (16, C, N*TH*TW)
    """
    N, C, H, W = x.shape
    width = 2 * TW + 2
    # Race-free: task (c, m) alone writes the tiles of image m in channel c.
    for task in prange(C * N):
        c = task // N
        m = task % N
        d = np.zeros((4, width), dtype=x.dtype)  # the padding columns stay zero
        s = np.empty((4, width), dtype=x.dtype)
        for th in range(TH):
            for i in range(4):
                h = 2 * th + i - PH
                if 0 <= h < H:
                    d[i, PW : PW + W] = x[m, c, h]
                else:
                    d[i, PW : PW + W] = 0
            for k in range(width):
                s[0, k], s[1, k], s[2, k], s[3, k] = _times_b_t(d[0, k], d[1, k], d[2, k], d[3, k])
            q0 = (m * TH + th) * TW
            for i in range(4):
                # Each inner loop writes four runs of consecutive tiles, which vectorizes.
                for tw in range(TW):
                    a = 2 * tw
                    v0, v1, v2, v3 = _times_b_t(s[i, a], s[i, a + 1], s[i, a + 2], s[i, a + 3])
                    V[4 * i, c, q0 + tw] = v0
                    V[4 * i + 1, c, q0 + tw] = v1
                    V[4 * i + 2, c, q0 + tw] = v2
                    V[4 * i + 3, c, q0 + tw] = v3


@parallel_kernel
def input_tiles_adjoint(dV, PH, PW, TH, TW, dx):
    """Overwrite dx with the adjoint of `input_tiles`: B dV B^T of every tile, added up
    where tiles overlap, padding dropped. Call with ``work=dx.size``.

    Shape:
        - dV: (16, C, N*TH*TW)
        - dx: (N, C, H, W)
    """
    N, C, H, W = dx.shape
    width = 2 * TW + 2
    # Race-free: task (c, m) alone writes dx[m, c].
    for task in prange(C * N):
        c = task // N
        m = task % N
        padded = np.zeros((2 * TH + 2, width), dtype=dx.dtype)
        s = np.empty((4, width), dtype=dx.dtype)
        for th in range(TH):
            s[:] = 0
            q0 = (m * TH + th) * TW
            for i in range(4):  # s[i, 2*tw : 2*tw+4] += B dV[4*i : 4*i+4]
                for tw in range(TW):
                    q = q0 + tw
                    u0, u1, u2, u3 = _times_b(
                        dV[4 * i, c, q],
                        dV[4 * i + 1, c, q],
                        dV[4 * i + 2, c, q],
                        dV[4 * i + 3, c, q],
                    )
                    a = 2 * tw
                    s[i, a] += u0
                    s[i, a + 1] += u1
                    s[i, a + 2] += u2
                    s[i, a + 3] += u3
            r = 2 * th
            for k in range(width):  # padded rows 2*th .. 2*th+3 += B s, down every column
                u0, u1, u2, u3 = _times_b(s[0, k], s[1, k], s[2, k], s[3, k])
                padded[r, k] += u0
                padded[r + 1, k] += u1
                padded[r + 2, k] += u2
                padded[r + 3, k] += u3
        dx[m, c] = padded[PH : PH + H, PW : PW + W]


@parallel_kernel
def output_tiles(M, TH, TW, y):
    """Overwrite y with A^T M A of every tile, the parts past the image's edge dropped.
    Call with ``work=y.size``.

    Loop::

        for (oc, m) in OC x N, in parallel:
            for each tile row th:
                t[i, :, tw] = A^T M[4*i : 4*i+4, oc, q]           # (M A)[i], (4, 2, TW)
                rows[:, 2*tw + j] = A^T t[:, j, tw]               # (2, 2*TW)
                y[m, oc, 2*th : 2*th+2] = rows, cut to the image

    Shape:
        - M: (16, OC, N*TH*TW)
        - y: (N, OC, OH, OW)
    """
    N, OC, OH, OW = y.shape
    # Race-free: task (oc, m) alone writes y[m, oc].
    for task in prange(OC * N):
        oc = task // N
        m = task % N
        t = np.empty((4, 2, TW), dtype=y.dtype)
        rows = np.empty((2, 2 * TW), dtype=y.dtype)
        for th in range(TH):
            q0 = (m * TH + th) * TW
            for i in range(4):
                for tw in range(TW):
                    q = q0 + tw
                    t[i, 0, tw], t[i, 1, tw] = _times_a_t(
                        M[4 * i, oc, q],
                        M[4 * i + 1, oc, q],
                        M[4 * i + 2, oc, q],
                        M[4 * i + 3, oc, q],
                    )
            for j in range(2):
                for tw in range(TW):
                    rows[0, 2 * tw + j], rows[1, 2 * tw + j] = _times_a_t(
                        t[0, j, tw], t[1, j, tw], t[2, j, tw], t[3, j, tw]
                    )
            y[m, oc, 2 * th] = rows[0, :OW]
            if 2 * th + 1 < OH:
                y[m, oc, 2 * th + 1] = rows[1, :OW]


@parallel_kernel
def output_tiles_adjoint(dy, TH, TW, dM):
    """Overwrite dM with the adjoint of `output_tiles`: A dY A^T of every tile's 2x2 block
    dY of dy (zero past the image's edge). Call with ``work=dM.size``.

    Shape:
        - dy: (N, OC, OH, OW)
        - dM: (16, OC, N*TH*TW)
    """
    N, OC, OH, OW = dy.shape
    # Race-free: task (oc, m) alone writes the tiles of image m in channel oc.
    for task in prange(OC * N):
        oc = task // N
        m = task % N
        rows = np.zeros((2, 2 * TW), dtype=dy.dtype)  # columns past OW stay zero
        t = np.empty((4, 2, TW), dtype=dy.dtype)
        for th in range(TH):
            rows[0, :OW] = dy[m, oc, 2 * th]
            if 2 * th + 1 < OH:
                rows[1, :OW] = dy[m, oc, 2 * th + 1]
            else:
                rows[1, :OW] = 0
            for j in range(2):  # A dY, down each column j of every block
                for tw in range(TW):
                    u0, u1, u2, u3 = _times_a(rows[0, 2 * tw + j], rows[1, 2 * tw + j])
                    t[0, j, tw] = u0
                    t[1, j, tw] = u1
                    t[2, j, tw] = u2
                    t[3, j, tw] = u3
            q0 = (m * TH + th) * TW
            for i in range(4):  # then A along each row i
                for tw in range(TW):
                    q = q0 + tw
                    u0, u1, u2, u3 = _times_a(t[i, 0, tw], t[i, 1, tw])
                    dM[4 * i, oc, q] = u0
                    dM[4 * i + 1, oc, q] = u1
                    dM[4 * i + 2, oc, q] = u2
                    dM[4 * i + 3, oc, q] = u3
