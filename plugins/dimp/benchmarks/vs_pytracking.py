"""ltr-dimp's tracker against pytracking's own DiMP tracker, per frame, on the same decoded frames in the same
process, the two alternated over rounds.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    python plugins/dimp/benchmarks/vs_pytracking.py /tmp/pytracking [--case dimp50] [--size 640x480] [--frames 40]

Both run with pytracking's ``parameter/dimp/<case>.py`` (``dimp50``, ``dimp18``, ``prdimp50``, ``prdimp18``,
``super_dimp``) and the same seeded weights (the golden test's, ``tests/golden/regenerate_tracker.py``), in float32
on the CPU, the torch seed set before each run, so they also give the same boxes up to float32 rounding (the
largest difference is printed). What ``ltr bench track dimp/dimp50 --untrained`` times is ltr's side of this.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "golden"))
import regenerate_dimp as nets  # noqa: E402  (pytracking's networks and seeded weights)
import regenerate_tracker as harness  # noqa: E402  (pytracking's tracker, stubbed)

# parameter file -> (network case of regenerate_dimp, ltr config whose tracker section is that file's)
CASES = {"dimp18": ("dimp18", "dimp/dimp18"), "dimp50": ("dimp50", "dimp/dimp50"),
         "prdimp18": ("prdimp18", "dimp/prdimp18"), "prdimp50": ("prdimp50", "dimp/prdimp50"),
         "super_dimp": ("dimp50", "dimp/super_dimp")}


def timed_run(init, track, frames, box) -> tuple[float, np.ndarray]:
    torch.manual_seed(harness.SEED)
    init(frames[0], box)
    boxes, t0 = [], time.perf_counter()
    for f in frames[1:]:
        boxes.append(track(f))
    return 1000 * (time.perf_counter() - t0) / (len(frames) - 1), np.array(boxes, np.float64)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pytracking", help="a clone of github.com/visionml/pytracking")
    ap.add_argument("--case", default="dimp50", choices=sorted(CASES))
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))

    from ltr_core.bench import bench_sequence
    from ltr_core.config import load_config
    from ltr_core.train.importing import adapt_foreign_state
    from ltr_dimp.network import build_dimp_net
    from ltr_dimp.tracker import DiMPTracker

    root = Path(args.pytracking).resolve()
    net_case, config = CASES[args.case]
    dimpnet, DiMP, loading = harness.pytracking_tracker(root)
    constructor, net_args, ltr_args = nets.CASES[net_case]
    theirs_net = getattr(dimpnet, constructor)(**net_args).eval()
    shapes = {k: list(v.shape) for k, v in theirs_net.state_dict().items()}
    weights = harness.tracking_weights(shapes)
    theirs_net.load_state_dict(weights, strict=True)
    spec = importlib.util.spec_from_file_location("params", root / "pytracking/parameter/dimp" / f"{args.case}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for suffix in (".pth", ".pth.tar"):
        loading.nets[f"{args.case}{suffix}"] = theirs_net
    params = module.parameters()
    params.use_gpu = params.net.use_gpu = False
    params.device = "cpu"
    theirs = DiMP(params)

    ours_net = build_dimp_net(**ltr_args).eval()
    ours_net.load_state_dict(adapt_foreign_state(ours_net, weights, "pytracking's state dict"), strict=True)
    keys = {k: v for k, v in load_config(config)["tracker"].items() if k not in ("name", "device")}
    ours = DiMPTracker(ours_net, **keys)
    frames, box = bench_sequence((w, h), args.frames)
    box = [float(v) for v in box]
    sides = {
        "ltr-dimp": (ours.initialize, lambda f: ours.track(f)[0]),
        "pytracking": (lambda f, b: theirs.initialize(f, {"init_bbox": list(b)}),
                       lambda f: theirs.track(f)["target_bbox"]),
    }
    for name, (init, track) in sides.items():          # warm-up, not counted
        timed_run(init, track, frames[:6], box)
    ms = {name: [] for name in sides}
    boxes = {}
    for r in range(args.rounds):
        for name in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
            t, b = timed_run(*sides[name], frames, box)
            ms[name].append(t)
            boxes[name] = b
    diff = float(np.abs(boxes["ltr-dimp"] - boxes["pytracking"]).max())
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               "?")
    print(f"DiMP tracker, pytracking's {args.case}.py, {w}x{h} frames, {args.frames - 1} frames x {args.rounds} "
          f"rounds, {torch.get_num_threads()} threads, torch {torch.__version__}, {cpu}")
    for name in sides:
        print(f"{name:10s} ms/frame per round: {', '.join(f'{t:.1f}' for t in ms[name])}  "
              f"median {statistics.median(ms[name]):.1f}")
    ratios = [o / m for o, m in zip(ms["pytracking"], ms["ltr-dimp"])]
    print(f"pytracking / ltr-dimp per round: {', '.join(f'{r:.3f}' for r in ratios)}  "
          f"median {statistics.median(ratios):.3f}")
    print(f"largest box difference between the two: {diff:.2g} px")
    print(json.dumps({"ms": ms, "ratios": ratios, "box_diff": diff}))


if __name__ == "__main__":
    main()
