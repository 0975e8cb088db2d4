"""Every functional op's backward against central differences (float64), on drawn configs."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinycnn
import tinycnn.nn.functional as F
from tinycnn.kernels import conv as conv_kernels
from tinycnn.kernels import reference
from tinycnn.kernels.conv.choice import ALGORITHMS

FEW = settings(max_examples=12, deadline=None)


def leaves(generator, *shapes):
    return [
        tinycnn.tensor(generator.standard_normal(s), requires_grad=True, dtype=np.float64)
        for s in shapes
    ]


@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 3))
    C = groups * draw(st.integers(1, 2))
    OC = groups * draw(st.integers(1, 2))
    KH, KW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    sizes = []
    for K, P, D in ((KH, padding[0], dilation[0]), (KW, padding[1], dilation[1])):
        smallest = max(1, D * (K - 1) + 1 - 2 * P)  # the padded input must hold the kernel
        sizes.append(smallest + draw(st.integers(0, 3)))
    return dict(
        N=draw(st.integers(1, 2)), C=C, H=sizes[0], W=sizes[1], OC=OC, KH=KH, KW=KW,
        stride=stride, padding=padding, dilation=dilation, groups=groups,
        bias=draw(st.booleans()), seed=draw(st.integers(0, 2**16)),
    )  # fmt: skip


@FEW
@given(conv_configs())
def test_conv2d(cfg):
    g = np.random.default_rng(cfg["seed"])
    x, w, b = leaves(
        g,
        (cfg["N"], cfg["C"], cfg["H"], cfg["W"]),
        (cfg["OC"], cfg["C"] // cfg["groups"], cfg["KH"], cfg["KW"]),
        (cfg["OC"],),
    )
    geometry = {k: cfg[k] for k in ("stride", "padding", "dilation", "groups")}
    if cfg["bias"]:
        assert tinycnn.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **geometry), [x, w, b])
    else:
        assert tinycnn.gradcheck(lambda x, w: F.conv2d(x, w, **geometry), [x, w])


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_conv2d_by_every_algorithm(name):
    # conv2d picks the algorithm by speed, so small problems never reach the window or
    # Winograd ones; force each. A 3x3 stride-1 kernel, which every algorithm runs, on
    # an odd output (Winograd's last tiles cut by the edge), in two groups.
    x, w, b = leaves(np.random.default_rng(7), (2, 4, 5, 6), (6, 2, 3, 3), (6,))
    geometry = {"stride": 1, "padding": (1, 0), "groups": 2}
    with conv_kernels.forced(name):
        assert tinycnn.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **geometry), [x, w, b])


def test_conv2d_same_padding_with_even_kernel_matches_explicit_asymmetric_padding():
    g = np.random.default_rng(3)
    x, w = leaves(g, (1, 2, 6, 5), (3, 2, 4, 2))  # totals 3 and 1: one extra row/col at the end
    y = F.conv2d(x, w, padding="same")
    padded = np.pad(x.data, ((0, 0), (0, 0), (1, 2), (0, 1)))
    expected = reference.conv2d_forward(padded, w.data, None, (1, 1), (0, 0), (1, 1), 1)
    assert y.shape == x.shape[:1] + (3,) + x.shape[2:]
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    assert tinycnn.gradcheck(lambda x, w: F.conv2d(x, w, padding="same", dilation=1), [x, w])


@st.composite
def pool_configs(draw, dilated):
    KH, KW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    extent = (dilation[0] * (KH - 1) + 1, dilation[1] * (KW - 1) + 1)
    padding = (draw(st.integers(0, extent[0] // 2)), draw(st.integers(0, extent[1] // 2)))
    H = max(1, extent[0] - 2 * padding[0]) + draw(st.integers(0, 4))
    W = max(1, extent[1] - 2 * padding[1]) + draw(st.integers(0, 4))
    return dict(
        shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), H, W),
        kernel_size=(KH, KW),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=padding,
        dilation=dilation,
        ceil_mode=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


@FEW
@given(pool_configs(dilated=True))
def test_max_pool2d(cfg):
    # Distinct, well-separated values: a finite-difference step must not change the argmax.
    g = np.random.default_rng(cfg.pop("seed"))
    shape = cfg.pop("shape")
    values = g.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    x = tinycnn.tensor(values, requires_grad=True, dtype=np.float64)
    # A dilated window can have every tap in the padding (H=1, kernel 2, dilation 2,
    # padding 1): its output is -inf, as in torch, and has no derivative to check.
    assume(np.isfinite(F.max_pool2d(x, **cfg).data).all())
    assert tinycnn.gradcheck(lambda x: F.max_pool2d(x, **cfg), [x])


@FEW
@given(pool_configs(dilated=False), st.booleans())
def test_avg_pool2d(cfg, count_include_pad):
    g = np.random.default_rng(cfg.pop("seed"))
    (x,) = leaves(g, cfg.pop("shape"))
    cfg.pop("dilation")
    assert tinycnn.gradcheck(
        lambda x: F.avg_pool2d(x, count_include_pad=count_include_pad, **cfg), [x]
    )


@FEW
@given(
    st.integers(1, 7), st.integers(1, 7), st.integers(1, 5), st.integers(1, 5),
    st.integers(0, 2**16),
)  # fmt: skip
def test_adaptive_avg_pool2d(H, W, OH, OW, seed):
    (x,) = leaves(np.random.default_rng(seed), (2, 2, H, W))
    assert tinycnn.gradcheck(lambda x: F.adaptive_avg_pool2d(x, (OH, OW)), [x])


@FEW
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**16))
def test_local_response_norm(size, C, seed):
    (x,) = leaves(np.random.default_rng(seed), (2, C, 3, 2))
    assert tinycnn.gradcheck(
        lambda x: F.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.5), [x]
    )


@FEW
@given(st.sampled_from([(4, 3), (2, 3, 4), (2, 3, 2, 3)]), st.booleans(), st.integers(0, 2**16))
def test_batch_norm(shape, training, seed):
    g = np.random.default_rng(seed)
    C = shape[1]
    x, weight, bias = leaves(g, shape, (C,), (C,))
    running_mean, running_var = g.standard_normal(C), g.uniform(0.5, 2.0, C)

    def fn(x, weight, bias):
        # copies: the check calls fn many times and training updates the stats in place
        return F.batch_norm(
            x, running_mean.copy(), running_var.copy(), weight, bias, training=training
        )

    assert tinycnn.gradcheck(fn, [x, weight, bias])


@FEW
@given(st.integers(0, 2**16))
def test_relu_linear_log_softmax_cross_entropy(seed):
    g = np.random.default_rng(seed)
    x, w, b = leaves(g, (4, 5), (3, 5), (3,))
    target = g.integers(0, 3, 4)
    assert tinycnn.gradcheck(lambda x: F.relu(x), [x])
    assert tinycnn.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, w, b])
    assert tinycnn.gradcheck(lambda x: F.log_softmax(x, dim=0), [x])
    for reduction in ("mean", "sum", "none"):
        assert tinycnn.gradcheck(
            lambda x, w, reduction=reduction: F.cross_entropy(
                F.linear(x, w), target, reduction=reduction, label_smoothing=0.2
            ),
            [x, w],
        )


def test_cat_and_flatten():
    g = np.random.default_rng(0)
    a, b = leaves(g, (2, 1, 3), (2, 4, 3))
    assert tinycnn.gradcheck(lambda a, b: F.flatten(tinycnn.cat([a, b, a], dim=1), 1), [a, b])


def test_dropout_with_a_fixed_seed():
    (x,) = leaves(np.random.default_rng(0), (3, 4))

    def fn(x):
        tinycnn.manual_seed(7)  # the same mask on every call
        return F.dropout(x, p=0.4)

    assert tinycnn.gradcheck(fn, [x])


@FEW
@given(pool_configs(dilated=False), st.integers(1, 7))
def test_avg_pool2d_with_divisor_override(cfg, divisor):
    g = np.random.default_rng(cfg.pop("seed"))
    (x,) = leaves(g, cfg.pop("shape"))
    cfg.pop("dilation")
    assert tinycnn.gradcheck(lambda x: F.avg_pool2d(x, divisor_override=divisor, **cfg), [x])


GENERATOR = np.random.default_rng(15)
TARGET_4 = GENERATOR.integers(0, 5, 4)
TARGET_4_IGNORED = np.array([2, -100, 0, 4])
PIXEL_TARGET = GENERATOR.integers(0, 5, (2, 3, 2))
PROBABILITIES = GENERATOR.dirichlet(np.ones(5), size=4)
CLASS_WEIGHT = GENERATOR.uniform(0.5, 2.0, 5)


@pytest.mark.parametrize(
    "name, fn, shape",
    [
        ("sigmoid", F.sigmoid, (3, 4)),
        ("tanh", F.tanh, (3, 4)),
        ("softmax", lambda x: F.softmax(x, dim=1), (3, 4)),
        ("leaky_relu", lambda x: F.leaky_relu(x, 0.3), (3, 4)),
        ("log_softmax_dtype", lambda x: F.log_softmax(x, 0, dtype=np.float64), (4,)),
        ("mse_loss", lambda x: F.mse_loss(x[0], x[1]), (2, 3, 4)),
        ("mse_loss_none", lambda x: F.mse_loss(x[0], x[1], reduction="none"), (2, 5)),
        ("nll_loss", lambda x: F.nll_loss(x, TARGET_4_IGNORED, CLASS_WEIGHT), (4, 5)),
        ("cross_entropy_weight", lambda x: F.cross_entropy(x, TARGET_4, CLASS_WEIGHT), (4, 5)),
        (
            "cross_entropy_ignored_smoothed",
            lambda x: F.cross_entropy(x, TARGET_4_IGNORED, CLASS_WEIGHT, label_smoothing=0.3),
            (4, 5),
        ),
        ("cross_entropy_pixels", lambda x: F.cross_entropy(x, PIXEL_TARGET), (2, 5, 3, 2)),
        (
            "cross_entropy_probabilities",
            lambda x: F.cross_entropy(x, PROBABILITIES, CLASS_WEIGHT, label_smoothing=0.1),
            (4, 5),
        ),
    ],
)
def test_activations_and_losses(name, fn, shape):
    (x,) = leaves(np.random.default_rng(len(name)), shape)
    assert tinycnn.gradcheck(fn, [x])


def test_max_unpool2d_and_max_pool2d_indices():
    (x,) = leaves(np.random.default_rng(3), (2, 2, 6, 5))
    _, indices = F.max_pool2d(x, 2, return_indices=True)
    assert tinycnn.gradcheck(lambda x: F.max_pool2d(x, 2, return_indices=True)[0], [x])
    (y,) = leaves(np.random.default_rng(4), indices.shape)
    assert tinycnn.gradcheck(lambda y: F.max_unpool2d(y, indices, 2, output_size=x.shape), [y])


def test_dropout2d_with_a_fixed_seed():
    (x,) = leaves(np.random.default_rng(1), (2, 5, 3, 2))

    def fn(x):
        tinycnn.manual_seed(3)  # the same channel mask on every call
        return F.dropout2d(x, p=0.4)

    assert tinycnn.gradcheck(fn, [x])
