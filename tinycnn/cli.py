"""The `tinycnn` command (also `python -m tinycnn`)."""

import argparse
import sys

from tinycnn import selfcheck


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="tinycnn",
        description="tinycnn: a CNN engine in NumPy + Numba. With no command, runs the "
        "engine tour: a small CNN forward and backward, then a gradient check of every op.",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    results = selfcheck.run(seed=args.seed)
    worst = max(error for _, _, error in results)
    return 0 if worst < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
