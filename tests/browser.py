"""Headless Chromium for the tests: where it is, how it starts, and screenshots (to look
at) taken only on request.

``python -m tests.browser FILE.svg OUT.png`` renders one SVG at its natural size.
Chromium is Debian's ``/usr/bin/chromium`` (installed by ``./setup.sh --test``), started
with the flags this machine's closed network needs. The browser tests skip, saying why,
when it is absent. ``BSRCORR_SCREENSHOTS=1`` makes them save screenshots in
``.screenshots/``; a test run does not write any otherwise.
"""

from __future__ import annotations

import os
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


SCREENS = Path(__file__).resolve().parent.parent / ".screenshots"


def launched():
    """A headless Chromium under Playwright for one test module (the ``browser`` fixture
    of conftest.py); skips, saying why, when Chromium or Playwright is absent."""
    import pytest

    sync_api = pytest.importorskip("playwright.sync_api", reason="./setup.sh --test installs it")
    if not available():
        pytest.skip(missing_reason())
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=[f for f in FLAGS if f != "--headless"]
        )
        yield b
        b.close()


def available() -> bool:
    return Path(CHROMIUM).exists()


def missing_reason() -> str:
    return f"Chromium not found (looked for {CHROMIUM}): ./setup.sh --test installs Debian's"


def screenshots_wanted() -> bool:
    return os.environ.get("BSRCORR_SCREENSHOTS", "") not in ("", "0")


def save_screenshot(page, name: str, *, full_page: bool = False) -> None:
    """A Playwright page's screenshot in .screenshots/, when BSRCORR_SCREENSHOTS asks."""
    if screenshots_wanted():
        SCREENS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENS / name), full_page=full_page)


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
