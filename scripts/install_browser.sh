#!/usr/bin/env bash
# Debian's Chromium for the test that opens `ltr report`'s page in a real browser (tests/test_report.py); a
# no-op where a Chromium is already on PATH. Needs root and apt-get (as on CI); elsewhere it says what to do.
set -euo pipefail
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install_browser.sh: no Chromium on PATH; install one (Debian: sudo apt-get install chromium)" \
         "for tests/test_report.py" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
