"""HCAT's objective: weighted cross-entropy over all search tokens, L1 and GIoU on the positive tokens.

Positives are the grid cells inside the ground-truth box; every positive regresses that one box. The
assignment is computed for the whole batch at once, with no Python loop over samples and no host sync.
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F

from ltr_core.api import NonNegativeFloat


def box_cxcywh_to_xyxy(b: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = b.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), -1)


def box_iou_giou(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Element-wise IoU and generalised IoU of ``xyxy`` boxes (same shape)."""
    area_a = (a[..., 2] - a[..., 0]).clamp(min=0) * (a[..., 3] - a[..., 1]).clamp(min=0)
    area_b = (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)
    lt = torch.maximum(a[..., :2], b[..., :2])
    rb = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = area_a + area_b - inter
    iou = inter / union.clamp(min=1e-7)
    enclose = (torch.maximum(a[..., 2:], b[..., 2:]) - torch.minimum(a[..., :2], b[..., :2])).clamp(min=0).prod(-1)
    giou = iou - (enclose - union) / enclose.clamp(min=1e-7)
    return iou, giou


def positive_mask(boxes: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, grid*grid) bool: cells whose column is in [ceil(x0*L), ceil(x1*L)) and row in [ceil(y0*L), ceil(y1*L)).

    ``boxes`` are normalised ``(cx, cy, w, h)``. An empty range is widened by one cell, and ranges are clamped
    to the grid, so a box partly or wholly outside still gets at least one positive on the border.
    """
    xyxy = box_cxcywh_to_xyxy(boxes) * grid
    start = torch.ceil(xyxy[:, :2]).long().clamp(0, grid - 1)        # (B, 2): x, y
    end = torch.ceil(xyxy[:, 2:]).long().clamp(max=grid)
    end = torch.maximum(end, start + 1)
    cells = torch.arange(grid, device=boxes.device)
    in_x = (cells >= start[:, 0:1]) & (cells < end[:, 0:1])            # (B, L)
    in_y = (cells >= start[:, 1:2]) & (cells < end[:, 1:2])
    return (in_y[:, :, None] & in_x[:, None, :]).flatten(1)


class HCATObjective(nn.Module):
    """Loss = w_ce * CE + w_l1 * L1 + w_giou * GIoU (CE class-weighted; box terms over positives)."""

    def __init__(self, weight_ce: NonNegativeFloat = 8.334, weight_l1: NonNegativeFloat = 5.0,
                 weight_giou: NonNegativeFloat = 2.0,
                 background_weight: NonNegativeFloat = 0.0625):
        super().__init__()
        self.weights = {"ce": weight_ce, "l1": weight_l1, "giou": weight_giou}
        self.register_buffer("class_weight", torch.tensor([1.0, background_weight]), persistent=False)

    def forward(self, outputs: dict[str, torch.Tensor], target_boxes: torch.Tensor):
        """``target_boxes``: (B, 4) normalised ``(cx, cy, w, h)``. Returns ``(loss, terms)``."""
        logits = outputs["pred_logits"].float()
        pred = outputs["pred_boxes"].float()
        grid = math.isqrt(logits.shape[1])
        pos = positive_mask(target_boxes, grid)                            # (B, HW)
        terms = {"ce": self.loss_labels(logits, pos)}
        terms.update(self.loss_boxes(pred, target_boxes, pos))
        loss = sum(self.weights[k] * terms[k] for k in self.weights)
        return loss, terms

    def loss_labels(self, logits: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Class-weighted cross-entropy over every cell (class 0 = target, 1 = background), as
        ``F.cross_entropy(logits.transpose(1, 2), target, weight=class_weight)`` computes it, written with
        elementwise operations and sums: CUDA's NLLLoss has no deterministic kernel, so ``trainer.deterministic``
        would refuse it on a GPU."""
        target = (~pos).long()
        weight = self.class_weight.to(logits.dtype)[target]                # (B, HW): each cell's class weight
        nll = -(F.log_softmax(logits, dim=-1) * F.one_hot(target, logits.shape[-1]).to(logits.dtype)).sum(-1)
        return (weight * nll).sum() / weight.sum()

    def loss_boxes(self, pred: torch.Tensor, target_boxes: torch.Tensor, pos: torch.Tensor) -> dict:
        num_pos = pos.sum().to(pred.dtype)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(num_pos)
            num_pos = num_pos / dist.get_world_size()
        num_pos = num_pos.clamp(min=1)
        weight = pos.to(pred.dtype)                                        # (B, HW)
        gt = target_boxes[:, None, :].expand_as(pred)
        l1 = ((pred - gt).abs().sum(-1) * weight).sum() / num_pos
        iou, giou = box_iou_giou(box_cxcywh_to_xyxy(pred), box_cxcywh_to_xyxy(gt))
        giou_loss = ((1 - giou) * weight).sum() / num_pos
        mean_iou = (iou.detach() * weight).sum() / weight.sum().clamp(min=1)
        return {"l1": l1, "giou": giou_loss, "iou": mean_iou}


def build_objective(weight_ce: NonNegativeFloat = 8.334, weight_l1: NonNegativeFloat = 5.0,
                 weight_giou: NonNegativeFloat = 2.0,
                    background_weight: NonNegativeFloat = 0.0625) -> HCATObjective:
    """HCAT loss: 8.334 CE (target 1, background 0.0625) + 5 L1 + 2 GIoU over positive cells."""
    return HCATObjective(weight_ce, weight_l1, weight_giou, background_weight)
