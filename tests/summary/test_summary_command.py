"""`tinycnn summary MODEL [--input CxHxW]`: the table on stdout, one-line errors on stderr."""

import pytest

from tinycnn import cli, models
from tinycnn.commands import summary as summary_command
from tinycnn.summary import summary


def test_prints_the_table_of_the_builder(capsys):
    assert cli.main(["summary", "squeezenet1_1", "--input", "3x64x64"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == str(summary(models.squeezenet1_1(), (3, 64, 64)))
    assert "Total params: 1,235,496" in out


def test_default_input_is_224(capsys):
    assert cli.main(["summary", "squeezenet1_1"]) == 0
    assert "Input 1 x 3 x 224 x 224 (float32)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["summary", "resnet7"], "MODEL must be one of alexnet, alexnet_paper, "),
        (["summary", "squeezenet1_1", "--input", "3x224"], "--input must be CxHxW"),
        (["summary", "squeezenet1_1", "--input", "3x0x224"], "got '3x0x224'"),
        (["summary", "squeezenet1_1", "--input", "axbxc"], "got 'axbxc'"),
        (["summary", "squeezenet1_1", "--input", "3x8x8"], "max_pool2d: the kernel"),
    ],
)
def test_user_errors_print_one_line_and_fail(argv, message, capsys):
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinycnn summary: ")
    assert message in lines[0]


def test_input_size_parsing_ignores_the_case_of_x():
    assert summary_command.parse_input_size("3X32x16") == (3, 32, 16)
