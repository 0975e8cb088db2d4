"""`tinycnn evaluate`: accuracy and confusion matrix of a checkpoint, and one-line errors."""

import io

import numpy as np
import pytest

import tinycnn
from tinycnn import cli, models
from tinycnn.data import Digits
from tinycnn.training import Recipe, checkpoint, train


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The checkpoint of a short run on 8 x 8 digits."""
    out = tmp_path_factory.mktemp("run")
    recipe = Recipe(subset=60, image_size=8, epochs=2, batch_size=8, seed=1)
    train(recipe, out, stream=io.StringIO())
    return out / "checkpoint.npz"


def hand_count(path):
    """The confusion matrix counted one test image at a time, in a plain loop."""
    saved = checkpoint.load(path)
    model = models.small_cnn(**saved.metadata["model_arguments"])
    model.load_state_dict(saved.model_state)
    model.eval()
    counts = np.zeros((10, 10), dtype=int)
    test = Digits(train=False, size=8)
    with tinycnn.no_grad():
        for i in range(len(test)):
            image, label = test[i]
            scores = model(tinycnn.tensor(image[None])).numpy()[0]
            counts[label, int(np.argmax(scores))] += 1
    return counts


def test_accuracy_and_confusion_matrix_match_a_hand_count(trained, capsys):
    assert cli.main(["evaluate", str(trained)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    expected = hand_count(trained)
    correct, total = int(np.trace(expected)), int(expected.sum())
    assert total == 359
    assert lines[0].startswith(f"small_cnn from {trained} (epoch 2) on the digits test split: ")
    assert f"accuracy {100 * correct / total:.2f}% ({correct}/{total})" in lines[0]
    assert lines[2].split() == ["true", "\\", "predicted", *map(str, range(10)), "correct"]
    rows = [line.split() for line in lines[3:13]]
    assert [row[0] for row in rows] == [str(digit) for digit in range(10)]
    np.testing.assert_array_equal([[int(n) for n in row[1:11]] for row in rows], expected)


def fails_with_one_line(capsys, argv, *fragments):
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinycnn evaluate: "), captured.err
    for fragment in fragments:
        assert fragment in lines[0]
    assert captured.out == ""


def test_a_missing_checkpoint_is_named(tmp_path, capsys):
    path = tmp_path / "nothing.npz"
    fails_with_one_line(capsys, ["evaluate", str(path)], f"no checkpoint file {path}")


def test_a_truncated_checkpoint_is_named(trained, tmp_path, capsys):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(trained.read_bytes()[:1000])
    fails_with_one_line(capsys, ["evaluate", str(path)], f"{path} is corrupt or truncated")


def test_a_checkpoint_holding_another_networks_weights_is_refused(trained, tmp_path, capsys):
    saved = checkpoint.load(trained)
    other = models.squeezenet1_1(num_classes=10)
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, other.state_dict(), saved.optimizer_state, saved.metadata)
    fails_with_one_line(
        capsys,
        ["evaluate", str(path)],
        f"{path} does not hold 'small_cnn' weights",
        "Missing key(s): ",
    )


def test_a_dataset_with_more_channels_than_the_model_takes_is_refused(trained, capsys):
    fails_with_one_line(
        capsys,
        ["evaluate", str(trained), "--dataset", "cifar10", "--data-dir", "anywhere"],
        "--dataset cifar10 has 3-channel images but the small_cnn",
        "takes 1-channel images",
    )


def test_an_unknown_dataset_is_named(trained, capsys):
    fails_with_one_line(
        capsys,
        ["evaluate", str(trained), "--dataset", "svhn"],
        "--dataset must be one of",
        "'svhn'",
    )
