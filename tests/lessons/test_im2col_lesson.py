"""Lesson `im2col`: every method against the loop oracle, the columns' bytes by hand."""

from tinycnn.lessons import im2col


def test_column_bytes_by_hand():
    # VGG-16's conv1_2: 64 channels * 3 * 3 rows, 224 * 224 columns, 4 bytes each.
    assert im2col.column_bytes(1, 64, 224, 3, 1, 1) == 64 * 9 * 224 * 224 * 4
    # AlexNet's conv1: OH = (224 + 4 - 11) // 4 + 1 = 55.
    assert im2col.column_bytes(1, 3, 224, 11, 4, 2) == 3 * 121 * 55 * 55 * 4


def test_quick_run_agrees_with_the_loops_and_measures_the_columns():
    numbers = im2col.measure(scale="quick")
    layer = numbers["layer"]
    N, C, H = layer["N"], layer["C"], layer["H"]
    assert numbers["columns_bytes"] == C * 9 * N * H * H * 4  # stride 1, size kept
    assert numbers["input_bytes"] == N * C * H * H * 4
    assert len(numbers["methods"]) == 4
    for name, method in numbers["methods"].items():
        assert len(method["seconds"]) >= 3 and min(method["seconds"]) > 0, name
        assert method["max_error"] < 1e-4, name  # float32 against the float64 loops
    assert "columns / input" in str(im2col.report(numbers))
