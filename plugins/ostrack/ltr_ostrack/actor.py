"""OSTrack's actor: the network on (template, search) pairs with CE's centre-token mask and the keep ratio of the
epoch, and the loss against the search box and its heat map."""

from __future__ import annotations

import math

from ltr_core.config import NonNegativeInt
from ltr_core.train.actor import Actor
from ltr_ostrack.network import centre_token_mask


def keep_ratio(epoch: int, start: int, warm: int, base: float) -> float:
    """CE's keep ratio at ``epoch`` (1-based): 1 before ``start``, then down to ``base`` along half a cosine over
    ``warm`` epochs, ``base`` after (the original's ``adjust_keep_rate`` with one step per epoch)."""
    if epoch < start:
        return 1
    if epoch >= start + warm:
        return base
    return base + (1 - base) * (math.cos((epoch - start) / warm * math.pi) + 1) * 0.5


def _unwrapped(net):
    """The OSTrack network inside DDP or torch.compile wrappers."""
    while not hasattr(net, "ce_keep_ratio"):
        net = getattr(net, "module", None) or getattr(net, "_orig_mod")
    return net


class OSTrackActor(Actor):
    """Runs OSTrack on the first template and search frame of each sample; CE's keep ratio follows the epoch
    (ce_start_epoch, ce_warm_epoch)."""

    def __init__(self, net, objective, ce_start_epoch: NonNegativeInt = 20, ce_warm_epoch: NonNegativeInt = 80):
        super().__init__(net, objective)
        self.ce_start_epoch, self.ce_warm_epoch = ce_start_epoch, ce_warm_epoch

    def keep_ratio(self) -> float | None:
        inner = _unwrapped(self.net)
        if not inner.backbone.ce_loc:
            return None
        return keep_ratio(self.epoch, self.ce_start_epoch, self.ce_warm_epoch, inner.ce_keep_ratio[0])

    def __call__(self, batch: dict):
        template, search = batch["template_images"][:, 0], batch["search_images"][:, 0]
        inner = _unwrapped(self.net)
        mask = centre_token_mask(inner.backbone.feat_z, template.shape[0], template.device) \
            if inner.backbone.ce_loc else None
        out = self.net(template, search, mask, self.keep_ratio())
        loss, terms = self.objective(out, batch["search_box"], batch["heatmap"])
        return loss, {f"loss/{k}": v.detach() for k, v in terms.items() if k != "iou"} | {"iou": terms["iou"]}
