#!/usr/bin/env bash
# Install, then run the whole test suite (slow end-to-end tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/install_browser.sh
bash scripts/install_vot_toolkit.sh
python3 -m pytest -q -p no:randomly "$@"
