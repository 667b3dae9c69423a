#!/usr/bin/env bash
# Install, then run the whole test suite (slow end-to-end tests included): one pytest-xdist worker per core, each
# test file on one worker (module fixtures such as the trained checkpoints are made once), one thread per worker
# so the workers do not contend for the cores. Arguments go to pytest (`-n 0` runs in this process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/install_browser.sh
bash scripts/install_vot_toolkit.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
python3 -m pytest -q -p no:randomly -n auto --dist loadfile "$@"
