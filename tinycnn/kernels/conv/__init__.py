"""2-D convolution forward and backward: the fast kernels' entry points.

    conv2d_forward, conv2d_backward_input, conv2d_backward_weight   (this file)
      -> tuning.py        times the algorithms on each new layer and keeps the fastest
         choice.py        the fixed rule, used when tuning is off
      -> via_im2col.py    im2col + one GEMM (im2col.py: the copies)
         via_winograd.py  Winograd's F(2x2, 3x3) (winograd.py: the transforms)
         via_windows.py   one GEMM per tap or per kernel row (window_grid.py: the layout)
         via_direct.py    direct convolution in Numba, blocked for the vector registers
         via_panels.py    im2col's product in Numba, one copied panel at a time
         via_turned_panels.py  the same turned around: channels along the tile
      -> parts.py         cuts each call into one part per core: images, or channels
    geometry.py           ConvGeometry: every size of the layer, worked out once

Whichever algorithm runs, each call is cut into independent parts, one per core (parts of
the batch, or with fewer images than cores parts of the channels, see `parts.py`), and the
parts run at once, each on one core from start to end (`threads.over_parts`); the
workspace limit is shared among the parts. The direct convolution runs parts of images in
one OpenMP loop over them instead, in all three passes (`_spreading`).
`forced` runs one algorithm wherever it can,
for tests and benchmarks; `algorithm_for` says which runs each pass of a convolution.

Every function returns a new array that the caller owns.
"""

import contextlib
import contextvars
import functools

import numpy as np

from tinycnn.kernels.conv import parts, tuning
from tinycnn.kernels.conv.choice import ALGORITHMS, choose
from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.runtime import threads
from tinycnn.kernels.runtime.workspace import WORKSPACE_BYTES

_FORCED = contextvars.ContextVar("tinycnn_forced_conv_algorithm", default=None)


@contextlib.contextmanager
def forced(name):
    """Run every convolution inside by the algorithm ``name`` wherever it computes it.

    Convolutions it does not compute (Winograd: not 3x3 with stride 1; taps and rows: not
    stride 1) keep the chosen algorithm. Results do not depend on the algorithm beyond
    float rounding; this is for tests and benchmarks.

    Args:
        name: one of ``"im2col"``, ``"winograd"``, ``"winograd_panels"``, ``"taps"``,
            ``"rows"``, ``"direct"``, ``"panels"``, ``"turned_panels"``.

    Example:
        >>> with forced("im2col"):
        ...     y = conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)
    """
    if name not in ALGORITHMS:
        raise ValueError(f"forced: name must be one of {sorted(ALGORITHMS)}, got {name!r}")
    token = _FORCED.set(ALGORITHMS[name])
    try:
        yield
    finally:
        _FORCED.reset(token)


# The channels each pass cuts a call into (see parts.py): those it never mixes.
ALONG = {"forward": "out", "backward_input": "in", "backward_weight": "weight"}


def algorithm_for(x_shape, w_shape, stride, padding, dilation, groups, dtype=np.float32):
    """The algorithms (values of `choice.ALGORITHMS`) that run the three passes of this
    convolution here: {"forward": ..., "backward_input": ..., "backward_weight": ...}.
    (When a call is cut into parts of other geometries, those of its first part.)"""
    geo = ConvGeometry.of(x_shape, w_shape, stride, padding, dilation, groups)
    by_pass = {}
    for pass_, along in ALONG.items():
        split = parts.split(geo, x_shape[0], along)
        by_pass[pass_] = _chosen(geo, split, pass_, np.dtype(dtype), WORKSPACE_BYTES)[split[0].geo]
    return by_pass


def _chosen(geo, split, pass_, dtype, max_workspace_bytes):
    """{part geometry: the algorithm that runs ``pass_`` on it} for the parts of one call
    of the layer ``geo``.

    Chosen here, before the parts start, so that a new geometry is timed once, alone."""
    call_images = split[-1].images.stop
    whole_layer = all(part.geo == geo for part in split)  # cut into parts of images only
    by_geometry = {}
    for part in split:  # the first part of a geometry has the most images (parts.split)
        if part.geo not in by_geometry:
            images = part.images.stop - part.images.start
            timed_images = call_images if whole_layer else None
            algorithms = _algorithms(part.geo, images, timed_images, dtype, max_workspace_bytes)
            by_geometry[part.geo] = algorithms[pass_]
    return by_geometry


def _algorithms(geo, part_images, call_images, dtype, max_workspace_bytes):
    """{pass: algorithm}: forced, or timed on this machine (`tuning`), or by the rule.

    Args:
        geo: the geometry of one part of the call.
        part_images: images in that part.
        call_images: the images of the whole call when its parts are parts of its images,
            each with the whole layer: then the candidates are timed on whole calls, as
            they run (on every core, each sharing the images out its own way). None when
            the call is cut over channels: then one part is timed alone, on one core.
    """
    forced_algorithm = _FORCED.get()
    if forced_algorithm is not None and forced_algorithm.computes(geo):
        return dict.fromkeys(tuning.PASSES, forced_algorithm)
    rule = choose(geo, part_images)
    forward_flop = 2 * part_images * geo.OC * geo.P * geo.KG
    if not tuning.enabled() or forward_flop < tuning.MIN_FLOP:
        return dict.fromkeys(tuning.PASSES, rule)
    candidates = {name: a for name, a in ALGORITHMS.items() if a is rule}
    candidates.update((name, a) for name, a in ALGORITHMS.items() if a.computes(geo))
    images = part_images if call_images is None else call_images

    def make_problem():
        rng = np.random.default_rng(0)
        x = rng.standard_normal((images, geo.C, geo.H, geo.W)).astype(dtype)
        w = rng.standard_normal((geo.OC, geo.CG, geo.KH, geo.KW)).astype(dtype)
        dy = rng.standard_normal((images, geo.OC, geo.OH, geo.OW)).astype(dtype)
        return x, w, dy

    key = tuning.key_of(geo, part_images, dtype)
    if call_images is None:
        run_pass = functools.partial(_run_part, geo, max_workspace_bytes // threads.BATCH_PARTS)
        names = tuning.chosen(key, candidates, make_problem, run_pass, in_parts=True)
    else:
        run_pass = functools.partial(_run_call, geo, max_workspace_bytes)
        names = tuning.chosen(key, candidates, make_problem, run_pass, in_parts=False)
    return {pass_: candidates.get(names[pass_], rule) for pass_ in tuning.PASSES}


def _run_part(geo, part_bytes, algorithm, pass_, problem):
    """Run ``pass_`` of one part, ``problem`` = (x, w, dy), by ``algorithm`` itself."""
    x, w, dy = problem
    if pass_ == "forward":
        algorithm.conv2d_forward(x, w, None, geo, part_bytes, np.empty(dy.shape, x.dtype))
    elif pass_ == "backward_input":
        algorithm.conv2d_backward_input(dy, w, geo, part_bytes, np.empty(x.shape, x.dtype))
    else:
        algorithm.conv2d_backward_weight(dy, x, geo, part_bytes)


def _run_call(geo, max_workspace_bytes, algorithm, pass_, problem):
    """Run ``pass_`` of a whole call, ``problem`` = (x, w, dy), as `conv2d_forward` and the
    backwards run it (cut into parts or shared out) with ``algorithm`` in every part."""
    x, w, dy = problem
    layer = ((geo.SH, geo.SW), (geo.PH, geo.PW), (geo.DH, geo.DW), geo.G)
    limit = {"max_workspace_bytes": max_workspace_bytes}
    token = _FORCED.set(algorithm)
    try:
        if pass_ == "forward":
            conv2d_forward(x, w, None, *layer, **limit)
        elif pass_ == "backward_input":
            conv2d_backward_input(dy, w, x.shape, *layer, **limit)
        else:
            conv2d_backward_weight(dy, x, w.shape, *layer, **limit)
    finally:
        _FORCED.reset(token)


def _spreading(split, chosen, geo, N, dtype, max_workspace_bytes, pass_):
    """The algorithm that runs this call on its whole batch at once, sharing the images out
    over the cores itself (in an OpenMP loop), or None.

    That is, when the call is cut into parts of images only, each with the whole layer, and
    their algorithm can and should (``spreads_images``). Why: a part on the thread pool of
    `threads.over_parts` waits for a thread to wake up at its start and at its end, and
    the parts take turns on the GIL for their set-up; OpenMP's threads spin a little before
    they sleep, and its loop holds no GIL (docs/performance.md has the figures).
    """
    if len(split) < 2 or any(part.geo != geo for part in split):
        return None
    algorithm = chosen[geo]
    spreads = getattr(algorithm, "spreads_images", None)
    if spreads is None or not spreads(geo, N, dtype.itemsize, max_workspace_bytes, pass_):
        return None
    return algorithm


def conv2d_forward(
    x, w, b, stride, padding, dilation, groups, *, max_workspace_bytes=WORKSPACE_BYTES
):
    """Convolve a batch of images with a bank of filters (cross-correlation, as in PyTorch).

    Args:
        x: input images, float32 or float64, C-contiguous.
        w: filters, same dtype as x.
        b: bias, or None.
        stride, padding, dilation: (SH, SW), (PH, PW), (DH, DW).
        groups: G; input and output channels split into G groups that never mix.
        max_workspace_bytes: cap on the intermediate matrices built at once.

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
    geo = ConvGeometry.of(x.shape, w.shape, stride, padding, dilation, groups)
    N = x.shape[0]
    y = np.empty((N, geo.OC, geo.OH, geo.OW), dtype=x.dtype)
    if y.size == 0:
        return y
    if geo.K == 0:  # no input channels: every output is a sum of no products, plus b
        y[...] = 0 if b is None else b.reshape(1, geo.OC, 1, 1)
        return y
    split = parts.split(geo, N, ALONG["forward"])
    chosen = _chosen(geo, split, "forward", x.dtype, max_workspace_bytes)
    spreading = _spreading(split, chosen, geo, N, x.dtype, max_workspace_bytes, "forward")
    if spreading is not None:
        spreading.conv2d_forward(x, w, b, geo, max_workspace_bytes, y, spread=True)
        return y
    part_bytes = max_workspace_bytes // threads.BATCH_PARTS

    def forward(part):  # y[images, oc part] = x[images, its channels] * w[oc part] + b[oc part]
        n, c, oc = part.images, part.x_channels, part.y_channels
        bias = None if b is None else b[oc]
        chosen[part.geo].conv2d_forward(x[n, c], w[part.w_block], bias, part.geo, part_bytes,
                                        y[n, oc])  # fmt: skip

    threads.over_parts(split, forward)
    return y


def conv2d_backward_input(
    dy, w, x_shape, stride, padding, dilation, groups, *, max_workspace_bytes=WORKSPACE_BYTES
):
    """Gradient of the loss with respect to the input of a convolution.

    Args:
        dy: gradient of the loss with respect to the output y, same dtype as w.
        w: filters of the forward pass.
        x_shape: (N, C, H, W) of the forward input.
        stride, padding, dilation, groups: as for :func:`conv2d_forward`.
        max_workspace_bytes: cap on the intermediate matrices built at once.

    Returns:
        A new array dx of shape ``x_shape``, same dtype as dy.

    Shape:
        - dy: (N, OC, OH, OW)
        - w: (OC, C/G, KH, KW)
        - dx: (N, C, H, W)
    """
    geo = ConvGeometry.of(x_shape, w.shape, stride, padding, dilation, groups)
    dx = np.empty(x_shape, dtype=dy.dtype)
    if dx.size == 0:
        return dx
    if dy.size == 0:  # no output pixel depends on x
        dx.fill(0)
        return dx
    split = parts.split(geo, x_shape[0], ALONG["backward_input"])
    chosen = _chosen(geo, split, "backward_input", dy.dtype, max_workspace_bytes)
    spreading = _spreading(split, chosen, geo, x_shape[0], dy.dtype, max_workspace_bytes,
                           "backward_input")  # fmt: skip
    if spreading is not None:
        spreading.conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx, spread=True)
        return dx
    part_bytes = max_workspace_bytes // threads.BATCH_PARTS

    def backward_input(part):  # dx[images, c part] from dy[images, its channels], w[:, c part]
        n, c, oc = part.images, part.x_channels, part.y_channels
        chosen[part.geo].conv2d_backward_input(dy[n, oc], w[part.w_block], part.geo, part_bytes,
                                               dx[n, c])  # fmt: skip

    threads.over_parts(split, backward_input)
    return dx


def conv2d_backward_weight(
    dy, x, w_shape, stride, padding, dilation, groups, *, max_workspace_bytes=WORKSPACE_BYTES
):
    """Gradient of the loss with respect to the filters of a convolution.

    Args:
        dy: gradient of the loss with respect to the output y, same dtype as x.
        x: input images of the forward pass.
        w_shape: (OC, C/G, KH, KW) of the filters.
        stride, padding, dilation, groups: as for :func:`conv2d_forward`.
        max_workspace_bytes: cap on the intermediate matrices built at once.

    Returns:
        A new array dw of shape ``w_shape``, same dtype as x.

    Shape:
        - dy: (N, OC, OH, OW)
        - x: (N, C, H, W)
        - dw: (OC, C/G, KH, KW)
    """
    geo = ConvGeometry.of(x.shape, w_shape, stride, padding, dilation, groups)
    if dy.size == 0 or x.size == 0:  # no product to sum: the gradient is zero
        return np.zeros(w_shape, dtype=x.dtype)
    split = parts.split(geo, x.shape[0], ALONG["backward_weight"])
    chosen = _chosen(geo, split, "backward_weight", x.dtype, max_workspace_bytes)
    spreading = _spreading(split, chosen, geo, x.shape[0], x.dtype, max_workspace_bytes,
                           "backward_weight")  # fmt: skip
    if spreading is not None:
        runs = [part.images.start for part in split] + [x.shape[0]]
        return spreading.conv2d_backward_weight(dy, x, geo, max_workspace_bytes, runs=runs)
    part_bytes = max_workspace_bytes // threads.BATCH_PARTS

    def backward_weight(part):  # dw[oc part] summed over its images
        n, c, oc = part.images, part.x_channels, part.y_channels
        # Cut over the channels of several images, its dy is not one block: copied (it is
        # smaller than its rows of dw, parts.weight_heavy).
        part_dy = np.ascontiguousarray(dy[n, oc])
        return chosen[part.geo].conv2d_backward_weight(part_dy, x[n, c], part.geo, part_bytes)

    sums = threads.over_parts(split, backward_weight)
    if len(split) == 1:
        return sums[0]
    # Each part summed its images' contributions to its block of dw; the blocks of the
    # parts of the first image fill dw, those of the other images add to them.
    dw = np.empty(w_shape, dtype=x.dtype)
    for part, part_sum in zip(split, sums, strict=True):
        if part.images.start == 0:
            dw[part.w_block] = part_sum
        else:
            dw[part.w_block] += part_sum
    return dw
