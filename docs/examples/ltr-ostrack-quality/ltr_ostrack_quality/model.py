"""The network (OSTrack plus a head predicting the IoU of its own box) and the actor that trains that head."""

import torch
from torch import nn

from ltr_core.api import NonNegativeFloat, PositiveInt, follows
from ltr_ostrack.actor import OSTrackActor
from ltr_ostrack.network import OSTrackNet, build_net


class QualityNet(OSTrackNet):
    def __init__(self, backbone, head_channels: int, quality_channels: int):
        super().__init__(backbone, head_channels)
        self.quality_head = nn.Sequential(nn.Conv2d(backbone.embed_dim, quality_channels, 3, padding=1), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(quality_channels, 1))

    def forward_head(self, feat):
        return {**super().forward_head(feat), "quality": self.quality_head(feat).sigmoid().squeeze(1)}


@follows(build_net)
def build_quality_net(quality_channels: PositiveInt = 32, **kwargs) -> QualityNet:
    """OSTrack with a head that predicts the IoU of its box (every key of ostrack/ostrack, plus quality_channels)."""
    base = build_net(**kwargs)
    return QualityNet(base.backbone, base.head_channels, quality_channels)


class QualityActor(OSTrackActor):
    """OSTrack's actor, plus an L1 loss between the predicted quality and the box's IoU (weight_quality)."""

    def __init__(self, net, objective, weight_quality: NonNegativeFloat = 1.0, **kwargs):
        super().__init__(net, objective, **kwargs)
        self.weight_quality = weight_quality

    def compute_losses(self, out, batch):
        loss, stats = super().compute_losses(out, batch)
        cx, cy, w, h = out["pred_boxes"].view(-1, 4).detach().unbind(-1)
        x, y, tw, th = batch["search_box"].unbind(-1)
        iw = (torch.min(cx + w / 2, x + tw) - torch.max(cx - w / 2, x)).clamp(min=0)
        ih = (torch.min(cy + h / 2, y + th) - torch.max(cy - h / 2, y)).clamp(min=0)
        iou = iw * ih / (w * h + tw * th - iw * ih).clamp(min=1e-6)
        quality = nn.functional.l1_loss(out["quality"], iou)
        return loss + self.weight_quality * quality, {**stats, "loss/quality": quality.detach()}
