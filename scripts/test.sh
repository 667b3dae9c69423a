#!/usr/bin/env bash
# Install, then run the whole test suite (slow end-to-end tests included): one pytest-xdist worker per core this
# process may use (CPU affinity and a cgroup's CPU quota counted; LTR_TEST_WORKERS overrides), each test file on one
# worker (so a file's module fixtures, such as a trained checkpoint, are made once), one thread per worker so the
# workers do not contend. Arguments go to pytest; `-n 0` runs everything in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/install_browser.sh
bash scripts/install_vot_toolkit.sh
workers=${LTR_TEST_WORKERS:-$(python3 - <<'PY'
import os
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # macOS: no affinity
try:                                   # cgroup v2: "max 100000" or "<quota> <period>"
    quota, period = open("/sys/fs/cgroup/cpu.max").read().split()
    if quota != "max":
        cores = min(cores, max(1, int(quota) // int(period)))
except (OSError, ValueError):
    pass
print(cores)
PY
)}
case "$workers" in ''|*[!0-9]*)
  echo "error: LTR_TEST_WORKERS=$workers: give a whole number of workers (0 runs the tests in one process)" >&2
  exit 2 ;;
esac
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
python3 -m pytest -q -p no:randomly -n "$workers" --dist loadfile "$@"
