"""Build a ready tracker from a checkpoint (or an untrained net, or a baseline) in any process."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ltr_core.components import build_net, build_tracker, tracker_needs_net
from ltr_core.config import config_from_dict
from ltr_core.registry import get_registry


def inference_net_config(cfg: dict) -> dict:
    """Weights come from the checkpoint: turn off the net section's ``pretrained*`` keys (a flag becomes false,
    a path to pretrained weights null)."""
    net = dict(cfg["net"])
    for key in net:
        if key.startswith("pretrained") and isinstance(net[key], bool):
            net[key] = False
        elif key.startswith("pretrained") and isinstance(net[key], str):
            net[key] = None
    return {**cfg, "net": net}


def refuse_non_finite(weights: dict, source: str) -> None:
    """A checkpoint whose weights hold NaN or inf (a run that diverged) tracks nothing: stop naming the file and
    the first such parameter."""
    from ltr_core.train.checkpoint import CheckpointError

    for key, value in weights.items():
        if torch.is_tensor(value) and value.is_floating_point() and not torch.isfinite(value).all():
            raise CheckpointError(f"{source}: parameter {key!r} holds NaN or infinite values (the run diverged?); "
                                  "use an earlier checkpoint (--epoch N) or train again with a lower learning rate")


@dataclass
class TrackerFactory:
    """Picklable recipe: ``cfg`` (resolved config), ``checkpoint`` (path or None for an untrained net).

    ``onnx_dir``: run the network's exported parts with ONNX Runtime from that folder (``ltr export``) instead
    of PyTorch; ``ort_threads`` / ``ort_opt`` are ONNX Runtime's intra-op threads and graph optimisation level.
    """

    cfg: dict
    checkpoint: str | None = None
    onnx_dir: str | None = None
    ort_threads: int | None = None
    ort_opt: str = "all"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self):             # worker processes load the checkpoint themselves
        return {**self.__dict__, "_cache": {}}

    def resolved(self) -> tuple[dict, dict | None]:
        """The config the tracker runs with (the checkpoint's, with this config's tracker section) and the
        checkpoint's state. A checkpoint of another network than the config's is refused naming both."""
        from ltr_core.train.checkpoint import CheckpointError, load_checkpoint

        if self.checkpoint is None:
            return self.cfg, None
        if "resolved" not in self._cache:
            state = load_checkpoint(self.checkpoint)
            ckpt_cfg = config_from_dict(state["config"])
            mine, theirs = (self.cfg.get("net") or {}).get("name"), (ckpt_cfg.get("net") or {}).get("name")
            if mine and theirs and mine != theirs:
                raise CheckpointError(f"{self.checkpoint} holds a {theirs} network (config {ckpt_cfg['_name']}), but "
                                      f"{self.cfg['_name']} runs {mine}: give a checkpoint of {self.cfg['_name']}, "
                                      f"or use the config it was trained with ({ckpt_cfg['_name']})")
            self._cache["resolved"] = ({**ckpt_cfg, "tracker": self.cfg.get("tracker") or ckpt_cfg.get("tracker")},
                                       state)
        return self._cache["resolved"]

    def network(self):
        """The PyTorch network with the checkpoint's weights (or the seeded initialisation)."""
        cfg, state = self.resolved()
        torch.manual_seed(cfg["seed"])
        net = build_net(inference_net_config(cfg))
        if state is not None:
            from ltr_core.provenance import load_weights
            from ltr_core.train.checkpoint import inference_weights

            weights = inference_weights(state)
            refuse_non_finite(weights, self.checkpoint)
            load_weights(net, weights, self.checkpoint, state.get("versions"), f"network of {cfg['_name']}")
        return net.eval()

    def version_note(self) -> str:
        """A line saying how the versions that made the checkpoint differ from the installed ones, or ''."""
        from ltr_core.provenance import version_differences

        if self.checkpoint is None:
            return ""
        _, state = self.resolved()
        diffs = version_differences(state.get("versions"))
        return f"note: {self.checkpoint}: {'; '.join(diffs)}" if diffs else ""

    def __call__(self):
        cfg, _ = self.resolved()
        if not tracker_needs_net(cfg):
            tracker = build_tracker(cfg, None)
        elif self.onnx_dir is not None:
            from ltr_core.deploy.onnx import OnnxNet

            tracker = build_tracker(cfg, OnnxNet(self.onnx_dir, self.ort_threads, self.ort_opt))
        else:
            tracker = build_tracker(cfg, self.network())
        try:
            tracker.ltr_label = get_registry().label("tracker", cfg["tracker"]["name"])
        except AttributeError:      # a tracker with __slots__: errors name its class instead
            pass
        return tracker
