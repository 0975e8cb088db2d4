"""`tinycnn lessons`: the CLI prints a lesson; an unknown name is a one-line error."""

import pytest

from tinycnn import cli, lessons


def test_one_lesson_prints_claim_and_measurement(capsys):
    assert cli.main(["lessons", "bottleneck", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "Claim:" in out
    assert "two 3x3 / bottleneck" in out
    assert "1,179,648" in out and "69,632" in out


def test_unknown_lesson_is_a_one_line_error(capsys):
    assert cli.main(["lessons", "no-such-lesson"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "NAME must be one of receptive-field" in lines[0]
    assert "got 'no-such-lesson'" in lines[0]


def test_run_returns_the_numbers_it_prints(capsys):
    numbers = lessons.run("dense-block")
    assert str(numbers["layer_inputs"][-1]) in capsys.readouterr().out


def test_get_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="lessons: NAME must be one of"):
        lessons.get("nope")
