"""get_model and list_models."""

import numpy as np
import pytest

import tinycnn
from tinycnn import models

CIFAR_BUILDERS = [f"{kind}{depth}" for kind in ("resnet", "plain") for depth in (20, 32, 44, 56)]


def test_every_torchvision_builder_the_paper_variants_and_small_cnn_are_listed():
    assert len(set(models.TORCHVISION_MODELS)) == 21
    extras = ["alexnet_paper", "googlenet_paper", "small_cnn", *CIFAR_BUILDERS]
    assert models.list_models() == sorted([*models.TORCHVISION_MODELS, *extras])
    for name in models.list_models():
        assert getattr(models, name).__name__ == name


def test_get_model_passes_keyword_arguments():
    net = models.get_model("squeezenet1_1", num_classes=7)
    assert net.state_dict()["classifier.1.weight"].shape == (7, 512, 1, 1)


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"name must be one of alexnet, .* got 'resnet19'"):
        models.get_model("resnet19")


def test_weights_path_goes_to_the_weight_file_loader(tmp_path):
    with pytest.raises(FileNotFoundError, match="load: path must be an existing file"):
        models.resnet18(weights=tmp_path / "resnet18-f37072fd.pth")
    source = models.get_model("squeezenet1_1", num_classes=7)
    tinycnn.save(source, tmp_path / "squeezenet.npz")
    loaded = models.get_model("squeezenet1_1", num_classes=7, weights=tmp_path / "squeezenet.npz")
    for key, array in source.state_dict().items():
        assert np.array_equal(loaded.state_dict()[key], array), key
