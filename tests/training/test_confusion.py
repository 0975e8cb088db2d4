"""The confusion matrix and its table, against counts made by hand."""

import numpy as np

from tinycnn.training.confusion import confusion_matrix, format_confusion


def test_counts_every_true_and_predicted_pair():
    targets = np.array([0, 0, 1, 2, 2, 2, 1])
    predictions = np.array([0, 2, 1, 2, 1, 2, 1])
    # By hand: class 0 -> predicted 0 once, 2 once; class 1 -> 1 twice; class 2 -> 2 twice, 1 once.
    expected = np.array([[1, 0, 1], [0, 2, 0], [0, 1, 2]])
    matrix = confusion_matrix(targets, predictions, 3)
    assert matrix.dtype == np.int64
    np.testing.assert_array_equal(matrix, expected)


def test_a_class_never_seen_has_a_zero_row_and_column():
    matrix = confusion_matrix(np.array([0, 0]), np.array([0, 1]), 4)
    np.testing.assert_array_equal(matrix, [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])


def test_the_table_has_a_row_per_true_class_with_its_share_correct():
    matrix = np.array([[3, 1], [0, 0]])
    lines = format_confusion(matrix, ["cat", "dog"]).splitlines()
    assert lines[0].split() == ["true", "\\", "predicted", "0", "1", "correct"]
    assert lines[1].split() == ["0", "cat", "3", "1", "75.00%"]
    assert lines[2].split() == ["1", "dog", "0", "0", "-"]


def test_class_names_that_are_their_index_are_not_repeated():
    lines = format_confusion(np.eye(2, dtype=np.int64), ["0", "1"]).splitlines()
    assert lines[1].split() == ["0", "1", "0", "100.00%"]
