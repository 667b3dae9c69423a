#!/usr/bin/env bash
# The main job on a fresh machine: install, generate the demo dataset (LaSOT layout), train hcat/demo,
# evaluate it on the demo test split next to the static-box baseline. (The untrained network's reference row
# in the README: ltr eval hcat/demo --untrained --workers 2.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export LTR_WORKSPACE=${LTR_WORKSPACE:-$PWD/workspace}
export LTR_DEMO_DIR=${LTR_DEMO_DIR:-$LTR_WORKSPACE/data/demo}
start=$(date +%s)
ltr data make-demo --out "$LTR_DEMO_DIR" --skip-if-current
ltr train hcat/demo
echo "== static box baseline (reference)"
ltr eval hcat/demo --baseline static | tail -n 1
echo "== trained hcat/demo"
ltr eval hcat/demo --workers 2
echo "main job finished in $(( $(date +%s) - start )) s (after install)"
