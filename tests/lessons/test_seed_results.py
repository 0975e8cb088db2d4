"""`tinycnn.lessons.seed_results`: per-seed results turned into values and table rows."""

from tinycnn.lessons.seed_results import mean_loss_rows, summary_rows, values_per_seed

# Two conditions, two seeds each; every number is exact in binary, so means are too.
RUNS = {
    "plain": [
        {"final_loss": 0.5, "test_accuracy": 0.25, "epoch_losses": [2.0, 1.0, 0.5]},
        {"final_loss": 1.5, "test_accuracy": 0.75, "epoch_losses": [3.0, 2.0, 1.5]},
    ],
    "deep": [
        {"final_loss": 2.0, "test_accuracy": 0.5, "epoch_losses": [4.0, 3.0, 2.0]},
        {"final_loss": 4.0, "test_accuracy": 0.5, "epoch_losses": [6.0, 5.0, 4.0]},
    ],
}


def test_values_per_seed_gathers_each_key_over_the_seeds():
    values = values_per_seed(RUNS, ("final_loss", "test_accuracy"))
    assert values == {
        "plain": {"final_loss": [0.5, 1.5], "test_accuracy": [0.25, 0.75]},
        "deep": {"final_loss": [2.0, 4.0], "test_accuracy": [0.5, 0.5]},
    }
    scores = {"a": [{"train_accuracy": 1.0, "gap": 0.25}, {"train_accuracy": 0.5, "gap": 0.0}]}
    assert values_per_seed(scores) == {"a": {"train_accuracy": [1.0, 0.5], "gap": [0.25, 0.0]}}


def test_summary_rows_give_each_condition_mean_and_spread():
    values = values_per_seed(RUNS, ("final_loss", "test_accuracy"))
    # plain: mean 1, sample standard deviation sqrt(0.5) = 0.707; deep: 3 and sqrt(2) = 1.41.
    assert summary_rows(values, ("final_loss",)) == [("plain", "1 ± 0.71"), ("deep", "3 ± 1.4")]
    assert [row[2] for row in summary_rows(values, ("final_loss", "test_accuracy"))] == [
        "0.5 ± 0.35",
        "0.5 ± 0",
    ]


def test_mean_loss_rows_average_each_epoch_over_the_seeds():
    assert mean_loss_rows(RUNS, 3) == [(1, 2.5, 5.0), (2, 1.5, 4.0), (3, 1.0, 3.0)]
