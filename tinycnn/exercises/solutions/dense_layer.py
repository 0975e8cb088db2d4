"""A solution of exercise dense_layer."""

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.tensor import Tensor


class DenseLayer(nn.Module):
    """BN-ReLU-Conv1x1 to bn_size * k channels, BN-ReLU-Conv3x3 to k new channels."""

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate):
        super().__init__()
        width = bn_size * growth_rate
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(num_input_features, width, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(width)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, growth_rate, 3, padding=1, bias=False)
        self.drop_rate = drop_rate

    def forward(self, input):
        x = F.cat([input] if isinstance(input, Tensor) else list(input), 1)  # N x C x H x W
        x = self.conv1(self.relu1(self.norm1(x)))  # N x Bk x H x W
        new = self.conv2(self.relu2(self.norm2(x)))  # N x k x H x W
        if self.drop_rate > 0:
            new = F.dropout(new, p=self.drop_rate, training=self.training)
        return new
