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


def conv_ignoring_dilation(x, w, b, stride, padding, dilation, groups):
    return T.conv2d_forward(x, w, b, stride, padding, (1, 1), groups)


def im2col_channel_last(x, KH, KW, SH, SW, PH, PW, DH, DW):
    cols = T.im2col(x, KH, KW, SH, SW, PH, PW, DH, DW)
    N, C = x.shape[:2]
    return cols.reshape(N, C, KH * KW, -1).transpose(0, 2, 1, 3).reshape(N, C * KH * KW, -1)


def dx_with_padding(dy, w, x_shape, stride, padding, dilation, groups):
    N, C, H, W = x_shape
    padded = (N, C, H + 2 * padding[0], W + 2 * padding[1])
    return T.conv2d_backward_input(dy, w, padded, stride, (0, 0), dilation, groups)


def dx_flipped(dy, w, *geometry):
    return T.conv2d_backward_input(dy, np.ascontiguousarray(w[:, :, ::-1, ::-1]), *geometry)


def max_pool_last_tie(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True):
    y, i = T.max_pool2d_forward(x[:, :, ::-1, ::-1], kernel_size, stride, padding, dilation,
                                ceil_mode)  # fmt: skip
    H, W = x.shape[2:]
    indices = (H - 1 - i // W) * W + (W - 1 - i % W)
    return (y, indices) if return_indices else y


def max_pool_window_indices(x, kernel_size, stride, padding, dilation, ceil_mode,
                            return_indices=True):  # fmt: skip
    y, i = T.max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)
    W = x.shape[3]
    kh = i // W - (np.arange(y.shape[2])[:, None] * stride[0] - padding[0])
    kw = i % W - (np.arange(y.shape[3]) * stride[1] - padding[1])
    return (y, kh * kernel_size[1] + kw) if return_indices else y


def max_pool_floor_mode(x, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices=True):  # fmt: skip
    return T.max_pool2d_forward(x, kernel_size, stride, padding, dilation, False, return_indices)


def avg_pool_never_counting_padding(x, k, s, p, c, include, d=None):
    return T.avg_pool2d_forward(x, k, s, p, c, False, d)


def avg_pool_floor_mode(x, k, s, p, c, include, d=None):
    return T.avg_pool2d_forward(x, k, s, p, False, include, d)


def avg_pool_backward_undivided(dy, x_shape, k, s, p, c, include, d=None):
    return T.avg_pool2d_backward(dy, x_shape, k, s, p, c, include, 1)


def batch_norm_eps_outside(x, weight, bias, eps):
    _, mean, var, _ = T.batch_norm_train_forward(x, weight, bias, eps)
    x_hat = (x - mean.reshape(1, -1, 1, 1)) / (np.sqrt(var) + eps).reshape(1, -1, 1, 1)
    y = weight.reshape(1, -1, 1, 1) * x_hat + bias.reshape(1, -1, 1, 1)
    return y, mean, var, 1 / np.sqrt(var + eps)


def batch_norm_over_everything(x, weight, bias, eps):
    _, mean, var, invstd = T.batch_norm_train_forward(x, weight, bias, eps)
    x_hat = (x - x.mean()) / np.sqrt(x.var() + eps)
    return weight.reshape(1, -1, 1, 1) * x_hat + bias.reshape(1, -1, 1, 1), mean, var, invstd


def batch_norm_backward_without_var_term(dy, x, mean, invstd, weight):
    _, dweight, dbias = T.batch_norm_train_backward(dy, x, mean, invstd, weight)
    M = x.size // x.shape[1]
    dx = (weight * invstd).reshape(1, -1, 1, 1) * (dy - dbias.reshape(1, -1, 1, 1) / M)
    return dx, dweight, dbias


def batch_norm_dweight_from_x(dy, x, mean, invstd, weight):
    dx, _, dbias = T.batch_norm_train_backward(dy, x, mean, invstd, weight)
    return dx, (dy * x).sum(axis=(0, 2, 3)), dbias


def lrn_window_the_other_way(x, size, alpha, beta, k):
    C = x.shape[1]
    before, after = (size - 1) // 2, size // 2  # mirrored: forward first for an even size
    squares = np.pad(x * x, ((0, 0), (before, after), (0, 0), (0, 0)))
    scale = k + alpha / size * sum(squares[:, i : i + C] for i in range(size))
    return x * scale**-beta, scale


def dropout_scaled_by_one_over_p(x, p, generator):
    keep = generator.random(x.shape, dtype=x.dtype) >= p
    mask = keep.astype(x.dtype) / x.dtype.type(p)
    return x * mask, mask


def dropout_drawing_float64(x, p, generator):
    keep = generator.random(x.shape) >= p
    mask = (keep / (1 - p)).astype(x.dtype)
    return x * mask, mask


def softmax_without_onehot(logits, target):
    loss, dlogits = sce.softmax_cross_entropy(logits, target)
    dlogits = dlogits.copy()
    dlogits[np.arange(len(logits)), target] += 1 / len(logits)
    return loss, dlogits


def softmax_loss_summed(logits, target):
    loss, dlogits = sce.softmax_cross_entropy(logits, target)
    return loss * len(logits), dlogits


def sgd_always_first_step(param, grad, buffer, lr, momentum, dampening, weight_decay,
                          nesterov, maximize, first_step):  # fmt: skip
    T.sgd_update(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
                 True)  # fmt: skip


def sgd_ignoring_maximize(param, grad, buffer, lr, momentum, dampening, weight_decay,
                          nesterov, maximize, first_step):  # fmt: skip
    T.sgd_update(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, False,
                 first_step)  # fmt: skip


def sgd_ignoring_nesterov(param, grad, buffer, lr, momentum, dampening, weight_decay,
                          nesterov, maximize, first_step):  # fmt: skip
    T.sgd_update(param, grad, buffer, lr, momentum, dampening, weight_decay, False, maximize,
                 first_step)  # fmt: skip


def sigmoid_with_gradient(gradient):
    class WrongSigmoid(sigmoid_function.Sigmoid):
        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved
            return (gradient(grad, y),)

    return WrongSigmoid


class BlockWithoutLastRelu(basic_block.BasicBlock):
    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return out + (x if self.downsample is None else self.downsample(x))


class BlockWithoutShortcut(basic_block.BasicBlock):
    def forward(self, x):
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))


class DenseLayerWithOtherNames(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate):
        super().__init__()
        self.bottleneck = nn.Conv2d(num_input_features, bn_size * growth_rate, 1, bias=False)


class DenseLayerPostActivation(dense_layer.DenseLayer):
    """Conv-BN-ReLU twice: each BatchNorm sized for its convolution's output."""

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate):
        super().__init__(num_input_features, growth_rate, bn_size, drop_rate)
        self.norm1 = nn.BatchNorm2d(bn_size * growth_rate)
        self.norm2 = nn.BatchNorm2d(growth_rate)

    def forward(self, input):
        x = F.cat([input] if isinstance(input, Tensor) else list(input), 1)
        x = self.relu1(self.norm1(self.conv1(x)))
        return self.relu2(self.norm2(self.conv2(x)))


def fields_ignoring_dilation(layers):
    return receptive_field.receptive_field([(k, s, p, 1) for k, s, p, _ in layers])


def fields_ignoring_padding(layers):
    return receptive_field.receptive_field([(k, s, 0, d) for k, s, _, d in layers])


MISTAKES.update({
    "conv ignoring the dilation": ("conv2d_loops", {"conv2d_forward": conv_ignoring_dilation},
                                   "the dilation is ignored"),
    "im2col rows channel last": ("im2col", {"im2col": im2col_channel_last},
                                 "the rows are in the wrong order"),
    "im2col ignoring the stride": (
        "im2col", {"im2col": lambda x, KH, KW, SH, SW, *a: T.im2col(x, KH, KW, 1, 1, *a)},
        "the stride is ignored",
    ),
    "im2col ignoring the dilation": (
        "im2col", {"im2col": lambda x, KH, KW, SH, SW, PH, PW, DH, DW: T.im2col(
            x, KH, KW, SH, SW, PH, PW, 1, 1)}, "the dilation is ignored",
    ),
    "dx with the padding": ("conv2d_backward", {"conv2d_backward_input": dx_with_padding},
                            "this is the gradient of the padded input"),
    "dx with a flipped kernel": ("conv2d_backward", {"conv2d_backward_input": dx_flipped},
                                 "the kernel is flipped"),
    "dw of the first image": (
        "conv2d_backward", {"conv2d_backward_weight": lambda dy, x, *a: T.conv2d_backward_weight(
            dy[:1], x[:1], *a)}, "only the first image counts",
    ),
    "db of the first image": ("conv2d_backward",
                              {"conv2d_backward_bias": lambda dy: dy[0].sum(axis=(1, 2))},
                              "db sums over n too"),
    "db a mean": ("conv2d_backward", {"conv2d_backward_bias": lambda dy: dy.mean(axis=(0, 2, 3))},
                  "db is a sum, not a mean"),
    "max pool last tie": ("max_pool2d", {"max_pool2d_forward": max_pool_last_tie},
                          "ties go to the last element"),
    "max pool window indices": ("max_pool2d", {"max_pool2d_forward": max_pool_window_indices},
                                "indices count inside the window"),
    "max pool floor mode": ("max_pool2d", {"max_pool2d_forward": max_pool_floor_mode},
                            "ceil_mode is ignored"),
    "avg pool never counting padding": (
        "avg_pool2d", {"avg_pool2d_forward": avg_pool_never_counting_padding},
        "count_include_pad=True divides by the window's size on the padded input",
    ),
    "avg pool floor mode": ("avg_pool2d", {"avg_pool2d_forward": avg_pool_floor_mode},
                            "ceil_mode is ignored"),
    "avg pool backward undivided": ("avg_pool2d",
                                    {"avg_pool2d_backward": avg_pool_backward_undivided},
                                    "each window's dy is not divided"),
    "relu gradient y": ("relu_backward", {"relu_backward": lambda dy, y: dy * y},
                        "y itself is not the gradient"),
    "batch norm eps outside": ("batch_norm", {"batch_norm_train_forward": batch_norm_eps_outside},
                               "eps goes inside the square root"),
    "batch norm over everything": (
        "batch_norm", {"batch_norm_train_forward": batch_norm_over_everything},
        "the statistics are per channel",
    ),
    "batch norm backward without the var term": (
        "batch_norm", {"batch_norm_train_backward": batch_norm_backward_without_var_term},
        "the term through var is missing",
    ),
    "batch norm dweight from x": (
        "batch_norm", {"batch_norm_train_backward": batch_norm_dweight_from_x},
        "dweight sums dy * x_hat",
    ),
    "lrn window the other way": (
        "local_response_norm", {"local_response_norm_forward": lrn_window_the_other_way},
        "for an even size it reaches one channel further back",
    ),
    "dropout scaled by 1/p": ("dropout", {"dropout_forward": dropout_scaled_by_one_over_p},
                              "scale by 1 / (1 - p), the probability of keeping"),
    "dropout drawing float64": ("dropout", {"dropout_forward": dropout_drawing_float64},
                                "draw in x's dtype"),
    "dropout backward without the mask": ("dropout", {"dropout_backward": lambda dy, mask: dy},
                                          "the dropped elements get no gradient"),
    "softmax without the onehot": (
        "softmax_cross_entropy", {"softmax_cross_entropy": softmax_without_onehot},
        "subtract 1 at the target class",
    ),
    "softmax loss summed": ("softmax_cross_entropy",
                            {"softmax_cross_entropy": softmax_loss_summed},
                            "the loss is a mean over the batch, not a sum"),
    "sgd always first step": ("sgd_momentum", {"sgd_update": sgd_always_first_step},
                              "the buffer starts as g on the first step only"),
    "sgd ignoring maximize": ("sgd_momentum", {"sgd_update": sgd_ignoring_maximize},
                              "maximize flips the gradient's sign"),
    "sgd ignoring nesterov": ("sgd_momentum", {"sgd_update": sgd_ignoring_nesterov},
                              "Nesterov steps along g + momentum * buffer"),
    "sigmoid gradient 1 - y": (
        "sigmoid_function", {"Sigmoid": sigmoid_with_gradient(lambda grad, y: grad * (1 - y))},
        "dy/dx = y * (1 - y), not 1 - y",
    ),
    "sigmoid gradient passed through": (
        "sigmoid_function", {"Sigmoid": sigmoid_with_gradient(lambda grad, y: grad)},
        "multiply grad by dy/dx = y * (1 - y)",
    ),
    "block without the last relu": ("basic_block", {"BasicBlock": BlockWithoutLastRelu},
                                    "the last ReLU comes after adding the shortcut"),
    "block without the shortcut": ("basic_block", {"BasicBlock": BlockWithoutShortcut},
                                   "the shortcut is missing"),
    "dense layer with other names": ("dense_layer", {"DenseLayer": DenseLayerWithOtherNames},
                                     "name the layers norm1, relu1, conv1"),
    "dense layer post-activation": ("dense_layer", {"DenseLayer": DenseLayerPostActivation},
                                    "BatchNorm and ReLU come before each convolution"),
    "receptive field ignoring dilation": (
        "receptive_field", {"receptive_field": fields_ignoring_dilation},
        "a dilated kernel spans k' = d * (k - 1) + 1 positions",
    ),
    "receptive field ignoring padding": (
        "receptive_field", {"receptive_field": fields_ignoring_padding},
        "start moves by ((k' - 1) / 2 - p) * jump",
    ),
})  # fmt: skip


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
