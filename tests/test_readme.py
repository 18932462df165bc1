"""The README's screenshots: each image it shows exists, and each screenshot scripts/screenshots.py makes is shown."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_screenshot_is_in_the_readme_and_every_image_of_the_readme_exists():
    shown = set(re.findall(r"!\[[^\]]+\]\((docs/screenshots/[^)]+\.png)\)", (ROOT / "README.md").read_text(encoding="utf-8")))
    made = {f"docs/screenshots/{name}.png" for name in re.findall(
        r'^\s+\("([a-z-]+)", ', (ROOT / "scripts" / "screenshots.py").read_text(encoding="utf-8"), re.M)}
    assert made and shown == made
    for path in shown:
        assert (ROOT / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
