"""The screenshot inspector used by scripts/browser_check.sh rejects blank or chart-less pages."""
import importlib.util
from pathlib import Path

from PIL import Image, ImageDraw

spec = importlib.util.spec_from_file_location(
    "inspect_screenshot", Path(__file__).resolve().parents[2] / "scripts" / "inspect_screenshot.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)


def test_blank_page_fails(tmp_path):
    p = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), "white").save(p)
    problems = mod.inspect(str(p), 400, 300)
    assert any("blank" in x for x in problems)


def test_wrong_size_fails(tmp_path):
    p = tmp_path / "small.png"
    Image.new("RGB", (100, 100), "white").save(p)
    assert any("size" in x for x in mod.inspect(str(p), 400, 300))


def test_page_with_text_and_chart_colours_passes(tmp_path):
    p = tmp_path / "page.png"
    im = Image.new("RGB", (400, 300), "white")
    d = ImageDraw.Draw(im)
    for y in range(10, 100, 12):
        d.text((10, y), "Russia's international isolation " * 2, fill="black")
    d.rectangle([10, 150, 200, 180], fill=mod.PALETTE["yes"])
    d.rectangle([200, 150, 260, 180], fill=mod.PALETTE["no"])
    d.rectangle([260, 150, 390, 180], fill=mod.PALETTE["abstain"])
    im.save(p)
    assert mod.inspect(str(p), 400, 300) == []
