"""Cutting a convolution call into parts: images, or the channels of an image, per core."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases

from tinycnn.kernels.conv import parts
from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.runtime import threads

RESNET_3X3 = ((1, 64, 56, 56), (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1)  # 2**27.8 flop
SQUEEZE_1X1 = ((1, 64, 55, 55), (16, 64, 1, 1), (1, 1), (0, 0), (1, 1), 1)  # 2**22.6 flop


@pytest.mark.parametrize("N", [2, 5, 64])
def test_a_batch_of_as_many_images_as_cores_is_cut_into_runs_of_images(N, monkeypatch):
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    geo = ConvGeometry.of((N, *RESNET_3X3[0][1:]), *RESNET_3X3[1:])
    split = parts.split(geo, N, "out")
    assert len(split) == 2
    assert [(p.images.start, p.images.stop) for p in split] == [(0, -(-N // 2)), (-(-N // 2), N)]
    everything = slice(None)
    assert all(p.w_block == (everything, everything) for p in split)
    assert all(p.x_channels == everything and p.geo == geo for p in split)


@pytest.mark.parametrize("along, channels", [("out", "y_channels"), ("in", "x_channels")])
def test_a_batch_of_one_is_cut_over_the_channels_the_pass_does_not_mix(
    along, channels, monkeypatch
):
    monkeypatch.setattr(threads, "BATCH_PARTS", 4)
    geo = ConvGeometry.of(*RESNET_3X3)
    split = parts.split(geo, 1, along)
    assert len(split) == 4
    cut = [getattr(p, channels) for p in split]
    assert cut[0].start == 0 and cut[-1].stop == 64
    assert all(a.stop == b.start for a, b in zip(cut, cut[1:], strict=False))
    assert all((s.stop - s.start) % parts.CHANNEL_STEP == 0 for s in cut)


@pytest.mark.parametrize("N", [1, 2, 8])
def test_the_weight_gradient_of_a_deep_layer_on_small_images_is_cut_over_output_channels(
    N, monkeypatch
):
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    deep = ConvGeometry.of((N, 512, 7, 7), (512, 512, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    assert parts.weight_heavy(deep, N, 2)  # 512 output channels >= 1/2 * N*49 pixels
    split = parts.split(deep, N, "weight")
    assert [(p.images.start, p.images.stop) for p in split] == [(0, N), (0, N)]
    assert [(p.y_channels.start, p.y_channels.stop) for p in split] == [(0, 256), (256, 512)]
    # ResNet's first 3x3 layer has far more pixels than channels: parts of the batch
    shallow = ConvGeometry.of((8, 64, 56, 56), (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    assert not parts.weight_heavy(shallow, 8, 2)
    assert parts.split(shallow, 8, "weight") == parts.split(shallow, 8, "out")


def test_a_layer_with_too_little_work_is_not_cut(monkeypatch):
    monkeypatch.setattr(threads, "BATCH_PARTS", 16)
    assert len(parts.split(ConvGeometry.of(*SQUEEZE_1X1), 1, "out")) == 1
    # 2**27.8 flop make 16 parts of 2**23.8, more than MIN_PART_FLOP
    assert len(parts.split(ConvGeometry.of(*RESNET_3X3), 1, "out")) == 16


@st.composite
def cut_cases(draw):
    """(x_shape, w_shape, stride, padding, dilation, groups) with up to 12 channels a group."""
    _, C, OC, G, H, W, KH, KW, stride, padding, dilation = draw(conv_cases())
    C, OC = C * draw(st.integers(1, 6)), OC * draw(st.integers(1, 6))
    return (draw(st.integers(1, 5)), C, H, W), (OC, C // G, KH, KW), stride, padding, dilation, G


@settings(max_examples=200, deadline=None)
@given(cut_cases(), st.integers(1, 8), st.sampled_from(["out", "in", "weight"]), st.integers(1, 4))
def test_parts_cover_every_image_and_channel_once_as_convolutions_of_their_own(
    case, cores, along, step
):
    x_shape, w_shape, *window, groups = case
    geo = ConvGeometry.of(x_shape, w_shape, *window, groups)
    x, w = np.zeros(x_shape), np.zeros(w_shape)
    y = np.zeros((x_shape[0], geo.OC, geo.OH, geo.OW))
    with pytest.MonkeyPatch.context() as patch:  # any layer is cut, into runs of any size
        patch.setattr(threads, "BATCH_PARTS", cores)
        patch.setattr(parts, "MIN_PART_FLOP", 1)
        patch.setattr(parts, "CHANNEL_STEP", step)
        split = parts.split(geo, x_shape[0], along)
    assert 1 <= len(split) <= cores
    # each output value of the pass is written by exactly one part
    written = np.zeros(x_shape if along == "in" else y.shape, dtype=int)
    for part in split:
        n, c, oc = part.images, part.x_channels, part.y_channels
        # the part is the convolution of its slices of x and w, of the part's geometry
        shapes = (x[n, c].shape, w[part.w_block].shape)
        assert part.geo == ConvGeometry.of(*shapes, *window, part.geo.G)
        # its slices of x, y, dy and dx are contiguous: the algorithms work on them in place
        # (but for dy in a weight gradient cut over channels of all images, which is copied)
        assert x[n, c].flags.c_contiguous and (along == "weight" or y[n, oc].flags.c_contiguous)
        written[n, c if along == "in" else oc] += 1
        # its channels of x, of y and of a group's filters belong to the same groups
        x_groups = [channel // geo.CG for channel in range(geo.C)[c]]
        y_groups = [channel // geo.OCG for channel in range(geo.OC)[oc]]
        assert sorted(set(x_groups)) == sorted(set(y_groups))
        assert len(set(x_groups)) == part.geo.G
        depth = [channel % geo.CG for channel in range(geo.C)[c]]
        assert depth == list(range(geo.CG)[part.w_depth]) * part.geo.G
    assert (written == 1).all()
    if x_shape[0] >= cores and along != "weight":  # enough images: the batch alone is cut
        assert all(part.geo == geo for part in split)
