"""The numbers the pictures draw, and one PNG of each kind actually rendered."""

import sys

import numpy as np
import pytest

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import models, pictures, rng
from tinycnn.tensor import tensor
from tinycnn.training.log import write_log


def two_conv_net():
    rng.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 2, 5)
    )


def test_filter_images_scale_each_filter_to_0_1_channels_last():
    net = two_conv_net()
    name, images = pictures.filter_images(net)
    assert name == "0" and images.shape == (4, 3, 3, 3)
    w = net[0].weight.data[1]
    expected = (w - w.min()) / (w.max() - w.min())
    np.testing.assert_allclose(images[1], expected.transpose(1, 2, 0), rtol=1e-6)
    net[0].weight.data[2] = 0.25  # a constant filter has no range
    np.testing.assert_array_equal(pictures.filter_images(net)[1][2], 0.5)


def test_feature_maps_are_the_layers_output_and_keep_the_mode():
    net = two_conv_net().train()
    image = np.random.default_rng(0).random((3, 12, 12)).astype(np.float32)
    maps = pictures.feature_maps(net, image, "2")
    expected = F.max_pool2d(F.relu(net[0](tensor(image[None]))), 2).data[0]
    np.testing.assert_allclose(maps, expected, rtol=1e-6)
    assert net.training
    with pytest.raises(ValueError, match="layer must be one of the model's modules"):
        pictures.feature_maps(net, image, "nope")


def test_receptive_field_box_follows_the_layer_geometry():
    net = two_conv_net()
    # conv 3x3 pad 1: field 3 centred on the pixel; pool 2: field 4, jump 2, start 0.5;
    # conv 5x5: field 4 + 4 * 2 = 12, jump 2, start 0.5 + 2 * 2 = 4.5.
    top, left, bottom, right = pictures.receptive_field_box(net, (3, 16, 16), "3", (1, 2))
    assert (top, bottom) == (4.5 + 2 - 5.5, 4.5 + 2 + 5.5)
    assert (left, right) == (4.5 + 4 - 5.5, 4.5 + 4 + 5.5)


def test_weight_gradient_norms_by_depth():
    net = two_conv_net()
    out = net(tensor(np.ones((1, 3, 12, 12), np.float32)))
    (out * out).sum().backward()
    norms = pictures.weight_gradient_norms(net)
    assert [name for name, _ in norms] == ["0", "3"]
    assert norms[1][1] == pytest.approx(float(np.linalg.norm(net[3].weight.grad)))


def write_example_log(tmp_path):
    path = tmp_path / "log.csv"
    rows = [
        dict(epoch=e, lr=0.1, train_loss=1.0 / e, train_accuracy=0.5, val_loss=2.0 / e,
             val_accuracy=0.4, seconds=1.0, images_per_second=10.0)
        for e in (1, 2, 3)
    ]  # fmt: skip
    write_log(path, rows)
    return path


def test_read_training_log(tmp_path):
    log = pictures.read_training_log(write_example_log(tmp_path))
    np.testing.assert_allclose(log["val_loss"], [2.0, 1.0, 2.0 / 3], rtol=1e-5)
    np.testing.assert_array_equal(log["epoch"], [1, 2, 3])


def test_every_picture_renders_a_png(tmp_path):
    png = b"\x89PNG\r\n\x1a\n"
    net = models.small_cnn()
    image = np.random.default_rng(0).random((1, 32, 32)).astype(np.float32)
    log = write_example_log(tmp_path)
    paths = [
        pictures.plot_filters(net, tmp_path / "filters.png"),
        pictures.plot_feature_maps(net, image, "features.0", tmp_path / "maps.png"),
        pictures.plot_receptive_field(net, image, "features.8", (1, 1), tmp_path / "rf.png"),
        pictures.plot_training_curves(log, tmp_path / "curves.png"),
        pictures.plot_gradient_norms({"a": [1.0, 0.1, 0.01]}, tmp_path / "grads.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == png, path


def test_without_matplotlib_a_picture_is_a_clear_import_error(monkeypatch, tmp_path):
    for module in ("matplotlib", "matplotlib.figure"):  # importing either now fails
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r"matplotlib is needed.*tinycnn\[plots\]"):
        pictures.plot_gradient_norms({"a": [1.0]}, tmp_path / "grads.png")
    assert not (tmp_path / "grads.png").exists()
