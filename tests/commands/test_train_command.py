"""`tinycnn train` on the command line: a short run end to end, and one-line errors."""

import os

import pytest

from tinycnn import cli
from tinycnn.training import checkpoint

TINY = ["--subset", "40", "--image-size", "8", "--epochs", "2", "--batch-size", "8"]


def fails_with_one_line(capsys, argv, *fragments):
    """Run `tinycnn <argv>`; it must exit with status 1 and one line on stderr."""
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"tinycnn {argv[0]}: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in captured.err
    return lines[0]


def test_a_short_run_prints_each_epoch_and_the_test_accuracy(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", *TINY, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("small_cnn (24,058 parameters) on digits: 1 x 8 x 8 images")
    assert "36 training / 4 validation / 40 test images" in lines[0]
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["1/2", "2/2"]
    assert any(line.startswith("test accuracy ") for line in lines)
    assert captured.err == ""
    assert sorted(os.listdir(out)) == [".lock", "checkpoint.npz", "log.csv"]
    saved = checkpoint.load(out / "checkpoint.npz")
    assert saved.metadata["epoch"] == 2
    assert saved.metadata["model"] == "small_cnn"
    assert saved.metadata["recipe"]["subset"] == 40


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--model", "resnet19"], ["--model must be one of alexnet,", "got 'resnet19'"]),
        (["--dataset", "imagenet"], ["--dataset must be one of digits, mnist,", "'imagenet'"]),
        (["--optimizer", "rmsprop"], ["--optimizer must be one of sgd, adam, adamw"]),
        (["--epochs", "0"], ["--epochs must be an int >= 1, got 0"]),
        (["--lr", "-1"], ["--lr must be a finite number > 0, got -1.0"]),
        (["--dataset", "mnist"], ["--dataset mnist needs --data-dir"]),
        (["--data-dir", "somewhere"], ["--data-dir is not used by digits", "somewhere"]),
        (["--image-size", "4"], ["--model small_cnn cannot take 1 x 4 x 4 images", "larger"]),
    ],
)
def test_bad_settings_get_one_line_and_create_nothing(tmp_path, capsys, argv, fragments):
    out = tmp_path / "run"
    fails_with_one_line(capsys, ["train", *argv, "--out", str(out)], *fragments)
    assert not out.exists()


def test_a_missing_data_directory_is_named(tmp_path, capsys):
    missing = tmp_path / "no-such-dir"
    fails_with_one_line(
        capsys, ["train", "--dataset", "mnist", "--data-dir", str(missing)], str(missing)
    )


def test_a_corrupt_mnist_file_is_named(tmp_path, capsys):
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"\x00\x00\x08")  # shorter than any IDX header
    fails_with_one_line(
        capsys,
        ["train", "--dataset", "mnist", "--data-dir", str(tmp_path)],
        f"{tmp_path / 'train-images-idx3-ubyte'} is truncated",
    )


def test_a_corrupt_cifar10_batch_is_named(tmp_path, capsys):
    (tmp_path / "data_batch_1").write_bytes(b"these bytes are not a pickle")
    fails_with_one_line(
        capsys,
        ["train", "--dataset", "cifar10", "--data-dir", str(tmp_path)],
        f"{tmp_path / 'data_batch_1'} is not a readable CIFAR-10 batch",
    )


def test_resume_refuses_a_checkpoint_of_another_model_and_keeps_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", *TINY, "--out", str(out)]) == 0
    capsys.readouterr()
    before = (out / "checkpoint.npz").read_bytes()
    fails_with_one_line(
        capsys,
        ["train", "--out", str(out), "--resume", "--model", "resnet18"],
        "--model resnet18 differs from the small_cnn saved in",
        str(out / "checkpoint.npz"),
    )
    fails_with_one_line(
        capsys, ["train", *TINY, "--out", str(out)], "already holds a checkpoint", "--resume"
    )
    assert (out / "checkpoint.npz").read_bytes() == before


def test_resume_refuses_a_truncated_checkpoint_and_leaves_it_alone(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    truncated = b"PK\x03\x04 half a zip"
    (out / "checkpoint.npz").write_bytes(truncated)
    fails_with_one_line(
        capsys,
        ["train", "--out", str(out), "--resume"],
        f"{out / 'checkpoint.npz'} is corrupt or truncated",
    )
    assert (out / "checkpoint.npz").read_bytes() == truncated
    assert sorted(os.listdir(out)) == [".lock", "checkpoint.npz"]


def test_resume_needs_a_run_directory(capsys):
    fails_with_one_line(capsys, ["train", "--resume"], "--resume needs --out")


def test_resume_of_a_directory_without_checkpoint_is_named(tmp_path, capsys):
    fails_with_one_line(
        capsys, ["train", "--out", str(tmp_path), "--resume"], str(tmp_path / "checkpoint.npz")
    )
