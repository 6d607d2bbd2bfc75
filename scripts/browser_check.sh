#!/usr/bin/env bash
# Real-browser check of the rendered report: headless Chromium (Debian package) renders
# reports/isolation_report.html to a PNG, then scripts/inspect_screenshot.py checks it is not
# blank and has the expected size. Installs chromium with apt if it is missing (root, Debian).
# Usage: bash scripts/browser_check.sh [REPORT_HTML] [OUT_PNG]
set -euo pipefail
cd "$(dirname "$0")/.."
html="${1:-reports/isolation_report.html}"
png="${2:-reports/screenshot.png}"
[ -f "$html" ] || { echo "error: $html not found: run 'make report' first" >&2; exit 1; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
html="$(realpath "$html")"
png="$(realpath -m "$png")"
mkdir -p "$(dirname "$png")"
rm -f "$png"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1280,2400 \
  --screenshot="$png" "file://$html" 2>/dev/null || true
[ -s "$png" ] || { echo "error: chromium wrote no screenshot to $png" >&2; exit 1; }
.venv/bin/python scripts/inspect_screenshot.py "$png" --width 1280 --height 2400
