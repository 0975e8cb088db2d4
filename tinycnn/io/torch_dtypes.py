"""The element types of PyTorch's storages, by the names its pickles give them.

A tensor in a torch checkpoint points at a *storage*, a flat buffer of one element type,
which the pickle names by a class in the `torch` module (`torch.FloatStorage`). Its bytes
are little-endian, the order torch writes on every machine (a zip archive records it in its
`byteorder` file).

NumPy has no bfloat16, so a `BFloat16Storage` is read as its uint16 bit patterns and
becomes float32, which holds every bfloat16 value exactly (see `bfloat16.py`).
"""

import numpy as np

# torch storage class name -> NumPy dtype of its elements as stored (little-endian).
STORAGE_DTYPES = {
    "DoubleStorage": np.dtype("<f8"),  # torch.float64
    "FloatStorage": np.dtype("<f4"),  # torch.float32
    "HalfStorage": np.dtype("<f2"),  # torch.float16
    "BFloat16Storage": np.dtype("<u2"),  # torch.bfloat16, read as bits, becomes float32
    "LongStorage": np.dtype("<i8"),  # torch.int64
    "IntStorage": np.dtype("<i4"),  # torch.int32
    "ShortStorage": np.dtype("<i2"),  # torch.int16
    "CharStorage": np.dtype("i1"),  # torch.int8
    "ByteStorage": np.dtype("u1"),  # torch.uint8
    "BoolStorage": np.dtype("?"),  # torch.bool
    "ComplexDoubleStorage": np.dtype("<c16"),  # torch.complex128
    "ComplexFloatStorage": np.dtype("<c8"),  # torch.complex64
}
BFLOAT16 = "BFloat16Storage"

# NumPy dtype -> the storage class that holds it, for writing. (No NumPy dtype is bfloat16.)
STORAGE_NAMES = {
    dtype.newbyteorder("="): name for name, dtype in STORAGE_DTYPES.items() if name != BFLOAT16
}
