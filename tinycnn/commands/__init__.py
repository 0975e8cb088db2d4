"""The subcommands of the `tinycnn` command line, one module each.

Each module defines `add_parser(subparsers)`, which registers the subcommand and its
options, and `run(args) -> int`, which carries it out and returns the exit status.
"""
