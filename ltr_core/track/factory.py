"""Build a ready tracker from a checkpoint (or an untrained net, or a baseline) in any process."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from ltr_core import device as device_rule
from ltr_core.components import build_net, build_tracker, tracker_needs_net, tracker_needs_torch, without_pretrained
from ltr_core.config import config_from_dict, factory_params
from ltr_core.deploy.runtime import MANIFEST, ExportError, OnnxNet
from ltr_core.errors import UserError
from ltr_core.paths import file_sha256
from ltr_core.provenance import load_weights, version_differences
from ltr_core.registry import get_registry
from ltr_core.track.precision import AutocastNet
from ltr_core.train.checkpoint import CheckpointError, inference_weights, load_checkpoint


def inference_net_config(cfg: dict) -> dict:
    """``cfg`` with the net's ``pretrained*`` keys off (0.2's way; 0.3 builds with ``build_net(cfg,
    pretrained=False)``, kept for scripts written against 0.2)."""
    return {**cfg, "net": without_pretrained(cfg["net"])}


def refuse_non_finite(weights: dict, source: str) -> None:
    """A checkpoint whose weights hold NaN or inf (a run that diverged) tracks nothing: stop naming the file and
    the first such parameter."""
    for key, value in weights.items():
        if torch.is_tensor(value) and value.is_floating_point() and not torch.isfinite(value).all():
            raise CheckpointError(f"{source}: parameter {key!r} holds NaN or infinite values (the run diverged?); "
                                  "use an earlier checkpoint (--epoch N) or train again with a lower learning rate")


@dataclass
class TrackerFactory:
    """Picklable recipe: ``cfg`` (resolved config), ``checkpoint`` (path or None for an untrained net).

    ``onnx_dir``: run the network's exported parts with ONNX Runtime from that folder (``ltr export``) instead
    of PyTorch (a tracker with ``onnx_needs_torch`` also gets the PyTorch network, as ``net.pytorch``, from this
    recipe's checkpoint, which the folder's manifest must name); ``ort_threads`` / ``ort_opt`` are ONNX
    Runtime's intra-op threads and graph optimisation level.
    ``device``: where the PyTorch network runs (``--device``, the rule of :mod:`ltr_core.device`); a tracker
    config whose ``device`` key differs from its tracker's default keeps its own. ONNX Runtime runs on the CPU.
    ``amp``: ``off``, ``bf16`` or ``fp16``: the network's calls under autocast (:mod:`ltr_core.track.precision`).
    """

    cfg: dict
    checkpoint: str | None = None
    onnx_dir: str | None = None
    ort_threads: int | None = None
    ort_opt: str = "all"
    device: str = "auto"
    amp: str = "off"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self):             # worker processes load the checkpoint themselves
        return {**self.__dict__, "_cache": {}}

    def resolved(self) -> tuple[dict, dict | None]:
        """The config the tracker runs with (the checkpoint's, with this config's tracker section) and the
        checkpoint's state. A checkpoint of another network than the config's is refused naming both."""
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
        net = build_net(cfg, pretrained=False)
        if state is not None:
            weights = inference_weights(state)
            refuse_non_finite(weights, self.checkpoint)
            load_weights(net, weights, self.checkpoint, state.get("versions"), f"network of {cfg['_name']}")
        return net.eval()

    def version_note(self) -> str:
        """A line saying how the versions that made the checkpoint differ from the installed ones, or ''."""
        if self.checkpoint is None:
            return ""
        _, state = self.resolved()
        diffs = version_differences(state.get("versions"))
        return f"note: {self.checkpoint}: {'; '.join(diffs)}" if diffs else ""

    def tracker_device(self) -> torch.device:
        """The device the tracker runs on: the tracker config's own ``device`` where it sets one other than its
        tracker's default, else :attr:`device`; the CPU for ONNX Runtime and network-free trackers."""
        cfg, _ = self.resolved()
        if self.onnx_dir is not None or not tracker_needs_net(cfg):
            return torch.device("cpu")
        own = _own_device(cfg)
        return device_rule.resolve(own or self.device, "tracker.device" if own else "--device")

    def for_worker(self, index: int) -> "TrackerFactory":
        """This recipe for evaluation worker ``index``: on several GPUs the workers are dealt over them."""
        return replace(self, device=device_rule.for_worker(self.device, index))

    def __call__(self):
        cfg, _ = self.resolved()
        if self.amp != "off" and (self.onnx_dir is not None):
            raise UserError(f"--amp {self.amp} applies to PyTorch networks; ONNX Runtime runs the exported dtype "
                            "(use --ort-dtype, or --runtime torch)")
        if not tracker_needs_net(cfg):
            return self._tracker(None)
        if self.onnx_dir is not None:
            net = OnnxNet(self.onnx_dir, self.ort_threads, self.ort_opt)
            if tracker_needs_torch(cfg):
                self._refuse_another_source(net.manifest)
                net.pytorch = self.network()
            return self._tracker(net)
        net = self.network()
        return self._tracker(AutocastNet(net, self.amp) if self.amp != "off" else net)

    def _refuse_another_source(self, manifest: dict) -> None:
        """A tracker that runs ONNX parts beside PyTorch ones needs both from one network: an export of another
        config or checkpoint than this recipe's is refused naming the folder (its features would feed a PyTorch
        head with other weights)."""
        cfg, _ = self.resolved()
        if "source_sha256" not in self._cache:
            self._cache["source_sha256"] = file_sha256(Path(self.checkpoint)) if self.checkpoint else None
        theirs = (manifest.get("config"), manifest.get("checkpoint_sha256"))
        if theirs != (cfg["_name"], self._cache["source_sha256"]):
            made = f"config {theirs[0]}, " + (f"checkpoint {manifest.get('checkpoint')}" if theirs[1] else
                                              "the untrained network")
            mine = f"config {cfg['_name']}, " + (f"checkpoint {self.checkpoint}" if self.checkpoint else
                                                 "the untrained network")
            if made == mine:
                mine += " (changed since: its SHA-256 differs)"
            raise ExportError(f"{Path(self.onnx_dir) / MANIFEST}: exported from {made}, but "
                              f"{cfg['tracker']['name']} runs its PyTorch parts from {mine}: export that "
                              f"again (`ltr export {cfg['_name']} --out {self.onnx_dir}`) or point to its own export")

    def batchable(self) -> bool:
        """Whether this recipe's tracker splits its frames for batched tracking (its class says; a tracker made by
        a function is built once to see)."""
        cfg, _ = self.resolved()
        if not tracker_needs_net(cfg):
            return False
        factory = get_registry().get("tracker", cfg["tracker"]["name"]).factory
        if isinstance(factory, type):
            return bool(getattr(factory, "batchable", False))
        return bool(getattr(self(), "batchable", False))

    def batch(self, n: int) -> list:
        """``n`` trackers of this recipe sharing one network, for batched tracking (:mod:`ltr_core.track.batched`);
        one tracker when its class is not batchable."""
        first = self()
        if n <= 1 or not getattr(first, "batchable", False):
            return [first]
        return [first] + [self._tracker(first.net) for _ in range(n - 1)]

    def _tracker(self, net):
        cfg, _ = self.resolved()
        device = "cpu" if net is None or self.onnx_dir is not None else str(self.tracker_device())
        tracker = build_tracker(_with_device(cfg, device) if net is not None else cfg, net)
        try:
            tracker.ltr_label = get_registry().label("tracker", cfg["tracker"]["name"])
        except AttributeError:      # a tracker with __slots__: errors name its class instead
            pass
        return tracker


def _device_param(cfg: dict):
    """The default of the tracker's ``device`` parameter, or ``inspect.Parameter.empty`` when it has none."""
    factory = get_registry().get("tracker", cfg["tracker"]["name"]).factory
    params = factory_params(factory)
    return params["device"][1] if "device" in params else inspect.Parameter.empty


def _own_device(cfg: dict) -> str | None:
    """The tracker config's ``device`` when it differs from the tracker's default (an explicit choice), else None."""
    tracker = cfg.get("tracker") or {}
    default = _device_param(cfg)
    if default is inspect.Parameter.empty or "device" not in tracker or tracker["device"] == default:
        return None
    return tracker["device"]


def _with_device(cfg: dict, device: str) -> dict:
    """``cfg`` with the tracker built on ``device`` (for trackers that take a ``device`` argument)."""
    if _device_param(cfg) is inspect.Parameter.empty:
        return cfg
    return {**cfg, "tracker": {**cfg["tracker"], "device": device}}
