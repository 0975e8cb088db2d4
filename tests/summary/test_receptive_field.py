"""Receptive fields against a measurement: the input pixels an output value depends on are
those where the gradient of that value is non-zero.

With every weight 1 and an input of ones, every path from an input pixel to an output adds
a positive term (average pooling, BatchNorm with its initial statistics and ReLU keep it
positive), so no contribution cancels: the gradient of one output position is non-zero
exactly on the pixels of its field that lie inside the image. The test compares the
first and last such pixel along each axis with start + i * jump -+ (size - 1) / 2, clipped
to the image. (Max pooling is left out: its gradient reaches only the largest input.)
"""

import numpy as np
import pytest

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.summary import ReceptiveField, summary
from tinycnn.tensor import Tensor


class Chain(nn.Module):
    """Strides, padding, an even kernel, 'same' padding, a non-square kernel and stride,
    divisible adaptive pooling, then flatten and a linear layer. Input 3 x 45 x 41."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 5, stride=2, padding=1),  # 4 x 22 x 20
            nn.AvgPool2d(3, stride=2, padding=1),  # 4 x 11 x 10
            nn.Conv2d(4, 4, 2),  # 4 x 10 x 9: fields centred between two pixels
            nn.Conv2d(4, 4, 3, padding="same"),  # 4 x 10 x 9
            nn.Conv2d(4, 4, (3, 5), stride=(1, 2), padding=(0, 2)),  # 4 x 8 x 5
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((4, 5)),  # 4 x 4 x 5: windows of 2 x 1
        )
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(80, 3)

    def forward(self, x):
        return self.fc(self.flatten(self.features(x)))


class InceptionLike(nn.Module):
    """Four branches of different fields, concatenated (GoogLeNet's block)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, stride=2)
        self.branch1 = nn.Conv2d(4, 2, 1)
        self.branch2 = nn.Sequential(nn.Conv2d(4, 2, 1), nn.Conv2d(2, 2, 3, padding=1))
        self.branch3 = nn.Sequential(nn.Conv2d(4, 2, 1), nn.Conv2d(2, 2, 5, padding=2))
        self.branch4 = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1), nn.Conv2d(4, 2, 1))
        self.after = nn.ReLU()  # a layer on the concatenation: the union of the branches
        self.head = nn.Conv2d(8, 2, 3, stride=2)

    def forward(self, x):
        x = self.stem(x)
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return self.head(self.after(F.cat(branches, 1)))


class ResidualLike(nn.Module):
    """A strided residual block: two 3x3 convolutions plus a strided 1x1 shortcut."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.shortcut = nn.Conv2d(3, 4, 1, stride=2)
        self.relu = nn.ReLU()
        self.conv3 = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        out = self.relu(self.conv2(self.conv1(x)) + self.shortcut(x))
        return self.conv3(out)


class DenseLike(nn.Module):
    """A dense block: each 3x3 convolution sees the concatenation of all maps before it."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3 + 2 * i, 2, 3, padding=1) for i in range(3)])
        self.relu = nn.ReLU()

    def forward(self, x):
        features = [x]
        for conv in self.convs:
            features.append(conv(F.cat(features, 1)))
        return self.relu(F.cat(features, 1))


class Dilated(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=2, dilation=2)
        self.conv2 = nn.Conv2d(4, 4, 3, stride=2, padding=1, dilation=3)
        self.conv3 = nn.Conv2d(4, 4, 3, dilation=(1, 2))

    def forward(self, x):
        return self.conv3(self.conv2(self.conv1(x)))


def all_ones(model):
    model = model.double().eval()
    for param in model.parameters():
        param.data[...] = 1.0
    return model


def layer_outputs(model, x):
    """The output of every layer call of one forward pass, in call order."""
    outputs = []
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    handles = [m.register_forward_hook(lambda m, i, out: outputs.append(out)) for m in leaves]
    model(x)
    for handle in handles:
        handle.remove()
    return outputs


def measured_extent(model, input_size, call, position):
    """(first, last) input pixel along H and W whose gradient from output `position` of
    layer call number `call` is non-zero. `position` is (i, j), or None for a flat output."""
    x = Tensor(np.ones((1, *input_size)), requires_grad=True)
    output = layer_outputs(model, x)[call]
    grad = np.zeros(output.shape)
    grad[(0, slice(None), *position) if position else (0, slice(None))] = 1.0
    output.backward(grad)
    reached = np.abs(x.grad[0]).sum(axis=0)  # H x W
    rows, cols = np.nonzero(reached.any(axis=1))[0], np.nonzero(reached.any(axis=0))[0]
    return (rows[0], rows[-1]), (cols[0], cols[-1])


def predicted_extent(field, position, image_size, clip=True):
    extents = []
    for axis in range(2):
        centre = field.start[axis] + (position[axis] if position else 0) * field.jump[axis]
        low, high = centre - (field.size[axis] - 1) / 2, centre + (field.size[axis] - 1) / 2
        if clip:
            low, high = max(low, 0), min(high, image_size[axis] - 1)
        extents.append((low, high))
    return tuple(extents)


def positions(shape):
    """First, middle and last position of a map, or None for a flat output."""
    if len(shape) != 4:
        return [None]
    OH, OW = shape[2:]
    return sorted({(0, 0), (OH // 2, OW // 2), (OH - 1, OW - 1)})


def fully_inside(field, position, image_size):
    unclipped = predicted_extent(field, position, image_size, clip=False)
    axes = zip(unclipped, image_size, strict=True)
    return all(0 <= low and high <= size - 1 for (low, high), size in axes)


CASES = [
    (Chain, (3, 45, 41), False),
    (InceptionLike, (3, 23, 19), False),
    (ResidualLike, (3, 17, 16), False),
    (DenseLike, (3, 12, 13), False),
    # Dilated kernels skip pixels: where a field is cut by the image edge, its first pixel
    # inside the image need not be reached. Only whole fields are compared there.
    (Dilated, (3, 40, 44), True),
]


@pytest.mark.parametrize(
    "network, input_size, whole_fields_only", CASES, ids=[case[0].__name__ for case in CASES]
)
def test_every_layer_field_matches_the_measured_gradient_extent(
    network, input_size, whole_fields_only
):
    model = all_ones(network())
    info = summary(model, input_size)
    image_size = input_size[1:]
    checked = 0
    for index, layer in enumerate(info.layers):
        assert layer.rf is not None, layer.name
        for position in positions(layer.output_shape):
            if whole_fields_only and not fully_inside(layer.rf, position, image_size):
                continue
            measured = measured_extent(model, input_size, index, position)
            expected = predicted_extent(layer.rf, position, image_size)
            assert measured == expected, (layer.name, position, layer.rf)
            checked += 1
    assert checked >= len(info.layers)  # every layer checked at least once


def test_union_of_branches_is_the_widest_branch_and_residual_add_takes_the_main_path():
    inception = summary(InceptionLike(), (3, 23, 19))
    fields = {layer.name: layer.rf for layer in inception.layers}
    assert fields["stem"].size == (3, 3)  # the input seen through the stem
    assert fields["branch3.1"].size == (3 + 4 * 2, 3 + 4 * 2)  # a 5x5 at jump 2
    assert fields["after"] == fields["branch3.1"]  # concatenation: the widest branch
    residual = summary(ResidualLike(), (3, 17, 16))
    fields = {layer.name: layer.rf for layer in residual.layers}
    assert fields["shortcut"].size == (1, 1)
    assert fields["relu"] == fields["conv2"]  # the shortcut's field lies inside the main path's


def test_union_of_windows_with_different_centres():
    # Windows [-1, 1] (size 3, centre 0) and [0, 3] (size 4, centre 1.5): union [-1, 3].
    a = ReceptiveField((3, 3), (2, 2), (0, 0))
    b = ReceptiveField((4, 1), (2, 2), (1.5, 0))
    union = ReceptiveField.union([a, b], jump=(2, 2))
    assert union == ReceptiveField((5, 3), (2, 2), (1, 0))


def test_functional_pooling_hides_the_geometry_and_makes_fields_unknown():
    class FunctionalPool(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3)
            self.conv2 = nn.Conv2d(4, 4, 3)

        def forward(self, x):
            return self.conv2(F.max_pool2d(self.conv1(x), 2))

    fields = [layer.rf for layer in summary(FunctionalPool(), (3, 16, 16)).layers]
    assert fields[0] == ReceptiveField((3, 3), (1, 1), (1, 1))
    assert fields[1] is None


def test_functional_adaptive_pooling_follows_from_the_shapes():
    class FunctionalAdaptive(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, stride=2)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(F.flatten(F.adaptive_avg_pool2d(self.conv(x), (1, 1)), 1))

    class ModuleAdaptive(FunctionalAdaptive):
        def __init__(self):
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d((1, 1))

        def forward(self, x):
            return self.fc(F.flatten(self.pool(self.conv(x)), 1))

    functional = summary(FunctionalAdaptive(), (3, 15, 15)).layers[-1].rf
    module = summary(ModuleAdaptive(), (3, 15, 15)).layers[-1].rf
    assert functional is not None and functional == module
    # conv: fields of 3 at jump 2 on a 7 x 7 map; pooled together they span 3 + 6 * 2 pixels
    assert functional.size == (15, 15)


def test_input_without_spatial_axes_has_no_fields():
    mlp = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
    info = summary(mlp, (8,))
    assert [layer.rf for layer in info.layers] == [None, None, None]
    assert info.total_macs == 8 * 4 + 4 * 2
