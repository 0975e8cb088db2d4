"""models.<name>(weights=...): the ways people save the same weights all load
(tinycnn/models/pretrained.py; torch-written files are in test_torch_files.py)."""

import io
import pickle

import numpy as np
import pytest

import tinycnn
from tinycnn import models
from tinycnn.io.pth_reader import MAGIC_NUMBER, PROTOCOL_VERSION
from tinycnn.models.densenet import DenseNet
from tinycnn.models.pretrained import load_weights
from tinycnn.training import checkpoint

SMALL_DENSENET = {"growth_rate": 4, "block_config": (2, 2), "num_init_features": 8, "bn_size": 2}


def trained_like(model, seed):
    """`model`'s state dict with every entry replaced by seeded random values."""
    rng = np.random.default_rng(seed)
    return {
        key: (
            rng.integers(1, 100, array.shape)
            if array.dtype.kind == "i"
            else rng.random(array.shape)
        ).astype(array.dtype)
        for key, array in model.state_dict().items()
    }


def assert_state_equals(model, state):
    assert list(model.state_dict()) == list(state)
    for key, array in model.state_dict().items():
        assert np.array_equal(array, state[key]), key


def published_densenet_names(state):
    """DenseNet's keys as the published files spell them, with no num_batches_tracked."""
    renamed = {}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            continue
        for layer in ("norm1", "norm2", "conv1", "conv2"):  # norm1 -> norm.1
            key = key.replace(f".{layer}.", f".{layer[:-1]}.{layer[-1]}.")
        renamed[key] = value
    return renamed


def test_published_densenet_key_names_and_missing_batch_counts_are_accepted():
    state = trained_like(DenseNet(**SMALL_DENSENET), seed=0)
    published = published_densenet_names(state)
    assert "features.denseblock1.denselayer1.norm.1.weight" in published
    assert "features.denseblock1.denselayer2.conv.2.weight" in published
    model = load_weights(DenseNet(**SMALL_DENSENET), published)
    expected = {
        key: np.zeros((), np.int64) if key.endswith("num_batches_tracked") else value
        for key, value in state.items()
    }  # torch fills the missing counts with a fresh model's, 0
    assert_state_equals(model, expected)


def test_other_names_that_look_alike_are_left_alone():
    # only denselayer<k>.{norm,relu,conv}.{1,2}. is DenseNet's legacy spelling
    state = {"features.norm.1.weight": 1, "layer1.0.conv1.weight": 2, "denselayer1.norm.3.x": 3}
    model = tinycnn.nn.Linear(2, 2)
    with pytest.raises(RuntimeError) as error:
        load_weights(model, state)
    for key in state:
        assert key in str(error.value)


@pytest.mark.parametrize("wrapper", ["state_dict", "model"])
def test_a_training_checkpoint_is_unwrapped_and_data_parallel_prefixes_removed(wrapper):
    state = trained_like(models.squeezenet1_1(num_classes=3), seed=1)
    checkpoint = {
        "epoch": 90,
        "best_acc1": 0.7,
        wrapper: {"module." + k: v for k, v in state.items()},
    }
    assert_state_equals(models.squeezenet1_1(num_classes=3, weights=checkpoint), state)


@pytest.mark.parametrize("suffix", [".pth", ".npz", ".safetensors"])
def test_a_builder_loads_a_file_of_every_format(tmp_path, suffix):
    state = trained_like(models.squeezenet1_1(num_classes=3), seed=2)
    tinycnn.save(state, tmp_path / f"weights{suffix}")
    model = models.get_model("squeezenet1_1", num_classes=3, weights=tmp_path / f"weights{suffix}")
    assert_state_equals(model, state)


def test_weights_that_do_not_fit_list_every_problem_and_name_the_file(tmp_path):
    state = trained_like(models.squeezenet1_1(num_classes=3), seed=3)
    del state["features.0.bias"]
    state["classifier.1.weight"] = np.zeros((5, 512, 1, 1), np.float32)
    state["extra"] = np.zeros(1)
    path = tmp_path / "wrong.npz"
    tinycnn.save(state, path)
    model = models.squeezenet1_1(num_classes=3)
    before = {key: array.copy() for key, array in model.state_dict().items()}
    with pytest.raises(RuntimeError) as error:
        load_weights(model, path)
    message = str(error.value)
    assert message.startswith(f"weights: {path} does not fit SqueezeNet: load_state_dict: ")
    assert "Missing key(s): features.0.bias" in message
    assert "Unexpected key(s): extra" in message
    assert "size mismatch for classifier.1.weight: expected (3, 512, 1, 1), got (5, 512, 1, 1)" in (
        message
    )
    assert_state_equals(model, before)  # all or nothing: untouched


@pytest.mark.parametrize(
    "weights, error, message",
    [
        (3, TypeError, "weights: must be None, a path to a weights file or a state dict, got int"),
        ({1: np.zeros(1)}, TypeError, "must have str keys, got 1"),
    ],
)
def test_bad_weights_arguments_are_clear_errors(weights, error, message):
    with pytest.raises(error, match=message):
        load_weights(tinycnn.nn.Linear(1, 1), weights)


def test_a_file_holding_something_other_than_a_state_dict_is_a_clear_error(tmp_path):
    path = tmp_path / "list.pth"  # torch.save([1, 2], path, _use_new_zipfile_serialization=False)
    stream = io.BytesIO()
    for value in (MAGIC_NUMBER, PROTOCOL_VERSION, {}, [1, 2], []):
        pickle.dump(value, stream, protocol=2)
    path.write_bytes(stream.getvalue())
    with pytest.raises(TypeError, match=f"weights: {path} must hold a state dict .* got list"):
        load_weights(tinycnn.nn.Linear(1, 1), path)


def test_a_tinycnn_train_checkpoint_loads_as_its_models_weights(tmp_path):
    # issue 15: get_model('small_cnn', in_channels=1, weights='RUN/checkpoint.npz')
    source = models.small_cnn(in_channels=1, num_classes=10)
    source.load_state_dict(trained_like(source, seed=3))
    optimizer = tinycnn.optim.SGD(source.parameters(), lr=0.1, momentum=0.9)
    for parameter in source.parameters():
        parameter.grad = np.ones_like(parameter.data)
    optimizer.step()  # the optimizer's state holds momentum buffers, saved beside the model
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, source.state_dict(), optimizer.state_dict(), {"epoch": 1})

    loaded = tinycnn.load(path)
    assert list(loaded) == list(source.state_dict())  # no metadata.json, no optimizer/...
    assert all(type(array) is np.ndarray for array in loaded.values())  # arrays, as documented
    model = models.get_model("small_cnn", in_channels=1, num_classes=10, weights=path)
    for key, array in source.state_dict().items():
        assert np.array_equal(model.state_dict()[key], array), key


def test_a_prefixed_state_dict_with_another_head_is_explained_in_a_few_lines(tmp_path):
    # a third-party ResNet-18: every key under "backbone.", a 10-class head
    source = trained_like(models.resnet18(num_classes=10), seed=4)
    path = tmp_path / "third_party.pth"
    tinycnn.save({f"backbone.{key}": array for key, array in source.items()}, path)
    with pytest.raises(RuntimeError) as error:
        models.resnet18(weights=path)
    message = str(error.value)
    assert len(message) < 1000 and "\n" not in message, len(message)
    assert "Missing key(s): conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, " in message
    assert "and 117 more (122 in all)" in message
    assert (
        "the state dict's keys start with 'backbone.', which the module's keys lack: "
        "strip it, e.g. tinycnn.load(path, strip_prefix='backbone.')" in message
    )
    assert (
        "the state dict's fc has 10 outputs where the module's has 1000: build the model "
        "with num_classes=10" in message
    )
    # and the advice works
    model = models.resnet18(num_classes=10, weights=tinycnn.load(path, strip_prefix="backbone."))
    assert np.array_equal(model.state_dict()["fc.weight"], source["fc.weight"])


def test_a_shape_mismatch_elsewhere_than_the_head_gets_no_num_classes_advice():
    model = models.small_cnn(in_channels=1, num_classes=10)
    state = model.state_dict()
    first = next(iter(state))
    state[first] = np.zeros((1, *state[first].shape[1:]), state[first].dtype)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    assert f"size mismatch for {first}" in str(error.value)
    assert "num_classes" not in str(error.value) and "strip" not in str(error.value)
