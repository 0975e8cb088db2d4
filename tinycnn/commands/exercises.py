"""`tinycnn exercises [start NAME DIR | check FILE [--plug]]`: write parts of the engine.

    tinycnn exercises                          # list the exercises
    tinycnn exercises start im2col work        # write work/im2col.py, a skeleton
    tinycnn exercises check work/im2col.py     # check your function against the oracles
    tinycnn exercises check work/im2col.py --plug   # and train a network with it

The file's name says which exercise it is (im2col.py: exercise im2col). The checks draw
their cases with Hypothesis, which the exercises need (`pip install 'tinycnn[exercises]'`); the
rest of the command line works without it.
"""

import sys
import time
from pathlib import Path


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "exercises",
        help="exercises: write a kernel or a block yourself, check it, plug it into a network",
        description="With no action, list the exercises.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    start = actions.add_parser("start", help="write the skeleton DIR/NAME.py")
    start.add_argument("name", metavar="NAME", help="the exercise")
    start.add_argument("directory", metavar="DIR", help="the folder to write NAME.py in")
    check = actions.add_parser("check", help="check your FILE (named NAME.py)")
    check.add_argument("file", metavar="FILE", help="your solution, e.g. work/im2col.py")
    check.add_argument(
        "--plug", action="store_true",
        help="then run a network with your code in it (trains SmallCNN on the digits)",
    )  # fmt: skip
    return parser


def run(args):
    try:
        # Here, not at the top: the exercises need Hypothesis, an optional dependency.
        from tinycnn import exercises
    except ImportError as error:
        print(
            f"tinycnn exercises: the checks draw their cases with Hypothesis, got {error}; "
            "install it with `pip install 'tinycnn[exercises]'` (or `pip install hypothesis`)",
            file=sys.stderr,
        )
        return 1
    try:
        if args.action == "start":
            return _start(exercises, args.name, args.directory)
        if args.action == "check":
            return _check(exercises, args.file, args.plug)
    except (ValueError, exercises.LearnerFileError) as error:  # the user's doing
        print(f"tinycnn {error}", file=sys.stderr)
        return 1
    _list(exercises)
    return 0


def _list(exercises):
    print("Exercises (tinycnn exercises start NAME DIR, then check DIR/NAME.py):")
    width = max(map(len, exercises.names()))
    for number, name in enumerate(exercises.names(), 1):
        print(f"  {number:2}. {name:{width}}  {exercises.get(name).SUMMARY}")


def _start(exercises, name, directory):
    exercise = exercises.get(name)
    path = Path(directory) / f"{name}.py"
    exercises.write_skeleton(path, exercise.SKELETON.replace("THIS_FILE", str(path)))
    print(f"wrote {path}: fill in {', '.join(exercise.FUNCTIONS)}, then run")
    print(f"  tinycnn exercises check {path}")
    return 0


def _check(exercises, file, plug):
    exercise = exercises.get(Path(file).stem)
    learner = exercises.load_learner_file(file, exercise.FUNCTIONS)
    started = time.perf_counter()
    try:
        cases = exercise.check(learner)
    except exercises.CheckError as failure:
        print(f"FAILED {exercise.NAME}\n{failure}")
        return 1
    seconds = time.perf_counter() - started
    print(f"PASSED {exercise.NAME}: {cases} cases in {seconds:.1f} s")
    if plug:
        print(exercise.plug_in(learner, progress=lambda line: print(f"  {line}", flush=True)))
    return 0
