#!/usr/bin/env python3
"""How far two results folders of the same sequences are apart, frame by frame: e.g. a batched evaluation
(`ltr eval --batch N`) against the unbatched one, or bf16 against float32.

    python3 scripts/compare_results.py workspace/results/hcat/demo/demo workspace/results/b16/demo [--tol 0.01]

Prints the frames compared, the frames whose boxes differ by more than --tol pixels (any coordinate), the
sequences with such a frame, the first such frame of each, and the largest difference.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ltr_core.evaluation.metrics import read_result_file


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--tol", type=float, default=0.01, help="pixels (results are written with 2 decimals)")
    args = parser.parse_args(argv)
    names = sorted(p.name for p in args.a.glob("*.txt") if not p.name.endswith("_time.txt"))
    missing = [n for n in names if not (args.b / n).is_file()]
    if not names or missing:
        print(f"error: {args.b} lacks {', '.join(missing[:3])}" if missing else f"error: no results in {args.a}",
              file=sys.stderr)
        return 2
    frames = differing = 0
    worst = 0.0
    firsts = []
    for name in names:
        a, b = read_result_file(args.a / name).boxes, read_result_file(args.b / name).boxes
        if a.shape != b.shape:
            print(f"error: {name}: {len(a)} frames in {args.a}, {len(b)} in {args.b}", file=sys.stderr)
            return 2
        gap = np.abs(a - b).max(1)
        bad = np.flatnonzero(gap > args.tol + 1e-9)
        frames += len(gap)
        differing += len(bad)
        worst = max(worst, float(gap.max()))
        if len(bad):
            firsts.append(f"{name[:-4]} from frame {int(bad[0]) + 1}")
    print(f"{frames} frames of {len(names)} sequences compared; {differing} ({100 * differing / frames:.2f}%) differ "
          f"by more than {args.tol} px, in {len(firsts)} sequences; largest difference {worst:.2f} px")
    for line in firsts:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
