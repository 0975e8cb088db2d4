"""Tensor: construction, the graph, backward's accumulation and freeing, no_grad."""

import gc
import re
import threading
import weakref

import numpy as np
import pytest
from reference_data import load_json

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
import tinycnn.optim as optim
from tinycnn.autograd import linear as linear_ops
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


def test_a_leaf_keeps_a_new_gradient_array_without_copying_it(monkeypatch):
    # Linear's weight gradient is a new array nothing else holds (returns_new_arrays): the
    # leaf keeps that array, where a copy would double a large classifier's gradient.
    rng = np.random.default_rng(0)
    x = tinycnn.tensor(rng.standard_normal((4, 3)))
    w = tinycnn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    returned = []
    original = linear_ops.Linear.backward

    def recording_backward(ctx, grad):
        grads = original(ctx, grad)
        returned.append(grads[1])
        return grads

    monkeypatch.setattr(linear_ops.Linear, "backward", staticmethod(recording_backward))
    F.linear(x, w).sum().backward()
    assert np.shares_memory(w.grad, returned[0])
    np.testing.assert_allclose(w.grad, np.ones((4, 2)).T @ x.data, rtol=1e-12)


def test_a_new_gradient_array_is_summed_into_and_never_shared_between_leaves():
    # w reaches the loss through two Linear calls: the second gradient is added into the
    # first one's array. a and b receive one array from Add: each must keep its own copy.
    rng = np.random.default_rng(1)
    x = tinycnn.tensor(rng.standard_normal((4, 3)))
    w = tinycnn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    (F.linear(x, w).sum() + 2.0 * F.linear(x, w).sum()).backward()
    np.testing.assert_allclose(w.grad, 3.0 * np.ones((4, 2)).T @ x.data, rtol=1e-12)
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad.zero_()
    np.testing.assert_allclose(b.grad, [1.0, 1.0])


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


# ---------------------------------------------------------------- the torch surface


def test_size_numel_dim_and_transpose_property():
    x = tinycnn.tensor(np.zeros((2, 3, 4), np.float32))
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and x.dim() == 3
    assert x.T.shape == (4, 3, 2)
    m = tinycnn.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(m.T.data, [[1.0, 3.0], [2.0, 4.0]])


def test_dtype_conversions_keep_the_graph_between_float_dtypes():
    x = tinycnn.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = x.double()
    assert y.dtype == np.float64 and x.float() is x and x.to("cpu") is x
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])  # d(3 x)/dx, cast back to float32
    assert x.to(tinycnn.float64).dtype == np.float64
    assert x.to(tinycnn.tensor(np.zeros(1))).dtype == np.float64
    labels = tinycnn.tensor([1.7, 2.2]).long()
    assert labels.dtype == np.int64 and not labels.requires_grad
    np.testing.assert_array_equal(labels.data, [1, 2])
    with pytest.raises(NotImplementedError, match="CPU only, got device='cuda'"):
        x.to("cuda")


def test_requires_grad_detach_clone_and_zero_():
    x = tinycnn.tensor([1.0, 2.0]).requires_grad_()
    assert x.requires_grad and x.is_leaf
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        x.requires_grad_("yes")
    with pytest.raises(RuntimeError, match="only a leaf tensor can change requires_grad"):
        (x * 2.0).requires_grad_(False)
    c = x.clone()
    assert c.data is not x.data and not c.is_leaf
    with pytest.raises(RuntimeError, match="cannot be changed in place while recording"):
        x.zero_()
    with tinycnn.no_grad():
        assert x.zero_() is x
    np.testing.assert_array_equal(x.data, [0.0, 0.0])
    np.testing.assert_array_equal(c.data, [1.0, 2.0])  # the clone owns its memory


def test_grad_zero_as_a_hand_written_sgd_loop_does():
    w = tinycnn.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(2):
        loss = (w * w).sum()
        loss.backward()
        with tinycnn.no_grad():
            w.data -= 0.25 * w.grad
        w.grad.zero_()
    # w <- w - 0.25 * 2w = w / 2, twice
    np.testing.assert_array_equal(w.data, [0.25, -0.5])
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
    assert isinstance(w.grad, np.ndarray)


def test_comparisons_give_bool_tensors_without_gradient():
    logits = tinycnn.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], requires_grad=True)
    labels = tinycnn.tensor([1, 0, 0])
    hits = logits.argmax(1) == labels
    assert hits.dtype == np.bool_ and not hits.requires_grad
    assert hits.sum().item() == 2  # rows 0 and 1 are right
    assert (logits > 0.5).sum().item() == 3
    np.testing.assert_array_equal((logits <= 0.2).data, logits.data <= 0.2)
    np.testing.assert_array_equal((logits != 0.1).data, logits.data != 0.1)
    np.testing.assert_array_equal((logits >= logits).data, np.ones((3, 2), bool))
    np.testing.assert_array_equal((logits < 0.3).data, logits.data < 0.3)
    assert {logits: 1}[logits] == 1  # still hashable, by identity


def test_max_min_return_values_and_indices_by_name():
    x = tinycnn.tensor([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]])
    result = x.max(1)
    values, indices = result
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert x.min().item() == 0.0 and x.argmin().item() == 4  # flat index, as torch
    with pytest.raises(ValueError, match="max: dim must be in \\[-2, 1\\], got 2"):
        x.max(2)


def test_one_element_tensors_convert_to_python_values():
    loss = tinycnn.tensor([[2.5]])
    assert float(loss) == 2.5 and int(loss) == 2 and bool(loss)
    with pytest.raises(RuntimeError, match="truth value of a tensor of shape \\(2,\\) is ambig"):
        bool(tinycnn.tensor([1.0, 2.0]))


@pytest.mark.parametrize(
    "make, dtype, values",
    [
        # The rule (torch's): the highest kind among bool < int < float decides; a Python
        # number of that kind gives its default dtype (float32, int64), never a wider one.
        (lambda: tinycnn.tensor([1, 2]) * 0.5, np.float32, [0.5, 1.0]),
        (lambda: tinycnn.tensor([1, 2]) + 0.5, np.float32, [1.5, 2.5]),
        (lambda: 0.5 - tinycnn.tensor([1, 2]), np.float32, [-0.5, -1.5]),
        (lambda: tinycnn.tensor([True]) + 1.5, np.float32, [2.5]),
        (lambda: tinycnn.tensor([True, False]) + 1, np.int64, [2, 1]),
        (lambda: tinycnn.tensor([1, 2]) / tinycnn.tensor([2, 2]), np.float32, [0.5, 1.0]),
        (lambda: tinycnn.tensor([3], dtype=np.int32) * 2, np.int32, [6]),
        (lambda: tinycnn.tensor([1, 2]) + tinycnn.tensor([0.5, 0.5]), np.float32, [1.5, 2.5]),
        (lambda: tinycnn.tensor([1.0], dtype=np.float64) * 2.0, np.float64, [2.0]),
        (lambda: tinycnn.tensor([4, 9]) ** 0.5, np.float32, [2.0, 3.0]),
        (lambda: tinycnn.tensor([4, 9]).sqrt(), np.float32, [2.0, 3.0]),
        # 0-d tensors rank below tensors with dimensions, above Python numbers (torch 2.13:
        # float32 * float64 0-d -> float32; int32 * float64 0-d -> float64)
        (lambda: tinycnn.tensor([1.5]) * tinycnn.tensor(np.array(2.0)), np.float32, [3.0]),
        (
            lambda: tinycnn.tensor([3], dtype=np.int32) * tinycnn.tensor(np.array(0.5)),
            np.float64,
            [1.5],
        ),
        (lambda: tinycnn.tensor(2, dtype=np.int64) * 2.5, np.float32, 5.0),
    ],
)
def test_int_and_bool_tensors_follow_torch_type_promotion(make, dtype, values):
    result = make()
    assert result.dtype == dtype
    np.testing.assert_array_equal(result.data, values)


def test_promotion_across_float_dtypes_keeps_each_gradient_in_its_own_dtype():
    a = tinycnn.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = tinycnn.tensor(np.array([3.0, 4.0]), requires_grad=True)  # float64
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])


def test_the_gradient_of_a_0d_input_keeps_shape_0d():
    for fn in (
        F.relu,
        lambda t: F.log_softmax(t, 0),
        lambda t: t.sigmoid() * 2.0,
        lambda t: t.max(0).values,  # torch takes a 0-d tensor as one element along dim 0
    ):
        x = tinycnn.tensor(1.5, requires_grad=True)
        fn(x).backward()
        assert x.grad.shape == ()


def test_dims_out_of_range_are_refused():
    x = tinycnn.tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="flatten: dim must be in \\[-2, 1\\], got 7"):
        x.flatten(0, 7)
    with pytest.raises(ValueError, match="unsqueeze: dim must be in \\[-3, 2\\], got 3"):
        x.unsqueeze(3)
    with pytest.raises(ValueError, match="permute: dims must list each of the 2 axes once"):
        x.permute(0, 0)
    with pytest.raises(TypeError, match="sum: dim must be an int, got 'a'"):
        x.sum("a")
    assert x.unsqueeze(-1).shape == (2, 3, 1) and x.unsqueeze(0).squeeze(0).shape == (2, 3)
    assert x.flatten(0, -1).shape == (6,) and x.view(3, 2).shape == (3, 2)


def test_no_grad_is_per_thread():
    # Two threads sit inside no_grad blocks at once while a third thread looks at its mode.
    inside, leave = threading.Barrier(3), threading.Barrier(3)
    seen = {}

    def in_no_grad(name):
        with tinycnn.no_grad():
            inside.wait()
            seen[name] = tinycnn.is_grad_enabled()
            leave.wait()

    def recording():
        inside.wait()
        seen["third"] = tinycnn.is_grad_enabled()
        leave.wait()

    threads = [threading.Thread(target=in_no_grad, args=(n,)) for n in ("a", "b")]
    threads.append(threading.Thread(target=recording))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": False, "b": False, "third": True}
    assert tinycnn.is_grad_enabled()
    x = leaf([2.0])
    (x * x).sum().backward()  # recording still works after both blocks ended
    np.testing.assert_array_equal(x.grad, [4.0])


def test_no_grad_decorates_a_generator():
    x = leaf([1.0])

    @tinycnn.no_grad()
    def doubles(t, n):
        for _ in range(n):
            t = t * 2.0
            yield t

    outputs = []
    for y in doubles(x, 2):
        outputs.append(y)
        assert tinycnn.is_grad_enabled()  # the caller's mode between items
    assert [o.requires_grad for o in outputs] == [False, False]
    np.testing.assert_array_equal(outputs[-1].data, [4.0])


def test_backward_refuses_arrays_changed_in_place_after_the_forward():
    # The example of issue 16: two losses built, then a step between their backwards.
    w = tinycnn.tensor([1.0, 2.0], requires_grad=True)
    x = tinycnn.tensor([1.0, 1.0], requires_grad=True)
    loss1, loss2 = (w * x).sum(), (w * x).sum()
    opt = optim.SGD([w], lr=1.0)
    loss1.backward()
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation: a tensor of shape "
                       "\\(2,\\) is at version 1; expected version 0 instead"):  # fmt: skip
        loss2.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])  # from loss1 only, not corrupted


def test_an_update_through_a_view_or_of_the_base_of_a_saved_view_is_caught():
    w = tinycnn.tensor([[1.0, 2.0]], requires_grad=True)
    x = tinycnn.tensor([[3.0], [4.0]], requires_grad=True)
    loss = (x @ w.T.T).sum()  # MatMul keeps a view of w's array
    with tinycnn.no_grad():
        w -= 1.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    base = tinycnn.tensor([1.0, 2.0, 3.0, 4.0])
    view = base.reshape(2, 2)
    view[0, 0] = 9.0
    assert base._version == view._version == 1
    assert base.data[0] == 9.0
    base.detach().zero_()  # detach shares the memory, and so the counter, as in torch
    assert base._version == 2 and not base.data.any()


def test_a_graph_that_did_not_save_the_changed_array_still_runs_backward():
    w = tinycnn.tensor([1.0, 2.0], requires_grad=True)
    y = (w + 1.0).sum()  # Add keeps no input for its backward
    with tinycnn.no_grad():
        w.zero_()
    y.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_init_and_load_state_dict_bump_the_version():
    layer = nn.Linear(2, 1)
    x = tinycnn.tensor([[1.0, 2.0]], requires_grad=True)
    for change in (
        lambda: nn.init.zeros_(layer.weight),
        lambda: layer.load_state_dict(layer.state_dict()),
    ):
        loss = layer(x).sum()
        change()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_in_place_updates_change_the_tensor_that_others_hold():
    # A hand-written SGD step over a model's parameters: `p -= ...` must update the model.
    layer = nn.Linear(2, 1, bias=False)
    layer.weight.data[...] = [[1.0, -1.0]]
    x = tinycnn.tensor([[2.0, 3.0]])
    layer(x).sum().backward()  # d(w . x)/dw = x = [2, 3]
    version = layer.weight._version
    with tinycnn.no_grad():
        for p in layer.parameters():
            p -= 0.5 * p.grad
    np.testing.assert_array_equal(layer.weight.data, [[0.0, -2.5]])  # [1, -1] - 0.5 * [2, 3]
    assert layer.weight._version == version + 1


def test_in_place_methods_and_item_assignment():
    y = tinycnn.tensor([1.0, 2.0])
    y /= 2  # [0.5, 1]
    y *= tinycnn.tensor([2.0, 4.0])  # [1, 4]
    y.add_(1.0, alpha=2)  # [3, 6]
    y.sub_(tinycnn.tensor([1.0, 1.0]))  # [2, 5]
    np.testing.assert_array_equal(y.data, [2.0, 5.0])
    y[0] = 10.0
    np.testing.assert_array_equal(y.data, [10.0, 5.0])
    np.testing.assert_array_equal(y.fill_(3.0).data, [3.0, 3.0])
    np.testing.assert_array_equal(y.copy_(np.array([5.0, 6.0])).data, [5.0, 6.0])
    assert y._version == 7  # one per in-place update above
    counts = tinycnn.tensor([1, 2])
    with pytest.raises(TypeError, match="\\+=: the result type must be castable to the tensor's "
                       "dtype int64, got float32"):  # fmt: skip
        counts += 0.5
    counts += 1
    np.testing.assert_array_equal(counts.data, [2, 3])


def test_in_place_while_recording_as_torch():
    w = tinycnn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad cannot be changed"):
        w += 1.0
    out = w * 2.0
    out += w * 3.0  # a ResNet block's `out += identity`: recorded, as in torch
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [5.0, 5.0])
    with pytest.raises(NotImplementedError, match="setitem: an in-place change of a tensor in the"):
        (w * 1.0)[0] = 3.0
    with pytest.raises(NotImplementedError, match="mul_: an in-place change"):
        tinycnn.tensor([1.0, 1.0]).mul_(w)


# ---------------------------------------------------------------- printing
# torch's reprs, stored by tools/make_repr_reference.py. Two spellings differ by design: the
# dtype is named `tinycnn.float64` where torch says `torch.float64`, and grad_fn names the
# Function (`MulBackward`) without torch's version suffix (`MulBackward0`).
REPRS = [e for e in load_json("repr_reference.json", "make_repr_reference.py") if e[0][:3] != "nn."]


def in_tinycnn_spelling(torch_repr):
    return re.sub(r"Backward\d+>", "Backward>", torch_repr.replace("torch.", "tinycnn."))


@pytest.mark.parametrize("expression, torch_repr", REPRS, ids=[e[0] for e in REPRS])
def test_repr_matches_torch(expression, torch_repr):
    names = {"tensor": tinycnn.tensor, "float64": tinycnn.float64}
    assert repr(eval(expression, names)) == in_tinycnn_spelling(torch_repr)  # noqa: S307


def test_a_large_tensor_is_summarized_quickly():
    text = repr(tinycnn.tensor(np.arange(1_000_000, dtype=np.float32)))
    assert "..." in text and len(text) < 200
