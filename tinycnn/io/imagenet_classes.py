"""The names of the 1,000 ImageNet (ILSVRC 2012) classes, shipped with tinycnn.

`imagenet_classes.txt` beside this file holds one name a line, line i for class index i,
as torchvision names them (written by tools/make_imagenet_classes.py).
"""

from functools import cache
from importlib import resources


@cache
def imagenet_classes():
    """A tuple of the 1,000 class names; element i names class index i.

    Example:
        >>> imagenet_classes()[207]
        'golden retriever'
    """
    text = resources.files(__package__).joinpath("imagenet_classes.txt").read_text("utf-8")
    return tuple(text.splitlines())
