#!/usr/bin/env bash
# The VOT toolkit (vot-toolkit 0.9, from PyPI) in its own environment, .venv-vot/, for the test that runs an ltr
# tracker through it (tests/test_vot.py). Its own environment because the toolkit pulls opencv-python, which must
# not sit beside the opencv-python-headless that ltr uses; it sees this Python's packages (ltr, torch, numpy).
# attributee 0.1.10 does not import on Python 3.11, hence the pin. A no-op once .venv-vot/bin/vot runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if .venv-vot/bin/vot --help >/dev/null 2>&1; then
    exit 0
fi
rm -rf .venv-vot
"$PY" -m venv --system-site-packages .venv-vot
.venv-vot/bin/pip install --quiet --disable-pip-version-check "vot-toolkit==0.9.0" "attributee==0.1.9" "vot-trax>=4.0.1"
.venv-vot/bin/vot --help >/dev/null
