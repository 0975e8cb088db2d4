"""Module.register_forward_hook: torch's semantics (arguments, order, replacing the output,
removal through the handle)."""

import numpy as np
import pytest

from tinycnn.nn.activation import ReLU
from tinycnn.nn.container import Sequential
from tinycnn.nn.linear import Linear
from tinycnn.nn.module import Module
from tinycnn.tensor import Tensor


def batch(*shape):
    return Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape) - 3)


def test_hook_sees_module_positional_inputs_and_output():
    layer = Linear(4, 2)
    seen = []
    layer.register_forward_hook(
        lambda module, inputs, output: seen.append((module, inputs, output))
    )
    x = batch(3, 4)
    y = layer(x)
    assert len(seen) == 1
    module, inputs, output = seen[0]
    assert module is layer
    assert isinstance(inputs, tuple) and len(inputs) == 1 and inputs[0] is x
    assert output is y


def test_hooks_run_in_registration_order_and_a_returned_value_replaces_the_output():
    relu = ReLU()
    order = []

    def double(module, inputs, output):
        order.append("double")
        return output * 2

    def record(module, inputs, output):
        order.append("record")  # returns None: the output is kept as the previous hook left it

    relu.register_forward_hook(double)
    relu.register_forward_hook(record)
    x = batch(2, 3)
    np.testing.assert_array_equal(relu(x).data, 2 * np.maximum(x.data, 0))
    assert order == ["double", "record"]


def test_remove_unregisters_and_can_be_called_twice():
    relu = ReLU()
    calls = []
    handle = relu.register_forward_hook(lambda *args: calls.append(1))
    relu(batch(2))
    handle.remove()
    handle.remove()
    relu(batch(2))
    assert calls == [1]


def test_handle_as_context_manager_removes_on_exit_even_after_an_error():
    relu = ReLU()
    calls = []
    with pytest.raises(KeyError):
        with relu.register_forward_hook(lambda *args: calls.append(1)):
            relu(batch(2))
            raise KeyError("leave the block")
    relu(batch(2))
    assert calls == [1]


def test_a_hook_may_remove_itself_while_the_hooks_run():
    relu = ReLU()
    calls = []
    handles = []

    def once(module, inputs, output):
        calls.append("once")
        handles[0].remove()

    handles.append(relu.register_forward_hook(once))
    relu.register_forward_hook(lambda *args: calls.append("always"))
    relu(batch(2))
    relu(batch(2))
    assert calls == ["once", "always", "always"]


def test_hooks_fire_for_submodules_called_by_a_container_in_call_order():
    net = Sequential(Linear(4, 3), ReLU(), Linear(3, 2))
    names = {id(m): name for name, m in net.named_modules()}
    calls = []
    for module in net.modules():
        module.register_forward_hook(lambda m, inputs, output: calls.append(names[id(m)]))
    net(batch(5, 4))
    # A container finishes after its children, so its hook runs last.
    assert calls == ["0", "1", "2", ""]


def test_hook_must_be_callable():
    with pytest.raises(TypeError, match="register_forward_hook: hook must be callable, got int"):
        ReLU().register_forward_hook(3)


def test_hooks_do_not_change_parameters_or_state_dict():
    layer = Linear(4, 2)
    keys = list(layer.state_dict())
    layer.register_forward_hook(lambda *args: None)
    assert list(layer.state_dict()) == keys
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.children()) == []


def test_module_without_init_gets_a_clear_error():
    class Forgetful(Module):
        def __init__(self):  # does not call super().__init__()
            pass

        def forward(self, x):
            return x

    with pytest.raises(AttributeError, match="call Module.__init__"):
        Forgetful()(batch(2))
