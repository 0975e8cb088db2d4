"""Sequential and ModuleList: naming, indexing, iteration, chaining."""

from collections import OrderedDict

import numpy as np
import pytest

from tinycnn.nn.activation import ReLU
from tinycnn.nn.container import ModuleList, Sequential
from tinycnn.nn.linear import Identity, Linear
from tinycnn.nn.module import Module
from tinycnn.tensor import tensor


def numpy_linear(layer, x):
    return x @ layer.weight.data.T + layer.bias.data


def test_sequential_chains_its_modules_in_order():
    net = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    expected = numpy_linear(net[2], np.maximum(numpy_linear(net[0], x), 0))
    np.testing.assert_allclose(net(tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


def test_empty_sequential_returns_its_input():
    x = tensor([1.0, 2.0])
    assert Sequential()(x) is x


def test_sequential_names_children_by_position_or_by_ordered_dict_keys():
    layers = [Linear(2, 2), ReLU()]
    assert [name for name, _ in Sequential(*layers).named_children()] == ["0", "1"]
    named = Sequential(OrderedDict([("fc", layers[0]), ("act", layers[1])]))
    assert [name for name, _ in named.named_children()] == ["fc", "act"]
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert named.fc is layers[0]


def test_sequential_indexing_len_iteration_and_append():
    a, b, c = Linear(2, 2), ReLU(), Identity()
    net = Sequential(a, b)
    assert len(net) == 2 and list(net) == [a, b]
    assert net[0] is a and net[-1] is b and net[-2] is a
    assert net.append(c) is net
    assert len(net) == 3 and net[2] is c and net._modules["2"] is c
    part = net[1:]
    assert isinstance(part, Sequential)
    assert list(part) == [b, c]
    assert [name for name, _ in part.named_children()] == ["1", "2"]  # names are kept


@pytest.mark.parametrize("index", [2, -3])
def test_sequential_index_out_of_range(index):
    with pytest.raises(IndexError, match=rf"Sequential: index must be in \[-2, 2\), got {index}"):
        Sequential(ReLU(), ReLU())[index]


def test_sequential_rejects_non_integer_indices_and_non_modules():
    with pytest.raises(TypeError, match="Sequential: index must be an int or a slice, got str"):
        Sequential(ReLU())["0"]
    with pytest.raises(TypeError, match="module must be a Module or None, got ufunc"):
        Sequential(ReLU(), np.tanh)


def test_module_list_registers_its_entries():
    blocks = ModuleList([Linear(2, 2), Linear(2, 3)])
    assert [name for name, _ in blocks.named_parameters()] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
    ]
    holder = Module()
    holder.blocks = blocks
    assert list(holder.state_dict())[0] == "blocks.0.weight"


def test_module_list_append_extend_index_slice_len_iter():
    a, b, c = Linear(1, 1), ReLU(), Identity()
    blocks = ModuleList()
    assert len(blocks) == 0
    assert blocks.append(a) is blocks
    assert blocks.extend([b, c]) is blocks
    assert list(blocks) == [a, b, c] and len(blocks) == 3
    assert blocks[1] is b and blocks[-1] is c
    part = blocks[1:]
    assert isinstance(part, ModuleList) and list(part) == [b, c]
    assert [name for name, _ in part.named_children()] == ["0", "1"]  # renumbered
    with pytest.raises(IndexError, match="ModuleList: index must be in"):
        blocks[3]


def test_module_list_has_no_forward():
    with pytest.raises(NotImplementedError, match="ModuleList: forward must be defined"):
        ModuleList([ReLU()])(tensor([1.0]))
