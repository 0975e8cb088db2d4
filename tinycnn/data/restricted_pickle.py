"""Unpickle files from the internet without letting them run code.

A pickle is a small program: its GLOBAL opcodes name any importable callable
(`os.system`, `builtins.eval`) and its REDUCE opcodes call them, so a plain `pickle.load`
of a file someone else made can do anything. `load` below resolves every global through
an allow-list of the few that a pickled dict of numpy arrays needs, and refuses the rest
before anything is called.
"""

import pickle

import numpy as np

from tinycnn.io.pickle_memo import check_memo_indices


def _latin1_bytes(text, encoding):
    """What Python 3's pickle protocol 2 calls to rebuild a bytes object."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"bytes must be rebuilt from latin1, got {encoding!r}")
    return text.encode("latin1")


_RECONSTRUCT = np.ndarray.__reduce__(np.empty(0))[0]  # numpy's ndarray rebuilder
_FROMBUFFER = np.empty(0).__reduce_ex__(5)[0]  # its protocol-5 form
# (module, name) as written in the file -> the object it may stand for. numpy 2 renamed
# numpy.core to numpy._core; files written by either name the one their numpy had.
ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("_codecs", "encode"): _latin1_bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"it names the global {module}.{name}, which a file of numpy arrays never "
                "needs; refusing to unpickle it"
            ) from None


def load(file):
    """Unpickle one object from a binary file, admitting only `ALLOWED_GLOBALS`.

    Strings pickled by Python 2 come back as bytes (encoding="bytes"), as the CIFAR
    batches need.

    Raises:
        pickle.UnpicklingError: the file names any other global, or is corrupt (including
            memo indices that would make the unpickler allocate gigabytes).
    """
    check_memo_indices(file)
    return _RestrictedUnpickler(file, encoding="bytes").load()
