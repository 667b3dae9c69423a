"""What a DiMP tracker runs of its network per frame, for ONNX export (``ltr export``, ``--runtime onnx``).

Two parts, both from float crops in [0, 255] (the ImageNet normalisation is inside, as in the tracker):

* ``init_features`` (first frame): the augmented samples and one box per sample -> their classification features
  and the IoU-Net's modulation vectors of each sample's box (the tracker averages those of its reference samples);
* ``search_features`` (every frame): the search crop -> its classification features and the IoU-Net's features.

What stays in PyTorch, on the network with the same weights (``net.pytorch``, plugin API 1.4): the filter's
initialiser and optimiser (run on the first frame and at every update, on features from these parts) and the
IoU-Net's ``predict_iou``, through which boxes are refined by gradient ascent (ONNX Runtime gives no gradients).
"""

from __future__ import annotations

import torch
from torch import nn

from ltr_core.api import IMAGENET_MEAN, IMAGENET_STD, ExportPart

#: the parts the tracker calls, in the order they are exported
PART_NAMES = ("init_features", "search_features")


class _Trunk(nn.Module):
    """Float crops in [0, 255] -> the trunk's layer2 and layer3, normalised as the tracker normalises."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, crops):
        return self.net.feature_extractor((crops / 255 - self.mean) / self.std)


class _InitFeatures(_Trunk):
    def forward(self, crops, boxes):
        layer2, layer3 = super().forward(crops)
        mod3, mod4 = self.net.bb_regressor.get_modulation(layer2, layer3, boxes)
        return self.net.classifier.extract_classification_feat(layer3), mod3, mod4


class _SearchFeatures(_Trunk):
    def forward(self, crop):
        layer2, layer3 = super().forward(crop)
        feat3, feat4 = self.net.bb_regressor.get_iou_feat(layer2, layer3)
        return self.net.classifier.extract_classification_feat(layer3), feat3, feat4


def export_parts(net, image_sample_size: int | list[int] = 288) -> list[ExportPart]:
    """DiMP's per-frame network: ``init_features`` and ``search_features`` at the tracker's sample size (any
    number of samples: a dynamic first axis)."""
    net = net.eval()
    h, w = (image_sample_size, image_sample_size) if isinstance(image_sample_size, int) else image_sample_size
    crops = torch.zeros(2, 3, h, w)
    boxes = torch.tensor([[w / 3, h / 3, w / 3, h / 3]]).repeat(2, 1)
    samples = {0: "samples"}

    def random_boxes(g, n):      # x, y, w, h inside the sample
        size = torch.tensor([w, h]) * (0.1 + 0.4 * torch.rand(n, 2, generator=g))
        return torch.cat([(torch.tensor([w, h]) - size) * torch.rand(n, 2, generator=g), size], 1)

    def init_inputs(g):
        return {"crops": 255 * torch.rand(crops.shape, generator=g), "boxes": random_boxes(g, len(crops))}

    def search_inputs(g):
        return {"crop": 255 * torch.rand(1, 3, h, w, generator=g)}

    return [
        ExportPart("init_features", _InitFeatures(net), {"crops": crops, "boxes": boxes},
                   ["classification", "mod3", "mod4"],
                   dynamic_axes={"crops": samples, "boxes": samples, "classification": samples, "mod3": samples,
                                 "mod4": samples},
                   random_inputs=init_inputs,
                   note="the filter's initialiser and optimiser run in PyTorch on these features"),
        ExportPart("search_features", _SearchFeatures(net), {"crop": crops[:1]},
                   ["classification", "feat3", "feat4"],
                   dynamic_axes={"crop": samples, "classification": samples, "feat3": samples, "feat4": samples},
                   random_inputs=search_inputs,
                   note="box refinement by gradient ascent through predict_iou runs in PyTorch"),
    ]
