"""ResNet trunk up to layer3 (stride 16), shared by template and search, with trainable BatchNorm."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
import torchvision
from torch import nn

CHANNELS = {"resnet18": 256, "resnet34": 256, "resnet50": 1024}
WEIGHTS = {"resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights", "resnet50": "ResNet50_Weights"}


class Backbone(nn.Module):
    """``body`` holds conv1..layer3 under torchvision's names (official checkpoints use ``backbone.0.body.*``)."""

    def __init__(self, name: str = "resnet18", pretrained: bool = False):
        super().__init__()
        if name not in CHANNELS:
            raise ValueError(f"backbone {name!r}: choose one of {', '.join(CHANNELS)}")
        resnet = getattr(torchvision.models, name)(weights=None)
        if pretrained:
            resnet.load_state_dict(imagenet_state_dict(name))
        self.body = nn.Sequential(OrderedDict(
            (k, getattr(resnet, k)) for k in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3")))
        self.num_channels = CHANNELS[name]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def imagenet_state_dict(name: str) -> dict:
    """torchvision's ImageNet weights, from the torch hub cache or downloaded; offline, a clear error."""
    weights = getattr(torchvision.models, WEIGHTS[name]).IMAGENET1K_V1
    filename = Path(weights.url).name
    cache = Path(torch.hub.get_dir()) / "checkpoints" / filename
    try:
        return weights.get_state_dict(progress=False, check_hash=False)
    except Exception as e:
        raise RuntimeError(
            f"could not load ImageNet weights for {name} ({type(e).__name__}: {e}). Download {weights.url} "
            f"and put it at {cache} (or set TORCH_HOME), or train without them: --set net.pretrained_backbone=false"
        ) from None
