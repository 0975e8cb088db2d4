"""`tinycnn lessons [NAME] [--scale S] [--seeds K] [--json]`: the lecture's claims, measured.

    tinycnn lessons                          # every lesson, one after another
    tinycnn lessons receptive-field          # one lesson
    tinycnn lessons degradation --quick      # the same as --scale quick: seconds
    tinycnn lessons degradation --scale full --seeds 5 --json > degradation.json
    tinycnn lessons batchnorm --pictures pictures/    # also draws its PNGs there

Each lesson prints the claim beside what tinycnn measures; the lessons that draw random
weights or data (those that train, and vanishing-gradients) give each claim a verdict from
several seeds (see tinycnn/lessons).
"""

import os
import sys

from tinycnn import lessons
from tinycnn.lessons.scale import DEFAULT_SEEDS, SCALES, check


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "lessons",
        help="claims of the classic-CNN lecture, measured with tinycnn's layers",
        description="Print each lesson's claim beside what tinycnn measures, with a verdict "
        "(reproduced / not reproduced / inconclusive) from several seeds for the lessons "
        f"that draw random weights or data. Lessons: {', '.join(lessons.names())}.",
    )
    parser.add_argument(
        "name", nargs="?", metavar="NAME", help="one lesson (default: all, in order)"
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--scale", choices=SCALES, default="default",
        help="quick: seconds; default: a minute or two; full: up to ~15 minutes per lesson",
    )  # fmt: skip
    size.add_argument(
        "--quick", dest="scale", action="store_const", const="quick",
        help="the same as --scale quick",
    )  # fmt: skip
    parser.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, metavar="K",
        help=f"seeds per condition of the lessons that draw random weights or data "
        f"(default {DEFAULT_SEEDS}; a verdict needs >= 3)",
    )  # fmt: skip
    parser.add_argument(
        "--json", action="store_true", help="print each lesson as one JSON object per line"
    )
    parser.add_argument(
        "--pictures", metavar="DIR",
        help="also draw the trained lessons' measurements as PNG files in DIR (matplotlib)",
    )  # fmt: skip
    return parser


def run(args):
    try:
        chosen = lessons.names() if args.name is None else [lessons.get(args.name).NAME]
        check(args.scale, args.seeds)
    except ValueError as error:  # an unknown name or a bad --seeds: the user's doing
        print(f"tinycnn {error}", file=sys.stderr)
        return 1
    if args.pictures is not None and not os.path.isdir(args.pictures):
        print(
            f"tinycnn lessons: --pictures must be a directory, got {args.pictures!r}",
            file=sys.stderr,
        )
        return 1
    for name in chosen:
        try:
            lessons.run(
                name, scale=args.scale, seeds=args.seeds, as_json=args.json, pictures=args.pictures
            )
        except ImportError as error:  # --pictures without matplotlib: the message says how
            print(f"tinycnn lessons: {error}", file=sys.stderr)
            return 1
    return 0
