"""Regenerate HCAT's golden fixtures by running the ORIGINAL HCAT code (github.com/chenxin-dlut/HCAT).

Usage (outside the test suite; needs a checkout of the original and this repository's Python env):

    git clone https://github.com/chenxin-dlut/HCAT /tmp/HCAT
    python plugins/hcat/tests/golden/regenerate.py /tmp/HCAT

The original does not import on current PyTorch/torchvision as it is. Instead of editing it, this script
stubs what its import chain pulls in but HCAT-Res18 does not use (the timm-based ConvNeXt and LightTrack
backbones, torchvision's removed ``model_urls``) and makes ``util.misc``'s torchvision version check read a modern version. Nothing of the original
is copied here: its classes are imported and run, and only the numbers they produce are written to
``plugins/hcat/tests/data/golden_*.npz``.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).parent
DATA = HERE.parent / "data"
sys.path.insert(0, str(HERE))
import recipe  # noqa: E402
import sequence  # noqa: E402


def import_original(root: Path):
    sys.path.insert(0, str(root))
    for name in ("ltr.models.backbone.convnext", "ltr.models.backbone.lighttrack_backbone"):
        stub = types.ModuleType(name)
        stub.convnext_tiny = stub.convnext_small = stub.convnext_base = None
        stub.convnext_large = stub.convnext_xlarge = stub.lightrack_backbone_M = None
        sys.modules[name] = stub
    import torchvision
    import torchvision.models.resnet as tv_resnet
    if not hasattr(tv_resnet, "model_urls"):   # removed in torchvision 0.13; only read for pretrained weights
        tv_resnet.model_urls = {}
    real_version = torchvision.__version__
    torchvision.__version__ = "9.9"          # util.misc compares float(version[:3]) with 0.7
    try:
        import util.misc  # noqa: F401
    finally:
        torchvision.__version__ = real_version
    from ltr.models.tracking import hcat as hcat_module
    from ltr.models.backbone.transt_backbone import build_backbone
    from ltr.models.neck.featurefusion_network import build_featurefusion_network
    return hcat_module, build_backbone, build_featurefusion_network


def original_net(root: Path, state: dict):
    hcat_module, build_backbone, build_featurefusion_network = import_original(root)
    settings = types.SimpleNamespace(backbone="resnet18", hidden_dim=256, dropout=0.1, nheads=8,
                                     dim_feedforward=2048, featurefusion_layers=2, position_embedding="sine")
    net = hcat_module.HCAT(build_backbone(settings, backbone_pretrained=False),
                           build_featurefusion_network(settings), num_classes=1)
    net.load_state_dict(state, strict=True)
    return net.eval()


@torch.no_grad()
def network_fixture(root: Path) -> None:
    net = original_net(root, recipe.state_dict(seed=0))
    search, template = recipe.inputs(seed=0, batch=2)
    full = net(search, template)
    net.template(template, 16)
    split = net.track(search)
    np.savez_compressed(DATA / "golden_network.npz",
                        pred_logits=full["pred_logits"].numpy(), pred_boxes=full["pred_boxes"].numpy(),
                        split_pred_logits=split["pred_logits"].numpy(), split_pred_boxes=split["pred_boxes"].numpy())
    print("golden_network.npz: logits", full["pred_logits"].abs().mean().item(),
          "split == full:", torch.equal(split["pred_logits"], full["pred_logits"]))


@torch.no_grad()
def tracker_fixture(root: Path) -> None:
    """The original CPU tracker (``pysot_toolkit/trackers/tracker_cpu.py``, with the window penalty 0.42 and
    sizes that HCAT's ``pysot_toolkit/test.py`` passes) on ``sequence.build()``, initialised on the first GT box
    as ``test.py`` does. Also records, per frame, the gap between the best and second-best penalised score, to
    show that no argmax is decided by float noise."""
    net = original_net(root, recipe.tracker_state_dict())
    from pysot_toolkit.trackers.tracker_cpu import Tracker

    captured = {}
    real_track = net.track

    def track_and_keep(x):
        captured["out"] = real_track(x)
        return captured["out"]

    net.track = track_and_keep
    tracker = Tracker(name="HCAT", net=net, feature_size=16, window_penalty=0.42, penalty_k=0,
                      exemplar_size=128, instance_size=256)
    tracker.features_initialized = True            # the net is already built and loaded
    frames, gt, _ = sequence.build()
    x, y, w, h = gt[0]
    boxes, scores, gaps = [[x, y, w, h]], [np.nan], [np.nan]
    # test.py initialises with get_axis_aligned_bbox: centre minus half the size, i.e. the GT box itself
    tracker.initialize(frames[0], {"init_bbox": [x + w / 2 - w / 2, y + h / 2 - h / 2, w, h]})
    window = np.outer(np.hanning(16), np.hanning(16)).flatten()
    for frame in frames[1:]:
        out = tracker.track(frame)
        boxes.append([float(v) for v in out["target_bbox"]])
        scores.append(float(out["best_score"]))
        score = captured["out"]["pred_logits"][0].softmax(-1)[:, 0].numpy()
        top2 = np.sort(score * (1 - 0.42) + window * 0.42)[-2:]
        gaps.append(float(top2[1] - top2[0]))
    np.savez_compressed(DATA / "golden_tracker.npz", boxes=np.array(boxes), best_score=np.array(scores),
                        score_gap=np.array(gaps), frames_sha256=np.array(sequence.checksum(frames)))
    print("golden_tracker.npz: smallest top-2 score gap", np.nanmin(gaps))


# (jittered box the crop is taken around, GT box to map into it) on a 240x320 frame of sequence.build()
CROP_CASES = [
    ([100.0, 80.0, 40.0, 30.0], [104.5, 77.25, 38.0, 33.0]),     # inside the frame
    ([-12.3, 150.7, 60.0, 20.0], [-10.0, 152.0, 55.0, 22.0]),    # elongated, past the left and bottom borders
    ([280.2, 5.6, 30.5, 70.25], [283.0, 2.0, 30.0, 71.0]),       # past the right and top borders
]
CROP_SIZES = {"search": (4.0, 64), "template": (2.0, 32)}


def processing_fixture(root: Path) -> None:
    """The original's training crop (``ltr/data/processing_utils.py``: ``jittered_center_crop``, which calls
    ``sample_target`` and ``transform_image_to_crop``) for given jittered and GT boxes."""
    import_original(root)
    data_pkg = types.ModuleType("ltr.data")            # its __init__ imports the loader (torch._six)
    data_pkg.__path__ = [str(root / "ltr" / "data")]
    sys.modules["ltr.data"] = data_pkg
    from ltr.data import processing_utils as prutils

    frame = sequence.build()[0][0]
    out = {}
    for i, (jittered, gt) in enumerate(CROP_CASES):
        for kind, (factor, size) in CROP_SIZES.items():
            crops, boxes, _ = prutils.jittered_center_crop([frame], [torch.tensor(jittered)], [torch.tensor(gt)],
                                                           factor, size)
            out[f"{kind}_crop_{i}"] = crops[0]
            out[f"{kind}_box_{i}"] = boxes[0].numpy()
    out.update(target_encoding(root, np.stack([out[f"search_box_{i}"] for i in range(len(CROP_CASES))]), 64))
    np.savez_compressed(DATA / "golden_processing.npz", **out)
    print("golden_processing.npz:", len(out), "arrays")


def target_encoding(root: Path, search_boxes: np.ndarray, search_size: int) -> dict:
    """The targets the original actor (``ltr/actors/tracking.py``, HCATActor) hands to the loss for the given
    search-crop boxes, captured by a stand-in objective."""
    sys.modules.setdefault("pytracking", types.SimpleNamespace(TensorDict=dict))   # base_actor's only import
    from ltr.actors.tracking import HCATActor

    captured = {}

    class Capture:
        weight_dict = {"loss_ce": 1.0}

        def __call__(self, outputs, targets):
            captured["boxes"] = torch.cat([t["boxes"] for t in targets]).numpy()
            zero = torch.zeros(())
            return {"loss_ce": zero, "loss_bbox": zero, "loss_giou": zero, "iou": zero}

    n = len(search_boxes)
    actor = HCATActor(net=lambda search, template: {}, objective=Capture())
    actor({"search_images": torch.zeros(n, 3, search_size, search_size), "template_images": torch.zeros(n, 3, 8, 8),
           "search_anno": torch.from_numpy(search_boxes.copy())})
    return {"search_targets": captured["boxes"]}


# normalised (cx, cy, w, h) targets on the 16x16 grid: inside, within one cell, past the bottom-right corner,
# past the left/top border (where the original's NumPy slice with a negative start selects no cell)
LOSS_TARGETS = [[0.5, 0.45, 0.3, 0.2], [0.61, 0.37, 0.02, 0.03], [0.93, 0.95, 0.3, 0.25]]
LOSS_TARGET_PAST_LEFT = [0.02, 0.5, 0.2, 0.3]


@torch.no_grad()
def loss_fixture(root: Path) -> None:
    """The original's ``SetCriterion`` (``hcat_loss``: TrackingMatcher, weights 8.334/5/2, eos 0.0625) on fixed
    network outputs and targets, once for targets it handles like ltr and once with a target past the left
    border."""
    hcat_module = import_original(root)[0]
    criterion = hcat_module.hcat_loss(types.SimpleNamespace(device="cpu"))
    rng = np.random.default_rng([0, 11])
    logits = torch.from_numpy(rng.normal(0, 1.5, (4, 256, 2)).astype(np.float32))
    boxes = torch.from_numpy(rng.uniform(0.05, 0.95, (4, 256, 4)).astype(np.float32))
    boxes[..., 2:] *= 0.5
    out = {"pred_logits": logits, "pred_boxes": boxes}
    fixture = {"pred_logits": logits.numpy(), "pred_boxes": boxes.numpy()}
    for name, targets in (("inside", LOSS_TARGETS + [LOSS_TARGETS[0]]), ("past_left", LOSS_TARGETS + [LOSS_TARGET_PAST_LEFT])):
        t = torch.tensor(targets, dtype=torch.float32)
        losses = criterion(out, [{"boxes": t[i:i + 1], "labels": torch.tensor([0])} for i in range(len(t))])
        total = sum(losses[k] * criterion.weight_dict[k] for k in losses if k in criterion.weight_dict)
        fixture[f"{name}_targets"] = t.numpy()
        for k in ("loss_ce", "loss_bbox", "loss_giou", "iou"):
            fixture[f"{name}_{k}"] = np.float64(losses[k])
        fixture[f"{name}_total"] = np.float64(total)
        fixture[f"{name}_positives"] = np.array([len(i) for i, _ in criterion.matcher(out, [
            {"boxes": t[j:j + 1]} for j in range(len(t))])])
    np.savez_compressed(DATA / "golden_loss.npz", **fixture)
    print("golden_loss.npz:", {k: float(v) for k, v in fixture.items() if k.endswith("total")})


def main(root: str) -> None:
    root = Path(root).resolve()
    torch.set_num_threads(1)
    network_fixture(root)
    tracker_fixture(root)
    processing_fixture(root)
    loss_fixture(root)


if __name__ == "__main__":
    main(*sys.argv[1:])
