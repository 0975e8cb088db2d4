"""Recipe: defaults, checks, and the model, optimizer and schedule it builds."""

import dataclasses

import pytest

from tinycnn.optim import SGD, AdamW
from tinycnn.optim.lr_scheduler import CosineAnnealingLR, StepLR
from tinycnn.training import Recipe, TrainingError
from tinycnn.training.recipe import (
    build_model,
    build_optimizer,
    build_scheduler,
    model_arguments,
)


def test_none_takes_the_default_of_the_dataset_and_optimizer():
    recipe = Recipe().completed()
    assert (recipe.model, recipe.dataset, recipe.image_size) == ("small_cnn", "digits", 32)
    assert (recipe.optimizer, recipe.lr, recipe.weight_decay) == ("sgd", 0.1, 5e-4)
    mnist = Recipe(dataset="mnist", data_dir="d", optimizer="adamw").completed()
    assert (mnist.image_size, mnist.lr, mnist.weight_decay) == (28, 1e-3, 1e-2)
    assert Recipe(lr=0.3, image_size=16).completed().lr == 0.3


def test_the_model_gets_the_dataset_channels_only_if_it_is_the_small_cnn():
    digits = Recipe().completed()
    assert model_arguments(digits, 10) == {"num_classes": 10, "in_channels": 1}
    resnet = Recipe(model="resnet18").completed()
    assert resnet.model_channels == 3
    assert model_arguments(resnet, 10) == {"num_classes": 10}
    googlenet = Recipe(model="googlenet").completed()
    assert model_arguments(googlenet, 7) == {"num_classes": 7, "aux_logits": False}


def test_optimizer_and_schedule_follow_the_recipe():
    recipe = Recipe(epochs=9).completed()
    model = build_model("small_cnn", model_arguments(recipe, 10))
    sgd = build_optimizer(recipe, model.parameters())
    assert isinstance(sgd, SGD)
    group = sgd.param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"]) == (0.1, 0.9, True)
    cosine = build_scheduler(recipe, sgd)
    assert isinstance(cosine, CosineAnnealingLR) and cosine.T_max == 9

    adamw = build_optimizer(Recipe(optimizer="adamw").completed(), model.parameters())
    assert isinstance(adamw, AdamW) and adamw.param_groups[0]["weight_decay"] == 1e-2
    step = build_scheduler(Recipe(epochs=9, scheduler="step").completed(), adamw)
    assert isinstance(step, StepLR) and step.step_size == 3
    assert build_scheduler(Recipe(scheduler="none").completed(), adamw) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "lenet"}, "--model must be one of alexnet, "),
        ({"scheduler": "linear"}, "--scheduler must be one of cosine, step, none, got 'linear'"),
        ({"batch_size": 0}, "--batch-size must be an int >= 1, got 0"),
        ({"seed": -1}, "--seed must be an int >= 0, got -1"),
        ({"val_fraction": 1.0}, "--val-fraction must be a finite number in (0, 1), got 1.0"),
        ({"weight_decay": float("nan")}, "--weight-decay must be a finite number >= 0, got nan"),
        ({"subset": 1}, "--subset must be an int >= 2, got 1"),
        ({"augment": "yes"}, "augment must be a bool, got 'yes'"),
    ],
)
def test_bad_values_name_the_option(change, message):
    with pytest.raises(TrainingError) as caught:
        dataclasses.replace(Recipe(), **change).completed()
    assert message in str(caught.value)


def test_a_saved_recipe_reads_back_and_a_malformed_one_is_refused():
    recipe = Recipe(epochs=3, seed=4).completed()
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    with pytest.raises(TrainingError, match="the recipe must have the fields"):
        Recipe.from_dict({**recipe.to_dict(), "extra": 1})
