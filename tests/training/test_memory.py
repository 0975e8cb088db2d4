"""check_memory: an image size whose activations cannot fit in memory is refused, in one
line saying what it would need, before any data opens (issue 16, section 3)."""

import io

import pytest

from tinycnn import cli, models
from tinycnn.commands import evaluate
from tinycnn.summary import summary
from tinycnn.training import TrainingError
from tinycnn.training.memory import format_bytes


def test_an_image_size_beyond_memory_is_refused_with_what_it_would_need(tmp_path, capsys):
    out = tmp_path / "run"
    status = cli.main(["train", "--image-size", "20000", "--subset", "40", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1
    # small_cnn's activations at 256 x 256, from summary, times (20000 / 256)**2 and the
    # default batch of 64 (checked before the data opens: digits resizes all its images)
    model = models.small_cnn(in_channels=1, num_classes=2)
    per_image = sum(layer.activation_bytes for layer in summary(model, (1, 256, 256)).layers)
    needed_tb = 64 * per_image * (20000 / 256) ** 2 / 1e12
    assert err.startswith(
        f"tinycnn train: --image-size 20000 would need about {needed_tb:.1f} TB for the "
        "activations of one batch of 64 1 x 20000 x 20000 images ("
    ), err
    assert "of memory this machine has; choose a smaller --image-size or --batch-size" in err
    assert not out.exists()


@pytest.mark.parametrize("image_size", [20000, 10**400])  # the second: beyond a float
def test_evaluate_refuses_an_edited_image_size_beyond_memory(
    finished, edited_copy, tmp_path, image_size
):
    def edit(saved):
        saved["recipe"]["image_size"] = image_size

    path = edited_copy(finished / "checkpoint.npz", tmp_path / "edited.npz", edit)
    with pytest.raises(TrainingError, match=f"--image-size {image_size} would need about .* TB "
                       "for the activations of one batch of 100 "):  # fmt: skip
        evaluate.report(path, stream=io.StringIO())


def test_byte_counts_read_as_people_write_them():
    assert format_bytes(5) == "5.0 B"
    assert format_bytes(1500) == "1.5 kB"
    assert format_bytes(2_300_000_000_000) == "2.3 TB"
    assert format_bytes(10**400).endswith(",000 TB")  # beyond a float: whole terabytes
