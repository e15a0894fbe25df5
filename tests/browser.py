"""Headless Chromium for the tests: screenshots of SVGs and pages (to look at), and a
DevTools-free way to run a page's own checks.

``python -m tests.browser FILE.svg OUT.png`` renders one SVG at its natural size.
Chromium is Debian's ``/usr/bin/chromium`` (installed by ``./setup.sh --test``), started
with the flags this machine's closed network needs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def available() -> bool:
    return Path(CHROMIUM).exists()


def svg_size_px(svg: Path) -> tuple[int, int]:
    head = svg.read_text(encoding="utf-8")[:2000]
    w = re.search(r'width="([\d.]+)pt"', head)
    h = re.search(r'height="([\d.]+)pt"', head)
    if not (w and h):
        return 1200, 900
    return int(float(w.group(1)) * 4 / 3) + 16, int(float(h.group(1)) * 4 / 3) + 16


def screenshot(target: Path, png: Path, size: tuple[int, int] | None = None) -> Path:
    size = size or (svg_size_px(target) if target.suffix == ".svg" else (1400, 1000))
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={size[0]},{size[1]}",
                target.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return png


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
