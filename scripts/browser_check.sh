#!/usr/bin/env bash
# Real-browser check of a rendered page: headless Chromium (Debian package) renders REPORT_HTML in
# a window WIDTH px wide, records the document's width (it must not exceed the window: no sideways
# scrolling of the page; wide tables and figures scroll in their own boxes) and takes a screenshot
# that scripts/inspect_screenshot.py checks is not blank (and, on wide windows, shows the charts).
# Installs chromium with apt if it is missing (root, Debian).
# Usage: bash scripts/browser_check.sh [REPORT_HTML] [OUT_PNG] [WIDTH] [CHART_COLOURS]
set -euo pipefail
cd "$(dirname "$0")/.."
html="${1:-reports/isolation_report.html}"
png="${2:-reports/screenshot.png}"
width="${3:-1280}"
height=2400
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
# a probe page beside it shows the page in a frame WIDTH px wide (a headless window is at least
# 500 px wide) and writes the page's measured width into its own title
probe="$(dirname "$html")/.browser-check-$$.html"
trap 'rm -rf "$profile" "$probe"' EXIT
cat > "$probe" <<PROBE
<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="$(basename "$html")" style="width:${width}px;height:${height}px;border:0"></iframe>
<script>document.getElementById("f").onload=function(){var w=this.contentWindow;setTimeout(function(){document.title="WIDTH:"+w.document.documentElement.scrollWidth+":"+w.innerWidth;},300);};</script>
</body></html>
PROBE
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --allow-file-access-from-files)
dom="$(chromium "${flags[@]}" --window-size="$(( width > 500 ? width : 500 )),$height" --user-data-dir="$profile/a" \
  --virtual-time-budget=8000 --dump-dom "file://$probe" 2>/dev/null || true)"
measured="$(printf '%s' "$dom" | grep -o 'WIDTH:[0-9]*:[0-9]*' | head -1)"
[ -n "$measured" ] || { echo "error: chromium did not report the page width" >&2; exit 1; }
doc="$(echo "$measured" | cut -d: -f2)"; view="$(echo "$measured" | cut -d: -f3)"
echo "document width ${doc} px in a ${view} px window ($width requested)"
if [ "$doc" -gt "$view" ]; then
  echo "error: the page is wider than the window (${doc} > ${view} px): it scrolls sideways" >&2
  exit 1
fi
chromium "${flags[@]}" --window-size="$width,$height" --user-data-dir="$profile/b" --screenshot="$png" "file://$html" 2>/dev/null || true
[ -s "$png" ] || { echo "error: chromium wrote no screenshot to $png" >&2; exit 1; }
# the first screen is the thesis and the contents (text): chart colours are checked only when asked
# (4th argument, e.g. 2 for a page whose first screen shows a chart)
colours="${4:-0}"
.venv/bin/python scripts/inspect_screenshot.py "$png" --width "$width" --height "$height" --colours "$colours"
