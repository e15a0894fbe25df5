"""report.html in a real browser: headless Debian Chromium driven by Playwright.

The sample report must load without console errors, show both nodes, the diagrams and
the timeline; the filter must narrow the rows and the raw/aligned toggle change the
times. Screenshots land in ``.screenshots/`` (git-ignored) to be looked at. A resource
named ``<script>alert(1)</script>`` must stay text in the report and the SVGs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .browser import CHROMIUM, FLAGS
from .helpers import ROOT, SAMPLES, THREAD, entry, write_log

playwright = pytest.importorskip("playwright.sync_api", reason="./setup.sh --test installs it")

SCREENS = ROOT / ".screenshots"
PAYLOAD = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=[f for f in FLAGS if f != "--headless"]
        )
        yield b
        b.close()


def open_page(browser, report: Path, width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    problems: list[str] = []

    def console(msg) -> None:
        if msg.type in ("error", "warning"):
            problems.append(f"{msg.type}: {msg.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(report.as_uri())
    page.wait_for_selector("#rows tbody tr")
    return page, problems, dialogs


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from correlate.cli import main

    out = tmp_path_factory.mktemp("sample") / "out"
    result = CliRunner().invoke(
        main, [str(SAMPLES / "node0"), str(SAMPLES / "node1"), "-o", str(out)]
    )
    assert result.exit_code in (0, 1), result.output
    return out / "report.html"


def rows_shown(page) -> int:
    return page.locator("#rows tbody tr").count()


def test_sample_report_in_chromium(browser, sample_report):
    page, problems, _ = open_page(browser, sample_report)
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENS / "report-top.png"))
    body = page.locator("body").inner_text()
    assert "node0" in body and "node1" in body
    # Every episode's diagram and the overview are inline SVGs.
    n_episodes = page.locator("section.episode").count()
    assert n_episodes >= 5
    assert page.locator("section.episode .diagram svg").count() == n_episodes
    assert page.locator("h2#episodes + .diagram svg").count() == 1
    # The timeline: a page of rows, both nodes in it.
    info = page.locator("#pageinfo").inner_text()
    total = int(re.search(r"of ([\d,]+) rows", info).group(1).replace(",", ""))
    assert total == 510 + sum(1 for _ in (SAMPLES / "node1" / "bsr.log").open("rb"))
    assert rows_shown(page) == 500
    badges = set(page.locator("#rows tbody tr td:nth-child(2)").all_inner_texts())
    assert badges == {"node0", "node1"}

    # Typing in the filter narrows the rows to the matching ones.
    page.fill("#q", "uuid_compare")
    page.wait_for_timeout(400)
    shown = page.locator("#rows tbody tr td.msg").all_inner_texts()
    assert 0 < len(shown) < 40
    assert all("uuid_compare" in m for m in shown)

    # The raw/aligned toggle changes node1's times (its clock is 0.33 s behind).
    page.fill("#q", "Resync done")
    page.wait_for_timeout(400)
    row = page.locator("#rows tbody tr", has_text="node1").first
    aligned = row.locator("td").nth(0).inner_text()
    local = row.locator("td").nth(2).inner_text()
    page.check("#raw")
    page.wait_for_timeout(200)
    row = page.locator("#rows tbody tr", has_text="node1").first
    assert row.locator("td").nth(0).inner_text() == local != aligned
    assert "RAW" in page.locator("#mode").inner_text()
    page.uncheck("#raw")
    page.fill("#q", "")
    page.wait_for_timeout(400)

    # A finding's line link opens the timeline page holding that line, highlighted.
    links = page.locator("#findings ~ table a.ln")
    if links.count():
        links.first.click()
        page.wait_for_timeout(300)
        assert page.locator("#rows tbody tr.hit").count() == 1
    page.locator("#timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "report-timeline.png"))
    page.screenshot(path=str(SCREENS / "report-full.png"), full_page=True)
    assert problems == []


def test_report_reads_without_javascript(browser, sample_report):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(sample_report.as_uri())
    text = page.locator("body").inner_text()
    assert "Clock alignment" in text and "Findings" in text and "Episodes" in text
    # The protocol events are there as a static table.
    assert page.locator("noscript").count() == 1
    assert page.locator("section.episode .diagram svg").count() >= 5
    context.close()


def xss_logs(tmp_path: Path) -> list[Path]:
    """Two Windows nodes whose resource is a script tag, with the tag in messages too."""
    res = f"bsr {PAYLOAD}, r(Secondary), f(0x0), scf(0x0): "
    conn = f"bsr {PAYLOAD} pnode-id:{{p}}, cs(Connecting), prole(Unknown), cflag(0x0), scf(0x0): "
    a = [
        entry(1, "10:00:00.0000000", "BSR driver loaded", cat="DRIVER", idx=77),
        entry(
            2,
            "10:00:01.0000000",
            f"{PAYLOAD}, role( Secondary -> Primary )",
            func="print_state_change",
            cat="STATE",
            idx=18,
            obj=res,
        ),
        entry(
            3,
            "10:00:02.0000000",
            "Handshake to peer 1 successful: Agreed network protocol version 114",
            func="bsr_do_features",
            cat="PROTOCOL",
            idx=55,
            obj=conn.format(p=1),
        ),
        entry(4, "10:00:02.0100000", f'"{PAYLOAD}" & <img src=x onerror=alert(2)>', obj=THREAD),
    ]
    b = [
        entry(1, "10:00:00.2000000", "BSR driver loaded", cat="DRIVER", idx=77),
        entry(
            2,
            "10:00:02.0001000",
            "Handshake to peer 0 successful: Agreed network protocol version 114",
            func="bsr_do_features",
            cat="PROTOCOL",
            idx=55,
            obj=conn.format(p=0),
        ),
    ]
    return [
        write_log(tmp_path / "a.log", [*a, f"garbage {PAYLOAD}"]),
        write_log(tmp_path / "b.log", b),
    ]


def test_script_in_resource_name_stays_text(browser, tmp_path, bsrcorr):
    run = bsrcorr(*xss_logs(tmp_path))
    assert run.exit_code in (0, 1), run.stderr
    report = run.out / "report.html"
    text = report.read_text(encoding="utf-8")
    assert PAYLOAD not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    svgs = sorted((run.out / "diagrams").glob("*.svg"))
    assert svgs
    carrying = 0
    for svg in svgs:
        body = svg.read_text(encoding="utf-8")
        ET.fromstring(body)  # well-formed XML: the tag did not leak as markup
        assert "<script" not in body
        carrying += "&lt;script&gt;" in body
    assert carrying, "the payload should appear (escaped) in some diagram"
    page, problems, dialogs = open_page(browser, report)
    assert dialogs == []
    assert page.locator("script").count() == 2  # the data block and ours, nothing else
    assert PAYLOAD in page.locator("body").inner_text()  # shown as text
    page.fill("#q", "onerror")
    page.wait_for_timeout(400)
    assert page.locator("#rows tbody img").count() == 0
    assert rows_shown(page) == 1
    assert problems == [] and dialogs == []


@pytest.mark.parametrize(
    ("cap", "says"),
    [
        (600, "routine rows left out are in timeline.csv"),
        (50, "the first 50 of the"),
    ],
)
def test_report_row_cap_says_what_it_left_out(bsrcorr, monkeypatch, cap, says):
    """Above the cap the page keeps protocol events, warnings and errors, and says so."""
    from correlate.render import report

    monkeypatch.setattr(report, "REPORT_ROWS", cap)
    run = bsrcorr(SAMPLES / "node0", SAMPLES / "node1")
    assert run.exit_code == 0, run.stderr
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert says in html
    assert "of 766 rows" in html
    embedded = re.search(r"This page embeds ([\d,]+) of", html)
    assert embedded and int(embedded.group(1).replace(",", "")) <= cap
