#!/usr/bin/env bash
# Install ltr-core and the tracker plugins (editable) into the current Python, with the pinned PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m pip install --quiet --disable-pip-version-check torch==2.14.1 torchvision==0.29.1
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test,tensorboard,demo,onnx,vot]" -e plugins/hcat -e plugins/atom -e plugins/ostrack -e plugins/dimp
