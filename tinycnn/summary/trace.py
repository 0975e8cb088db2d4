"""Run a model once and record every layer call: which module, its inputs, its output.

A *layer* is a leaf module, one without submodules (Conv2d, BatchNorm2d, ReLU, Linear, ...);
containers such as Sequential or a ResNet block only arrange layers. A forward hook on each
layer (`Module.register_forward_hook`) records its calls in the order they happen.

The model runs on an empty batch: N = 0 images of the requested size. Every layer computes
its output shape with the same code as in a real forward pass, but there is no arithmetic
to do, so tracing VGG-16 or DenseNet-201 takes milliseconds where running them on one image
takes seconds. A model that cannot take an empty batch (`x.reshape(x.shape[0], -1)` cannot
work out the -1 from zero elements, in torch as here) is traced again on one image.

The model runs in evaluation mode: BatchNorm uses its running statistics and changes
nothing, Dropout does nothing, GoogLeNet skips its auxiliary heads. Every module's mode is
restored afterwards. The input requires grad so that autograd records the graph of every
operation, including the functional ones between layers (F.relu, F.cat, residual `+`):
receptive_field.py follows that graph from layer to layer.
"""

from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np

from tinycnn.tensor import Tensor


@dataclass(frozen=True)
class LayerCall:
    """One call of one layer during the trace.

    Attributes:
        name: the layer's dotted path in the model, e.g. 'layer1.0.conv1' ('' for a model
            that is itself a single layer).
        module: the layer.
        inputs: the Tensors among its positional arguments (also inside lists and tuples).
        output: the Tensor it returned.
    """

    name: str
    module: object
    inputs: tuple
    output: Tensor


@dataclass(frozen=True)
class Trace:
    """A recorded forward pass.

    Attributes:
        input: the Tensor the model ran on, (N, *input_size) with N = 0 (or 1, see above).
        calls: every layer call, in the order the calls finished.
    """

    input: Tensor
    calls: list


def trace(model, input_size, dtype):
    """Run `model` on an empty batch of `input_size` images and record its layer calls.

    Args:
        model: a Module.
        input_size: the size of one input, e.g. (3, 224, 224).
        dtype: the input's dtype (the model's).

    Returns:
        A `Trace`.

    Raises:
        Whatever the model raises on one image of that size.
    """
    try:
        return _run(model, (0, *input_size), dtype)
    except Exception:
        pass  # whatever failed on the empty batch: run one image, as a real forward would
    return _run(model, (1, *input_size), dtype)


def _run(model, shape, dtype):
    calls = []
    x = Tensor(np.zeros(shape, dtype=dtype), requires_grad=True)
    modes = [(module, module.training) for module in model.modules()]
    with ExitStack() as hooks:
        for name, layer in _layers(model):
            hooks.enter_context(layer.register_forward_hook(_recorder(name, calls)))
        model.eval()
        try:
            model(x)
        finally:
            for module, training in modes:
                module.training = training
    return Trace(x, calls)


def _layers(model):
    """(name, module) for every leaf module, each once, in registration order."""
    for name, module in model.named_modules():
        if next(module.children(), None) is None:
            yield name, module


def _recorder(name, calls):
    """A forward hook that appends each call of the layer `name` to `calls`."""

    def record(module, args, output):
        if not isinstance(output, Tensor):
            raise TypeError(
                f"summary: layer {name!r} ({type(module).__name__}) must return a Tensor, "
                f"got {type(output).__name__}"
            )
        calls.append(LayerCall(name, module, tuple(_tensors(args)), output))

    return record


def _tensors(args):
    """The Tensors among `args`, looking one level into lists and tuples (DenseNet's layers
    take the list of all earlier feature maps)."""
    for arg in args:
        if isinstance(arg, Tensor):
            yield arg
        elif isinstance(arg, (list, tuple)):
            yield from (item for item in arg if isinstance(item, Tensor))
