"""The report in print and at a wide screen (issue 25): every episode's diagram present
and scaled to the page (never cut), every note's text inside its box, one episode a
page, the product in the title, and ``--pdf`` printing it with headless Chromium.
``BSRCORR_SCREENSHOTS=1`` saves the screenshots looked at (.screenshots/print-*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import browser as chromium
from .helpers import DATA, SAMPLES

REAL = DATA / "real"
A4_CONTENT_PX = 718  # 210 mm less the print stylesheet's 2 x 10 mm margins, at 96 dpi

# Each inline SVG: how far its box sticks out of the page, and its notes whose text
# sticks out of their shape (in the SVG's own units, so the scale does not matter).
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('.diagram svg')].map((svg) => {
    const box = svg.getBoundingClientRect();
    const out = [];
    svg.querySelectorAll('g.node').forEach((g) => {
      const shape = g.querySelector('polygon');
      const texts = g.querySelectorAll('text');
      if (!shape || !texts.length) return;
      const s = shape.getBBox();
      texts.forEach((t) => {
        const b = t.getBBox();
        if (b.x < s.x - 0.5 || b.x + b.width > s.x + s.width + 0.5) out.push(t.textContent);
      });
    });
    return {over: box.right - width, left: box.left, overflow: out,
            episode: svg.closest('section') ? svg.closest('section').id : 'overview'};
  });
}"""


def _bundle(tmp_path_factory, name: str, *args: str) -> Path:
    from click.testing import CliRunner

    from correlate.cli import main

    out = tmp_path_factory.mktemp(name)
    result = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    return out


CASES = {
    "samples": ([str(SAMPLES / "node0"), str(SAMPLES / "node1")], "BSR postmortem"),
    "suse": (
        [f"{n}={REAL / 'suse-jb154sapqe' / f'{n}.log'}" for n in ("jb154sapqe01", "jb154sapqe02")],
        "DRBD postmortem",
    ),
    "linstor213": (
        [
            f"{n}={REAL / 'linstor213-kube-node' / f'{n}.log'}"
            for n in ("kube-node-6", "kube-node-2")
        ],
        "DRBD postmortem",
    ),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, tmp_path_factory):
    args, title = CASES[request.param]
    return request.param, _bundle(tmp_path_factory, request.param, *args), title


@pytest.mark.parametrize("medium", ["screen", "print"])
def test_every_diagram_fits_and_every_note_holds_its_text(browser, case, medium):
    name, out, title = case
    width = 1400 if medium == "screen" else A4_CONTENT_PX
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.emulate_media(media=medium)
    page.goto((out / "report.html").as_uri())
    assert page.locator("h1").inner_text().startswith(title)
    n = page.locator("section.episode").count()
    assert n >= 1
    # every episode is drawn, its diagram among them
    assert page.locator("section.episode .diagram svg").count() == n
    measured = page.evaluate(MEASURE)
    assert len(measured) == n + 1  # and the overview
    for m in measured:
        assert m["over"] <= 1, f"{name} {m['episode']}: {m['over']:.0f} px past the page"
        assert m["overflow"] == [], f"{name} {m['episode']}: text outside its note"
    if medium == "print":
        # one episode a page
        breaks = page.evaluate(
            "[...document.querySelectorAll('section.episode')]"
            ".map((s) => getComputedStyle(s).breakBefore)"
        )
        assert set(breaks) == {"page"}
        assert (
            page.evaluate(
                "[...document.querySelectorAll('section.episode')]"
                ".filter((s) => getComputedStyle(s).contentVisibility !== 'visible').length"
            )
            == 0
        )
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
    chromium.save_screenshot(page, f"print-{name}-{medium}.png", full_page=True)
    page.close()


@pytest.mark.skipif(not chromium.available(), reason=chromium.missing_reason())
def test_pdf_option_writes_report_pdf(tmp_path):
    from click.testing import CliRunner

    from correlate.cli import main

    args, _ = CASES["suse"]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path), "--pdf"])
    assert result.exit_code in (0, 1), result.output
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert "report.pdf" in result.output


def test_pdf_without_chromium_says_how_to_install(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from correlate.cli import main
    from correlate.render import pdf

    monkeypatch.setattr(pdf, "chromium", lambda: None)
    args, _ = CASES["suse"]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path), "--pdf"])
    assert result.exit_code != 0
    errors = [ln for ln in result.output.splitlines() if "error" in ln]
    assert len(errors) == 1 and "apt-get install chromium" in errors[0]
    assert not (tmp_path / "report.pdf").exists()
