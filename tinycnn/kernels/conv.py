"""2-D convolution forward and backward as im2col plus one matrix product (GEMM).

With the column matrix ``cols = im2col(x)`` of shape (N, C*KH*KW, OH*OW), a convolution is
a matrix product per image, and so are both of its gradients::

    y[n]     = w_rows @ cols[n]           w_rows = w.reshape(OC, C*KH*KW)
    dcols[n] = w_rows.T @ dy[n]           dx = col2im(dcols)
    dw       = sum over n of dy[n] @ cols[n].T

where y[n] and dy[n] are viewed as (OC, OH*OW) matrices.

With ``groups`` > 1 the channels split into G groups that never mix: group g multiplies
its OC/G weight rows with its C/G*KH*KW column rows only. All groups go through one
batched ``numpy.matmul`` call, which hands each (image, group) product to BLAS.

The column matrix of a big batch can be huge (a 3x3 layer of 64 channels on 56x56 images
needs 7 MiB per image), so the batch is processed in chunks of images whose columns fit in
``WORKSPACE_BYTES``. The chunk's columns live in a scratch buffer kept between calls,
because on these machines the page faults of a fresh large allocation can cost more than
the arithmetic. 1x1 kernels with stride 1 and no padding skip im2col: each image
``x[n].reshape(C, H*W)`` already is its column matrix.

Every function returns a new array that the caller owns; the scratch buffer never escapes.
"""

import math
import threading

import numpy as np

from tinycnn.kernels.im2col import col2im_into, conv_output_size, im2col_into

# Largest column matrix built at once; a chunk always holds at least one image.
WORKSPACE_BYTES = 64 * 2**20


class _Scratch(threading.local):
    """One reusable buffer per dtype, grown when a call needs more.

    Each thread gets its own buffers, so two threads convolving at once never share one.
    """

    def __init__(self):
        self.buffers = {}

    def array(self, shape, dtype):
        """A C-contiguous array of ``shape`` on the buffer; its contents are garbage."""
        size = math.prod(shape)
        buffer = self.buffers.get(dtype)
        if buffer is None or buffer.size < size:
            buffer = np.empty(size, dtype=dtype)
            self.buffers[dtype] = buffer
        return buffer[:size].reshape(shape)


_SCRATCH = _Scratch()


def _is_pointwise(KH, KW, stride, padding):
    """True for a 1x1 kernel with stride 1 and no padding: then x is its own column matrix."""
    return KH == 1 and KW == 1 and tuple(stride) == (1, 1) and tuple(padding) == (0, 0)


def _chunks(N, bytes_per_image, max_bytes):
    """Split the batch into consecutive slices of images whose columns fit in ``max_bytes``."""
    step = max(1, max_bytes // bytes_per_image)
    return [slice(n0, min(n0 + step, N)) for n0 in range(0, N, step)]


def _columns(x, KH, KW, stride, padding, dilation, max_bytes):
    """Yield ``(images, cols)``: the column matrix of ``x[images]``, one chunk at a time.

    ``cols`` is a view of ``x`` (pointwise case) or of the scratch buffer; it is only valid
    until the next chunk is requested.

    Shape:
        - x: (N, C, H, W)
        - cols: (len(images), C*KH*KW, OH*OW)
    """
    N, C, H, W = x.shape
    if _is_pointwise(KH, KW, stride, padding):
        yield slice(0, N), x.reshape(N, C, H * W)  # (N, C, H*W)
        return
    OH = conv_output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, KW, stride[1], padding[1], dilation[1])
    for images in _chunks(N, C * KH * KW * OH * OW * x.itemsize, max_bytes):
        n = images.stop - images.start
        cols = _SCRATCH.array((n, C * KH * KW, OH * OW), x.dtype)  # (n, C*KH*KW, OH*OW)
        im2col_into(x[images], KH, KW, *stride, *padding, *dilation, cols)
        yield images, cols


def conv2d_forward(
    x, w, b, stride, padding, dilation, groups, *, max_workspace_bytes=WORKSPACE_BYTES
):
    """Convolve a batch of images with a bank of filters (cross-correlation, as in PyTorch).

    Loop::

        for each chunk of images:
            cols = im2col(x[chunk])                          # (n, C*KH*KW, OH*OW)
            for n in chunk, g in groups (one batched matmul):
                y[n, group g] = w[group g] @ cols[n, rows of group g]
        y += b

    Args:
        x: input images, float32 or float64, C-contiguous.
        w: filters, same dtype as x.
        b: bias, or None.
        stride, padding, dilation: (SH, SW), (PH, PW), (DH, DW).
        groups: G; input and output channels split into G groups that never mix.
        max_workspace_bytes: cap on the column matrix built at once.

    Returns:
        A new array y, same dtype as x.

    Shape:
        - x: (N, C, H, W)
        - w: (OC, C/G, KH, KW)
        - b: (OC,)
        - y: (N, OC, OH, OW) with ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1``
          and ``OW`` likewise.

    Example:
        >>> x = np.ones((2, 3, 5, 5), dtype=np.float32)
        >>> w = np.ones((4, 3, 3, 3), dtype=np.float32)
        >>> y = conv2d_forward(x, w, None, (2, 2), (1, 1), (1, 1), 1)
        >>> y.shape, y.dtype, y[0, 0, 1, 1]  # an inner pixel sums 3*3*3 ones
        ((2, 4, 3, 3), dtype('float32'), np.float32(27.0))
    """
    N, C, H, W = x.shape
    OC, CG, KH, KW = w.shape
    G = groups
    OH = conv_output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, KW, stride[1], padding[1], dilation[1])
    y = np.empty((N, OC, OH, OW), dtype=x.dtype)
    w_rows = w.reshape(G, OC // G, CG * KH * KW)  # (G, OC/G, C/G*KH*KW)
    y_rows = y.reshape(N, G, OC // G, OH * OW)  # (N, G, OC/G, OH*OW)
    for images, cols in _columns(x, KH, KW, stride, padding, dilation, max_workspace_bytes):
        n = images.stop - images.start
        cols_groups = cols.reshape(n, G, CG * KH * KW, OH * OW)  # (n, G, C/G*KH*KW, OH*OW)
        np.matmul(w_rows, cols_groups, out=y_rows[images])
    if b is not None:
        y += b.reshape(1, OC, 1, 1)
    return y


def conv2d_backward_input(
    dy, w, x_shape, stride, padding, dilation, groups, *, max_workspace_bytes=WORKSPACE_BYTES
):
    """Gradient of the loss with respect to the input of a convolution.

    Every column entry ``cols[n, r, p]`` multiplied weight row entries in the forward pass,
    so its gradient is ``(w_rows.T @ dy[n])[r, p]``; col2im adds those column gradients
    back onto the pixels they were copied from.

    Loop::

        for each chunk of images:
            for n in chunk, g in groups (one batched matmul):
                dcols[n, rows of group g] = w[group g].T @ dy[n, group g]
            dx[chunk] = col2im(dcols)                        # (n, C, H, W)

    For a pointwise (1x1, stride 1, no padding) kernel, dcols already is dx.

    Args:
        dy: gradient of the loss with respect to the output y, same dtype as w.
        w: filters of the forward pass.
        x_shape: (N, C, H, W) of the forward input.
        stride, padding, dilation, groups: as for :func:`conv2d_forward`.
        max_workspace_bytes: cap on the column matrix built at once.

    Returns:
        A new array dx of shape ``x_shape``, same dtype as dy.

    Shape:
        - dy: (N, OC, OH, OW)
        - w: (OC, C/G, KH, KW)
        - dx: (N, C, H, W)
    """
    N, C, H, W = x_shape
    OC, CG, KH, KW = w.shape
    OH, OW = dy.shape[2:]
    G = groups
    dx = np.empty((N, C, H, W), dtype=dy.dtype)
    w_rows_t = w.reshape(G, OC // G, CG * KH * KW).transpose(0, 2, 1)  # (G, C/G*KH*KW, OC/G)
    dy_rows = dy.reshape(N, G, OC // G, OH * OW)  # (N, G, OC/G, OH*OW)
    if _is_pointwise(KH, KW, stride, padding):
        np.matmul(w_rows_t, dy_rows, out=dx.reshape(N, G, CG, H * W))
        return dx
    for images in _chunks(N, C * KH * KW * OH * OW * dy.itemsize, max_workspace_bytes):
        n = images.stop - images.start
        dcols = _SCRATCH.array((n, G, CG * KH * KW, OH * OW), dy.dtype)
        np.matmul(w_rows_t, dy_rows[images], out=dcols)
        dcols = dcols.reshape(n, C * KH * KW, OH * OW)  # (n, C*KH*KW, OH*OW)
        col2im_into(dcols, KH, KW, *stride, *padding, *dilation, dx[images])
    return dx


def conv2d_backward_weight(
    dy, x, w_shape, stride, padding, dilation, groups, *, max_workspace_bytes=WORKSPACE_BYTES
):
    """Gradient of the loss with respect to the filters of a convolution.

    Weight row entry ``w_rows[oc, r]`` multiplied ``cols[n, r, p]`` into ``y[n, oc, p]`` for
    every image n and output pixel p, so its gradient sums ``dy[n, oc, p] * cols[n, r, p]``.

    Loop::

        dw = 0
        for each chunk of images:
            cols = im2col(x[chunk])                          # (n, C*KH*KW, OH*OW)
            for n in chunk:
                for g in groups (one batched matmul):
                    dw[group g] += dy[n, group g] @ cols[n, rows of group g].T

    Args:
        dy: gradient of the loss with respect to the output y, same dtype as x.
        x: input images of the forward pass.
        w_shape: (OC, C/G, KH, KW) of the filters.
        stride, padding, dilation, groups: as for :func:`conv2d_forward`.
        max_workspace_bytes: cap on the column matrix built at once.

    Returns:
        A new array dw of shape ``w_shape``, same dtype as x.

    Shape:
        - dy: (N, OC, OH, OW)
        - x: (N, C, H, W)
        - dw: (OC, C/G, KH, KW)
    """
    N = x.shape[0]
    OC, CG, KH, KW = w_shape
    OH, OW = dy.shape[2:]
    G = groups
    dw = np.zeros((G, OC // G, CG * KH * KW), dtype=x.dtype)  # (G, OC/G, C/G*KH*KW)
    dw_one_image = np.empty_like(dw)  # (G, OC/G, C/G*KH*KW)
    dy_rows = dy.reshape(N, G, OC // G, OH * OW)  # (N, G, OC/G, OH*OW)
    for images, cols in _columns(x, KH, KW, stride, padding, dilation, max_workspace_bytes):
        n = images.stop - images.start
        cols_t = cols.reshape(n, G, CG * KH * KW, OH * OW).transpose(0, 1, 3, 2)
        for i in range(n):  # cols_t[i]: (G, OH*OW, C/G*KH*KW)
            np.matmul(dy_rows[images.start + i], cols_t[i], out=dw_one_image)
            dw += dw_one_image
    return dw.reshape(w_shape)
