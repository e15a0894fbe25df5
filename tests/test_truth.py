"""The protocol's rules on simulated clusters whose truth is known (``tests/simulate.py``
and ``tests/simulate_drbd.py``): the cases bsrcorr got wrong on public captures.

* a prepare whose 1 s stamp is as late as its own abort's (printk held the line): the
  abort's ``(N ms)`` places the prepare on the initiator's own clock, so the stamp is
  late, said as a finding, and its pair is not evidence; the one-sided bound left is
  shown as a bound, with no ``large_offset``;
* three nodes, the third's log missing, a relay: each connection's peer is the host its
  prefix names, each id comes from that connection's own handshake; a participant is not
  the target; the absent node keeps the host another node's handshake gave it;
* two 2PCs crossing in one second (1 s stamps): every receive follows its send in the
  merged order, and the causal check says how many pairs only resolution separates;
* a participant-only commit: its ``Committing remote state change`` proves the commit;
* a clock step between a 2PC's prepare and its reply: every causal pair is evidence, the
  step lands between the last pair before it and the first after, and the rows between
  are marked.
"""

from __future__ import annotations

import random

import polars as pl
import pytest

from .simulate import NS, Sim, SimNode
from .simulate_drbd import DrbdRender, Kernel
from .test_drbd_sim import KERNELS, PEER, REF, ROLE, Run, simulate, three_nodes, two_nodes


def row_index(run: Run, ref) -> int:
    """Where a line stands in the merged timeline (its row number there)."""
    t = run.analysis.timeline.with_row_index("_i")
    hit = t.filter((pl.col("node").cast(pl.String) == ref.node) & (pl.col("row") == ref.row))
    return int(hit["_i"][0])


# -- a late-stamped prepare, 1 s stamps -----------------------------------------------------


def timeout_story(sim: Sim, truth: dict) -> None:
    """Context lines and one 2PC of n0 that times out after 30 s (its reply never
    comes): the prepare, the remote prepare, the timeout, the abort of both."""
    sim.routine(REF, 1, 60, 5)
    sim.routine(PEER, 1, 60, 5)
    tid = sim.twopc(REF, 10.2, [PEER], change=ROLE.format("Primary"), outcome="timeout")
    truth[tid] = (REF, "timed out")


def late_prepare(drbd: DrbdRender) -> None:
    """n0's prepare is stamped when its abort is, 30 s later (the line had no end, and
    printk wrote it out with the next message)."""
    [prepare] = drbd.find(REF, lambda k: k.key == "prepare")
    [abort] = drbd.find(REF, lambda k: k.key == "abort")
    prepare.stamp_delay_s = (abort.receipt_ns - prepare.receipt_ns) / NS


def test_a_prepare_stamped_with_its_abort_is_a_late_stamp(tmp_path):
    run = simulate(
        tmp_path, two_nodes(), timeout_story, "syslog-nomono", "9.1", KERNELS, late_prepare
    )
    a = run.analysis
    [rec] = a.cluster.twopc
    assert rec.outcome == "timed out" and rec.initiator == REF
    prepare = rec.initiator_side.prepare
    # The finding names the line, and the pair is not evidence.
    [late] = [f for f in a.findings if f.kind == "late_stamp"]
    assert (late.lines[0].file, late.lines[0].line) == (prepare.file, prepare.line)
    assert "30" in late.message and "not used as evidence" in late.message
    assert not [p for p in a.alignment.pairs if prepare in (p.send, p.recv)]
    # What is left (the abort reached n1 after n0 sent it) bounds n1's offset from above
    # only: shown as that bound, the truth (clocks agree) below it, nothing called large.
    seg = a.alignment.nodes[PEER].main
    truth = run.true_offset(PEER, 20.0)
    assert seg.lower_s is None and seg.upper_s is not None and truth <= seg.upper_s
    assert seg.one_sided == "upper"
    assert seg.upper_s < 2.5
    assert not [f for f in a.findings if f.kind in ("large_offset", "inconsistent_evidence")]
    assert a.alignment.violations_after == 0


def test_manual_offset_with_the_late_prepare_is_consistent(tmp_path):
    """``--offset n1=0`` (the truth) contradicts no evidence: the late pair is not evidence."""
    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse

    run = simulate(
        tmp_path, two_nodes(), timeout_story, "syslog-nomono", "9.1", KERNELS, late_prepare
    )
    a = analyse(
        [f"{k}={v}" for k, v in run.paths.items()],
        Options(out=tmp_path / "manual", diagrams="none", offsets={PEER: 0.0}),
        Notices(),
    )
    assert not [f for f in a.findings if f.kind == "inconsistent_evidence"]
    assert a.alignment.violations_after == 0


# -- three nodes, the third's log missing, a relay ------------------------------------------


def mesh_story(sim: Sim, truth: dict) -> None:
    """n0 - n1 - n2 in a line. n1 connects to n2 (a resync), n0 to n1; n0 prepares a
    change targeted at n2 (0->2) that n1 also receives; n2 starts 2PCs that reach n0 only
    through n1; each node's own role changes."""
    from .simulate_drbd import relayed_twopc

    rng = random.Random(4)
    for n in ("n0", "n1", "n2"):
        sim.routine(n, 1, 400, 15)
    sim.connect("n1", "n2", 5.0, resync_kb=1024)
    sim.connect("n0", "n1", 30.0)
    tid = sim.twopc("n0", 60.3, ["n1"], change=ROLE.format("Primary"), target=2)
    # Its target takes part (gamma, by the host n1's handshake names for node id 2).
    truth[tid] = ("n0", "committed", {}, ["n1", "gamma"])
    for k, t in enumerate(range(100, 341, 40)):
        at = t + rng.random()
        if k % 2 == 0:
            tid = relayed_twopc(sim, "n2", "n1", "n0", at, change=ROLE.format("Secondary"))
            truth[tid] = ("gamma", "committed", {"n0": "n1"}, ["n0", "n1"])
        else:
            tid = sim.twopc("n1", at, ["n0", "n2"], change=ROLE.format("Primary"))
            # No present line names gamma as a participant (target: all).
            truth[tid] = ("n1", "committed", {}, ["n0"])


@pytest.mark.parametrize("style", ["syslog", "dmesg"])
def test_three_nodes_with_the_third_log_missing(style, tmp_path):
    run = simulate(tmp_path, three_nodes(), mesh_story, style, "9.1", present=["n0", "n1"])
    a = run.analysis
    ids = {ev.name: ev.identity.node_id for ev in a.events}
    assert ids == {"n0": 0, "n1": 1}  # n1 received n0's 0->2 change: it is not node 2
    hosts = {ev.name: ev.identity.host for ev in a.events}
    assert hosts == {"n0": "alpha", "n1": "beta"}  # dmesg: tied by the handshakes
    # The absent node keeps the host n1's handshake names: gamma, never "node id 2".
    [targeted] = [
        r
        for r in a.cluster.twopc
        if r.initiator == "n0" and r.initiator_side and r.initiator_side.target_id == 2
    ]
    assert targeted.target == "gamma"
    got = {
        r.tid: (r.initiator, r.outcome, r.relays, r.participants)
        for r in a.cluster.twopc
        if r.tid in run.truth
    }
    assert got == run.truth
    # n1's connection to gamma is not its connection to n0: its handshake and decision
    # with gamma stay unpaired; n0-n1's decisions pair and mirror.
    pairs = {(p.a.node, p.b.node, p.mirrored) for p in a.cluster.decision_pairs}
    assert pairs == {("n0", "n1", True)}
    gamma = [d for d in a.cluster.node("n1").decisions if d.peer_host == "gamma"]
    assert gamma and all(a.cluster.pair_of(d) is None for d in gamma)
    for c in a.cluster.connects:
        if c.b is not None:
            assert {c.a.node, c.b.node} == {"n0", "n1"}
            assert {c.a.peer_host, c.b.peer_host} == {"alpha", "beta"}
    assert a.alignment.violations_after == 0
    seg = a.alignment.nodes["n1"].main
    assert seg.lower_s <= run.true_offset("n1", 200.0) <= seg.upper_s


# -- two 2PCs crossing in one second, 1 s stamps --------------------------------------------


def crossing_story(sim: Sim, truth: dict) -> None:
    """Every 30 s, n0 and n1 each start a 2PC 0.2 s apart, inside one second."""
    sim.routine(REF, 1, 300, 10)
    sim.routine(PEER, 1, 300, 10)
    for t in range(20, 281, 30):
        for who, other, dt in ((PEER, REF, 0.1), (REF, PEER, 0.3)):
            tid = sim.twopc(who, t + dt, [other], change=ROLE.format("Secondary"))
            truth[tid] = (who, "committed")


def test_crossing_twopcs_in_one_second_keep_every_receive_after_its_send(tmp_path):
    nodes = two_nodes()
    nodes[1].offset_s = 0.0  # the clocks agree: every pair's stamps are equal seconds
    # n1 is given first: the old merge put equal times in SRC order.
    run = simulate(tmp_path, nodes, crossing_story, "syslog-nomono", "9.1", KERNELS)
    a = run.analysis
    strict = [p for p in a.alignment.pairs if p.strict]
    assert len(strict) >= 40
    for p in strict:
        assert row_index(run, p.send) < row_index(run, p.recv), p
    causal = a.alignment.causal
    assert causal.within_resolution > 0
    assert causal.within_resolution + causal.proven + causal.violations == len(strict)
    seg = a.alignment.nodes[PEER].main
    assert seg.lower_s < 0 < seg.upper_s  # equal 1 s stamps: an interval holding 0


def test_crossing_twopcs_whoever_is_given_first(tmp_path):
    """The same with the SRC arguments the other way round."""
    nodes = two_nodes()
    nodes[1].offset_s = 0.0
    run = simulate(
        tmp_path, nodes, crossing_story, "syslog-nomono", "9.1", KERNELS, order=[PEER, REF]
    )
    for p in run.analysis.alignment.pairs:
        if p.strict:
            assert row_index(run, p.send) < row_index(run, p.recv), p


# -- a participant-only commit ----------------------------------------------------------------


def commit_story(sim: Sim, truth: dict) -> None:
    sim.routine(REF, 1, 60, 5)
    sim.routine(PEER, 1, 60, 5)
    tid = sim.twopc(REF, 10.2, [PEER], change=ROLE.format("Primary"))
    truth[tid] = (REF, "committed")


def without_initiator_commit(drbd: DrbdRender) -> None:
    """The excerpt lacks n0's ``Committing cluster-wide`` line (and its state changes)."""
    lines = drbd.klines[REF]
    [commit] = [k for k in lines if k.key == "commit"]
    drbd.klines[REF] = [
        k
        for k in lines
        if not (
            k.key == "commit"
            or (k.key == "state" and commit.true_ns <= k.true_ns <= commit.true_ns + 10_000)
        )
    ]


def test_a_participant_commit_proves_the_commit(tmp_path):
    run = simulate(
        tmp_path, two_nodes(), commit_story, "rfc3339", "9.1", KERNELS, without_initiator_commit
    )
    a = run.analysis
    [rec] = a.cluster.twopc
    assert (rec.initiator, rec.outcome, rec.proved_by) == (REF, "committed", [PEER])
    assert not [f for f in a.findings if "incomplete" in f.kind or "incomplete" in str(f.message)]


# -- a clock step between a 2PC's prepare and its reply -------------------------------------


def step_story(sim: Sim, truth: dict) -> None:
    sim.routine(REF, 1, 900, 7)
    sim.routine(PEER, 1, 900, 7)
    sim.connect(REF, PEER, 5.0)
    for k, t in enumerate(range(60, 841, 60)):
        who, other = (REF, PEER) if k % 2 == 0 else (PEER, REF)
        tid = sim.twopc(who, t + 0.4, [other], change=ROLE.format("Primary"))
        truth[tid] = (who, "committed")


STEP_TID_AT = 420.4  # the 2PC whose prepare and reply the step falls between


def step_inside_a_twopc(drbd: DrbdRender) -> None:
    """n1's wall clock steps 1.7 s forward after its remote prepare of the 2PC at 420 s
    and before it logs the commit: half way between those two lines."""
    sim = drbd.sim
    [tid] = [t for t, x in drbd._twopc.items() if abs(x.prepared_ns - sim.ns(STEP_TID_AT)) < NS]
    [prep] = drbd.find(PEER, lambda k: k.key == "remote_prepare" and k.tid == tid)
    [commit] = drbd.find(PEER, lambda k: k.key == "remote_commit" and k.tid == tid)
    at = ((prep.receipt_ns + commit.receipt_ns) // 2 - sim.origin_ns) / NS
    sim.nodes[PEER].steps = [(at, 1.7)]


def test_a_step_between_prepare_and_reply(tmp_path):
    # No syslog delay: the two lines the step falls between keep their own stamps.
    kernels = {n: Kernel(boot_s=k.boot_s, delay_s=(0.0, 0.0)) for n, k in KERNELS.items()}
    run = simulate(tmp_path, two_nodes(), step_story, "rfc3339-nomono", "9.1", kernels,
                   step_inside_a_twopc)  # fmt: skip
    a = run.analysis
    na = a.alignment.nodes[PEER]
    assert len(na.segments) == 2 and len(na.steps) == 1
    for seg, at in zip(na.segments, (200.0, 700.0), strict=True):
        assert seg.lower_s <= run.true_offset(PEER, at) <= seg.upper_s
    [step] = na.steps
    assert step.size_s == pytest.approx(1.7, abs=0.01)
    # The step lies between n1's remote prepare (its reply's send, old clock) and its
    # remote commit (new clock) of that 2PC.
    rec = next(r for r in a.cluster.twopc if abs(
        (r.initiator_side.prepare.local_ns - run.sim.ns(STEP_TID_AT)) / NS) < 1)  # fmt: skip
    part = rec.participant_sides()[0]
    assert step.before.row <= part.prepare.row and step.after.row >= part.commit.row
    assert a.alignment.violations_after == 0
    for p in a.alignment.pairs:
        if p.strict:
            assert row_index(run, p.send) < row_index(run, p.recv), p
    # The rows between the last pair before the step and the first after are marked.
    rows = a.timeline.filter(pl.col("node").cast(pl.String) == PEER).sort("row")
    marked = rows.filter(pl.col("step").is_not_null())["row"].to_list()
    assert marked and min(marked) > step.before.row - 1 and max(marked) < step.after.row + 1


# -- an id no line ties to a host -------------------------------------------------------------


def test_an_id_no_line_ties_to_a_host_stays_node_id_n(tmp_path, bsrcorr):
    """Windows BSR names peers by node id only: with n2's log missing, node id 2 stays
    ``node id 2`` everywhere, and summary.json, the terminal and the report say why."""
    import json
    from datetime import datetime

    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.2), SimNode("n2", 2)]
    sim = Sim(nodes, datetime(2024, 3, 2, 10, 0, 0))
    sim.connect("n0", "n1", 5.0)
    sim.connect("n1", "n2", 8.0)
    sim.twopc("n1", 30.0, ["n0", "n2"])
    paths = sim.write(tmp_path / "logs")
    run = bsrcorr(f"n0={paths['n0']}", f"n1={paths['n1']}", "--diagrams", "none")
    assert run.exit_code in (0, 1), run.stderr
    summary = json.loads((run.out / "summary.json").read_text(encoding="utf-8"))
    [unnamed] = summary["identities"]["unnamed"]
    assert (unnamed["resource"], unnamed["node_id"]) == ("r0", 2) and unnamed["why"]
    assert "node id 2 (r0): no line ties them to a host" in run.stdout
    report = (run.out / "report.html").read_text(encoding="utf-8")
    assert "node id 2 (r0): named by the lines" in report
    # ... and n1's connect to it names it so too.
    [connect] = [r for r in summary["twopc"] if r["initiator"] == "n1" and r["target"] != "all"]
    assert connect["target"] == "node id 2" and connect["participants"] == ["node id 2"]
