"""Several resources per node, their lines interleaved in one log per node (one driver
load, one counter), as BSR writes them: every record, episode and finding per resource;
evidence only from the same cluster; steps placed where the evidence needs them.

The clusters are simulated (``tests/simulate.py``), so the truth is known: which node
was SyncSource of which resource, how many KB, who initiated each 2PC, each clock.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from correlate.errors import Notices
from correlate.pipeline import Options, analyse

from .simulate import Sim, SimNode
from .test_align import errors_s, p95

START = datetime(2024, 5, 6, 9, 0, 0)
RESOURCES = ["r0", "r1", "r2"]
# (resource, SyncSource index, KB): r1's resync runs long, across r0's disconnect.
RESYNCS = [("r0", 0, 300_000), ("r1", 0, 1_000_000), ("r2", 1, 500_000)]


def history(sim: Sim, names: list[str], truth: dict) -> None:
    """Independent histories of three resources, interleaved on every node."""
    a, b = names[0], names[1]
    for n in names:
        sim.routine(n, 1, 120, 7)
        sim.up(n, 2.0 + 0.4 * names.index(n))
    for k, (res, src, kb) in enumerate(RESYNCS):
        x, y = (a, b) if src == 0 else (b, a)
        sim.connect(x, y, 5.0 + 0.3 * k, resync_kb=kb, res=res)
        truth["resyncs"][res] = (x, y, kb)
        for extra in names[2:]:  # a third node connects without resync
            sim.connect(x, extra, 5.1 + 0.3 * k, res=res)
            sim.connect(y, extra, 5.2 + 0.3 * k, res=res)
    # r0 goes down and up again while r1's resync is still running.
    sim.disconnect(a, b, 9.0, res="r0")
    sim.connect(a, b, 20.0, res="r0")
    for k, res in enumerate(RESOURCES):
        initiator = names[k % len(names)]
        others = [n for n in names if n != initiator]
        tid = sim.twopc(initiator, 40.0 + k, others, res=res)
        truth["twopc"][tid] = (initiator, res)


def run(tmp_path: Path, nodes: list[SimNode], script=history):
    sim = Sim(nodes, START)
    truth: dict = {"resyncs": {}, "twopc": {}}
    script(sim, [n.name for n in nodes], truth)
    paths = sim.write(tmp_path / "logs")
    notices = Notices()
    analysis = analyse(
        [f"{k}={v}" for k, v in paths.items()],
        Options(out=tmp_path / "out", diagrams="none"),
        notices,
    )
    return analysis, sim, truth, notices


def windows_nodes() -> list[SimNode]:
    return [
        SimNode("n0", 0, resources=RESOURCES),
        # Node ids differ per resource, as LINSTOR assigns them.
        SimNode("n1", 1, offset_s=-0.4127, resources=RESOURCES, ids={"r2": 3}),
    ]


def linux_nodes() -> list[SimNode]:
    return [
        SimNode("n0", 0, platform="linux", host="alpha", resources=RESOURCES),
        SimNode("n1", 1, platform="linux", host="beta", offset_s=1.25, resources=RESOURCES),
    ]


def three_nodes() -> list[SimNode]:
    return [
        SimNode("n0", 0, resources=RESOURCES),
        SimNode("n1", 1, offset_s=-0.21, resources=RESOURCES),
        SimNode("n2", 2, offset_s=0.37, drift_ppm=3.0, resources=RESOURCES),
    ]


@pytest.mark.parametrize(
    "nodes", [windows_nodes, linux_nodes, three_nodes], ids=["windows", "linux", "3 nodes"]
)
def test_every_resource_tells_its_own_story(tmp_path, nodes):
    a, sim, truth, _ = run(tmp_path, nodes())
    cl = a.cluster
    # Every resync of the history, per resource: source, target, KB, done.
    resyncs = [r for r in cl.resyncs if r.kind == "resync" and r.kb]
    got = {r.resource: (r.source, r.target, r.kb, r.outcome) for r in resyncs}
    want = {res: (*truth["resyncs"][res], "done") for res in RESOURCES}
    assert got == want
    assert all(len(r.sides) == 2 for r in resyncs)
    # Every 2PC with its initiator and resource, committed on every node.
    for tid, (initiator, res) in truth["twopc"].items():
        rec = cl.record(tid)
        assert (rec.initiator, rec.resource, rec.outcome) == (initiator, res, "committed")
        assert sorted(rec.participants) == sorted(n for n in sim.nodes if n != initiator)
    # Every UUID decision has its mirror on the peer, in the same resource.
    for ev in a.events:
        for d in ev.decisions:
            pair = cl.twin.get(d)
            assert pair is not None and pair.mirrored, (d.node, d.resource, d.result)
            assert pair.a.resource == pair.b.resource == d.resource
    # A disconnect of r0 ended no resync of r1 or r2; a clean history has no error.
    assert [f for f in a.findings if f.severity == "error"] == []
    assert not [f for f in a.findings if f.kind.startswith("resync_")]
    # Aligned within 2 ms of the simulated truth.
    assert p95(errors_s(a, sim)) < 0.002
    assert a.alignment.violations_after == 0


def test_episodes_per_resource(tmp_path):
    a, *_ = run(tmp_path, windows_nodes())
    titles = [e.title for e in a.episodes]
    # One `up all` per node: one episode listing the three resources.
    assert titles.count("up r0, r1, r2: n0") == 1 and titles.count("up r0, r1, r2: n1") == 1
    connects = {e.title for e in a.episodes if e.kind == "connect"}
    assert {
        "connect r0 n0 - n1: resync n0 -> n1",
        "connect r1 n0 - n1: resync n0 -> n1",
        "connect r2 n0 - n1: resync n1 -> n0",
        "connect r0 n0 - n1",  # the reconnect, no resync
    } == connects
    (down,) = [e for e in a.episodes if e.kind == "disconnect"]
    assert down.resource == "r0" and down.nodes == ["n0", "n1"]
    for e in a.episodes:
        if e.kind != "driver start" and e.kind != "up":
            assert e.resource in RESOURCES, e.title
            assert e.resource in e.slug


def test_summary_json_records_carry_resource(tmp_path, bsrcorr):
    sim = Sim(windows_nodes(), START)
    history(sim, ["n0", "n1"], {"resyncs": {}, "twopc": {}})
    paths = sim.write(tmp_path / "logs")
    run_ = bsrcorr(*(f"{k}={v}" for k, v in paths.items()), "--diagrams", "none")
    assert run_.exit_code == 0, run_.stderr
    doc = json.loads((run_.out / "summary.json").read_text(encoding="utf-8"))
    for key in ("twopc", "resyncs", "uuid_decisions", "bitmaps", "handshakes"):
        assert doc[key], key
        assert {r["resource"] for r in doc[key]} == set(RESOURCES), key
    for key in ("resyncs", "uuid_decisions", "bitmaps"):
        assert all(r["volume"] == 0 for r in doc[key]), key
    assert {e["resource"] for e in doc["episodes"] if e["kind"] == "connect"} == set(RESOURCES)
    ups = [e for e in doc["episodes"] if e["kind"] == "up"]
    assert all(e["resources"] == RESOURCES for e in ups)
    # The terminal summary groups the protocol by resource.
    for res in RESOURCES:
        assert f"\n    {res}\n" in run_.stdout or f"\n  {res}\n" in run_.stdout
    assert "None -> None" not in run_.stdout


def test_unrelated_clusters_stay_unaligned(tmp_path, bsrcorr):
    """Same history at the same times, different 2PC ids and UUIDs: nothing ties the two
    logs together, so no offset may be claimed."""

    def one(seed: int) -> Sim:
        sim = Sim(windows_nodes(), START, seed=seed)
        history(sim, ["n0", "n1"], {"resyncs": {}, "twopc": {}})
        return sim

    x = one(7).write(tmp_path / "x")
    y = one(8).write(tmp_path / "y")
    run_ = bsrcorr(f"n0={x['n0']}", f"n1={y['n1']}", "--diagrams", "none")
    assert run_.exit_code == 1
    assert "no shared 2PC id, bitmap or handshake" in run_.stderr
    al = json.loads((run_.out / "alignment.json").read_text(encoding="utf-8"))
    assert al["evidence_total"] == 0 and al["evidence"] == []
    (seg,) = al["offsets"]["n1"]
    assert seg["offset_s"] is None and seg["basis"] == "unaligned" and seg["evidence"] == 0
    assert al["summary"]["n1"]["aligned"] is False
    summary = json.loads((run_.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["bitmaps"] and all(not r["sides"][1:] for r in summary["resyncs"])
    assert not [e for e in summary["episodes"] if len(e["nodes"]) > 1]


@pytest.mark.parametrize("size", [2.5, -2.5])
@pytest.mark.parametrize("step_at", [899.9995, 899.99, 870.0])
def test_step_right_before_the_first_evidence_after_it(tmp_path, size, step_at):
    """The clock steps just before a 2PC that is the first evidence after the step:
    every evidence line must keep an offset its pairs allow."""

    def script(sim: Sim, names, truth) -> None:
        sim.connect("n0", "n1", 5.0)
        for k, t in enumerate(range(60, 1800, 60)):
            sim.twopc("n0" if k % 2 else "n1", float(t), ["n1" if k % 2 else "n0"])

    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.3, steps=[(step_at, size)])]
    a, sim, _, _ = run(tmp_path, nodes, script)
    na = a.alignment.nodes["n1"]
    assert a.alignment.violations_after == 0 and a.alignment.violations_before == 0
    assert not a.alignment.conflicts
    (step,) = na.steps
    assert abs(step.size_s - size) < 0.01
    # The step lies between the two lines it was placed between, in the node's order.
    assert step.before.row < step.after.row
    truth_row = sum(1 for t in sim.true_times("n1") if t < sim.ns(step_at))
    assert step.before.row < truth_row <= step.after.row
    first, second = na.segments
    assert first.last_row + 1 == second.first_row
    assert step.before.row <= first.last_row < step.after.row
    assert p95(errors_s(a, sim)) < 0.002


def test_samples_keep_their_story(tmp_path, bsrcorr):
    from .helpers import SAMPLES

    run_ = bsrcorr(SAMPLES / "node0", SAMPLES / "node1", "--diagrams", "none")
    assert run_.exit_code == 0, run_.stderr
    summary = json.loads((run_.out / "summary.json").read_text(encoding="utf-8"))
    assert {t["resource"] for t in summary["twopc"]} == {"r0"}
    assert [e["title"] for e in summary["episodes"]] == [
        "driver start: node0",
        "driver start: node1",
        "up r0: node0",
        "up r0: node1",
        "connect r0 node0 - node1",
        "disconnect r0: node0 - node1 (Disconnecting, TearDown)",
        "role change r0: node0 Secondary -> Primary",
        "connect r0 node0 - node1: resync node0 -> node1",
        "down r0: node0",
    ]
    timeline = pl.read_parquet(run_.out / "timeline.parquet")
    assert timeline.height == 766
