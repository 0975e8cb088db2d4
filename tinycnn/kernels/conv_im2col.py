"""2-D convolution forward and backward as im2col plus one matrix product (GEMM).

One of the four algorithms ``conv.py`` chooses between (the others are ``conv_taps.py``,
``conv_rows.py`` and ``conv_winograd.py``).

im2col puts the images of a batch side by side in one column matrix ``cols`` of
C*KH*KW rows and N*OH*OW columns, so a convolution is one matrix product, and so are both
of its gradients::

    Y     = w_rows @ cols            w_rows = w.reshape(OC, C*KH*KW),  Y: (OC, N*OH*OW)
    dcols = w_rows.T @ dY            dx = col2im(dcols)
    dw    = dY @ cols.T

where ``Y[oc, n*OH*OW + p] = y[n, oc, p]``: the GEMM's output has the images side by side
too, and one copy puts them back in NCHW order (adding the bias on the way). One large
GEMM keeps BLAS's threads busier than N small ones (1.2-3x faster on these machines).

With ``groups`` > 1 the channels split into G groups that never mix: group g multiplies
its OC/G weight rows with its C/G*KH*KW column rows only. All groups go through one
``numpy.matmul`` call over a (G, ...) stack.

The column matrix of a big batch can be huge (a 3x3 layer of 64 channels on 56x56 images
needs 7 MiB per image), so the batch is processed in chunks of images whose columns and
GEMM output fit in ``workspace.WORKSPACE_BYTES``. They live in scratch buffers kept between calls,
because on these machines the page faults of a fresh large allocation can cost more than
the arithmetic. 1x1 kernels with stride 1 and no padding skip im2col: each image
``x[n].reshape(C, H*W)`` already is its column matrix, and a batched matmul writes
``y[n]`` in place, with no copy at all (unless the images are tiny, see
`multiplies_in_place`).

Every function returns a new array that the caller owns; the scratch buffers never escape.
"""

import numpy as np

from tinycnn.kernels.im2col import col2im_into, conv_output_size, im2col_into
from tinycnn.kernels.threads import blas_threads_for
from tinycnn.kernels.workspace import SCRATCH, batch_chunks


def _matmul(a, b, out):
    """``np.matmul(a, b, out=out)`` as one 2-D BLAS call per matrix of the stack.

    NumPy's stacked matmul ran 2x slower than this loop when ``a`` is broadcast over the
    stack (the weights of a 1x1 convolution against N images; measured on these machines).
    Small products run on one BLAS thread (see `threads.blas_threads_for`).

    Shape:
        - a: (..., M, K), b: (..., K, N), out: (..., M, N); the leading axes broadcast
    """
    M, K = a.shape[-2:]
    stack = out.shape[:-2]
    a = np.broadcast_to(a, stack + a.shape[-2:])
    b = np.broadcast_to(b, stack + b.shape[-2:])
    with blas_threads_for(2 * M * K * b.shape[-1]):
        for index in np.ndindex(stack):
            np.matmul(a[index], b[index], out=out[index])


def is_pointwise(KH, KW, stride, padding):
    """True for a 1x1 kernel with stride 1 and no padding: then x is its own column matrix."""
    return KH == 1 and KW == 1 and tuple(stride) == (1, 1) and tuple(padding) == (0, 0)


# A pointwise kernel on images of fewer pixels than this still goes through the column
# matrix: one GEMM per image with so few columns runs far below the BLAS peak. Measured
# (forward and both backwards, batch 64): a 1x1 480->192 on 2x2 images 2.6x faster with the
# images side by side, 832->256 on 1x1 images 6x; 256->64 on 4x4 images 1.1x.
POINTWISE_MIN_PIXELS = 16


def multiplies_in_place(KH, KW, stride, padding, P):
    """True when each image, of P = OH*OW pixels, is used in place as its own column matrix:
    a pointwise kernel on images of at least `POINTWISE_MIN_PIXELS` pixels."""
    return is_pointwise(KH, KW, stride, padding) and P >= POINTWISE_MIN_PIXELS


def _geometry(x_shape, w_shape, stride, padding, dilation):
    """(OH, OW) of the output, and K = C*KH*KW, the rows of the column matrix."""
    N, C, H, W = x_shape
    OC, CG, KH, KW = w_shape
    OH = conv_output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, KW, stride[1], padding[1], dilation[1])
    return OH, OW, C * KH * KW


def _image_chunks(N, K, OC, P, itemsize, max_bytes):
    """Chunks of the batch for a column matrix (K rows) plus a GEMM output (OC rows)."""
    return batch_chunks(N, (K + OC) * P * itemsize, max_bytes)


def _im2col_chunk(x, KH, KW, stride, padding, dilation, OH, OW):
    """The column matrix of the images ``x``, on the scratch buffer.

    Shape:
        - x: (n, C, H, W)
        - result: (C*KH*KW, n*OH*OW)
    """
    n, C = x.shape[:2]
    cols = SCRATCH.array("cols", (C * KH * KW, n, OH * OW), x.dtype)
    im2col_into(x, KH, KW, *stride, *padding, *dilation, cols, work=cols.size)
    return cols.reshape(C * KH * KW, n * OH * OW)


def _side_by_side(dy):
    """The output gradients of a chunk with the images side by side, on the scratch buffer.

    Shape:
        - dy: (n, OC, P)
        - result: (OC, n*P), ``result[oc, i*P + p] = dy[i, oc, p]``
    """
    n, OC, P = dy.shape
    rows = SCRATCH.array("gemm", (OC, n, P), dy.dtype)
    np.copyto(rows, dy.transpose(1, 0, 2))
    return rows.reshape(OC, n * P)


def conv2d_forward(x, w, b, stride, padding, dilation, groups, max_workspace_bytes, y):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``.

    Loop::

        for each chunk of images:
            cols = im2col(x[chunk])                          # (C*KH*KW, n*OH*OW)
            for g in groups (one matmul call):
                Y[group g] = w[group g] @ cols[rows of group g]    # (OC/G, n*OH*OW)
            y[chunk] = Y moved to NCHW order, plus b
    """
    N, C, H, W = x.shape
    OC, CG, KH, KW = w.shape
    G = groups
    OH, OW, K = _geometry(x.shape, w.shape, stride, padding, dilation)
    P = OH * OW
    w_rows = w.reshape(G, OC // G, CG * KH * KW)  # (G, OC/G, C/G*KH*KW)
    if multiplies_in_place(KH, KW, stride, padding, P):
        x_rows = x.reshape(N, G, CG, P)  # (N, G, C/G, P): image n's column matrix
        _matmul(w_rows, x_rows, out=y.reshape(N, G, OC // G, P))
        if b is not None:
            y += b.reshape(1, OC, 1, 1)
        return
    y_rows = y.reshape(N, OC, P)
    for images in _image_chunks(N, K, OC, P, x.itemsize, max_workspace_bytes):
        cols = _im2col_chunk(x[images], KH, KW, stride, padding, dilation, OH, OW)
        n = images.stop - images.start
        Y = SCRATCH.array("gemm", (OC, n, P), x.dtype)
        _matmul(w_rows, cols.reshape(G, K // G, n * P), out=Y.reshape(G, OC // G, n * P))
        images_first = Y.transpose(1, 0, 2)  # (n, OC, P) view
        if b is None:
            np.copyto(y_rows[images], images_first)
        else:
            np.add(images_first, b.reshape(1, OC, 1), out=y_rows[images])


def conv2d_backward_input(dy, w, stride, padding, dilation, groups, max_workspace_bytes, dx):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``.

    Every column entry ``cols[r, q]`` multiplied weight row entries in the forward pass,
    so its gradient is ``(w_rows.T @ dY)[r, q]``; col2im adds those column gradients back
    onto the pixels they were copied from.

    Loop::

        for each chunk of images:
            dY = dy[chunk] with the images side by side     # (OC, n*OH*OW)
            for g in groups (one matmul call):
                dcols[rows of group g] = w[group g].T @ dY[group g]
            dx[chunk] = col2im(dcols)                        # (n, C, H, W)

    For a pointwise (1x1, stride 1, no padding) kernel, ``w_rows.T @ dy[n]`` already is
    ``dx[n]``.
    """
    N, C, H, W = dx.shape
    OC, CG, KH, KW = w.shape
    G = groups
    OH, OW, K = _geometry(dx.shape, w.shape, stride, padding, dilation)
    P = OH * OW
    w_rows_t = w.reshape(G, OC // G, K // G).transpose(0, 2, 1)  # (G, C/G*KH*KW, OC/G)
    if multiplies_in_place(KH, KW, stride, padding, P):
        dy_rows = dy.reshape(N, G, OC // G, P)  # (N, G, OC/G, P)
        _matmul(w_rows_t, dy_rows, out=dx.reshape(N, G, CG, P))
        return
    dy_images = dy.reshape(N, OC, P)
    for images in _image_chunks(N, K, OC, P, dy.itemsize, max_workspace_bytes):
        n = images.stop - images.start
        dY = _side_by_side(dy_images[images])  # (OC, n*P)
        dcols = SCRATCH.array("cols", (K, n, P), dy.dtype)
        _matmul(w_rows_t, dY.reshape(G, OC // G, n * P), out=dcols.reshape(G, K // G, n * P))
        col2im_into(dcols, KH, KW, *stride, *padding, *dilation, dx[images], work=dcols.size)


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, groups, max_workspace_bytes):
    """dL/dw, a new array; arguments as ``conv.conv2d_backward_weight``.

    Weight row entry ``w_rows[oc, r]`` multiplied ``cols[r, q]`` into ``Y[oc, q]`` for every
    column q (every image and output pixel), so its gradient is ``(dY @ cols.T)[oc, r]``.

    Loop::

        dw_rows = 0                                          # (OC, C/G*KH*KW)
        for each chunk of images:
            cols = im2col(x[chunk])                          # (C*KH*KW, n*OH*OW)
            dY = dy[chunk] with the images side by side     # (OC, n*OH*OW)
            for g in groups (one matmul call):
                dw_rows[group g] += dY[group g] @ cols[rows of group g].T

    For a pointwise kernel the images stay apart: ``dw_rows += dy[n] @ x[n].T`` for each n.
    The product is taken in this orientation, which gives dw's own layout: the other one,
    ``cols @ dY.T``, runs as fast on one core but leaves a transpose to copy, and for
    ResNet's last layers (4608 x 512) that copy took almost as long as the GEMM.
    """
    N, C = x.shape[:2]
    OC, CG, KH, KW = w_shape
    G = groups
    OH, OW, K = _geometry(x.shape, w_shape, stride, padding, dilation)
    P = OH * OW
    dw_rows = np.empty((G, OC // G, K // G), dtype=x.dtype)  # (G, OC/G, C/G*KH*KW)
    # The first chunk (or image) writes dw_rows, every later one its part, then adds it.
    part = SCRATCH.array("weight gradient", dw_rows.shape, x.dtype)
    if multiplies_in_place(KH, KW, stride, padding, P):
        x_rows_t = x.reshape(N, G, CG, P).transpose(0, 1, 3, 2)  # (N, G, P, C/G)
        dy_rows = dy.reshape(N, G, OC // G, P)
        for i in range(N):
            _matmul(dy_rows[i], x_rows_t[i], out=part if i else dw_rows)
            if i:
                dw_rows += part
    else:
        dy_images = dy.reshape(N, OC, P)
        chunks = _image_chunks(N, K, OC, P, x.itemsize, max_workspace_bytes)
        for i, images in enumerate(chunks):
            n = images.stop - images.start
            cols = _im2col_chunk(x[images], KH, KW, stride, padding, dilation, OH, OW)
            dY = _side_by_side(dy_images[images]).reshape(G, OC // G, n * P)
            cols_t = cols.reshape(G, K // G, n * P).transpose(0, 2, 1)  # (G, n*P, K/G)
            _matmul(dY, cols_t, out=part if i else dw_rows)
            if i:
                dw_rows += part
    return dw_rows.reshape(w_shape)
