#!/usr/bin/env bash
# Wheels for a GPU machine without a package registry (Python 3.12, its own torch): ltr-core and the in-repo
# plugins (pure Python, built here from copies of the projects), and the Python 3.12 wheels of the dependencies
# such an image may lack (simplejpeg). Then, there: python3 scripts/gpu_check.py --install .gpu/wheels ...
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.gpu/wheels}
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
projects=(. plugins/*/)
for p in "${projects[@]}"; do
    name=$(basename "$(cd "$p" && pwd)")
    python3 - "$p" "$tmp/$name" <<'PY'
import shutil, sys
from pathlib import Path
src = Path(sys.argv[1]).resolve()
def skip(folder, names):       # each project's own tests/, plugins/, workspace/ and build leftovers stay out
    out = {n for n in names if n in ("build", "dist", "__pycache__", ".git", ".gpu") or n.endswith(".egg-info")}
    return out | ({"tests", "plugins", "workspace"} & set(names) if Path(folder) == src else set())
shutil.copytree(src, sys.argv[2], ignore=skip)
PY
done
python3 -m pip wheel -q --no-deps --no-build-isolation -w "$OUT" "$tmp"/*/
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$OUT" "simplejpeg>=1.7"
ls -1 "$OUT"
