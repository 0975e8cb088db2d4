"""Tiny files that claim gigabytes are refused before anything is allocated (issue 16, 1).

Every case is loaded in one child process whose address space is capped at 1 GiB with
`resource.setrlimit(RLIMIT_AS)`: a reader that believed a file's sizes would die there with
a MemoryError (or be refused nothing and take minutes), so each case must end in the
clear error named below, or load correctly, and the child's peak memory stays bounded.
"""

import json
import subprocess
import sys
import zipfile

import pytest
from hostile_files import (
    GIB,
    broadcast_pth,
    doubling_lists_pth,
    huge_shape_safetensors,
    mnist_gz_bomb,
    npy_header,
    npz_bomb,
    npz_claiming,
    png_claiming,
    repeated_tensor_pth,
    safetensors_with_header,
    tensor_pth,
)

import tinycnn
from tinycnn.io.budget import FLOOR, RATIO
from tinycnn.io.errors import WeightFileError

ADDRESS_SPACE = GIB  # the child's cap; tinycnn, NumPy and Pillow import in about 350 MB
# Resident memory the child may add over all the cases, beyond what it holds once tinycnn,
# NumPy and Pillow are imported (that part grows with the library, not with the files).
PEAK_LIMIT_MB = 300

CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from pathlib import Path
import numpy as np
import tinycnn
from tinycnn.data.image_file import decode_rgb
from tinycnn.data.mnist import read_idx
from tinycnn.training import checkpoint

def status_mb(field):
    # a field of /proc/self/status, in MB (the kernel writes kB)
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024

# Forget the peak of the imports (Linux resets VmHWM when 5 is written to clear_refs), so
# that the peak read at the end is the cases' own.
imported_mb = status_mb("VmRSS")
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")

def run(kind, path):
    if kind == "load":
        return tinycnn.load(path)
    if kind == "mnist":
        return read_idx(Path(path), 3)
    if kind == "image":
        return decode_rgb("predict", path)
    if kind == "checkpoint":
        return checkpoint.load(path)

def facts(loaded):
    # what the tests check of a file that loads
    if isinstance(loaded, dict):
        array = loaded["w"]
        return {{"shape": list(array.shape), "values": sorted(set(array.ravel().tolist())),
                "owns_its_memory": array.base is None and array.flags.c_contiguous}}
    if isinstance(loaded, list) and loaded and isinstance(loaded[0], np.ndarray):
        return {{"length": len(loaded), "shared": all(item is loaded[0] for item in loaded),
                "sum": float(loaded[0].sum())}}
    depth = 0
    while isinstance(loaded, list):
        if loaded[0] is not loaded[1]:
            return {{"depth": depth, "shared": False}}
        loaded, depth = loaded[0], depth + 1
    return {{"depth": depth, "shared": True, "values": loaded.tolist()}}

for case, kind, path in json.loads(sys.argv[1]):
    try:
        result = {{"facts": facts(run(kind, path))}}
    except Exception as error:
        result = {{"error": type(error).__name__, "message": str(error)}}
    print(json.dumps({{"case": case, **result}}), flush=True)
print(json.dumps({{"added_mb": status_mb("VmHWM") - imported_mb}}))
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """{case: what the capped child reported}, plus "added_mb"."""
    folder = tmp_path_factory.mktemp("hostile")
    cases = {
        "stride-0 tensor of 1 GiB": ("load", broadcast_pth(folder / "b.pth", (2**14, 2**13))),
        "stride-0 tensor within the budget": ("load", broadcast_pth(folder / "s.pth", (4, 5))),
        "4 MiB tensor listed 300 times": (
            "load",
            repeated_tensor_pth(folder / "r.pth", 2**19, 300),
        ),
        "lists doubling 40 deep": ("load", doubling_lists_pth(folder / "d.pth", 40)),
        "deflated .npz of 1 GiB": ("load", npz_bomb(folder / "bomb.npz")),
        "deflated checkpoint of 1 GiB": ("checkpoint", folder / "bomb.npz"),
        ".npy header claiming 8 GB": ("load", npz_claiming(folder / "c.npz", (GIB,))),
        "safetensors shape [2**40, 2**40, 0]": (
            "load",
            huge_shape_safetensors(folder / "h.safetensors"),
        ),
        "MNIST .gz inflating to 1 GiB": (
            "mnist",
            mnist_gz_bomb(folder / "train-images-idx3-ubyte.gz"),
        ),
        "PNG claiming 10 gigapixels": ("image", png_claiming(folder / "g.png", 10**5, 10**5)),
        "PNG claiming 144 megapixels": ("image", png_claiming(folder / "m.png", 12000, 12000)),
        "PNG claiming 81 megapixels": ("image", png_claiming(folder / "k.png", 9000, 9000)),
    }
    argument = json.dumps([[case, kind, str(path)] for case, (kind, path) in cases.items()])
    child = subprocess.run(
        [sys.executable, "-c", CHILD.format(cap=ADDRESS_SPACE), argument],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr
    lines = [json.loads(line) for line in child.stdout.splitlines()]
    reported = {line["case"]: line for line in lines[:-1]}
    assert set(reported) == set(cases), child.stdout
    return {**reported, "added_mb": lines[-1]["added_mb"]}


BUDGET = f"at most {RATIO} x the file's"


@pytest.mark.parametrize(
    "case, error, fragments",
    [
        (
            "stride-0 tensor of 1 GiB",
            "WeightFileError",
            ["a tensor of size (16384, 8192) and stride (0, 0) claims 1,073,741,824 bytes", BUDGET],
        ),
        ("deflated .npz of 1 GiB", "WeightFileError", ["claims 1,073,741,824 bytes", BUDGET]),
        ("deflated checkpoint of 1 GiB", "TrainingError", ["claims 1,073,741,824 bytes", BUDGET]),
        (
            ".npy header claiming 8 GB",
            "WeightFileError",
            ["entry w.npy claims an array of shape (1073741824,) (8,589,934,592 bytes)"],
        ),
        (
            "safetensors shape [2**40, 2**40, 0]",
            "WeightFileError",
            ["tensor 'w' has the shape (1099511627776, 1099511627776, 0)", "more than NumPy"],
        ),
        (
            "MNIST .gz inflating to 1 GiB",
            "DatasetError",
            ["has trailing bytes: header says 10 images of 28x28"],
        ),
        ("PNG claiming 10 gigapixels", "DatasetError", ["decompression bomb", "10000000000"]),
        ("PNG claiming 144 megapixels", "DatasetError", ["decompression bomb", "144000000"]),
        (
            "PNG claiming 81 megapixels",
            "DatasetError",
            ["claims 9000 x 9000 = 81,000,000 pixels, more than the 64,000,000"],
        ),
    ],
)
def test_a_file_claiming_more_than_the_budget_is_refused_in_one_line(
    outcomes, case, error, fragments
):
    outcome = outcomes[case]
    assert outcome.get("error") == error, outcome
    assert "\n" not in outcome["message"]
    for fragment in fragments:
        assert fragment in outcome["message"], (fragment, outcome["message"])


def test_a_broadcast_tensor_within_the_budget_is_materialized(outcomes):
    # torch.save of x.expand(4, 5): 20 copies of the one stored element, 2.5
    assert 4 * 5 * 8 < FLOOR
    assert outcomes["stride-0 tensor within the budget"]["facts"] == {
        "shape": [4, 5],
        "values": [2.5],
        "owns_its_memory": True,
    }


def test_a_tensor_the_pickle_lists_300_times_is_one_array(outcomes):
    facts = outcomes["4 MiB tensor listed 300 times"]["facts"]
    # 0 + 1 + ... + (2**19 - 1), exactly representable in float64
    assert facts == {"length": 300, "shared": True, "sum": float(2**19 * (2**19 - 1) // 2)}


def test_lists_sharing_their_halves_are_built_once_per_level(outcomes):
    # 2**40 paths lead to the tensor: rebuilt path by path, the load would never end
    assert outcomes["lists doubling 40 deep"]["facts"] == {
        "depth": 40,
        "shared": True,
        "values": [1.0, 2.0],
    }


def test_the_child_stayed_within_a_bounded_peak(outcomes):
    assert outcomes["added_mb"] < PEAK_LIMIT_MB, outcomes["added_mb"]


@pytest.mark.parametrize(
    "header, message",
    [
        ("[" * 100_000 + "]" * 100_000, "its header is JSON nested too deeply to be a header"),
        ("1" * 100_000, "its header is not JSON (Exceeds the limit (4300 digits)"),
    ],
)
def test_a_safetensors_header_python_cannot_parse_is_a_weight_file_error(tmp_path, header, message):
    path = safetensors_with_header(tmp_path / "w.safetensors", header)
    with pytest.raises(WeightFileError) as error:
        tinycnn.load(path)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "shape, message",
    [
        ((2**40, 2**40, 0), "entry w.npy has the shape (1099511627776, 1099511627776, 0), whose"),
        ((-1, 3), "entry w.npy has the shape (-1, 3), with a negative extent"),
    ],
)
def test_a_npy_shape_numpy_cannot_make_is_a_weight_file_error(tmp_path, shape, message):
    with pytest.raises(WeightFileError) as error:
        tinycnn.load(npz_claiming(tmp_path / "w.npz", shape))
    assert message in str(error.value)


@pytest.mark.parametrize(
    "size, stride, message",
    [
        ((1,), (2**70,), "a tensor's stride (1180591620717411303424,) steps further than NumPy"),
        ((2**70, 0), (0, 0), "a tensor has the shape (1180591620717411303424, 0), whose extents"),
    ],
)
def test_a_tensor_numpy_cannot_address_is_a_weight_file_error(tmp_path, size, stride, message):
    # each addresses only the storage's one element, so no bounds check refused it: NumPy
    # raised OverflowError
    with pytest.raises(WeightFileError) as error:
        tinycnn.load(tensor_pth(tmp_path / "w.pth", size, stride))
    assert message in str(error.value)


def test_a_npy_header_numpys_tokenizer_gives_up_on_is_a_weight_file_error(tmp_path):
    # found by mutating bytes of saved headers: NumPy raised tokenize.TokenError
    header = bytearray(npy_header((3,)))
    header[header.index(b"(3,)") + 3] = ord(" ")  # "(3, " : the tuple is never closed
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", bytes(header) + bytes(24))
    with pytest.raises(WeightFileError, match="entry w.npy is not a .npy array"):
        tinycnn.load(path)
