"""Tensor: construction, the graph, backward's accumulation and freeing, no_grad."""

import gc
import weakref

import numpy as np
import pytest

import tinycnn
from tinycnn.tensor import Tensor


def leaf(array):
    return tinycnn.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def test_tensor_copies_and_defaults_python_floats_to_float32():
    source = np.arange(3.0)
    t = tinycnn.tensor(source)
    source[0] = 99.0
    assert t.data[0] == 0.0
    assert t.dtype == np.float64  # an ndarray keeps its dtype
    assert tinycnn.tensor([1.0, 2.0]).dtype == np.float32
    assert tinycnn.tensor([1, 2]).dtype == np.int64
    assert tinycnn.tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tinycnn.tensor([1, 2], requires_grad=True)


def test_python_scalars_keep_the_tensor_dtype():
    x = tinycnn.tensor(np.ones(3, np.float32))
    for y in (x + 1.5, 2.0 * x, x / 3, 1 - x, x**2):
        assert y.dtype == np.float32


def test_broadcast_gradients_are_summed_back_to_each_input_shape():
    a = leaf(np.random.default_rng(0).standard_normal((2, 3, 4)))
    b = leaf(np.random.default_rng(1).standard_normal((3, 1)))
    (a * b + b).sum().backward()
    # d/db sum(a*b + b) = sum of a over the broadcast axes, plus one per use
    expected_b = a.data.sum(axis=(0, 2)).reshape(3, 1) + 2 * 4
    np.testing.assert_allclose(b.grad, expected_b)
    np.testing.assert_allclose(a.grad, np.broadcast_to(b.data, (2, 3, 4)))


def test_gradient_accumulates_when_a_tensor_feeds_several_ops():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    z = (y + y * y + x).sum()  # dz/dx = 2 + 2 * (2x) * 2 + 1
    z.backward()
    np.testing.assert_allclose(x.grad, 3.0 + 8.0 * x.data)


def test_gradients_arriving_as_shared_arrays_are_summed_without_corrupting_them():
    # Add hands one gradient array to both of its inputs and Cat hands out views of its
    # gradient; backward sums a tensor's gradients in place only in an array it made itself.
    rng = np.random.default_rng(0)
    x = tinycnn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    weights = rng.standard_normal((2, 3))
    a = x * 2.0
    b = a + a  # one gradient array, twice, for a
    both = tinycnn.cat([a, b], dim=0)  # views of one gradient, for a and b
    c = b + a + a + both[:2] + both[2:]  # = 2a + a + a + a + 2a = 7a = 14x
    (c * weights).sum().backward()
    np.testing.assert_allclose(x.grad, 14 * weights, rtol=1e-12)


def test_grad_accumulates_across_backward_calls_as_in_torch():
    x = leaf([1.0, -2.0])
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])


def test_backward_on_non_scalar_without_grad_is_a_clear_error():
    x = leaf(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=r"grad can be omitted only .* got shape \(2, 2\)"):
        (x * 2.0).backward()


def test_backward_checks_the_grad_shape():
    x = leaf(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"must have the tensor's shape \(2, 2\), got \(3,\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_accepts_a_tensor_grad():
    x = leaf([1.0, 2.0])
    (x * x).backward(tinycnn.tensor(np.array([1.0, 10.0])))
    np.testing.assert_allclose(x.grad, [2.0, 40.0])


def test_backward_without_graph_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinycnn.tensor([1.0]).backward()


def test_graph_is_freed_after_backward():
    x = leaf(np.ones(1000))
    hidden = x * 2.0
    watcher = weakref.ref(hidden)
    loss = (hidden * hidden).sum()
    del hidden
    gc.collect()
    assert watcher() is not None  # the graph keeps the intermediate alive ...
    loss.backward()
    gc.collect()
    assert watcher() is None  # ... until backward has used it


def test_second_backward_through_a_freed_graph_is_a_clear_error():
    x = leaf([1.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        y.backward()


def test_no_grad_records_nothing_and_restores_the_mode():
    x = leaf([1.0])
    with tinycnn.no_grad():
        y = x * 2.0
        assert not tinycnn.is_grad_enabled()
    assert tinycnn.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf

    @tinycnn.no_grad()
    def doubled(t):
        return t * 2.0

    assert not doubled(x).requires_grad


def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.data, [2.0, 4.0])


def test_deep_chain_does_not_overflow_the_stack():
    x = leaf([1.0])
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0])


def test_conversions():
    t = tinycnn.tensor(np.array([[1.5]]))
    assert t.item() == 1.5
    assert np.asarray(t) is t.data
    assert t.numpy() is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="only a tensor with one element"):
        tinycnn.tensor([1.0, 2.0]).item()


def test_ndarray_on_the_left_dispatches_to_tensor():
    x = leaf([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


@pytest.mark.parametrize(
    "name, fn",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("rsub", lambda a, b: 2.0 - a * b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / (b * b + 1.0)),
        ("rdiv", lambda a, b: 1.0 / (b * b + 1.0)),
        ("neg", lambda a, b: -a + b),
        ("pow", lambda a, b: (a * a + 1.0) ** 1.5 + b),
        ("exp_log", lambda a, b: (a.exp() + b * b).log()),
        ("matmul", lambda a, b: a.reshape(3, 4) @ b.reshape(4, 3)),
        ("matmul_vector", lambda a, b: a.reshape(3, 4) @ b.reshape(12)[:4]),
        ("vector_matmul", lambda a, b: a.reshape(12)[:4] @ b.reshape(4, 3)),
        ("batched_matmul", lambda a, b: a.reshape(1, 3, 4) @ b.reshape(4, 3)),
        ("sum_dim", lambda a, b: a.sum(dim=1) + b.sum(dim=(0, 1), keepdim=True)),
        ("mean_dim", lambda a, b: a.mean(dim=0, keepdim=True) * b.mean()),
        ("reshape_flatten", lambda a, b: a.reshape(2, 6).flatten() + b.flatten()),
        ("transpose", lambda a, b: a.transpose(0, 1) @ b),
        ("index", lambda a, b: (a[1:, ::2] * b[0, :2]).sum() + a[np.array([0, 0, 2])]),
        ("var_std", lambda a, b: a.var(1) + b.std(0, keepdim=True).sum() + a.var(unbiased=False)),
        ("max_min_dim", lambda a, b: a.max(1).values * b.min(dim=-1)[0]),
        ("max_min_all", lambda a, b: a.max() - b.min()),
        ("sqrt_abs", lambda a, b: (a * a + 1.0).sqrt() + b.abs()),
        ("clamp_pow", lambda a, b: a.clamp(-0.5, 0.5) + b.clamp(min=0.0).pow(2)),
        ("sigmoid_tanh", lambda a, b: a.sigmoid() * b.tanh()),
        ("softmax", lambda a, b: a.softmax(1) * b.log_softmax(0)),
        ("permute_T", lambda a, b: a.reshape(3, 2, 2).permute(2, 0, 1).reshape(4, 3) @ b.T.T),
        ("squeeze_view", lambda a, b: a.unsqueeze(1).squeeze() * b.view(12).view(3, 4)),
        ("clone", lambda a, b: a.clone() * b),
    ],
)
def test_elementary_ops_pass_gradcheck(name, fn):
    generator = np.random.default_rng(abs(hash(name)) % 2**32)
    a = leaf(generator.standard_normal((3, 4)))
    b = leaf(generator.standard_normal((4, 3) if "matmul" in name else (3, 4)))
    assert tinycnn.gradcheck(fn, [a, b])
