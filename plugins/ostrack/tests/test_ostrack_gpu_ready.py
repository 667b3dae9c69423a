"""OSTrack on a simulated GPU (ltr_core.devicecheck): no host synchronisation in the training step (the loss
decides GIoU's degenerate case and the focal loss's empty case on the device), one per tracked frame."""

import torch

from ltr_core.config import load_config
from ltr_core.testing import simulated_gpu_syncs
from ltr_ostrack.objective import build_objective, focal_loss


def test_training_step_and_tracker_on_a_simulated_gpu(tmp_path):
    assert simulated_gpu_syncs(load_config("ostrack/demo"), tmp_path) == {"step": 0, "frame": 1, "nondeterministic": ""}


def test_a_degenerate_box_gives_giou_zero_and_finite_gradients():
    objective = build_objective()
    boxes = torch.tensor([[0.5, 0.5, 0.2, 0.2], [0.4, 0.5, -0.1, 0.2]], requires_grad=True)   # negative width
    heat = torch.zeros(2, 4, 4)
    heat[:, 1, 1] = 1
    out = {"pred_boxes": boxes[:, None], "score_map": torch.full((2, 1, 4, 4), 0.3, requires_grad=True)}
    loss, terms = objective(out, torch.tensor([[0.3, 0.3, 0.2, 0.2]] * 2), heat)
    assert float(terms["giou"].detach()) == 0.0 and float(terms["iou"]) == 0.0
    loss.backward()
    assert torch.isfinite(boxes.grad).all() and torch.isfinite(out["score_map"].grad).all()


def test_the_focal_loss_without_a_positive_cell_is_the_negative_term():
    pred = torch.full((1, 1, 3, 3), 0.2)
    target = torch.full((1, 1, 3, 3), 0.5)
    neg = (torch.log(1 - pred) * pred ** 2 * (1 - target) ** 4).sum()
    assert torch.equal(focal_loss(pred, target), -neg)
