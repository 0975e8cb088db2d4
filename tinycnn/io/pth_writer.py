"""Write a state dict as `torch.save` does, so that `torch.load(path, weights_only=True)`
reads it, without torch.

The file is torch's zip format (see `pth_reader.py`): `archive/data.pkl`, one
`archive/data/<key>` per array, `archive/byteorder` and `archive/version`. Python's
`pickle` cannot write data.pkl for us: to name `torch._utils._rebuild_tensor_v2` it would
have to import torch. So `_StateDictPickle` writes its few opcodes by hand, the ones torch's
own file holds (`python -m pickletools` shows them):

    PROTO 2
    GLOBAL collections.OrderedDict, EMPTY_TUPLE, REDUCE         OrderedDict()
    MARK
      BINUNICODE "conv.weight"                                  a key
      GLOBAL torch._utils._rebuild_tensor_v2, MARK              its tensor:
        MARK "storage", GLOBAL torch.FloatStorage, "0", "cpu", numel, TUPLE, BINPERSID
        0, (sizes...), (strides...), False, OrderedDict()       offset, size, stride,
      TUPLE, REDUCE                                               requires_grad, hooks
      ...
    SETITEMS, STOP

The BINPERSID tuple is a storage reference, which torch resolves to the file
`archive/data/0`.
"""

import pickle
import struct
import zipfile

import numpy as np

from tinycnn.io.torch_dtypes import STORAGE_NAMES

ARCHIVE = "archive"  # the folder torch.save names after the file; any name reads the same
FORMAT_VERSION = b"3\n"  # what torch >= 1.6 writes to archive/version
# A fixed timestamp on every entry: saving the same weights twice gives the same bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

DTYPES = frozenset(STORAGE_NAMES)  # what a .pth file can hold


def write(file, arrays):
    """Write `arrays` to `file` as torch's zip format.

    Args:
        file: a binary file open for writing.
        arrays: a dict of str -> C-contiguous little-endian ndarray, each dtype in
            `DTYPES`.
    """
    pickled = _StateDictPickle()
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, (name, array) in enumerate(arrays.items()):
            pickled.add(name, array, storage_key=str(key))
        _write_entry(archive, "data.pkl", pickled.finish())
        _write_entry(archive, "byteorder", b"little")
        for key, array in enumerate(arrays.values()):
            _write_entry(archive, f"data/{key}", array.reshape(-1).view(np.uint8))
        _write_entry(archive, "version", FORMAT_VERSION)


def _c_order_strides(shape):
    """The strides, in elements, of a C-contiguous array: (4, 1) for shape (3, 4)."""
    strides = []
    step = 1
    for extent in reversed(shape):
        strides.append(step)
        step *= extent
    return tuple(reversed(strides))


def _write_entry(archive, name, data):
    info = zipfile.ZipInfo(f"{ARCHIVE}/{name}", date_time=ZIP_DATE)
    info.file_size = len(data)  # known in advance: a >2 GiB entry gets zip64 headers
    with archive.open(info, "w") as entry:
        entry.write(data)


class _StateDictPickle:
    """Builds data.pkl for an OrderedDict of name -> tensor, one entry at a time."""

    def __init__(self):
        self.data = bytearray(pickle.PROTO + bytes([2]))
        self._empty_ordered_dict()
        self.data += pickle.MARK

    def add(self, name, array, storage_key):
        """Append `name: tensor`, the tensor's elements stored under `storage_key`."""
        self._string(name)
        self._global("torch._utils", "_rebuild_tensor_v2")
        self.data += pickle.MARK
        # the storage reference: ("storage", torch.FloatStorage, key, "cpu", numel)
        self.data += pickle.MARK
        self._string("storage")
        self._global("torch", STORAGE_NAMES[array.dtype.newbyteorder("=")])
        self._string(storage_key)
        self._string("cpu")
        self._int(array.size)
        self.data += pickle.TUPLE + pickle.BINPERSID
        self._int(0)  # storage offset
        self._int_tuple(array.shape)
        self._int_tuple(_c_order_strides(array.shape))
        self.data += pickle.NEWFALSE  # requires_grad
        self._empty_ordered_dict()  # backward hooks: none
        self.data += pickle.TUPLE + pickle.REDUCE

    def finish(self):
        """The complete pickle."""
        return bytes(self.data + pickle.SETITEMS + pickle.STOP)

    def _empty_ordered_dict(self):
        self._global("collections", "OrderedDict")
        self.data += pickle.EMPTY_TUPLE + pickle.REDUCE

    def _global(self, module, name):
        self.data += pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii")

    def _string(self, text):
        encoded = text.encode("utf-8")
        self.data += pickle.BINUNICODE + struct.pack("<I", len(encoded)) + encoded

    def _int(self, value):
        if -(2**31) <= value < 2**31:
            self.data += pickle.BININT + struct.pack("<i", value)
        else:  # LONG1: a length byte, then the two's-complement bytes, little-endian
            encoded = value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
            self.data += pickle.LONG1 + bytes([len(encoded)]) + encoded

    def _int_tuple(self, values):
        self.data += pickle.MARK
        for value in values:
            self._int(value)
        self.data += pickle.TUPLE
