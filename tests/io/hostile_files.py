"""Tiny hostile files built byte by byte: each claims far more memory than it holds.

Shared by the memory tests (which load them in a child process under an address-space
cap) and the command tests. Nothing here is large on disk: a deflate stream of 1 GiB of
zeros is 1 MiB of identical, self-contained blocks.
"""

import json
import pickle
import struct
import zipfile
import zlib

import numpy as np

GIB = 2**30


# ----------------------------------------------------------------- .pth pickles
def _global(module, name):
    return pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii")


def _string(text):
    encoded = text.encode("utf-8")
    return pickle.BINUNICODE + struct.pack("<I", len(encoded)) + encoded


def _int(value):
    if -(2**31) <= value < 2**31:
        return pickle.BININT + struct.pack("<i", value)
    encoded = value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
    return pickle.LONG1 + bytes([len(encoded)]) + encoded  # any int, in two's complement


def _ints(values):
    return pickle.MARK + b"".join(_int(value) for value in values) + pickle.TUPLE


def tensor_opcodes(numel, size, stride, storage_key="0"):
    """The opcodes torch.save writes for one float64 tensor over storage `storage_key`."""
    storage = (
        pickle.MARK
        + _string("storage")
        + _global("torch", "DoubleStorage")
        + _string(storage_key)
        + _string("cpu")
        + _int(numel)
        + pickle.TUPLE
        + pickle.BINPERSID
    )
    arguments = storage + _int(0) + _ints(size) + _ints(stride) + pickle.NEWFALSE
    hooks = _global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE
    return (
        _global("torch._utils", "_rebuild_tensor_v2")
        + pickle.MARK
        + arguments
        + hooks
        + pickle.TUPLE
        + pickle.REDUCE
    )


def zip_pth(path, data_pkl, storages):
    """A zip-format .pth: archive/data.pkl and archive/data/<key>, uncompressed."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", "little")
        for key, data in storages.items():
            archive.writestr(f"archive/data/{key}", data)
    return path


def tensor_pth(path, size, stride):
    """{"w": a float64 tensor of `size` and `stride` on a one-element storage, 2.5}."""
    data = (
        pickle.PROTO
        + b"\x02"
        + pickle.EMPTY_DICT
        + _string("w")
        + tensor_opcodes(1, size, stride)
        + pickle.SETITEM
        + pickle.STOP
    )
    return zip_pth(path, data, {"0": np.array([2.5]).tobytes()})


def broadcast_pth(path, size):
    """{"w": a float64 tensor of `size`, every stride 0, on a one-element storage}."""
    return tensor_pth(path, size, (0,) * len(size))


def repeated_tensor_pth(path, numel, repeats):
    """A list holding one float64 tensor of `numel` elements `repeats` times, through the
    pickle memo (BINPUT once, then BINGET)."""
    data = (
        pickle.PROTO
        + b"\x02"
        + pickle.MARK
        + tensor_opcodes(numel, (numel,), (1,))
        + pickle.BINPUT
        + b"\x00"
        + (pickle.BINGET + b"\x00") * (repeats - 1)
        + pickle.LIST
        + pickle.STOP
    )
    return zip_pth(path, data, {"0": np.arange(numel, dtype=np.float64).tobytes()})


def doubling_lists_pth(path, depth):
    """Lists nested `depth` deep, each holding the one below twice (2**depth paths to the
    one tensor at the bottom)."""
    data = pickle.PROTO + b"\x02" + tensor_opcodes(2, (2,), (1,)) + pickle.BINPUT + b"\x00"
    for level in range(1, depth + 1):
        below = pickle.BINGET + bytes([level - 1])
        data += pickle.POP + pickle.MARK + below + below + pickle.LIST
        data += pickle.BINPUT + bytes([level])
    data += pickle.STOP
    return zip_pth(path, data, {"0": np.array([1.0, 2.0]).tobytes()})


# ----------------------------------------------------------------- deflate bombs
def zero_deflate(header, zeros):
    """(raw deflate stream, CRC-32) of `header` followed by `zeros` zero bytes (a multiple
    of 1 MiB). Each 1 MiB block is compressed once and repeated: a full flush makes every
    block self-contained, so the repetition is a valid stream."""
    chunk = 2**20
    start = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = start.compress(header) + start.flush(zlib.Z_FULL_FLUSH)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = block.compress(bytes(chunk)) + block.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    crc = zlib.crc32(header)
    zero_chunk = bytes(chunk)
    for _ in range(zeros // chunk):
        crc = zlib.crc32(zero_chunk, crc)
    return head + piece * (zeros // chunk) + end, crc


def deflated_zip(path, name, stream, crc, size):
    """A zip archive of one deflated entry `name` whose data is the raw deflate `stream`."""
    encoded = name.encode("ascii")
    fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(stream), size)
    local = b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded
    central = (
        b"PK\x01\x02"
        + struct.pack("<H", 20)
        + fields
        + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, 0)
        + encoded
    )
    end = b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, 1, 1, len(central), len(local) + len(stream), 0
    )
    path.write_bytes(local + stream + central + end)
    return path


def npy_header(shape, dtype="<f8"):
    """A version 1.0 .npy header for a C-order array of `shape`."""
    text = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)})
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def npz_bomb(path):
    """A .npz of about 1 MiB whose one deflated entry inflates to a 1 GiB array."""
    header = npy_header((GIB // 8,))
    stream, crc = zero_deflate(header, GIB)
    return deflated_zip(path, "w.npy", stream, crc, len(header) + GIB)


def npz_claiming(path, shape):
    """A .npz whose one stored entry's header claims `shape` float64 but holds 8 bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", npy_header(shape) + bytes(8))
    return path


def mnist_gz_bomb(path):
    """A gzipped IDX file whose header says 10 images of 28 x 28 (7,840 bytes), followed
    by 1 GiB of zeros."""
    header = struct.pack(">BBBBIII", 0, 0, 8, 3, 10, 28, 28)
    stream, crc = zero_deflate(header, GIB)
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    size = (len(header) + GIB) % 2**32
    path.write_bytes(gzip_header + stream + struct.pack("<II", crc, size))
    return path


# ----------------------------------------------------------------- safetensors
def safetensors_with_header(path, header_text):
    """A .safetensors file: the 8-byte length, then `header_text`, then no data."""
    encoded = header_text.encode("utf-8")
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded)
    return path


def huge_shape_safetensors(path):
    header = {"w": {"dtype": "F32", "shape": [2**40, 2**40, 0], "data_offsets": [0, 0]}}
    return safetensors_with_header(path, json.dumps(header))


# ----------------------------------------------------------------- images
def _png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_claiming(path, width, height):
    """A PNG of a few dozen bytes whose header claims width x height RGB pixels (its
    pixel data is one empty deflate stream: it is never decoded)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b""))
        + _png_chunk(b"IEND", b"")
    )
    return path
