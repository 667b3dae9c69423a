"""OSTrack's actor: the network on (template, search) pairs with CE's centre-token mask and the keep ratio of the
epoch, and the loss against the search box and its heat map."""

from __future__ import annotations

import math

from ltr_core.api import Actor, NonNegativeInt
from ltr_ostrack.network import centre_token_mask


def keep_ratio(epoch: int, start: int, warm: int, base: float) -> float:
    """CE's keep ratio at ``epoch`` (1-based): 1 before ``start``, then down to ``base`` along half a cosine over
    ``warm`` epochs, ``base`` after (the original's ``adjust_keep_rate`` with one step per epoch)."""
    if epoch < start:
        return 1
    if epoch >= start + warm:
        return base
    return base + (1 - base) * (math.cos((epoch - start) / warm * math.pi) + 1) * 0.5


class OSTrackActor(Actor):
    """Runs OSTrack on the first template and search frame of each sample; CE's keep ratio follows the epoch
    (ce_start_epoch, ce_warm_epoch).

    Extension points (public, kept within ltr-ostrack's major version): :meth:`forward_net` (the network's
    outputs for a batch) and :meth:`compute_losses` (the loss and stats from them); an actor for a network with
    an extra head overrides :meth:`compute_losses` and adds its term to the parent's."""

    def __init__(self, net, objective, ce_start_epoch: NonNegativeInt = 20, ce_warm_epoch: NonNegativeInt = 80):
        super().__init__(net, objective)
        self.ce_start_epoch, self.ce_warm_epoch = ce_start_epoch, ce_warm_epoch

    def keep_ratio(self) -> float | None:
        inner = self.bare_net
        if not inner.backbone.ce_loc:
            return None
        return keep_ratio(self.epoch, self.ce_start_epoch, self.ce_warm_epoch, inner.ce_keep_ratio[0])

    def __call__(self, batch: dict):
        return self.compute_losses(self.forward_net(batch), batch)

    def forward_net(self, batch: dict) -> dict:
        """The network (as wrapped for training) on the batch's first template and search crops."""
        template, search = batch["template_images"][:, 0], batch["search_images"][:, 0]
        inner = self.bare_net
        mask = centre_token_mask(inner.backbone.feat_z, template.shape[0], template.device) \
            if inner.backbone.ce_loc else None
        return self.net(template, search, mask, self.keep_ratio())

    def compute_losses(self, out: dict, batch: dict):
        """``(loss, stats)`` of the network's outputs against the batch's search box and heat map."""
        loss, terms = self.objective(out, batch["search_box"], batch["heatmap"])
        return loss, {f"loss/{k}": v.detach() for k, v in terms.items() if k != "iou"} | {"iou": terms["iou"]}
