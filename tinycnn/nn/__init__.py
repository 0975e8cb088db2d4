"""Layer L4: modules (layers with their parameters), containers and weight initialization.

    import tinycnn.nn as nn
    import tinycnn.nn.functional as F

    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Flatten())

`nn.functional` holds the stateless operations the modules call; `nn.init` the weight
initializations.
"""

from tinycnn.nn import functional, init
from tinycnn.nn.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tinycnn.nn.batchnorm import BatchNorm2d
from tinycnn.nn.container import ModuleList, Sequential
from tinycnn.nn.conv import Conv2d
from tinycnn.nn.dropout import Dropout, Dropout2d
from tinycnn.nn.flatten import Flatten
from tinycnn.nn.fusion import fused_inference
from tinycnn.nn.linear import Identity, Linear
from tinycnn.nn.loss import CrossEntropyLoss, MSELoss, NLLLoss
from tinycnn.nn.module import Module
from tinycnn.nn.normalization import LocalResponseNorm
from tinycnn.nn.parameter import Parameter
from tinycnn.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout2d",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LocalResponseNorm",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "MaxUnpool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "fused_inference",
    "init",
]
