#!/bin/sh
# Render the sample digest of the test fixtures and photograph it in headless Chromium.
#   scripts/digest_preview.sh [OUT.png]      (default: docs/digest.png)
# Needs chromium (apt-get install chromium); nothing is sent, nothing is fetched from the network.
set -eu
cd "$(dirname "$0")/.."
out="${1:-docs/digest.png}"
python="${PYTHON:-.venv/bin/python}"
chromium="${CHROMIUM:-chromium}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m tests.support.digests "$work/preview"
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$work/profile" --screenshot="$(realpath -m "$out")" \
    --window-size=900,1400 "file://$work/preview/sample.html" 2>/dev/null
echo "digest screenshot written to $out"
