"""Which episodes get a sequence diagram (``--diagrams auto``), the overview at scale, and
``dot`` in parallel giving the same bytes as one at a time.

The rule (:mod:`correlate.render.select`) is checked on hand-built episodes and findings,
then on a simulated capture of 300 routine connects and disconnects with one resync and
one command that never finished.
"""

from __future__ import annotations

import errno
import itertools
import json
import re
import threading
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from correlate.errors import Notices
from correlate.i18n import Msg
from correlate.model import Clock, Ref
from correlate.pipeline import Options, analyse, write
from correlate.render import select, sequence
from correlate.render.json import selection_json
from correlate.story.episodes import Episode
from correlate.story.findings import Finding

from .simulate import Sim, SimNode

S = 10**9


def ep(n: int, kind: str, t: float, *, res: str | None = "r0", **detail) -> Episode:
    e = Episode(kind, ["a", "b"], int(t * S), int((t + 1) * S), f"{kind} {res}", resource=res)
    e.detail = dict(detail)
    e.number = n
    return e


def clock_with(rows: dict[str, list[float]]) -> Clock:
    """Node -> each row's aligned time in seconds."""
    return Clock({k: np.array([int(t * S) for t in v], dtype=np.int64) for k, v in rows.items()})


def finding(node: str, row: int, resource: str | None = "r0", kind="twopc_aborted") -> Finding:
    ref = Ref(node, row, "x.log", row + 1, None, None)
    return Finding("error", kind, node, None, "m", [ref], resource)


def routine_capture() -> tuple[list[Episode], dict[int, str]]:
    """150 connects and 150 disconnects of r0, a connect with a resync (#7), a role
    change (#100) and a connect of r1 (#200, alone of its kind)."""
    episodes, special = [], {}
    for n in range(1, 304):
        if n == 7:
            episodes.append(ep(n, "connect", n * 10, resync={"source": "a"}))
            special[n] = "a resync"
        elif n == 100:
            episodes.append(ep(n, "role change", n * 10))
            special[n] = "a role change"
        elif n == 200:
            episodes.append(ep(n, "connect", n * 10, res="r1"))
        else:
            episodes.append(ep(n, "connect" if n % 2 else "disconnect", n * 10))
    return episodes, special


def test_auto_draws_the_notable_and_one_of_each_shape():
    episodes, _ = routine_capture()
    # A finding whose line falls inside #50's window (t 500..501 s) on node a, r0; one on
    # a node the episode does not have; one of another resource: those two draw nothing.
    clock = clock_with({"a": [500.5, 600.5], "b": [0.0], "c": [700.5]})
    findings = [
        finding("a", 0),
        finding("c", 0),
        finding("a", 1, resource="r9"),
    ]
    sel = select.select(episodes, findings, clock, "auto")
    drawn = {int(s.split("-")[1]) for s in sel.drawn}
    # Without the beats the shape is the coarse one (kind, resource, nodes, resync):
    # connect r0 (#1 first), disconnect r0 (#2), the connect with a resync (#7), the role
    # change (#100), the connect of r1 (#200); and #50 for its finding.
    assert drawn == {1, 2, 7, 50, 100, 200}
    why = {int(s.split("-")[1]): w for s, w in sel.why.items()}
    assert why[50] == "a finding (twopc_aborted)"
    assert sel.rank[episodes[49].slug] == select.RANK_NOTABLE
    connects = [e.number for e in episodes if e.kind == "connect" and e.resource == "r0"][1:]
    connects.remove(7)
    assert why[1] == f"this connect r0, {len(connects)} more like it: #3 ... #303"
    assert why[7] == "the only connect r0 + resync of its shape"
    assert why[200] == "the only connect r1 of its shape"
    # Every other episode is left out, names the drawn one of its shape, and is counted.
    assert len(sel.left_out) == len(episodes) - len(drawn)
    assert sel.left_out[episodes[2].slug] == "the same connect r0 as #1"
    assert sel.left_out[episodes[3].slug] == "the same disconnect r0 as #2"
    assert sel.stands_for[episodes[2].slug] == episodes[0].slug
    assert sel.stands_for[episodes[49].slug] == episodes[49].slug  # the finding: itself
    assert len(sel.stands_for) == len(episodes) and sel.over_cap == 0
    disconnects = [e for e in episodes if e.kind == "disconnect"]
    assert sel.left_out_kinds == {
        "connect r0": len(connects),
        "disconnect r0": len(disconnects) - 2,
    }
    doc = selection_json(sel)
    assert doc["rendered"] == len(drawn) and doc["left_out"] == len(episodes) - len(drawn)
    assert "--diagrams all" in doc["render_all"]
    by_shape = {x["drawn"]: x for x in doc["shapes"]}
    assert by_shape[1]["count"] == len(connects) + 1 and by_shape[1]["episodes"][:2] == [1, 3]
    assert by_shape[1]["diagram"] == f"diagrams/{episodes[0].slug}.svg"
    # the disconnect shape holds #50 too: its finding drew it, #2 stands for the rest
    assert by_shape[2]["count"] == len(disconnects) and 50 in by_shape[2]["episodes"]


def cycles(n: int) -> list[Episode]:
    """``n`` reconnect cycles of r0: a connect with a resync, then a disconnect."""
    out = []
    for k in range(n):
        out.append(ep(2 * k + 1, "connect", k * 100, resync={"source": "a"}))
        out.append(ep(2 * k + 2, "disconnect", k * 100 + 50))
    return out


def test_identical_cycles_are_one_diagram_with_their_count():
    """320 reconnect + resync cycles of one shape: one diagram each for the connect and
    the disconnect, with the count and the numbers they stand for."""
    episodes = cycles(320)
    shapes = {e.slug: ("same", e.kind) for e in episodes}
    sel = select.select(episodes, [], clock_with({}), "auto", shapes)
    assert [int(s.split("-")[1]) for s in sel.drawn] == [1, 2]
    assert sel.why[episodes[0].slug] == ("this connect r0 + resync, 319 more like it: #3 ... #639")
    assert sel.why[episodes[1].slug] == "this disconnect r0, 319 more like it: #4 ... #640"
    assert sel.rank[episodes[0].slug] == select.RANK_CHANGE  # a resync
    assert sel.rank[episodes[1].slug] == select.RANK_ROUTINE
    assert {sel.stands_for[e.slug] for e in episodes[::2]} == {episodes[0].slug}
    assert [s.members[:3] for s in sel.shapes] == [[1, 3, 5], [2, 4, 6]]
    # a cycle that differs in its shape is drawn too, and counted apart
    shapes[episodes[101].slug] = ("other", "disconnect")
    sel = select.select(episodes, [], clock_with({}), "auto", shapes)
    assert [int(s.split("-")[1]) for s in sel.drawn] == [1, 2, 102]
    assert sel.why[episodes[101].slug] == "the only disconnect r0 of its shape"
    assert sel.why[episodes[1].slug] == "this disconnect r0, 318 more like it: #4 ... #640"


def test_an_episode_with_a_finding_is_drawn_whatever_its_shape():
    episodes = cycles(320)
    shapes = {e.slug: ("same", e.kind) for e in episodes}
    target = episodes[301]  # #302, a disconnect at 15,050 s
    clock = clock_with({"b": [target.start_ns / S + 0.5]})
    sel = select.select(
        episodes, [finding("b", 0, kind="netlink_unterminated")], clock, "auto", shapes
    )
    assert target.slug in sel.drawn
    assert sel.why[target.slug] == "a finding (netlink_unterminated)"
    assert sel.stands_for[target.slug] == target.slug
    # the rest of its shape still has its own representative, which no longer counts it
    assert sel.why[episodes[1].slug] == "this disconnect r0, 318 more like it: #4 ... #640"


def test_at_most_200_diagrams():
    """Every episode of its own shape: the cap holds, the notable ones first, then the
    shapes that stand for the most; the rest past the cap are said so, standing for none
    (unless a drawn one of their shape does)."""
    episodes = cycles(200)  # 400 episodes
    shapes = {e.slug: e.number for e in episodes}  # 400 shapes of one
    shapes.update({e.slug: "big" for e in episodes[350:]})  # but the last 50: one shape
    late = episodes[330]
    clock = clock_with({"a": [late.start_ns / S + 0.5]})
    sel = select.select(episodes, [finding("a", 0)], clock, "auto", shapes)
    assert len(sel.drawn) == select.MAX_DRAWN
    assert late.slug in sel.drawn  # the finding, first
    assert episodes[350].slug in sel.drawn  # the largest shape next
    assert sel.why[episodes[350].slug] == "this connect r0 + resync, 49 more like it: #352 ... #400"
    assert all(sel.stands_for[e.slug] == episodes[350].slug for e in episodes[351:])
    past = [e for e in episodes if e.slug not in sel.stands_for]
    assert len(past) == sel.over_cap == 400 - 50 - 199
    assert (
        sel.left_out[past[0].slug] == f"{select.group_msg(past[0])}: past the cap of 200 diagrams"
    )
    assert len(sel.drawn) + len(sel.left_out) == len(episodes)
    doc = selection_json(sel)
    assert doc["max_drawn"] == 200 and doc["over_cap"] == sel.over_cap
    # more notable episodes than the cap: the first 200 of them
    noisy = cycles(150)
    points = clock_with({"a": [e.start_ns / S + 0.5 for e in noisy]})
    many = [finding("a", k) for k in range(len(noisy))]
    sel = select.select(noisy, many, points, "auto", {e.slug: 1 for e in noisy})
    assert sel.drawn == [e.slug for e in noisy[:200]]
    assert all(sel.stands_for[e.slug] == noisy[0].slug for e in noisy[200:])


def test_shape_of_reads_each_nodes_own_sequence():
    """The shape counts steps, not ids or times; a run of the same step once; the two
    nodes' lines may interleave either way."""
    from correlate.model import StateChange
    from correlate.render.select import shape_of
    from correlate.story.content import LossBeat, StateBeat

    def change(node, row, old, new):
        ref = Ref(node, row, "x.log", row + 1, None, None)
        sc = StateChange(ref, "connection", "r0", None, 1, None, "f", False, "conn", old, new)
        return StateBeat(row * 10, node, ref, change=sc)

    def loss(node, row):
        return LossBeat(row * 10, node, Ref(node, row, "x.log", row + 1, None, None), loss=None)

    e1, e2 = ep(1, "disconnect", 0), ep(2, "disconnect", 100)
    one = [change("a", 1, "Connected", "Disconnecting"), change("b", 2, "Connected", "Timeout")]
    two = [change("b", 7, "Connected", "Timeout"), change("a", 9, "Connected", "Disconnecting")]
    assert shape_of(e1, one) == shape_of(e2, two)
    assert shape_of(e1, [*one, loss("b", 3), loss("b", 4)]) == shape_of(e2, [*two, loss("b", 11)])
    assert shape_of(e1, one) != shape_of(e2, [*two, loss("b", 11)])
    other = [change("a", 1, "Connected", "NetworkFailure"), change("b", 2, "Connected", "Timeout")]
    assert shape_of(e1, one) != shape_of(e2, other)
    assert shape_of(e1, one) != shape_of(ep(3, "disconnect", 0, res="r1"), one)  # a resource


def n_ok(e: Episode, special: dict[int, str]) -> bool:
    return e.number not in special


def test_unfinished_commands_and_split_brain_are_drawn():
    episodes, _ = routine_capture()
    episodes[10].kind, episodes[10].detail = "down", {"terminated": False}
    episodes[20].kind, episodes[20].detail = "up", {"all_terminated": False}
    # a role command that never finished: episodes.py says so in its detail (the title
    # says it in words, in the reader's language, and is not read)
    episodes[30].heading = Msg(
        "role change asked r0: a PRIMARY, no role change logged (command {state})",
        state=Msg("never terminated"),
    )
    episodes[30].detail = {"command": "PRIMARY", "changed": False, "terminated": False}
    t = episodes[40].start_ns / S + 0.5
    clock = clock_with({"b": [t]})
    sel = select.select(episodes, [finding("b", 0, kind="split_brain")], clock, "auto")
    for k in (10, 20):
        assert sel.why[episodes[k].slug] == "an unfinished command"
    assert sel.why[episodes[30].slug] == "an unfinished command"
    assert {sel.rank[episodes[k].slug] for k in (10, 20, 30, 40)} == {select.RANK_NOTABLE}
    assert sel.why[episodes[40].slug] == "a split brain"


def test_every_reason_is_given():
    episodes, _ = routine_capture()
    e = episodes[6]  # #7: the resync
    t = e.start_ns / S + 0.5
    sel = select.select(
        episodes, [finding("a", 0, kind="resync_broken")], clock_with({"a": [t]}), "auto"
    )
    assert sel.why[e.slug] == "a finding (resync_broken); a resync"


def test_flapping_draws_its_first_and_last_episode_only():
    """A finding about the repetition itself would otherwise draw every connect."""
    episodes, _ = routine_capture()
    connects = [e for e in episodes if e.kind == "connect" and e.resource == "r0"][5:25]
    times = [e.start_ns / S + 0.5 for e in connects]
    refs = [Ref("a", k, "x.log", k + 1, None, None) for k in range(len(times))]
    flapping = Finding("warning", "connection_flapping", "a", None, "m", refs, "r0")
    sel = select.select(episodes, [flapping], clock_with({"a": times}), "auto")
    flagged = [e.slug for e in connects if sel.rank.get(e.slug) == select.RANK_NOTABLE]
    assert flagged == [connects[0].slug, connects[-1].slug]


def test_a_finding_of_no_resource_counts_in_any_episode_of_its_node():
    episodes, _ = routine_capture()
    t = episodes[60].start_ns / S + 0.2
    sel = select.select(episodes, [finding("b", 0, resource=None)], clock_with({"b": [t]}), "auto")
    assert str(sel.why[episodes[60].slug]).startswith("a finding")


@pytest.mark.parametrize(
    ("mode", "count", "drawn"),
    [
        ("auto", 200, 200),
        ("auto", 201, None),
        ("all", 303, 303),
        ("overview", 50, 0),
        ("none", 50, 0),
    ],
)
def test_modes(mode, count, drawn):
    episodes = routine_capture()[0][:count]
    sel = select.select(episodes, [], clock_with({}), mode)
    if drawn is None:  # 201 routine-ish episodes: the rule applies
        assert len(sel.drawn) < count
    else:
        assert len(sel.drawn) == drawn
    assert len(sel.drawn) + len(sel.left_out) == count


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="one of auto"):
        select.select([], [], clock_with({}), "some")


# -- a simulated capture, end to end ---------------------------------------------------------


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> list[str]:
    """150 connect/disconnect cycles of r0 (300 routine episodes), the 40th connect with a
    resync, and the last cycle's DISCONNECT command never terminated (earlier, the
    commands after it would pair with the wrong terminations). Cycles are
    400 s apart: closer, the connects would be a connection-flapping finding."""
    tmp = tmp_path_factory.mktemp("sel")
    sim = Sim([SimNode("node0", 0), SimNode("node1", 1, offset_s=-0.2)], datetime(2024, 1, 1))
    t = 10.0
    for k in range(150):
        end = sim.connect("node0", "node1", t, resync_kb=8000 if k == 40 else None)
        if k == 149:
            sim.disconnect("node0", "node1", max(end, t + 1) + 20, command=None)
            sim.command("node0", max(end, t + 1) + 20, "DISCONNECT", 11, None)
        else:
            sim.disconnect("node0", "node1", max(end, t + 1) + 20)
        t += 400.0
    paths = sim.write(tmp / "logs")
    return [f"{name}={path}" for name, path in paths.items()]


def run(capture: list[str], out: Path, mode: str = "auto"):
    options = Options(out=out, diagrams=mode)
    analysis = analyse(capture, options, Notices())
    return analysis, write(analysis, options).drawn


def test_simulated_capture_auto(capture, tmp_path):
    a, drawn = run(capture, tmp_path / "out")
    assert len(a.episodes) > select.AUTO_ALL
    sel = drawn.selection
    kinds = {e.slug: e for e in a.episodes}
    why = {kinds[s].number: str(w) for s, w in sel.why.items()}
    # The finding (a DISCONNECT never terminated) is drawn; of the rest one of each
    # shape: 149 alike connects, 149 alike disconnects, the connect with the resync and
    # the two driver starts (each node's its own shape).
    assert why == {
        1: "the only driver start of its shape",
        2: "the only driver start of its shape",
        3: "this connect r0, 148 more like it: #5 ... #301",
        4: "this disconnect r0, 148 more like it: #6 ... #300",
        83: "the only connect r0 + resync of its shape",
        302: "a finding (netlink_unterminated)",
    }
    assert "resync" in kinds[sel.drawn[4]].title and kinds[sel.drawn[5]].kind == "disconnect"
    # Exactly those have an SVG; summary.json says which, and which stands for each other.
    svgs = sorted(p.stem for p in (tmp_path / "out" / "diagrams").glob("episode-*.svg"))
    assert svgs == sorted(sel.drawn) and drawn.rendered == set(sel.drawn)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["diagrams"]["mode"] == "auto"
    assert summary["diagrams"]["rendered"] == 6
    assert summary["diagrams"]["left_out"] == len(a.episodes) - 6
    assert "--diagrams all" in summary["diagrams"]["render_all"]
    assert summary["diagrams"]["left_out_routine"] == {"connect r0": 148, "disconnect r0": 148}
    assert [(x["drawn"], x["count"]) for x in summary["diagrams"]["shapes"]] == [
        (1, 1),
        (2, 1),
        (3, 149),
        (4, 149),
        (83, 1),
        (302, 1),
    ]
    with_svg = [e for e in summary["episodes"] if e["diagram"]]
    assert len(with_svg) == 6
    assert all((tmp_path / "out" / e["diagram"]).exists() for e in with_svg)
    listed = {e["number"]: e for e in summary["episodes"]}
    assert listed[5]["diagram"] is None and listed[5]["drawn_as"] == f"diagrams/{sel.drawn[2]}.svg"
    assert listed[5]["shape"] == listed[3]["shape"] == 3
    assert all(e["drawn_as"] for e in summary["episodes"])
    # The report names, for each episode left out, the drawn one that stands for it.
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f"6 of {len(a.episodes)} episodes have a sequence diagram" in page
    assert (
        f'(diagram not rendered: <a href="#{sel.drawn[2]}">#3</a>, of the same shape, stands '
        "for it; <code>bsrcorr draw OUT 5</code> draws this one)"
    ) in page


def test_parallel_dot_gives_the_bytes_of_serial(capture, tmp_path):
    a, _ = run(capture, tmp_path / "out", mode="none")
    files = {}
    for workers in (1, 3):
        out = tmp_path / f"d{workers}"
        written = sequence.render(a, a.episodes, out, "auto", workers=workers)
        assert len(written.files) == 7  # the overview and 6 episodes
        files[workers] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
        assert not [n for n in files[workers] if n.startswith(".")]  # no temporary left
    assert files[1] == files[3]


def test_graphs_through_a_few_dot_processes_give_the_bytes_of_one_dot_each(capture, tmp_path):
    """A few dot processes lay out every graph, each reading graph after graph (its
    start-up costs more than an episode): each SVG is byte for byte the one a dot of its
    own writes; a graph dot refuses makes the rest run one by one, so the error is that
    graph's."""
    import graphviz

    a, _ = run(capture, tmp_path / "out", mode="none")
    sel = select.select(a.episodes, a.findings, a.clock, "all")
    sources = [g.source for _, g in itertools.islice(sequence.graphs(a, a.episodes, sel), 40)]
    alone = [sequence._dot(s) for s in sources]
    assert sequence.dot_all(sources, 1) == alone
    assert sequence.dot_all(sources, 3) == alone
    with pytest.raises(graphviz.CalledProcessError):
        sequence.dot_all([sources[1], "digraph { a -> }", sources[2]], 1)


def test_a_write_that_fails_stops_the_dot_processes_without_hanging(capture, tmp_path):
    """A full disk while the SVGs come back: the error reaches the caller, and dot (whose
    output is still read, and dropped) never waits on a pipe nobody reads."""
    a, _ = run(capture, tmp_path / "out", mode="none")
    sel = select.select(a.episodes, a.findings, a.clock, "all")
    sources = [g.source for _, g in itertools.islice(sequence.graphs(a, a.episodes, sel), 80)]
    assert sum(map(len, sources)) > 1 << 17  # more than two pipes hold

    def full(name: str, svg: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    result: dict[str, BaseException] = {}

    def go() -> None:
        try:
            with sequence.DotPool(1, full) as pool:
                for i, source in enumerate(sources):
                    pool.send(str(i), source)
        except OSError as exc:
            result["error"] = exc

    worker = threading.Thread(target=go, daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the dot pipeline hangs after a failed write"
    assert result["error"].errno == errno.ENOSPC


def test_overview_groups_a_large_capture(capture, tmp_path):
    a, _ = run(capture, tmp_path / "out", mode="none")
    few = a.episodes[: sequence.OVERVIEW_ROWS]
    small = sequence.overview(a, few, linked=True).source
    assert small.count("URL=") == len(few)  # the small look: a linked row an episode
    sel = select.select(a.episodes, a.findings, a.clock, "auto")
    big = sequence.overview(a, a.episodes, linked=sel.drawn).source
    # Only the drawn episodes are rows (each linked); the others are counted in bands.
    assert sorted(re.findall(r'URL="([^"]+)\.svg"', big)) == sorted(sel.drawn)
    assert re.search(
        r"2024-01-01 00:00 – 01:00</B>&#160;&#160;<FONT POINT-SIZE=\"9\">\d+ episodes: ", big
    )
    assert big.count("episodes: ") >= 10  # one band an hour: this capture spans 17 hours
    assert "--diagrams all draws every one" in big


def test_overview_rows_are_shared_out_among_the_bands():
    """Past OVERVIEW_MAX_LISTED drawn episodes, every band keeps some rows, findings first."""
    episodes, _ = routine_capture()
    bands = sequence.bands_of(episodes, {e.slug for e in episodes}, 600 * S)
    assert len(bands) == 6 and all(b.drawn == len(b.listed) for b in bands)
    late = bands[0].members[-1].slug  # a finding late in the first band
    sequence.cap_listed(bands, 20, {late: select.RANK_NOTABLE})
    assert sum(len(b.listed) for b in bands) <= 20
    assert all(len(b.listed) >= 3 for b in bands)
    assert late in [e.slug for e in bands[0].listed]
    # rows stay in time order
    assert all(
        [e.start_ns for e in b.listed] == sorted(e.start_ns for e in b.listed) for b in bands
    )
    # the selection gives each drawn episode its rank as data (not read from its reason)
    sel = select.select(episodes, [], clock_with({}), "auto")
    ranks = {int(s.split("-")[1]): r for s, r in sel.rank.items()}
    assert ranks[7] == ranks[100] == select.RANK_CHANGE  # the resync, the role change
    assert set(ranks.values()) == {select.RANK_CHANGE, select.RANK_ROUTINE}
    assert sorted(sel.rank) == sorted(sel.drawn)


def test_the_cli_default_is_auto(bsrcorr, capture, tmp_path):
    """bsrcorr without --diagrams draws what auto selects, and says so."""
    run_ = bsrcorr(*capture, out=tmp_path / "default")
    assert run_.exit_code in (0, 1), run_.stderr
    doc = json.loads((run_.out / "summary.json").read_text())
    assert doc["diagrams"]["mode"] == "auto"
    drawn = sorted(p.name for p in (run_.out / "diagrams").glob("episode-*.svg"))
    assert len(drawn) == doc["diagrams"]["rendered"] == 6
    assert (run_.out / "diagrams" / "overview.svg").exists()
    assert f"diagrams/ ({len(drawn) + 1} SVG)" in run_.stdout


def test_the_terminal_counts_routine_episodes_and_lists_those_to_look_at(
    bsrcorr, capture, tmp_path
):
    """302 episodes: the summary counts them by kind (first and last of each) and lists
    only the one with a finding, not 302 lines; the protocol lines alike are counted."""
    run_ = bsrcorr(*capture, "--diagrams", "none", out=tmp_path / "t")
    lines = run_.stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("episodes"))
    block = lines[start : lines.index("", start)]
    assert block[0].startswith("episodes  302: counted by kind")
    assert re.match(r"\s+connect\s+150  #3 2024-01-01 00:00:10 \.\. #301 ", block[2])
    assert re.match(r"\s+disconnect\s+150  #4 .* \.\. #302 ", block[3])
    assert block[4].strip() == "need a look:"
    assert "302  16:33:51" in block[5] and "disconnect r0" in block[5]
    assert len(block) == 6
    uuid = "149 x node0 uuid_compare(0) rule 40 <-> node1 uuid_compare(0) rule 40: mirrored"
    assert "  UUID      " + uuid in lines
