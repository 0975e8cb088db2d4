"""The `tinycnn` command (also `python -m tinycnn`): dispatches to `tinycnn.commands`."""

import argparse
import sys

from tinycnn.commands import check, evaluate, exercises, lessons, predict, summary, train

# Each entry is a module with add_parser(subparsers) and run(args); see tinycnn/commands.
COMMANDS = (check, predict, train, evaluate, summary, lessons, exercises)
DEFAULT_COMMAND = "check"


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinycnn",
        description="tinycnn: a CNN engine in NumPy + Numba. "
        f"With no command, runs '{DEFAULT_COMMAND}'.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    runners = {}
    for command in COMMANDS:
        sub = command.add_parser(subparsers)
        runners[sub.prog.split()[-1]] = command.run
    return parser, runners


def main(argv=None):
    parser, runners = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = [DEFAULT_COMMAND, *argv]
    args = parser.parse_args(argv)
    return runners[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
