"""Module mechanics: registration, traversal order, modes, gradients, dtype, repr.

Expected names and orders are written from torch.nn.Module's rules: a module lists its
own parameters (buffers) first, then each child's, children in assignment order; shared
tensors and modules are listed once, under their first name.
"""

import numpy as np
import pytest

from tinycnn.nn.activation import ReLU
from tinycnn.nn.batchnorm import BatchNorm2d
from tinycnn.nn.container import Sequential
from tinycnn.nn.conv import Conv2d
from tinycnn.nn.linear import Linear
from tinycnn.nn.module import Module
from tinycnn.nn.parameter import Parameter
from tinycnn.tensor import Tensor


class Leaf(Module):
    def __init__(self):
        super().__init__()
        self.weight = Parameter(np.ones((2, 2), dtype=np.float32))
        self.bias = Parameter(np.zeros(2, dtype=np.float32))


class Block(Module):
    def __init__(self):
        super().__init__()
        self.conv = Conv2d(3, 4, 3, bias=False)
        self.bn = BatchNorm2d(4)


class Net(Module):
    def __init__(self):
        super().__init__()
        self.features = Sequential(Conv2d(3, 8, 3), ReLU(), Conv2d(8, 8, 1))
        self.scale = Parameter(np.ones(1, dtype=np.float32))  # assigned after a child
        self.register_buffer("mask", np.ones(2, dtype=np.float32))
        self.register_buffer("cache", np.zeros(2, dtype=np.float32), persistent=False)
        self.block = Block()
        self.fc = Linear(8, 2)


NET_PARAMETERS = [
    "scale",
    "features.0.weight",
    "features.0.bias",
    "features.2.weight",
    "features.2.bias",
    "block.conv.weight",
    "block.bn.weight",
    "block.bn.bias",
    "fc.weight",
    "fc.bias",
]

NET_STATE_KEYS = [
    "scale",
    "mask",
    "features.0.weight",
    "features.0.bias",
    "features.2.weight",
    "features.2.bias",
    "block.conv.weight",
    "block.bn.weight",
    "block.bn.bias",
    "block.bn.running_mean",
    "block.bn.running_var",
    "block.bn.num_batches_tracked",
    "fc.weight",
    "fc.bias",
]


# ------------------------------------------------------------------ registration
def test_assignment_registers_parameters_modules_and_plain_attributes():
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["features", "block", "fc"]
    assert list(net._buffers) == ["mask", "cache"]
    assert net.fc is net._modules["fc"]
    assert net.scale is net._parameters["scale"]
    net.note = "plain"
    net.tensor = Tensor(np.zeros(1))  # a plain Tensor is not a parameter
    assert net.note == "plain"
    assert "tensor" not in net._parameters and "tensor" not in net._buffers


def test_register_buffer_wraps_an_array_in_a_tensor_without_grad():
    m = Module()
    array = np.arange(3, dtype=np.int32)
    m.register_buffer("counts", array)
    assert isinstance(m.counts, Tensor)
    assert m.counts.data is array
    assert m.counts.requires_grad is False
    m.counts = np.ones(2)  # assigning to a buffer name replaces the buffer
    assert isinstance(m.counts, Tensor) and m.counts.shape == (2,)
    assert dict(m.named_buffers())["counts"] is m.counts


def test_assigning_none_keeps_the_slot_and_hides_the_entry():
    m = Leaf()
    m.bias = None
    m.register_buffer("stats", None)
    assert m.bias is None and "bias" in m._parameters
    assert m.stats is None and "stats" in m._buffers
    assert [name for name, _ in m.named_parameters()] == ["weight"]
    assert list(m.state_dict()) == ["weight"]
    m.bias = Parameter(np.zeros(2, dtype=np.float32))
    assert list(m.state_dict()) == ["weight", "bias"]

    parent = Module()
    parent.child = Leaf()
    parent.child = None
    assert parent.child is None and "child" in parent._modules
    assert list(parent.children()) == []


def test_a_registered_slot_refuses_a_value_of_the_wrong_kind():
    m = Leaf()
    with pytest.raises(TypeError, match="parameter 'weight' must be assigned a Parameter or None"):
        m.weight = Tensor(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="Parameter or None, got ndarray"):
        m.weight = np.zeros((2, 2))
    parent = Module()
    parent.child = Leaf()
    with pytest.raises(TypeError, match="submodule 'child' must be assigned a Module or None"):
        parent.child = 3


def test_reassigning_a_name_moves_it_to_the_new_registry():
    m = Leaf()
    m.bias = Leaf()
    assert "bias" not in m._parameters and "bias" in m._modules
    assert [name for name, _ in m.named_parameters()] == ["weight", "bias.weight", "bias.bias"]


def test_delattr_removes_registered_and_plain_attributes():
    m = Leaf()
    m.register_buffer("stats", np.zeros(1))
    m.note = 1
    del m.weight, m.stats, m.note
    assert [name for name, _ in m.named_parameters()] == ["bias"]
    assert list(m.named_buffers()) == []
    for name in ("weight", "stats", "note"):
        with pytest.raises(AttributeError, match=f"'Leaf' object has no attribute '{name}'"):
            getattr(m, name)


def test_assigning_parameters_before_init_is_an_error():
    class Forgetful(Module):
        def __init__(self):
            self.weight = Parameter(np.zeros(1, dtype=np.float32))

    with pytest.raises(AttributeError, match="call Module.__init__"):
        Forgetful()


@pytest.mark.parametrize(
    "name, error, message",
    [
        ("a.b", ValueError, "contain no '.'"),
        ("", ValueError, "non-empty"),
        (3, TypeError, "name must be a str, got int"),
        ("training", ValueError, "must not be an existing attribute, got 'training'"),
        ("weight", ValueError, "must not be an existing attribute, got 'weight'"),
    ],
)
def test_register_buffer_checks_the_name(name, error, message):
    with pytest.raises(error, match=message):
        Leaf().register_buffer(name, np.zeros(1))


def test_register_parameter_and_add_module_check_the_value_type():
    with pytest.raises(TypeError, match="param must be a Parameter or None, got Tensor"):
        Module().register_parameter("w", Tensor(np.zeros(1)))
    with pytest.raises(TypeError, match="module must be a Module or None, got int"):
        Module().add_module("m", 1)


# ------------------------------------------------------------------ traversal
def test_named_parameters_of_a_nested_model_follow_torch_order():
    net = Net()
    assert [name for name, _ in net.named_parameters()] == NET_PARAMETERS
    assert [p for p in net.parameters()] == [p for _, p in net.named_parameters()]
    assert [name for name, _ in net.named_parameters(prefix="model")] == [
        "model." + name for name in NET_PARAMETERS
    ]
    assert [name for name, _ in net.named_parameters(recurse=False)] == ["scale"]


def test_named_buffers_include_non_persistent_ones():
    names = [name for name, _ in Net().named_buffers()]
    assert names == [
        "mask",
        "cache",
        "block.bn.running_mean",
        "block.bn.running_var",
        "block.bn.num_batches_tracked",
    ]
    assert len(list(Net().buffers(recurse=False))) == 2


def test_state_dict_keys_follow_torch_order_and_skip_non_persistent_buffers():
    assert list(Net().state_dict()) == NET_STATE_KEYS


def test_state_dict_holds_the_live_arrays():
    net = Net()
    sd = net.state_dict()
    assert sd["fc.weight"] is net.fc.weight.data
    assert sd["block.bn.num_batches_tracked"] is net.block.bn.num_batches_tracked.data
    net.fc.weight.data[0, 0] = 42.0
    assert sd["fc.weight"][0, 0] == 42.0


def test_named_modules_children_and_modules():
    net = Net()
    assert [name for name, _ in net.named_modules()] == [
        "",
        "features",
        "features.0",
        "features.1",
        "features.2",
        "block",
        "block.conv",
        "block.bn",
        "fc",
    ]
    assert [name for name, _ in net.named_children()] == ["features", "block", "fc"]
    assert list(net.children()) == [net.features, net.block, net.fc]
    assert list(net.modules())[0] is net and len(list(net.modules())) == 9


def test_shared_parameters_and_modules_are_listed_once():
    net = Module()
    net.a = Linear(3, 3)
    net.b = Linear(3, 3)
    net.b.weight = net.a.weight  # tied weights
    net.again = net.a  # the same module under a second name
    assert [name for name, _ in net.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    assert len(list(net.parameters())) == 3
    assert [name for name, _ in net.named_modules()] == ["", "a", "b"]
    assert [name for name, _ in net.named_children()] == ["a", "b"]
    # state_dict, as torch's, lists a shared tensor under every name
    assert list(net.state_dict()) == [
        "a.weight",
        "a.bias",
        "b.weight",
        "b.bias",
        "again.weight",
        "again.bias",
    ]


def test_apply_visits_children_first_then_self_and_returns_self():
    inner = Sequential(ReLU(), Linear(2, 2))
    outer = Sequential(Linear(2, 2), inner)
    visited = []
    assert outer.apply(visited.append) is outer
    assert visited == [outer[0], inner[0], inner[1], inner, outer]


# ------------------------------------------------------------------ modes, grads, call
def test_train_and_eval_recurse_and_return_self():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    net.block.train(False)
    assert net.training and not net.block.bn.training and net.fc.training
    with pytest.raises(TypeError, match="train: mode must be a bool, got int"):
        net.train(1)


def test_zero_grad_sets_every_gradient_to_none_by_default():
    net = Net()
    for p in net.parameters():
        p.grad = np.ones_like(p.data)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_without_set_to_none_zeroes_in_place():
    m = Leaf()
    grad = np.ones((2, 2), dtype=np.float32)
    m.weight.grad = grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is grad and not grad.any()
    assert m.bias.grad is None


def test_call_runs_forward_with_all_arguments():
    class Adder(Module):
        def forward(self, x, y=0, *, z=0):
            return x + y + z

    assert Adder()(1, 2, z=3) == 6
    with pytest.raises(NotImplementedError, match="Module: forward must be defined"):
        Module()(1)


# ------------------------------------------------------------------ dtype
def test_double_converts_parameters_grads_and_float_buffers_only():
    net = Net()
    weight = net.fc.weight
    weight.grad = np.ones_like(weight.data)
    assert net.double() is net
    assert net.fc.weight is weight
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert weight.grad.dtype == np.float64
    assert net.block.bn.running_var.dtype == np.float64
    assert net.block.bn.num_batches_tracked.dtype == np.int64
    assert net.float() is net
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.to("float64").mask.dtype == np.float64


def test_to_rejects_non_floating_dtypes():
    with pytest.raises(TypeError, match="to: dtype must be a floating-point dtype, got int32"):
        Net().to(np.int32)
    with pytest.raises(TypeError, match="to: dtype must be a NumPy dtype"):
        Net().to("no such dtype")


# ------------------------------------------------------------------ repr
def test_repr_of_a_small_sequential_matches_torch_layout():
    net = Sequential(Conv2d(3, 64, 3, padding=1), ReLU(inplace=True))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU(inplace=True)\n"
        ")"
    )


def test_repr_indents_nested_modules_and_handles_empty_ones():
    assert repr(Leaf()) == "Leaf()"
    net = Module()
    net.body = Sequential(ReLU())
    net.head = Linear(2, 1, bias=False)
    assert repr(net) == (
        "Module(\n"
        "  (body): Sequential(\n"
        "    (0): ReLU()\n"
        "  )\n"
        "  (head): Linear(in_features=2, out_features=1, bias=False)\n"
        ")"
    )
