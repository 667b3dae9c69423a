"""ltr-ostrack's tracker against OSTrack's own tracker (github.com/botaoye/OSTrack), per frame, on the same decoded
frames in the same process, the two alternated over rounds.

    git clone https://github.com/botaoye/OSTrack /tmp/OSTrack
    pip install timm==0.5.4 easydict            # what the original's model code imports
    python plugins/ostrack/benchmarks/vs_original.py /tmp/OSTrack [--size 640x480] [--frames 40] [--rounds 3]

Both run OSTrack-256 (vitb_256_mae_ce_32x4_ep300: ViT-B/16, CE at 0.7 after blocks 3, 6, 9) with the same seeded
weights (the golden test's recipe), so they also give the same boxes, which is checked. What ltr's
``ltr bench track ostrack/vitb_256_mae_ce_32x4_ep300 --untrained`` times is ltr's side of this.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "ostrack_golden"))
import regenerate  # noqa: E402  (the harness that imports the original's modules)


def timed_run(tracker_init, tracker_track, frames, box) -> tuple[float, np.ndarray]:
    tracker_init(frames[0], box)
    boxes, t0 = [], time.perf_counter()
    for f in frames[1:]:
        boxes.append(tracker_track(f))
    return 1000 * (time.perf_counter() - t0) / (len(frames) - 1), np.array(boxes, np.float64)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("original", help="a clone of github.com/botaoye/OSTrack")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))

    from ltr_core.bench import bench_sequence
    from ltr_ostrack.network import build_net
    from ltr_ostrack.tracker import OSTrackTracker

    mods = regenerate.original(Path(args.original).resolve())
    theirs_net = regenerate.network(mods, peak=8.0, size_bias=-0.8)
    ours_net = build_net()
    ours_net.load_state_dict(theirs_net.state_dict(), strict=True)
    original = regenerate.original_tracker(mods, theirs_net)
    ours = OSTrackTracker(ours_net)
    frames, box = bench_sequence((w, h), args.frames)
    box = [float(v) for v in box]
    sides = {
        "ltr-ostrack": (ours.initialize, lambda f: ours.track(f)[0]),
        "original": (lambda f, b: original.initialize(f, {"init_bbox": list(b)}),
                     lambda f: original.track(f)["target_bbox"]),
    }
    with torch.no_grad():
        for name, (init, track) in sides.items():          # warm-up, not counted
            timed_run(init, track, frames[:6], box)
        ms = {name: [] for name in sides}
        boxes = {}
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(sides)[::-1]
            for name in order:
                t, b = timed_run(*sides[name], frames, box)
                ms[name].append(t)
                boxes[name] = b
    diff = float(np.abs(boxes["ltr-ostrack"] - boxes["original"]).max())
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"OSTrack-256 tracker, {w}x{h} frames, {args.frames - 1} frames x {args.rounds} rounds, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, {cpu}")
    for name in sides:
        print(f"{name:12s} ms/frame per round: {', '.join(f'{t:.1f}' for t in ms[name])}  "
              f"median {statistics.median(ms[name]):.1f}")
    ratios = [o / l for o, l in zip(ms["original"], ms["ltr-ostrack"])]
    print(f"original / ltr-ostrack per round: {', '.join(f'{r:.3f}' for r in ratios)}  "
          f"median {statistics.median(ratios):.3f}")
    print(f"largest box difference between the two: {diff:.2g} px")


if __name__ == "__main__":
    main()
