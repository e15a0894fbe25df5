"""Clock alignment on simulated clusters whose clocks are known: the recovered offset's
bounds hold the truth, aligned times are within 2 ms of the truth for 95% of lines, and
no receive shows before its send."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from correlate.errors import Notices
from correlate.pipeline import Analysis, Options, analyse

from .simulate import Sim, SimNode

START = datetime(2024, 3, 2, 10, 0, 0)


def busy(sim: Sim, a: str = "n0", b: str = "n1", hours: float = 1.0, every: float = 300) -> None:
    """Routine lines, a connect with a resync, and a 2PC every ``every`` seconds."""
    end = hours * 3600
    sim.routine(a, 1, end, 20)
    sim.routine(b, 1, end, 20)
    sim.connect(a, b, 5.0, resync_kb=1024)
    t, k = 60.0, 0
    while t < end:
        initiator, other = (a, b) if k % 2 else (b, a)
        sim.twopc(initiator, t, [other])
        t, k = t + every, k + 1


def run(tmp_path: Path, nodes: list[SimNode], script, **opts) -> tuple[Analysis, Sim, Notices]:
    sim = Sim(nodes, START)
    script(sim)
    paths = sim.write(tmp_path / "logs")
    notices = Notices()
    analysis = analyse(
        [f"{k}={v}" for k, v in paths.items()], Options(out=tmp_path / "out", **opts), notices
    )
    return analysis, sim, notices


def errors_s(analysis: Analysis, sim: Sim, reference: str = "n0") -> list[float]:
    """|aligned time - the reference's clock at the line's true moment|, every line."""
    out = []
    for node in sim.nodes:
        if node == reference:
            continue
        got = analysis.timeline.filter(pl.col("node") == node).sort("row")["time"]
        truth = sim.true_times(node)
        for g, t in zip(got.cast(pl.Int64).to_list(), truth, strict=True):
            out.append(abs(g - sim.on_reference_clock(reference, t)) / 1e9)
    return sorted(out)


def p95(values: list[float]) -> float:
    return values[int(len(values) * 0.95)]


def only_segment(analysis: Analysis, node: str):
    [seg] = analysis.alignment.nodes[node].segments
    return seg


def test_pure_offset(tmp_path):
    a, sim, notices = run(tmp_path, [SimNode("n0", 0), SimNode("n1", 1, offset_s=-0.32586)], busy)
    seg = only_segment(a, "n1")
    assert seg.lower_s <= -0.32586 <= seg.upper_s
    assert seg.upper_s - seg.lower_s < 0.002  # as tight as the 2PC round trips
    assert seg.offset_s == pytest.approx(-0.32586, abs=0.0005)
    assert seg.evidence >= 30
    assert p95(errors_s(a, sim)) < 0.002
    assert a.alignment.violations_after == 0
    assert not notices.matter


def test_time_zone_plus_nine_hours_and_residual(tmp_path):
    nodes = [
        SimNode("n0", 0),
        SimNode("n1", 1, platform="linux", host="beta", offset_s=9 * 3600 + 0.8),
    ]
    a, sim, _ = run(tmp_path, nodes, busy)
    na = a.alignment.nodes["n1"]
    seg = only_segment(a, "n1")
    assert seg.lower_s <= 9 * 3600 + 0.8 <= seg.upper_s
    assert na.timezone == "+09:00"
    assert na.residual_s == pytest.approx(0.8, abs=0.001)
    assert p95(errors_s(a, sim)) < 0.002


def test_drift_of_60_ppm_over_hours(tmp_path):
    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.2, drift_ppm=60)]
    a, sim, _ = run(tmp_path, nodes, lambda s: busy(s, hours=4))
    seg = only_segment(a, "n1")
    assert seg.drift_ppm == pytest.approx(60, abs=2)
    errs = errors_s(a, sim)
    assert p95(errs) < 0.002
    assert a.alignment.violations_after == 0


def test_step_in_the_middle(tmp_path):
    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.1, steps=[(1800, 1.7)])]
    a, sim, _ = run(tmp_path, nodes, busy)
    na = a.alignment.nodes["n1"]
    assert len(na.segments) == 2
    before, after = na.segments
    assert before.lower_s <= 0.1 <= before.upper_s
    assert after.lower_s <= 1.8 <= after.upper_s
    [step] = na.steps
    assert step.size_s == pytest.approx(1.7, abs=0.001)
    # The step lies between the two evidence lines reported.
    true_rows = sim.true_times("n1")
    step_row = next(i for i, t in enumerate(true_rows) if (t - sim.origin_ns) / 1e9 >= 1800)
    assert step.before.row < step_row <= step.after.row
    assert p95(errors_s(a, sim)) < 0.002
    assert a.alignment.violations_after == 0


def test_driver_reload_starts_a_segment(tmp_path):
    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.1, reboots=[1800], steps=[(1800, 5.0)])]
    a, sim, _ = run(tmp_path, nodes, busy)
    segs = a.alignment.nodes["n1"].segments
    assert [s.epoch for s in segs] == [1, 2]
    assert segs[0].lower_s <= 0.1 <= segs[0].upper_s
    assert segs[1].lower_s <= 5.1 <= segs[1].upper_s
    assert a.nodes[1].epochs == 2
    assert p95(errors_s(a, sim)) < 0.002


def test_three_nodes_through_a_middle_node(tmp_path):
    def script(sim: Sim) -> None:
        busy(sim, "n0", "n1")
        sim.routine("n2", 1, 3600, 20)
        sim.connect("n1", "n2", 10.0)
        t = 100.0
        while t < 3600:
            sim.twopc("n2", t, ["n1"])
            t += 400

    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.3), SimNode("n2", 2, offset_s=-2.5)]
    a, sim, _ = run(tmp_path, nodes, script)
    seg = only_segment(a, "n2")
    assert seg.via == ["n1"]
    assert seg.lower_s <= -2.5 <= seg.upper_s
    assert p95(errors_s(a, sim)) < 0.002


def test_unrelated_clusters_are_not_aligned(tmp_path):
    def script(sim: Sim) -> None:
        busy(sim, "n0", "n1")
        busy(sim, "x0", "x1")

    nodes = [
        SimNode("n0", 0),
        SimNode("n1", 1, offset_s=0.5),
        SimNode("x0", 0, offset_s=3.0),
        SimNode("x1", 1, offset_s=7.0),
    ]
    a, _, notices = run(tmp_path, nodes, script)
    assert a.alignment.nodes["n1"].aligned
    for node in ("x0", "x1"):
        na = a.alignment.nodes[node]
        assert not na.aligned
        assert na.segments[0].offset_s is None
        t = a.timeline.filter(pl.col("node") == node)
        assert t["time"].to_list() == t["local_time"].to_list()
        assert t["offset_s"].null_count() == t.height
    assert any("unaligned" in n.message for n in notices.items if n.node == "x0")
    assert notices.matter


def test_manual_offset_is_used_and_marked(tmp_path, bsrcorr):
    sim = Sim([SimNode("n0", 0), SimNode("n1", 1, offset_s=-0.32586)], START)
    busy(sim)
    paths = sim.write(tmp_path / "logs")
    args = [f"n0={paths['n0']}", f"n1={paths['n1']}"]
    run_ = bsrcorr(*args, "--offset", "n1=-0.3259")
    assert run_.exit_code == 0, run_.stderr
    assert "MANUAL" in run_.stdout
    doc = json.loads((run_.out / "alignment.json").read_text())
    assert doc["summary"]["n1"]["manual"] is True
    assert doc["offsets"]["n1"][0]["offset_s"] == -0.3259
    assert doc["offsets"]["n1"][0]["basis"] == "manual"
    t = pl.read_parquet(run_.out / "timeline.parquet").filter(pl.col("node") == "n1")
    shift = (t["local_time"].cast(pl.Int64) - t["time"].cast(pl.Int64)).unique().to_list()
    assert shift == [-325_900_000]
    # A manual offset the evidence contradicts is used, and the contradiction is said.
    wrong = bsrcorr(*args, "--offset", "n1=-0.3", out=tmp_path / "wrong")
    assert wrong.exit_code == 1
    assert "receive(s) still precede their send" in wrong.stderr


def test_alignment_json_contract_and_summary_line(tmp_path, bsrcorr):
    sim = Sim([SimNode("n0", 0), SimNode("n1", 1, offset_s=-0.32586)], START)
    busy(sim)
    paths = sim.write(tmp_path / "logs")
    run_ = bsrcorr(f"n0={paths['n0']}", f"n1={paths['n1']}")
    doc = json.loads((run_.out / "alignment.json").read_text())
    assert doc["reference"] == "n0"
    assert set(doc["nodes"]) == {"n0", "n1"}
    assert doc["nodes"]["n1"]["node_id"] == 1
    [seg] = doc["offsets"]["n1"]
    for key in ("start", "end", "offset_s", "lower_s", "upper_s", "drift_ppm", "evidence"):
        assert key in seg
    assert seg["lower_s"] <= seg["offset_s"] <= seg["upper_s"]
    kinds = {e["kind"] for e in doc["evidence"]}
    assert {"twopc_prepare", "twopc_reply", "twopc_commit", "bitmap_send"} <= kinds
    assert all(e["send"]["line"] and e["recv"]["line"] for e in doc["evidence"])
    assert doc["causal"]["violations_after"] == 0
    clocks = [ln for ln in run_.stdout.splitlines() if ln.strip().startswith("clock")]
    assert "reference" in clocks[0]
    assert "offset -0.32" in clocks[1] and "[-0.32" in clocks[1]
    assert "drift" in clocks[1] and "evidence" in clocks[1]


def test_inconsistent_pair_is_a_conflict_not_a_step(tmp_path):
    sim = Sim([SimNode("n0", 0), SimNode("n1", 1, offset_s=0.05)], START)
    busy(sim)
    # One remote prepare logged a full second too early: no offset can meet it and the
    # pairs around it.
    target = next(ln for ln in sim.lines["n1"] if ln.idx == 24 and ln.true_ns > sim.ns(1000))
    target.true_ns -= 10**9
    paths = sim.write(tmp_path / "logs")
    notices = Notices()
    a = analyse([f"{k}={v}" for k, v in paths.items()], Options(out=tmp_path / "o"), notices)
    assert len(a.alignment.nodes["n1"].segments) == 1
    assert len(a.alignment.conflicts) == 1
    assert a.alignment.conflicts[0].pair.kind == "twopc_prepare"
    seg = only_segment(a, "n1")
    assert seg.lower_s <= 0.05 <= seg.upper_s


def test_timeline_cli_since_until_and_events(tmp_path, bsrcorr):
    sim = Sim([SimNode("n0", 0), SimNode("n1", 1, offset_s=2.0)], START)
    busy(sim)
    paths = sim.write(tmp_path / "logs")
    args = [f"n0={paths['n0']}", f"n1={paths['n1']}"]
    full = bsrcorr(*args, "--timeline")
    rows = full.stdout.splitlines()
    assert len(rows) == pl.read_parquet(full.out / "timeline.parquet").height
    # aligned time first, then node, then the node's own time: on every row, local minus
    # aligned is the node's offset (0 on the reference n0, about +2 s on n1)
    shifts: dict[str, set[float]] = {"n0": set(), "n1": set()}
    for row in rows:
        aligned, node, local = row.split("  ")[:3]
        delta = datetime.fromisoformat(local) - datetime.fromisoformat(aligned)
        shifts[node].add(round(delta.total_seconds(), 3))
    assert shifts == {"n0": {0.0}, "n1": {2.0}}
    narrow = bsrcorr(
        *args,
        "--timeline",
        "--events",
        "--since",
        "2024-03-02T10:05:00",
        "--until",
        "2024-03-02T10:20:00",
        out=tmp_path / "narrow",
    )
    lines = narrow.stdout.splitlines()
    assert lines and all("<" in ln for ln in lines)
    assert all("10:05:00" <= ln[11:19] <= "10:20:00" for ln in lines)
    t = pl.read_parquet(tmp_path / "narrow" / "timeline.parquet")
    assert t["time"].min() >= datetime(2024, 3, 2, 10, 5)
    assert t["time"].max() <= datetime(2024, 3, 2, 10, 20)
    # A window after the capture: no rows, yet both timeline files are whole, the CSV
    # its header alone.
    empty = bsrcorr(*args, "--csv", "--since", "2030-01-01T00:00:00", out=tmp_path / "empty")
    assert empty.exit_code in (0, 1)
    assert pl.read_parquet(empty.out / "timeline.parquet").height == 0
    csv = (empty.out / "timeline.csv").read_text().splitlines()
    assert len(csv) == 1 and csv[0].startswith("node,file,line,")


@pytest.mark.parametrize("which", [0, 5, -1], ids=["first", "middle", "last"])
def test_one_late_stamp_never_drags_the_offset(tmp_path, which):
    """One send line stamped 2 s late (a line flushed with the next one), wherever it is
    (the very first evidence too): stamped after the node's next line, its own node
    contradicts it, so it is a late_stamp naming the line and its pairs are not
    evidence; the offset stays with the rest, and no clock step is invented."""

    def script(sim: Sim) -> None:
        sim.connect("n0", "n1", 5.0)
        for t in range(60, 1200, 60):
            sim.twopc("n0", float(t), ["n1"])

    sim = Sim([SimNode("n0", 0), SimNode("n1", 1, offset_s=-0.41)], START)
    script(sim)
    lines = sim.render("n0")
    details = [i for i, ln in enumerate(lines) if "[TWOPC:35]" in ln]
    i = details[which]
    ln = lines[i]
    stamp = datetime.strptime(ln[9:35], "%m/%d/%Y %H:%M:%S.%f") + timedelta(seconds=2)
    lines[i] = ln[:9] + stamp.strftime("%m/%d/%Y %H:%M:%S.%f") + ln[35:]
    (tmp_path / "logs").mkdir()
    n0 = tmp_path / "logs" / "n0.log"
    n0.write_text("".join(x + "\r\n" for x in lines), encoding="utf-8")
    n1 = tmp_path / "logs" / "n1.log"
    n1.write_text("".join(x + "\r\n" for x in sim.render("n1")), encoding="utf-8")
    a = analyse([f"n0={n0}", f"n1={n1}"], Options(out=tmp_path / "out"), Notices())
    na = a.alignment.nodes["n1"]
    assert len(na.segments) == 1 and not na.steps
    seg = na.segments[0]
    assert seg.lower_s <= -0.41 <= seg.upper_s and seg.upper_s - seg.lower_s < 0.002
    [late] = [f for f in a.findings if f.kind == "late_stamp"]
    assert late.lines[0].line == i + 1
    assert not [p for p in a.alignment.pairs if p.send.node == "n0" and p.send.line == i + 1]
    assert not a.alignment.conflicts and a.alignment.violating == []
    assert not [f for f in a.findings if f.kind == "clock_step"]
