"""Truncated, corrupt and wrong-format weight files give one line naming the file."""

import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinycnn
from tinycnn.io.errors import WeightFileError

DATA = Path(__file__).resolve().parent.parent / "data"


def fails_with_one_line(path, match=""):
    """Load `path`; it must raise WeightFileError with one line naming the file."""
    with pytest.raises(WeightFileError, match=match) as error:
        tinycnn.load(path)
    message = str(error.value)
    assert message.startswith(f"load: {path} is not a readable {path.suffix} file: "), message
    assert "\n" not in message
    return message


def sample_files(tmp_path):
    """One file of each kind: torch's two formats, and each format tinycnn writes."""
    files = {}
    for name in ("torch_checkpoint_zip.pth", "torch_checkpoint_legacy.pth"):
        files[name] = shutil.copy(DATA / name, tmp_path / name)
    arrays = {"conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2), "n": np.int64(3)}
    for suffix in (".pth", ".npz", ".safetensors"):
        tinycnn.save(arrays, tmp_path / f"tinycnn{suffix}")
        files[f"tinycnn{suffix}"] = tmp_path / f"tinycnn{suffix}"
    return {name: Path(path) for name, path in files.items()}


def test_every_truncation_of_every_format_is_a_clear_error(tmp_path):
    for name, path in sample_files(tmp_path).items():
        data = path.read_bytes()
        cut = path.with_name("cut" + path.suffix)
        # every length up to 64, then 64 more spread over the file, and one byte short
        lengths = sorted({*range(64), *np.linspace(64, len(data) - 1, 64).astype(int)})
        for length in lengths:
            cut.write_bytes(data[:length])
            with pytest.raises(WeightFileError) as error:
                tinycnn.load(cut)
            assert str(cut) in str(error.value) and "\n" not in str(error.value), (name, length)


def test_a_damaged_storage_in_a_zip_archive_fails_its_checksum(tmp_path):
    path = sample_files(tmp_path)["torch_checkpoint_zip.pth"]
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("torch_checkpoint_zip/data/0")
    # the entry's data follows its local header: 30 bytes, then its name and extra field,
    # whose lengths are the header's last two 16-bit fields
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    data[header + 30 + name_length + extra_length + 2] ^= 0xFF
    path.write_bytes(bytes(data))
    fails_with_one_line(path, "Bad CRC-32")


@pytest.mark.parametrize(
    "source, renamed, match",
    [
        ("tinycnn.npz", "x.pth", r"holds one <name>/data.pkl, this one holds 0 \(is it a .npz"),
        ("tinycnn.safetensors", "x.pth", "starts with neither a zip archive nor torch's legacy"),
        ("tinycnn.pth", "x.npz", r"holds only .npy files, this one holds 'archive/data.pkl'"),
        ("torch_checkpoint_legacy.pth", "x.npz", "does not start as a zip archive"),
        ("tinycnn.pth", "x.safetensors", "its header length says"),
        ("tinycnn.npz", "x.safetensors", "its header length says"),
    ],
)
def test_a_file_in_another_format_is_named_as_such(tmp_path, source, renamed, match):
    path = shutil.copy(sample_files(tmp_path)[source], tmp_path / renamed)
    fails_with_one_line(Path(path), match)


def test_a_torchscript_archive_is_recognised(tmp_path):
    path = tmp_path / "scripted.pt"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("data.pkl", "constants.pkl", "code/__torch__.py", "version"):
            archive.writestr(f"scripted/{name}", b"")
    fails_with_one_line(path, r"TorchScript archive \(torch.jit.save\)")


def test_a_compressed_entry_is_refused(tmp_path):
    path = sample_files(tmp_path)["tinycnn.pth"]
    recompressed = tmp_path / "deflated.pth"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(recompressed, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), zipfile.ZIP_DEFLATED)
    fails_with_one_line(recompressed, "is compressed, which torch.save never does")


def safetensors_file(path, header, data=b""):
    encoded = header.encode()
    path.write_bytes(len(encoded).to_bytes(8, "little") + encoded + data)
    return path


@pytest.mark.parametrize(
    "header, data, match",
    [
        ("[1, 2]", b"", "must be a JSON object, got list"),
        ("{not json", b"", "its header is not JSON"),
        ('{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', b"\0" * 4, "truncated"),
        ('{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}', b"\0" * 4, "needs 8"),
        ('{"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}', b"\0", "F8_E4M3"),
        ('{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', b"\0" * 4, "ints >= 0"),
        (
            '{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},'
            ' "b": {"dtype": "U8", "shape": [2], "data_offsets": [1, 3]}}',
            b"\0" * 3,
            "a gap or an overlap",
        ),
        (
            '{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},'
            ' "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}',
            b"\0" * 2,
            "names a tensor twice",
        ),
    ],
)
def test_a_malformed_safetensors_header_is_refused(tmp_path, header, data, match):
    fails_with_one_line(safetensors_file(tmp_path / "bad.safetensors", header, data), match)


def test_a_pickled_object_array_in_a_npz_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, w=np.array([{"a": 1}], dtype=object))
    fails_with_one_line(path, "never Python objects")


def test_an_encrypted_entry_is_a_clear_error(tmp_path):
    path = sample_files(tmp_path)["tinycnn.npz"]
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    central = data.index(b"PK\x01\x02")  # the first entry's central directory header
    for flags in (info.header_offset + 6, central + 8):  # local and central "general flags"
        data[flags] |= 0x01  # bit 0: encrypted
    path.write_bytes(bytes(data))
    fails_with_one_line(path, "encrypted")


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "weights.pth"
    os.mkfifo(fifo)  # opening it would block until some program writes to it
    with pytest.raises(FileNotFoundError, match="a regular one: never a FIFO"):
        tinycnn.load(fifo)
