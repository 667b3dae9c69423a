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


def ascend_boxes(bb_regressor, modulation, iou_feat, boxes: torch.Tensor, iterations: int = 5,
                 step_length: float | list[float] = 1.0, step_decay: float = 1.0,
                 space: str = "default", backtrack: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """pytracking's refinement as its ATOM and DiMP trackers run it: ``iterations`` plain gradient-ascent steps
    on the predicted IoU of (B, P, 4) boxes, returning the boxes after the last step and the IoU predicted *before*
    it (the last forward pass), as pytracking's tracker does.

    ``space``: ``default`` moves ``x, y, w, h`` by the gradient times the box's size (DiMP, ATOM);
    ``relative`` (PrDiMP, SuperDiMP) moves the centre in units of the first box's size and the size in logarithms.
    ``step_length``: one number, or ``[position, size]``. ``step_decay`` shortens every box's step after each
    iteration (DiMP's tracker); with ``backtrack`` (ATOM's tracker) only a box whose predicted IoU fell has its step
    shortened, and it takes its previous step back instead of a new one.
    """
    if iterations < 1:
        raise ValueError(f"tracker.box_refinement_iter must be at least 1, got {iterations}")
    if space not in ("default", "relative"):
        raise ValueError(f"tracker.box_refinement_space {space!r}: choose default or relative")
    if isinstance(step_length, (list, tuple)):
        step = torch.tensor([step_length[0], step_length[0], step_length[1], step_length[1]],
                            dtype=boxes.dtype, device=boxes.device).view(1, 1, 4)
    else:
        step = step_length
    unit = boxes[:, :1, 2:].clone()

    def to_boxes(v):                    # the optimised variables -> x, y, w, h
        if space == "default":
            return v
        size = torch.exp(v[..., 2:])
        return torch.cat([v[..., :2] * unit - size / 2, size], -1)

    if space == "default":
        v = boxes.detach().clone()
    else:
        v = torch.cat([(boxes[..., :2] + boxes[..., 2:] / 2) / unit, torch.log(boxes[..., 2:])], -1).detach()
    if backtrack:
        step = step * boxes.new_ones(1, boxes.shape[1], 1)
        previous = torch.full(boxes.shape[:2], -99999999.0, dtype=boxes.dtype, device=boxes.device)
        move = torch.zeros_like(v)
    with torch.enable_grad():
        for _ in range(iterations):
            v = v.detach().requires_grad_(True)
            b = to_boxes(v)
            iou = bb_regressor.predict_iou(modulation, iou_feat, b)
            grad = torch.autograd.grad(iou.sum(), v)[0]
            scale = v[..., 2:].repeat(1, 1, 2).detach() if space == "default" else 1.0
            if backtrack:
                improved = (iou.detach() > previous) | (step_decay >= 1)
                step = torch.where(improved[..., None], step, step * step_decay)
                previous = iou.detach()
                kept = improved[..., None].to(v.dtype)
                move = kept * step * grad * scale - (1.0 - kept) * move
                v = v.detach() + move
            else:
                v = v.detach() + step * grad * scale
                step = step * step_decay
    return to_boxes(v).detach(), iou.detach()


class RefinedTarget:
    """The target state pytracking's ATOM and DiMP trackers share, as a mixin: ``pos`` (row, column), ``target_sz``
    (height, width), ``target_scale`` and ``base_target_sz``, ``image_sz``, ``img_sample_sz``, the scale bounds, the
    IoU-Net's ``modulation``, ``device`` and the tracker parameters ``p`` (the refinement's keys)."""

    def _box_in_sample(self, pos, size, sample_pos, sample_scale) -> torch.Tensor:
        """A box (row/column centre and size in the image) as ``x, y, w, h`` in the sample's pixels."""
        centre = (pos - sample_pos) / sample_scale + (self.img_sample_sz - 1) / 2
        size = size / sample_scale
        return torch.cat([(centre - (size - 1) / 2).flip((0,)), size.flip((0,))])

    def _set_position(self, new_pos: torch.Tensor, new_scale=None) -> None:
        """Keep at least a fifth of the target inside the image (and, without the IoU-Net, take the sample's
        scale within the first frame's bounds)."""
        if new_scale is not None:
            self.target_scale = torch.as_tensor(new_scale).clamp(self.min_scale_factor, self.max_scale_factor)
            self.target_sz = self.base_target_sz * self.target_scale
        inside = (0.2 - 0.5) * self.target_sz
        self.pos = torch.max(torch.min(new_pos, self.image_sz - inside), inside)

    def _refine(self, bb_regressor, iou_feat, sample_pos, sample_scale, update_scale: bool = True, **ascent) -> None:
        """The IoU-Net's refinement from the current box and ``num_init_random_boxes`` jittered copies
        (:func:`ascend_boxes` with ``ascent``); the mean of the ``iounet_k`` best boxes within the aspect-ratio limit
        becomes the target (``pos_iounet`` too); with none kept, nothing changes."""
        p = self.p
        start = self._box_in_sample(self.pos, self.target_sz, sample_pos, sample_scale)
        boxes = start.view(1, 4).clone()
        if p["num_init_random_boxes"] > 0:
            side = start[2:].prod().sqrt()
            spread = side * torch.cat([p["box_jitter_pos"] * torch.ones(2), p["box_jitter_sz"] * torch.ones(2)])
            smallest = start[2:].min() / 3
            jitter = (torch.rand(p["num_init_random_boxes"], 4) - 0.5) * spread
            size = (start[2:] + jitter[:, 2:]).clamp(smallest)
            centre = (start[:2] + start[2:] / 2) + jitter[:, :2]
            boxes = torch.cat([start.view(1, 4), torch.cat([centre - size / 2, size], 1)])
        out, iou = ascend_boxes(bb_regressor, self.modulation, iou_feat, boxes.view(1, -1, 4).to(self.device),
                                p["box_refinement_iter"], p["box_refinement_step_length"],
                                p["box_refinement_step_decay"], **ascent)
        out, iou = out.view(-1, 4).cpu(), iou.view(-1).cpu()
        out[:, 2:].clamp_(1)
        aspect = out[:, 2] / out[:, 3]
        keep = (aspect < p["maximal_aspect_ratio"]) & (aspect > 1 / p["maximal_aspect_ratio"])
        out, iou = out[keep], iou[keep]
        if out.shape[0] == 0:
            return
        top = torch.topk(iou, min(p["iounet_k"], out.shape[0])).indices
        box = out[top].mean(0)
        centre = (box[:2] + box[2:] / 2).flip((0,))
        self.pos_iounet = (centre - (self.img_sample_sz - 1) / 2) * sample_scale + sample_pos
        self.pos = self.pos_iounet.clone()
        self.target_sz = box[2:].flip((0,)) * sample_scale
        if update_scale:
            self.target_scale = torch.sqrt(self.target_sz.prod() / self.base_target_sz.prod())
