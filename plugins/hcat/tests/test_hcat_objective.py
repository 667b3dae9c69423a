"""HCAT's loss on hand-built cases, gradient flow, and a short training run on generated data."""

import math

import pytest
import torch

from ltr_hcat import build_net
from ltr_hcat.objective import HCATObjective, positive_mask


def cells(mask, grid):
    return sorted((int(i) // grid, int(i) % grid) for i in torch.nonzero(mask).flatten())


def test_positive_cells_are_the_grid_cells_inside_the_box():
    # L = 4: box x in [0.30, 0.70] -> columns [ceil(1.2), ceil(2.8)) = [2, 3); y in [0.1, 0.6] -> rows [1, 3)
    box = torch.tensor([[0.5, 0.35, 0.4, 0.5]])
    assert cells(positive_mask(box, 4)[0], 4) == [(1, 2), (2, 2)]


def test_an_empty_range_is_widened_by_one_cell():
    box = torch.tensor([[0.55, 0.55, 0.02, 0.02]])       # inside one cell: ceil(2.16) == ceil(2.24) == 3
    assert cells(positive_mask(box, 4)[0], 4) == [(3, 3)]


def test_boxes_over_the_border_are_clamped_not_wrapped():
    box = torch.tensor([[0.05, 0.5, 0.5, 0.2]])          # x0 = -0.2: columns from 0, not from -1 (wrap-around)
    got = cells(positive_mask(box, 4)[0], 4)
    assert got == [(2, 0), (2, 1)]
    outside = torch.tensor([[1.3, 1.3, 0.2, 0.2]])       # wholly outside: one positive on the corner
    assert cells(positive_mask(outside, 4)[0], 4) == [(3, 3)]


def test_class_weights_and_box_terms_on_a_hand_built_case():
    grid = 2
    target = torch.tensor([[0.25, 0.25, 0.5, 0.5]])      # exactly the top-left cell
    logits = torch.zeros(1, grid * grid, 2)
    boxes = target.expand(1, 4, 4).clone()
    boxes[0, 1:] = torch.tensor([0.75, 0.75, 0.5, 0.5])  # wrong boxes on negatives do not matter
    obj = HCATObjective()
    loss, terms = obj({"pred_logits": logits, "pred_boxes": boxes}, target)
    assert terms["ce"].item() == pytest.approx(math.log(2))   # uniform logits: weighted mean of log 2
    assert terms["l1"].item() == 0 and terms["giou"].item() == pytest.approx(0, abs=1e-6)
    assert terms["iou"].item() == pytest.approx(1)
    # background weight: a confident wrong background cell costs 1/16 of a wrong target cell
    bg_wrong = torch.zeros(1, 4, 2)
    bg_wrong[0, 1, 0] = 10.0                              # a background cell says "target"
    fg_wrong = torch.zeros(1, 4, 2)
    fg_wrong[0, 0, 1] = 10.0                              # the target cell says "background"
    ce_bg = obj.loss_labels(bg_wrong, torch.tensor([[True, False, False, False]]))
    ce_fg = obj.loss_labels(fg_wrong, torch.tensor([[True, False, False, False]]))
    denominator = 1 + 3 * 0.0625
    assert ce_bg.item() == pytest.approx((0.0625 * 10.0000454 + 1 * math.log(2) + 2 * 0.0625 * math.log(2)) / denominator, rel=1e-4)
    assert ce_fg.item() == pytest.approx((10.0000454 + 3 * 0.0625 * math.log(2)) / denominator, rel=1e-4)
    assert loss.item() == pytest.approx(8.334 * math.log(2), rel=1e-5)


def test_l1_and_giou_are_averaged_over_positives_in_the_batch():
    target = torch.tensor([[0.25, 0.25, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]])   # 1 and 4 positives on a 2x2 grid
    pred = target[:, None, :].expand(2, 4, 4) + 0.1
    _, terms = HCATObjective()({"pred_logits": torch.zeros(2, 4, 2), "pred_boxes": pred}, target)
    assert terms["l1"].item() == pytest.approx(0.4, rel=1e-5)    # every positive is off by 0.1 in 4 coords


def test_gradients_reach_every_trainable_parameter():
    torch.manual_seed(0)
    net = build_net(pretrained_backbone=False, hidden_dim=32, nheads=2, dim_feedforward=64)
    out = net(torch.randn(2, 3, 128, 128), torch.randn(2, 3, 64, 64))
    loss, _ = HCATObjective()(out, torch.tensor([[0.5, 0.5, 0.3, 0.2], [0.4, 0.6, 0.2, 0.4]]))
    loss.backward()
    missing = [n for n, p in net.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert missing == []
