"""HCAT's actor: one template and one search frame per sample; loss and stats from the objective."""

from __future__ import annotations

from ltr_core.api import Actor


class HCATActor(Actor):
    """Runs HCAT on (template, search) pairs and returns the weighted loss with its terms and mean IoU."""

    def __init__(self, net, objective):
        super().__init__(net, objective)

    def __call__(self, batch: dict):
        template = batch["template_images"][:, 0]
        search = batch["search_images"][:, 0]
        outputs = self.net(search, template)
        loss, terms = self.objective(outputs, batch["search_box"][:, 0])
        stats = {f"loss/{k}": v.detach() for k, v in terms.items() if k != "iou"}
        stats["iou"] = terms["iou"]
        return loss, stats
