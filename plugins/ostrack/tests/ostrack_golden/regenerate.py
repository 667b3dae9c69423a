"""Regenerate OSTrack's golden fixtures by running the ORIGINAL code (github.com/botaoye/OSTrack) on a CPU.

    git clone https://github.com/botaoye/OSTrack /tmp/OSTrack
    pip install timm==0.5.4 easydict                # what its model code imports (a separate venv is fine)
    python plugins/ostrack/tests/ostrack_golden/regenerate.py /tmp/OSTrack

The original's classes are imported and run, never copied: its network built by ``build_ostrack`` from its own
experiment file, its actor's ``compute_losses``, its ``jittered_center_crop``, ``generate_mask_cond`` and
``adjust_keep_rate``, and its tracker (``lib/test/tracker/ostrack.py``). Its unconditional ``.cuda()`` calls are
made no-ops here. Weights and inputs come from ``recipe.py`` and frames from ``sequence.py``; only what the
original computes from them is written, to ``plugins/ostrack/tests/data/golden_*.npz``.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).parent
DATA = HERE.parent / "data"
sys.path.insert(0, str(HERE))
import recipe  # noqa: E402
import sequence  # noqa: E402

EXPERIMENT = "vitb_256_mae_ce_32x4_ep300"


def original(root: Path):
    """The original's modules, with .cuda() made a no-op (this runs on a CPU)."""
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    sys.path.insert(0, str(root))
    six = types.ModuleType("torch._six")                   # gone from torch 2; its loader module imports it
    six.string_classes, six.int_classes = (str, bytes), int
    sys.modules["torch._six"] = six
    sys.modules["jpeg4py"] = types.ModuleType("jpeg4py")   # a JPEG reader its loaders import; no file is read here
    for name, attr in (("lib.test.tracker.vis_utils", "gen_visualization"), ("lib.vis.visdom_cus", "Visdom")):
        stub = types.ModuleType(name)                        # drawing helpers the tracker imports, never called
        setattr(stub, attr, None)
        sys.modules[name] = stub
    from lib.config.ostrack.config import cfg, update_config_from_file

    update_config_from_file(str(root / "experiments" / "ostrack" / f"{EXPERIMENT}.yaml"))
    cfg.MODEL.PRETRAIN_FILE = ""                           # no download: the recipe's weights are loaded instead
    mods = types.SimpleNamespace(cfg=cfg)
    import lib.models.ostrack as ostrack_models
    import lib.train.actors.ostrack as actors
    import lib.train.data.processing_utils as prutils
    import lib.utils.ce_utils as ce_utils
    from lib.utils.box_ops import giou_loss
    from lib.utils.focal_loss import FocalLoss
    from lib.utils.heapmap_utils import generate_heatmap

    mods.build = ostrack_models.build_ostrack
    mods.actors, mods.prutils, mods.ce = actors, prutils, ce_utils
    mods.giou_loss, mods.FocalLoss, mods.heatmap = giou_loss, FocalLoss, generate_heatmap
    return mods


def network(mods, peak: float = 1.0, size_bias: float = 0.0):
    net = mods.build(mods.cfg, training=False).eval()
    state = recipe.weights({k: tuple(v.shape) for k, v in net.state_dict().items()}, seed=0, peak=peak,
                           size_bias=size_bias)
    net.load_state_dict(state, strict=True)
    return net


def forward_fixture(mods) -> dict:
    net = network(mods)
    z, x = recipe.images(1, 2, 128), recipe.images(2, 2, 256)
    mask = mods.ce.generate_mask_cond(mods.cfg, 2, "cpu", None)
    out = {"mask": mask.numpy()}                            # the images are rebuilt by recipe.images
    with torch.no_grad():
        for tag, keep in (("ce", None), ("noce", 1.0), ("ce85", 0.85)):
            o = net(template=z, search=x, ce_template_mask=mask, ce_keep_rate=keep)
            for k in ("score_map", "size_map", "offset_map", "pred_boxes"):
                out[f"{tag}_{k}"] = o[k].numpy()
            removed = [r for r in o["removed_indexes_s"] if r is not None]   # one tensor per CE location
            for i, r in enumerate(removed):
                out[f"{tag}_removed{i}"] = r.numpy()
    return out


def loss_fixture(mods) -> dict:
    net = network(mods)
    net.train()
    z, x = recipe.images(3, 4, 128), recipe.images(4, 4, 256)
    anno = recipe.boxes(5, 4)
    torch.manual_seed(0)                                   # train mode: drop-path draws, seeded so a rerun is equal
    with torch.no_grad():
        pred = net(template=z, search=x, ce_template_mask=mods.ce.generate_mask_cond(mods.cfg, 4, "cpu", None),
                   ce_keep_rate=None)
    settings = types.SimpleNamespace(batchsize=4, num_template=1)
    objective = {"giou": mods.giou_loss, "l1": torch.nn.L1Loss(), "focal": mods.FocalLoss()}
    actor = mods.actors.OSTrackActor(net, objective, {"giou": 2.0, "l1": 5.0, "focal": 1.0}, settings, mods.cfg)
    pred_np = {k: pred[k] for k in ("pred_boxes", "score_map", "size_map", "offset_map")}
    loss, status = actor.compute_losses(pred_np, {"search_anno": anno[None]})
    heat = mods.heatmap(anno[None], 256, 16)[0]
    return {**{k: v.numpy() for k, v in pred_np.items()}, "search_anno": anno.numpy(), "heatmap": heat.numpy(),
            "loss": np.float32(loss.item()), "giou": np.float32(status["Loss/giou"]),
            "l1": np.float32(status["Loss/l1"]), "focal": np.float32(status["Loss/location"]),
            "iou": np.float32(status["IoU"])}


CROP_CASES = [   # (gt box, jittered box) in a 240 x 320 frame: inside, past each border, rounding on a half
    ([100.0, 80.0, 40.0, 30.0], [103.5, 78.25, 42.0, 28.5]),
    ([2.0, 5.0, 50.0, 40.0], [-6.0, -3.0, 52.0, 41.0]),             # past the left and top borders
    ([270.0, 200.0, 45.0, 38.0], [280.0, 206.0, 44.0, 37.0]),       # past the right and bottom borders
    ([150.0, 100.0, 16.0, 16.0], [150.5, 100.5, 16.0, 16.0]),       # corner at an exact half: Python's rounding
    ([60.0, 30.0, 120.0, 90.0], [58.0, 33.0, 130.0, 95.0]),         # the crop is larger than the frame
]


def crop_fixture(mods) -> dict:
    frames, _ = sequence.build()
    frame = frames[5]
    out = {"frame_index": np.int64(5)}
    for i, (gt, jit) in enumerate(CROP_CASES):
        for kind, factor, size in (("search", 4.0, 256), ("template", 2.0, 128)):
            crops, boxes, _, _ = mods.prutils.jittered_center_crop([frame], [torch.tensor(jit)], [torch.tensor(gt)],
                                                                   factor, size)
            out[f"{kind}{i}_sha256"] = np.array(hashlib.sha256(np.ascontiguousarray(crops[0]).tobytes()).hexdigest())
            out[f"{kind}{i}_shape"] = np.array(crops[0].shape)
            out[f"{kind}{i}_box"] = boxes[0].numpy()
    out["gt"] = np.array([c[0] for c in CROP_CASES], np.float32)
    out["jittered"] = np.array([c[1] for c in CROP_CASES], np.float32)
    for name, size in (("mask8", 128), ("mask12", 192)):
        cfg = mods.cfg
        old = cfg.DATA.TEMPLATE.SIZE
        cfg.DATA.TEMPLATE.SIZE = size
        out[name] = mods.ce.generate_mask_cond(cfg, 2, "cpu", None).numpy()
        cfg.DATA.TEMPLATE.SIZE = old
    epochs = np.arange(0, 121)
    out["keep_epochs"] = epochs
    out["keep_300"] = np.array([mods.ce.adjust_keep_rate(int(e), 20, 100, 1, 0.7) for e in epochs], np.float64)
    out["keep_got10k"] = np.array([mods.ce.adjust_keep_rate(int(e), 20, 70, 1, 0.7) for e in epochs], np.float64)
    return out


MAE_FILE = "ltr_golden_mae.pth"
POS_CHANNELS = 8          # the position-embedding channels stored (all 768 would be 1 MB)


def mae_fixture(mods, root: Path) -> dict:
    """The original's build_ostrack(training=True) starting from an MAE-style file (encoder tensors under
    ``model``, timm names, seeded by the recipe): which tensors it takes, and the template and search position
    embeddings it resizes from the 14x14 grid."""
    probe = mods.build(mods.cfg, training=False)
    names = {k[len("backbone."):]: tuple(v.shape) for k, v in probe.state_dict().items()
             if k.startswith("backbone.") and not k.startswith(("backbone.pos_embed_z", "backbone.pos_embed_x"))}
    state = recipe.weights(names, seed=7)
    folder = root / "pretrained_models"            # where the original looks for MODEL.PRETRAIN_FILE
    folder.mkdir(exist_ok=True)
    torch.save({"model": state}, folder / MAE_FILE)
    try:
        mods.cfg.MODEL.PRETRAIN_FILE = MAE_FILE
        net = mods.build(mods.cfg, training=True)
    finally:
        mods.cfg.MODEL.PRETRAIN_FILE = ""
        (folder / MAE_FILE).unlink()
    backbone = net.backbone.state_dict()
    same = sorted(k for k in names if torch.equal(backbone[k], state[k]))
    return {"names": np.array(sorted(names)), "loaded": np.array(same),
            "pos_embed_z": backbone["pos_embed_z"][..., :POS_CHANNELS].numpy(),
            "pos_embed_x": backbone["pos_embed_x"][..., :POS_CHANNELS].numpy()}


SMALL = dict(embed_dim=384, depth=4, num_heads=6)         # the tracker fixture's ViT: the tracker's logic, faster
SMALL_CE = dict(ce_loc=[1, 2], ce_keep_ratio=[0.7, 0.7])
TRACKER_SIZE_BIAS = -0.8
TRACKER_STARTS = (0, 12)


def tracker_fixture(mods, root: Path) -> dict:
    """The original's tracker on a 4-block, 384-wide ViT (its own VisionTransformerCE with those sizes, built the
    way ``vit_base_patch16_224_ce`` builds ViT-B) with CE after blocks 1 and 2."""
    import lib.models.ostrack.ostrack as ostrack_module
    from lib.models.ostrack.vit_ce import _create_vision_transformer

    ostrack_module.vit_base_patch16_224_ce = \
        lambda pretrained=False, **kw: _create_vision_transformer(pretrained=pretrained, patch_size=16,
                                                                  **SMALL, **{**kw, **SMALL_CE})
    mods.cfg.MODEL.BACKBONE.CE_LOC = SMALL_CE["ce_loc"]
    mods.cfg.MODEL.BACKBONE.CE_KEEP_RATIO = SMALL_CE["ce_keep_ratio"]
    net = network(mods, peak=8.0, size_bias=TRACKER_SIZE_BIAS)
    frames, gt = sequence.build()
    tracker = original_tracker(mods, net)
    out = {"gt": gt, "size_bias": np.float64(TRACKER_SIZE_BIAS), "starts": np.array(TRACKER_STARTS),
           **{k: np.array(v) for k, v in {**SMALL, **SMALL_CE}.items()}}
    for start in TRACKER_STARTS:          # from the corner the sequence starts in, and from mid-frame
        tracker.initialize(frames[start], {"init_bbox": gt[start].tolist()})
        boxes = [gt[start].tolist()] + [tracker.track(f)["target_bbox"] for f in frames[start + 1:]]
        out[f"boxes{start}"] = np.array(boxes, np.float64)
    return out


def original_tracker(mods, net):
    """The original's OSTrack tracker (OSTrack-256 test settings) running ``net``, which it loads from a
    checkpoint saved the way its trainer saves one (weights under ``net``)."""
    from lib.test.tracker.ostrack import OSTrack

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "OSTrack_ep0001.pth.tar"
        torch.save({"net": net.state_dict()}, ckpt)
        params = types.SimpleNamespace(cfg=mods.cfg, template_factor=2.0, template_size=128, search_factor=4.0,
                                       search_size=256, checkpoint=str(ckpt), debug=False, save_all_boxes=False)
        mods.cfg.TEST.SEARCH_SIZE = 256
        return OSTrack(params, "ltr")


def main(root: str) -> None:
    root = Path(root).resolve()
    mods = original(root)
    DATA.mkdir(parents=True, exist_ok=True)
    for name, fixture in (("forward", forward_fixture(mods)), ("loss", loss_fixture(mods)),
                          ("crops", crop_fixture(mods)), ("mae", mae_fixture(mods, root)),
                          ("tracker", tracker_fixture(mods, root))):
        np.savez_compressed(DATA / f"golden_{name}.npz", **fixture)
        print(f"wrote {DATA / f'golden_{name}.npz'}: {', '.join(sorted(fixture))[:200]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
