"""Receptive fields: which input pixels each output value of a layer depends on.

Along each spatial axis (H and W separately) a feature map's receptive field is three numbers:

    size    how many input pixels one output value sees;
    jump    how far apart, in input pixels, the fields of two neighbouring outputs are
            (the product of the strides so far);
    start   the centre of the first output's field, as an input pixel index.

Output position i sees the input pixels start + i * jump - (size - 1) / 2 up to
start + i * jump + (size - 1) / 2. Indices count from 0 at the image's first pixel; a field
may reach past the image into the padding (negative indices, or indices >= H).

The rules, per axis, for a layer whose input has (size, jump, start) = (r, j, s):

    the input image          r = 1, j = 1, s = 0
    conv or pooling with kernel k, stride t, padding p, dilation d; k' = d (k - 1) + 1:
                             r + (k' - 1) j,   j t,   s + ((k' - 1) / 2 - p) j
    adaptive average pooling from L to O positions: windows of about L / O positions, so
                             k' = the longest window, t = L / O, p = 0. Exact when O
                             divides L; otherwise the windows differ, and size is the
                             largest field, jump the average spacing, start the first
                             window's centre
    global pooling, flatten, anything that leaves no spatial axes: the whole map becomes one
                             position, whose field is the union of the map's fields
                             (adaptive pooling to O = 1)
    elementwise ops, BatchNorm, ReLU, LRN (it mixes channels, not positions), dropout, and
    anything on a tensor without spatial axes (Linear): unchanged
    a merge (concatenation, residual addition, any op with several inputs): the union of
                             the inputs' fields, the smallest window holding each input's
                             window; its jump is that of the inputs of the output's size
                             (in a residual block the strided shortcut and the main path
                             have the same jump; an input broadcast from one position adds
                             its window to every position)

Layers come from the trace (trace.py). Conv2d, MaxPool2d and AvgPool2d layers apply their
rule from their attributes. Everything else, inside other layers and between layers, is
followed through the graph autograd recorded: elementwise and channel operations keep the
field, merges take the union, adaptive pooling and flattening follow their rules from the
shapes alone. A convolution or pooling the trace cannot see the geometry of (F.conv2d,
F.max_pool2d or F.avg_pool2d called directly, or a transpose of spatial axes) makes the
field unknown (None) from there on; so does any operation that changes the height or width
of a map in some other way.
"""

import math
from dataclasses import dataclass

from tinycnn.autograd import conv as conv_functions
from tinycnn.autograd import pooling as pooling_functions
from tinycnn.autograd import shape as shape_functions
from tinycnn.nn.conv import Conv2d
from tinycnn.nn.pooling import AvgPool2d, MaxPool2d
from tinycnn.tensor import Tensor

# Functions that move values between spatial positions by a geometry the graph does not keep.
_OPAQUE_FUNCTIONS = (
    conv_functions.Conv2d,
    pooling_functions.MaxPool2d,
    pooling_functions.AvgPool2d,
    shape_functions.Transpose,
)

_UNKNOWN = "unknown"  # the field cannot be worked out (see the module docstring)
_NO_INPUT = "no input"  # a constant, such as a parameter: it depends on no input pixel


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of a feature map; each attribute is a pair (along H, along W).

    Attributes:
        size: input pixels seen by one output value.
        jump: input pixels between the fields of neighbouring outputs.
        start: input pixel index at the centre of the first output's field.

    Example:
        >>> field = ReceptiveField.of_image()
        >>> field = field.through_window(kernel=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> field.through_window(kernel=(3, 3), stride=(1, 1), padding=(1, 1)).size
        (5, 5)
    """

    size: tuple
    jump: tuple
    start: tuple

    @classmethod
    def of_image(cls):
        """Each input pixel sees itself."""
        return cls((1, 1), (1, 1), (0, 0))

    def through_window(self, kernel, stride, padding, dilation=(1, 1)):
        """The field after a convolution or pooling; each argument is an (H, W) pair."""
        axes = zip(self.size, self.jump, self.start, kernel, stride, padding, dilation, strict=True)
        return _from_axes([_window(*axis) for axis in axes])

    def through_adaptive_pool(self, input_size, output_size):
        """The field after adaptive average pooling from `input_size` to `output_size` (H, W)."""
        axes = zip(self.size, self.jump, self.start, input_size, output_size, strict=True)
        return _from_axes([_adaptive(*axis) for axis in axes])

    @staticmethod
    def union(fields, jump):
        """The smallest field holding each of `fields`' windows, with the given jump."""
        axes = []
        for axis in range(2):
            lows = [f.start[axis] - (f.size[axis] - 1) / 2 for f in fields]
            highs = [f.start[axis] + (f.size[axis] - 1) / 2 for f in fields]
            low, high = min(lows), max(highs)
            axes.append((high - low + 1, jump[axis], (low + high) / 2))
        return _from_axes(axes)


def _window(r, j, s, kernel, stride, padding, dilation):
    """(size, jump, start) along one axis after a window of `kernel` taps."""
    extent = dilation * (kernel - 1) + 1
    return r + (extent - 1) * j, j * stride, s + ((extent - 1) / 2 - padding) * j


def _adaptive(r, j, s, L, OL):
    """(size, jump, start) along one axis after adaptive pooling from L to OL positions.

    Output i averages input positions floor(i L / OL) to ceil((i + 1) L / OL) - 1.
    """
    longest = max(math.ceil((i + 1) * L / OL) - math.floor(i * L / OL) for i in range(OL))
    first = math.ceil(L / OL)  # the length of window 0, which starts at position 0
    return r + (longest - 1) * j, j * L / OL, s + (first - 1) / 2 * j


def _from_axes(axes):
    """A ReceptiveField from [(size, jump, start) along H, (...) along W]; whole numbers as int."""
    size, jump, start = ([_tidy(value) for value in values] for values in zip(*axes, strict=True))
    return ReceptiveField(tuple(size), tuple(jump), tuple(start))


def _tidy(value):
    return int(value) if float(value).is_integer() else value


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def conv_padding(conv):
    """A Conv2d's padding before the first row and column, also for 'valid' and 'same'.

    'same' pads (dilated kernel - 1) in total, torch's way: half of it (rounded down) before.
    """
    if conv.padding == "valid":
        return (0, 0)
    if conv.padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(conv.kernel_size, conv.dilation, strict=True))
    return _pair(conv.padding)


def _is_windowed(module):
    """True for the layers whose field follows from their own attributes."""
    return isinstance(module, (Conv2d, MaxPool2d, AvgPool2d))


def _through_layer(module, field):
    """The field after a Conv2d, MaxPool2d or AvgPool2d layer."""
    if isinstance(module, Conv2d):
        return field.through_window(
            module.kernel_size, module.stride, conv_padding(module), module.dilation
        )
    dilation = _pair(module.dilation) if isinstance(module, MaxPool2d) else (1, 1)
    return field.through_window(
        _pair(module.kernel_size), _pair(module.stride), _pair(module.padding), dilation
    )


def receptive_fields(trace):
    """The receptive field of each layer call's output, in the order of `trace.calls`.

    Args:
        trace: a `Trace` (see trace.py).

    Returns:
        A list with a `ReceptiveField`, or None where it is unknown, for each call. All
        None if the input is not a batch of images (N, C, H, W).
    """
    if trace.input.ndim != 4:
        return [None] * len(trace.calls)
    graph = _FieldGraph(trace.input)
    fields = []
    for call in trace.calls:
        graph.add_layer(call)
        field = graph.field(call.output)
        fields.append(field if isinstance(field, ReceptiveField) else None)
    return fields


class _FieldGraph:
    """Receptive fields of tensors, worked out by walking the autograd graph backwards.

    `known` maps id(tensor) to its field. The trace keeps every tensor alive (its calls hold
    the layers' inputs and outputs, their graph nodes everything in between), so no id is
    reused while the walk runs.
    """

    def __init__(self, image):
        self.known = {id(image): ReceptiveField.of_image()}

    def add_layer(self, call):
        """Give a Conv2d/MaxPool2d/AvgPool2d layer's output the field its geometry implies.

        Other layers need nothing: the graph inside them (BatchNorm, ReLU, Linear, ...) is
        followed like any other operation.
        """
        if not _is_windowed(call.module):
            return
        (image,) = call.inputs  # N x C x H x W
        field = self.field(image)
        if isinstance(field, ReceptiveField):
            field = _through_layer(call.module, field)
        self.known[id(call.output)] = field

    def field(self, tensor):
        """The field of `tensor`, working out those of the tensors it was made from first."""
        stack = [tensor]
        while stack:
            current = stack[-1]
            if id(current) in self.known:
                stack.pop()
                continue
            # NOTE: `_node` is Tensor's record of the operation that made it (tensor.py);
            # tinycnn has no public accessor for it yet (torch's is `grad_fn`).
            node = current._node
            if node is None:  # a leaf that is not the image: a parameter or a constant
                self.known[id(current)] = _NO_INPUT
                stack.pop()
                continue
            parents = [t for t in node.inputs if isinstance(t, Tensor)]
            pending = [t for t in parents if id(t) not in self.known]
            if pending:
                stack.extend(pending)
                continue
            inputs = [(self.known[id(t)], t.shape) for t in parents]
            self.known[id(current)] = _through_function(node.function, inputs, current.shape)
            stack.pop()
        return self.known[id(tensor)]


def _through_function(function, inputs, output_shape):
    """The field of an operation's output from its inputs' (field, shape) pairs."""
    spatial_inputs = [shape for _, shape in inputs if len(shape) == 4]
    if function in _OPAQUE_FUNCTIONS and spatial_inputs:
        return _UNKNOWN
    if function is pooling_functions.AdaptiveAvgPool2d:
        (field, shape), *_ = inputs
        if not isinstance(field, ReceptiveField):
            return field
        return field.through_adaptive_pool(shape[2:], output_shape[2:])
    return _merge(inputs, output_shape)


def _merge(inputs, output_shape):
    """The union of the fields that reach an output of `output_shape` (see the docstring)."""
    fields, jumps = [], []
    for field, shape in inputs:
        if field is _UNKNOWN:
            return _UNKNOWN
        if field is _NO_INPUT:
            continue
        carried, aligned = _carry(field, shape, output_shape)
        if carried is _UNKNOWN:
            return _UNKNOWN
        fields.append(carried)
        if aligned:
            jumps.append(carried.jump)
    if not fields:
        return _NO_INPUT
    if not jumps:  # only broadcast inputs: one position, whose field does not repeat
        jumps = [field.jump for field in fields]
    jump = tuple(max(j[axis] for j in jumps) for axis in range(2))
    return ReceptiveField.union(fields, jump)


def _carry(field, input_shape, output_shape):
    """How an input's field reaches an output that has the same positions.

    Returns (field or _UNKNOWN, aligned): aligned is True when the output's positions are
    the input's own, False when the input reaches every output position from one position.
    """
    spatial_in, spatial_out = len(input_shape) == 4, len(output_shape) == 4
    if spatial_in and spatial_out:
        if input_shape[2:] == output_shape[2:]:
            return field, True
        if input_shape[2:] == (1, 1):
            return field, False
        return _UNKNOWN, False
    if spatial_in:  # the map loses its spatial axes: every position counts
        return field.through_adaptive_pool(input_shape[2:], (1, 1)), True
    if spatial_out and output_shape[2:] != (1, 1):
        return _UNKNOWN, False  # one position spread over a map: positions unknown
    return field, True
