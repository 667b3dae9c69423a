"""ATOM's box-estimation network: a ResNet-18 trunk (layer2 and layer3 features, frozen by default) and the
IoU-Net on top (pytracking's ``bbreg/atom``)."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from ltr_atom.iounet import AtomIoUNet
from ltr_core.api import IMAGENET_MEAN, IMAGENET_STD


class ResNetFeatures(nn.Module):
    """conv1..layer3 of a torchvision ResNet-18, returning layer2 (stride 8) and layer3 (stride 16)."""

    def __init__(self, pretrained: bool):
        super().__init__()
        from torchvision import models      # ~1.3 s to import: only when a net is built, not on every `ltr`

        resnet = models.resnet18(weights=None)
        if pretrained:
            from ltr_core.weights import torchvision_state_dict

            resnet.load_state_dict(torchvision_state_dict("resnet18"))
        self.stem = nn.Sequential(OrderedDict((k, getattr(resnet, k)) for k in ("conv1", "bn1", "relu", "maxpool")))
        self.layer1, self.layer2, self.layer3 = resnet.layer1, resnet.layer2, resnet.layer3

    def forward(self, x):
        l2 = self.layer2(self.layer1(self.stem(x)))
        return l2, self.layer3(l2)


class ATOMBoxNet(nn.Module):
    """``net(template_imgs, search_imgs, template_box, proposals)`` -> (B, P) predicted IoUs of the proposals
    (pytracking's ``train_imgs, test_imgs, train_bb``: the glossary is in ltr's docs/plugins.md)."""

    def __init__(self, feature_extractor: ResNetFeatures, bb_regressor: AtomIoUNet, freeze_backbone: bool):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.bb_regressor = bb_regressor
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for p in self.feature_extractor.parameters():
                p.requires_grad_(False)

    def trunk(self, crops: torch.Tensor):
        """Float crops (N, 3, H, W) in [0, 255] -> (layer2, layer3), ImageNet-normalised as pytracking's tracker
        normalises them: the tracker's per-frame call, and the ``trunk`` part of the ONNX export."""
        mean = torch.tensor(IMAGENET_MEAN, dtype=crops.dtype, device=crops.device).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, dtype=crops.dtype, device=crops.device).view(1, 3, 1, 1)
        return self.feature_extractor((crops / 255 - mean) / std)

    @staticmethod
    def adapt_foreign_state(state: dict) -> dict:
        """pytracking's names (``atom_default.pth``'s ``net``) as this network's: its trunk's ``conv1``/``bn1``
        are the ``stem``'s here, and its ``layer4`` and ``fc``, which ATOM never runs, are left out. The IoU-Net's
        names are pytracking's already."""
        out = {}
        for name, value in state.items():
            if name.startswith(("feature_extractor.layer4.", "feature_extractor.fc.")):
                continue
            for part in ("conv1.", "bn1."):
                if name.startswith("feature_extractor." + part):
                    name = "feature_extractor.stem." + name[len("feature_extractor."):]
            out[name] = value
        return out

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone:
            self.feature_extractor.eval()        # frozen means frozen BatchNorm statistics too
        return self

    def features(self, images: torch.Tensor):
        if self.freeze_backbone:
            with torch.no_grad():
                return self.feature_extractor(images)
        return self.feature_extractor(images)

    def forward(self, template_imgs, search_imgs, template_box, proposals):
        ref2, ref3 = self.features(template_imgs)
        search2, search3 = self.features(search_imgs)
        modulation = self.bb_regressor.get_modulation(ref2, ref3, template_box)
        iou_feat = self.bb_regressor.get_iou_feat(search2, search3)
        return self.bb_regressor.predict_iou(modulation, iou_feat, proposals)


def build_net(pretrained_backbone: bool = True, freeze_backbone: bool = True) -> ATOMBoxNet:
    """ATOM IoU-Net on ResNet-18 layer2/layer3 features (frozen, ImageNet weights by default)."""
    return ATOMBoxNet(ResNetFeatures(pretrained_backbone), AtomIoUNet(), freeze_backbone)
