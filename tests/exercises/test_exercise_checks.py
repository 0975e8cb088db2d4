"""Every skeleton fails its check, every solution passes, and the command line works."""

import subprocess
import sys
from pathlib import Path

import pytest

from tinycnn import cli, exercises
from tinycnn.exercises import learner_file

NAMES = exercises.names()


def test_the_exercises_the_issue_asks_for_are_listed_in_order(capsys):
    assert NAMES == [
        "im2col", "conv2d_loops", "conv2d_im2col", "conv2d_backward", "max_pool2d",
        "avg_pool2d", "relu_backward", "batch_norm", "local_response_norm", "dropout",
        "softmax_cross_entropy", "sgd_momentum", "sigmoid_function", "basic_block",
        "dense_layer", "receptive_field",
    ]  # fmt: skip
    assert cli.main(["exercises"]) == 0
    listing = capsys.readouterr().out
    assert all(f". {name}" in listing for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_an_untouched_skeleton_fails_its_check(name, tmp_path, capsys):
    assert cli.main(["exercises", "start", name, str(tmp_path)]) == 0
    path = tmp_path / f"{name}.py"
    assert "raise NotImplementedError" in path.read_text()
    assert f"tinycnn exercises check {path}" in path.read_text()
    capsys.readouterr()
    assert cli.main(["exercises", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"FAILED {name}\n")
    assert "raises NotImplementedError" in out and "case: " in out


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_passes_its_check(name):
    assert exercises.get(name).check(exercises.solution(name)) > 0


def test_a_solution_file_passes_through_the_command_line(tmp_path, capsys):
    solution = Path(exercises.solution("receptive_field").__file__)
    path = tmp_path / "receptive_field.py"
    path.write_text(solution.read_text())
    assert cli.main(["exercises", "check", str(path)]) == 0
    assert capsys.readouterr().out.startswith("PASSED receptive_field: ")


def test_start_never_overwrites_the_learners_file(tmp_path, capsys):
    path = tmp_path / "im2col.py"
    path.write_text("my work")
    assert cli.main(["exercises", "start", "im2col", str(tmp_path)]) == 1
    assert path.read_text() == "my work"
    assert "already exists" in capsys.readouterr().err


def test_bad_names_and_files_are_reported_plainly(tmp_path, capsys):
    assert cli.main(["exercises", "start", "no_such", str(tmp_path)]) == 1
    assert "NAME must be one of im2col, " in capsys.readouterr().err
    assert cli.main(["exercises", "check", str(tmp_path / "im2col.py")]) == 1
    assert "no file" in capsys.readouterr().err
    (tmp_path / "im2col.py").write_text("def im2col(:\n")
    assert cli.main(["exercises", "check", str(tmp_path / "im2col.py")]) == 1
    assert "does not run: SyntaxError" in capsys.readouterr().err
    (tmp_path / "im2col.py").write_text("def other():\n    pass\n")
    assert cli.main(["exercises", "check", str(tmp_path / "im2col.py")]) == 1
    assert "must define im2col" in capsys.readouterr().err


def test_write_skeleton_refuses_an_existing_file(tmp_path):
    (tmp_path / "x.py").write_text("keep")
    with pytest.raises(learner_file.LearnerFileError, match="already exists"):
        learner_file.write_skeleton(tmp_path / "x.py", "new")
    assert (tmp_path / "x.py").read_text() == "keep"


def test_without_hypothesis_the_command_says_what_to_install():
    # Hypothesis is a test extra, not a dependency: the rest of the command line must work
    # without it, and `tinycnn exercises` must say what is missing.
    script = (
        "import sys; sys.modules['hypothesis'] = None\n"  # as if it were not installed
        "from tinycnn import cli\n"
        "assert cli.main(['summary', '--help']) == 0\n"
    )
    help_run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert help_run.returncode == 0 and "usage: tinycnn summary" in help_run.stdout
    script = script.replace("['summary', '--help']) == 0", "['exercises']) == 1")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "pip install 'tinycnn[exercises]'" in run.stderr
