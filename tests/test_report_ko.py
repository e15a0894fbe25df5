"""The report and the diagrams in Korean (``--lang ko``), as a Korean reader sees them in
Chromium: Hangul drawn in a font that has it (not as empty boxes), no English words of
bsrcorr's own left in the page, every diagram label inside its box; and English stays
English by default.

Two captures: the samples (``samples/node0``, ``samples/node1``) and a simulated one of
two resources with a resync, a command that never finished (a finding) and a log line
holding Hangul, drawn with ``--diagrams auto`` cut down (:data:`AUTO_ALL` 4, overview
bands above 6 episodes) so that the left-out reasons and the banded overview appear on a
small capture. ``BSRCORR_SCREENSHOTS=1`` saves screenshots of the Korean page and a
Korean diagram in ``.screenshots/``.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from correlate import i18n
from correlate.cli import main
from correlate.render import report, select, sequence

from . import browser as chromium
from .helpers import SAMPLES
from .simulate import Sim, SimNode

sync_api = pytest.importorskip("playwright.sync_api", reason="./setup.sh --test installs it")
expect = sync_api.expect
babel = pytest.importorskip("babel", reason="./setup.sh --test installs Babel")
from babel.messages.pofile import read_po  # noqa: E402

HANGUL = re.compile("[\uac00-\ud7a3]")
PO = Path(__file__).resolve().parent.parent / "correlate/locale/ko/LC_MESSAGES/bsrcorr.po"
KOREAN_LOG = "volume label 데이터 디스크 (set by the operator)"


def run_cli(out: Path, *args: str | Path, env: dict[str, str] | None = None) -> Path:
    result = CliRunner(env=env).invoke(main, [*map(str, args), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    i18n.use("en")
    return out


@pytest.fixture(scope="module")
def multi_logs(tmp_path_factory) -> list[str]:
    """Two nodes, two resources: connects and disconnects in turn, one with a resync; the
    last DISCONNECT command never terminates; a log line of node1 holds Hangul."""
    tmp = tmp_path_factory.mktemp("ko-multi")
    both = ["r0", "r1"]
    nodes = [
        SimNode("node0", 0, resources=both, host="alpha"),
        SimNode("node1", 1, offset_s=-0.3, resources=both, host="beta"),
    ]
    sim = Sim(nodes, datetime(2024, 1, 1))
    t = 10.0
    for k in range(8):
        res = both[k % 2]
        end = sim.connect("node0", "node1", t, resync_kb=4000 if k == 2 else None, res=res)
        after = max(end, t + 1) + 20
        if k == 7:
            sim.disconnect("node0", "node1", after, command=None, res=res)
            sim.command("node0", after, "DISCONNECT", 11, None, res=res)
        else:
            sim.disconnect("node0", "node1", after, res=res)
        t += 400.0
    sim.log("node1", 30.0, "some_func", "ETC", 1, KOREAN_LOG)
    return [f"{name}={path}" for name, path in sim.write(tmp / "logs").items()]


@pytest.fixture(scope="module")
def ko_sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ko-sample") / "out"
    return run_cli(out, SAMPLES / "node0", SAMPLES / "node1", "--lang", "ko")


@pytest.fixture(scope="module")
def ko_multi(tmp_path_factory, multi_logs) -> Path:
    out = tmp_path_factory.mktemp("ko-multi-out") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(select, "AUTO_ALL", 4)
        mp.setattr(report, "AUTO_ALL", 4)
        mp.setattr(sequence, "OVERVIEW_ROWS", 6)
        return run_cli(out, *multi_logs, "--lang", "ko", "--diagrams", "auto")


def open_report(browser, bundle: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.goto((bundle / "report.html").as_uri())
    expect(page.locator("#rows tbody tr").first).to_be_visible()
    return page, problems


def hangul_families() -> set[str]:
    """Font families fontconfig says cover Korean (each name a family answers to)."""
    out = subprocess.run(
        ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, check=False
    ).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name}


# In the page: every text node a reader sees, with what holds it, and the tooltips. Log
# rows (td.msg), levels, event names and times, code, node badges and the controls'
# option lists (log values) are not bsrcorr's words.
VISIBLE_TEXT = """
() => {
  const skip = "td.msg, td.lv, td.ev, td.t, code, .badge, select, script, style, noscript";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    const t = n.textContent.trim();
    if (t && p && !p.closest(skip)) out.push(t);
  }
  const XLINK = "http://www.w3.org/1999/xlink";
  for (const e of document.querySelectorAll("[title], a")) {
    if (e.closest(skip)) continue;
    const t = e.getAttribute("title") || e.getAttributeNS(XLINK, "title");
    if (t) out.push(t);
  }
  return out;
}
"""

# A canvas drawing of each character in the page's own font stack, compared with the
# drawing of a code point no font has (U+0378, unassigned): a character drawn as that
# same missing-glyph box, or as nothing, is tofu.
TOFU = """
(chars) => {
  const font = getComputedStyle(document.body).fontFamily;
  const c = document.createElement("canvas");
  c.width = 48; c.height = 48;
  const g = c.getContext("2d", { willReadFrequently: true });
  const draw = (ch) => {
    g.clearRect(0, 0, 48, 48);
    g.font = "32px " + font;
    g.fillText(ch, 4, 36);
    return g.getImageData(0, 0, 48, 48).data.join(",");
  };
  const missing = draw("\\u0378"), blank = draw(" ");
  const drawn = chars.map(draw);
  return { font, bad: chars.filter((ch, i) => drawn[i] === missing || drawn[i] === blank),
           distinct: new Set(drawn).size };
}
"""


def test_korean_report_shows_hangul_in_a_font_that_has_it(browser, ko_sample):
    page, problems = open_report(browser, ko_sample)
    chromium.save_screenshot(page, "report-ko-top.png")
    assert page.evaluate("document.documentElement.lang") == "ko"
    # headings, table headers and the script's own words are Korean (but ID, tid, KB)
    for sel in ("h1", "h2", "th", "#pageinfo", "#mode", "#controls > label", "#csv"):
        texts = [t for t in page.locator(sel).all_inner_texts() if t not in ("ID", "tid", "KB")]
        assert texts and all(HANGUL.search(t) for t in texts), (sel, texts)
    # every distinct Hangul syllable of the page drawn as a glyph, not a box
    chars = sorted({c for t in page.evaluate(VISIBLE_TEXT) for c in HANGUL.findall(t)})
    assert len(chars) > 100
    drawn = page.evaluate(TOFU, chars)
    assert drawn["bad"] == [], drawn
    assert drawn["distinct"] == len(chars)
    # and the browser says which font drew them: one fontconfig knows has Korean
    korean = hangul_families()
    assert korean, "no Hangul font installed (./setup.sh installs fonts-nanum)"
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    # (a diagram's text too: the overview, at the top of the episodes)
    for sel in ("h1", "h2#findings", "#nodes + table th", "#mode", "h2#episodes + .diagram text"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": sel})["nodeId"]
        text = page.locator(sel).first.text_content()
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        in_korean = sum(f["glyphCount"] for f in fonts if f["familyName"] in korean)
        assert in_korean >= len(HANGUL.findall(text)) > 0, (sel, text, fonts)
    assert problems == []
    page.close()


# Words a Korean text keeps: protocol names (SyncSource, TWOPC, uuid_compare), file and
# field names, numbers; and words of two letters.
KEPT = re.compile(r"\b(?:[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,4}s?|\w*[_./0-9]\w*|\w{1,2})\b")


def ui_phrases() -> list[str]:
    """The English of the catalog's messages that have Korean of their own (a message
    translated as itself, like ``2PC``, ``up`` or ``--diagrams {mode}``, is a name):
    each whole message without placeholders, and of the others each stretch between
    placeholders that has two English words or more (one word there, like ``minor``,
    ``plain`` or ``rule``, is as often a name the Korean keeps)."""
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="ko")
    phrases = set()
    for m in catalog:
        if not m.id or m.string == m.id or not isinstance(m.id, str):
            continue
        parts = re.split(r"\{\w*\}", m.id)
        for part in parts:
            part = part.strip(" .,;:()+-")
            words = KEPT.sub(" ", part).split()
            if len(words) >= (1 if len(parts) == 1 else 2):
                phrases.add(part)
    return sorted(phrases, key=len, reverse=True)


# Not bsrcorr's words: DRBD's state fields as the log names them (``peer: Unknown →
# Secondary``), option names and their values, and the packets of a 2PC.
NAMES = re.compile(
    r"\b(?:role|conn|peer|disk|pdsk|repl)(?=: |\()"
    r"|--[a-z][\w-]*(?: (?:auto|all|overview|none)\b)?"
    r"|\b2PC (?:prepare|reply|commit|abort)\b"
)


def english_left(texts: list[str], logged: list[str]) -> list[tuple[str, str]]:
    """(phrase, text) for each English phrase of the catalog still in ``texts``, after
    taking out the log's own text (whole messages, and any piece of one, as the diagrams
    quote them) and the names above."""
    english = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ui_phrases())) + r")(?![\w-])")
    messages = sorted({m for m in logged if m}, key=len, reverse=True)
    everything = "\n".join(messages)
    found = []
    for whole in set(texts):
        # a log message, or a piece of one (a diagram's note, a tooltip's last part)
        kept = [p for p in whole.split("; ") if p not in everything]
        text = NAMES.sub(" ", "; ".join(kept))
        for m in messages:
            if m in text:
                text = text.replace(m, " ")
        found += [(phrase, whole) for phrase in english.findall(text)]
    return found


@pytest.mark.parametrize("bundle", ["ko_sample", "ko_multi"])
def test_korean_report_has_no_english_words_of_its_own(browser, request, bundle):
    out: Path = request.getfixturevalue(bundle)
    page, problems = open_report(browser, out)
    # the closed states too: the raw-time view and an episode's diagram note
    texts = page.evaluate(VISIBLE_TEXT)
    page.check("#raw")
    expect(page.locator("#mode")).to_contain_text("원본")
    texts += page.evaluate(VISIBLE_TEXT)
    logged = pl.read_parquet(out / "timeline.parquet")["message"].to_list()
    left = sorted(set(english_left(texts, logged)))
    assert left == [], left[:20]
    # log text stays as logged, Korean or not
    expect(page.locator("#rows td.msg").first).not_to_be_empty()
    if bundle == "ko_multi":
        page.fill("#q", "데이터 디스크")
        expect(page.locator("#rows tbody tr")).to_have_count(1)
        expect(page.locator("#rows td.msg")).to_have_text(KOREAN_LOG)
    assert problems == []
    page.close()


def test_catalog_check_would_see_an_english_report(tmp_path, multi_logs):
    """The check above is not blind: on the English page it finds bsrcorr's words."""
    out = run_cli(tmp_path / "en", *multi_logs, "--lang", "en", "--diagrams", "none")
    html = (out / "report.html").read_text(encoding="utf-8")
    texts = re.sub(r"<[^>]+>", "\n", html.split("<script", 1)[0]).splitlines()
    found = {phrase for phrase, _ in english_left(texts, [])}
    assert {"Findings", "Clock alignment", "Timeline", "Nodes"} <= found


def test_korean_multi_resource_report_says_why_in_korean(ko_multi):
    html = (ko_multi / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in html
    assert "리소스별 프로토콜" in html and "리소스 r0" in html and "리소스 r1" in html
    # --diagrams auto left routine episodes out, and says why in Korean
    assert '(다이어그램 미생성: 같은 모양의 <a href="#episode-' in html
    assert "개에 시퀀스 다이어그램이 있다" in html
    # the finding: its kind is summary.json's name, what it means Korean
    assert "<code>netlink_unterminated</code>" in html
    assert 'title="bsradm/bsrsetup 명령이 수신되었으나 종료되지 않음"' in html
    # the banded overview's labels
    overview = (ko_multi / "diagrams" / "overview.svg").read_text(encoding="utf-8")
    assert re.search(r"에피소드 \d+개: 연결 \d+, 연결 해제 \d+; \d+개 그림, 아래에 표시", overview)
    assert "노드 및 여러 리소스" in overview  # the band of the nodes' own episodes
    # JSON stays English: reasons and kinds as the interface names them
    summary = json.loads((ko_multi / "summary.json").read_text(encoding="utf-8"))
    assert not HANGUL.search(json.dumps(summary, ensure_ascii=False).replace(KOREAN_LOG, ""))
    assert summary["diagrams"]["left_out_routine"]


# For each node of a diagram with a shape: the text's box (getBBox, in the font Chromium
# draws it with) against the shape's; how far any text sticks out, in points.
OVERFLOW = """
() => {
  const out = { boxes: 0, texts: 0, over: [] };
  for (const g of document.querySelectorAll("g.node")) {
    const shapes = [...g.querySelectorAll("polygon, path, ellipse, polyline")];
    const texts = [...g.querySelectorAll("text")];
    if (!shapes.length || !texts.length) continue;  // plaintext: no box to leave
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const s of shapes) {
      const b = s.getBBox();
      x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y);
      x1 = Math.max(x1, b.x + b.width); y1 = Math.max(y1, b.y + b.height);
    }
    out.boxes++;
    for (const t of texts) {
      out.texts++;
      const b = t.getBBox();
      const by = Math.max(x0 - b.x, b.x + b.width - x1, y0 - b.y, b.y + b.height - y1);
      if (by > 0.5) out.over.push([t.textContent, Math.round(by * 10) / 10]);
    }
  }
  return out;
}
"""


def test_korean_diagram_labels_stay_inside_their_boxes(browser, ko_sample, ko_multi):
    # the samples' (a resync, a role change, up and down), the banded overview, and the
    # two-resource capture's resync and unfinished command
    multi = ko_multi / "diagrams"
    svgs = [*sorted((ko_sample / "diagrams").glob("*.svg")), multi / "overview.svg"]
    svgs += [multi / "episode-07-connect-r0.svg", multi / "episode-18-disconnect-r1.svg"]
    page = browser.new_page()
    korean = hangul_families()
    boxes = hangul = 0
    for svg in svgs:
        body = svg.read_text(encoding="utf-8")
        # dot measured the labels in a Hangul font, and the SVG names it first
        assert f'font-family="{sequence.FONT_KO}"' in body, svg.name
        assert 'font-family="Helvetica' not in body, svg.name
        hangul += bool(HANGUL.search(body))
        page.goto(svg.as_uri())
        result = page.evaluate(OVERFLOW)
        assert result["over"] == [], (svg.name, result["over"])
        boxes += result["boxes"]
    assert boxes > 60 and hangul == len(svgs) == 13
    assert sequence.FONT_KO.split(",")[0] in korean  # the font dot measured with
    resync = ko_sample / "diagrams" / "episode-08-connect-r0.svg"
    width, height = chromium.svg_size_px(resync)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(resync.as_uri())
    chromium.save_screenshot(page, "diagram-ko-resync.png")
    page.close()


def test_english_by_default(tmp_path, multi_logs):
    env = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
    out = run_cli(tmp_path / "en", *multi_logs, "--diagrams", "overview", env=env)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    # Hangul only where the log has it: its row (shown, and in the page's data)
    shown = re.sub(r"<td class=msg>[^<]*</td>", "", html)
    data = re.search(r'<script type="application/json" id="bsrcorr-data">(.*?)</script>', html)
    assert HANGUL.search(data.group(1))
    assert not HANGUL.search(shown.replace(data.group(1), ""))
    for svg in (out / "diagrams").glob("*.svg"):
        body = svg.read_text(encoding="utf-8")
        assert not HANGUL.search(body), svg.name
        assert 'font-family="Helvetica' in body and "Nanum" not in body


def test_script_words_are_the_ones_report_js_asks_for():
    """Every T("...") of report.js is in SCRIPT_TEXT (so in the catalog), and back."""
    js = (Path(report.__file__).parent / "report.js").read_text(encoding="utf-8")
    asked = set(re.findall(r'\bT\("((?:[^"\\]|\\.)*)"', js))
    assert asked == set(report.SCRIPT_TEXT)
