"""Box refinement, the inference half of ATOM's box estimation: gradient ascent on the predicted IoU.

Each step moves every box along the gradient of its predicted IoU, scaled by the box's size (``x, y`` by
``w, h`` and ``w, h`` likewise), as ATOM's tracker does (step length 1, no decay, 5 iterations). Each box
comes back as the best point its ascent visited, its start included, so refinement never lowers a box's
predicted IoU (the plain ascent can overshoot on its last step).
"""

from __future__ import annotations

import torch


def refine_boxes(bb_regressor, modulation, iou_feat, boxes: torch.Tensor, iterations: int = 5,
                 step_length: float = 1.0, step_decay: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, P, 4) ``x, y, w, h`` boxes -> the refined boxes and their predicted IoU. ``modulation`` and
    ``iou_feat`` are constants here (computed without gradients)."""
    boxes = boxes.detach()
    best_boxes, best_iou = boxes.clone(), None
    for step in range(iterations + 1):
        ascend = step < iterations                        # the last pass only scores the last move
        b = boxes.clone().requires_grad_(ascend)
        with torch.set_grad_enabled(ascend):
            pred = bb_regressor.predict_iou(modulation, iou_feat, b)
            grad = torch.autograd.grad(pred.sum(), b)[0] if ascend else None
        pred = pred.detach()
        better = torch.ones_like(pred, dtype=torch.bool) if best_iou is None else pred > best_iou
        best_boxes = torch.where(better[..., None], boxes, best_boxes)
        best_iou = pred if best_iou is None else torch.maximum(pred, best_iou)
        if ascend:
            boxes = (boxes + step_length * grad * boxes[..., 2:].repeat(1, 1, 2)).detach()
            boxes[..., 2:] = boxes[..., 2:].clamp(min=1.0)
            step_length *= step_decay
    return best_boxes, best_iou


@torch.no_grad()
def _features(net, images):
    return net.feature_extractor(images)


def refine_on_pair(net, template_img, template_box, search_img, boxes, **kw):
    """Refine ``boxes`` (B, P, 4) on ``search_img`` given the reference ``template_img`` / ``template_box``."""
    net.eval()
    ref2, ref3 = _features(net, template_img)
    search2, search3 = _features(net, search_img)
    with torch.no_grad():
        modulation = net.bb_regressor.get_modulation(ref2, ref3, template_box)
        iou_feat = net.bb_regressor.get_iou_feat(search2, search3)
    return refine_boxes(net.bb_regressor, modulation, iou_feat, boxes, **kw)
