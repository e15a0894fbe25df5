"""Render, print: ``report.pdf``, the report printed by headless Chromium (A4, the
report's print stylesheet). bsrcorr draws no PDF itself: a browser lays the page out as
a reader's browser would, so the PDF is what printing report.html gives.

The command (README "The report in print and PDF")::

    chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \\
      --virtual-time-budget=20000 --print-to-pdf=OUT/report.pdf file:///.../OUT/report.html#all
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from correlate.errors import OutputError
from correlate.i18n import Msg

# Debian's package first, then the names other systems give it.
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
TIMEOUT_S = 300


def chromium() -> str | None:
    """The Chromium to print with, or None."""
    for name in CANDIDATES:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


def missing() -> OutputError:
    return OutputError(
        Msg(
            "--pdf needs Chromium to print the report and found none (install it: Debian "
            "and Ubuntu apt-get install chromium; or print report.html from a browser)"
        )
    )


def command(browser: str, html: Path, pdf: Path, profile: Path) -> list[str]:
    """The Chromium command that prints ``html`` (every episode opened: ``#all``)."""
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-pdf-header-footer",
        # time for the page's script to open the episodes and unpack their diagrams
        "--virtual-time-budget=20000",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf}",
        html.resolve().as_uri() + "#all",
    ]


def write(out: Path) -> Path:
    """``out/report.pdf`` from ``out/report.html``; OutputError (one line) when it cannot."""
    browser = chromium()
    if browser is None:
        raise missing()
    pdf = out / "report.pdf"
    with tempfile.TemporaryDirectory(prefix="bsrcorr-chromium-") as profile:
        try:
            done = subprocess.run(
                command(browser, out / "report.html", pdf.resolve(), Path(profile)),
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OutputError(
                Msg("{value}: Chromium could not print the report: {reason}", value=pdf, reason=exc)
            ) from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise OutputError(
            Msg(
                "{value}: Chromium could not print the report: {reason}",
                value=pdf,
                reason=f"exit {done.returncode}: {last[:200]}",
            )
        )
    return pdf
