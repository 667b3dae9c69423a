#!/usr/bin/env bash
# Opening and parsing a LaSOT-sized tree: 70 classes x 16 sequences (LaSOT's training set has 1,120 sequences)
# with 2,500 annotated frames each (LaSOT averages ~2,500). Every sequence has its own annotation files; the
# frames are one generated 2,500-frame sequence shared through symlinks, so the tree takes seconds to build.
# Usage: bash scripts/bench_open.sh [DIR]   (default /tmp/ltr-lasot-sized)
set -euo pipefail
out=${1:-/tmp/ltr-lasot-sized}
if [ ! -d "$out/seed" ]; then
  ltr data make-demo --out "$out/seed" --classes 1 --per-class 1 --test-per-class 0 --frames 2500 --size 64x48
fi
python - "$out" <<'PY'
import os, shutil, sys
from pathlib import Path

out = Path(sys.argv[1])
seed = next(p for p in (out / "seed").glob("*/*-1") if p.is_dir())
tree = out / "tree"
for c in range(70):
    for k in range(1, 17):
        seq = tree / f"class{c:02d}" / f"class{c:02d}-{k}"
        if seq.is_dir():
            continue
        seq.mkdir(parents=True)
        for name in ("groundtruth.txt", "full_occlusion.txt", "out_of_view.txt", "nlp.txt"):
            shutil.copyfile(seed / name, seq / name)
        os.symlink(seed / "img", seq / "img")
PY
# the two opening lines only: the speed lines that follow would be about 64x48 frames
ltr bench data hcat/default --data "lasot=$out/tree" --parse-all --batches 2 | sed -n 1,2p
