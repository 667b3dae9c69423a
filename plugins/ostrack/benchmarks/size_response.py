"""Does a trained OSTrack measure the target's size, or predict a share of the crop? Crops are cut around the
previous frame's ground-truth box scaled by each --scale (1: the ideal tracker, 1.5: a box that grew by half), and
the predicted box is compared with the true box in that crop: the median ratio of predicted to true width and
height, and the median centre error in crop units. A network that measures gives ratios near 1 at every scale;
one that predicts a share of the crop gives ratios near the scale.

    python plugins/ostrack/benchmarks/size_response.py ostrack/demo --scale 0.7 1 1.5 [--set KEY=VALUE ...]

Uses the config's latest checkpoint in $LTR_WORKSPACE (or --checkpoint) and the demo test split in $LTR_DEMO_DIR.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch

from ltr_core.config import load_config
from ltr_core.data.image import read_image
from ltr_core.track.factory import TrackerFactory
from ltr_core.train.checkpoint import resolve_checkpoint
from ltr_ostrack.network import decode_boxes
from ltr_ostrack.processing import box_in_crop, sample_target
from ltr_ostrack.tracker import OSTrackTracker


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--checkpoint")
    ap.add_argument("--scale", type=float, nargs="+", default=[0.7, 1.0, 1.5])
    ap.add_argument("--sequences", type=int, default=16)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    cfg = load_config(args.config, args.overrides)
    workspace = Path(os.environ.get("LTR_WORKSPACE", "workspace"))
    ckpt = args.checkpoint or str(resolve_checkpoint(workspace, cfg["_name"], None, None))
    net = TrackerFactory(cfg, ckpt).network()
    t = cfg["tracker"]
    tracker = OSTrackTracker(net, template_factor=t["template_factor"], template_size=t["template_size"],
                             search_factor=t["search_factor"], search_size=t["search_size"],
                             patch_size=t["patch_size"])
    root = Path(os.environ["LTR_DEMO_DIR"])
    names = (root / "test_split.txt").read_text().split()[:args.sequences]
    size = t["search_size"]
    for scale in args.scale:
        ratios, errors = [], []
        for name in names:
            folder = root / name.split("-")[0] / name
            gt = np.loadtxt(folder / "groundtruth.txt", delimiter=",")
            frames = sorted((folder / "img").glob("*.jpg"))
            tracker.initialize(read_image(frames[0])[0], gt[0])
            for i in range(1, len(frames), args.every):
                if gt[i][2] <= 0 or gt[i - 1][2] <= 0:
                    continue
                around = gt[i - 1].copy()
                centre = around[:2] + around[2:] / 2
                around[2:] *= scale
                around[:2] = centre - around[2:] / 2
                crop, factor = sample_target(read_image(frames[i])[0], around, t["search_factor"], size)
                with torch.no_grad():
                    score, wh, offset = net.track_forward(tracker.template, tracker._tensor(crop))
                box = decode_boxes(score * tracker.window, wh, offset, tracker.feat_sz)[0].numpy()
                true = box_in_crop(gt[i], around, factor, size) / size
                ratios.append(box[2:] / true[2:])
                errors.append(np.abs(box[:2] - (true[:2] + true[2:] / 2)))
        r, e = np.median(ratios, 0), np.median(errors, 0)
        print(f"crop around {scale:g}x the true box: predicted/true width {r[0]:.2f}, height {r[1]:.2f}; "
              f"centre error {e[0]:.3f}, {e[1]:.3f} of the crop ({len(ratios)} frames)")


if __name__ == "__main__":
    main()
