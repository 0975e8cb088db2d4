"""Bad input to every functional op gets a clear error before any kernel runs.

Each message must name the argument, the expected value and the actual one.
"""

import re

import numpy as np
import pytest

import tinycnn
import tinycnn.nn.functional as F


def t(*shape, dtype=np.float32):
    return tinycnn.tensor(np.ones(shape, dtype=dtype))


X = t(2, 4, 8, 8)
W = t(6, 4, 3, 3)

CASES = [
    # (call, error type, pattern the message must match)
    (
        lambda: F.conv2d(X, t(6, 3, 3, 3)),
        ValueError,
        r"conv2d: input has C=4 channels but weight \(OC, C/groups, KH, KW\) = \(6, 3, 3, 3\) "
        r"expects 3",
    ),
    (
        lambda: F.conv2d(X, t(6, 1, 3, 3), groups=3),
        ValueError,
        r"groups must divide both C=4 input channels and OC=6 filters, got groups=3",
    ),
    (lambda: F.conv2d(X, W, groups=0), ValueError, r"groups must be >= 1, got 0"),
    (lambda: F.conv2d(t(4, 8), W), ValueError, r"input must be 3 or 4-D .* got 2-D shape \(4, 8\)"),
    (lambda: F.conv2d(t(1, 2, 4, 8, 8), W), ValueError, r"input must be 3 or 4-D .* got 5-D"),
    (lambda: F.conv2d(X, t(6, 4, 3)), ValueError, r"weight must be 4-D .* got 3-D shape"),
    (
        lambda: F.conv2d(X, t(0, 4, 3, 3)),
        ValueError,
        r"at least one filter and a kernel of at least 1 x 1, got shape \(0, 4, 3, 3\)",
    ),
    (lambda: F.conv2d(X, t(6, 4, 0, 3)), ValueError, r"kernel of at least 1 x 1, got shape"),
    (
        lambda: F.conv2d(X, t(6, 4, 11, 11)),
        ValueError,
        r"kernel \(KH, KW\) = \(11, 11\) must fit in the padded input .* = \(8, 8\)",
    ),
    (
        lambda: F.conv2d(X, W, dilation=5),
        ValueError,
        r"kernel \(KH, KW\) = \(11, 11\) must fit",
    ),
    (lambda: F.conv2d(X, W, padding=-1), ValueError, r"padding must be >= 0, got \(-1, -1\)"),
    (lambda: F.conv2d(X, W, stride=0), ValueError, r"stride must be >= 1, got \(0, 0\)"),
    (lambda: F.conv2d(X, W, stride=(1, 2, 3)), TypeError, r"stride must be an int or a pair"),
    (lambda: F.conv2d(X, W, padding=1.5), TypeError, r"padding must be an int or a pair.*1\.5"),
    (
        lambda: F.conv2d(X, W, t(5)),
        ValueError,
        r"bias must have shape \(OC,\) = \(6,\), got \(5,\)",
    ),
    (
        lambda: F.conv2d(X, W, padding="full"),
        ValueError,
        r"padding must be an int, a pair, 'valid' or 'same', got 'full'",
    ),
    (lambda: F.conv2d(X, W, stride=2, padding="same"), ValueError, r"'same' needs stride 1"),
    (
        lambda: F.conv2d(t(2, 4, 8, 8, dtype=np.uint8), W),
        TypeError,
        r"input must be float32 or float64, got uint8",
    ),
    (lambda: F.conv2d(np.ones((2, 4, 8, 8)), W), TypeError, r"input must be a Tensor, got ndarray"),
    (
        lambda: F.conv2d(X, t(6, 4, 3, 3, dtype=np.float64)),
        TypeError,
        r"weight must have the input's dtype float32, got float64",
    ),
    (
        lambda: F.max_pool2d(X, 2, padding=2),
        ValueError,
        r"padding must be at most half the \(dilated\) kernel size 2, got padding=\(2, 2\)",
    ),
    (
        lambda: F.avg_pool2d(X, 3, padding=2),
        ValueError,
        r"padding must be at most half",
    ),
    (lambda: F.max_pool2d(X, 9), ValueError, r"kernel \(9, 9\) .* must fit in the padded input"),
    (lambda: F.max_pool2d(X, 0), ValueError, r"kernel_size must be >= 1, got \(0, 0\)"),
    (lambda: F.max_pool2d(X, 2, stride=0), ValueError, r"stride must be >= 1, got \(0, 0\)"),
    (lambda: F.max_pool2d(X, 2, ceil_mode=1), TypeError, r"ceil_mode must be a bool, got 1"),
    (lambda: F.avg_pool2d(t(8, 8), 2), ValueError, r"input must be 3 or 4-D"),
    (lambda: F.adaptive_avg_pool2d(X, 0), ValueError, r"output_size must be >= 1, got \(0, 0\)"),
    (lambda: F.local_response_norm(X, 0), ValueError, r"size must be >= 1, got 0"),
    (lambda: F.local_response_norm(t(4, 8), 2), ValueError, r"at least 3-D .* got shape \(4, 8\)"),
    (lambda: F.dropout(X, p=1.5), ValueError, r"p must be in \[0, 1\], got 1\.5"),
    (lambda: F.dropout(X, p=-0.1), ValueError, r"p must be in \[0, 1\], got -0\.1"),
    (
        lambda: tinycnn.cat([t(2, 3), t(3, 4)], dim=0),
        ValueError,
        r"tensors\[1\] must match tensors\[0\] \(2, 3\) on every axis but dim=0, got \(3, 4\)",
    ),
    (
        lambda: tinycnn.cat([t(2, 3), t(2, 3)], dim=2),
        ValueError,
        r"dim must be an int in \[-2, 1\]",
    ),
    (lambda: tinycnn.cat([]), TypeError, r"tensors must be a non-empty list"),
    (
        lambda: tinycnn.cat([t(2), t(2, dtype=np.float64)]),
        TypeError,
        r"tensors\[1\] must have dtype float32, got float64",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.zeros(3, np.int64)),
        ValueError,
        r"target must have shape \(4,\) \(the input without its class axis\), got \(3,\)",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.array([0, 1, 10, 2])),
        ValueError,
        r"target class indices must be in \[0, 9\] \(or ignore_index=-100\), got 10",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.array([0, -1, 1, 2])),
        ValueError,
        r"target class indices must be in \[0, 9\] \(or ignore_index=-100\), got -1",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.zeros(4)),
        ValueError,
        r"probability targets must have the input's shape \(4, 10\), got \(4,\)",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.array(["a"] * 4)),
        TypeError,
        r"target must hold integer class indices or float probabilities, got dtype <U1",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.zeros(4, np.int64), label_smoothing=2.0),
        ValueError,
        r"label_smoothing must be in \[0, 1\], got 2\.0",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.zeros(4, np.int64), reduction="avg"),
        ValueError,
        r"reduction must be 'mean', 'sum' or 'none', got 'avg'",
    ),
    (
        lambda: F.cross_entropy(t(4, 10), np.zeros(4, np.int64), weight=t(9)),
        ValueError,
        r"weight must be a \(C,\) = \(10,\) array of numbers, got shape \(9,\)",
    ),
    (
        lambda: F.linear(t(4, 5), t(3, 6)),
        ValueError,
        r"input's last axis must have in_features=6 elements, got input shape \(4, 5\)",
    ),
    (
        lambda: F.linear(t(4, 5), t(3, 5), t(4)),
        ValueError,
        r"bias must have shape .* \(3,\), got \(4,\)",
    ),
    (
        lambda: F.batch_norm(X, np.zeros(3, np.float32), np.ones(4, np.float32)),
        ValueError,
        r"running_mean must have shape \(C,\) = \(4,\), got \(3,\)",
    ),
    (
        lambda: F.batch_norm(X, np.zeros(4, np.int64), np.ones(4, np.float32)),
        TypeError,
        r"running_mean must be a float32 or float64 array, got int64",
    ),
    (
        lambda: F.batch_norm(X, None, None, training=False),
        ValueError,
        r"running_mean and running_var are needed when training=False",
    ),
    (
        lambda: F.batch_norm(t(1, 4, 1, 1), None, None, training=True),
        ValueError,
        r"more than 1 value per channel, got input shape \(1, 4, 1, 1\)",
    ),
    (
        lambda: F.batch_norm(X, None, None, weight=t(3), training=True),
        ValueError,
        r"weight must have shape \(C,\) = \(4,\), got \(3,\)",
    ),
    (lambda: F.log_softmax(t(2, 3), dim=2), ValueError, r"dim must be an int in \[-2, 1\], got 2"),
    (
        lambda: F.dropout(t(3), training="no"),
        TypeError,
        r"dropout: training must be a bool, got 'no'",
    ),
    (lambda: F.dropout2d(t(2, 3, 4, 4), p=1.5), ValueError, r"p must be in \[0, 1\], got 1\.5"),
    (lambda: F.dropout2d(t(3, 4)), ValueError, r"input must be 3 or 4-D"),
    (
        lambda: tinycnn.cat([tinycnn.tensor(1.0), tinycnn.tensor(2.0)]),
        ValueError,
        r"cat: tensors\[0\] is 0-d and cannot be concatenated",
    ),
    (
        lambda: F.adaptive_avg_pool2d(t(1, 3, 0, 4), 2),
        ValueError,
        r"input must have C, H and W >= 1 \(N may be 0\), got shape \(1, 3, 0, 4\)",
    ),
    (
        lambda: F.avg_pool2d(X, 2, divisor_override=0),
        ValueError,
        r"avg_pool2d: divisor_override must be >= 1, got 0",
    ),
    (
        lambda: F.max_pool2d(X, 2, return_indices=1),
        TypeError,
        r"return_indices must be a bool, got 1",
    ),
    (
        lambda: F.max_unpool2d(t(1, 1, 2, 2), tinycnn.tensor(np.full((1, 1, 2, 2), 16)), 2),
        ValueError,
        r"max_unpool2d: indices must be in \[0, H\*W\) = \[0, 16\) for output_size \(4, 4\), "
        r"got 16",
    ),
    (
        lambda: F.max_unpool2d(t(1, 1, 2, 2), t(1, 1, 2, 2), 2),
        TypeError,
        r"indices must be an integer Tensor",
    ),
    (
        lambda: F.mse_loss(t(3, 4), t(4)),
        ValueError,
        r"mse_loss: target must have the input's shape \(3, 4\), got \(4,\)",
    ),
    (
        lambda: F.nll_loss(t(4, 3), np.array([0, 1, 3, 0])),
        ValueError,
        r"target class indices must be in \[0, 2\] \(or ignore_index=-100\), got 3",
    ),
    (
        lambda: F.cross_entropy(t(4, 3), np.zeros(4, np.int64), reduce=False),
        NotImplementedError,
        r"size_average and reduce are deprecated in torch; use reduction=",
    ),
    (lambda: F.softmax(t(2, 3), dim=2), ValueError, r"dim must be an int in \[-2, 1\], got 2"),
    (
        lambda: F.log_softmax(t(2, 3), 1, dtype=np.int64),
        TypeError,
        r"log_softmax: dtype must be float32 or float64",
    ),
    (lambda: F.leaky_relu(t(2), "a"), TypeError, r"negative_slope must be a number, got 'a'"),
    (
        lambda: F.nll_loss(t(4, 3), np.zeros(4)),
        TypeError,
        r"nll_loss: target must hold integer class indices, got dtype float64",
    ),
]


@pytest.mark.parametrize("call, error, pattern", CASES, ids=[c[2][:50] for c in CASES])
def test_bad_input_gets_a_clear_error(call, error, pattern):
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    assert re.search(pattern, message), message
    assert ":" in message.split(" ")[0]  # "<op>: ..." names the operation first


def test_unbatched_input_is_taken_as_one_sample_as_torch_does():
    x = tinycnn.tensor(np.random.default_rng(0).standard_normal((4, 8, 8)).astype(np.float32))
    w = tinycnn.tensor(np.random.default_rng(1).standard_normal((6, 4, 3, 3)).astype(np.float32))
    batched = F.conv2d(x.reshape(1, 4, 8, 8), w, padding=1)
    unbatched = F.conv2d(x, w, padding=1)
    assert unbatched.shape == (6, 8, 8)
    np.testing.assert_array_equal(unbatched.data, batched.data[0])
    assert F.max_pool2d(x, 2).shape == (4, 4, 4)
