"""The confusion matrix: how often each true class was predicted as each class."""

import numpy as np


def confusion_matrix(targets, predictions, num_classes):
    """Count the (true class, predicted class) pairs.

    Args:
        targets: int array (N,) of true classes in [0, K).
        predictions: int array (N,) of predicted classes in [0, K).
        num_classes: K.

    Returns:
        int64 array (K, K): entry [t, p] counts the samples of class t predicted as p, so
        the diagonal holds the correct predictions and each row sums to its class's size.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2)
        array([[1, 0],
               [1, 1]])
    """
    K = num_classes
    pairs = np.asarray(targets, dtype=np.int64) * K + np.asarray(predictions, dtype=np.int64)
    return np.bincount(pairs, minlength=K * K).reshape(K, K)


def format_confusion(matrix, classes):
    """The matrix as a text table: one row per true class, one column per predicted class.

    Columns are headed by the class index (names like "automobile" would make the table
    too wide); each row starts with the index and the name (just the index when the name
    is the index, as for digits), and ends with the share of that class predicted
    correctly (its recall).

    Args:
        matrix: int array (K, K) from `confusion_matrix`.
        classes: the K class names.
    """
    K = len(classes)
    labels = [
        name if name == str(index) else f"{index} {name}" for index, name in enumerate(classes)
    ]
    label_width = max(len("true \\ predicted"), *map(len, labels))
    cell = 1 + max(3, len(str(K - 1)), len(str(int(matrix.max(initial=0)))))
    header = "true \\ predicted".ljust(label_width)
    header += "".join(f"{index:>{cell}}" for index in range(K)) + "   correct"
    lines = [header]
    for true_class, (label, row) in enumerate(zip(labels, matrix, strict=True)):
        total = int(row.sum())
        recall = f"{100 * row[true_class] / total:9.2f}%" if total else f"{'-':>10}"
        lines.append(label.ljust(label_width) + "".join(f"{n:>{cell}}" for n in row) + recall)
    return "\n".join(lines)
