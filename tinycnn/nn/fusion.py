"""Fused inference: a convolution's output computed when first read, so that a BatchNorm2d
that follows can join the convolution instead of making a pass of its own.

It is off unless asked for: ``with tinycnn.nn.fused_inference(True):``. Why off: it saved
1-2% of an evaluation forward pass (AMD EPYC, 2 cores, docs/performance.md), and its
cached folded filters see only changes that count in a tensor's version; a write into
``.data`` itself (``conv.weight.data[...] = w``, common in tutorials) does not count, and
would leave the cache stale: a silently wrong answer, for a gain within noise.

With it on, in eval mode, when no graph is recorded (`no_grad`), `Conv2d` returns a
`DeferredConv`: a Tensor whose numbers do not exist yet, only the recipe that makes them
(input, weight, bias, geometry). Then:

    bn(z)      (eval, running statistics)  -> a new DeferredConv whose recipe has the
               BatchNorm folded into the weight and bias (`folding.py`): no pass of its own
    anything else reads z.data             -> z's own recipe runs, once, and z is a plain
               Tensor from then on

Why this design (the alternatives were: fold only a Conv2d followed by a BatchNorm2d in a
Sequential, or pairs that each model declares): it is correct by construction, because
every tensor computes its own value. `y = bn(z); w = z + 1` gives w from z's own recipe,
unfolded; a forward hook on the conv sees z and may read it; a BatchNorm2d in training mode
reads z like anything else. Nothing needs to know who else uses z, and the model files stay
as torchvision writes them (ResNet's blocks call conv1 then bn1 in their forward). The
price: a convolution whose output is read both through a BatchNorm and directly runs twice.

What the deferral must not change is *which* numbers a recipe reads. Its input and
parameters might be changed in place after the call and before the read: a recipe keeps
their versions (Tensor._version) and, if one moved, raises rather than compute from the
new values (as autograd does for a tensor saved for backward). Rebinding `.data`
(`model.double()`) is harmless: the recipe holds the arrays of the call. Writes into
`.data` itself (an ndarray) bypass the version counter, as in torch: don't make them
between a call and the read of its result.

Fusion runs only on the fast kernels: under the textbook set, or with a learner's own
kernels plugged in (`tinycnn.kernels.use`), every op runs as written, so the learner's
batch-norm function is the one called.

NOTE: a ReLU after the convolution is not fused: clamping the convolution's fresh output
in place, or each part of the batch right after its convolution on the same core, was
measured no faster than ReLU's own pass (AMD EPYC, 2 cores), so it would be code for nothing.
"""

import contextlib
import contextvars
from typing import NamedTuple

import numpy as np

from tinycnn.autograd.grad_mode import is_grad_enabled
from tinycnn.kernels.conv.geometry import conv_output_size
from tinycnn.kernels.sets import SETS, active
from tinycnn.tensor import Tensor

_ENABLED = contextvars.ContextVar("tinycnn_fused_inference", default=False)


@contextlib.contextmanager
def fused_inference(enabled):
    """Turn fused inference (this module's docstring) on or off inside the block (in this
    thread). It is off by default (this module's docstring says why); results differ by
    float rounding only.

    Example:
        >>> with fused_inference(True), tinycnn.no_grad():
        ...     logits = model.eval()(images)   # BatchNorms fold into their convolutions
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"fused_inference: enabled must be a bool, got {enabled!r}")
    token = _ENABLED.set(enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def fusing(*tensors):
    """Whether an op on ``tensors`` may fuse: fusion on, the fast kernels in force, and no
    graph to record (grad mode off, or none of the tensors requires grad)."""
    records = is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad for t in tensors)
    return _ENABLED.get() and active() is SETS["fast"] and not records


class _Read(NamedTuple):
    """A tensor a recipe reads: its array and version at the call."""

    tensor: Tensor
    array: np.ndarray
    version: int

    @classmethod
    def of(cls, tensor):
        return None if tensor is None else cls(tensor, tensor.data, tensor._version)

    def changed(self):
        return self.tensor._version != self.version


class ConvRecipe(NamedTuple):
    """How to compute conv2d(x, weight) + bias, and what the result depends on.

    weight and bias are the conv's own (`reads` holds x, conv.weight, conv.bias) or the
    folded ones of a BatchNorm (arrays of their own, never changed: `reads` holds x only).
    """

    x: np.ndarray  # (N, C, H, W)
    weight: np.ndarray  # (OC, C/G, KH, KW)
    bias: np.ndarray | None  # (OC,)
    options: dict  # stride, padding, dilation, groups, as conv2d's kernels take them
    reads: tuple  # of _Read
    folded: bool = False  # a BatchNorm is folded into weight and bias

    def check_unchanged(self):
        for read in self.reads:
            if read is not None and read.changed():
                raise RuntimeError(
                    "conv2d: a tensor this convolution reads (shape "
                    f"{read.array.shape}) was changed in place, version {read.version} -> "
                    f"{read.tensor._version}, before the convolution's output was read. "
                    "In eval mode under no_grad Conv2d computes when its output is first "
                    "read (tinycnn/nn/fusion.py); read it before changing its input or "
                    "parameters, or run without `tinycnn.nn.fused_inference(True)`"
                )

    def compute(self):
        self.check_unchanged()
        return active().conv2d_forward(self.x, self.weight, self.bias, **self.options)


class DeferredConv(Tensor):
    """A Conv2d output computed on first read (see the module docstring).

    Its shape and dtype are known without computing; `.data`, and so every op, computes it.
    """

    def __init__(self, recipe, shape):
        super().__init__(_NO_DATA)
        self._recipe = recipe  # set after __init__, whose `self.data = ...` clears it
        self._shape = shape  # (N, OC, OH, OW)

    @property
    def data(self):
        recipe = self._recipe
        if recipe is not None:
            self._data = recipe.compute()
            self._recipe = None  # and let go of the input
        return self._data

    @data.setter
    def data(self, array):
        self._data = array
        self._recipe = None

    @property
    def pending(self):
        """True until something has read the numbers."""
        return self._recipe is not None

    @property
    def recipe(self):
        return self._recipe

    @property
    def shape(self):
        return self._shape if self.pending else self._data.shape

    @property
    def dtype(self):
        return self._recipe.x.dtype if self.pending else self._data.dtype

    @property
    def ndim(self):
        return len(self.shape)

    def with_folded(self, weight, bias):
        """A new DeferredConv: this convolution with a BatchNorm's folded weight and bias
        (which depend on nothing that can change: only x is left to check)."""
        recipe = self._recipe
        folded = ConvRecipe(recipe.x, weight, bias, recipe.options, recipe.reads[:1], True)
        return DeferredConv(folded, self._shape)


_NO_DATA = np.empty(0)


def conv2d(input, weight, bias, options):
    """conv2d(input, weight, bias, **options) as a DeferredConv; options as conv2d's kernels
    take them (checked by `F._checked_conv2d`)."""
    x, w = input.data, weight.data
    reads = (_Read.of(input), _Read.of(weight), _Read.of(bias))
    recipe = ConvRecipe(x, w, None if bias is None else bias.data, options, reads)
    (N, _, H, W), (OC, _, KH, KW) = x.shape, w.shape
    (SH, SW), (PH, PW), (DH, DW) = options["stride"], options["padding"], options["dilation"]
    OH, OW = conv_output_size(H, KH, SH, PH, DH), conv_output_size(W, KW, SW, PW, DW)
    return DeferredConv(recipe, (N, OC, OH, OW))
