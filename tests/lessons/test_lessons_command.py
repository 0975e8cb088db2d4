"""`tinycnn lessons`: the CLI prints a lesson, --quick is --scale quick, --json is one
object per lesson; bad names and seeds are one-line errors."""

import json
import sys

import pytest

from tinycnn import cli, lessons
from tinycnn.lessons import scale


def test_one_lesson_prints_claim_and_measurement(capsys):
    assert cli.main(["lessons", "bottleneck", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "Claim:" in out
    assert "two 3x3 / bottleneck" in out
    assert "1,179,648" in out and "69,632" in out


def test_quick_is_the_quick_scale_and_json_carries_the_verdicts(capsys):
    assert cli.main(["lessons", "dropout", "--quick", "--json"]) == 0
    quick = json.loads(capsys.readouterr().out)
    assert cli.main(["lessons", "dropout", "--scale", "quick", "--seeds", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == quick
    assert (quick["lesson"], quick["scale"], quick["seeds"]) == ("dropout", "quick", 3)
    assert len(quick["verdicts"]) == 3
    for verdict in quick["verdicts"]:
        assert verdict["outcome"] in ("reproduced", "not reproduced", "inconclusive")
        assert verdict["source"] and verdict["condition"]
        assert verdict["a"]["seeds"] == 3
    assert len(quick["numbers"]["results"]["dropout"]) == 3


def test_unknown_lesson_is_a_one_line_error(capsys):
    assert cli.main(["lessons", "no-such-lesson"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "NAME must be one of receptive-field" in lines[0]
    assert "got 'no-such-lesson'" in lines[0]


def test_zero_seeds_is_a_one_line_error(capsys):
    assert cli.main(["lessons", "dropout", "--seeds", "0"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == "tinycnn lessons: seeds must be >= 1, got 0"


def test_run_returns_the_numbers_it_prints(capsys):
    numbers = lessons.run("dense-block")
    assert str(numbers["layer_inputs"][-1]) in capsys.readouterr().out


def test_get_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="lessons: NAME must be one of"):
        lessons.get("nope")


def test_scale_check_names_the_argument():
    assert scale.check("full", 5) == ("full", 5)
    with pytest.raises(ValueError, match="lessons: scale must be one of quick, default, full"):
        scale.check("huge", 3)
    with pytest.raises(TypeError, match="lessons: seeds must be an int, got 2.5"):
        scale.check("quick", 2.5)


@pytest.mark.parametrize("name", lessons.names())
def test_every_lesson_runs_at_quick_scale_and_draws_its_pictures(name, tmp_path, capsys):
    assert cli.main(["lessons", name, "--quick", "--pictures", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    title, underline = captured.out.splitlines()[:2]
    assert underline == "=" * len(title)
    assert "Claim:" in captured.out
    assert "yes" not in captured.out.split()  # verdicts: reproduced / not reproduced / ...
    drawn = sorted(tmp_path.iterdir())
    assert [f"wrote {path}" for path in drawn] == sorted(captured.err.splitlines())
    assert bool(drawn) == hasattr(lessons.get(name), "draw")
    for path in drawn:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_pictures_into_a_missing_directory_is_a_one_line_error(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert cli.main(["lessons", "dropout", "--quick", "--pictures", str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and not missing.exists()
    assert captured.err.strip() == (
        f"tinycnn lessons: --pictures must be a directory, got {str(missing)!r}"
    )


def test_pictures_without_matplotlib_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    for module in ("matplotlib", "matplotlib.figure"):  # importing either now fails
        monkeypatch.setitem(sys.modules, module, None)
    assert cli.main(["lessons", "dropout", "--quick", "--pictures", str(tmp_path)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "matplotlib is needed" in lines[0]
    assert list(tmp_path.iterdir()) == []
