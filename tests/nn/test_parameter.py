"""Parameter: a Tensor subclass that shares its data and requires grad by default."""

import numpy as np
import pytest

from tinycnn.nn.parameter import Parameter
from tinycnn.tensor import Tensor


def test_parameter_from_ndarray_shares_memory_and_keeps_dtype():
    array = np.arange(6.0).reshape(2, 3)
    p = Parameter(array)
    assert isinstance(p, Tensor)
    assert p.data is array
    assert p.dtype == np.float64
    assert p.requires_grad is True


def test_parameter_from_tensor_shares_its_array():
    t = Tensor(np.zeros(3, dtype=np.float32))
    p = Parameter(t, requires_grad=False)
    assert p.data is t.data
    assert p.requires_grad is False


def test_parameter_from_python_floats_is_float32_and_none_is_empty():
    assert Parameter([1.0, 2.0]).dtype == np.float32
    empty = Parameter()
    assert empty.shape == (0,) and empty.dtype == np.float32


def test_integer_parameter_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        Parameter(np.arange(3))


def test_repr_says_parameter_containing():
    text = repr(Parameter(np.zeros(2, dtype=np.float32)))
    assert text.startswith("Parameter containing:\ntensor([0., 0.]")
    assert "requires_grad=True" in text
