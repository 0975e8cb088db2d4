"""One epoch of training and one pass of evaluation; the Meter's running totals."""

import numpy as np

import tinycnn
from tinycnn import models, rng
from tinycnn.data import DataLoader, TensorDataset
from tinycnn.optim import SGD
from tinycnn.training.loop import evaluate, train_one_epoch
from tinycnn.training.meter import Meter


def test_meter_weights_each_batch_loss_by_its_size_and_counts_correct_predictions():
    meter = Meter(num_classes=2)
    meter.add(1.0, np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]]), np.array([0, 1, 1]))
    meter.add(4.0, np.array([[0.0, 1.0]]), np.array([1]))
    assert (meter.batches, meter.images) == (2, 4)
    assert meter.loss == (1.0 * 3 + 4.0 * 1) / 4
    assert (meter.correct, meter.accuracy) == (3, 0.75)
    np.testing.assert_array_equal(meter.confusion, [[1, 0], [1, 2]])


def tiny_problem():
    tinycnn.manual_seed(0)
    generator = np.random.default_rng(0)
    images = generator.random((12, 1, 8, 8), dtype=np.float32)
    labels = np.arange(12) % 3
    model = models.small_cnn(num_classes=3, width=4)
    return model, DataLoader(TensorDataset(images, labels), batch_size=4)


def test_training_updates_the_weights_and_reports_each_batch():
    model, loader = tiny_problem()
    before = model.features[0].weight.data.copy()
    seen = []
    meter = train_one_epoch(
        model, loader, SGD(model.parameters(), lr=0.1), 3, lambda m: seen.append(m.batches)
    )
    assert seen == [1, 2, 3] and meter.images == 12
    assert not np.array_equal(model.features[0].weight.data, before)
    assert model.training


def test_evaluation_changes_nothing_and_draws_no_random_numbers():
    model, loader = tiny_problem()
    state = {key: value.copy() for key, value in model.state_dict().items()}
    random_state = rng.generator().bit_generator.state
    first = evaluate(model, loader, 3)
    second = evaluate(model, loader, 3)
    assert rng.generator().bit_generator.state == random_state
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key], err_msg=key)
    assert first.loss == second.loss and first.images == 12
    assert not model.training
