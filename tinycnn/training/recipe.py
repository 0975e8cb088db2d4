"""`Recipe`: the settings of a training run, and the model, optimizer and schedule they build.

The defaults are those of `tinycnn train` with no options: the small CNN on the shipped
digits, SGD with Nesterov momentum and a cosine learning-rate schedule. A checkpoint
stores the completed recipe, so that `--resume` continues with exactly the same settings.
"""

import dataclasses
from dataclasses import dataclass

from tinycnn import models
from tinycnn.data import checks
from tinycnn.optim import SGD, Adam, AdamW
from tinycnn.optim.lr_scheduler import CosineAnnealingLR, StepLR
from tinycnn.training import datasets
from tinycnn.training.errors import TrainingError

DEFAULT_MODEL = "small_cnn"
OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}
SCHEDULERS = ("cosine", "step", "none")

# Per optimizer: the learning rate and weight decay used unless given. SGD's are tuned for
# the small CNN on digits (on the validation split); Adam's and AdamW's are torch's.
DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "adamw": 1e-3}
DEFAULT_WEIGHT_DECAY = {"sgd": 5e-4, "adam": 0.0, "adamw": 1e-2}
SGD_MOMENTUM = 0.9
# Images per update unless given; a training split smaller than this (a --subset run) is
# one batch of all its images.
DEFAULT_BATCH_SIZE = 64


@dataclass(frozen=True)
class Recipe:
    """The settings of a run; `None` means "the default for the dataset or optimizer".

    Attributes:
        model: a name from `tinycnn.models.list_models()`.
        dataset: a name from `tinycnn.training.datasets.DATASETS`.
        data_dir: the dataset's directory (None for digits).
        image_size: S, images are S x S; None: the dataset's own size.
        epochs: passes over the training images.
        batch_size: images per update; None: `DEFAULT_BATCH_SIZE`, or every training
            image if there are fewer (the trainer settles it once the data is open).
        optimizer: "sgd" (Nesterov momentum 0.9), "adam" or "adamw".
        lr: the starting learning rate; None: `DEFAULT_LR[optimizer]`.
        weight_decay: None: `DEFAULT_WEIGHT_DECAY[optimizer]`.
        scheduler: "cosine" (to 0 at the last epoch), "step" (x0.1 every third of the
            epochs) or "none".
        augment: random crops (and flips for photos) of the training images.
        val_fraction: the share of the training images held out for validation.
        subset: N, to train on N random images of the training split (validation
            included) and test on N, for a quick try; None: every image.
        seed: seeds the weights, the order of the batches, the augmentation and the
            validation split.
    """

    model: str = DEFAULT_MODEL
    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int | None = None
    epochs: int = 12
    batch_size: int | None = None
    optimizer: str = "sgd"
    lr: float | None = None
    weight_decay: float | None = None
    scheduler: str = "cosine"
    augment: bool = True
    val_fraction: float = 0.1
    subset: int | None = None
    seed: int = 0

    def completed(self):
        """A copy with every None replaced by its default, after checking every value.

        Raises:
            TrainingError: a value out of range or an unknown name, naming the option.
        """
        _one_of("--model", self.model, models.list_models())
        _one_of("--dataset", self.dataset, list(datasets.DATASETS))
        _one_of("--optimizer", self.optimizer, list(OPTIMIZERS))
        _one_of("--scheduler", self.scheduler, list(SCHEDULERS))
        recipe = dataclasses.replace(
            self,
            image_size=_default(self.image_size, datasets.native_size(self.dataset)),
            lr=_default(self.lr, DEFAULT_LR[self.optimizer]),
            weight_decay=_default(self.weight_decay, DEFAULT_WEIGHT_DECAY[self.optimizer]),
            data_dir=None if self.data_dir is None else str(self.data_dir),
        )
        _at_least("--epochs", recipe.epochs, 1)
        if recipe.batch_size is not None:
            _at_least("--batch-size", recipe.batch_size, 1)
        _at_least("--image-size", recipe.image_size, 1)
        _at_least("--seed", recipe.seed, 0)
        if recipe.subset is not None:
            _at_least("--subset", recipe.subset, 2)
        _number("--lr", recipe.lr, lambda lr: lr > 0, "> 0")
        _number("--weight-decay", recipe.weight_decay, lambda decay: decay >= 0, ">= 0")
        _number("--val-fraction", recipe.val_fraction, lambda share: 0 < share < 1, "in (0, 1)")
        if not isinstance(recipe.augment, bool):
            raise TrainingError(f"augment must be a bool, got {recipe.augment!r}")
        return recipe

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, saved):
        """The recipe a checkpoint stored (see `to_dict`); TrainingError if it is malformed."""
        names = {field.name for field in dataclasses.fields(cls)}
        if not isinstance(saved, dict) or set(saved) != names:
            raise TrainingError(f"the recipe must have the fields {sorted(names)}, got {saved!r}")
        return cls(**saved).completed()

    @property
    def model_channels(self):
        """The channels the model takes: the dataset's for small_cnn, else 3 (RGB stems)."""
        return datasets.channels(self.dataset) if self.model == DEFAULT_MODEL else 3


def _default(value, default):
    return default if value is None else value


def _one_of(option, value, choices):
    if value not in choices:
        raise TrainingError(f"{option} must be one of {', '.join(choices)}, got {value!r}")


def _number(option, value, holds, constraint):
    """Raise unless `value` is a finite real number for which `holds(value)`."""
    if not checks.is_finite_number(value) or not holds(value):
        raise TrainingError(f"{option} must be a finite number {constraint}, got {value!r}")


def _at_least(option, value, minimum):
    if not checks.is_int(value) or value < minimum:
        raise TrainingError(f"{option} must be an int >= {minimum}, got {value!r}")


def model_arguments(recipe, num_classes):
    """The keyword arguments the model's builder gets: a JSON-able dict, saved in checkpoints.

    GoogLeNet is built without its two auxiliary classifiers: they helped the paper's
    22 layers train on ImageNet and only add work here (the trainer uses the main output).
    """
    arguments = {"num_classes": num_classes}
    if recipe.model == DEFAULT_MODEL:
        arguments["in_channels"] = recipe.model_channels
    if recipe.model in ("googlenet", "googlenet_paper"):
        arguments["aux_logits"] = False
    return arguments


def build_model(name, arguments):
    """`tinycnn.models.get_model(name, **arguments)`, refusing unknown names with one line."""
    _one_of("--model", name, models.list_models())
    return models.get_model(name, **arguments)


def build_optimizer(recipe, parameters):
    if recipe.optimizer == "sgd":
        return SGD(
            parameters,
            lr=recipe.lr,
            momentum=SGD_MOMENTUM,
            weight_decay=recipe.weight_decay,
            nesterov=True,
        )
    return OPTIMIZERS[recipe.optimizer](parameters, lr=recipe.lr, weight_decay=recipe.weight_decay)


def build_scheduler(recipe, optimizer):
    """The learning-rate schedule, stepped once per epoch; None for a constant rate."""
    if recipe.scheduler == "cosine":
        return CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    if recipe.scheduler == "step":
        return StepLR(optimizer, step_size=max(1, recipe.epochs // 3), gamma=0.1)
    return None
