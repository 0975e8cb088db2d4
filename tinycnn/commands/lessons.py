"""`tinycnn lessons [NAME] [--quick]`: claims of the classic-CNN lecture, measured.

    tinycnn lessons                    # every lesson, one after another
    tinycnn lessons receptive-field    # one lesson
    tinycnn lessons degradation --quick

Each lesson prints the claim beside what tinycnn measures (see tinycnn/lessons).
"""

import sys

from tinycnn import lessons


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "lessons",
        help="claims of the classic-CNN lecture, measured with tinycnn's layers",
        description="Print each lesson's claim beside what tinycnn measures. Lessons: "
        f"{', '.join(lessons.names())}.",
    )
    parser.add_argument(
        "name", nargs="?", metavar="NAME", help="one lesson (default: all, in order)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller measurements that take seconds"
    )
    return parser


def run(args):
    try:
        chosen = lessons.names() if args.name is None else [lessons.get(args.name).NAME]
    except ValueError as error:  # an unknown name: the user's doing
        print(f"tinycnn {error}", file=sys.stderr)
        return 1
    for name in chosen:
        lessons.run(name, quick=args.quick)
    return 0
