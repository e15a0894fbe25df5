"""The whole pipeline on real DRBD captures (``tests/data/real/``, copied from
``shared/real-logs`` with their SOURCE.md): the facts read off the lines by hand
(``facts.json``) hold, every protocol line becomes its event, every line is a row.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from correlate.errors import Notices
from correlate.pipeline import Options, analyse

from .test_catalog_drbd import EXPECTED

REAL = Path(__file__).parent / "data" / "real"


def facts(name: str) -> dict:
    return json.loads((REAL / name / "facts.json").read_text(encoding="utf-8"))


def run(tmp_path: Path, *paths: Path):
    notices = Notices()
    a = analyse([str(p) for p in paths], Options(out=tmp_path / "out", diagrams="none"), notices)
    return a, notices


@pytest.fixture(scope="module")
def suse(tmp_path_factory):
    d = REAL / "suse-jb154sapqe"
    return run(tmp_path_factory.mktemp("suse"), d / "jb154sapqe01.log", d / "jb154sapqe02.log")[0]


@pytest.fixture(scope="module")
def linstor(tmp_path_factory):
    d = REAL / "linstor213-kube-node"
    return run(tmp_path_factory.mktemp("lin"), d / "kube-node-6.log", d / "kube-node-2.log")[0]


def test_suse_identity_and_twopc(suse):
    f = facts("suse-jb154sapqe")
    ids = {ev.name: ev.identity.node_id for ev in suse.events}
    assert ids == {name: n["node_id"] for name, n in f["nodes"].items()}
    hosts = {ev.name: ev.identity.host for ev in suse.events}
    assert hosts == {"jb154sapqe01": "jb154sapqe01", "jb154sapqe02": "jb154sapqe02"}
    for want in f["twopc"]:
        rec = suse.cluster.record(want["tid"])
        assert rec.initiator == want["initiator"]
        assert rec.participants == want["participants"]
        assert rec.outcome == want["outcome"] and rec.resource == f["resource"]
        assert rec.changes.get("conn") is None or rec.changes["conn"] == "Connected"


def test_suse_handshakes_and_uuid_decisions(suse):
    f = facts("suse-jb154sapqe")
    hs = {(ev.name, h.peer_id) for ev in suse.events for h in ev.handshakes}
    assert hs == {("jb154sapqe01", 1), ("jb154sapqe02", 0)}
    got = {
        (d.node, d.result_name, d.rule_name, d.result, d.rule)
        for ev in suse.events
        for d in ev.decisions
    }
    assert got == {(u["node"], u["result"], u["rule"], 0, 10) for u in f["uuid_compare"]}
    [pair] = suse.cluster.decision_pairs
    assert pair.mirrored and pair.resource == "drbd01"
    assert suse.cluster.resyncs == []


def test_suse_clock_inside_the_facts_window(suse):
    """facts.json: 02's syslog clock is between 25.5 ms behind and 2.3 ms ahead of 01's
    (from the same three pairs on the rsyslog stamps). The offset found lies inside, and
    its bounds, built from boot anchors of about ±50 ms, never claim to be narrower than
    that window."""
    seg = suse.alignment.nodes["jb154sapqe02"].main
    assert seg.basis == "2pc/bitmap" and seg.evidence == 3
    assert -0.025510 < seg.offset_s < 0.002302
    assert seg.lower_s <= -0.025510 and seg.upper_s >= 0.002302
    assert suse.alignment.violations_after == 0 and not suse.alignment.conflicts


def test_linstor_twopcs_resync_and_ids(linstor):
    f = facts("linstor213-kube-node")
    ids = {ev.name: ev.identity.node_id for ev in linstor.events}
    assert ids == {name: n["node_id"] for name, n in f["nodes"].items()}
    disconnect = linstor.cluster.record(838443789)
    assert (disconnect.initiator, disconnect.participants, disconnect.outcome) == (
        "kube-node-6",
        ["kube-node-2"],
        "committed",
    )
    # Only kube-node-6 logged it, as a remote change on its connection to kube-node-2.
    reconnect = linstor.cluster.record(772351151)
    assert (reconnect.initiator, reconnect.participants, reconnect.outcome) == (
        "kube-node-2",
        ["kube-node-6"],
        "committed",
    )
    [resync] = linstor.cluster.resyncs
    assert (resync.source, resync.target, resync.outcome) == ("kube-node-1", "kube-node-6", "done")


def test_linstor_clock_and_causality(linstor):
    """1 s syslog stamps on both nodes: the bounds are a few seconds wide (the stamps
    allow no more) and hold facts.json's synchronised wall clocks; every receive follows
    its send."""
    seg = linstor.alignment.nodes["kube-node-2"].main
    assert seg.lower_s <= 0 <= seg.upper_s
    assert seg.upper_s - seg.lower_s >= 1.0  # a 1 s stamp each side: no microsecond claims
    assert abs(seg.offset_s) < 1.0
    assert linstor.alignment.violations_after == 0
    kinds = [e.kind for e in linstor.episodes]
    assert kinds.count("disconnect") == 1  # both sides of 838443789 in one episode


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_every_protocol_line_becomes_its_event(tmp_path, rel):
    """End to end: each protocol line the catalog test lists is, in the timeline, the
    event of its kind (none left routine or unparsed), and every line is a row."""
    path = REAL / rel
    a, _ = run(tmp_path, path)
    rows = a.timeline.filter(pl.col("file").cast(pl.String) == str(path))
    assert rows.height == len(path.read_bytes().splitlines())
    events = dict(zip(rows["line"].to_list(), rows["event"].cast(pl.String).to_list(), strict=True))
    for line, (kind, _) in EXPECTED[rel].items():
        assert events[line] == kind, (rel, line, kind, events[line])
    assert (rows["event"].cast(pl.String) == "unparsed").sum() <= 3


@pytest.mark.parametrize("path", sorted((REAL / "single").glob("*.log")), ids=lambda p: p.stem)
def test_every_single_capture_runs(tmp_path, path, bsrcorr):
    run_ = bsrcorr(path, "--diagrams", "none")
    assert run_.exit_code in (0, 1), run_.stderr
    assert "Traceback" not in run_.stderr
    summary = json.loads((run_.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["nodes"]


def test_other_programs_are_context_and_only_drbd_leaves_them_out(tmp_path, bsrcorr):
    path = REAL / "single" / "incus3487-journal-bracket.log"
    whole = bsrcorr(path, "--diagrams", "none", out=tmp_path / "whole")
    rows = pl.read_parquet(whole.out / "timeline.parquet")
    programs = rows.group_by(pl.col("program").cast(pl.String)).len()
    counts = dict(zip(programs["program"], programs["len"], strict=True))
    assert counts["systemd-networkd"] >= 1 and counts["kernel"] >= 1
    ext4 = rows.filter(pl.col("message").str.starts_with("EXT4-fs"))
    assert ext4.height and ext4["event"].cast(pl.String).to_list() == [""] * ext4.height
    assert rows.height == len(path.read_bytes().splitlines())
    only = bsrcorr(path, "--only", "drbd", "--diagrams", "none", out=tmp_path / "only")
    kept = pl.read_parquet(only.out / "timeline.parquet")
    assert kept["object"].is_not_null().all()
    left = rows.height - kept.height
    assert left > 0 and f"--only drbd: {left} line(s) of other programs left out" in only.stderr
