"""Sequence diagrams: what they draw, in what order, deterministically, and without dot.

The sample reconnect is checked in test_samples.py; here, hand-made and simulated logs.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from .helpers import DATA
from .simulate import Sim, SimNode

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2021, 3, 1, 9, 0, 0)


def svg_texts(path: Path) -> list[str]:
    """The SVG's text elements, top to bottom (y grows downwards); a note's lines (a long
    note is wrapped) as one text, as the note says it."""
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    items = []
    in_notes = set()
    for g in root.iter(f"{SVG}g"):
        # a note: Graphviz draws its folded corner as a polyline
        if g.get("class") == "node" and next(g.iter(f"{SVG}polyline"), None) is not None:
            lines = list(g.iter(f"{SVG}text"))
            if lines:
                in_notes.update(id(t) for t in lines)
                said = " ".join("".join(t.itertext()) for t in lines)
                items.append((float(lines[0].get("y", 0)), float(lines[0].get("x", 0)), said))
    for t in root.iter(f"{SVG}text"):
        if id(t) not in in_notes:
            items.append((float(t.get("y", 0)), float(t.get("x", 0)), "".join(t.itertext())))
    return [s for _, _, s in sorted(items)]


def three_nodes(tmp_path: Path) -> list[str]:
    sim = Sim(
        [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.2), SimNode("n2", 2, offset_s=-1.5)], START
    )
    sim.connect("n0", "n1", 5.0)
    sim.connect("n0", "n2", 8.0)
    sim.twopc("n0", 60.0, ["n1", "n2"])
    sim.log(
        "n0",
        60.002,
        "print_state_change",
        "STATE",
        18,
        "change_role, role( Secondary -> Primary )",
        kind="resource",
    )
    paths = sim.write(tmp_path / "logs")
    return [f"{k}={v}" for k, v in paths.items()]


def test_three_nodes_draw_three_lifelines(tmp_path, bsrcorr):
    run = bsrcorr(*three_nodes(tmp_path))
    assert run.exit_code == 0, run.stderr
    summary = json.loads((run.out / "summary.json").read_text())
    role = [e for e in summary["episodes"] if e["kind"] == "role change"]
    assert len(role) == 1 and role[0]["nodes"] == ["n0", "n1", "n2"]
    texts = svg_texts(run.out / role[0]["diagram"])
    heads = [t for t in texts if t in ("n0", "n1", "n2")]
    assert heads == ["n0", "n1", "n2"]
    assert "Secondary → Primary" in texts  # n0's role across the episode
    # The 2PC goes to both peers: two prepares, two replies, two commits.
    assert sum(t.startswith("2PC prepare") for t in texts) == 2
    assert sum(t.startswith("2PC commit") for t in texts) == 2
    overview = svg_texts(run.out / "diagrams" / "overview.svg")
    assert {"n0", "n1", "n2"} <= set(overview)


def test_diagrams_are_deterministic(tmp_path, bsrcorr):
    specs = three_nodes(tmp_path)
    a = bsrcorr(*specs, out=tmp_path / "a")
    b = bsrcorr(*specs, out=tmp_path / "b")
    names = sorted(p.name for p in (a.out / "diagrams").iterdir())
    assert names == sorted(p.name for p in (b.out / "diagrams").iterdir())
    assert len(names) >= 5
    for name in names:
        assert (a.out / "diagrams" / name).read_bytes() == (b.out / "diagrams" / name).read_bytes()


def test_diagrams_option(tmp_path, bsrcorr):
    logs = [DATA / "events" / "win_a.log", DATA / "events" / "win_b.log"]
    run = bsrcorr(*logs)
    episodes = run.json()["episodes"]
    assert episodes and all((run.out / e["diagram"]).is_file() for e in episodes)
    run = bsrcorr(*logs, "--diagrams", "overview")
    assert [p.name for p in (run.out / "diagrams").iterdir()] == ["overview.svg"]
    # summary.json names no diagram that was not drawn
    assert [e["diagram"] for e in run.json()["episodes"]] == [None] * len(episodes)
    # A later run with none removes what the earlier one drew: no stale pictures.
    run = bsrcorr(*logs, "--diagrams", "none")
    assert list((run.out / "diagrams").iterdir()) == []
    assert [e["diagram"] for e in run.json()["episodes"]] == [None] * len(episodes)
    assert "(diagram not rendered: see --diagrams)" in (run.out / "report.html").read_text()


def test_missing_dot_writes_everything_else_and_exits_1(tmp_path, bsrcorr, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no dot anywhere
    assert shutil.which("dot") is None
    run = bsrcorr(DATA / "events" / "win_a.log", DATA / "events" / "win_b.log")
    assert run.exit_code == 1
    # a warning, not an error: the run finished its bundle
    assert not run.errors and "Traceback" not in run.stderr
    [warning] = run.warnings
    assert warning.startswith("bsrcorr: warning: Graphviz's dot is not installed")
    assert "apt-get install graphviz" in warning
    # everything else is written: the JSON, the timeline, the report, the terminal summary
    for name in ("timeline.parquet", "summary.json", "alignment.json"):
        assert (run.out / name).stat().st_size > 0
    html = (run.out / "report.html").read_text()
    assert 'id="no-dot"' in html and "apt-get install graphviz" in html
    assert "(diagram not rendered: Graphviz's dot is missing)" in html
    assert run.stdout.endswith(f"written to {run.out}/\n")
    assert "diagrams/*.dot" in run.stdout
    # a .dot source for every episode and the overview, no SVG, and none named
    episodes = run.json()["episodes"]
    dots = sorted(p.name for p in (run.out / "diagrams").iterdir())
    slugs = [
        f"episode-{e['number']:02d}-{re.sub('[^0-9A-Za-z]', '-', e['kind'])}"
        + (f"-{e['resource']}" if e["resource"] else "")
        for e in episodes
    ]
    assert dots == sorted([f"{slug}.dot" for slug in slugs] + ["overview.dot"])
    assert [e["diagram"] for e in episodes] == [None] * len(episodes)


def test_long_episode_is_capped(tmp_path, bsrcorr):
    sim = Sim([SimNode("n0", 0), SimNode("n1", 1, offset_s=0.1)], START)
    end = sim.connect("n0", "n1", 5.0)
    sim.log(
        "n0",
        end + 1,
        "NetlinkWorkThread",
        "NETLINK",
        18,
        "BSR_ADM_PRIMARY:14 command has been received. Execute the command.",
    )
    for k in range(80):  # 80 role 2PCs after a PRIMARY command that never finished
        sim.twopc("n0", end + 1.01 + 0.05 * k, ["n1"])
    paths = sim.write(tmp_path / "logs")
    run = bsrcorr(*paths.values())
    summary = json.loads((run.out / "summary.json").read_text())
    (role,) = [e for e in summary["episodes"] if e["kind"] == "role change"]
    texts = svg_texts(run.out / role["diagram"])
    rows = [t for t in texts if re.fullmatch(r"\d\d:\d\d:\d\d\.\d{7}", t)]
    assert 30 <= len(rows) <= 61
    assert any("more" in t for t in texts), "the cut must say how much was left out"


def test_connect_diagram_and_overview_tell_the_story(tmp_path, bsrcorr):
    run = bsrcorr(DATA / "events" / "linux_alpha.log", DATA / "events" / "linux_beta.log")
    episodes = run.json()["episodes"]
    connect = next(e for e in episodes if e["kind"] == "connect")
    texts = svg_texts(run.out / connect["diagram"])  # parses the SVG as XML too
    assert {"linux_alpha", "linux_beta"} <= set(texts)
    # the connect, top to bottom in protocol order
    story = [
        "feature handshake (both ways)",
        "2PC prepare 1001 conn(Connected)",
        "2PC reply 1001 rv 3",
        "2PC commit 1001",
        "UUID sets (both ways)",
        "uuid_compare(2) by rule 70: the peer's current UUID equals my bitmap UUID, so I am "
        "SyncSource",
        "uuid_compare(-2) by rule 50: my current UUID equals the peer's bitmap UUID, so I am "
        "SyncTarget",
        "bitmap exchange complete",
        "resync starts as SyncSource: 4096 KB",
        "resync starts as SyncTarget: 4096 KB",
        "resync done: 3 s, 1365 K/s",  # each node logs its own
        "resync done: 3 s, 1365 K/s",
    ]
    assert [t for t in texts if t in story] == story
    # time runs down: every row's time label is later than or equal to the one above
    times = [t for t in texts if re.fullmatch(r"\d\d:\d\d:\d\d\.\d{7}", t)]
    assert len(times) > 10 and times == sorted(times)
    # the overview: each episode once, in order, linked to its own diagram
    overview = run.out / "diagrams" / "overview.svg"
    numbers = [t for t in svg_texts(overview) if re.fullmatch(r"#\d+", t)]
    assert numbers == [f"#{e['number']}" for e in episodes]
    links = re.findall(r'href="([^"]+)"', overview.read_text())
    assert links == [Path(e["diagram"]).name for e in episodes]
