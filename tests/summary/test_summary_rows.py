"""The rows of a summary against a real forward pass on one image: names, kinds, output
shapes, activation bytes; the im2col bytes against the kernel's own column matrix; the
model left as it was; the printed table."""

import numpy as np
import pytest

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import models
from tinycnn.kernels.conv import via_im2col
from tinycnn.kernels.conv.im2col import im2col
from tinycnn.models.densenet import DenseNet
from tinycnn.summary import summary
from tinycnn.summary.receptive_field import conv_padding
from tinycnn.tensor import Tensor, no_grad


def real_calls(model, input_size):
    """(name, kind, output, input) of every layer call of a real forward on one image."""
    names = {id(m): name for name, m in model.named_modules()}
    calls = []
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    handles = [
        m.register_forward_hook(
            lambda m, inputs, out: calls.append((names[id(m)], type(m).__name__, out, inputs))
        )
        for m in leaves
    ]
    x = Tensor(np.random.default_rng(0).standard_normal((1, *input_size)).astype(np.float32))
    with no_grad():
        model.eval()(x)
    for handle in handles:
        handle.remove()
    return calls


NETWORKS = {
    "resnet18": (lambda: models.resnet18(), (3, 64, 64)),
    "googlenet": (lambda: models.googlenet(init_weights=False), (3, 64, 64)),
    "squeezenet1_1": (lambda: models.squeezenet1_1(), (3, 64, 64)),
    "densenet": (
        lambda: DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, bn_size=2),
        (3, 32, 32),
    ),
}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_rows_match_a_real_forward_on_one_image(name):
    build, input_size = NETWORKS[name]
    model = build()
    info = summary(model, input_size)
    calls = real_calls(model, input_size)
    assert [(layer.name, layer.kind) for layer in info.layers] == [c[:2] for c in calls]
    for layer, (_, _, output, _) in zip(info.layers, calls, strict=True):
        assert layer.output_shape == output.shape, layer.name
        assert layer.activation_bytes == output.data.nbytes, layer.name


def test_im2col_bytes_are_the_kernels_column_matrix_and_zero_for_pointwise_convolutions():
    model = models.googlenet(init_weights=False)  # 7x7/2, 3x3 and 1x1 convolutions
    info = summary(model, (3, 64, 64))  # down to 2x2 images: pointwise ones too small in place
    calls = real_calls(model, (3, 64, 64))
    kinds = set()
    for layer, (_, _, _, inputs) in zip(info.layers, calls, strict=True):
        if layer.kind != "Conv2d":
            assert layer.im2col_bytes == 0
            continue
        conv = dict(model.named_modules())[layer.name]
        KH, KW = conv.kernel_size
        pointwise = (KH, KW, conv.stride, conv_padding(conv)) == (1, 1, (1, 1), (0, 0))
        OH, OW = layer.output_shape[2:]
        in_place = pointwise and OH * OW >= via_im2col.POINTWISE_MIN_PIXELS
        kinds.add((pointwise, in_place))
        if in_place:
            assert layer.im2col_bytes == 0  # the kernel uses the image as its columns
        else:
            (x,) = inputs
            cols = im2col(x.data, KH, KW, *conv.stride, *conv_padding(conv), *conv.dilation)
            assert layer.im2col_bytes == cols.nbytes, layer.name
    assert kinds == {(True, True), (True, False), (False, False)}


def test_strided_1x1_convolution_needs_im2col():
    info = summary(nn.Conv2d(4, 8, 1, stride=2), (4, 10, 10))
    (layer,) = info.layers
    assert layer.im2col_bytes == 4 * 1 * 1 * 5 * 5 * 4  # C*KH*KW x OH*OW float32 values
    assert layer.name == "" and "(model)" in str(info)


def test_model_modes_and_state_are_left_as_they_were():
    model = models.resnet18()
    model.layer1.eval()  # a mixed state, to be restored exactly
    modes = {name: m.training for name, m in model.named_modules()}
    state = {key: value.copy() for key, value in model.state_dict().items()}
    summary(model, (3, 64, 64))
    assert {name: m.training for name, m in model.named_modules()} == modes
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key], err_msg=key)


def test_a_layer_called_twice_has_two_rows_and_its_parameters_count_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x))

    info = summary(Twice(), (3, 8, 8))
    assert [layer.name for layer in info.layers] == ["conv", "conv"]
    assert [layer.params for layer in info.layers] == [3 * 3 * 9 + 3, 0]
    assert info.total_params == 3 * 3 * 9 + 3
    assert info.layers[0].macs == info.layers[1].macs == 3 * 8 * 8 * 3 * 3 * 3
    assert info.layers[1].rf.size == (5, 5)


def test_a_model_that_cannot_take_an_empty_batch_is_traced_on_one_image():
    class ReshapeByBatch(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(4 * 6 * 6, 2)

        def forward(self, x):
            x = self.conv(x)
            return self.fc(x.reshape(x.shape[0], -1))  # -1 is ambiguous for 0 images

    class FlattenFirst(ReshapeByBatch):
        def forward(self, x):
            return self.fc(F.flatten(self.conv(x), 1))

    with pytest.raises(ValueError):
        ReshapeByBatch()(Tensor(np.zeros((0, 3, 8, 8), np.float32)))
    reshaped = summary(ReshapeByBatch(), (3, 8, 8))
    flattened = summary(FlattenFirst(), (3, 8, 8))
    assert reshaped.layers == flattened.layers
    assert reshaped.total_macs == 4 * 6 * 6 * 27 + 144 * 2


def test_trainable_params_and_dtype():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).double()
    model[1].weight.requires_grad = False
    info = summary(model, (3, 5, 5))
    assert info.total_params == 4 * 27 + 4 + 8
    assert info.trainable_params == info.total_params - 4
    assert info.dtype == np.float64
    assert info.layers[0].activation_bytes == 4 * 3 * 3 * 8
    assert "Non-trainable params: 4" in str(info)


def test_table_shows_every_row_and_the_totals():
    info = summary(models.squeezenet1_1(), (3, 224, 224))
    text = str(info)
    lines = text.splitlines()
    assert lines[0].startswith("Input 1 x 3 x 224 x 224 (float32)")
    for layer in info.layers:
        assert any(line.startswith(layer.name + " ") for line in lines), layer.name
    assert "Total params: 1,235,496" in text
    assert f"Total MACs: {info.total_macs:,} (0.349 G)" in text
    conv1 = next(line for line in lines if line.startswith("features.0 "))
    # 64 x 111 x 111 = 788,544 outputs of 3 * 3 * 3 products; field 3, jump 2, start 1
    assert "64 x 111 x 111" in conv1 and f"{788_544 * 27:,}" in conv1
    assert conv1.split()[-7:-4] == ["3", "2", "1"]  # then activation and im2col sizes


def test_bad_arguments_get_clear_errors():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(TypeError, match="summary: model must be a tinycnn.nn.Module, got str"):
        summary("resnet18", (3, 8, 8))
    with pytest.raises(TypeError, match=r"input_size must be a non-empty tuple of ints"):
        summary(conv, 224)
    with pytest.raises(TypeError, match=r"input_size must hold ints.*got \(3, 8.0, 8\)"):
        summary(conv, (3, 8.0, 8))
    with pytest.raises(ValueError, match=r"input_size must hold sizes >= 1.*got \(3, 0, 8\)"):
        summary(conv, (3, 0, 8))
    with pytest.raises(RuntimeError, match="summary: grad mode must be on"):
        with no_grad():
            summary(conv, (3, 8, 8))
    with pytest.raises(ValueError, match="conv2d: the .* kernel"):  # the model's own error
        summary(conv, (3, 2, 2))


def test_a_repl_shows_the_summary_as_its_table():
    # issue 15: the REPL echoes repr(), which was the dataclass's 3,000-character repr
    info = summary(models.small_cnn(in_channels=1, num_classes=10), (1, 8, 8))
    assert repr(info) == str(info)
    assert repr(info).startswith("Input 1 x 1 x 8 x 8 (float32)")
    assert "features.0   Conv2d" in repr(info) and "Summary(" not in repr(info)
