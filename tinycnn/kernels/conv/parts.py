"""How one convolution call is cut into independent parts, one per core.

With at least as many images as cores, the batch is cut: each part convolves N/cores of
the images with the whole layer. With fewer images than cores that leaves cores idle (at
batch 1, what ``tinycnn predict`` runs, all but one), so each image is cut further, over
the channels that the pass never mixes, into parts that are convolutions of their own::

    forward          y[n, oc part]  = conv(x[n], w[oc part], b[oc part])
    weight gradient  dw[oc part]   += conv_backward_weight(dy[n, oc part], x[n])   over n
    input gradient   dx[n, c part]  = conv_backward_input(dy[n], w[:, c part])

The weight gradient is a sum over the images, so parts of the batch each sum a whole dw of
their own, which are then added up. Where dw is larger than the images' column matrix (a
deep layer on small images: ResNet's 512 channels on 7x7), that costs more than what
parts of the output channels over the whole batch cost instead (each reads all the
images, and writes only its own rows of dw), so such a layer is cut that way at any batch
size (`weight_heavy`).

A part takes whole groups when the layer has at least as many groups as parts, else a run
of channels inside one group (G = 1 is one group of all channels). The part's own
`ConvGeometry` has fewer channels, so its algorithm is chosen (or timed) for that geometry.
One image's run of channels is contiguous in memory, so every algorithm reads and writes
its part of x, y, dy and dx in place: no part copies its result. (A weight gradient cut
over the channels of several images copies its dy.)

A channel part does not share the work of the input's transform (im2col's columns, the
direct algorithm's grid, Winograd's tiles): every part builds it for its own channels
again. So only layers with work enough are cut, and into parts of at least `MIN_PART_FLOP`;
so is the batch: for a call smaller than that (DenseNet's 3x3 layers on 4x4 images),
waking a second core costs as much as it saves.
"""

import dataclasses
from dataclasses import dataclass

from tinycnn.kernels.runtime import threads

# A part must do this many floating-point operations at least: about 0.2 ms on one core,
# several times what waking its thread (20-100 us) and waiting for the slowest part cost.
MIN_PART_FLOP = 2**23
# Channels in a part: a multiple of this but for the last part, so that the direct
# algorithm, which works on blocks of 4 channels, pads no channel block with zeros.
CHANNEL_STEP = 4


@dataclass(frozen=True)
class Part:
    """One part of a convolution call, itself a convolution of geometry ``geo``.

    Attributes:
        images: the images of the batch it convolves.
        x_channels: its channels of x (and dx).
        y_channels: its channels of y (and dy), which are its rows of w (and b, dw).
        w_depth: its columns of w: channels within a group.
        geo: its own `ConvGeometry` (C, OC and G of the part).
    """

    images: slice
    x_channels: slice
    y_channels: slice
    w_depth: slice
    geo: object

    @property
    def w_block(self):
        """The index of its block of w (and of dw): ``w[part.w_block]``."""
        return self.y_channels, self.w_depth


def split(geo, N, along):
    """The parts of a call on N images.

    Args:
        geo: the layer's `ConvGeometry`.
        N: images in the batch.
        along: ``"out"`` (forward: parts of output channels), ``"in"`` (input gradient:
            parts of input channels) or ``"weight"`` (weight gradient: as ``"out"``, but a
            `weight_heavy` layer is cut over its output channels at any batch size).

    Returns:
        Parts in the order of the images, at most `threads.BATCH_PARTS`.

    Example (2 cores: batch 1 is cut over output channels, batch 5 over images):
        >>> geo = ConvGeometry.of((1, 64, 56, 56), (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1)
        >>> [(p.images, p.y_channels) for p in split(geo, 1, "out")]
        [(slice(0, 1, None), slice(0, 32, None)), (slice(0, 1, None), slice(32, 64, None))]
        >>> [p.images for p in split(geo, 5, "out")]
        [slice(0, 3, None), slice(3, 5, None)]
    """
    everything = slice(None)
    cores = threads.BATCH_PARTS
    if along == "weight":
        channels = _channel_parts(geo, "out", cores, N) if weight_heavy(geo, N, cores) else []
        if len(channels) >= 2:
            return [Part(slice(0, N), *channel_part) for channel_part in channels]
        along = "out"
    channels = _channel_parts(geo, along, cores // N, 1) if N < cores else []
    if len(channels) < 2:  # the batch alone is cut, into parts of MIN_PART_FLOP at least
        count = min(cores, max(1, 2 * N * geo.OC * geo.P * geo.KG // MIN_PART_FLOP))
        step = max(1, -(-N // count))
        return [
            Part(slice(n, min(n + step, N)), everything, everything, everything, geo)
            for n in range(0, N, step)
        ]
    return [Part(slice(n, n + 1), *channel_part) for n in range(N) for channel_part in channels]


def weight_heavy(geo, N, cores):
    """True if summing the weight gradient over parts of the batch costs more than cutting
    it over output channels.

    Cut into ``cores`` parts of the batch, each part writes a whole dw of its own (OC rows
    of K values), and the parts' are added up afterwards. Cut over output channels, each
    part reads the column matrix of all N images, of which a part of the batch would read
    1/cores: (cores-1)/cores * N*P more columns of K values. So the channels win when
    ``OC >= (cores-1)/cores * N*P``.

    Only for layers of one group: with several, a part's channels of x would not be one
    block of memory, and would have to be copied too.
    """
    return cores > 1 and geo.G == 1 and geo.OC * cores >= (cores - 1) * N * geo.P


def _channel_parts(geo, along, wanted, images):
    """At most ``wanted`` (x_channels, y_channels, w_depth, geo) for parts of ``images``
    images each."""
    flop = 2 * images * geo.OC * geo.P * geo.KG  # in every pass
    count = min(wanted, flop // MIN_PART_FLOP)
    if count < 2:
        return []
    G, CG, OCG = geo.G, geo.CG, geo.OCG
    if G >= count:  # whole groups: g0 .. g1 - 1
        return [
            (slice(g0 * CG, g1 * CG), slice(g0 * OCG, g1 * OCG), slice(None),
             dataclasses.replace(geo, C=(g1 - g0) * CG, OC=(g1 - g0) * OCG, G=g1 - g0))
            for g0, g1 in _runs(G, count, step=1)
        ]  # fmt: skip
    width = OCG if along == "out" else CG
    parts = []
    for g in range(G):  # runs [a, b) of the group's output (or input) channels
        for a, b in _runs(width, count // G, step=CHANNEL_STEP):
            if along == "out":
                own = (slice(g * CG, (g + 1) * CG), slice(g * OCG + a, g * OCG + b), slice(None))
                parts.append((*own, dataclasses.replace(geo, C=CG, OC=b - a, G=1)))
            else:
                own = (slice(g * CG + a, g * CG + b), slice(g * OCG, (g + 1) * OCG), slice(a, b))
                parts.append((*own, dataclasses.replace(geo, C=b - a, OC=OCG, G=1)))
    return parts


def _runs(width, count, step):
    """At most ``count`` consecutive runs [a, b) covering range(width), as even as they can
    be with every bound inside a multiple of ``step``.

    Example:
        >>> _runs(10, 3, step=4)
        [(0, 4), (4, 8), (8, 10)]
    """
    inner = {round(width * i / count / step) * step for i in range(1, count)}
    bounds = sorted({0, width} | {bound for bound in inner if 0 < bound < width})
    return list(zip(bounds, bounds[1:], strict=False))
