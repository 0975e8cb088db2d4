"""A planted classic mistake is caught, and reported with its hint.

Each case is a solution with one function replaced by a version with one classic
mistake; the check must fail and its message must carry the hint for that mistake.
"""

import re
import types

import numpy as np
import pytest

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import exercises
from tinycnn.autograd.function import Function
from tinycnn.exercises.solutions import basic_block, dense_layer, receptive_field, sigmoid_function
from tinycnn.exercises.solutions import softmax_cross_entropy as sce
from tinycnn.kernels import textbook as T
from tinycnn.tensor import Tensor


def no_padding_conv(x, w, b, stride, padding, dilation, groups):
    return T.conv2d_forward(x, w, b, stride, (0, 0), dilation, groups)


def unbiased_batch_norm(x, weight, bias, eps):
    M = x.size // x.shape[1]
    y, mean, var, _ = T.batch_norm_train_forward(x, weight, bias, eps)
    var = var * M / (M - 1)
    invstd = 1 / np.sqrt(var + eps)
    x_hat = (x - mean.reshape(1, -1, 1, 1)) * invstd.reshape(1, -1, 1, 1)
    return weight.reshape(1, -1, 1, 1) * x_hat + bias.reshape(1, -1, 1, 1), mean, var, invstd


def batch_norm_backward_direct_only(dy, x, mean, invstd, weight):
    _, dweight, dbias = T.batch_norm_train_backward(dy, x, mean, invstd, weight)
    return dy * (weight * invstd).reshape(1, -1, 1, 1), dweight, dbias


def lrn_alpha_not_divided(x, size, alpha, beta, k):
    return T.local_response_norm_forward(x, size, alpha * size, beta, k)


def max_pool_overwriting_backward(dy, indices, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W), dtype=dy.dtype)
    flat_indices, flat_dy = indices.reshape(N * C, -1), dy.reshape(N * C, -1)
    for plane in range(N * C):
        dx[plane, flat_indices[plane]] = flat_dy[plane]  # repeats: the last one wins
    return dx.reshape(x_shape)


def avg_pool_undivided(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override=None):  # fmt: skip
    return T.avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, 1)


def dropout_unscaled(x, p, generator):
    keep = (generator.random(x.shape, dtype=x.dtype) >= p).astype(x.dtype)
    return x * keep, keep


def dropout_keeping_where_below_p(x, p, generator):
    mask = (generator.random(x.shape, dtype=x.dtype) < p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


def softmax_gradient_without_one_over_n(logits, target):
    loss, dlogits = sce.softmax_cross_entropy(logits, target)
    return loss, dlogits * len(logits)


def softmax_without_shift(logits, target):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # NaN for large logits
    N = len(logits)
    onehot = np.eye(logits.shape[1])[target]
    return -np.log(p[np.arange(N), target]).mean(), (p - onehot) / N


def sgd_ignoring_first_step(param, grad, buffer, lr, momentum, dampening, weight_decay,
                            nesterov, maximize, first_step):  # fmt: skip
    T.sgd_update(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
                 False)  # fmt: skip


class NaiveSigmoid(sigmoid_function.Sigmoid):
    @staticmethod
    def forward(ctx, x):
        y = np.exp(x) / (1 + np.exp(x))
        ctx.save_for_backward(y)
        return y


class SigmoidWithGradientY(sigmoid_function.Sigmoid):
    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (grad * y,)


class BlockWithReluBeforeShortcut(basic_block.BasicBlock):
    def forward(self, x):
        out = self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class BlockWithOtherNames(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.first = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)


class DenseLayerReturningAll(dense_layer.DenseLayer):
    def forward(self, input):
        x = F.cat([input] if isinstance(input, Tensor) else list(input), 1)
        return F.cat([x, super().forward(input)], 1)


class DenseLayerIgnoringLists(dense_layer.DenseLayer):
    def forward(self, input):
        return super().forward(input if isinstance(input, Tensor) else input[0])


def fields_without_jump(layers):
    """Right jumps and starts, but each layer adds k' - 1 to the size, not (k' - 1) * jump."""
    size, fields = 1, []
    for (_, jump, start), (kernel, _, _, dilation) in zip(
        receptive_field.receptive_field(layers), layers, strict=True
    ):
        size += dilation * (kernel - 1)
        fields.append((size, jump, start))
    return fields


# (exercise, the replaced functions, a phrase of the expected hint)
MISTAKES = {
    "im2col transposed": (
        "im2col", {"im2col": lambda *a: T.im2col(*a).transpose(0, 2, 1)}, "cols is transposed"
    ),
    "im2col without padding": (
        "im2col", {"im2col": lambda x, KH, KW, SH, SW, PH, PW, DH, DW: T.im2col(
            x, KH, KW, SH, SW, 0, 0, DH, DW)}, "the zero padding is missing",
    ),
    "im2col in float64": (
        "im2col", {"im2col": lambda x, *g: T.im2col(x.astype(np.float64), *g)},
        "create arrays with dtype=x.dtype",
    ),
    "conv without padding": ("conv2d_im2col", {"conv2d_forward": no_padding_conv},
                             "the zero padding is missing"),
    "conv with a flipped kernel": (
        "conv2d_loops", {"conv2d_forward": lambda x, w, *a: T.conv2d_forward(
            x, np.ascontiguousarray(w[:, :, ::-1, ::-1]), *a)}, "the kernel is flipped",
    ),
    "conv without bias": (
        "conv2d_loops", {"conv2d_forward": lambda x, w, b, *a: T.conv2d_forward(x, w, None, *a)},
        "the bias is missing",
    ),
    "conv ignoring the stride": (
        "conv2d_im2col", {"conv2d_forward": lambda x, w, b, stride, *a: T.conv2d_forward(
            x, w, b, (1, 1), *a)}, "the stride is ignored",
    ),
    "dw divided by N": (
        "conv2d_backward", {"conv2d_backward_weight": lambda dy, x, *a: T.conv2d_backward_weight(
            dy, x, *a) / len(x)}, "with no 1/N",
    ),
    "db over n only": (
        "conv2d_backward", {"conv2d_backward_bias": lambda dy: dy.sum(axis=0)},
        "db sums dy over n, oh and ow",
    ),
    "max pool padding as zeros": (
        "max_pool2d", {"max_pool2d_forward": lambda x, k, s, p, *a, **kw: T.max_pool2d_forward(
            np.pad(x, ((0, 0), (0, 0), (p[0],) * 2, (p[1],) * 2)), k, s, (0, 0), *a, **kw)},
        "the padding counts as 0",
    ),
    "max pool backward overwriting": (
        "max_pool2d", {"max_pool2d_backward": max_pool_overwriting_backward},
        "overlapping windows that share a winner must add up",
    ),
    "avg pool undivided": ("avg_pool2d", {"avg_pool2d_forward": avg_pool_undivided},
                           "the window sums are not divided"),
    "avg pool always counting padding": (
        "avg_pool2d", {"avg_pool2d_forward": lambda x, k, s, p, c, include, d=None:
                       T.avg_pool2d_forward(x, k, s, p, c, True, d)},
        "count_include_pad=False divides by the number of positions inside x",
    ),
    "relu mask from dy": ("relu_backward", {"relu_backward": lambda dy, y: dy * (dy > 0)},
                          "the mask comes from y"),
    "relu gradient at zero": ("relu_backward", {"relu_backward": lambda dy, y: dy * (y >= 0)},
                              "at y = 0 the gradient is 0"),
    "batch norm unbiased": ("batch_norm", {"batch_norm_train_forward": unbiased_batch_norm},
                            "use the biased variance"),
    "batch norm backward direct only": (
        "batch_norm", {"batch_norm_train_backward": batch_norm_backward_direct_only},
        "mean and var depend on every x of the channel too",
    ),
    "batch norm eval with batch statistics": (
        "batch_norm", {"batch_norm_eval_forward": lambda x, m, v, w, b, eps:
                       T.batch_norm_train_forward(x, w, b, eps)[0]},
        "evaluation normalizes with running_mean",
    ),
    "lrn alpha not divided": (
        "local_response_norm", {"local_response_norm_forward": lrn_alpha_not_divided},
        "torch divides alpha by size",
    ),
    "lrn backward direct only": (
        "local_response_norm", {"local_response_norm_backward": lambda dy, x, y, scale, size,
                                alpha, beta: dy * scale**-beta},
        "x[j] also changes the scale of its neighbours",
    ),
    "dropout unscaled": ("dropout", {"dropout_forward": dropout_unscaled},
                         "the kept elements are not scaled"),
    "dropout keeping where u < p": (
        "dropout", {"dropout_forward": dropout_keeping_where_below_p},
        "an element is dropped with probability p",
    ),
    "softmax gradient without 1/N": (
        "softmax_cross_entropy", {"softmax_cross_entropy": softmax_gradient_without_one_over_n},
        "divide the gradient by N too",
    ),
    "softmax without the max shift": (
        "softmax_cross_entropy", {"softmax_cross_entropy": softmax_without_shift},
        "subtract each row's largest logit",
    ),
    "sgd ignoring the first step": ("sgd_momentum", {"sgd_update": sgd_ignoring_first_step},
                                    "on the first step the buffer starts as g"),
    "sgd not in place": ("sgd_momentum", {"sgd_update": lambda param, grad, buffer, **o: None},
                         "change param in place"),
    "sigmoid overflowing": ("sigmoid_function", {"Sigmoid": NaiveSigmoid},
                            "is inf / inf = NaN for large x"),
    "sigmoid gradient y": ("sigmoid_function", {"Sigmoid": SigmoidWithGradientY},
                           "dy/dx = y * (1 - y), not y"),
    "block relu before the shortcut": (
        "basic_block", {"BasicBlock": BlockWithReluBeforeShortcut},
        "bn2 comes before the addition",
    ),
    "block with other names": ("basic_block", {"BasicBlock": BlockWithOtherNames},
                               "name the layers conv1, bn1"),
    "dense layer returning everything": (
        "dense_layer", {"DenseLayer": DenseLayerReturningAll}, "return only the k new feature maps"
    ),
    "dense layer ignoring lists": ("dense_layer", {"DenseLayer": DenseLayerIgnoringLists},
                                   "concatenate a list input"),
    "receptive field without the jump": (
        "receptive_field", {"receptive_field": fields_without_jump},
        "the size grows by (k' - 1) * jump",
    ),
}  # fmt: skip


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_classic_mistake_is_reported_with_its_hint(mistake):
    name, replaced, hint = MISTAKES[mistake]
    solution = exercises.solution(name)
    functions = {f: getattr(solution, f) for f in exercises.get(name).FUNCTIONS}
    learner = types.SimpleNamespace(**{**functions, **replaced})
    with pytest.raises(exercises.CheckError) as failure:
        exercises.get(name).check(learner)
    assert failure.value.hint is not None, str(failure.value)
    assert hint in failure.value.hint, str(failure.value)
    assert "case: " in str(failure.value) and "hint: " in str(failure.value)


def test_a_failure_names_the_case_the_element_and_both_values():
    learner = types.SimpleNamespace(relu_backward=lambda dy, y: dy * (y > 0) * 2)
    with pytest.raises(exercises.CheckError) as failure:
        exercises.get("relu_backward").check(learner)
    message = str(failure.value)
    assert re.match(
        r"relu_backward: dx\[\d, \d\] is wrong: expected -?[\d.]+, got -?[\d.]+\n", message
    )
    assert "case: dy and y of shape (2, 3), float64" in message


def test_sigmoid_must_be_a_function_class():
    with pytest.raises(exercises.CheckError, match="derived from Function"):
        exercises.get("sigmoid_function").check(types.SimpleNamespace(Sigmoid=Function.__init__))
