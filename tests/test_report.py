"""report.html in a real browser: headless Debian Chromium driven by Playwright.

The sample report must load without console errors, show both nodes, the diagrams and
the timeline; the filter must narrow the rows and the raw/aligned toggle change the
times; a finding's line link must open the timeline at that line. Every wait is on a
condition (Playwright's auto-waiting ``expect``), never a fixed sleep. Screenshots land in
``.screenshots/`` only with ``BSRCORR_SCREENSHOTS=1``. A resource named
``<script>alert(1)</script>`` must stay text in the report and the SVGs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from correlate.times import fmt_ns

from . import browser as chromium
from .helpers import DATA, NO_DIAGRAMS, SAMPLES, THREAD, entry, write_log

sync_api = pytest.importorskip("playwright.sync_api", reason="./setup.sh --test installs it")
expect = sync_api.expect

PAYLOAD = "<script>alert(1)</script>"
SAMPLE_ROWS = 766  # samples/README.md: 510 + 256 lines, one row each


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
    expect(page.locator("#rows tbody tr").first).to_be_visible()
    return page, problems, dialogs


def _bundle(tmp_path_factory, name: str, *args: str | Path) -> Path:
    from click.testing import CliRunner

    from correlate.cli import main

    out = tmp_path_factory.mktemp(name) / "out"
    result = CliRunner().invoke(main, [*map(str, args), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    return out


@pytest.fixture(scope="module")
def sample_bundle(tmp_path_factory) -> Path:
    return _bundle(tmp_path_factory, "sample", SAMPLES / "node0", SAMPLES / "node1")


@pytest.fixture(scope="module")
def findings_bundle(tmp_path_factory) -> Path:
    """A capture with findings (an unterminated command, a timed-out and an aborted 2PC)."""
    logs = [DATA / "events" / "linux_alpha.log", DATA / "events" / "linux_beta.log"]
    return _bundle(tmp_path_factory, "findings", *logs, *NO_DIAGRAMS)


def rows(page):
    return page.locator("#rows tbody tr")


def matching(bundle: Path, text: str) -> int:
    """Rows the page's text filter keeps: message or node holds ``text``, any case."""
    t = pl.read_parquet(bundle / "timeline.parquet")
    q = text.lower()
    return t.filter(
        pl.col("message").str.to_lowercase().str.contains(q, literal=True)
        | pl.col("node").cast(pl.String).str.to_lowercase().str.contains(q, literal=True)
    ).height


def test_sample_report_in_chromium(browser, sample_bundle):
    page, problems, _ = open_page(browser, sample_bundle / "report.html")
    chromium.save_screenshot(page, "report-top.png")
    body = page.locator("body")
    expect(body).to_contain_text("node0")
    expect(body).to_contain_text("node1")
    # Every episode's diagram and the overview are inline SVGs.
    n_episodes = page.locator("section.episode").count()
    assert n_episodes >= 5
    expect(page.locator("section.episode .diagram svg")).to_have_count(n_episodes)
    expect(page.locator("h2#episodes + .diagram svg")).to_have_count(1)
    # The timeline: a page of rows, both nodes in it.
    expect(page.locator("#pageinfo")).to_contain_text(f"of {SAMPLE_ROWS} rows")
    expect(rows(page)).to_have_count(500)
    badges = set(page.locator("#rows tbody tr td:nth-child(2)").all_inner_texts())
    assert badges == {"node0", "node1"}

    # Typing in the filter narrows the rows to the matching ones.
    page.fill("#q", "uuid_compare")
    want = matching(sample_bundle, "uuid_compare")
    assert 0 < want < 40
    expect(rows(page)).to_have_count(want)
    assert all("uuid_compare" in m for m in page.locator("#rows td.msg").all_inner_texts())

    # The raw/aligned toggle changes node1's times (its clock is 0.33 s behind).
    page.fill("#q", "Resync done")
    expect(rows(page)).to_have_count(matching(sample_bundle, "Resync done"))
    row = rows(page).filter(has_text="node1").first
    aligned = row.locator("td").nth(0).inner_text()
    local = row.locator("td").nth(2).inner_text()
    assert local != aligned
    page.check("#raw")
    expect(page.locator("#mode")).to_contain_text("RAW")
    expect(rows(page).filter(has_text="node1").first.locator("td").nth(0)).to_have_text(local)
    page.uncheck("#raw")
    page.fill("#q", "")
    expect(rows(page)).to_have_count(500)
    page.locator("#timeline").scroll_into_view_if_needed()
    chromium.save_screenshot(page, "report-timeline.png")
    chromium.save_screenshot(page, "report-full.png", full_page=True)
    assert problems == []


def test_finding_link_opens_its_line(browser, findings_bundle):
    page, problems, _ = open_page(browser, findings_bundle / "report.html")
    links = page.locator("h2#findings + table a.ln")
    # Server-rendered: the table is whole once the page has loaded.
    assert links.count() >= 3  # each of the three findings links its lines
    link = links.last
    target = re.fullmatch(r"#row-(\d+)", link.get_attribute("href")).group(1)
    message = link.get_attribute("title").rsplit("; ", 1)[1]
    page.fill("#q", "no row holds this text")  # filtered out: the click must clear it
    expect(rows(page)).to_have_count(0)
    link.click()
    hit = page.locator("#rows tbody tr.hit")
    expect(hit).to_have_count(1)
    expect(hit).to_have_attribute("data-row", target)
    expect(hit.locator("td.msg")).to_have_text(message)
    expect(page.locator("#q")).to_have_value("")
    assert problems == []


def test_report_reads_without_javascript(browser, sample_bundle):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((sample_bundle / "report.html").as_uri())
    body = page.locator("body")
    for heading in ("Clock alignment", "Findings", "Episodes"):
        expect(body).to_contain_text(heading)
    # The protocol events are there as a static table, with their aligned and local times.
    expect(page.locator("noscript")).to_have_count(1)
    events = pl.read_parquet(sample_bundle / "timeline.parquet").filter(
        pl.col("event").fill_null("") != ""
    )
    first = page.locator("tr[id^='row-']").first.locator("td")
    ns = events.select(pl.col("time", "local_time").cast(pl.Int64)).row(0)
    expect(first.nth(0)).to_have_text(fmt_ns(ns[0], sep=" "))
    expect(first.nth(2)).to_have_text(fmt_ns(ns[1], sep=" "))
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
    assert run.exit_code == 1, run.stderr  # the garbage line is unparsed
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
    expect(page.locator("script")).to_have_count(2)  # the data block and ours, nothing else
    expect(page.locator("body")).to_contain_text(PAYLOAD)  # shown as text
    page.fill("#q", "onerror")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#rows tbody img")).to_have_count(0)
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
    run = bsrcorr(SAMPLES / "node0", SAMPLES / "node1", *NO_DIAGRAMS)
    assert run.exit_code == 0, run.stderr
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert says in html
    assert f"of {SAMPLE_ROWS} rows" in html
    embedded = re.search(r"This page embeds ([\d,]+) of", html)
    assert embedded and int(embedded.group(1).replace(",", "")) <= cap


def test_row_cap_keeps_an_open_status_poll(tmp_path, monkeypatch):
    """Past the cap the page leaves out terminated status polls (summary.json counts them)
    but keeps a poll that never terminated: it is a command summary.json lists and a
    finding links to."""
    from datetime import datetime

    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse
    from correlate.render import report

    from .simulate import Sim, SimNode

    sim = Sim([SimNode("a", 0), SimNode("b", 1)], datetime(2024, 1, 1))
    sim.routine("a", 1.0, 9.0, 8)
    sim.command("a", 2.0, "GET_INITIAL_STATE", 7, 2.001)
    sim.command("a", 3.0, "GET_INITIAL_STATE", 8, None)
    paths = sim.write(tmp_path / "logs")
    options = Options(out=tmp_path / "out", diagrams="none")
    analysis = analyse([f"{n}={p}" for n, p in paths.items()], options, Notices())
    (open_poll,) = [c for c in analysis.events[0].netlink if c.done is None]
    (finding,) = [f for f in analysis.findings if f.kind == "netlink_unterminated"]
    assert finding.lines[0].row == open_poll.received.row
    monkeypatch.setattr(report, "REPORT_ROWS", analysis.timeline.height - 1)
    kept = report._timeline_table(analysis)["frame"]
    rows = {(str(n), r) for n, r in kept.select("node", "row").iter_rows()}
    polls = analysis.events[0].polls
    assert ("a", open_poll.received.row) in rows
    assert not rows & {("a", r) for r in [*polls["received_row"], *polls["done_row"]]}
