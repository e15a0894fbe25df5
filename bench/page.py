"""Benchmark: how soon a ``report.html`` is usable in headless Chromium, and its size.

    .venv/bin/python bench/page.py OUT/report.html [OUT2/report.html ...] [--repeat 5]

For each page, ``--repeat`` times (alternating between the pages, so a busy machine
weighs on each alike), in a fresh browser page: from navigation start (the page's own
``performance.timeOrigin``) to the first timeline row rendered, then until the filter
responds (the first node's rows hidden by its checkbox and the row count redrawn): that
sum is "interactive". Medians are printed as a Markdown table. Not a test.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, FLAGS  # noqa: E402


def once(browser, report: Path) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(report.resolve().as_uri(), wait_until="commit", timeout=120_000)
        # Polled each animation frame: the first frame with a row in the table.
        first = page.wait_for_function(
            "() => document.querySelector('#rows tbody tr') && performance.now()",
            timeout=120_000,
            polling="raf",
        ).json_value()
        before = page.locator("#pageinfo").inner_text()
        t0 = page.evaluate("performance.now()")
        page.locator("#nodefilter input").first.uncheck()
        page.wait_for_function(
            "(b) => document.getElementById('pageinfo').textContent !== b",
            arg=before,
            timeout=120_000,
            polling="raf",
        )
        t1 = page.evaluate("performance.now()")
        loaded = page.evaluate(
            "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
        )
        return {
            "first_row_ms": first,
            "filter_ms": t1 - t0,
            "interactive_ms": first + (t1 - t0),
            "dom_ms": loaded,
        }
    finally:
        page.close()


@click.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--repeat", default=5, show_default=True)
def main(reports: tuple[Path, ...], repeat: int) -> None:
    from playwright.sync_api import sync_playwright

    runs: dict[Path, list[dict[str, float]]] = {r: [] for r in reports}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=[f for f in FLAGS if f != "--headless"]
        )
        for _ in range(repeat):
            for r in reports:
                runs[r].append(once(browser, r))
        browser.close()
    print(f"| report | MB | DOM ready | first row | filter | interactive (median of {repeat}) |")
    print("|---|---|---|---|---|---|")
    for r, ms in runs.items():

        def med(key: str, ms=ms) -> float:
            return statistics.median(m[key] for m in ms) / 1000

        print(
            f"| {r} | {r.stat().st_size / 1e6:.1f} | {med('dom_ms'):.2f} s "
            f"| {med('first_row_ms'):.2f} s | {med('filter_ms'):.3f} s "
            f"| {med('interactive_ms'):.2f} s |"
        )


if __name__ == "__main__":
    main()
