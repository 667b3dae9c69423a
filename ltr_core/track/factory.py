"""Build a ready tracker from a checkpoint (or an untrained net, or a baseline) in any process."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ltr_core.components import build_net, build_tracker
from ltr_core.config import config_from_dict


def inference_net_config(cfg: dict) -> dict:
    """Weights come from the checkpoint: turn off any ``pretrained*`` download flag of the net section."""
    net = dict(cfg["net"])
    for key in net:
        if key.startswith("pretrained") and isinstance(net[key], bool):
            net[key] = False
    return {**cfg, "net": net}


@dataclass
class TrackerFactory:
    """Picklable recipe: ``cfg`` (resolved config), ``checkpoint`` (path or None for an untrained net)."""

    cfg: dict
    checkpoint: str | None = None

    def __call__(self):
        from ltr_core.train.checkpoint import load_checkpoint

        cfg = self.cfg
        state = None
        if self.checkpoint is not None:
            state = load_checkpoint(self.checkpoint)
            ckpt_cfg = config_from_dict(state["config"])
            cfg = {**ckpt_cfg, "tracker": self.cfg.get("tracker") or ckpt_cfg.get("tracker")}
        if cfg["tracker"]["name"] == "static":
            return build_tracker(cfg, None)
        torch.manual_seed(cfg["seed"])
        net = build_net(inference_net_config(cfg))
        if state is not None:
            net.load_state_dict(state["net"])
        return build_tracker(cfg, net)
