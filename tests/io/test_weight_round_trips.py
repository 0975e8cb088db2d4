"""tinycnn.save then tinycnn.load gives back every array bit for bit, in every format."""

import os
import pickletools
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinycnn
import tinycnn.nn as nn
from tinycnn.io import weights

FORMATS = [".pth", ".pt", ".npz", ".safetensors"]
DATA = Path(__file__).resolve().parent.parent / "data"


def arrays_of_every_dtype(suffix):
    """name -> array: every dtype the format holds, odd shapes, odd layouts, odd values."""
    rng = np.random.default_rng(0)
    arrays = {
        "conv.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "float64": rng.standard_normal(5),
        "float16": rng.standard_normal((2, 3)).astype(np.float16),
        "int64": np.array([-(2**63), 2**63 - 1, 0], dtype=np.int64),
        "int32": np.array([-(2**31), 7], dtype=np.int32),
        "int16": np.array([-7, 300], dtype=np.int16),
        "int8": np.array([-128, 127], dtype=np.int8),
        "uint8": np.arange(250, 256, dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "bn.num_batches_tracked": np.array(12, dtype=np.int64),  # 0-d
        "empty": np.zeros((0, 3), np.float32),
        # NaN payloads, signed zero, infinities and a subnormal keep their bits
        "specials": np.array([0x7FC00001, 0xFFC00002, 0x80000000, 0x7F800000, 1], np.uint32).view(
            np.float32
        ),
        "transposed": rng.standard_normal((3, 5)).astype(np.float32).T,  # not C-contiguous
        "strided": np.arange(20.0)[::3],
        "big_endian": np.arange(4, dtype=">f4"),
    }
    if suffix != ".safetensors":
        arrays["complex64"] = (rng.standard_normal(2) + 1j * rng.standard_normal(2)).astype(
            np.complex64
        )
    if suffix in (".npz", ".safetensors"):
        arrays["uint16"] = np.array([0, 65535], dtype=np.uint16)
        arrays["uint64"] = np.array([2**64 - 1], dtype=np.uint64)
    return arrays


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_is_bit_exact(tmp_path, suffix):
    arrays = arrays_of_every_dtype(suffix)
    path = tmp_path / f"weights{suffix}"
    tinycnn.save(arrays, path)
    loaded = tinycnn.load(path)
    assert list(loaded) == list(arrays)  # the order too
    for name, array in arrays.items():
        native = array.astype(array.dtype.newbyteorder("="))
        assert loaded[name].dtype == native.dtype, name
        assert loaded[name].shape == array.shape, name
        assert loaded[name].tobytes() == native.tobytes(), name
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_module_round_trips_through_its_state_dict(tmp_path, suffix):
    tinycnn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2))
    tinycnn.save(model, tmp_path / f"model{suffix}")
    copy = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2))
    copy.load_state_dict(tinycnn.load(tmp_path / f"model{suffix}"))
    for (name, theirs), ours in zip(
        model.state_dict().items(), copy.state_dict().values(), strict=True
    ):
        assert theirs.dtype == ours.dtype and np.array_equal(theirs, ours), name


def test_tensors_are_saved_as_their_arrays(tmp_path):
    tinycnn.save({"w": tinycnn.tensor(np.ones((2, 2), np.float32))}, tmp_path / "t.npz")
    assert np.array_equal(tinycnn.load(tmp_path / "t.npz")["w"], np.ones((2, 2), np.float32))


def test_pth_output_is_reproducible_and_uses_only_what_torch_weights_only_loads(tmp_path):
    tinycnn.save(arrays_of_every_dtype(".pth"), tmp_path / "a.pth")
    tinycnn.save(arrays_of_every_dtype(".pth"), tmp_path / "b.pth")
    assert (tmp_path / "a.pth").read_bytes() == (tmp_path / "b.pth").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.pth") as archive:
        data_pkl = archive.read("archive/data.pkl")
        assert {"archive/byteorder", "archive/version"} <= set(archive.namelist())
    # torch.load(weights_only=True) admits these globals; tools/make_weight_fixtures.py
    # checks that it loads the file (torch is not a test dependency)
    globals_named = {
        argument for opcode, argument, _ in pickletools.genops(data_pkl) if opcode.name == "GLOBAL"
    }
    assert globals_named == {
        "collections OrderedDict",
        "torch._utils _rebuild_tensor_v2",
        *(f"torch {name}Storage" for name in ("Float", "Double", "Half", "Long", "Int")),
        *(f"torch {name}Storage" for name in ("Short", "Char", "Byte", "Bool", "ComplexFloat")),
    }


def test_a_failed_save_leaves_the_existing_file_as_it_was(tmp_path):
    path = tmp_path / "precious.pth"
    tinycnn.save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"save: w must have a dtype a \.pth file holds .*uint16"):
        tinycnn.save({"w": np.arange(3, dtype=np.uint16)}, path)
    with pytest.raises(TypeError, match="save: every name must be a str, got 3"):
        tinycnn.save({3: np.arange(3.0)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["precious.pth"]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda p: tinycnn.save({"w": np.zeros(1)}, p / "w.bin"), ValueError, "path must end in"),
        (lambda p: tinycnn.load(p / "w.h5"), ValueError, r"load: path must end in .pth, .pt"),
        (lambda p: tinycnn.save([np.zeros(1)], p / "w.pth"), TypeError, "nn.Module or a mapping"),
        (lambda p: tinycnn.save({"w": "text"}, p / "w.npz"), TypeError, "got <U4"),
        (lambda p: tinycnn.save({"w": np.zeros(1)}, 5), TypeError, "path must be a str"),
        (lambda p: tinycnn.load(p / "missing.pth"), FileNotFoundError, "missing.pth"),
        (lambda p: tinycnn.save({}, p / "no" / "w.pth"), FileNotFoundError, "folder of path"),
    ],
)
def test_bad_arguments_are_clear_errors(tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(tmp_path)


def test_formats_are_chosen_by_suffix_in_any_case(tmp_path):
    tinycnn.save({"w": np.arange(3.0)}, tmp_path / "W.PTH")
    with zipfile.ZipFile(tmp_path / "W.PTH") as archive:
        assert "archive/data.pkl" in archive.namelist()
    assert set(weights.FORMATS) == {".pth", ".pt", ".npz", ".safetensors"}


def test_a_file_written_by_the_safetensors_package_reads_as_it_saved():
    # tools/make_safetensors_fixture.py: safetensors.torch.save_file, and torch's values
    loaded = tinycnn.load(DATA / "safetensors_reference.safetensors")
    with np.load(DATA / "safetensors_reference.npz") as expected:
        assert sorted(loaded) == sorted(expected.files)
        for name in expected.files:
            assert loaded[name].dtype == expected[name].dtype, name  # BF16 -> float32
            assert loaded[name].shape == expected[name].shape, name
            assert loaded[name].tobytes() == expected[name].tobytes(), name


def test_a_compressed_fortran_order_npz_from_numpy_reads_as_saved(tmp_path):
    # np.savez_compressed deflates each entry: read in chunks, within the budget (12 MiB of
    # zeros from a 13 KB file is far below the 64 MiB floor)
    arrays = {
        "w": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        "scalar": np.float32(2.5),
        "empty": np.zeros((0, 3)),
        "zeros": np.zeros(3 * 2**20, np.float32),
    }
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    loaded = tinycnn.load(tmp_path / "c.npz")
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == np.asarray(array).dtype, name
        assert np.array_equal(loaded[name], array), name
    assert loaded["w"].flags.f_contiguous
