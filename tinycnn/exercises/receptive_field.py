"""Exercise receptive_field: the receptive field of each layer of a stack, by arithmetic."""

from hypothesis import strategies as st

from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import CheckError, Mistake, call, hint_for
from tinycnn.summary.receptive_field import ReceptiveField

NAME = "receptive_field"
SUMMARY = "the receptive field (size, jump, start) after each layer of a stack"
FUNCTIONS = ("receptive_field",)
SOLUTION = "tinycnn.exercises.solutions.receptive_field"
SKELETON = '''"""Exercise receptive_field. Check it with: tinycnn exercises check THIS_FILE"""


def receptive_field(layers):
    """The receptive field along one axis after each layer of a stack of convolutions and
    poolings.

    Each output position of a layer sees a window of input pixels. Along one axis it is
    described by three numbers:
        size   how many input pixels one output value sees;
        jump   the distance, in input pixels, between the fields of neighbouring outputs
               (the product of the strides so far);
        start  the centre of the first output's field, as an input pixel index.
    The input image has size 1, jump 1, start 0. A layer with kernel k, stride s,
    padding p and dilation d spans k' = d * (k - 1) + 1 input positions, and turns
    (size, jump, start) into

        size  + (k' - 1) * jump,   jump * s,   start + ((k' - 1) / 2 - p) * jump

    Args:
        layers: a list of (kernel, stride, padding, dilation) tuples, first layer first.

    Returns:
        a list with one (size, jump, start) tuple per layer.

    Example:
        AlexNet's first convolution, (11, 4, 2, 1), gives (11, 4, 3.0).
    """
    raise NotImplementedError
'''

ALEXNET = [(11, 4, 2, 1), (3, 2, 0, 1), (5, 1, 2, 1), (3, 2, 0, 1), (3, 1, 1, 1), (3, 1, 1, 1),
           (3, 1, 1, 1), (3, 2, 0, 1)]  # fmt: skip
EDGE_CASES = [[(3, 1, 1, 1)], [(3, 1, 1, 1), (3, 1, 1, 1)], [(2, 2, 0, 1), (3, 1, 1, 1)],
              [(3, 1, 0, 2), (3, 1, 0, 1)], ALEXNET]  # fmt: skip
LAYER = st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(0, 3), st.integers(1, 3))
DRAWN = st.lists(LAYER, min_size=1, max_size=6)


def expected_fields(layers):
    """tinycnn.summary's fields (ReceptiveField.through_window), along H."""
    field, fields = ReceptiveField.of_image(), []
    for kernel, stride, padding, dilation in layers:
        field = field.through_window((kernel,) * 2, (stride,) * 2, (padding,) * 2, (dilation,) * 2)
        fields.append((field.size[0], field.jump[0], field.start[0]))
    return fields


def _variant(layers, size_step=None, keep_dilation=True, start_step=None):
    """Fields computed with one rule changed (for recognizing a mistake)."""
    size, jump, start, fields = 1, 1, 0, []
    for kernel, stride, padding, dilation in layers:
        extent = dilation * (kernel - 1) + 1 if keep_dilation else kernel
        size = size + (size_step or (lambda e, j: (e - 1) * j))(extent, jump)
        start = start + (start_step or (lambda e, p, j: ((e - 1) / 2 - p) * j))(extent, padding,
                                                                               jump)  # fmt: skip
        jump = jump * stride
        fields.append((size, jump, start))
    return fields


def check(learner):
    """Compare every layer's (size, jump, start) with tinycnn.summary's."""

    def check_case(layers):
        words = f"layers (kernel, stride, padding, dilation) = {layers}"
        fields = call("receptive_field", words, learner.receptive_field, list(layers))
        expected = expected_fields(layers)
        try:
            actual = [tuple(float(v) for v in field) for field in fields]
        except (TypeError, ValueError):
            problem = f"must return a list of (size, jump, start), got {fields!r}"
            raise CheckError("receptive_field", words, problem) from None
        mistakes = [
            Mistake("the size grows by (k' - 1) * jump: a layer's kernel spans jump input "
                    "pixels per step", lambda: _variant(layers, size_step=lambda e, j: e - 1)),
            Mistake("a dilated kernel spans k' = d * (k - 1) + 1 positions",
                    lambda: _variant(layers, keep_dilation=False)),
            Mistake("start moves by ((k' - 1) / 2 - p) * jump: the padding shifts the first "
                    "window left",
                    lambda: _variant(layers, start_step=lambda e, p, j: (e - 1) / 2 * j)),
        ]  # fmt: skip
        if len(actual) != len(expected):
            raise CheckError(
                "receptive_field", words, f"returned {len(actual)} fields for {len(layers)} layers"
            )
        for i, (got, want) in enumerate(zip(actual, expected, strict=True)):
            if any(abs(g - w) > 1e-9 for g, w in zip(got, want, strict=True)):
                hint = hint_for([tuple(f) for f in actual], [
                    Mistake(m.hint, lambda m=m: [tuple(float(v) for v in f) for f in m.result()])
                    for m in mistakes
                ])  # fmt: skip
                raise CheckError(
                    "receptive_field", words,
                    f"after layer {i + 1} (size, jump, start) is wrong: expected {want}, got {got}",
                    hint,
                )  # fmt: skip

    return run(check_case, EDGE_CASES, DRAWN, drawn=20)


def plug_in(learner, progress):
    """AlexNet's receptive fields by the learner's function beside tinycnn.summary's."""
    names = ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"]
    mine = learner.receptive_field(list(ALEXNET))
    lines = ["AlexNet's receptive fields (size, jump, start) along one axis:"]
    for name, field, expected in zip(names, mine, expected_fields(ALEXNET), strict=True):
        verdict = "ok" if tuple(field) == tuple(expected) else f"library: {expected}"
        lines.append(f"  {name:6} {tuple(field)}  {verdict}")
    return "\n".join(lines)
