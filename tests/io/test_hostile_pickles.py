""".pth files that try to run code, or to make tinycnn read memory outside their storages,
are refused, in both of torch's formats, and what they ask for never runs."""

import builtins
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinycnn
from tinycnn.io.errors import RefusedPickleError, WeightFileError
from tinycnn.io.pth_reader import MAGIC_NUMBER, PROTOCOL_VERSION


class WritesMarker:
    """Unpickling this calls os.system, which would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class CallsBuiltin:
    """Unpickling this calls `function` (exec, eval, ...) with `argument`."""

    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return self.function, (self.argument,)


def zip_pth(path, data_pkl, storages=None):
    """A zip-format .pth: archive/data.pkl, archive/data/<key> per storage, as torch lays it."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", "3\n")
    return path


def legacy_pth(path, main_pickle, header=None):
    """A legacy .pth: magic number, protocol version, sys_info, then the object's pickle."""
    stream = io.BytesIO()
    for value in header or (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}):
        pickle.dump(value, stream, protocol=2)
    stream.write(main_pickle)
    pickle.dump([], stream, protocol=2)  # no storages
    path.write_bytes(stream.getvalue())
    return path


def hostile_files(tmp_path, payload):
    """The payload's pickle in every place a .pth file has one."""
    hostile = pickle.dumps(payload, protocol=2)
    checkpoint = pickle.dumps({"epoch": 3, "state_dict": {"w": payload}}, protocol=2)
    return {
        "zip": zip_pth(tmp_path / "zip.pth", hostile),
        "zip, inside a checkpoint": zip_pth(tmp_path / "zip_nested.pth", checkpoint),
        "legacy": legacy_pth(tmp_path / "legacy.pth", hostile),
        "legacy, inside a checkpoint": legacy_pth(tmp_path / "legacy_nested.pth", checkpoint),
        "legacy, as its magic number": legacy_pth(
            tmp_path / "legacy_magic.pth", b"", header=(payload,)
        ),
        "legacy, as its sys_info": legacy_pth(
            tmp_path / "legacy_sys_info.pth",
            b"",
            header=(MAGIC_NUMBER, PROTOCOL_VERSION, payload),
        ),
    }


def test_a_pickle_calling_os_system_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    # the payload really works: plain pickle runs it
    pickle.loads(pickle.dumps(WritesMarker(marker), protocol=2))
    assert marker.exists()
    marker.unlink()
    for where, path in hostile_files(tmp_path, WritesMarker(marker)).items():
        with pytest.raises(RefusedPickleError) as error:
            tinycnn.load(path)
        message = str(error.value)
        assert f"refusing to unpickle it: it names the global {os.system.__module__}.system" in (
            message
        ), where
        assert str(path) in message and "\n" not in message, where
        assert not marker.exists(), where


# Protocol 2, torch's, writes builtins under their Python 2 module name, __builtin__.
@pytest.mark.parametrize(
    "function, argument, name",
    [
        (builtins.exec, "open({marker!r}, 'w')", "__builtin__.exec"),
        (builtins.eval, "open({marker!r}, 'w')", "__builtin__.eval"),
        (builtins.open, "{marker}", "io.open"),
        (np.save, "{marker}", "numpy.save"),
    ],
)
def test_any_other_global_is_refused(tmp_path, function, argument, name):
    marker = str(tmp_path / "pwned")
    payload = CallsBuiltin(function, argument.format(marker=marker))
    for path in hostile_files(tmp_path, payload).values():
        with pytest.raises(RefusedPickleError, match=f"names the global {name},"):
            tinycnn.load(path)
    assert not os.path.exists(marker)


def test_a_torch_name_outside_the_allow_list_is_refused(tmp_path):
    # GLOBAL opcodes name their callable as text: what a file from a newer torch could hold
    for module, name in [("torch", "load"), ("torch._utils", "_rebuild_device_tensor_from_numpy")]:
        data = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")R."
        path = zip_pth(tmp_path / "newer.pth", data)
        with pytest.raises(RefusedPickleError, match=f"names the global {module}.{name},"):
            tinycnn.load(path)
    path = zip_pth(tmp_path / "untyped.pth", b"\x80\x02ctorch\nUntypedStorage\n.")
    with pytest.raises(WeightFileError, match="holds a torch.UntypedStorage, which tinycnn cannot"):
        tinycnn.load(path)


def test_calling_a_storage_type_is_refused(tmp_path):
    # torch.FloatStorage stands for a dtype here, not something to call
    path = zip_pth(tmp_path / "call_storage.pth", b"\x80\x02ctorch\nFloatStorage\n)R.")
    with pytest.raises(WeightFileError, match="corrupt or truncated pickle"):
        tinycnn.load(path)


def test_a_pickle_cannot_change_the_stand_ins_for_later_loads(tmp_path):
    # BUILD with slot state would setattr on the stand-in for _rebuild_tensor_v2, e.g. its
    # __defaults__; the stand-in is a tuple, so the file fails and later files are unaffected
    data = (
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n"
        + pickle.dumps((None, {"__defaults__": (1, 2, 3)}), protocol=2)[2:-1]
        + b"b."
    )
    with pytest.raises(WeightFileError, match="corrupt or truncated pickle"):
        tinycnn.load(zip_pth(tmp_path / "build.pth", data))
    tinycnn.save({"w": np.arange(4.0)}, tmp_path / "fine.pth")
    assert np.array_equal(tinycnn.load(tmp_path / "fine.pth")["w"], np.arange(4.0))


def edited(tmp_path, old, new, storage=None):
    """A .pth of {"w": arange(4.0)} written by tinycnn, with bytes `old` of its data.pkl
    replaced by `new` (and its storage bytes by `storage`, if given)."""
    tinycnn.save({"w": np.arange(4.0)}, tmp_path / "good.pth")
    with zipfile.ZipFile(tmp_path / "good.pth") as archive:
        data_pkl = archive.read("archive/data.pkl")
        elements = archive.read("archive/data/0")
    assert data_pkl.count(old) == 1
    return zip_pth(tmp_path / "edited.pth", data_pkl.replace(old, new), {"0": storage or elements})


SIZE = b"(J\x04\x00\x00\x00t"  # MARK BININT 4 TUPLE: the size (4,)
STRIDE = b"(J\x01\x00\x00\x00t"  # the stride (1,)
OFFSET = b"QJ\x00\x00\x00\x00"  # BINPERSID, then BININT 0: the storage offset


@pytest.mark.parametrize(
    "old, new, message",
    [
        (SIZE, b"(J\x05\x00\x00\x00t", "needs element 4 of a storage of only 4 elements"),
        (STRIDE, b"(J\x02\x00\x00\x00t", "needs element 6 of a storage of only 4 elements"),
        (OFFSET, b"QJ\x01\x00\x00\x00", "needs element 4 of a storage of only 4 elements"),
        (STRIDE, b"(J\xff\xff\xff\xfft", r"stride must be a tuple of ints >= 0, got \(-1,\)"),
        (OFFSET, b"QJ\xff\xff\xff\xff", "storage offset must be an int >= 0, got -1"),
        (SIZE, b"(J\x04\x00\x00\x00J\x01\x00\x00\x00t", "differ in length"),
    ],
)
def test_a_tensor_reaching_outside_its_storage_is_refused(tmp_path, old, new, message):
    with pytest.raises(WeightFileError, match=message):
        tinycnn.load(edited(tmp_path, old, new))


def test_a_storage_shorter_than_its_pickle_says_is_refused(tmp_path):
    path = edited(tmp_path, SIZE, SIZE, storage=bytes(24))  # 3 float64, not 4
    with pytest.raises(WeightFileError, match=r"must hold 4 elements .* \(32 bytes\), got 24"):
        tinycnn.load(path)


def test_a_memo_index_out_of_reach_is_refused_before_unpickling(tmp_path):
    # LONG_BINPUT 4,000,000,000: Python's unpickler would grow its memo to 32 GB
    data = b"\x80\x02N" + b"r" + (4_000_000_000).to_bytes(4, "little") + b"."
    for path in (
        zip_pth(tmp_path / "memo.pth", data),
        legacy_pth(tmp_path / "memo_legacy.pth", data),
    ):
        with pytest.raises(WeightFileError, match="stores to memo index 4000000000"):
            tinycnn.load(path)
