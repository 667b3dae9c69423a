"""ResNet trunk up to layer3 (stride 16), shared by template and search, with trainable BatchNorm."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torchvision
from torch import nn

from ltr_core.weights import torchvision_state_dict

CHANNELS = {"resnet18": 256, "resnet34": 256, "resnet50": 1024}


class _MaxPool(nn.MaxPool2d):
    """torchvision's max-pool, computed in channels-last layout when no gradient is needed: PyTorch's CPU kernel
    for contiguous NCHW input (the one that also returns indices) is ~20x slower at batch 1, the tracker's case.
    A maximum is exact, so the output is bit-equal either way."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or x.device.type != "cpu" or not x.is_contiguous():
            return super().forward(x)
        return super().forward(x.contiguous(memory_format=torch.channels_last)).contiguous()


class Backbone(nn.Module):
    """``body`` holds conv1..layer3 under torchvision's names (official checkpoints use ``backbone.0.body.*``)."""

    def __init__(self, name: str = "resnet18", pretrained: bool = False):
        super().__init__()
        if name not in CHANNELS:
            raise ValueError(f"backbone {name!r}: choose one of {', '.join(CHANNELS)}")
        resnet = getattr(torchvision.models, name)(weights=None)
        if pretrained:
            resnet.load_state_dict(torchvision_state_dict(name))
        self.body = nn.Sequential(OrderedDict(
            (k, getattr(resnet, k)) for k in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3")))
        pool = self.body.maxpool
        self.body.maxpool = _MaxPool(pool.kernel_size, pool.stride, pool.padding, pool.dilation,
                                     ceil_mode=pool.ceil_mode)
        self.num_channels = CHANNELS[name]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
