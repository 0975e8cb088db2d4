"""Layer L5: the classic architectures, one file each, built as torchvision builds them.

    from tinycnn import models
    net = models.resnet18(num_classes=10)
    net = models.get_model("densenet121")
    models.list_models()            # every builder's name
    models.TORCHVISION_MODELS       # the 21 that mirror torchvision's

Builders take torchvision's arguments (`num_classes=1000`, `weights=None`, ...) and give
the same state-dict keys and parameter counts. `alexnet_paper` and `googlenet_paper` are
the networks as their papers describe them, which torchvision does not have; `resnet20/32/44/56`
and `plain20/32/44/56` the paper's CIFAR-10 networks (cifar_resnet.py).
"""

from tinycnn.models.alexnet import alexnet, alexnet_paper
from tinycnn.models.cifar_resnet import (
    plain20,
    plain32,
    plain44,
    plain56,
    resnet20,
    resnet32,
    resnet44,
    resnet56,
)
from tinycnn.models.densenet import densenet121, densenet161, densenet169, densenet201
from tinycnn.models.googlenet import googlenet
from tinycnn.models.googlenet_paper import googlenet_paper
from tinycnn.models.resnet import resnet18, resnet34, resnet50, resnet101, resnet152
from tinycnn.models.small_cnn import small_cnn
from tinycnn.models.squeezenet import squeezenet1_0, squeezenet1_1
from tinycnn.models.vgg import (
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

_BUILDERS = {
    builder.__name__: builder
    for builder in (
        alexnet, alexnet_paper,
        vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn,
        googlenet, googlenet_paper,
        resnet18, resnet34, resnet50, resnet101, resnet152,
        densenet121, densenet161, densenet169, densenet201,
        squeezenet1_0, squeezenet1_1,
        small_cnn,
        resnet20, resnet32, resnet44, resnet56, plain20, plain32, plain44, plain56,
    )
}  # fmt: skip


# The builders that mirror torchvision's: same names, arguments, parameters and state dicts.
TORCHVISION_MODELS = (
    "alexnet",
    *(f"vgg{depth}{bn}" for depth in (11, 13, 16, 19) for bn in ("", "_bn")),
    "googlenet",
    *(f"resnet{depth}" for depth in (18, 34, 50, 101, 152)),
    *(f"densenet{depth}" for depth in (121, 161, 169, 201)),
    "squeezenet1_0",
    "squeezenet1_1",
)


def list_models():
    """The names of every builder, sorted."""
    return sorted(_BUILDERS)


def get_model(name, **kwargs):
    """Build a model by name, as torchvision.models.get_model: `get_model("resnet18")`.

    Args:
        name: one of `list_models()`.
        kwargs: passed to the builder (`num_classes`, `weights`, ...).
    """
    if name not in _BUILDERS:
        raise ValueError(f"get_model: name must be one of {', '.join(list_models())}, got {name!r}")
    return _BUILDERS[name](**kwargs)


__all__ = ["TORCHVISION_MODELS", "get_model", "list_models", *_BUILDERS]
