"""Files written by torch itself, in both of its formats, read without torch.

The fixtures and the values they must give come from tools/make_weight_fixtures.py, run with
torch: tests/data/torch_*.pth and torch_weights_expected.npz (see that script).
"""

import json
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tinycnn
import tinycnn.nn as nn
from tinycnn.models.densenet import DenseNet
from tinycnn.models.pretrained import load_weights

DATA = Path(__file__).resolve().parent.parent / "data"
CHECKPOINTS = [
    "torch_checkpoint_zip.pth",
    "torch_checkpoint_legacy.pth",
    "torch_checkpoint_pre04.pth",
]


@pytest.fixture(scope="module")
def expected():
    with np.load(DATA / "torch_weights_expected.npz") as archive:
        return {name: archive[name] for name in archive.files}


def tensors_by_path(obj, path, found):
    """Every ndarray of `obj` under its path of keys joined by "/"; returns `obj` with each
    array replaced by None (the form the script stores the other values in)."""
    if isinstance(obj, np.ndarray):
        found[path] = obj
        return None
    if isinstance(obj, dict):
        return {key: tensors_by_path(value, f"{path}/{key}", found) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [tensors_by_path(item, f"{path}/{i}", found) for i, item in enumerate(obj)]
    return obj


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_every_tensor_equals_what_torch_saved_bit_for_bit(name, expected):
    checkpoint = tinycnn.load(DATA / name)
    found = {}
    others = tensors_by_path(checkpoint, "checkpoint", found)
    wanted = {key: value for key, value in expected.items() if key.startswith("checkpoint/")}
    assert json.loads(str(wanted.pop("checkpoint/json"))) == others  # epoch, lists, strings
    assert list(found) == list(wanted)
    for path, array in found.items():
        reference = wanted[path]
        assert array.dtype == reference.dtype, path
        assert array.shape == reference.shape, path
        assert array.tobytes() == reference.tobytes(), path  # bit-exact, NaNs included


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_dtypes_map_to_numpy_as_documented(name):
    tensors = tinycnn.load(DATA / name)["tensors"]
    documented = {
        "float32": np.float32,
        "float64": np.float64,
        "float16": np.float16,
        "bfloat16": np.float32,  # widened exactly: NumPy has no bfloat16
        "int64": np.int64,
        "int32": np.int32,
        "int16": np.int16,
        "int8": np.int8,
        "uint8": np.uint8,
        "bool": np.bool_,
        "complex64": np.complex64,
    }
    for key, dtype in documented.items():
        assert tensors[key].dtype == dtype, key


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_strided_views_come_back_as_independent_contiguous_arrays(name):
    tensors = tinycnn.load(DATA / name)["tensors"]
    transposed, sliced, expanded = tensors["transposed"], tensors["sliced"], tensors["expanded"]
    assert transposed.shape == (6, 4) and sliced.shape == (3, 3) and expanded.shape == (2, 3)
    # transposed and sliced are views of one (4, 6) tensor, so their elements must agree
    assert np.array_equal(sliced, transposed.T[1:, ::2])
    for array in (transposed, sliced, expanded):
        assert array.flags.c_contiguous and array.flags.owndata and array.flags.writeable
    before = sliced.copy()
    transposed[:] = 0  # they shared torch's storage, but not memory here
    assert np.array_equal(sliced, before)


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_the_containers_keep_their_types_and_order(name):
    checkpoint = tinycnn.load(DATA / name)
    assert type(checkpoint) is dict
    assert type(checkpoint["state_dict"]) is OrderedDict
    assert list(checkpoint["state_dict"])[:2] == ["module.0.weight", "module.0.bias"]
    assert checkpoint["epoch"] == 3 and checkpoint["milestones"] == [30, 60]


def tiny_net():
    """The tinycnn twin of the script's TinyNet: the same layers, so the same keys."""
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 5),
    )


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_a_nested_data_parallel_checkpoint_loads_into_a_model(name, expected):
    # {"state_dict": {"module.0.weight": ...}, "epoch": 3, ...}: unwrapped, prefix removed
    net = load_weights(tiny_net(), DATA / name).eval()
    assert int(net[1].num_batches_tracked.data) == 12
    with tinycnn.no_grad():
        output = net(tinycnn.tensor(expected["tiny_net/input"])).numpy()
    reference = expected["tiny_net/output"]
    assert np.abs(output - reference).max() <= 1e-5 * np.abs(reference).max()


def test_a_published_style_densenet_file_loads_and_gives_torchvisions_logits(expected):
    # legacy format, legacy key names (denselayer1.norm.1.weight), no num_batches_tracked
    config = json.loads(str(expected["tiny_densenet/config"]))
    config["block_config"] = tuple(config["block_config"])
    model = load_weights(DenseNet(**config), DATA / "torch_tiny_densenet.pth").eval()
    state = model.state_dict()
    assert "features.denseblock1.denselayer1.norm1.weight" in state
    assert int(state["features.denseblock1.denselayer1.norm1.num_batches_tracked"]) == 0
    with tinycnn.no_grad():
        logits = model(tinycnn.tensor(expected["tiny_densenet/input"])).numpy()
    reference = expected["tiny_densenet/logits"]
    assert np.abs(logits - reference).max() <= 1e-5 * np.abs(reference).max()


def test_an_archive_written_on_a_big_endian_machine_is_byte_swapped(tmp_path):
    # torch writes its machine's byte order and records it in <name>/byteorder
    arrays = {
        "float32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "float16": np.array([1.5, -2.0], np.float16),
        "int64": np.array([1, -(2**40)], np.int64),
    }
    tinycnn.save(arrays, tmp_path / "little.pth")
    with (
        zipfile.ZipFile(tmp_path / "little.pth") as little,
        zipfile.ZipFile(tmp_path / "big.pth", "w") as big,
    ):
        for info in little.infolist():
            data = little.read(info)
            if info.filename == "archive/byteorder":
                data = b"big"
            elif info.filename.startswith("archive/data/"):
                array = list(arrays.values())[int(info.filename.rsplit("/", 1)[1])]
                data = array.astype(array.dtype.newbyteorder(">")).tobytes()
            big.writestr(info, data)
    loaded = tinycnn.load(tmp_path / "big.pth")
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and np.array_equal(loaded[name], array), name
