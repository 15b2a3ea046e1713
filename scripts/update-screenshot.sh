#!/bin/sh
# Refresh docs/screenshot.png: run the Linux display test (Debian's Linux on bochs-drm, a
# command typed over VNC) and keep the screendump it takes at the end.
# Usage: scripts/update-screenshot.sh   (after ./configure && make; fetches the Linux assets)
set -eu
cd "$(dirname "$0")/.."
build=${OSPREY_BUILD:-build}
OSPREY_BUILD=$build python3 tests/linux/test_display_linux.py
cp "$build/linux/display-screenshot.png" docs/screenshot.png
echo "update-screenshot: docs/screenshot.png updated"
