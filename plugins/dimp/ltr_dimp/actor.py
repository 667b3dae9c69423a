"""DiMP's and PrDiMP's objectives and actors.

Batch keys beyond the core's (:data:`ltr_core.api.BATCH_CONTRACT`; ``B`` sequences, ``Nt`` template (pytracking:
train) frames, ``Ns`` search (test) frames, ``P`` proposals, ``h x w`` the classifier's score map):

* ``proposals`` (B, Ns, P, 4) boxes in search-crop pixels; ``proposal_iou`` (B, Ns, P) their IoU mapped to
  [-1, 1] (DiMP);
* ``search_label`` (B, Ns, h, w): the Gaussian label of each search frame (DiMP);
* ``proposal_density`` and ``gt_density`` (B, Ns, P): the density the proposals were drawn from and the ground
  truth's at them; ``search_label_density`` (B, Ns, h, w) summing to 1 (PrDiMP).

A search frame whose box's x is 99999 or more has no target (PrDiMP's box loss leaves it out, as pytracking's).
``loss_weight``'s keys are pytracking's (``test_clf`` weighs the search frames' classification loss).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ltr_core.api import Actor

DIMP_LOSS_WEIGHT = {"iou": 1.0, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0}
PRDIMP_LOSS_WEIGHT = {"bb_ce": 0.0025, "clf_ce": 0.25, "clf_ce_init": 0.25, "clf_ce_iter": 1.0}
SUPERDIMP_LOSS_WEIGHT = {"bb_ce": 0.01, "test_clf": 100.0, "test_init_clf": 100.0, "test_iter_clf": 400.0}


class LBHinge(nn.Module):
    """Mean squared error where the label is below ``threshold`` and the prediction's negative part is free there
    (a score under a background label costs nothing); ``clip`` caps the loss."""

    def __init__(self, threshold: float = -100.0, clip: float | None = None):
        super().__init__()
        self.threshold, self.clip = threshold, clip

    def forward(self, prediction, label):
        background = (label < self.threshold).to(prediction.dtype)
        prediction = background * F.relu(prediction) + (1.0 - background) * prediction
        loss = F.mse_loss(prediction, (1.0 - background) * label)
        return loss if self.clip is None else loss.clamp(max=self.clip)


class KLRegression(nn.Module):
    """KL divergence between the network's density ``exp(score)`` and the ground truth's, estimated from
    ``P`` Monte Carlo samples drawn from ``sample_density`` (dimension ``mc_dim``)."""

    def __init__(self, eps: float = 0.0):
        super().__init__()
        self.eps = eps

    def forward(self, scores, sample_density, gt_density, mc_dim: int = -1):
        weighted = scores - torch.log(sample_density + self.eps)
        n = scores.shape[mc_dim]
        kl = (torch.logsumexp(weighted, mc_dim) - math.log(n)
              - torch.mean(scores * (gt_density / (sample_density + self.eps)), mc_dim))
        return kl.mean()


class KLRegressionGrid(nn.Module):
    """The same KL divergence integrated over a grid of cells of area ``grid_scale`` (the classifier's map)."""

    def forward(self, scores, gt_density, grid_dim=(-2, -1), grid_scale: float = 1.0):
        correlation = grid_scale * torch.sum(scores * gt_density, dim=grid_dim)
        return (torch.logsumexp(scores, dim=grid_dim) + math.log(grid_scale) - correlation).mean()


def build_dimp_objective(hinge_threshold: float = 0.05) -> nn.ModuleDict:
    """DiMP's: MSE of the predicted IoUs and the hinge loss of the classifier's scores."""
    return nn.ModuleDict({"iou": nn.MSELoss(), "test_clf": LBHinge(hinge_threshold)})


def build_prdimp_objective(eps: float = 0.0) -> nn.ModuleDict:
    """PrDiMP's: KL regression of the box scores over the proposals and of the classifier's scores over its map."""
    return nn.ModuleDict({"bb_ce": KLRegression(eps), "clf_ce": KLRegressionGrid()})


def build_superdimp_objective(hinge_threshold: float = 0.05, eps: float = 0.0) -> nn.ModuleDict:
    """SuperDiMP's: PrDiMP's KL regression of the box scores and DiMP's hinge loss of the classifier's scores."""
    return nn.ModuleDict({"bb_ce": KLRegression(eps), "test_clf": LBHinge(hinge_threshold)})


def _frames_first(batch: dict, key: str) -> torch.Tensor:
    return batch[key].transpose(0, 1)          # ltr's (B, frames, ...) -> the network's (frames, B, ...)


def _iterate_terms(losses: list, weight: dict, final: str, init: str, iterations: str) -> dict:
    """The final filter's loss, the initial one's and the intermediate ones' (a list of weights, or one weight
    shared out), each times its weight; absent weights give no term."""
    terms = {}
    if final in weight:
        terms[final] = weight[final] * losses[-1]
    if init in weight:
        terms[init] = weight[init] * losses[0]
    if iterations in weight and len(losses) > 2:
        w = weight[iterations]
        middle = losses[1:-1]
        terms[iterations] = (sum(a * b for a, b in zip(w, middle)) if isinstance(w, list)
                             else (w / len(middle)) * sum(middle))
    return terms


class DiMPActor(Actor):
    """DiMP's training step: classifier hinge losses and the IoU-Net's MSE, weighted.

    The hinge loss of the search scores after every optimiser step (the final one, the initial filter's and the
    intermediate ones' with ``loss_weight``'s factors) plus the IoU-Net's MSE."""

    def __init__(self, net, objective, loss_weight: dict = DIMP_LOSS_WEIGHT):
        super().__init__(net, objective)
        self.loss_weight = dict(loss_weight)

    def __call__(self, batch: dict):
        scores, iou = self.net(_frames_first(batch, "template_images"), _frames_first(batch, "search_images"),
                               _frames_first(batch, "template_anno"), _frames_first(batch, "proposals"))
        label = _frames_first(batch, "search_label")
        clf = [self.objective["test_clf"](s, label) for s in scores]
        terms = {"iou": self.loss_weight["iou"] * self.objective["iou"](iou, _frames_first(batch, "proposal_iou"))}
        terms.update(_iterate_terms(clf, self.loss_weight, "test_clf", "test_init_clf", "test_iter_clf"))
        loss = sum(terms.values())
        stats = {f"loss_{k}": v.detach() for k, v in terms.items()}
        stats.update(clf_test=clf[-1].detach(), clf_test_init=clf[0].detach())
        return loss, stats


class KLDiMPActor(Actor):
    """PrDiMP's and SuperDiMP's training step: KL regression of the box scores, and of the classifier's maps or
    their hinge loss, weighted.

    The box scores' KL regression over the proposals (search frames with a target); with ``clf_ce*`` weights the
    classifier's KL regression over its map after every optimiser step (PrDiMP), with ``test_clf*`` weights the
    hinge loss of its scores (SuperDiMP), each with ``loss_weight``'s factors."""

    def __init__(self, net, objective, loss_weight: dict = PRDIMP_LOSS_WEIGHT):
        super().__init__(net, objective)
        self.loss_weight = dict(loss_weight)

    def __call__(self, batch: dict):
        scores, box_scores = self.net(_frames_first(batch, "template_images"), _frames_first(batch, "search_images"),
                                      _frames_first(batch, "template_anno"), _frames_first(batch, "proposals"))
        valid = _frames_first(batch, "search_anno")[..., 0] < 99999.0
        bb_ce = self.objective["bb_ce"](box_scores[valid], _frames_first(batch, "proposal_density")[valid],
                                        _frames_first(batch, "gt_density")[valid], mc_dim=1)
        terms = {"bb_ce": self.loss_weight["bb_ce"] * bb_ce}
        if "test_clf" in self.loss_weight:
            label = _frames_first(batch, "search_label")
            hinge = [self.objective["test_clf"](s, label) for s in scores]
            terms.update(_iterate_terms(hinge, self.loss_weight, "test_clf", "test_init_clf", "test_iter_clf"))
        if "clf_ce" in self.loss_weight:
            density = _frames_first(batch, "search_label_density")
            clf = [self.objective["clf_ce"](s, density, grid_dim=(-2, -1)) for s in scores]
            terms.update(_iterate_terms(clf, self.loss_weight, "clf_ce", "clf_ce_init", "clf_ce_iter"))
        loss = sum(terms.values())           # a non-finite loss: the trainer stops at its next check, naming it
        stats = {f"loss_{k}": v.detach() for k, v in terms.items()}
        stats["bb_ce"] = bb_ce.detach()
        return loss, stats
