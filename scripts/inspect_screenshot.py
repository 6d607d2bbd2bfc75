"""Inspect a browser screenshot of the report: expected size, not blank, and showing the report's
content (dark text on a light page plus the colours of the charts)."""
from __future__ import annotations

import argparse
import sys

import numpy as np
from PIL import Image, ImageStat

# the vote palette (analysis.style): at least two of these must appear in the first screen
PALETTE = {"yes": (0, 114, 178), "no": (213, 94, 0), "abstain": (240, 228, 66)}


def inspect(path: str, width: int, height: int, colours: int = 2) -> list[str]:
    problems = []
    im = Image.open(path).convert("RGB")
    if im.size != (width, height):
        problems.append(f"size {im.size}, expected {(width, height)}")
    stat = ImageStat.Stat(im.convert("L"))
    if stat.stddev[0] < 10:
        problems.append(f"looks blank (grey-level standard deviation {stat.stddev[0]:.1f})")
    px = np.asarray(im, dtype=int)
    dark = float((px.sum(axis=2) < 240).mean())
    if dark < 0.002:
        problems.append(f"almost no dark pixels ({dark:.2%}): no text rendered?")
    found = [name for name, rgb in PALETTE.items()
             if int((np.abs(px - np.array(rgb)).max(axis=2) < 12).sum()) > 200]
    if len(found) < colours:
        problems.append(f"chart colours not found (found {found}): figures not rendered?")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("png")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=2400)
    ap.add_argument("--colours", type=int, default=2, help="chart colours that must appear (0: none)")
    a = ap.parse_args()
    problems = inspect(a.png, a.width, a.height, a.colours)
    if problems:
        print(f"browser check FAILED for {a.png}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"browser check OK: {a.png} ({a.width}x{a.height}) shows text and charts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
