"""`check --plug`: the learner's code runs inside a real network."""

import types

from tinycnn import cli, exercises
from tinycnn.kernels import textbook


def test_plugging_a_solution_trains_small_cnn_to_95_percent_with_it():
    calls = []

    def relu_backward(dy, y):
        calls.append(dy.shape)
        return textbook.relu_backward(dy, y)

    learner = types.SimpleNamespace(relu_backward=relu_backward)
    report = exercises.get("relu_backward").plug_in(learner, progress=lambda line: None)
    accuracy = float(report.split(": ")[-1].removesuffix("% test accuracy"))
    assert accuracy >= 95.0, report
    # The network really ran the learner's function: three ReLUs in every training step.
    assert len(calls) == 3 * 3 * 45  # epochs x steps (1,438 digits in batches of 32) x ReLUs


def test_check_with_plug_prints_what_the_network_did(tmp_path, capsys):
    path = tmp_path / "receptive_field.py"
    path.write_text(
        exercises.get("receptive_field").SKELETON.split("def receptive_field")[0]
        + "from tinycnn.exercises.solutions.receptive_field import receptive_field\n"
    )
    assert cli.main(["exercises", "check", str(path), "--plug"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PASSED receptive_field")
    assert "conv5  (163, 16, 15.0)  ok" in out  # AlexNet's conv5 sees 163 x 163 pixels


def test_a_plugged_block_is_compared_with_the_library_in_resnet18():
    solution = exercises.solution("basic_block")
    exercise = exercises.get("basic_block")
    report = exercise.plug_in(solution, progress=None)
    assert report.endswith("differ from the library's by 0.0e+00 (relative)"), report

    class BlockWithoutLastRelu(solution.BasicBlock):
        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return out + (x if self.downsample is None else self.downsample(x))

    learner = types.SimpleNamespace(BasicBlock=BlockWithoutLastRelu)
    report = exercise.plug_in(learner, progress=None)
    difference = float(report.split(" by ")[-1].removesuffix(" (relative)"))
    assert difference > 0.01, report
