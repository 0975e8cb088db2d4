"""`tinycnn check`: the engine tour (a small CNN forward and backward, then a gradient check
of every op); also what `python -m tinycnn` runs with no command."""

from tinycnn import selfcheck


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "check",
        help="engine tour: a small CNN forward and backward, then a gradcheck of every op",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


def run(args):
    results = selfcheck.run(seed=args.seed)
    worst = max(error for _, _, error in results)
    return 0 if worst < selfcheck.TOLERANCE else 1
