"""`tinycnn summary MODEL [--input 3x224x224]`: the table of `tinycnn.summary` for a builder.

    tinycnn summary resnet18
    tinycnn summary alexnet_paper --input 3x227x227

One row per layer (output shape, parameters, multiply-accumulates, receptive field,
activation memory, im2col workspace), then the totals. The model is built with fresh
weights: none of the numbers depend on their values.
"""

import inspect
import sys

from tinycnn import models
from tinycnn.summary import summary

DEFAULT_INPUT = "3x224x224"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "summary",
        help="a model's layers: shapes, parameters, MACs, receptive fields, memory",
        description="Print one row per layer of a model (output shape, parameters, "
        "multiply-accumulates, receptive field, activation memory, im2col workspace) and "
        "the totals, for one input image.",
    )
    parser.add_argument("model", metavar="MODEL", help="a builder of tinycnn.models, e.g. resnet18")
    parser.add_argument(
        "--input",
        default=DEFAULT_INPUT,
        metavar="CxHxW",
        help=f"the size of one input image (default {DEFAULT_INPUT})",
    )
    return parser


def run(args):
    try:
        input_size = parse_input_size(args.input)
        if args.model not in models.list_models():
            raise ValueError(
                f"MODEL must be one of {', '.join(models.list_models())}, got {args.model!r}"
            )
        table = str(summary(build(args.model), input_size))
    except (ValueError, TypeError, NotImplementedError) as error:
        # the user's doing: a bad name or size, or an input the model cannot take
        print(f"tinycnn summary: {error}", file=sys.stderr)
        return 1
    print(table)
    return 0


def build(name):
    """The model `name`, skipping the builder's own initialization pass where it offers one.

    The summary counts the weights but never reads them, and VGG's second pass over its 138
    million weights (`init_weights=True`) takes seconds.
    """
    builder = getattr(models, name)
    if "init_weights" in inspect.signature(builder).parameters:
        return builder(init_weights=False)
    return builder()


def parse_input_size(text):
    """'3x224x224' -> (3, 224, 224).

    Raises:
        ValueError: unless `text` is three positive integers joined by 'x'.
    """
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise ValueError(
            f"--input must be CxHxW, three positive sizes joined by 'x' (e.g. {DEFAULT_INPUT}), "
            f"got {text!r}"
        )
    return tuple(int(part) for part in parts)
