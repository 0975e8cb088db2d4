"""The restricted unpickler admits numpy arrays and refuses every other global."""

import builtins
import io
import pickle

import numpy as np
import pytest

from tinycnn.data import restricted_pickle


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_dicts_of_arrays_lists_and_bytes_round_trip(protocol):
    value = {b"data": np.arange(12, dtype=np.uint8).reshape(3, 4), b"labels": [1, 2], b"name": b"x"}
    loaded = restricted_pickle.load(io.BytesIO(pickle.dumps(value, protocol=protocol)))
    np.testing.assert_array_equal(loaded[b"data"], value[b"data"])
    assert loaded[b"labels"] == [1, 2] and loaded[b"name"] == b"x"


class _Evaluates:
    def __reduce__(self):
        return (builtins.eval, ("1 + 1",))


@pytest.mark.parametrize(
    "value, name",
    [(_Evaluates(), "builtins.eval"), (np.float64, "numpy.float64"), ({1, 2}.union, "builtins")],
)
def test_any_other_global_is_refused_before_it_is_called(value, name):
    data = pickle.dumps(value, protocol=4)
    with pytest.raises(pickle.UnpicklingError, match=f"names the global {name}"):
        restricted_pickle.load(io.BytesIO(data))


def test_protocol_2_bytes_rebuilder_only_decodes_latin1():
    # _codecs.encode(text, "latin1") is how Python 3 writes bytes at protocol 2; any other
    # encoding (a codec could do more than re-encode text) is refused.
    data = pickle.dumps(b"ok", protocol=2).replace(b"latin1", b"utf_16")
    with pytest.raises(pickle.UnpicklingError, match="bytes must be rebuilt from latin1"):
        restricted_pickle.load(io.BytesIO(data))


def test_a_huge_memo_index_is_refused_before_anything_is_allocated():
    # PROTO 2, NONE, LONG_BINPUT 300,000,000, STOP: the unpickler would size its memo to it
    hostile = b"\x80\x02Nr" + (300_000_000).to_bytes(4, "little") + b"."
    with pytest.raises(pickle.UnpicklingError, match="memo index 300000000"):
        restricted_pickle.load(io.BytesIO(hostile))
