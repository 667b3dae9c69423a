"""ResNet trunk up to layer3 (stride 16), shared by template and search, with trainable BatchNorm."""

from __future__ import annotations

from collections import OrderedDict

import torch
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


LAYERS = {"resnet18": ("BasicBlock", (2, 2, 2)), "resnet34": ("BasicBlock", (3, 4, 6)),
          "resnet50": ("Bottleneck", (3, 4, 6))}   # torchvision's block classes, by name


def _scaled_trunk(name: str, width: float) -> dict[str, nn.Module]:
    """conv1..layer3 of ``name`` with every channel count scaled by ``width`` (torchvision's blocks and
    initialisation; no pretrained weights exist for ``width`` != 1)."""
    from torchvision.models import resnet   # here, not at the top: importing torchvision takes ~1.3 s of every
                                            # `ltr` command, which most never build a net

    block_name, counts = LAYERS[name]
    block, conv1x1 = getattr(resnet, block_name), resnet.conv1x1
    base = max(8, round(64 * width))
    parts = {"conv1": nn.Conv2d(3, base, 7, 2, 3, bias=False), "bn1": nn.BatchNorm2d(base),
             "relu": nn.ReLU(inplace=True), "maxpool": nn.MaxPool2d(3, 2, 1)}
    inplanes = base
    for i, (count, stride) in enumerate(zip(counts, (1, 2, 2))):
        planes = base * 2 ** i
        downsample = None
        if stride != 1 or inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        blocks = [block(inplanes, planes, stride, downsample)]
        inplanes = planes * block.expansion
        blocks += [block(inplanes, planes) for _ in range(count - 1)]
        parts[f"layer{i + 1}"] = nn.Sequential(*blocks)
    for m in nn.Sequential(*parts.values()).modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return parts


class Backbone(nn.Module):
    """``body`` holds conv1..layer3 under torchvision's names (official checkpoints use ``backbone.0.body.*``).
    ``width`` scales every channel count (a lighter trunk for training from scratch on small data)."""

    def __init__(self, name: str = "resnet18", pretrained: bool = False, width: float = 1.0):
        super().__init__()
        if name not in CHANNELS:
            raise ValueError(f"backbone {name!r}: choose one of {', '.join(CHANNELS)}")
        if not width > 0:
            raise ValueError(f"net.backbone_width {width}: must be above 0 (1.0: the original's trunk)")
        if width != 1.0:
            if pretrained:
                raise ValueError(f"net.backbone_width {width}: ImageNet weights exist only for width 1.0; "
                                 "set net.pretrained_backbone=false or net.backbone_width=1.0")
            parts = _scaled_trunk(name, width)
        else:
            from torchvision import models      # ~1.3 s to import: only when a net is built

            resnet = getattr(models, name)(weights=None)
            if pretrained:
                resnet.load_state_dict(torchvision_state_dict(name))
            parts = {k: getattr(resnet, k)
                     for k in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3")}
        self.body = nn.Sequential(OrderedDict(parts.items()))
        pool = self.body.maxpool
        self.body.maxpool = _MaxPool(pool.kernel_size, pool.stride, pool.padding, pool.dilation,
                                     ceil_mode=pool.ceil_mode)
        self.num_channels = CHANNELS[name] * self.body.conv1.out_channels // 64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
