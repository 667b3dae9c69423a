"""ATOM's actor: predicted IoUs of the proposals against their targets, with an MSE objective."""

from __future__ import annotations

from torch import nn

from ltr_core.api import Actor


def build_objective():
    """Mean squared error between predicted and target IoU (in [-1, 1])."""
    return nn.MSELoss()


class ATOMActor(Actor):
    """Runs the IoU-Net on (template frame, search frame, proposals); logs the IoU-prediction error in IoU units."""

    def __init__(self, net, objective):
        super().__init__(net, objective)

    def __call__(self, batch: dict):
        pred = self.net(batch["template_images"][:, 0], batch["search_images"][:, 0], batch["template_anno"][:, 0],
                        batch["proposals"][:, 0])
        target = batch["proposal_iou"][:, 0]
        loss = self.objective(pred, target)
        return loss, {"iou_error": ((pred.detach() - target).abs() / 2).mean()}
