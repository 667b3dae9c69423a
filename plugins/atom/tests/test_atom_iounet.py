"""ATOM's IoU-Net, processing and proposals."""

import numpy as np
import torch

from ltr_atom.network import build_net
from ltr_atom.processing import ATOMProcessing, iou_xywh, perturb_box


def test_forward_predicts_one_iou_per_proposal_and_the_trunk_stays_frozen():
    torch.manual_seed(0)
    net = build_net(pretrained_backbone=False, freeze_backbone=True).train()
    imgs = torch.randn(2, 3, 288, 288)
    boxes = torch.tensor([[100.0, 110.0, 60.0, 50.0], [90.0, 80.0, 100.0, 120.0]])
    proposals = boxes[:, None, :].repeat(1, 16, 1) + torch.randn(2, 16, 4)
    pred = net(imgs, imgs, boxes, proposals)
    assert pred.shape == (2, 16)
    pred.sum().backward()
    assert all(p.grad is None for p in net.feature_extractor.parameters())
    assert all(p.grad is not None for p in net.bb_regressor.parameters())
    assert not net.feature_extractor.training and net.bb_regressor.training
    names = set(net.state_dict())
    assert {"bb_regressor.conv3_1r.0.weight", "bb_regressor.fc3_rt.linear.weight", "bb_regressor.iou_predictor.bias",
            "bb_regressor.fc34_4r.0.weight"} <= names


def test_perturbed_proposals_overlap_the_box_enough():
    rng = np.random.default_rng(0)
    box = np.array([50.0, 60.0, 40.0, 30.0])
    ious = [iou_xywh(perturb_box(box, rng, 0.1), box) for _ in range(300)]
    assert min(ious) > 0.1 and np.mean(ious) < 0.95      # perturbed, never disjoint


class Frame:
    def __init__(self, image):
        self.image = image

    def read(self, min_scale=1.0, fast=False, transient=False):
        return self.image, 1.0


def test_processing_outputs_crops_proposals_and_iou_targets():
    proc = ATOMProcessing(output_size=144)
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    box = np.array([[120.0, 90.0, 40.0, 30.0]], np.float32)
    out = proc({"template_frames": [Frame(img)], "template_boxes": box, "search_frames": [Frame(img)],
                "search_boxes": box}, rng)
    assert out["template_images"].shape == (1, 3, 144, 144) and out["proposals"].shape == (1, 16, 4)
    gt = out["search_anno"].numpy()[:, None, :]
    expected = 2 * iou_xywh(out["proposals"].numpy(), gt) - 1
    np.testing.assert_allclose(out["proposal_iou"].numpy(), expected, atol=1e-5)
    assert (out["proposal_iou"] > -0.8).all()              # IoU > 0.1
    # the template crop is not jittered: the box sits in the middle at 1/5 of the crop's side
    t = out["template_anno"][0].numpy()
    np.testing.assert_allclose(t[:2] + t[2:] / 2, [72, 72], atol=0.5)
    np.testing.assert_allclose(np.sqrt(t[2] * t[3]), 144 / 5, rtol=0.05)
