"""Totals of every model builder against torch: the parameter counts and multiply-accumulates
(MACs) torch counts on the same network, and the figures torchvision publishes with its
weights (`num_params`, and `_ops`: GMACs of convolutions and linear layers at batch 1).

The reference values come from tests/data/summary_reference.json, written by
tools/make_summary_reference.py in an environment with torchvision (see its docstring).
"""

import pytest
from reference_data import load_json

from tinycnn import models
from tinycnn.summary import summary


def load_reference():
    return load_json("summary_reference.json", "make_summary_reference.py")["models"]


MODELS = load_reference()

# Weight values change no count, and VGG's and GoogLeNet's own initialization pass over
# up to 144 million weights takes seconds: skip it where the builder offers that.
FASTER_BUILD = {"init_weights": False}
BUILDERS_WITH_INIT_PASS = {"googlenet"} | {name for name in models.list_models() if "vgg" in name}


def build(entry):
    extra = FASTER_BUILD if entry["builder"] in BUILDERS_WITH_INIT_PASS else {}
    return models.get_model(entry["builder"], **entry["kwargs"], **extra)


def test_reference_covers_every_builder_but_the_tiny_demo():
    # small_cnn is a demo network for the bundled digits, not a published architecture; the
    # CIFAR ResNets have no torchvision builder (their counts: tests/models/test_cifar_resnet.py).
    cifar = {f"{kind}{depth}" for kind in ("resnet", "plain") for depth in (20, 32, 44, 56)}
    expected = set(models.list_models()) - {"small_cnn"} - cifar
    assert {entry["builder"] for entry in MODELS} == expected


@pytest.mark.parametrize("entry", MODELS, ids=[entry["name"] for entry in MODELS])
def test_totals_equal_torchs_counts_and_torchvisions_published_figures(entry):
    info = summary(build(entry), tuple(entry["input"]))
    counted = entry["counted"]
    assert info.total_params == counted["num_params"]
    assert info.trainable_params == counted["num_params"]
    assert info.total_macs == counted["macs"]
    by_kind = {
        kind: sum(layer.macs for layer in info.layers if layer.kind == kind)
        for kind in ("Conv2d", "Linear")
    }
    assert by_kind["Conv2d"] == counted["macs_by_op"].get("aten.convolution", 0)
    assert by_kind["Linear"] == counted["macs_by_op"].get("aten.addmm", 0)
    published = entry["published"]
    if published is not None:  # torchvision's builders (the paper variants have none)
        assert info.total_params == published["num_params"]
        assert round(info.total_macs / 1e9, 3) == published["gmacs"]
    # Every parameter is in some row, or in a module the forward did not run.
    assert sum(layer.params for layer in info.layers) + info.not_run_params == info.total_params


def test_googlenet_auxiliary_heads_are_counted_in_params_but_not_run():
    entry = next(entry for entry in MODELS if entry["name"] == "googlenet")
    assert entry["kwargs"]["aux_logits"] is False  # what the published figures describe
    info = summary(models.googlenet(init_weights=False), (3, 224, 224))  # aux_logits=True
    assert info.not_run == ("aux1", "aux2")
    assert info.total_params - info.not_run_params == entry["counted"]["num_params"]
    assert info.total_macs == entry["counted"]["macs"]  # eval mode skips the heads
    assert "Not run in evaluation mode: aux1, aux2" in str(info)
