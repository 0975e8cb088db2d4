"""The `tinycnn` command line: the default command and its exit status."""

import subprocess
import sys

from tinycnn import cli


def test_no_command_runs_the_engine_tour_and_it_passes(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "Gradient check, float64" in out
    for op in ("conv2d", "max_pool2d", "batch_norm (train)", "cross_entropy", "cat"):
        assert op in out
    assert "(ok:" in out


def test_python_dash_m_runs_and_options_reach_the_default_command():
    result = subprocess.run(
        [sys.executable, "-m", "tinycnn", "--seed", "1"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Largest relative error over all ops" in result.stdout
