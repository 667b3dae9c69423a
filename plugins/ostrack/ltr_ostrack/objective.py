"""OSTrack's loss: weight_giou * GIoU + weight_l1 * L1 on the box decoded at the score map's maximum, and
weight_focal * the CenterNet focal loss (alpha 2, beta 4) of the score map against a Gaussian heat map of the
target's centre (radius from CornerNet's rule with a minimum overlap of 0.7, the original's variant of it)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ltr_core.api import NonNegativeFloat


def gaussian_radius(wh: torch.Tensor, min_overlap: float = 0.7) -> torch.Tensor:
    """The radius of each box's heat-map peak (the smallest of CornerNet's three cases, as OSTrack computes
    them)."""
    w, h = wh[..., 0], wh[..., 1]
    b1, c1 = h + w, w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + torch.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2, c2 = 2 * (h + w), (1 - min_overlap) * w * h
    r2 = (b2 + torch.sqrt(b2 ** 2 - 16 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (h + w), (min_overlap - 1) * w * h
    r3 = (b3 + torch.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return torch.min(r1, torch.min(r2, r3))


def _gaussian(radius: int) -> np.ndarray:
    sigma = (2 * radius + 1) / 6
    y, x = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    g = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    g[g < np.finfo(g.dtype).eps * g.max()] = 0
    return g


def centre_heatmaps(boxes: torch.Tensor, feat_sz: int) -> torch.Tensor:
    """(B, feat_sz, feat_sz) Gaussian heat maps of normalised x, y, w, h boxes (B, 4)."""
    maps = torch.zeros(boxes.shape[0], feat_sz, feat_sz)
    box = boxes.detach().cpu().float() * feat_sz
    centres = (box[:, :2] + box[:, 2:] / 2).round()
    radii = torch.clamp_min(gaussian_radius(box[:, 2:]), 0).to(torch.int).numpy()
    for i in range(len(box)):
        r, (x, y) = int(radii[i]), (int(centres[i, 0]), int(centres[i, 1]))
        g = torch.from_numpy(_gaussian(r)).float()
        left, right = min(x, r), min(feat_sz - x, r + 1)
        top, bottom = min(y, r), min(feat_sz - y, r + 1)
        region = maps[i, y - top:y + bottom, x - left:x + right]
        patch = g[r - top:r + bottom, r - left:r + right]
        if min(patch.shape) > 0 and min(region.shape) > 0:
            maps[i, y - top:y + bottom, x - left:x + right] = torch.max(region, patch)
    return maps.to(boxes.device)


def focal_loss(pred: torch.Tensor, target: torch.Tensor, alpha: float = 2, beta: float = 4) -> torch.Tensor:
    positive = target.eq(1).float()
    negative = target.lt(1).float()
    pred = torch.clamp(pred, 1e-12)
    pos = (torch.log(pred) * torch.pow(1 - pred, alpha) * positive).sum()
    neg = (torch.log(1 - pred) * torch.pow(pred, alpha) * torch.pow(1 - target, beta) * negative).sum()
    n = positive.sum()
    return -(pos + neg) / n.clamp(min=1)      # no positive cell: pos is 0 and the loss -neg, without a host sync


def _xyxy(cxcywh: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = cxcywh.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def giou(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised IoU and IoU of x1, y1, x2, y2 boxes (N, 4)."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    wh = (torch.min(a[:, 2:], b[:, 2:]) - torch.max(a[:, :2], b[:, :2])).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    union = area_a + area_b - inter
    iou = inter / union
    hull = (torch.max(a[:, 2:], b[:, 2:]) - torch.min(a[:, :2], b[:, :2])).clamp(min=0)
    area = hull[:, 0] * hull[:, 1]
    return iou - (area - union) / area, iou


class OSTrackObjective(nn.Module):
    def __init__(self, weight_giou: NonNegativeFloat = 2.0, weight_l1: NonNegativeFloat = 5.0,
                 weight_focal: NonNegativeFloat = 1.0):
        super().__init__()
        self.weights = {"giou": weight_giou, "l1": weight_l1, "focal": weight_focal}

    def forward(self, outputs: dict, target_boxes: torch.Tensor, heatmaps: torch.Tensor):
        """``target_boxes``: (B, 4) normalised x, y, w, h in the search crop; ``heatmaps``: (B, H, W)."""
        pred = _xyxy(outputs["pred_boxes"].view(-1, 4))
        x, y, w, h = target_boxes.unbind(-1)
        target = torch.stack([x, y, x + w, y + h], -1).clamp(min=0.0, max=1.0)
        # the original skips GIoU (as 0) when a box is degenerate; decided on the device (no host sync), with the
        # boxes replaced by a unit box then, so that no NaN reaches the gradient through the branch not taken
        valid = (pred[:, 2:] >= pred[:, :2]).all() & (target[:, 2:] >= target[:, :2]).all()
        unit = pred.new_tensor([0.0, 0.0, 1.0, 1.0])
        g, iou = giou(torch.where(valid, pred, unit), torch.where(valid, target, unit))
        giou_loss = torch.where(valid, (1 - g).mean(), 0.0)
        iou = torch.where(valid, iou, 0.0)
        l1 = nn.functional.l1_loss(pred, target)
        focal = focal_loss(outputs["score_map"], heatmaps.unsqueeze(1))
        loss = self.weights["giou"] * giou_loss + self.weights["l1"] * l1 + self.weights["focal"] * focal
        return loss, {"giou": giou_loss, "l1": l1, "focal": focal, "iou": iou.detach().mean()}


def build_objective(weight_giou: NonNegativeFloat = 2.0, weight_l1: NonNegativeFloat = 5.0,
                    weight_focal: NonNegativeFloat = 1.0) -> OSTrackObjective:
    """OSTrack loss: 2 GIoU + 5 L1 on the decoded box + 1 focal loss on the centre heat map."""
    return OSTrackObjective(weight_giou, weight_l1, weight_focal)
